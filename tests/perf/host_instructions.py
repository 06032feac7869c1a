#!/usr/bin/env python3
"""Host instructions per guest instruction on the bench loops, counted by callgrind.

The speed guard of `make test` (suite perf): no timing, which a shared machine makes noise of,
but callgrind's count of the host instructions x86lab executes, which is the same on every
run of the same build. Each loop (bench/workloads/*.inc) is assembled at two iteration counts
and run under callgrind; the difference of the two totals over the difference of the guest
instruction counts is the cost of one loop instruction, start-up excluded. The test fails when
it is over the limit given for that loop (tests/perf/meson.build), which sits some 15% above
what the current code needs: a change that makes the interpreter's hot path longer shows here.

Usage: host_instructions.py --x86lab X --workloads DIR [--limit NAME=HOST_PER_GUEST ...]
Exit 77 (meson's skip) without valgrind or nasm.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SMALL, LARGE = 20_000, 120_000  # loop iterations of the two runs


def per_iteration(source):
    match = re.search(r"instructions per iteration: (\d+)", source.read_text())
    if not match:
        sys.exit(f"{source} does not state its instructions per iteration")
    return int(match.group(1))


def rom(workloads, name, iterations, work):
    boot = work / f"{name}.{iterations}.boot"
    image = work / f"{name}.{iterations}.rom"
    subprocess.run(["nasm", "-f", "bin", "-I", f"{workloads}/", f"-DWORKLOAD=\"{name}.inc\"",
                    f"-DITERATIONS={iterations}", "-o", str(boot),
                    str(workloads / "boot.asm")], check=True)
    subprocess.run(["nasm", "-f", "bin", f"-DBOOT_IMAGE=\"{boot}\"", "-o", str(image),
                    str(workloads / "rom.asm")], check=True)
    return image


def host_instructions(x86lab, image, work):
    out = work / "callgrind.out"
    run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                          str(x86lab), "--machine", "bare", "--memory", "32M", "--bios",
                          str(image), "--debugcon", "stdio"],
                         capture_output=True, text=True, timeout=600)
    # The frame ends the run through port 0xF4 (exit code 1) after printing its checksum.
    if run.returncode != 1 or "checksum" not in run.stdout:
        sys.exit(f"x86lab under callgrind: exit code {run.returncode}, output "
                 f"{run.stdout[-200:]!r} {run.stderr[-400:]!r}")
    match = re.search(r"Collected : (\d+)", run.stderr)
    if not match:
        sys.exit(f"no callgrind total in: {run.stderr[-400:]!r}")
    return int(match.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--x86lab", required=True)
    parser.add_argument("--workloads", required=True, type=Path)
    parser.add_argument("--limit", action="append", default=[], metavar="NAME=N")
    args = parser.parse_args()
    for tool in ("valgrind", "nasm"):
        if not shutil.which(tool):
            print(f"SKIPPED: {tool} is not installed (scripts/install-deps.sh installs it)")
            return 77
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for spec in args.limit:
            name, limit = spec.split("=")
            per = per_iteration(args.workloads / f"{name}.inc")
            small = host_instructions(args.x86lab, rom(args.workloads, name, SMALL, work), work)
            large = host_instructions(args.x86lab, rom(args.workloads, name, LARGE, work), work)
            cost = (large - small) / ((LARGE - SMALL) * per)
            verdict = "ok" if cost <= float(limit) else "OVER THE LIMIT"
            print(f"{name}: {cost:.2f} host instructions per guest instruction "
                  f"(limit {limit}; {small:,} and {large:,} host instructions for "
                  f"{SMALL:,} and {LARGE:,} iterations of {per}): {verdict}")
            failed |= cost > float(limit)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
