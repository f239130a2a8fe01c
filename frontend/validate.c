/* frontend/validate.c — PLACEHOLDER, replaced by the validator work. */
#include "validate.h"
