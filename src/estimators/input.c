/* Input pipelines: see include/tfc/input.h. */
#include "../core/core.h"
