/* cli/file.c — reading input files whole, and writing outputs whole.
 *
 * Modules are decoded from memory, so every input is read entirely before
 * anything else happens.  The size the file system reports is only a hint:
 * /proc files report 0, a file may grow while it is read, and pipes have no
 * size at all; the reader reads until end of file and grows its buffer as
 * needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "kiln.h"

/* Grows *buf to hold at least `need` bytes, doubling to keep appends
 * linear.  False (errno ENOMEM) if memory or size_t runs out. */
static bool cli_grow(uint8_t **buf, size_t *cap, size_t need) {
  if (need <= *cap) return true;
  size_t cap2 = *cap ? *cap : 64 * 1024;
  while (cap2 < need) {
    if (cap2 > SIZE_MAX / 2) {
      cap2 = need;
      break;
    }
    cap2 *= 2;
  }
  uint8_t *p = realloc(*buf, cap2);
  if (!p) {
    errno = ENOMEM;
    return false;
  }
  *buf = p;
  *cap = cap2;
  return true;
}

bool cli_read_file(const char *path, uint8_t **data, size_t *size, int *err) {
  uint8_t *buf = NULL;
  size_t cap = 0, len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) goto fail;
  struct stat st;
  if (fstat(fd, &st) != 0) goto fail;
  if (S_ISDIR(st.st_mode)) {
    errno = EISDIR;
    goto fail;
  }
  /* One byte more than the reported size, so that a file that really has
   * that size is read in one read() plus one read() that sees the end. */
  if (S_ISREG(st.st_mode) && st.st_size > 0 &&
      (uintmax_t)st.st_size < SIZE_MAX &&
      !cli_grow(&buf, &cap, (size_t)st.st_size + 1))
    goto fail;
  for (;;) {
    if (len == cap && !cli_grow(&buf, &cap, len + 1)) goto fail;
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      goto fail;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  *data = buf;
  *size = len;
  return true;

fail:
  *err = errno;
  if (fd >= 0) close(fd);
  free(buf);
  return false;
}

/* Writes to a temporary file beside path, then renames it over path: a
 * reader (or a failure half-way) never sees a partial file. */
bool cli_write_file(const char *path, const uint8_t *data, size_t size, int *err) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof tmp) {
    *err = ENAMETOOLONG;
    return false;
  }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  size_t done = 0;
  while (done < size) {
    ssize_t w = write(fd, data + done, size - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    done += (size_t)w;
  }
  *err = done == size ? 0 : (errno ? errno : EIO);
  if (close(fd) != 0 && !*err) *err = errno;
  if (!*err && rename(tmp, path) != 0) *err = errno;
  if (*err) unlink(tmp);
  return *err == 0;
}

bool cli_read_module(const char *path, wasm_byte_vec_t *out) {
  uint8_t *data;
  size_t size;
  int err;
  wasm_byte_vec_new_empty(out);
  if (!cli_read_file(path, &data, &size, &err)) {
    fprintf(stderr, "error: %s: cannot read: %s\n", path, strerror(err));
    return false;
  }
  size_t n = strlen(path);
  bool ok = true;
  if (n > 4 && strcmp(path + n - 4, ".wat") == 0) {
    kiln_text_error_t terr;
    ok = kiln_wat2wasm((const char *)data, size, out, &terr);
    if (!ok)
      fprintf(stderr, "error: %s:%u:%u: %s\n", path, terr.line, terr.column, terr.message);
  } else {
    wasm_byte_vec_new(out, size, (const wasm_byte_t *)data);
    ok = out->size == size;
    if (!ok) fprintf(stderr, "error: %s: out of memory\n", path);
  }
  free(data);
  return ok;
}
