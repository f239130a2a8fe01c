/* cli/json.c — safe field access over cJSON (json.h). */
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *json_str(const cJSON *obj, const char *key) {
  if (!cJSON_IsObject(obj)) return NULL;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *json_array(const cJSON *obj, const char *key) {
  if (!cJSON_IsObject(obj)) return NULL;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsArray(v) ? v : NULL;
}

const cJSON *json_object(const cJSON *obj, const char *key) {
  if (!cJSON_IsObject(obj)) return NULL;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsObject(v) ? v : NULL;
}

long json_int(const cJSON *obj, const char *key, long dflt) {
  if (!cJSON_IsObject(obj)) return dflt;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!cJSON_IsNumber(v)) return dflt;
  double d = v->valuedouble;
  if (!(d >= 0 && d <= (double)INT32_MAX)) return dflt; /* also NaN */
  return (long)d;
}

/* Copies text with every \u0000 escape inside a string replaced by the
 * byte JSON_NUL_BYTE; NULL when there is none to replace (or no memory, or
 * the text already has the byte), *out_size the new size otherwise. */
static char *json_mark_nuls(const char *text, size_t size, size_t *out_size) {
  static const char esc[] = "\\u0000";
  bool any = false;
  for (size_t i = 0; i < size; i++) {
    if ((unsigned char)text[i] == JSON_NUL_BYTE) return NULL;
    if (!any && text[i] == '\\' && size - i >= 6 &&
        memcmp(text + i, esc, 6) == 0)
      any = true;
  }
  if (!any) return NULL;
  char *out = malloc(size);
  if (!out) return NULL;
  size_t n = 0;
  bool in_string = false;
  for (size_t i = 0; i < size; i++) {
    char c = text[i];
    if (!in_string) {
      if (c == '"') in_string = true;
      out[n++] = c;
      continue;
    }
    if (c == '"') {
      in_string = false;
      out[n++] = c;
    } else if (c == '\\' && size - i >= 6 && memcmp(text + i, esc, 6) == 0) {
      out[n++] = (char)JSON_NUL_BYTE;
      i += 5;
    } else if (c == '\\' && i + 1 < size) {
      out[n++] = c; /* an escape of one character, e.g. \\ or \" */
      out[n++] = text[++i];
    } else {
      out[n++] = c;
    }
  }
  *out_size = n;
  return out;
}

cJSON *json_parse(const char *text, size_t size, size_t *error_offset) {
  size_t msize = 0;
  char *marked = json_mark_nuls(text, size, &msize);
  const char *src = marked ? marked : text;
  size_t len = marked ? msize : size;
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(src, len, &end, false);
  if (!root && error_offset)
    *error_offset = end && end >= src ? (size_t)(end - src) : 0;
  free(marked);
  return root;
}

bool json_name_eq(const char *s, size_t len, const char *name, size_t n) {
  if (len != n) return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char a = (unsigned char)s[i];
    if (a == JSON_NUL_BYTE) a = 0;
    if (a != (unsigned char)name[i]) return false;
  }
  return true;
}
