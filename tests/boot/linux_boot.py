#!/usr/bin/env python3
"""Boots Debian's 686 kernel on the pc machine to a busybox shell and types into it.

usage: linux_boot.py X86LAB REPO_ROOT [direct|disk]

  direct  --kernel/--initrd/--append: no BIOS code runs
  disk    SeaBIOS -> SYSLINUX -> Linux from disk.img (--hda)

The guest (vmlinuz, initrd.img, disk.img) comes from scripts/build-linux-guest.sh, which this
test runs first when the files are missing (set X86LAB_NO_GUEST_BUILD=1 to forbid that). When
they are still missing the test exits 77 (meson's "skipped") with a loud SKIPPED line.

Steps: wait for X86LAB-LINUX-READY on COM1, type `uname -m; cat /proc/cpuinfo | head -5`,
expect i686 and a "model name" line; meanwhile --send-keys types on the PS/2 keyboard, once the VGA
console's last row ends with the shell's '#', a command that the shell on tty1 (the VGA console,
which /init starts beside the serial one) runs and that writes its answer to COM1; then type
`poweroff -f`, expect the emulator to end with exit
code 0 (the kernel halts the CPU with interrupts off). Bounded by --max-instructions and a
wall-clock timeout, so it never hangs.
"""
import os
import re
import select
import subprocess
import sys
import time

MARKER = b"X86LAB-LINUX-READY"
MAX_INSTRUCTIONS = 40_000_000_000
WALL_TIMEOUT = float(os.environ.get("X86LAB_LINUX_TIMEOUT", "1500"))
COMMAND = b"uname -m; cat /proc/cpuinfo | head -5\n"
# Typed on the keyboard into tty1; $((6*7)) makes the shell compute what COM1 must show.
VGA_COMMAND = "echo vga-shell-$((6*7)) >/dev/ttyS0\\n"  # --send-keys reads backslash-n as Enter
VGA_ANSWER = b"vga-shell-42"


def guest_dir():
    if os.environ.get("X86LAB_GUEST_DIR"):
        return os.path.join(os.environ["X86LAB_GUEST_DIR"], "linux")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "x86lab", "guests", "linux")


def skipped(why):
    print("=" * 72)
    print(f"SKIPPED: Linux boot test: {why}")
    print("         run scripts/build-linux-guest.sh (needs Debian's mirror) to enable it")
    print("=" * 72)
    return 77


class Guest:
    """The emulator process, its output so far, and a deadline."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.out = b""
        self.err = b""
        self.started = time.monotonic()
        self.deadline = self.started + WALL_TIMEOUT

    def pump(self, timeout):
        streams = [s for s in (self.proc.stdout, self.proc.stderr) if s and not s.closed]
        if not streams:
            time.sleep(timeout)
            return
        ready, _, _ = select.select(streams, [], [], timeout)
        for stream in ready:
            data = os.read(stream.fileno(), 65536)
            if not data:
                stream.close()
            elif stream is self.proc.stdout:
                self.out += data
            else:
                self.err += data

    def wait_for(self, pattern, start, timeout=None):
        """Waits until `pattern` (bytes regex) matches the output after offset `start`."""
        regex = re.compile(pattern)
        deadline = self.deadline if timeout is None else min(self.deadline,
                                                              time.monotonic() + timeout)
        while True:
            match = regex.search(self.out, start)
            if match:
                return match
            if self.proc.poll() is not None and self.proc.stdout.closed:
                return None
            if time.monotonic() > deadline:
                return None
            self.pump(0.5)

    def type(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait_exit(self):
        while self.proc.poll() is None and time.monotonic() < self.deadline:
            self.pump(0.5)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            return None
        while not (self.proc.stdout.closed and self.proc.stderr.closed):
            self.pump(0.1)
        return self.proc.returncode

    def elapsed(self):
        return time.monotonic() - self.started


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    x86lab, root = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) == 4 else "direct"
    directory = guest_dir()
    kernel = os.path.join(directory, "vmlinuz")
    initrd = os.path.join(directory, "initrd.img")
    disk = os.path.join(directory, "disk.img")
    needed = [kernel, initrd] if mode == "direct" else [disk]
    if not all(os.path.isfile(p) for p in needed) and not os.environ.get("X86LAB_NO_GUEST_BUILD"):
        print("building the guest with scripts/build-linux-guest.sh ...", flush=True)
        try:
            subprocess.run(["bash", os.path.join(root, "scripts", "build-linux-guest.sh")],
                           timeout=900, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            print(f"build-linux-guest.sh: {e}")
    missing = [p for p in needed if not os.path.isfile(p)]
    if missing:
        return skipped(f"{', '.join(missing)} not found and could not be built")

    cmdline_file = os.path.join(directory, "cmdline.txt")
    cmdline = (open(cmdline_file).read().strip() if os.path.isfile(cmdline_file) else
               "console=ttyS0,115200n8")
    argv = [x86lab, "--nographic", "--deterministic", "--no-reboot",
            "--max-instructions", str(MAX_INSTRUCTIONS),
            "--send-keys", VGA_COMMAND, "--send-keys-after", "#"]
    if mode == "direct":
        argv += ["--kernel", kernel, "--initrd", initrd, "--append", cmdline]
    else:
        argv += ["--hda", disk, "--snapshot"]
    print("running: " + " ".join(argv), flush=True)
    guest = Guest(argv)

    failures = []
    passed = 0
    ready = guest.wait_for(re.escape(MARKER) + rb"[^\n]*\n", 0)
    if not ready:
        failures.append(f"no {MARKER.decode()} on COM1")
    else:
        passed += 1
        print(f"ready after {guest.elapsed():.1f} s: {ready.group(0).decode(errors='replace').strip()}",
              flush=True)
        # Let the shell print its prompt before typing.
        guest.wait_for(rb"[#$] ", ready.end(), timeout=300)
        start = len(guest.out)
        guest.type(COMMAND)
        arch = guest.wait_for(rb"\ni686\r?\n", start, timeout=300)
        if not arch:
            failures.append("uname -m did not print i686")
        else:
            passed += 1
        model = guest.wait_for(rb"model name\s*:\s*([^\r\n]+)", start, timeout=300)
        if not model:
            failures.append("/proc/cpuinfo has no model name line")
        else:
            passed += 1
            print(f"cpuinfo: model name: {model.group(1).decode(errors='replace')}", flush=True)
        guest.wait_for(rb"[#$] ", model.end() if model else start, timeout=300)
        # The tty1 shell's answer has no COM1 prompt after it: wait for the answer itself.
        vga = guest.wait_for(re.escape(VGA_ANSWER), ready.end(), timeout=300)
        if not vga:
            failures.append(f"the shell on tty1 did not answer the keyboard ({VGA_ANSWER.decode()}"
                            " not on COM1)")
        else:
            passed += 1
        guest.type(b"poweroff -f\n")
    rc = guest.wait_exit()
    if rc is None:
        failures.append(f"the emulator did not end within {WALL_TIMEOUT:.0f} s")
    elif rc != 0:
        failures.append(f"the emulator ended with exit code {rc}, expected 0 after poweroff -f")
    elif ready:
        passed += 1
    print(f"linux boot ({mode}): {passed} of 5 checks in {guest.elapsed():.1f} s")
    if failures:
        for failure in failures:
            print("FAIL " + failure)
        print("stderr: " + guest.err.decode(errors="replace").strip())
        print("last COM1 lines:")
        for line in guest.out.decode(errors="replace").splitlines()[-25:]:
            print("  " + line)
        return 1
    print("stderr: " + guest.err.decode(errors="replace").strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
