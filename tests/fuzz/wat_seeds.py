#!/usr/bin/env python3
"""tests/fuzz/wat_seeds.py — seed corpus and dictionary for fuzz_wat.

    python3 tests/fuzz/wat_seeds.py --wast DIR --corpus OUT_DIR --dict OUT_FILE
                                    [--max-size BYTES] [--opcodes FILE.def ...]
                                    [EXTRA_SEED ...]

Writes into OUT_DIR (created, existing files kept):
  * every .wast script under DIR no larger than --max-size, whole;
  * every `(module ...)` form of those scripts (any depth: inside
    assert_invalid, assert_malformed ... too), one file each;
  * for a `(module quote "...")` form, also the text its strings denote
    (most of the suite's malformed text lives there);
  * the EXTRA_SEED files (past findings, tests/fuzz/regressions/*.wat).
Files are named by a hash of their content, so duplicates collapse.  The
dictionary holds the instruction mnemonics of the --opcodes tables
(frontend/opcodes.def, opcodes_simd.def), the text format's keywords and
WAST commands, and its punctuation (comments, annotations, escapes, number
prefixes).

Run by ./dev fuzz; nothing it writes is checked in.
"""

import argparse
import hashlib
import os
import re
import sys

KEYWORDS = """
module type rec sub final func param result local import export table memory
global mut elem data start offset item declare tag block loop if then else end
try_table catch catch_ref catch_all catch_all_ref ref null i32 i64 f32 f64 v128
i8 i16 funcref externref anyref eqref i31ref structref arrayref nullref
nullfuncref nullexternref exnref nullexnref struct array field any eq i31 none
extern noextern nofunc exn noexn binary quote definition instance shared
unshared align= offset= i8x16 i16x8 i32x4 i64x2 f32x4 f64x2 inf nan
nan:0x1 nan:canonical nan:arithmetic
assert_return assert_trap assert_invalid assert_malformed assert_unlinkable
assert_exhaustion assert_exception register invoke get either ref.extern
ref.host thread wait
""".split()

PUNCT = ["(", ")", "$", "\"", ";;", "(;", ";)", "(@", "(@custom", "\\u{",
         "\\00", "\\\"", "0x", "-0x", "+", "_", "0x1p+", "1e+", "$\"", "\n"]

OP_RE = re.compile(r'^OP\(\s*\w+\s*,\s*"([^"]+)"')


def dict_entry(s):
    out = []
    for ch in s.encode("utf-8"):
        if ch in (0x22, 0x5C) or ch < 0x20 or ch > 0x7E:
            out.append("\\x%02X" % ch)
        else:
            out.append(chr(ch))
    return '"' + "".join(out) + '"'


def scan(text, i):
    """Index after the form whose `(` is at text[i], or None if unclosed.
    Honours strings, line comments and nested block comments."""
    n = len(text)
    depth = 0
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif text.startswith(";;", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif text.startswith("(;", i):
            level = 0
            while i < n:
                if text.startswith("(;", i):
                    level += 1
                    i += 2
                elif text.startswith(";)", i):
                    level -= 1
                    i += 2
                    if level == 0:
                        break
                else:
                    i += 1
        elif c == "(":
            depth += 1
            i += 1
        elif c == ")":
            depth -= 1
            i += 1
            if depth == 0:
                return i
        else:
            i += 1
    return None


STRING_RE = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)


def decode_string(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        e = s[i + 1:i + 2]
        simple = {"t": b"\t", "n": b"\n", "r": b"\r", '"': b'"', "'": b"'", "\\": b"\\"}
        if e in simple:
            out += simple[e]
            i += 2
        elif e == "u" and s[i + 2:i + 3] == "{":
            j = s.find("}", i)
            try:
                out += chr(int(s[i + 3:j].replace("_", ""), 16)).encode("utf-8", "surrogatepass")
            except ValueError:
                pass
            i = j + 1 if j > 0 else len(s)
        else:
            try:
                out.append(int(s[i + 1:i + 3], 16))
            except ValueError:
                pass
            i += 3
    return bytes(out)


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--wast", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--dict", required=True)
    ap.add_argument("--max-size", type=int, default=65536)
    ap.add_argument("--opcodes", action="append", default=[])
    ap.add_argument("extra", nargs="*")
    a = ap.parse_args(argv)

    os.makedirs(a.corpus, exist_ok=True)
    seen = set()
    counts = {"scripts": 0, "modules": 0, "quoted": 0, "extra": 0}

    def put(data, kind):
        if not data or len(data) > a.max_size:
            return
        h = hashlib.sha1(data).hexdigest()[:20]
        if h in seen:
            return
        seen.add(h)
        with open(os.path.join(a.corpus, h), "wb") as f:
            f.write(data)
        counts[kind] += 1

    mod_re = re.compile(r"\(\s*module\b")
    for d, _, files in os.walk(a.wast):
        for name in sorted(files):
            if not name.endswith(".wast"):
                continue
            with open(os.path.join(d, name), encoding="utf-8", errors="surrogateescape") as f:
                text = f.read()
            raw = text.encode("utf-8", "surrogateescape")
            put(raw, "scripts")
            for m in mod_re.finditer(text):
                end = scan(text, m.start())
                if end is None:
                    continue
                form = text[m.start():end]
                put(form.encode("utf-8", "surrogateescape"), "modules")
                head = form[1:].lstrip()[len("module"):].lstrip()
                if head.startswith("$"):
                    head = head.split(None, 1)[1] if len(head.split(None, 1)) > 1 else ""
                if head.startswith("quote"):
                    body = b" ".join(decode_string(s) for s in STRING_RE.findall(head))
                    put(body, "quoted")
    for p in a.extra:
        with open(p, "rb") as f:
            put(f.read(), "extra")

    words = set(KEYWORDS)
    for p in a.opcodes:
        with open(p, encoding="utf-8") as f:
            for line in f:
                m = OP_RE.match(line)
                if m:
                    words.add(m.group(1))
    with open(a.dict, "w", encoding="ascii") as f:
        f.write("# fuzz_wat dictionary, generated by tests/fuzz/wat_seeds.py\n")
        for w in sorted(words) + PUNCT:
            f.write(dict_entry(w) + "\n")
    print("seed corpus: %d scripts, %d module forms, %d quoted texts, %d past findings"
          " (<= %d bytes each) -> %s; dictionary: %d entries -> %s" % (
              counts["scripts"], counts["modules"], counts["quoted"], counts["extra"],
              a.max_size, a.corpus, len(words) + len(PUNCT), a.dict))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
