/* IDX reader: see idx.h. */
#include "../core/core.h"
#include "tfc/idx.h"
