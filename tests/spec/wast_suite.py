#!/usr/bin/env python3
"""tests/spec/wast_suite.py — a group of the spec suite through `kiln wast`.

Runs `kiln wast --verbose` on every script of a group of groups.json (one
process per script, several at a time, so that a crash is pinned on its
script): the wast2json command lists (json/NAME/NAME.json), or with --text
the .wast scripts themselves (wast/NAME.wast, read by Kiln's own text
parser).  Compares the outcome with two checked-in lists:

  * expected-failures.txt: one line per command known to fail,
    `FILE.wast:LINE reason` (FILE as groups.json names it).  A failing
    command not in the list fails the test; a listed command that now
    passes is reported, so that the list shrinks.  A script that crashes
    or cannot be run fails the test unless it is listed as `FILE.wast:0`.
  * expected-skips.txt: per script and skip reason, the number of skipped
    commands, `FILE.wast: N reason`.  Any difference fails the test, so
    that a change in what is skipped is noticed.

--update rewrites both lists from the current outcome (reasons of failures
are kiln's messages; edit them if a better explanation is known).

Closing line: `N passed, N failed, N skipped` over the whole group, and the
verdict.  Exit status 0 when the outcome matches the lists, 1 otherwise, 2
on a usage error.  Standard library only.
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUMMARY_RE = re.compile(r"^(.*): (\d+) passed, (\d+) failed, (\d+) skipped$")
SKIP_RE = re.compile(r"^  skipped (\d+): (.*)$")


def json_path(suite, wast):
    stem = wast[:-len(".wast")]
    base = stem.rsplit("/", 1)[-1]
    return os.path.join(suite, "json", stem, base + ".json")


POOL_RE = re.compile(r"^pool: (\d+) slots, warm (\d+), cold (\d+), fallbacks (\d+)$")
SERIAL_RE = re.compile(r"^serialize: (\d+) modules run from their artifacts$")


def run_one(kiln, suite, wast, timeout, text, pool=0, gc_stress=False, serialize=False):
    """Returns (wast, result dict)."""
    path = (os.path.join(suite, "wast", wast) if text
            else json_path(suite, wast))
    res = {"failures": {}, "skips": {}, "passed": 0, "failed": 0,
           "skipped": 0, "error": None, "pool": (0, 0, 0), "serialized": 0}
    opts = ((["--pool", str(pool)] if pool else []) + (["--gc-stress"] if gc_stress else []) +
            (["--serialize"] if serialize else []))
    try:
        p = subprocess.run([kiln, "wast", "--verbose"] + opts + [path],
                           capture_output=True, text=True, timeout=timeout,
                           errors="replace")
    except subprocess.TimeoutExpired:
        res["error"] = "timed out after %ds" % timeout
        return wast, res
    prefix = "  " + path + ":"
    summary = False
    for line in p.stdout.splitlines():
        m = POOL_RE.match(line)
        if m:
            res["pool"] = (int(m.group(2)), int(m.group(3)), int(m.group(4)))
            continue
        m = SERIAL_RE.match(line)
        if m:
            res["serialized"] = int(m.group(1))
            continue
        m = SUMMARY_RE.match(line)
        if m and m.group(1) == path:
            res["passed"], res["failed"], res["skipped"] = (
                int(m.group(2)), int(m.group(3)), int(m.group(4)))
            summary = True
            continue
        m = SKIP_RE.match(line)
        if m:
            res["skips"][m.group(2)] = int(m.group(1))
            continue
        if line.startswith(prefix):
            rest = line[len(prefix):]
            num, _, what = rest.partition(": ")
            if not num.isdigit():
                continue
            ctype, _, msg = what.partition(": ")
            if msg.startswith("skipped: ") or msg.startswith("note: "):
                continue
            key = "%s:%s" % (wast, num)
            # several failing commands on one line keep the first message
            res["failures"].setdefault(key, "%s: %s" % (ctype, msg))
    if not summary:
        if p.returncode < 0:
            res["error"] = "kiln crashed (signal %d)" % -p.returncode
        else:
            res["error"] = "no summary line (exit %d): %s" % (
                p.returncode, p.stderr.strip()[:300])
    return wast, res


def list_entries(path):
    """The entries of an expected-* list: its lines but blanks and comments
    (none if the file does not exist)."""
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.strip() and not line.startswith("#"):
                yield line


def read_failures(path):
    out = {}
    for line in list_entries(path):
        key, _, reason = line.partition(" ")
        out[key] = reason
    return out


def read_skips(path):
    out = {}
    for line in list_entries(path):
        wast, _, rest = line.partition(": ")
        count, _, reason = rest.partition(" ")
        out[(wast, reason)] = int(count)
    return out


def line_key(key):
    wast, _, num = key.rpartition(":")
    return (wast, int(num) if num.isdigit() else 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--suite", default=os.path.join(HERE, "testsuite"))
    ap.add_argument("--group", default="core2")
    ap.add_argument("--expected-failures",
                    default=os.path.join(HERE, "expected-failures.txt"))
    ap.add_argument("--expected-skips",
                    default=os.path.join(HERE, "expected-skips.txt"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=int, default=300,
                    help="seconds per script")
    ap.add_argument("--text", action="store_true",
                    help="run the .wast scripts instead of the JSON")
    ap.add_argument("--pool", type=int, default=0,
                    help="instantiate through a pool of this many slots "
                         "(kiln wast --pool); fails if no instance took a slot")
    ap.add_argument("--gc-stress", action="store_true",
                    help="collect at every GC allocation (kiln wast --gc-stress)")
    ap.add_argument("--serialize", action="store_true",
                    help="run every module from its serialized form (kiln wast "
                         "--serialize); fails if no module was")
    ap.add_argument("--update", action="store_true",
                    help="rewrite both lists from the current outcome")
    args = ap.parse_args()
    if not os.access(args.kiln, os.X_OK):
        print("error: %s: not an executable" % args.kiln, file=sys.stderr)
        return 2
    with open(os.path.join(args.suite, "groups.json"), encoding="utf-8") as f:
        groups = json.load(f)
    if args.group not in groups:
        print("error: no group '%s' in groups.json" % args.group,
              file=sys.stderr)
        return 2
    scripts = groups[args.group]

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futs = [pool.submit(run_one, args.kiln, args.suite, w, args.timeout,
                            args.text, args.pool, args.gc_stress, args.serialize)
                for w in scripts]
        for fut in concurrent.futures.as_completed(futs):
            wast, res = fut.result()
            results[wast] = res

    failures = {}
    skips = {}
    errored = set()
    passed = failed = skipped = 0
    for wast in scripts:
        res = results[wast]
        passed += res["passed"]
        failed += res["failed"]
        skipped += res["skipped"]
        failures.update(res["failures"])
        if res["error"]:
            failures["%s:0" % wast] = "script: " + res["error"]
            errored.add(wast)  # its skips are unknown: not compared
            continue
        for reason, n in res["skips"].items():
            skips[(wast, reason)] = n

    text_note = "\n# when run on the .wast scripts (--text)" if args.text else ""
    if args.update:
        with open(args.expected_failures, "w", encoding="utf-8") as f:
            f.write("# Commands of the %s group that `kiln wast` fails%s, as\n"
                    "# FILE.wast:LINE reason (tests/spec/wast_suite.py).\n"
                    % (args.group, text_note))
            for key in sorted(failures, key=line_key):
                f.write("%s %s\n" % (key, failures[key]))
        for key, n in read_skips(args.expected_skips).items():
            if key[0] in errored:  # keep what is known of unrun scripts
                skips[key] = n
        with open(args.expected_skips, "w", encoding="utf-8") as f:
            f.write("# Commands of the %s group that `kiln wast` skips%s, per\n"
                    "# script and reason: FILE.wast: N reason\n"
                    "# (tests/spec/wast_suite.py).\n" % (args.group, text_note))
            for (wast, reason) in sorted(skips):
                f.write("%s: %d %s\n" % (wast, skips[(wast, reason)], reason))
        print("wrote %s (%d entries) and %s (%d entries)" % (
            args.expected_failures, len(failures), args.expected_skips,
            len(skips)))

    want_fail = read_failures(args.expected_failures)
    want_skip = read_skips(args.expected_skips)
    new = sorted((k for k in failures if k not in want_fail), key=line_key)
    fixed = sorted((k for k in want_fail if k not in failures), key=line_key)
    skip_diff = []
    for key in sorted(set(skips) | set(want_skip)):
        if key[0] in errored:
            continue
        if skips.get(key, 0) != want_skip.get(key, 0):
            skip_diff.append((key, want_skip.get(key, 0), skips.get(key, 0)))

    for k in new:
        print("NEW FAILURE %s %s" % (k, failures[k]))
    for (wast, reason), want, got in skip_diff:
        print("SKIPS CHANGED %s: %s: expected %d, got %d" % (
            wast, reason, want, got))
    for k in fixed:
        print("NOW PASSES %s (remove it from %s)" % (
            k, os.path.basename(args.expected_failures)))
    pool_ok = True
    if args.pool:
        warm = sum(r["pool"][0] for r in results.values())
        cold = sum(r["pool"][1] for r in results.values())
        fallbacks = sum(r["pool"][2] for r in results.values())
        pool_ok = warm + cold > 0
        print("pool: %d instantiations in pool slots (warm %d, cold %d), %d on "
              "demand (fallbacks)%s" % (warm + cold, warm, cold, fallbacks,
                                        "" if pool_ok else ": POOL NOT USED"))
    serial_ok = True
    if args.serialize:
        n = sum(r["serialized"] for r in results.values())
        serial_ok = n > 0
        print("serialize: %d modules run from their artifacts%s" % (
            n, "" if serial_ok else ": NONE"))
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    ok = not new and not skip_diff and pool_ok and serial_ok
    print("%s: %d new failures, %d skip counts changed, %d listed failures "
          "now pass" % ("OK" if ok else "FAIL", len(new), len(skip_diff),
                        len(fixed)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
