#!/usr/bin/env python3
"""bench/run_wat.py — text format throughput: Kiln's parser against wabt.

    python3 bench/run_wat.py [BUILD_DIR] [--rounds N]

Times the conversion of text modules to binary by
  * Kiln in process: BUILD_DIR/bench/wat_throughput (kiln_wat2wasm through
    the public API, calibrated rounds, median; bench/wat_throughput.c);
  * Kiln as a process: `kiln wat2wasm --no-check FILE -o /dev/null`, median
    of N runs (process start-up and file reading included);
  * wabt as a process: `wat2wasm --no-check FILE -o /dev/null` (no
    validation, as Kiln's), median of N runs, its start-up on `(module)`
    shown too.  wabt has no in-process driver here,
    so this peer is process-level only.
The texts:
  (a) BUILD_DIR/bench/kiln-bundle.wat: kiln-bundle.wasm (Kiln's front end
      and the bench programs compiled to wasm32-wasi) disassembled by
      wabt's wasm2wat at build time (bench/meson.build), the large text;
  (b) every `(module ...)` text form of the spec suite's scripts
      (tests/spec/testsuite/wast), extracted by this script into
      BUILD_DIR/bench/spec-modules.txt, NUL-separated, and converted one by
      one (`wat_throughput --modules`); forms that are not plain text
      (binary, quote, definition, instance) are left out here, and those
      Kiln's parser rejects (text that is meant to be malformed) by
      wat_throughput.  Kiln in process only: thousands of wabt processes
      would time process start-up.

Prints figures only; timing never fails anything (exit 1 only if something
could not run at all).  docs/performance.md "Text format throughput" records
the results.
"""

import datetime
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import cpu_model, parse_args, parse_tsv, time_process  # noqa: E402
ROOT = os.path.dirname(HERE)
SUITE_WAST = os.path.join(ROOT, "tests", "spec", "testsuite", "wast")


