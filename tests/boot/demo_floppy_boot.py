#!/usr/bin/env python3
"""Boots the demo floppy (firmware/demo_floppy.asm, what `make run` boots) and types into it.

usage: demo_floppy_boot.py X86LAB IMAGE

One deterministic run bounded by an instruction count: the banner must reach COM1 (stdout)
and the screen, and "hi" typed with --send-keys once the "> " prompt shows must be echoed to
both, followed by a new prompt. Exit 77 when Debian's seabios package is missing.
"""
import os
import subprocess
import sys

SEABIOS = ["/usr/share/seabios/bios-256k.bin", "/usr/share/seabios/bios.bin"]
BOUND = 40_000_000
BANNER = "x86lab demo floppy: a boot sector running on SeaBIOS."


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    if not any(os.path.isfile(p) for p in SEABIOS):
        print("SKIPPED: demo floppy: SeaBIOS is not installed (apt-get install seabios)")
        return 77
    x86lab, image = sys.argv[1], sys.argv[2]
    proc = subprocess.run(
        [x86lab, "--machine", "pc", "--fda", image, "--boot", "a", "--snapshot",
         "--deterministic", "--display", "none", "--screen-dump", "--serial", "stdio",
         "--send-keys", "hi\\r", "--send-keys-after", ">", "--max-instructions", str(BOUND)],
        capture_output=True, stdin=subprocess.DEVNULL, timeout=300)
    out = proc.stdout.decode(errors="replace")
    serial, _, screen = out.partition("--- screen dump ---\n")
    screen = screen.split("\n--- end of screen dump ---")[0]
    failures = []
    if proc.returncode != 2:
        failures.append(f"expected exit 2 (instruction limit), got {proc.returncode}: "
                        f"{proc.stderr.decode(errors='replace').strip()!r}")
    if not serial.startswith(BANNER + "\r\n"):
        failures.append(f"COM1 does not start with the banner: {serial[:200]!r}")
    if "> hi\r\n> " not in serial:
        failures.append(f"COM1 does not echo 'hi' and a new prompt: {serial!r}")
    rows = screen.splitlines()
    if not rows or not rows[0].startswith(BANNER) or "uptime" not in rows[0]:
        failures.append(f"the screen's first row is not the banner and the counter: {rows[:1]}")
    if "> hi" not in rows or ">" not in rows[rows.index("> hi") + 1:]:
        failures.append(f"the screen does not show '> hi' and a new prompt: {rows}")
    if failures:
        for failure in failures:
            print("FAIL " + failure)
        return 1
    print("demo floppy: banner, counter and echo on the screen and COM1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
