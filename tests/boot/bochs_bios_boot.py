#!/usr/bin/env python3
"""Boots FreeDOS from a floppy with Bochs' BIOS (Debian's bochsbios) instead of SeaBIOS.

usage: bochs_bios_boot.py X86LAB IMAGE

Bochs' rombios finds its VGA BIOS as an ISA option ROM at 0xC0000 (x86lab maps Debian
vgabios's vgabios.bin there for a --bios that is not SeaBIOS) and reads floppies without
seeking first. Two deterministic runs of ../shared/testdata/images/freedos722.img with
--snapshot, each ended by an instruction count:
  1. early (BANNER_BOUND): the LGPL VGA BIOS's banner, then Bochs' BIOS banner and
     "Booting from Floppy..." on the VGA text screen (so the VGA BIOS ran at 0xC0000);
  2. VER_BOUND with --send-keys 'ver\\r' once A:\\> shows: the FreeDOS kernel, the prompt,
     FreeCom's version line after "A:\\>ver", and a new prompt.
The prompt comes after about 6 million instructions; the bounds leave room. Exit 77 (meson's
"skipped", printed loudly) when the image or Debian's bochsbios or vgabios is missing.
"""
import os
import subprocess
import sys

BOCHS_BIOS = "/usr/share/bochs/BIOS-bochs-latest"
VGA_BIOS = "/usr/share/vgabios/vgabios.bin"
BANNER_BOUND = 1_500_000
VER_BOUND = 40_000_000
DUMP_START = "--- screen dump ---\n"
DUMP_END = "\n--- end of screen dump ---"


def skip(why):
    print(f"*** SKIPPED: Bochs BIOS boot test: {why} ***")
    print(f"*** SKIPPED: Bochs BIOS boot test: {why} ***", file=sys.stderr)
    sys.exit(77)


def boot(x86lab, image, bound, *extra):
    args = [x86lab, "--machine", "pc", "--bios", BOCHS_BIOS, "--fda", image, "--boot", "a",
            "--snapshot", "--deterministic", "--display", "none", "--screen-dump",
            "--serial", "none", "--debugcon", "none", "--max-instructions", str(bound), *extra]
    proc = subprocess.run(args, capture_output=True, timeout=300)
    out = proc.stdout.decode(errors="replace")
    err = proc.stderr.decode(errors="replace")
    problems = []
    if proc.returncode != 2 or "stopped after" not in err:
        problems.append(f"expected the instruction limit to end the run (exit 2); got exit "
                        f"{proc.returncode}, stderr {err.strip()!r}")
    start, end = out.find(DUMP_START), out.find(DUMP_END)
    screen = out[start + len(DUMP_START):end] if 0 <= start < end else ""
    if not screen.strip():
        problems.append("the screen is blank (did the VGA BIOS run?)")
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
        skip(f"no image at {image} (../shared/testdata/images/freedos722.img)")
    if not os.path.isfile(BOCHS_BIOS):
        skip(f"{BOCHS_BIOS} missing (apt-get install bochsbios; scripts/install-deps.sh)")
    if not os.path.isfile(VGA_BIOS):
        skip(f"{VGA_BIOS} missing (apt-get install vgabios; scripts/install-deps.sh)")

    ok = True
    screen, problems = boot(x86lab, image, BANNER_BOUND)
    ok &= check("the VGA BIOS at 0xC0000, Bochs' BIOS banner, the floppy boot", screen,
                problems, ["Bochs VGABios", "Bochs VBE Display Adapter enabled", "Bochs ",
                           " BIOS - build:", "Booting from Floppy..."])

    screen, problems = boot(x86lab, image, VER_BOUND, "--send-keys", "ver\\r",
                            "--send-keys-after", "A:\\>")
    ok &= check("FreeDOS boots to A:\\> and 'ver' prints the version", screen, problems,
                ["Kernel compatibility", "A:\\>ver\n", "FreeCom version 0.82", "A:\\>"])
    if not screen.rstrip().endswith("A:\\>"):
        print("FAIL no new prompt after 'ver'")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
