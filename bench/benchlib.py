"""bench/benchlib.py — what the bench/run_*.py drivers share: reading the
TSV the timing programs print, naming the CPU, timing a whole process.
Standard library only."""

import platform
import statistics
import subprocess
import time


def parse_args(argv):
    """[--rounds N] [BUILD_DIR]: the build directory (default "build") and
    the number of rounds (default 20)."""
    build, rounds, i = "build", 20, 0
    while i < len(argv):
        if argv[i] == "--rounds" and i + 1 < len(argv):
            rounds = int(argv[i + 1])
            i += 2
            continue
        build = argv[i]
        i += 1
    return build, rounds


def parse_tsv(text):
    """Rows of a TSV with a header line, keyed by their first column."""
    rows = {}
    lines = [l for l in text.splitlines() if l.strip()]
    if not lines:
        return rows
    head = lines[0].split("\t")
    for l in lines[1:]:
        cols = l.split("\t")
        if len(cols) == len(head):
            rows[cols[0]] = dict(zip(head, cols))
    return rows


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for l in f:
                if l.startswith("model name"):
                    return l.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def time_process(cmd, runs):
    """Median and minimum wall time of `runs` runs of cmd (one warm-up run
    first, not counted); (None, stderr) if it fails."""
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ts.append(time.perf_counter() - t0)
        if p.returncode != 0:
            return None, p.stderr.decode(errors="replace").strip()
    return statistics.median(ts), min(ts)
