#!/usr/bin/env python3
"""tests/spec/validate_suite.py — the spec suite's binary modules through `kiln validate`.

For every group of groups.json and every script of the group, reads the
wast2json command list and checks each command that carries a binary module:

  * assert_invalid / assert_malformed      -> the module must be rejected;
  * every other command with a module       -> the module must be accepted
    (module, module_definition, assert_unlinkable, assert_uninstantiable,
    assert_trap / assert_exhaustion with a module: they fail later, at link
    or run time, never at validation).

Text modules (`module_type: "text"`, the .wat files of assert_malformed) go
to `kiln validate` like the binaries: it reads them with Kiln's own text
parser, and a syntax error (`error: FILE.wat:LINE:COL: message`) counts as a
rejection in the malformed category.  The converter's `skip` commands are
counted as skipped, with a reason, and listed — never dropped silently.

For rejected modules two figures are informational (they do not fail the
test): the category (malformed vs invalid, as the command expects) and the
message (see MESSAGE_RULE).

Modules are validated in batches, many files per `kiln validate` process.
A batch that crashes, hangs or prints something that is not an error line of
one of its files is re-run one file per process, so that a crash is pinned on
its file and counted as that file's failure.

Closing line: `N passed, N failed, N skipped`. Exit status 1 if any failed,
2 on a usage error or a missing kiln binary.  Standard library only.
"""

import argparse
import atexit
import concurrent.futures
import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_SUITE = os.path.join(REPO, "tests", "spec", "testsuite")
DEFAULT_KILN = os.path.join(REPO, "build", "cli", "kiln")

REJECT_TYPES = {"assert_invalid", "assert_malformed"}
KINDS = ("malformed module", "invalid module", "unsupported module")
SKIP_REASON = "converter could not express the command (wast2json 'skip')"
MESSAGE_RULE = ("a rejection's message matches when our message (with any "
                "': detail') starts with the expected text — the reference "
                "interpreter's rule — or the expected text starts with our "
                "message without its detail; case-sensitive")

GROUP_TITLES = {
    "core2": "core 2.0",
    "simd": "simd",
    "gc": "gc and typed refs",
    "tail-call": "tail calls",
    "script": "script syntax",
    "exceptions": "exceptions",
    "memory64": "memory64",
    "multi-memory": "multi-memory",
    "relaxed-simd": "relaxed simd",
}

# One error line of `kiln validate`:
#   error: FILE: <kind>: <message>[: <detail>] at offset 0xNN (<where>)
# FILE may itself contain ": ", so the line is split at every place where a
# kind follows and the prefix is looked up among the batch's file names.
KIND_RE = re.compile(r": (%s): " % "|".join(re.escape(k) for k in KINDS))
TAIL_RE = re.compile(r" at offset 0x[0-9a-fA-F]+ \([^()]*\)$")
# A syntax error in a text module: error: FILE.wat:LINE:COL: <message>
TEXT_RE = re.compile(r"^(.*\.wat):\d+:\d+: (.*)$")


class Module:
    """One command that carries a module, and what became of it."""

    __slots__ = ("group", "script", "line", "ctype", "filename", "path",
                 "expect", "text", "status", "kind", "message", "reason")

    def __init__(self, group, script, line, ctype, filename, path, text):
        self.group = group
        self.script = script          # e.g. "simd/simd_address.wast"
        self.line = line              # line of the command in the .wast
        self.ctype = ctype            # command type
        self.filename = filename      # as named by the command
        self.path = path              # relative to the json root
        self.expect = "rejected" if ctype in REJECT_TYPES else "accepted"
        self.text = text              # expected message of assertions
        self.status = None            # "pass" | "fail" | "skip"
        self.kind = None              # our kind, when rejected
        self.message = None           # our message (kind stripped), when rejected
        self.reason = None            # why skipped / why failed

    def label(self):
        return "%s:%s %s %s" % (self.script, self.line, self.ctype, self.filename)


def printable(s):
    """A file name or message made safe to print on one line."""
    return s.encode("unicode_escape", "backslashreplace").decode("ascii") \
        if any(ord(c) < 32 or ord(c) == 127 for c in s) else s


