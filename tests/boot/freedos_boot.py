#!/usr/bin/env python3
"""Boots FreeDOS from a floppy on the pc machine headless and checks the VGA text screen.

usage: freedos_boot.py X86LAB IMAGE

Three deterministic runs of ../shared/testdata/images/freedos722.img, each bounded by an
instruction count and ended by it, with --snapshot so the image is never written:
  1. early (BANNER_BOUND): SeaBIOS's banner and "Booting from Floppy..." are on the screen;
  2. to the prompt (PROMPT_BOUND): the FreeDOS kernel line and the A:\\> prompt;
  3. --send-keys 'ver\\r' once the prompt shows: FreeCom's version line after "A:\\>ver",
     then a new prompt.
The prompt appears after about 12 million instructions (30 million before 2026-12-07, when
an interrupt after STI waited a whole block); the bounds leave room. Exit 77
(meson's "skipped") when the image or Debian's seabios package is missing.
"""
import os
import subprocess
import sys

SEABIOS = ["/usr/share/seabios/bios-256k.bin", "/usr/share/seabios/bios.bin"]
BANNER_BOUND = 12_000_000
PROMPT_BOUND = 80_000_000
VER_BOUND = 100_000_000
DUMP_START = "--- screen dump ---\n"
DUMP_END = "\n--- end of screen dump ---"


def boot(x86lab, image, bound, *extra):
    args = [x86lab, "--machine", "pc", "--fda", image, "--snapshot", "--deterministic",
            "--display", "none", "--screen-dump", "--serial", "none", "--debugcon", "none",
            "--max-instructions", str(bound), *extra]
    proc = subprocess.run(args, capture_output=True, timeout=300)
    out = proc.stdout.decode(errors="replace")
    err = proc.stderr.decode(errors="replace")
    problems = []
    if proc.returncode != 2 or "stopped after" not in err:
        problems.append(f"expected the instruction limit to end the run (exit 2); got exit "
                        f"{proc.returncode}, stderr {err.strip()!r}")
    start = out.find(DUMP_START)
    end = out.find(DUMP_END)
    screen = out[start + len(DUMP_START):end] if 0 <= start < end else ""
    if not screen:
        problems.append(f"no screen dump in stdout {out!r}")
    return screen, problems


def check(name, screen, problems, needles):
    """needles must appear in this order on the screen."""
    position = 0
    for needle in needles:
        found = screen.find(needle, position)
        if found < 0:
            problems.append(f"{needle!r} not on the screen (after offset {position})")
            break
        position = found + len(needle)
    if problems:
        print(f"FAIL {name}:")
        for problem in problems:
            print("  " + problem)
        print("  screen:")
        for line in screen.splitlines():
            print("  | " + line)
        return False
    print(f"ok   {name}")
    return True


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    x86lab, image = sys.argv[1], sys.argv[2]
    if not os.path.isfile(image):
        print(f"SKIPPED: FreeDOS boot test: no image at {image} "
              "(../shared/testdata/images/freedos722.img)")
        return 77
    if not any(os.path.isfile(p) for p in SEABIOS):
        print("SKIPPED: FreeDOS boot test: SeaBIOS is not installed (apt-get install seabios)")
        return 77

    ok = True
    screen, problems = boot(x86lab, image, BANNER_BOUND)
    ok &= check("SeaBIOS banner, then the floppy boot", screen, problems,
                ["SeaBIOS (version", "Booting from Floppy..."])

    screen, problems = boot(x86lab, image, PROMPT_BOUND)
    ok &= check("FreeDOS kernel, then the A:\\> prompt", screen, problems,
                ["FreeDOS kernel", "FreeCom version", "A:\\>"])
    if not screen.rstrip().endswith("A:\\>"):
        print("FAIL the prompt is not the last thing on the screen")
        ok = False

    screen, problems = boot(x86lab, image, VER_BOUND, "--send-keys", "ver\\r",
                            "--send-keys-after", "A:\\>")
    ok &= check("'ver' typed at the prompt prints the version", screen, problems,
                ["A:\\>ver\n", "FreeCom version 0.82", "A:\\>"])
    if not screen.rstrip().endswith("A:\\>"):
        print("FAIL no new prompt after 'ver'")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
