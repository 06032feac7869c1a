#!/usr/bin/env python3
"""COM2-COM4 as DOS sees them: FreeDOS on SeaBIOS, `echo ... >COMn` typed at the prompt.

usage: freedos_com_ports.py X86LAB IMAGE

One deterministic run with four --serial targets (COM1 none, COM2-COM4 files): SeaBIOS puts
the ports it finds in the BIOS data area, FreeDOS's COMn devices write through INT 14h to
the port address listed there, so each file holds exactly its line. Exit 77 (skipped, loudly)
when the FreeDOS image or Debian's seabios is missing.
"""
import os
import subprocess
import sys
import tempfile

SEABIOS = ["/usr/share/seabios/bios-256k.bin", "/usr/share/seabios/bios.bin"]
BOUND = 150_000_000


def skip(why):
    print(f"*** SKIPPED: FreeDOS COM ports test: {why} ***")
    sys.exit(77)


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    x86lab, image = sys.argv[1:]
    if not os.path.isfile(image):
        skip(f"no image at {image}")
    if not any(os.path.isfile(p) for p in SEABIOS):
        skip("SeaBIOS is not installed (apt-get install seabios)")
    with tempfile.TemporaryDirectory(prefix="x86lab-com-") as tmp:
        files = {n: os.path.join(tmp, f"com{n}.txt") for n in (2, 3, 4)}
        args = [x86lab, "-M", "pc", "--fda", image, "--snapshot", "--deterministic",
                "--display", "none", "--debugcon", "none", "--screen-dump",
                "--serial", "none"]
        for n in (2, 3, 4):
            args += ["--serial", "file:" + files[n]]
        args += ["--max-instructions", str(BOUND), "--send-keys-after", "A:\\>",
                 "--send-keys", "echo two>COM2\\recho three>COM3\\recho four>COM4\\r"]
        proc = subprocess.run(args, capture_output=True, timeout=300)
        out = proc.stdout.decode(errors="replace")
        err = proc.stderr.decode(errors="replace")
        got = {n: open(files[n], "rb").read() if os.path.exists(files[n]) else None
               for n in files}
    expected = {2: b"two\r\n", 3: b"three\r\n", 4: b"four\r\n"}
    if proc.returncode != 2 or got != expected:
        print(f"FAIL: exit {proc.returncode} (expected 2, the instruction limit), files {got}, "
              f"expected {expected}\nstderr: {err}\nscreen:\n{out}")
        return 1
    print("ok   echo >COM2, >COM3, >COM4 each reached its own --serial file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
