#!/usr/bin/env python3
"""tests/diff/difftest.py — differential testing of Kiln against V8.

For each binary module (default: the core2 group of the spec suite), run
gen_v8.mjs in its own node process with a time limit (a call may loop
forever for some arguments, and V8 cannot interrupt a synchronous call):
it records V8's answers to edge-case calls of every numeric export as a
wast2json script.  Then run `kiln wast` over all scripts: every failure is a
disagreement between the two engines, printed with the module, the export
and the arguments.  Closing line: `N passed, N failed`.

  python3 tests/diff/difftest.py --kiln build/cli/kiln [--group core2] [--out DIR]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def modules(suite, group):
    groups = json.load(open(os.path.join(suite, "groups.json")))
    for wast in groups[group]:
        name = os.path.splitext(os.path.basename(wast))[0]
        d = os.path.join(suite, "json", os.path.dirname(wast), name)
        script = json.load(open(os.path.join(d, name + ".json")))
        for c in script["commands"]:
            # modules the spec expects to instantiate
            if c.get("type") == "module" and c.get("module_type") == "binary":
                yield os.path.join(d, c["filename"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--suite", default=os.path.join(ROOT, "tests", "spec", "testsuite"))
    ap.add_argument("--group", default="core2")
    ap.add_argument("--out", default=None, help="keep the generated scripts here")
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()
    out = a.out or tempfile.mkdtemp(prefix="kiln-diff-")
    os.makedirs(out, exist_ok=True)
    gen = os.path.join(HERE, "gen_v8.mjs")
    timeouts = 0
    for m in modules(a.suite, a.group):
        try:
            subprocess.run(["node", gen, out, m], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=a.timeout)
        except subprocess.TimeoutExpired:
            timeouts += 1
            # drop a half-written script of this module
            j = os.path.join(out, os.path.basename(m)[:-5] + ".json")
            if os.path.exists(j):
                os.remove(j)
    scripts = sorted(os.path.join(out, f) for f in os.listdir(out) if f.endswith(".json"))
    print(f"difftest: {len(scripts)} scripts from V8 ({timeouts} modules timed out under V8 and were left out)")
    env = dict(os.environ)
    env.setdefault("KILN_JIT_PATH", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(a.kiln))), "jit"))
    passed = failed = 0
    for s in scripts:
        try:
            r = subprocess.run([a.kiln, "wast", s], capture_output=True, text=True,
                               env=env, timeout=120)
        except subprocess.TimeoutExpired:
            print(f"  {s}: kiln timed out")
            failed += 1
            continue
        last = [l for l in r.stdout.splitlines() if l.endswith("skipped") and "passed" in l]
        if last:
            nums = [int(t) for t in last[-1].replace(",", "").split() if t.isdigit()]
            passed += nums[0]
            failed += nums[1]
        if r.returncode != 0:
            for l in r.stdout.splitlines():
                if "FAIL" in l or ":" in l and ("expected" in l or "trap" in l):
                    print("  " + l.strip()[:300])
            if r.returncode < 0:
                print(f"  {s}: kiln crashed (signal {-r.returncode})")
                failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
