/* graph_def: see the public headers. */
#include "../core/core.h"
