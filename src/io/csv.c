/* CSV reading driven by a schema: see include/tfc/input.h. */
#include "../core/core.h"
