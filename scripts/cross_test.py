#!/usr/bin/env python3
"""Cross-host run: builds x86lab's portable tests for another host and runs them under qemu-user.

    cross_test.py --host aarch64|s390x [--native build] [--source .] [meson test args...]

Configures build-HOST/ with scripts/cross/HOST.ini and the meson option cross_subset (aarch64:
'cpu', the unit tests and the SingleStepTests; s390x: 'no-cpu', as Debian 12 has no big-endian
Zydis), builds it, runs its tests under qemu-user (the cross file's exe_wrapper), runs the same
tests by name in the native build, and compares them: each test must give the same result and
the same pass counts (doctest's test case and assertion lines, the `sst` summary line) on both
hosts. docs/hosts.md says what runs where.

Writes build-HOST/meson-logs/cross-testlog.json (one JSON object a line, like meson's testlog,
for scripts/test_summary.py): the tests run under qemu, prefixed with the host, and one record
for the comparison. Exits 0 when all passed and matched, 1 when not, 77 (skipped, loudly) when
the cross compiler, qemu or the host's libraries are missing (scripts/install-cross-deps.sh).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HOSTS = {
    "aarch64": {"triplet": "aarch64-linux-gnu", "qemu": "qemu-aarch64", "subset": "cpu",
                "dpkg": ["libzydis-dev:arm64", "zlib1g-dev:arm64", "libc6-dev:arm64"]},
    "s390x": {"triplet": "s390x-linux-gnu", "qemu": "qemu-s390x", "subset": "no-cpu",
              "dpkg": []},
}
SUITES = ["unit", "conformance"]
# The lines that carry pass counts; the SingleStepTests line loses its run time.
COUNT_LINE = re.compile(r"^(\[doctest\] (test cases|assertions):.*|sst .*)$")
SST_TIME = re.compile(r"; [0-9.]+ s\)$")


def write_log(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as log:
        for record in records:
            log.write(json.dumps(record) + "\n")


def skip(host, log_path, why):
    message = f"cross {host}: SKIPPED - {why} (scripts/install-cross-deps.sh installs it)"
    print(message, flush=True)
    write_log(log_path, [{"name": f"{host}: cross-host run", "result": "SKIP", "stdout": message}])
    return 77


def missing_tools(host):
    spec = HOSTS[host]
    for tool in [spec["triplet"] + "-g++", spec["qemu"], "meson", "ninja"]:
        if not shutil.which(tool):
            return f"{tool} not found"
    for package in spec["dpkg"]:
        if subprocess.run(["dpkg", "-s", package], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode != 0:
            return f"package {package} not installed"
    return None


def run(command, **kwargs):
    print("+ " + " ".join(str(part) for part in command), flush=True)
    return subprocess.run(command, **kwargs).returncode


def read_testlog(path):
    records = {}
    if not path.exists():
        return records
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            # Tests run by name are logged as "project:suite / name".
            records[record["name"].split(" / ", 1)[-1]] = record
    return records


def counts(record):
    lines = []
    for line in (record.get("stdout") or "").splitlines():
        line = line.strip()
        if COUNT_LINE.match(line):
            lines.append(SST_TIME.sub(")", line))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", choices=sorted(HOSTS), required=True)
    parser.add_argument("--native", default="build", help="the native build directory")
    parser.add_argument("--source", default=".", help="the source tree")
    args, meson_test_args = parser.parse_known_args()
    source = Path(args.source).resolve()
    host = args.host
    build = source / f"build-{host}"
    native = Path(args.native).resolve()
    log_path = build / "meson-logs" / "cross-testlog.json"
    started = time.monotonic()

    why = missing_tools(host)
    if why:
        return skip(host, log_path, why)

    if not (build / "build.ninja").exists():
        if run(["meson", "setup", str(build), str(source), "--cross-file",
                str(source / "scripts" / "cross" / f"{host}.ini"),
                f"-Dcross_subset={HOSTS[host]['subset']}"]) != 0:
            write_log(log_path, [{"name": f"{host}: meson setup", "result": "FAIL",
                                  "stdout": f"cross {host}: meson setup failed"}])
            return 1
    if run(["ninja", "-C", str(build)]) != 0:
        write_log(log_path, [{"name": f"{host}: build", "result": "FAIL",
                              "stdout": f"cross {host}: the build failed"}])
        return 1
    built = time.monotonic()

    suite_args = [arg for suite in SUITES for arg in ("--suite", suite)]
    (build / "meson-logs" / "testlog.json").unlink(missing_ok=True)
    run(["meson", "test", "-C", str(build), "--print-errorlogs"] + suite_args + meson_test_args)
    cross = read_testlog(build / "meson-logs" / "testlog.json")
    # The same tests, by name, in the native build (its own log, so `make test`'s stays whole).
    native_log = native / "meson-logs" / f"cross-native-{host}.json"
    native_log.unlink(missing_ok=True)
    if cross:
        run(["ninja", "-C", str(native)])
        run(["meson", "test", "-C", str(native), "--logbase", f"cross-native-{host}"] +
            meson_test_args + sorted(cross))
    here = read_testlog(native_log)

    records = []
    mismatches = []
    for name, record in sorted(cross.items()):
        records.append(dict(record, name=f"{host}: {name}"))
        mine = here.get(name)
        if mine is None:
            mismatches.append(f"{name}: not run natively")
        elif mine["result"] != record["result"] or counts(mine) != counts(record):
            mismatches.append(f"{name}: native {mine['result']} {counts(mine)}, "
                              f"{host} {record['result']} {counts(record)}")
    cases = sum(int(re.search(r"\| *(\d+) passed", line).group(1))
                for record in cross.values() for line in counts(record)
                if line.startswith("[doctest] test cases"))
    assertions = sum(int(re.search(r"\| *(\d+) passed", line).group(1))
                     for record in cross.values() for line in counts(record)
                     if line.startswith("[doctest] assertions"))
    sst = [line for record in cross.values() for line in counts(record) if line.startswith("sst")]
    passed = sum(1 for record in cross.values() if record["result"] in ("OK", "EXPECTEDFAIL"))
    summary = (f"cross {host}: {passed} of {len(cross)} tests passed under qemu-user "
               f"({cases} doctest cases, {assertions} assertions"
               + "".join(f"; {line}" for line in sorted(sst)) + "); "
               + ("pass counts equal native" if not mismatches and cross else
                  f"{len(mismatches) or 'no tests'} differ from native") +
               f"; build {built - started:.0f} s, tests {time.monotonic() - built:.0f} s")
    for line in mismatches:
        print(f"cross {host}: MISMATCH {line}")
    print(summary)
    ok = bool(cross) and not mismatches
    records.append({"name": f"{host}: pass counts equal native", "result": "OK" if ok else "FAIL",
                    "stdout": "\n".join([summary] + [f"cross {host}: MISMATCH {line}"
                                                     for line in mismatches])})
    write_log(log_path, records)
    failed = any(record["result"] not in ("OK", "EXPECTEDFAIL", "SKIP") for record in records)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