def load_scanner():
    """The form scanner of tests/fuzz/wat_seeds.py (strings, comments,
    nesting), shared so that the fuzzer's seeds and this set agree."""
    spec = importlib.util.spec_from_file_location(
        "wat_seeds", os.path.join(ROOT, "tests", "fuzz", "wat_seeds.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.scan


def spec_modules(out_path):
    """Writes the suite's text module forms, NUL-separated; returns their
    count and the number of scripts read."""
    import re
    scan = load_scanner()
    mod_re = re.compile(r"\(\s*module\b")
    n = scripts = 0
    with open(out_path, "wb") as out:
        for d, _, files in sorted(os.walk(SUITE_WAST)):
            for name in sorted(files):
                if not name.endswith(".wast"):
                    continue
                scripts += 1
                with open(os.path.join(d, name), encoding="utf-8",
                          errors="surrogateescape") as f:
                    text = f.read()
                for m in mod_re.finditer(text):
                    end = scan(text, m.start())
                    if end is None:
                        continue
                    form = text[m.start():end]
                    words = form[1:].split(None, 3)
                    rest = words[1:]
                    if rest and rest[0].startswith("$"):
                        rest = rest[1:]
                    if rest and rest[0].rstrip(")") in ("binary", "quote", "definition",
                                                        "instance"):
                        continue
                    data = form.encode("utf-8", "surrogateescape")
                    if b"\0" in data:
                        continue
                    out.write(data + b"\0")
                    n += 1
    return n, scripts








def version(cmd):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True).stdout.strip()
    except OSError:
        return "?"


def main(argv):
    build, rounds = parse_args(argv)
    bench = os.path.join(build, "bench")
    wt = os.path.join(bench, "wat_throughput")
    kiln = os.path.join(build, "cli", "kiln")
    if not os.access(wt, os.X_OK):
        print("run_wat: %s not built" % wt, file=sys.stderr)
        return 1
    big = os.path.join(bench, "kiln-bundle.wat")
    spec = os.path.join(bench, "spec-modules.txt")
    nspec, nscripts = spec_modules(spec)

    print("machine: %s, %d vCPU, %s; one thread; %s" % (
        cpu_model(), os.cpu_count() or 0, platform.platform(),
        datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")))
    print("method: %d rounds; a round repeats the conversion for >= 20 ms; median and"
          " minimum per conversion; MB/s = 10^6 bytes of text / median" % rounds)
    print("(b): %d text module forms from %d scripts of %s -> %s" % (
        nspec, nscripts, os.path.relpath(SUITE_WAST, ROOT), spec))
    print()

    # ---- Kiln in process
    rows = {}
    if os.path.isfile(big):
        p = subprocess.run([wt, "--tsv", "--rounds", str(rounds), big],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        rows.update(parse_tsv(p.stdout))
        if p.stderr.strip():
            print(p.stderr.strip())
    else:
        print("run_wat: no %s (needs clang-14 for wasm32-wasi and wabt's wasm2wat):"
              " (a) skipped" % big)
    p = subprocess.run([wt, "--tsv", "--modules", "--rounds", str(rounds), spec],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rows.update(parse_tsv(p.stdout))
    if p.stderr.strip():
        print(p.stderr.strip())

    # ---- processes: Kiln's CLI and wabt, on the large text
    w2w = shutil.which("wat2wasm")
    proc = {}
    with tempfile.NamedTemporaryFile("w", suffix=".wat", delete=False) as f:
        f.write("(module)\n")
        empty = f.name
    try:
        if os.path.isfile(big):
            if os.access(kiln, os.X_OK):
                proc["kiln-start"] = time_process([kiln, "wat2wasm", "--no-check", empty,
                                                   "-o", os.devnull], rounds)
                proc["kiln"] = time_process([kiln, "wat2wasm", "--no-check", big,
                                             "-o", os.devnull], rounds)
            if w2w:
                proc["wabt-start"] = time_process([w2w, "--no-check", empty, "-o", os.devnull],
                                                   rounds)
                proc["wabt"] = time_process([w2w, "--no-check", big, "-o", os.devnull], rounds)
    finally:
        os.unlink(empty)

    # ---- table
    hdr = "%-24s %10s %24s %10s | %9s %8s" % (
        "text", "bytes", "modules", "binary", "Kiln ms", "MB/s")
    print(hdr)
    print("-" * len(hdr))
    for path, label in ((big, "(a) kiln-bundle.wat"), (spec, "(b) spec suite modules")):
        r = rows.get(path)
        if not r:
            continue
        mods = r["modules"]
        if r["invalid"] != "0":
            mods += " (%s invalid)" % r["invalid"]
        if r["skipped"] != "0":
            mods += " +%s rejected" % r["skipped"]
        print("%-24s %10d %24s %10d | %9.3f %8.1f" % (
            label, int(r["bytes"]), mods, int(r["binary_bytes"]),
            float(r["median_s"]) * 1e3, float(r["mb_per_s"])))
    print("(modules: converted and timed; invalid = converted but rejected by validation,"
          " e.g. assert_invalid's; rejected = not converted (malformed text), not timed)")
    print()
    print("Kiln: libkiln of %s, in process (kiln_wat2wasm; the binary freed, not validated)."
          % build)

    r = rows.get(big)
    if r and proc:
        size = int(r["bytes"])
        print()
        print("(a) as whole processes, median of %d runs (start-up = the same command on"
              " `(module)`):" % rounds)
        for key, name in (("kiln", "kiln wat2wasm --no-check"),
                          ("wabt", "wabt wat2wasm --no-check")):
            t = proc.get(key)
            s = proc.get(key + "-start")
            if not t or t[0] is None:
                if t:
                    print("  %s: failed: %s" % (name, t[1][:300]))
                continue
            net = t[0] - (s[0] if s and s[0] else 0)
            print("  %-26s %8.2f ms (start-up %5.2f ms; net %8.2f ms = %6.1f MB/s)" % (
                name, t[0] * 1e3, (s[0] if s and s[0] else 0) * 1e3, net * 1e3,
                size / net / 1e6 if net > 0 else float("nan")))
        if w2w:
            print("  wabt: %s (wat2wasm --version), default features" % version([w2w, "--version"]))
        ww = shutil.which("wasm2wat")
        if ww:
            print("  the text: wasm2wat %s, default options" % version([ww, "--version"]))
    if r:
        print()
        print("headline: Kiln converts %s (%d bytes of text) at %.1f MB/s (median, in process)"
              % (os.path.basename(big), int(r["bytes"]), float(r["mb_per_s"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
