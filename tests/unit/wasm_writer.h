/* tests/unit/wasm_writer.h — a tiny Wasm binary writer for unit tests that
 * assemble their modules by hand: a growable byte buffer, LEB128, names,
 * the header and sections.  Out of memory fails the running cmocka test.
 *
 * A buffer starts zeroed (`wbuf b = {0};`); its bytes are b.p[0 .. b.n),
 * freed with wb_free (or free(b.p)).  Functions that take a buffer as `body`
 * consume it: they free its bytes and leave it zeroed, ready for reuse.
 */
#ifndef KILN_TESTS_UNIT_WASM_WRITER_H
#define KILN_TESTS_UNIT_WASM_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct wbuf {
  uint8_t *p;
  size_t n, cap;
} wbuf;

/* Frees b's bytes and leaves it zeroed. */
void wb_free(wbuf *b);

/* One byte. */
void wb_byte(wbuf *b, uint8_t byte);
/* n bytes from s. */
void wb_bytes(wbuf *b, const void *s, size_t n);
/* The unsigned LEB128 of v, in as few bytes as it takes. */
void wb_uleb(wbuf *b, uint64_t v);
/* Bytes given as a list of ints ended by -1 (see WB). */
void wb_list(wbuf *b, const int *bytes);
#define WB(b, ...) wb_list((b), (const int[]){__VA_ARGS__, -1})
/* A name: its length (LEB128) then its bytes. */
void wb_name(wbuf *b, const char *s);
/* A byte vector: its length (LEB128) then the bytes of body; consumes body
 * (a function body in the code section, for example). */
void wb_sized(wbuf *b, wbuf *body);

/* The magic number and version 1. */
void wb_header(wbuf *m);
/* Section `id` whose contents are body; consumes body. */
void wb_section(wbuf *m, uint8_t id, wbuf *body);
/* Section `id` of `count` entries whose bytes are body (the count is
 * written before them); consumes body. */
void wb_vec_section(wbuf *m, uint8_t id, uint32_t count, wbuf *body);

#endif