def json_path(suite, wast):
    """wast/DIR/NAME.wast lives as json/DIR/NAME/NAME.json."""
    d, base = os.path.split(wast)
    name = base[:-5] if base.endswith(".wast") else base
    return os.path.join(suite, "json", d, name, name + ".json")


def load(suite, groups, only):
    """All module commands of the selected groups, plus problems found."""
    modules, problems, scripts = [], [], {}
    for group, files in groups.items():
        if only and group not in only:
            continue
        scripts[group] = list(files)
        for wast in files:
            jp = json_path(suite, wast)
            try:
                with open(jp, encoding="utf-8") as f:
                    cmds = json.load(f).get("commands", [])
            except (OSError, ValueError) as e:
                problems.append((group, wast, "cannot read command list %s: %s"
                                 % (os.path.relpath(jp, suite), e)))
                continue
            jdir = os.path.relpath(os.path.dirname(jp), os.path.join(suite, "json"))
            for cmd in cmds:
                if not isinstance(cmd, dict):
                    continue
                ctype = str(cmd.get("type", "?"))
                line = cmd.get("line", "?")
                if ctype == "skip":
                    m = Module(group, wast, line, ctype, "(none)", None, None)
                    m.status, m.reason = "skip", SKIP_REASON
                    modules.append(m)
                    continue
                fn = cmd.get("filename")
                if not isinstance(fn, str):
                    continue
                m = Module(group, wast, line, ctype, fn,
                           os.path.normpath(os.path.join(jdir, fn)), cmd.get("text"))
                mt = cmd.get("module_type", "binary")
                if mt == "text":
                    m.path = unwrapped(os.path.join(suite, "json", m.path), m.path)
                elif mt != "binary":
                    m.status, m.reason = "skip", "unknown module_type %r" % mt
                modules.append(m)
    return modules, problems, scripts


_unwrap_dir = None


def unwrapped(path, rel):
    """The converter writes `(module quote "TEXT")` as "(module TEXT)",
    which nests a second module form when TEXT is one (the spec allows
    `(module quote "(module ...)")`) and would make such texts malformed
    for the wrong reason.  For those, a copy holding TEXT alone (in a
    temporary directory) is validated instead; other paths are returned
    as they are.  cli/wast.c's converter_unwrap does the same."""
    global _unwrap_dir
    try:
        with open(path, "rb") as f:
            t = f.read()
    except OSError:
        return rel
    head = b"(module "
    if not (t.startswith(head) and t.endswith(b")")
            and t[len(head):].lstrip(b" \t\r\n").startswith(b"(module")):
        return rel
    if _unwrap_dir is None:
        _unwrap_dir = tempfile.mkdtemp(prefix="kiln-validate-")
        atexit.register(shutil.rmtree, _unwrap_dir, True)
    out = os.path.join(_unwrap_dir, rel.replace(os.sep, "_"))
    with open(out, "wb") as f:
        f.write(t[len(head):-1])
    return out


