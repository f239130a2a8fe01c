/* frontend/decode.c — PLACEHOLDER, replaced by the decoder work. */
#include "decode.h"
