#!/usr/bin/env python3
"""Boots the demo floppy (firmware/demo_floppy.asm, what `make run` boots) and types into it.

usage: demo_floppy_boot.py X86LAB IMAGE

Deterministic runs bounded by an instruction count: the banner must reach COM1 (stdout)
and the screen, and "hi" typed with --send-keys once the "> " prompt shows must be echoed to
both, followed by a new prompt. The same boot sector is booted three ways, each chosen by
the CMOS boot order: from the floppy (--boot a), as the MBR of a hard disk (--hda, --boot c;
SeaBIOS's ATA driver), and as the no-emulation El Torito image of an ISO built here (--cdrom,
--boot d; ATAPI). Exit 77 when Debian's seabios package is missing.
"""
import os
import struct
import subprocess
import sys
import tempfile

SEABIOS = ["/usr/share/seabios/bios-256k.bin", "/usr/share/seabios/bios.bin"]
BOUND = 40_000_000
BANNER = "x86lab demo floppy: a boot sector running on SeaBIOS."


def hard_disk(boot_sector, path):
    """A 2 MiB disk whose MBR is the boot sector."""
    with open(path, "wb") as f:
        f.write(boot_sector + bytes(2 * 1024 * 1024 - len(boot_sector)))


def iso(boot_sector, path):
    """A 24-sector ISO 9660 image with an El Torito boot catalog (sector 19) pointing at a
    no-emulation boot image (sector 20, four 512-byte sectors loaded at 0:7C00)."""
    size = 2048
    image = bytearray(size * 24)

    def put(sector, data, offset=0):
        image[sector * size + offset:sector * size + offset + len(data)] = data

    def both16(v):
        return struct.pack("<H", v) + struct.pack(">H", v)

    def both32(v):
        return struct.pack("<I", v) + struct.pack(">I", v)

    root = bytearray(34)
    root[0] = 34
    root[2:10] = both32(21)
    root[10:18] = both32(size)
    root[25] = 2  # a directory
    root[28:32] = both16(1)
    root[32] = 1
    pvd = bytearray(size)
    pvd[0:7] = b"\x01CD001\x01"
    pvd[80:88] = both32(24)
    pvd[120:124] = both16(1)
    pvd[124:128] = both16(1)
    pvd[128:132] = both16(size)
    pvd[156:190] = root
    pvd[881] = 1
    put(16, pvd)
    put(17, b"\x00CD001\x01" + b"EL TORITO SPECIFICATION".ljust(32, b"\0"))
    put(17, struct.pack("<I", 19), 71)
    put(18, b"\xffCD001\x01")
    validation = bytearray(32)
    validation[0] = 1
    validation[30:32] = b"\x55\xaa"
    checksum = sum(struct.unpack("<16H", validation)) & 0xFFFF
    validation[28:30] = struct.pack("<H", -checksum & 0xFFFF)
    initial = bytearray(32)
    initial[0] = 0x88  # bootable, no emulation, load segment 0 (0x7C0)
    initial[6:8] = struct.pack("<H", 4)
    initial[8:12] = struct.pack("<I", 20)
    put(19, validation + initial)
    put(20, boot_sector)
    put(21, root)
    put(21, root[:33] + b"\x01", 34)
    with open(path, "wb") as f:
        f.write(image)


def boot(x86lab, name, drive_args):
    proc = subprocess.run(
        [x86lab, "--machine", "pc", *drive_args, "--snapshot",
         "--deterministic", "--display", "none", "--screen-dump", "--serial", "stdio",
         "--no-serial-input", "--send-keys", "hi\\r", "--send-keys-after", ">",
         "--max-instructions", str(BOUND)],
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
    for failure in failures:
        print(f"FAIL {name}: {failure}")
    if not failures:
        print(f"ok   {name}: banner, counter and echo on the screen and COM1")
    return not failures


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    if not any(os.path.isfile(p) for p in SEABIOS):
        print("SKIPPED: demo floppy: SeaBIOS is not installed (apt-get install seabios)")
        return 77
    x86lab, floppy = sys.argv[1], sys.argv[2]
    with open(floppy, "rb") as f:
        boot_sector = f.read(512)
    ok = boot(x86lab, "floppy", ["--fda", floppy, "--boot", "a"])
    with tempfile.TemporaryDirectory() as tmp:
        disk = os.path.join(tmp, "disk.img")
        hard_disk(boot_sector, disk)
        ok &= boot(x86lab, "hard disk", ["--hda", disk, "--boot", "c"])
        cd = os.path.join(tmp, "cd.iso")
        iso(boot_sector, cd)
        ok &= boot(x86lab, "CD-ROM", ["--cdrom", cd, "--boot", "d"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
