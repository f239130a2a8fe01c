/* vm/version.c — libkiln's version string.
 *
 * The version comes from the build (meson's project version, written into
 * the generated header vm/version.h by vm/meson.build), so there is one place
 * to change it.
 */
#include "vm.h"
#include "vm/version.h"

const char *kiln_version(void) { return KILN_VERSION; }
