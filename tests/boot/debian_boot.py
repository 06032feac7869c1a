#!/usr/bin/env python3
"""Boots a real Debian 12 i386 system (debootstrap minbase, systemd, the 686 kernel, ext4 on
the IDE disk) to a login prompt on COM1, logs in and runs a few commands.

usage: debian_boot.py X86LAB REPO_ROOT

The guest comes from scripts/build-debian-guest.sh (debootstrap's first stage on the host,
the second stage inside x86lab: far longer than a test run may take on a loaded 2-core
machine, then cached). This test runs the builder only when X86LAB_BUILD_DEBIAN_GUEST=1 (and
it can: root, Debian's mirror); when the guest is missing it exits 77 with a loud SKIPPED.

Steps: boot directly (--kernel/--initrd from the guest's own /boot, root=/dev/sda1, the disk
with --snapshot) and wait for systemd's serial getty; log in as root (no password); check
`uname -m` (i686), `apt --version`, that the root file system is ext4 on /dev/sda1 and
writable, and that no unit failed; print the kernel's warnings and errors; `poweroff` must
end the emulator with exit code 0. Bounded by --max-instructions and a wall-clock timeout.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from linux_boot import Guest  # noqa: E402  (the same process driver)

MAX_INSTRUCTIONS = 200_000_000_000
WALL_TIMEOUT = float(os.environ.get("X86LAB_DEBIAN_TIMEOUT", "2400"))
BUILD_TIMEOUT = 3 * 3600


def guest_dir():
    if os.environ.get("X86LAB_GUEST_DIR"):
        return os.path.join(os.environ["X86LAB_GUEST_DIR"], "debian")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "x86lab", "guests", "debian")


def skipped(why):
    print("=" * 72)
    print(f"SKIPPED: Debian boot test: {why}")
    print("         run scripts/build-debian-guest.sh --x86lab build/frontend/x86lab as root")
    print("         (needs Debian's mirror; slow), or set X86LAB_BUILD_DEBIAN_GUEST=1")
    print("=" * 72)
    return 77


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    x86lab, root = sys.argv[1], sys.argv[2]
    directory = guest_dir()
    kernel, initrd, disk = (os.path.join(directory, f) for f in ("vmlinuz", "initrd.img",
                                                                  "disk.img"))
    needed = [kernel, initrd, disk]
    if (not all(os.path.isfile(p) for p in needed) and
            os.environ.get("X86LAB_BUILD_DEBIAN_GUEST") == "1"):
        if os.geteuid() != 0:
            return skipped("the guest is not built and building it needs root")
        print("building the guest with scripts/build-debian-guest.sh ...", flush=True)
        try:
            subprocess.run(["bash", os.path.join(root, "scripts", "build-debian-guest.sh"),
                            "--x86lab", x86lab], timeout=BUILD_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            print(f"build-debian-guest.sh: {e}")
    missing = [p for p in needed if not os.path.isfile(p)]
    if missing:
        return skipped(f"{', '.join(missing)} not found and could not be built")

    cmdline_file = os.path.join(directory, "cmdline.txt")
    cmdline = (open(cmdline_file).read().strip() if os.path.isfile(cmdline_file) else
               "root=/dev/sda1 console=ttyS0,115200n8")
    argv = [x86lab, "--nographic", "--deterministic", "--no-reboot", "-m", "512",
            "--max-instructions", str(MAX_INSTRUCTIONS), "--kernel", kernel, "--initrd", initrd,
            "--append", cmdline, "--hda", disk, "--snapshot"]
    print("running: " + " ".join(argv), flush=True)
    guest = Guest(argv)
    guest.deadline = guest.started + WALL_TIMEOUT  # a longer boot than the busybox guest's

    failures = []
    login = guest.wait_for(rb"login: ", 0)
    if not login:
        failures.append("no login prompt on COM1")
    else:
        print(f"login prompt after {guest.elapsed():.1f} s", flush=True)
        guest.type(b"root\n")
        prompt = guest.wait_for(rb"# ", login.end(), timeout=600)
        if not prompt:
            failures.append("no shell prompt after logging in as root")
        else:
            start = len(guest.out)
            guest.type(b"uname -m; apt --version; findmnt -n -o SOURCE,FSTYPE /; "
                       b"touch /x86lab-rw && echo WRITE-OK; systemctl --failed --no-legend "
                       b"--plain | sed 's/^/FAILED-UNIT /'; cat /proc/uptime; "
                       b"dmesg --level=emerg,alert,crit,err,warn | sed 's/^/KMSG /'; "
                       b"echo X86LAB-COMMANDS-DONE\n")
            done = guest.wait_for(rb"\nX86LAB-COMMANDS-DONE", start, timeout=900)
            text = guest.out[start:].decode(errors="replace")
            checks = [(r"\ni686\r?\n", "uname -m did not print i686"),
                      (r"\napt \d+\.\d+", "apt --version did not answer"),
                      (r"/dev/sda1\s+ext4", "the root file system is not ext4 on /dev/sda1"),
                      (r"\nWRITE-OK", "the root file system is not writable")]
            if not done:
                failures.append("the commands did not finish")
            for pattern, why in checks:
                if not re.search(pattern, text):
                    failures.append(why)
            for line in text.splitlines():
                if line.startswith("FAILED-UNIT "):
                    failures.append("systemd unit failed: " + line[len("FAILED-UNIT "):])
                if line.startswith("KMSG "):
                    print("kernel: " + line[len("KMSG "):])
            guest.type(b"poweroff\n")
    rc = guest.wait_exit()
    if rc is None:
        failures.append(f"the emulator did not end within {WALL_TIMEOUT:.0f} s")
    elif rc != 0:
        failures.append(f"the emulator ended with exit code {rc}, expected 0 after poweroff")
    print(f"debian boot: {len(failures)} failures in {guest.elapsed():.1f} s")
    if failures:
        for failure in failures:
            print("FAIL " + failure)
        print("stderr: " + guest.err.decode(errors="replace").strip())
        print("last COM1 lines:")
        for line in guest.out.decode(errors="replace").splitlines()[-40:]:
            print("  " + line)
        return 1
    print("stderr: " + guest.err.decode(errors="replace").strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
