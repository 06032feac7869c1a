#!/usr/bin/env python3
"""Data safety of disk images (suite reliability), one case a meson test.

usage: data_safety_test.py X86LAB ROM CASE

ROM is data_safety_rom.asm assembled: on the pc machine it writes a pattern to LBA 1 of the
primary master (ATA PIO), flushes, prints one line on the debug console and spins. Cases:

  kill9         after the guest's "written and flushed", SIGKILL: the image holds the pattern
  snapshot      --snapshot: the guest's write succeeds, the image's bytes never change
                (SIGKILL in the middle, and SIGTERM, which ends the run normally)
  readonly-mode an image without write permission: the guest's write fails, the file is unchanged
  readonly-on   --hda FILE,readonly=on on a writable file: the same
  lock          a second x86lab on an image another one is writing is refused (one line, exit 1),
                read-only and snapshot openers included
"""
import hashlib
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time

IMAGE_BYTES = 64 * 1024
WRITTEN = "data-safety: written and flushed"
FAILED = "data-safety: write failed"
# The guest's line comes within a few thousand instructions; this is only a bound on a hang.
SIGNAL_TIMEOUT_S = 60


class Failure(Exception):
    pass


def expect(condition, what):
    if not condition:
        raise Failure(what)


def pattern():
    return bytes(b for i in range(256) for b in (i, 0xA5))


def make_image(directory, name="disk.img"):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(bytes(IMAGE_BYTES))
    return path


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def start(x86lab, rom, hda, *extra):
    command = [x86lab, "-M", "pc", "--bios", rom, "--hda", hda, "--display", "none", "--serial",
               "none", "--no-serial-input", "--debugcon", "stdio", *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_line(proc):
    """The guest's one line on the debug console (the process keeps running)."""
    deadline = time.monotonic() + SIGNAL_TIMEOUT_S
    os.set_blocking(proc.stdout.fileno(), True)
    line = proc.stdout.readline().strip()
    expect(time.monotonic() < deadline, "the guest took too long to report")
    if not line:
        proc.kill()
        _, err = proc.communicate()
        raise Failure(f"x86lab ended (exit {proc.returncode}) before the guest reported: {err!r}")
    return line


def stop(proc, sig):
    proc.send_signal(sig)
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise Failure(f"x86lab did not end on signal {sig}")
    return proc.returncode


def case_kill9(x86lab, rom, tmp):
    image = make_image(tmp)
    proc = start(x86lab, rom, image)
    line = wait_for_line(proc)
    expect(line == WRITTEN, f"guest said {line!r}, expected {WRITTEN!r}")
    rc = stop(proc, signal.SIGKILL)
    expect(rc == -signal.SIGKILL, f"expected death by SIGKILL, got exit {rc}")
    with open(image, "rb") as f:
        data = f.read()
    expect(len(data) == IMAGE_BYTES, f"the image is now {len(data)} bytes")
    expect(data[512:1024] == pattern(), "LBA 1 does not hold the flushed pattern after SIGKILL")
    expect(data[:512] == bytes(512) and data[1024:] == bytes(IMAGE_BYTES - 1024),
           "bytes outside LBA 1 changed")
    print("kill -9 after FLUSH CACHE: the image holds the guest's sector")


def case_snapshot(x86lab, rom, tmp):
    image = make_image(tmp)
    before = digest(image)
    for sig in (signal.SIGKILL, signal.SIGTERM):
        proc = start(x86lab, rom, image, "--snapshot")
        line = wait_for_line(proc)
        expect(line == WRITTEN, f"--snapshot: guest said {line!r}, expected {WRITTEN!r}")
        stop(proc, sig)
        expect(digest(image) == before, f"--snapshot changed the image (ended by signal {sig})")
    print("--snapshot: the guest's write succeeded and the image's hash did not change")


def check_read_only(x86lab, rom, image, hda_value):
    before = digest(image)
    proc = start(x86lab, rom, hda_value)
    line = wait_for_line(proc)
    expect(line == FAILED, f"read-only image: guest said {line!r}, expected {FAILED!r}")
    stop(proc, signal.SIGTERM)
    expect(digest(image) == before, "a read-only image was written")


def case_readonly_mode(x86lab, rom, tmp):
    image = make_image(tmp)
    os.chmod(image, 0o444)
    check_read_only(x86lab, rom, image, image)
    print("an image without write permission: the guest's write failed, the file is unchanged"
          + (" (as root)" if os.geteuid() == 0 else ""))


def case_readonly_on(x86lab, rom, tmp):
    image = make_image(tmp)
    check_read_only(x86lab, rom, image, image + ",readonly=on")
    expect(os.stat(image).st_mode & stat.S_IWUSR, "the test image lost its write permission")
    print("--hda FILE,readonly=on: the guest's write failed, the file is unchanged")


def case_lock(x86lab, rom, tmp):
    image = make_image(tmp)
    first = start(x86lab, rom, image)
    try:
        expect(wait_for_line(first) == WRITTEN, "the first x86lab did not write")
        for extra in ([], ["--snapshot"]):
            for target in (image, image + ",readonly=on"):
                if extra and target != image:
                    continue
                proc = subprocess.run(
                    [x86lab, "-M", "pc", "--bios", rom, "--hda", target, "--display", "none",
                     "--serial", "none", "--no-serial-input", "--max-instructions", "1000",
                     *extra], capture_output=True, text=True, timeout=60)
                shown = f"second x86lab --hda {target} {' '.join(extra)}: exit {proc.returncode}, " \
                        f"stderr {proc.stderr!r}"
                expect(proc.returncode == 1, "expected exit 1; " + shown)
                lines = proc.stderr.splitlines()
                expect(len(lines) == 1 and "in use" in lines[0] and image in lines[0],
                       "expected one line naming the image as in use; " + shown)
    finally:
        stop(first, signal.SIGTERM)
    print("a second x86lab on an image in use is refused (read-write, read-only, snapshot)")


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    x86lab, rom, name = sys.argv[1:]
    case = globals().get("case_" + name.replace("-", "_"))
    if case is None:
        print(f"data_safety_test: no case {name!r}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        try:
            case(x86lab, rom, tmp)
        except Failure as failure:
            print(f"FAIL {name}: {failure}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
