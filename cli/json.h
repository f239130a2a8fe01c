/* cli/json.h — small helpers over cJSON for the wast runner.
 *
 * The runner reads WABT-style wast2json command lists
 * (tests/spec/testsuite/README.md).  These helpers make every field access
 * safe on any input: a missing field or a field of the wrong JSON type reads
 * as NULL (or the given default), never as a crash.
 */
#ifndef KILN_CLI_JSON_H
#define KILN_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* The string value of obj[key], or NULL if obj is not an object, has no
 * such key or the value is not a string. */
const char *json_str(const cJSON *obj, const char *key);

/* obj[key] if it is an array, else NULL. */
const cJSON *json_array(const cJSON *obj, const char *key);

/* obj[key] if it is an object, else NULL. */
const cJSON *json_object(const cJSON *obj, const char *key);

/* obj[key] as a non-negative integer no larger than INT32_MAX, or dflt if it
 * is missing, not a number or out of range. */
long json_int(const cJSON *obj, const char *key, long dflt);

/* Parses text (size bytes, not necessarily NUL-terminated).  NULL on a
 * syntax error (or out of memory), with *error_offset set to the byte offset
 * where parsing stopped.
 *
 * cJSON's strings are NUL-terminated, so a "\u0000" escape would cut one
 * short.  json_parse hands such escapes to cJSON as the byte 0xff (JSON
 * text is UTF-8, which never contains it; a text that already has a 0xff
 * byte is parsed as it is), so a string keeps its length and reads NUL
 * where json_name_eq compares it.  Error offsets count the escapes as one
 * byte each. */
cJSON *json_parse(const char *text, size_t size, size_t *error_offset);

/* The byte that stands for NUL inside strings read by json_parse. */
#define JSON_NUL_BYTE 0xff

/* Whether a string read by json_parse (s, len bytes) is the name (name, n
 * bytes, which may contain NUL): JSON_NUL_BYTE in s matches NUL. */
bool json_name_eq(const char *s, size_t len, const char *name, size_t n);

#endif
