/* cli/cache.c — `kiln cache stats|clear|dir [--cache-dir DIR]`, and the
 * cache settings the commands that run modules share (cli_engine_new).
 *
 * The cache itself is libkiln's (kiln.h, docs/cache.md); this file only
 * reports on a directory and empties it.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "kiln.h"
#include "wasm.h"

void cli_cache_usage(void) {
  printf("usage: kiln cache (stats | clear | dir) [--cache-dir DIR]\n"
         "\n"
         "The module cache keeps every module kiln run compiles, so that the\n"
         "next run of the same module loads its code instead of compiling it\n"
         "(docs/cache.md).  Its directory is --cache-dir DIR, else\n"
         "$KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln, else ~/.cache/kiln.\n"
         "\n"
         "  stats  print the directory, its entries and their total size\n"
         "  clear  remove every entry\n"
         "  dir    print the directory\n"
         "\n"
         "Exit status: 0 success, 1 the directory cannot be read or an entry\n"
         "cannot be removed, 2 usage error.\n");
}

bool cli_is_artifact(const uint8_t *data, size_t size) {
  return size >= 8 && memcmp(data, KILN_SERIALIZED_MAGIC, 8) == 0;
}

wasm_engine_t *cli_engine_new(bool cache, const char *cache_dir) {
  wasm_config_t *cfg = wasm_config_new();
  if (!cfg) return NULL;
  if (cache) kiln_config_set_cache(cfg, true, cache_dir);
  return wasm_engine_new_with_config(cfg);
}

void cli_cache_report(const wasm_engine_t *engine) {
  kiln_cache_stats_t s;
  kiln_engine_cache_stats(engine, &s);
  if (!s.dir[0]) {
    fprintf(stderr, "kiln: cache: off\n");
    return;
  }
  if (s.hits)
    fprintf(stderr, "kiln: cache: hit in %s\n", s.dir);
  else if (s.misses)
    fprintf(stderr, "kiln: cache: miss in %s%s\n", s.dir,
            s.writes ? "; compiled and written" : "");
  if (s.rejected || s.write_failures)
    fprintf(stderr, "kiln: cache: %s\n", s.error);
}

/* Prints a size in bytes and in the largest binary unit that fits. */
static void print_size(uint64_t bytes) {
  static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = (double)bytes;
  int u = -1;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    u++;
  }
  if (u < 0)
    printf("%llu bytes", (unsigned long long)bytes);
  else
    printf("%llu bytes (%.1f %s)", (unsigned long long)bytes, v, units[u]);
}

int cli_cache(int argc, char **argv) {
  const char *action = NULL, *dir = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--cache-dir") == 0) {
      if (++i >= argc) return cli_usage_error("cache: --cache-dir needs a directory");
      dir = argv[i];
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      cli_cache_usage();
      return CLI_EXIT_OK;
    } else if (argv[i][0] == '-') {
      return cli_usage_error("cache: unknown option '%s'", argv[i]);
    } else if (action) {
      return cli_usage_error("cache: unexpected argument '%s'", argv[i]);
    } else {
      action = argv[i];
    }
  }
  if (!action) return cli_usage_error("cache: missing action (stats, clear or dir)");
  char buf[4096];
  if (!dir) {
    if (!kiln_cache_default_dir(buf, sizeof buf)) {
      fprintf(stderr, "error: no cache directory: set KILN_CACHE_DIR, XDG_CACHE_HOME or "
                      "HOME, or pass --cache-dir\n");
      return CLI_EXIT_FAILURE;
    }
    dir = buf;
  }
  char err[512];
  if (strcmp(action, "dir") == 0) {
    printf("%s\n", dir);
  } else if (strcmp(action, "stats") == 0) {
    uint64_t entries, bytes;
    if (!kiln_cache_usage(dir, &entries, &bytes, err, sizeof err)) {
      fprintf(stderr, "error: %s\n", err);
      return CLI_EXIT_FAILURE;
    }
    printf("directory: %s\nentries:   %llu\nsize:      ", dir, (unsigned long long)entries);
    print_size(bytes);
    printf("\n");
  } else if (strcmp(action, "clear") == 0) {
    uint64_t removed;
    bool ok = kiln_cache_clear(dir, &removed, err, sizeof err);
    printf("removed %llu file%s from %s\n", (unsigned long long)removed,
           removed == 1 ? "" : "s", dir);
    if (!ok) {
      fprintf(stderr, "error: %s\n", err);
      return CLI_EXIT_FAILURE;
    }
  } else {
    return cli_usage_error("cache: unknown action '%s' (stats, clear or dir)", action);
  }
  return CLI_EXIT_OK;
}
