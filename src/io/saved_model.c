/* saved_model: see the public headers. */
#include "../core/core.h"