def run_kiln(kiln, jsonroot, paths, timeout):
    """Runs one `kiln validate` over paths (relative to jsonroot).

    Returns (returncode or None on timeout, stderr text, stdout text)."""
    # "./" keeps a name that begins with '-' from being read as an option.
    args = [kiln, "validate"] + [os.path.join(".", p) for p in paths]
    try:
        p = subprocess.run(args, cwd=jsonroot, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
    except subprocess.TimeoutExpired as e:
        err = e.stderr or b""
        return None, err.decode("utf-8", "surrogateescape"), ""
    return (p.returncode, p.stderr.decode("utf-8", "surrogateescape"),
            p.stdout.decode("utf-8", "surrogateescape"))


def parse_lines(stderr, names):
    """Maps the batch's file names to (kind, message); also returns the lines
    that are not an error line of one of those names."""
    found, stray = {}, []
    for raw in stderr.split("\n"):
        if raw == "":
            continue
        hit = None
        if raw.startswith("error: "):
            body = raw[len("error: "):]
            for mk in KIND_RE.finditer(body):
                name = body[:mk.start()]
                if name in names and name not in found:
                    rest = body[mk.end():]
                    t = TAIL_RE.search(rest)
                    hit = (name, mk.group(1), rest[:t.start()] if t else rest)
                    break
            if not hit:
                t = TEXT_RE.match(body)
                if t and t.group(1) in names and t.group(1) not in found:
                    hit = (t.group(1), "malformed module", t.group(2))
        if hit:
            found[hit[0]] = (hit[1], hit[2])
        else:
            stray.append(raw)
    return found, stray


def describe_rc(rc):
    if rc is None:
        return "timed out"
    if rc < 0:
        return "killed by signal %d" % -rc
    return "exit status %d" % rc


def check_batch(kiln, jsonroot, batch, timeout, solo=False):
    """Validates a batch of modules; returns {path: (kind, message) | None}
    and {path: failure reason} for files whose run went wrong."""
    paths = [m.path for m in batch]
    names = {os.path.join(".", p): p for p in paths}
    rc, err, _ = run_kiln(kiln, jsonroot, paths, timeout)
    found, stray = parse_lines(err, names)
    sane = rc in (0, 1) and not stray and (rc == 1) == bool(found)
    if sane:
        return {names[n]: v for n, v in found.items()}, {}
    if solo or len(batch) == 1:
        p = paths[0]
        sanitizer = any("Sanitizer" in s or "runtime error:" in s for s in stray)
        mk = KIND_RE.search(err)
        if rc == 1 and mk and not sanitizer:
            # One file per process: whatever the error line looks like (a
            # name with a newline in it splits it), it is this file's.
            rest = err[mk.end():].split("\n", 1)[0]
            t = TAIL_RE.search(rest)
            return {p: (mk.group(1), rest[:t.start()] if t else rest)}, {}
        detail = "; ".join(printable(s) for s in stray[:3])
        return {}, {p: "kiln %s%s" % (describe_rc(rc),
                                      (": " + detail[:300]) if detail else "")}
    results, broken = {}, {}
    for m in batch:
        r, b = check_batch(kiln, jsonroot, [m], timeout, solo=True)
        results.update(r)
        broken.update(b)
    return results, broken


def message_matches(expected, ours):
    if expected is None or ours is None:
        return False
    base = ours.split(": ", 1)[0]
    return ours.startswith(expected) or (base != "" and expected.startswith(base))


def batches(items, max_files, max_chars):
    cur, size = [], 0
    for m in items:
        n = len(os.fsencode(m.path)) + 3
        if cur and (len(cur) >= max_files or size + n > max_chars):
            yield cur
            cur, size = [], 0
        cur.append(m)
        size += n
    if cur:
        yield cur


class Tally:
    __slots__ = ("scripts", "acc_ok", "acc", "rej_ok", "rej", "skipped",
                 "cat_ok", "msg_ok", "failed")

    def __init__(self):
        self.scripts = 0
        self.acc_ok = self.acc = self.rej_ok = self.rej = self.skipped = 0
        self.cat_ok = self.msg_ok = self.failed = 0

    def add(self, o):
        for k in self.__slots__:
            setattr(self, k, getattr(self, k) + getattr(o, k))


def pct(a, b):
    return "%.1f%%" % (100.0 * a / b) if b else "-"


def main(argv):
    ap = argparse.ArgumentParser(
        description="Check every binary module of the spec test suite with "
                    "`kiln validate` (accepted / rejected as the suite expects).")
    ap.add_argument("--kiln", default=DEFAULT_KILN,
                    help="the kiln binary (default: build/cli/kiln)")
    ap.add_argument("--suite", default=DEFAULT_SUITE,
                    help="the test suite (default: tests/spec/testsuite)")
    ap.add_argument("--group", action="append", default=[],
                    help="only this group of groups.json (repeatable)")
    ap.add_argument("--markdown", metavar="FILE",
                    help="also write the results as a Markdown page")
    ap.add_argument("--verbose", "-v", action="store_true",
                    help="list every failing file, every mismatch and every skipped file")
    ap.add_argument("--limit", type=int, default=40,
                    help="how many failures / mismatches to list without --verbose")
    ap.add_argument("--batch", type=int, default=300,
                    help="files per kiln process (default 300)")
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                    help="kiln processes run at once")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds one kiln process may take")
    args = ap.parse_args(argv)

    kiln = os.path.abspath(args.kiln)
    suite = os.path.abspath(args.suite)
    if not (os.path.isfile(kiln) and os.access(kiln, os.X_OK)):
        print("validate_suite: no kiln binary at %s (build first)" % kiln, file=sys.stderr)
        return 2
    try:
        with open(os.path.join(suite, "groups.json"), encoding="utf-8") as f:
            groups = json.load(f)
    except (OSError, ValueError) as e:
        print("validate_suite: cannot read %s/groups.json: %s" % (suite, e), file=sys.stderr)
        return 2
    if not isinstance(groups, dict) or not all(isinstance(v, list) for v in groups.values()):
        print("validate_suite: groups.json is not {group: [files]}", file=sys.stderr)
        return 2
    unknown = [g for g in args.group if g not in groups]
    if unknown:
        print("validate_suite: unknown group(s) %s; groups.json has: %s"
              % (", ".join(unknown), ", ".join(groups)), file=sys.stderr)
        return 2

    t0 = time.monotonic()
    modules, problems, scripts = load(suite, groups, set(args.group))
    jsonroot = os.path.join(suite, "json")

    # Each distinct module file is validated once, even if several commands
    # name it.
    todo, seen = [], set()
    for m in modules:
        if m.status is None:
            if not os.path.isfile(os.path.join(jsonroot, m.path)):
                m.status, m.reason = "fail", "module file missing"
            elif m.path not in seen:
                seen.add(m.path)
                todo.append(m)

    results, broken = {}, {}
    work = list(batches(todo, max(1, args.batch), 60000))
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for r, b in pool.map(lambda bt: check_batch(kiln, jsonroot, bt, args.timeout), work):
            results.update(r)
            broken.update(b)
    elapsed = time.monotonic() - t0

    # Judge every module command.
    tallies = {g: Tally() for g in scripts}
    fails, mismatches, skips = [], [], {}
    for m in modules:
        t = tallies[m.group]
        if m.status == "skip":
            t.skipped += 1
            skips.setdefault((m.group, m.script, m.reason), []).append(m.filename)
            continue
        if m.expect == "accepted":
            t.acc += 1
        else:
            t.rej += 1
        if m.status != "fail":
            if m.path in broken:
                m.status, m.reason = "fail", broken[m.path]
            else:
                got = results.get(m.path)
                if got:
                    m.kind, m.message = got
                if m.expect == "accepted" and got is None:
                    m.status = "pass"
                elif m.expect == "rejected" and got is not None:
                    m.status = "pass"
                elif got is None:
                    m.status, m.reason = "fail", "accepted, expected rejection (%s)" % (
                        printable(str(m.text)))
                else:
                    m.status, m.reason = "fail", "rejected: %s: %s" % (
                        m.kind, printable(m.message))
        if m.status == "fail":
            t.failed += 1
            fails.append(m)
            continue
        if m.expect == "accepted":
            t.acc_ok += 1
            continue
        t.rej_ok += 1
        want = "malformed module" if m.ctype == "assert_malformed" else "invalid module"
        cat = m.kind == want
        msg = message_matches(m.text, m.message)
        t.cat_ok += cat
        t.msg_ok += msg
        if not (cat and msg):
            mismatches.append((m, want, cat, msg))
    for g, files in scripts.items():
        tallies[g].scripts = len(files)
    for group, wast, why in problems:
        tallies[group].failed += 1

    total = Tally()
    for t in tallies.values():
        total.add(t)
    passed = total.acc_ok + total.rej_ok
    failed = total.failed
    skipped = total.skipped

    # ---- report --------------------------------------------------------
    out = sys.stdout
    out.write("Spec suite through `kiln validate` (%s)\n" % kiln)
    out.write("suite: %s; %d module files validated in %d processes, %.1f s\n\n"
              % (suite, len(todo), len(work), elapsed))
    hdr = "%-14s %7s %15s %15s %8s %14s %14s" % (
        "group", "scripts", "accepted ok", "rejected ok", "skipped",
        "category ok", "message ok")
    out.write(hdr + "\n" + "-" * len(hdr) + "\n")

    def row(name, t):
        return "%-14s %7d %15s %15s %8d %14s %14s" % (
            name, t.scripts, "%d/%d" % (t.acc_ok, t.acc), "%d/%d" % (t.rej_ok, t.rej),
            t.skipped, "%d/%d" % (t.cat_ok, t.rej_ok), "%d/%d" % (t.msg_ok, t.rej_ok))
    for g in scripts:
        out.write(row(g, tallies[g]) + "\n")
    out.write("-" * len(hdr) + "\n" + row("total", total) + "\n\n")
    out.write("category ok: of the rejected modules, how many were rejected as the\n"
              "  command expects (assert_malformed -> malformed module,\n"
              "  assert_invalid -> invalid module). Informational.\n")
    out.write("message ok: %s. Informational.\n\n" % MESSAGE_RULE)

    out.write("Skipped (%d):\n" % skipped)
    for (g, script, reason), names in skips.items():
        shown = names
        out.write("  SKIP %s: %d x %s: %s\n" % (
            script, len(names), reason, " ".join(printable(n) for n in shown)))
    out.write("\n")

    if problems:
        out.write("Scripts that could not be read (%d, each counted as a failure):\n" % len(problems))
        for group, wast, why in problems:
            out.write("  FAIL %s (%s): %s\n" % (wast, group, printable(why)))
        out.write("\n")

    if fails:
        lim = len(fails) if args.verbose else args.limit
        out.write("Failures (%d%s):\n" % (len(fails), "" if lim >= len(fails)
                                           else ", first %d; --verbose lists all" % lim))
        for m in fails[:lim]:
            out.write("  FAIL %s: %s\n" % (printable(m.label()), m.reason))
        out.write("\n")

    if mismatches:
        lim = len(mismatches) if args.verbose else min(args.limit, 10)
        out.write("Category / message mismatches (%d, informational%s):\n" % (
            len(mismatches), "" if lim >= len(mismatches)
            else ", first %d; --verbose lists all" % lim))
        for m, want, cat, msg in mismatches[:lim]:
            out.write("  %s: expected %s %r, got %s %r\n" % (
                printable(m.label()), want, m.text, m.kind, m.message))
        out.write("\n")

    if args.markdown:
        write_markdown(args.markdown, argv, scripts, tallies, total, passed,
                       failed, skipped, skips, fails, mismatches, problems, elapsed)
        out.write("wrote %s\n" % args.markdown)

    out.write("%d passed, %d failed, %d skipped\n" % (passed, failed, skipped))
    out.flush()
    return 1 if failed else 0


