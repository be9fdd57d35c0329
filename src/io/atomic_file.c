/* atomic_file: see the public headers. */
#include "../core/core.h"
