#!/usr/bin/env python3
"""Runs one libFuzzer target for a bounded time and reports one line (suite fuzz).

usage: run_fuzzer.py --name NAME --seconds S --corpus SEEDS --work DIR FUZZER

The fuzzer first runs every input in SEEDS (the repository's corpus, regression inputs of
fixed crashes included) and then mutates for S seconds. New inputs go to DIR/corpus, never
into the repository; a crash, hang (-timeout) or out-of-memory leaves its input in DIR as
crash-*, timeout-* or oom-*. Prints

    fuzz NAME: N executions in S s, C crashes (...)

and exits 1 when the fuzzer found anything, so the test fails with the input named.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

PER_INPUT_TIMEOUT_S = 30  # a hang is minutes; a slow input on a loaded 2-core CI VM is seconds
RSS_LIMIT_MB = 2560
MAX_LEN = 8192


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--seconds", type=int, required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("fuzzer")
    args = parser.parse_args()

    shutil.rmtree(args.work, ignore_errors=True)
    new_corpus = os.path.join(args.work, "corpus")
    os.makedirs(new_corpus)
    seeds = len(os.listdir(args.corpus)) if os.path.isdir(args.corpus) else 0
    command = [
        args.fuzzer,
        new_corpus,
        args.corpus,
        f"-max_total_time={args.seconds}",
        f"-timeout={PER_INPUT_TIMEOUT_S}",
        f"-rss_limit_mb={RSS_LIMIT_MB}",
        f"-max_len={MAX_LEN}",
        "-print_final_stats=1",
        f"-artifact_prefix={args.work}/",
    ]
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "abort_on_error=1:detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    proc = subprocess.run(command, capture_output=True, text=True, errors="replace", env=env)
    log = proc.stderr
    with open(os.path.join(args.work, "fuzzer.log"), "w", encoding="utf-8") as out:
        out.write(log)

    match = re.search(r"stat::number_of_executed_units:\s*(\d+)", log)
    executions = int(match.group(1)) if match else 0
    match = re.search(r"stat::new_units_added:\s*(\d+)", log)
    new_units = int(match.group(1)) if match else 0
    findings = sorted(f for f in os.listdir(args.work)
                      if f.startswith(("crash-", "timeout-", "oom-", "leak-", "slow-unit-")))
    # slow-unit-* files are only written with -report_slow_units; a non-zero exit is a finding.
    crashes = len([f for f in findings if not f.startswith("slow-unit-")])
    if proc.returncode != 0 and crashes == 0:
        crashes = 1
    print(f"fuzz {args.name}: {executions:,} executions in {args.seconds} s, {crashes} crashes "
          f"({seeds} seeds, {new_units} new inputs)")
    if crashes:
        tail = "\n".join(log.splitlines()[-60:])
        print(f"fuzz {args.name}: FAILED (exit {proc.returncode}); inputs: "
              f"{', '.join(os.path.join(args.work, f) for f in findings) or 'none saved'}")
        print(tail)
        return 1
    if executions == 0:
        print(f"fuzz {args.name}: the fuzzer ran nothing; its log is {args.work}/fuzzer.log")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