def write_markdown(path, argv, scripts, tallies, total, passed, failed, skipped,
                   skips, fails, mismatches, problems, elapsed):
    def cell(a, b):
        return "%d / %d" % (a, b)

    def md(s):
        return printable(str(s)).replace("|", "\\|").replace("`", "'")

    shown_argv = [a for a in argv]
    cmd = "python3 tests/spec/validate_suite.py " + " ".join(shlex.quote(a) for a in shown_argv)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    L = []
    L.append("# Conformance: decoding and validation")
    L.append("")
    L.append("Generated on %s by `tests/spec/validate_suite.py` (run by "
             "`./dev conformance`); do not edit by hand." % now)
    L.append("")
    L.append("Every module of the vendored spec test suite "
             "(`tests/spec/testsuite`, WebAssembly/spec commit 285a9032, Wasm 3.0), "
             "binary and text (the `.wat` files of `assert_malformed`, read by "
             "Kiln's own text parser), "
             "is passed to `kiln validate`. Modules of `assert_invalid` and "
             "`assert_malformed` must be rejected; every other module "
             "(`module`, `module_definition`, `assert_unlinkable`, "
             "`assert_uninstantiable`, ...) must be accepted, because it fails, "
             "if at all, later than validation. Execution (`assert_return`, "
             "`assert_trap` ...) is the last section.")
    L.append("")
    L.append("Command:")
    L.append("")
    L.append("```")
    L.append(cmd)
    L.append("```")
    L.append("")
    L.append("| group | scripts | accepted ok | rejected ok | skipped | category ok | message ok |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    for g in scripts:
        t = tallies[g]
        L.append("| %s (`%s`) | %d | %s | %s | %d | %s | %s |" % (
            GROUP_TITLES.get(g, g), md(g), t.scripts, cell(t.acc_ok, t.acc),
            cell(t.rej_ok, t.rej), t.skipped, cell(t.cat_ok, t.rej_ok),
            cell(t.msg_ok, t.rej_ok)))
    t = total
    L.append("| **total** | %d | %s | %s | %d | %s | %s |" % (
        t.scripts, cell(t.acc_ok, t.acc), cell(t.rej_ok, t.rej), t.skipped,
        cell(t.cat_ok, t.rej_ok), cell(t.msg_ok, t.rej_ok)))
    L.append("")
    L.append("**%d passed, %d failed, %d skipped** (%.1f s)." % (passed, failed, skipped, elapsed))
    L.append("")
    L.append("* *accepted ok* / *rejected ok*: modules that `kiln validate` accepted "
             "or rejected as the suite expects, out of all binary modules with that "
             "expectation.")
    L.append("* *category ok* (informational): of the correctly rejected modules, "
             "those rejected in the expected category — `assert_malformed` as "
             "*malformed module*, `assert_invalid` as *invalid module*: %s of %d (%s)."
             % (t.cat_ok, t.rej_ok, pct(t.cat_ok, t.rej_ok)))
    L.append("* *message ok* (informational): %s: %d of %d (%s)."
             % (MESSAGE_RULE, t.msg_ok, t.rej_ok, pct(t.msg_ok, t.rej_ok)))
    L.append("* *skipped*: %s. These %d commands are listed below."
             % (SKIP_REASON, skipped))
    L.append("* Groups are those of `groups.json`. The README's *extended const* "
             "group has no files of its own: its tests are inside `global.wast`, "
             "`data.wast` and `elem.wast` and are counted in `core2`; likewise "
             "`comments.wast` and `token.wast` are in `core2` there.")
    L.append("")
    if problems:
        L.append("## Scripts that could not be read")
        L.append("")
        for group, wast, why in problems:
            L.append("* `%s` (%s): %s" % (md(wast), md(group), md(why)))
        L.append("")
    L.append("## Failures")
    L.append("")
    if fails:
        for m in fails[:200]:
            L.append("* `%s` line %s, %s `%s`: %s" % (md(m.script), m.line, m.ctype,
                                                     md(m.filename), md(m.reason)))
        if len(fails) > 200:
            L.append("* ... and %d more" % (len(fails) - 200))
    else:
        L.append("None.")
    L.append("")
    L.append("## Category and message mismatches (informational)")
    L.append("")
    if mismatches:
        L.append("| script | line | expected | got |")
        L.append("|---|---:|---|---|")
        for m, want, cat, msg in mismatches[:100]:
            L.append("| `%s` | %s | %s: %s | %s: %s |" % (
                md(m.script), m.line, want, md(m.text), md(m.kind), md(m.message)))
        if len(mismatches) > 100:
            L.append("")
            L.append("... and %d more (run the command with `--verbose`)." % (len(mismatches) - 100))
    else:
        L.append("None.")
    L.append("")
    L.append("## Skipped")
    L.append("")
    L.append("| script | count | reason |")
    L.append("|---|---:|---|")
    for (g, script, reason), names in skips.items():
        L.append("| `%s` | %d | %s |" % (md(script), len(names), md(reason)))
    L.append("")
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(L))
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
