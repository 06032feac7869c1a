#!/usr/bin/env python3
"""Boots guests from Debian's own packages headless on the pc machine and checks the screen.

usage: debian_guests_boot.py X86LAB GUEST

GUEST is one of:
  grub-floppy  grub-rescue-pc's grub-rescue-floppy.img (a short 1.44M image) in drive A:
  grub-cdrom   grub-rescue-pc's grub-rescue-cdrom.iso on the CD-ROM (El Torito, --boot d)
               both: GRUB's menu (which clears SeaBIOS's lines), then 'c' typed at it gives
               the grub> command line
  memtest      memtest86+'s memtest86+ia32.bin by --kernel (the Linux 32-bit boot protocol):
               it starts testing and reports no errors
  ipxe         ipxe's ipxe.iso on the CD-ROM: ISOLINUX loads ipxe.krn, which decompresses
               itself and starts initialising devices

The package is fetched at test time with `apt-get download` (the host's apt sources, the same
mirror the Linux guest builder uses) into $X86LAB_GUEST_DIR, else
${XDG_CACHE_HOME:-~/.cache}/x86lab/guests, under debs/ and extracted under debian-guests/;
a warm cache downloads nothing. Each run is deterministic and bounded by an instruction count
(well under a minute). Exit 77 (meson's "skipped") when apt-get, the network or Debian's
seabios is missing.
"""
import glob
import os
import shutil
import subprocess
import sys

SEABIOS = ["/usr/share/seabios/bios-256k.bin", "/usr/share/seabios/bios.bin"]
DUMP_START = "--- screen dump ---\n"
DUMP_END = "\n--- end of screen dump ---"

# name: (package, file inside it, x86lab arguments before the file, after it, bound, keys,
#        needles in screen order)
GUESTS = {
    "grub-floppy": ("grub-rescue-pc", "usr/lib/grub-rescue/grub-rescue-floppy.img",
                    ["--fda"], ["--snapshot"], 205_000_000, "c",
                    ["GNU GRUB", "Minimal BASH-like line editing", "grub>"]),
    "grub-cdrom": ("grub-rescue-pc", "usr/lib/grub-rescue/grub-rescue-cdrom.iso",
                   ["--boot", "d", "--cdrom"], [], 75_000_000, "c",
                   ["GNU GRUB", "Minimal BASH-like line editing", "grub>"]),
    "memtest": ("memtest86+", "boot/memtest86+ia32.bin", ["--kernel"], [], 400_000_000, None,
                ["Memtest86+", "Memory", "Status: Testing", "Errors: 0"]),
    "ipxe": ("ipxe", "usr/lib/ipxe/ipxe.iso", ["--boot", "d", "--cdrom"], [], 145_000_000,
             None, ["Booting from DVD/CD", "ISOLINUX", "iPXE ISO boot image",
                    "Loading ipxe.krn... ok", "iPXE initialising devices"]),
}


def skip(message):
    print(f"SKIP: {message}")
    sys.exit(77)


def cache_dir():
    base = os.environ.get("X86LAB_GUEST_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        base = os.path.join(xdg, "x86lab", "guests")
    return base


def fetch(package, member):
    """The path of member extracted from the Debian package, downloading it when needed."""
    base = cache_dir()
    debs = os.path.join(base, "debs")
    tree = os.path.join(base, "debian-guests", package)
    path = os.path.join(tree, member)
    if os.path.isfile(path):
        return path
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        skip("apt-get/dpkg-deb not found: cannot fetch Debian's " + package)
    os.makedirs(debs, exist_ok=True)
    found = glob.glob(os.path.join(debs, f"{package}_*.deb"))
    if not found:
        proc = subprocess.run(["apt-get", "download", package], cwd=debs, capture_output=True,
                              timeout=600)
        found = glob.glob(os.path.join(debs, f"{package}_*.deb"))
        if proc.returncode != 0 or not found:
            skip(f"apt-get download {package} failed (no network or no apt lists?): "
                 f"{proc.stderr.decode(errors='replace').strip()[-300:]}")
    os.makedirs(tree, exist_ok=True)
    subprocess.run(["dpkg-deb", "-x", sorted(found)[-1], tree], check=True)
    if not os.path.isfile(path):
        sys.exit(f"FAIL: {package} has no {member}")
    return path


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in GUESTS:
        sys.exit(f"usage: {sys.argv[0]} X86LAB {'|'.join(GUESTS)}")
    x86lab, name = sys.argv[1], sys.argv[2]
    if not any(os.path.exists(p) for p in SEABIOS):
        skip("Debian's seabios package is not installed")
    package, member, before, after, bound, keys, needles = GUESTS[name]
    image = fetch(package, member)
    args = [x86lab, "--machine", "pc", *before, image, *after, "--deterministic",
            "--display", "none", "--serial", "none", "--debugcon", "none", "--screen-dump",
            "--max-instructions", str(bound)]
    if keys:
        # GRUB's menu counts down from 30 s on its last line; a key there stops the countdown.
        args += ["--send-keys", keys, "--send-keys-after", "30s."]
    proc = subprocess.run(args, capture_output=True, timeout=300)
    out = proc.stdout.decode(errors="replace")
    err = proc.stderr.decode(errors="replace")
    problems = []
    if proc.returncode != 2 or "stopped after" not in err:
        problems.append(f"expected the instruction limit to end the run (exit 2); got exit "
                        f"{proc.returncode}, stderr {err.strip()!r}")
    start, end = out.find(DUMP_START), out.find(DUMP_END)
    screen = out[start + len(DUMP_START):end] if 0 <= start < end else ""
    position = 0
    for needle in needles:
        found = screen.find(needle, position)
        if found < 0:
            problems.append(f"{needle!r} not on the screen (after offset {position})")
            break
        position = found + len(needle)
    if problems:
        print(f"FAIL {name}: {' '.join(args)}")
        for problem in problems:
            print("  " + problem)
        print("  screen:")
        for line in screen.splitlines():
            print("  | " + line)
        sys.exit(1)
    print(f"PASS {name}: {', '.join(repr(n) for n in needles)} on the screen")


if __name__ == "__main__":
    main()
