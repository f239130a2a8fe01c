/* tests/unit/wasm_writer.c — the unit tests' Wasm binary writer
 * (wasm_writer.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wasm_writer.h"

void wb_free(wbuf *b) {
  free(b->p);
  *b = (wbuf){0};
}

void wb_byte(wbuf *b, uint8_t byte) {
  if (b->n == b->cap) {
    b->cap = b->cap ? b->cap * 2 : 256;
    b->p = realloc(b->p, b->cap);
    assert_non_null(b->p);
  }
  b->p[b->n++] = byte;
}

void wb_bytes(wbuf *b, const void *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    wb_byte(b, ((const uint8_t *)s)[i]);
}

void wb_uleb(wbuf *b, uint64_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    wb_byte(b, byte | (v ? 0x80 : 0));
  } while (v);
}

void wb_list(wbuf *b, const int *bytes) {
  for (; *bytes >= 0; bytes++)
    wb_byte(b, (uint8_t)*bytes);
}

void wb_name(wbuf *b, const char *s) {
  wb_uleb(b, strlen(s));
  wb_bytes(b, s, strlen(s));
}

void wb_sized(wbuf *b, wbuf *body) {
  wb_uleb(b, body->n);
  wb_bytes(b, body->p, body->n);
  wb_free(body);
}

void wb_header(wbuf *m) { wb_bytes(m, "\0asm\1\0\0\0", 8); }

void wb_section(wbuf *m, uint8_t id, wbuf *body) {
  wb_byte(m, id);
  wb_sized(m, body);
}

void wb_vec_section(wbuf *m, uint8_t id, uint32_t count, wbuf *body) {
  wbuf s = {0};
  wb_uleb(&s, count);
  wb_bytes(&s, body->p, body->n);
  wb_free(body);
  wb_section(m, id, &s);
}
