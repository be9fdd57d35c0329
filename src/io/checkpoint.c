/* checkpoint: see the public headers. */
#include "../core/core.h"
