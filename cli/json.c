/* cli/json.c — safe field access over cJSON (json.h). */
#include "json.h"

#include <stdint.h>

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

cJSON *json_parse(const char *text, size_t size, size_t *error_offset) {
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(text, size, &end, false);
  if (!root && error_offset)
    *error_offset = end && end >= text ? (size_t)(end - text) : 0;
  return root;
}
