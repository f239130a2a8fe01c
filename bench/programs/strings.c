/* bench/programs/strings.c — string processing: generate a text of
 * pseudo-random words, count word frequencies in a hash table with
 * chaining, find the most frequent words, reverse and search substrings.
 * Prints a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_SIZE 65536

typedef struct entry {
  struct entry *next;
  uint32_t count;
  uint32_t len;
  char word[24];
} entry;

static const char *const syllables[] = {
  "ka", "lo", "mi", "ren", "to", "sa", "bel", "dor", "in", "qua",
  "zu", "fe", "ro", "gan", "ti", "e", "ush", "pra", "vo", "ny",
};

static uint32_t hash(const char *s, uint32_t n) {
  uint32_t h = 2166136261u;
  for (uint32_t i = 0; i < n; i++)
    h = (h ^ (uint8_t)s[i]) * 16777619u;
  return h;
}

static size_t make_text(char *out, size_t cap, uint32_t words, uint32_t *seed) {
  size_t n = 0;
  for (uint32_t w = 0; w < words; w++) {
    *seed = *seed * 1664525u + 1013904223u;
    uint32_t k = 1 + (*seed >> 28) % 4; /* 1..4 syllables */
    for (uint32_t s = 0; s < k; s++) {
      *seed = *seed * 1664525u + 1013904223u;
      const char *syl = syllables[(*seed >> 24) % 20];
      size_t l = strlen(syl);
      if (n + l + 2 >= cap)
        return n;
      memcpy(out + n, syl, l);
      n += l;
    }
    out[n++] = (w % 13 == 12) ? '\n' : ' ';
  }
  out[n] = 0;
  return n;
}

static entry *lookup(entry **table, const char *s, uint32_t len) {
  uint32_t h = hash(s, len) % TABLE_SIZE;
  for (entry *e = table[h]; e; e = e->next)
    if (e->len == len && memcmp(e->word, s, len) == 0)
      return e;
  entry *e = calloc(1, sizeof *e);
  if (!e)
    exit(1);
  e->len = len < sizeof e->word - 1 ? len : (uint32_t)sizeof e->word - 1;
  memcpy(e->word, s, e->len);
  e->len = len;
  e->next = table[h];
  table[h] = e;
  return e;
}

static int cmp_entry(const void *a, const void *b) {
  const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return strcmp(x->word, y->word);
}

/* Non-overlapping occurrences of needle in hay[0..n), by a first-byte scan
 * (memchr) and a compare. */
static uint32_t count_occurrences(const char *hay, size_t n, const char *needle) {
  uint32_t c = 0;
  size_t nl = strlen(needle);
  const char *p = hay, *end = hay + n;
  while ((size_t)(end - p) >= nl) {
    const char *q = memchr(p, needle[0], (size_t)(end - p) - nl + 1);
    if (!q)
      break;
    if (memcmp(q, needle, nl) == 0) {
      c++;
      p = q + nl;
    } else {
      p = q + 1;
    }
  }
  return c;
}

int main(int argc, char **argv) {
  uint32_t words = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 400000;
  size_t cap = (size_t)words * 14 + 16;
  char *text = malloc(cap);
  entry **table = calloc(TABLE_SIZE, sizeof *table);
  if (!text || !table)
    return 1;
  uint32_t seed = 42, sum = 0;
  size_t n = 0;
  for (int round = 0; round < 3; round++) {
    n = make_text(text, cap, words, &seed);
    /* Tokenize and count. */
    for (size_t i = 0; i < n;) {
      while (i < n && (text[i] == ' ' || text[i] == '\n'))
        i++;
      size_t start = i;
      while (i < n && text[i] != ' ' && text[i] != '\n')
        i++;
      if (i > start && i - start < 24)
        lookup(table, text + start, (uint32_t)(i - start))->count++;
    }
    /* Upper-case every line's first word, reverse every line in place. */
    size_t line = 0;
    for (size_t i = 0; i <= n; i++) {
      if (i == n || text[i] == '\n') {
        for (size_t a = line, b = i; a + 1 < b; a++, b--) {
          char t = text[a];
          text[a] = text[b - 1];
          text[b - 1] = t;
        }
        line = i + 1;
      }
    }
    sum = sum * 31 + count_occurrences(text, n, "ak") + count_occurrences(text, n, "nedro");
  }
  uint32_t distinct = 0;
  for (uint32_t i = 0; i < TABLE_SIZE; i++)
    for (entry *e = table[i]; e; e = e->next)
      distinct++;
  entry **all = malloc(sizeof *all * (distinct ? distinct : 1));
  if (!all)
    return 1;
  uint32_t k = 0;
  for (uint32_t i = 0; i < TABLE_SIZE; i++)
    for (entry *e = table[i]; e; e = e->next)
      all[k++] = e;
  qsort(all, distinct, sizeof *all, cmp_entry);
  printf("%u distinct words; most frequent:", (unsigned)distinct);
  for (uint32_t i = 0; i < 3 && i < distinct; i++)
    printf(" %s (%u)", all[i]->word, (unsigned)all[i]->count);
  printf("\n");
  for (uint32_t i = 0; i < distinct; i++)
    sum = sum * 33 + hash(all[i]->word, all[i]->len) + all[i]->count;
  printf("checksum %08x\n", (unsigned)(sum ^ (uint32_t)n));
  for (uint32_t i = 0; i < distinct; i++)
    free(all[i]);
  free(all);
  free(table);
  free(text);
  return 0;
}
