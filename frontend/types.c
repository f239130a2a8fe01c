/* frontend/types.c — PLACEHOLDER, replaced by the type registry work. */
#include "types.h"
