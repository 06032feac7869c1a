#!/usr/bin/env python3
"""Runs a test executable under xvfb-run (a real X server for SDL). Exit 77 (skipped,
loudly) when xvfb-run is missing: apt-get install xvfb (scripts/install-deps.sh).

usage: xvfb_unit.py EXECUTABLE
"""
import shutil
import subprocess
import sys


def main():
    xvfb = shutil.which("xvfb-run")
    if not xvfb:
        print("*** SKIPPED: xvfb-run not found; apt-get install xvfb ***", file=sys.stderr)
        return 77
    return subprocess.run([xvfb, "-a", "-s", "-screen 0 1280x1024x24", sys.argv[1]]).returncode


if __name__ == "__main__":
    sys.exit(main())
