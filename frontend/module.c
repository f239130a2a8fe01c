/* frontend/module.c — PLACEHOLDER, replaced by the decoder work. */
#include "module.h"
