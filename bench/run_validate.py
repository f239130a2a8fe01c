#!/usr/bin/env python3
"""bench/run_validate.py — the validation-throughput benchmark with peers.

    python3 bench/run_validate.py [BUILD_DIR] [--rounds N]

Times the validation of the same modules by
  * Kiln: BUILD_DIR/bench/validate_throughput (kiln_module_validate_ex, in
    process, calibrated rounds, median);
  * V8: `WebAssembly.validate` in one node process, same method
    (bench/validate_node.mjs), if node is installed;
  * wabt: `wasm-validate FILE` as a whole process per run (process start and
    file reading included; its start-up on an empty module is shown too), if
    installed.
The modules: BUILD_DIR/bench/kiln-bundle.wasm (Kiln's own front end and
all bench programs compiled to wasm32-wasi: the large one) and the bench
programs one by one.

Then, as reference figures for the execution benchmarks Kiln will run once
it executes code: each bench program natively (clang-14 -O2) and under
Node's WASI, with their checksums compared.

Prints figures only; timing never fails anything (exit 1 only if something
could not run at all).  docs/performance.md records the results.
"""

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from benchlib import cpu_model, parse_args, parse_tsv, time_process  # noqa: E402
PROGRAMS = ["fib", "matmul", "nbody", "sha256", "sieve", "sort", "strings"]








def main(argv):
    build, rounds = parse_args(argv)
    bench = os.path.join(build, "bench")
    vt = os.path.join(bench, "validate_throughput")
    if not os.access(vt, os.X_OK):
        print("run_validate: %s not built" % vt, file=sys.stderr)
        return 1
    mods = [os.path.join(bench, "kiln-bundle.wasm")] + \
        [os.path.join(bench, p + ".wasm") for p in PROGRAMS]
    mods = [m for m in mods if os.path.isfile(m)]
    if not mods:
        print("run_validate: no modules in %s (clang-14 / wasi-libc missing?)" % bench,
              file=sys.stderr)
        return 1

    print("machine: %s, %d vCPU, %s; one thread" % (cpu_model(), os.cpu_count() or 0,
                                                  platform.platform()))
    print("method: %d rounds per module; a round repeats the validation for >= 20 ms;"
          " median and minimum per validation; MB/s = 10^6 bytes / median" % rounds)
    print()

    # ---- Kiln
    p = subprocess.run([vt, "--tsv", "--rounds", str(rounds)] + mods,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    kiln = parse_tsv(p.stdout)
    if p.stderr.strip():
        print(p.stderr.strip())

    # ---- V8 (node)
    node = shutil.which("node")
    v8, node_ver = {}, None
    if node:
        node_ver = subprocess.run([node, "--version"], stdout=subprocess.PIPE,
                                  text=True).stdout.strip()
        p = subprocess.run([node, os.path.join(HERE, "validate_node.mjs"), "--rounds",
                            str(rounds)] + mods, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        v8 = parse_tsv(p.stdout)
        if p.returncode != 0:
            print("node: " + p.stderr.strip()[:500])

    # ---- wabt (whole process)
    wv = shutil.which("wasm-validate")
    wabt, wabt_start, wabt_ver = {}, None, None
    if wv:
        wabt_ver = subprocess.run([wv, "--version"], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True).stdout.strip()
        with tempfile.NamedTemporaryFile(suffix=".wasm", delete=False) as f:
            f.write(b"\0asm\1\0\0\0")
            empty = f.name
        try:
            wabt_start = time_process([wv, empty], rounds)
        finally:
            os.unlink(empty)
        for m in mods:
            wabt[m] = time_process([wv, "--enable-all", m], rounds)

    # ---- table
    hdr = "%-22s %9s | %9s %8s | %9s %8s %7s | %9s %7s" % (
        "module", "bytes", "Kiln ms", "MB/s", "V8 ms", "MB/s", "Kiln/V8",
        "wabt ms", "Kiln/wabt")
    print(hdr)
    print("-" * len(hdr))
    for m in mods:
        k = kiln.get(m)
        size = int(k["bytes"]) if k else os.path.getsize(m)
        kms = float(k["median_s"]) * 1e3 if k else None
        row = "%-22s %9d | " % (os.path.basename(m), size)
        row += ("%9.3f %8.1f | " % (kms, float(k["mb_per_s"]))) if k else "%9s %8s | " % ("-", "-")
        v = v8.get(m)
        if v:
            vms = float(v["median_s"]) * 1e3
            ratio = ("%6.2fx" % (vms / kms)) if kms else "-"
            row += "%9.3f %8.1f %7s | " % (vms, float(v["mb_per_s"]), ratio)
        else:
            row += "%9s %8s %7s | " % ("-", "-", "-")
        w = wabt.get(m)
        if w and w[0] is not None:
            wms = w[0] * 1e3
            row += "%9.2f %7s" % (wms, ("%6.2fx" % (wms / kms)) if kms else "-")
        else:
            row += "%9s %7s" % ("-", "-")
        print(row)
    print()
    print("Kiln/V8 and Kiln/wabt: how many times faster Kiln is (peer time / Kiln time;"
          " below 1 means slower).")
    print("Kiln: libkiln %s, in process (kiln_module_validate_ex)." % build)
    print("V8: %s, WebAssembly.validate in one process." % (
        "node " + node_ver if node_ver else "node not installed: skipped"))
    if wv:
        print("wabt: wasm-validate %s --enable-all, a whole process per run (start-up on an"
              " empty module: median %.2f ms), so it is not an in-process figure." % (
                  wabt_ver, wabt_start[0] * 1e3 if wabt_start and wabt_start[0] else float("nan")))
    else:
        print("wabt: wasm-validate not installed: skipped.")
    big = kiln.get(mods[0])
    if big:
        print()
        print("headline: Kiln validates %s (%d bytes) at %.1f MB/s (median; target >= 100 MB/s)"
              % (os.path.basename(mods[0]), int(big["bytes"]), float(big["mb_per_s"])))

    # ---- execution reference
    print()
    print("WASI programs, native clang-14 -O2 vs V8 (Node WASI); Kiln has no WASI yet, its"
          " compiled-code figures are the freestanding kernels of bench/compute.c")
    hdr = "%-10s %10s %10s %8s  %s" % ("program", "native s", "V8 s", "V8/nat", "checksums")
    print(hdr)
    print("-" * len(hdr))
    for prog in PROGRAMS:
        nat = os.path.join(bench, prog)
        wasm = os.path.join(bench, prog + ".wasm")
        if not (os.access(nat, os.X_OK) and os.path.isfile(wasm)):
            continue
        t0 = time.perf_counter()
        pn = subprocess.run([nat], stdout=subprocess.PIPE, text=True)
        tn = time.perf_counter() - t0
        cn = [l for l in pn.stdout.splitlines() if l.startswith("checksum")]
        tv, cv = None, []
        if node:
            pv = subprocess.run([node, "--no-warnings", os.path.join(HERE, "run_wasi.mjs"), wasm],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            cv = [l for l in pv.stdout.splitlines() if l.startswith("checksum")]
            for l in pv.stderr.splitlines():
                if l.startswith("time_s "):
                    tv = float(l.split()[1])
        same = "match" if cn and cn == cv else ("native only" if not node else "DIFFER")
        print("%-10s %10.3f %10s %8s  %s %s" % (
            prog, tn, "%.3f" % tv if tv else "-", "%.2f" % (tv / tn) if tv else "-",
            cn[0].split()[-1] if cn else "?", same))
    print("(native: whole process; V8: the program's run inside node, compilation"
          " excluded where V8 compiles eagerly)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
