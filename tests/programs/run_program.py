#!/usr/bin/env python3
"""Runs x86lab on a test program and checks how it ended.

usage: run_program.py [--exit N] [--stdout TEXT] [--stderr-has TEXT] [--timeout S] -- CMD...

--stdout compares the whole of stdout (the debug console); \\n in TEXT is a newline.
Prints what differed and exits 1 on a mismatch, 0 when everything matched.
"""
import argparse
import subprocess
import sys


def unescape(text):
    return text.replace("\\n", "\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--exit", type=int, default=None, dest="exit_code")
    parser.add_argument("--stdout", default=None)
    parser.add_argument("--stderr-has", default=None)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    try:
        proc = subprocess.run(command, capture_output=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        print(f"FAIL: timed out after {args.timeout} s: {' '.join(command)}")
        return 1
    stdout = proc.stdout.decode("utf-8", "replace")
    stderr = proc.stderr.decode("utf-8", "replace")

    problems = []
    if args.exit_code is not None and proc.returncode != args.exit_code:
        problems.append(f"exit code {proc.returncode}, expected {args.exit_code}")
    if args.stdout is not None and stdout != unescape(args.stdout):
        problems.append(f"stdout {stdout!r}, expected {unescape(args.stdout)!r}")
    if args.stderr_has is not None and unescape(args.stderr_has) not in stderr:
        problems.append(f"stderr {stderr!r} lacks {unescape(args.stderr_has)!r}")

    print("command:", " ".join(command))
    if problems:
        for p in problems:
            print("FAIL:", p)
        print("--- stderr ---")
        print(stderr, end="")
        return 1
    print("ok:", f"exit {proc.returncode}", f"stdout {stdout!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
