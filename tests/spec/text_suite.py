#!/usr/bin/env python3
"""tests/spec/text_suite.py — Kiln's text parser against the spec suite's binaries.

For every group of groups.json and every script of the group, converts each
module form of the .wast with `kiln wat2wasm --wast` (one process per script;
modules are keyed by the line of the script command that holds them) and
checks the wast2json command list against it:

  * every command carrying a binary module (`.wasm`) other than
    assert_malformed — module, module_definition, assert_invalid,
    assert_unlinkable, assert_uninstantiable, assert_trap, assert_exhaustion
    — must convert to the same bytes as the .wasm, custom sections dropped
    from both ("identical"); otherwise the module is "different" (or "text"
    if Kiln rejected the text);
  * every text assert_malformed (a `.wat` file: `(module quote ...)`) must be
    rejected by Kiln's parser, decoder or validator.

Prints per group and in total: modules identical / total, malformed
rejected / total; then `N passed, N failed`.  With --verbose, lists every
failure.  Exit status 1 if anything failed, 2 on a usage error.  Standard
library only.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.join(HERE, "testsuite")
BINARY_CMDS = {"module", "module_definition", "assert_invalid",
               "assert_unlinkable", "assert_uninstantiable", "assert_trap",
               "assert_exhaustion", "assert_return", "assert_exception"}


def read_leb(b, i):
    r = sh = 0
    while True:
        if i >= len(b):
            raise ValueError("truncated")
        c = b[i]
        i += 1
        r |= (c & 0x7f) << sh
        sh += 7
        if not c & 0x80:
            return r, i


def strip_custom(b):
    """The module without its custom sections (unchanged if unparsable)."""
    if len(b) < 8:
        return b
    out = bytearray(b[:8])
    i = 8
    try:
        while i < len(b):
            sid = b[i]
            n, j = read_leb(b, i + 1)
            if sid != 0:
                out += b[i:j + n]
            i = j + n
    except ValueError:
        return b
    return bytes(out)


def convert(kiln, wast, outdir):
    """{line: (command, status, detail)} from `kiln wat2wasm --wast`."""
    p = subprocess.run([kiln, "wat2wasm", "--wast", wast, "-o", outdir],
                       capture_output=True, text=True, errors="replace",
                       timeout=600)
    res = {}
    for ln in p.stdout.splitlines():
        parts = ln.split(" ", 3)
        if len(parts) < 3 or not parts[0].isdigit():
            continue
        res[int(parts[0])] = (parts[1], parts[2],
                              parts[3] if len(parts) > 3 else "")
    if p.returncode < 0:
        res["crash"] = p.returncode
    return res


def check_script(kiln, rel):
    name = os.path.splitext(rel)[0]
    wast = os.path.join(SUITE, "wast", rel)
    jdir = os.path.join(SUITE, "json", name)
    jpath = os.path.join(jdir, os.path.basename(name) + ".json")
    r = {"mod_ok": 0, "mod_div": 0, "mod_total": 0, "mal_ok": 0, "mal_total": 0,
         "failures": []}
    if not os.path.exists(jpath):
        r["failures"].append(f"{rel}: no JSON")
        return r
    with open(jpath) as f:
        cmds = json.load(f)["commands"]
    with tempfile.TemporaryDirectory(prefix="kiln-text-") as tmp:
        res = convert(kiln, wast, tmp)
        if "crash" in res:
            r["failures"].append(f"{rel}: kiln crashed (signal {-res['crash']})")
        for c in cmds:
            fn = c.get("filename")
            if not fn:
                continue
            line = c["line"]
            got = res.get(line)
            where = f"{rel}:{line}"
            if c["type"] == "assert_malformed":
                if not fn.endswith(".wat"):
                    continue
                r["mal_total"] += 1
                if got and got[1] in ("text", "invalid"):
                    r["mal_ok"] += 1
                else:
                    r["failures"].append(
                        f"{where}: malformed text accepted"
                        + ("" if got else " (no module found)"))
                continue
            if not fn.endswith(".wasm") or c["type"] not in BINARY_CMDS:
                continue
            r["mod_total"] += 1
            if not got:
                r["failures"].append(f"{where}: no module found at this line")
                continue
            if got[1] == "text":
                r["failures"].append(f"{where}: text rejected: {got[2]}")
                continue
            try:
                with open(os.path.join(tmp, f"{line}.wasm"), "rb") as f:
                    mine = f.read()
                with open(os.path.join(jdir, fn), "rb") as f:
                    ref = f.read()
            except OSError as e:
                r["failures"].append(f"{where}: {e}")
                continue
            same = strip_custom(mine) == strip_custom(ref)
            if where in DIVERGENCES:
                if same:
                    r["failures"].append(f"{where}: listed as divergent but identical: "
                                         "remove it from text-divergences.txt")
                else:
                    r["mod_div"] += 1
            elif same:
                r["mod_ok"] += 1
            else:
                r["failures"].append(f"{where}: different from {fn}")
    return r


def read_divergences(path):
    """SCRIPT.wast:LINE keys of tests/spec/text-divergences.txt."""
    out = set()
    try:
        with open(path) as f:
            for l in f:
                l = l.strip()
                if l and not l.startswith("#"):
                    out.add(l.split(": ", 1)[0])
    except OSError:
        pass
    return out


DIVERGENCES = read_divergences(os.path.join(HERE, "text-divergences.txt"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", default=os.environ.get("KILN", "kiln"),
                    help="the kiln binary (default: $KILN or kiln)")
    ap.add_argument("--group", action="append", help="only these groups")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    with open(os.path.join(SUITE, "groups.json")) as f:
        groups = json.load(f)
    names = args.group or list(groups)
    for g in names:
        if g not in groups:
            print(f"unknown group {g}", file=sys.stderr)
            return 2
    scripts = sorted({s for g in names for s in groups[g]})
    with concurrent.futures.ThreadPoolExecutor(args.j) as ex:
        results = dict(zip(scripts, ex.map(lambda s: check_script(args.kiln, s),
                                           scripts)))
    tot = {"mod_ok": 0, "mod_div": 0, "mod_total": 0, "mal_ok": 0, "mal_total": 0}
    print(f"{'group':<14} {'modules identical (+ listed)':>28} {'malformed rejected':>20}")
    for g in names:
        s = {"mod_ok": 0, "mod_div": 0, "mod_total": 0, "mal_ok": 0, "mal_total": 0}
        for sc in groups[g]:
            for k in s:
                s[k] += results[sc][k]
        print(f"{g:<14} {s['mod_ok']:>9} (+{s['mod_div']}) / {s['mod_total']:<8} "
              f"{s['mal_ok']:>9} / {s['mal_total']:<8}")
    for sc in scripts:  # each script once, even if in several groups
        for k in tot:
            tot[k] += results[sc][k]
    print(f"{'total':<14} {tot['mod_ok']:>9} (+{tot['mod_div']}) / {tot['mod_total']:<8} "
          f"{tot['mal_ok']:>9} / {tot['mal_total']:<8}")
    if tot["mod_div"]:
        print(f"(+N: modules listed in tests/spec/text-divergences.txt, where the "
              f"suite's binary departs from the reference interpreter)")
    if args.verbose:
        for sc in scripts:
            for f in results[sc]["failures"]:
                print("FAIL", f)
    passed = tot["mod_ok"] + tot["mod_div"] + tot["mal_ok"]
    failed = tot["mod_total"] + tot["mal_total"] - passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
