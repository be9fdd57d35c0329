/* JSON-lines instances: see include/tfc/input.h. */
#include "../core/core.h"
