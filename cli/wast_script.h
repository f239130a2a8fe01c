/* cli/wast_script.h — WAST scripts (.wast) read into the runner's command
 * list.
 *
 * `kiln wast` runs one list of commands per script, in wast2json's JSON
 * layout (tests/spec/testsuite/README.md).  A .wast script is parsed here
 * (frontend/wat_lex.h for the tokens, frontend/wat.h for every module form)
 * into exactly the cJSON command objects wast2json would have written, so
 * that both inputs go through one runner and count the same way.  The one
 * difference: a command's module is not a file next to the JSON but an
 * entry of the script's module table, named by the command's
 * "kiln_module" field (its index).  The runner honours that field only for
 * scripts read here, never in a JSON file.
 *
 * A module whose text the parser rejects is still a table entry, with no
 * bytes and the parser's message: assert_malformed counts that as the
 * rejection it wants, `module` fails with the message.
 */
#ifndef KILN_CLI_WAST_SCRIPT_H
#define KILN_CLI_WAST_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

typedef struct wast_text_module {
  uint8_t *bytes; /* the binary module (malloc'd), or NULL if rejected */
  size_t size;
  char *error;    /* "LINE:COL: message" when the text was rejected */
} wast_text_module;

typedef struct wast_text_script {
  cJSON *root;             /* {"commands": [...]} */
  wast_text_module *mods;  /* nmods entries */
  size_t nmods, cap_mods;
  /* A syntax error in the script itself (outside any module): the
   * commands before it are in root, the rest of the script is not. */
  bool error;
  uint32_t err_line, err_col;
  char err_msg[256];
} wast_text_script;

/* Reads a script (src, len bytes; need not be NUL-terminated).  Returns
 * false only when out of memory; a syntax error sets out->error.  Free
 * with wast_text_free in every case. */
bool wast_text_read(const char *src, size_t len, wast_text_script *out);

void wast_text_free(wast_text_script *s);

#endif
