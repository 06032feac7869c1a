#!/usr/bin/env python3
"""Bad input on the command line (suite reliability): every file option given a missing, a
directory, an unopenable, an unreadable, an empty, a wrongly sized or an oversized path, and
option values that make no sense, must end with exactly one line on stderr that starts with
"x86lab: " and names the thing, and a non-zero exit code. Never a crash, a hang or a usage dump.

usage: bad_input_test.py X86LAB GROUP     GROUP: files, values

Prints every input it tried, then `bad inputs GROUP: N tried, N one-line errors`.
"""
import os
import subprocess
import sys
import tempfile

PC = ["-M", "pc", "--display", "none", "--serial", "none", "--no-serial-input",
      "--max-instructions", "1000"]
BARE = ["-M", "bare", "--max-instructions", "1000"]


class Failure(Exception):
    pass


def check(x86lab, args, *needles, codes=(1, 2)):
    proc = subprocess.run([x86lab, *args], capture_output=True, text=True, errors="replace",
                          timeout=60, stdin=subprocess.DEVNULL)
    shown = f"x86lab {' '.join(args)}: exit {proc.returncode}, stderr {proc.stderr!r}"
    lines = proc.stderr.splitlines()
    if proc.returncode not in codes:
        raise Failure(f"expected exit {' or '.join(map(str, codes))}; {shown}")
    if len(lines) != 1 or not lines[0].startswith("x86lab: "):
        raise Failure(f"expected one line starting 'x86lab: '; {shown}")
    for needle in needles:
        if needle not in lines[0]:
            raise Failure(f"expected {needle!r} in the message; {shown}")
    print(f"  ok  {' '.join(args[-2:]) if len(args) > 1 else args[0]:60.60} -> {lines[0][8:90]}")


def write(path, size, byte=b"\0"):
    with open(path, "wb") as f:
        f.write(byte * size)
    return path


def group_files(x86lab, tmp):
    tried = 0
    missing = os.path.join(tmp, "missing.img")
    not_a_dir = os.path.join(write(os.path.join(tmp, "plain"), 512), "inside.img")
    empty = write(os.path.join(tmp, "empty.img"), 0)
    odd = write(os.path.join(tmp, "odd.img"), 1000)
    unreadable = write(os.path.join(tmp, "unreadable.img"), 1474560)
    os.chmod(unreadable, 0)
    as_root = os.geteuid() == 0
    if as_root:
        print("  SKIPPED: unreadable files (chmod 000) are readable for root; running as root, "
              "the unopenable path (a file used as a directory) stands in for them")
    cases = {
        # option: (machine args, extra args, {path: needle}) for the bad paths of that option
        "--bios": (BARE, [], {missing: "not found", tmp: "directory", not_a_dir: not_a_dir,
                              empty: "empty", odd: "512",
                              write(os.path.join(tmp, "huge.bin"), 2 << 20): "larger"}),
        "--fda": (PC, [], {missing: missing, tmp: tmp, not_a_dir: not_a_dir,
                           empty: "floppy", odd: "1.44M",
                           write(os.path.join(tmp, "big.img"), 4 << 20): "floppy"}),
        "--fdb": (PC, [], {missing: missing, tmp: tmp, odd: "1.44M"}),
        "--hda": (PC, [], {missing: missing, tmp: tmp, not_a_dir: not_a_dir,
                           empty: "512", odd: "512",
                           missing + ",readonly=on": missing}),
        "--hdb": (PC, [], {missing: missing, tmp: tmp, odd: "512"}),
        "--cdrom": (PC, [], {missing: missing, tmp: tmp, not_a_dir: not_a_dir,
                             empty: "2048", odd: "2048"}),
        "--kernel": (PC, [], {missing: "not found", tmp: "directory", not_a_dir: not_a_dir,
                              empty: "kernel", odd: "kernel"}),
    }
    for option, (machine, extra, paths) in cases.items():
        for path, needle in paths.items():
            check(x86lab, [*machine, *extra, option, path], needle)
            tried += 1
        if not as_root:
            check(x86lab, [*machine, *extra, option, unreadable], unreadable)
            tried += 1
    # --initrd: the kernel must be usable first, so only its own errors are checked here.
    for path, needle in {missing: "initrd", tmp: "initrd"}.items():
        check(x86lab, [*PC, "--initrd", path], needle)
        tried += 1
    return tried


def group_values(x86lab, tmp):
    tried = 0
    bad = [
        (["-m", "0"], "'0'"), (["-m", "4G"], "'4G'"), (["-m", "3585"], "'3585'"),
        (["-m", "-1"], "'-1'"), (["-m", "99999999999999999999"], "'99999999999999999999'"),
        (["-m", "1.5G"], "'1.5G'"), (["-m", "abc"], "'abc'"), (["-m", ""], "''"),
        (["--cpu", "z80"], "'z80'"), (["--cpu", "486"], "'486'"), (["--cpu", ""], "''"),
        (["-M", "amiga"], "'amiga'"), (["-M", "pc", "--cpu", "8086"], "386"),
        (["--max-instructions", "0"], "'0'"), (["--max-instructions", "-5"], "'-5'"),
        (["--max-instructions", "1e6"], "'1e6'"),
        (["--max-instructions", "99999999999999999999999"], "'99999999999999999999999'"),
        (["--debugcon", "tcp:1"], "'tcp:1'"), (["--debugcon", "file:"], "file"),
        (["--debugcon", "file:/nonexistent/dir/x"], "/nonexistent/dir/x"),
        (["--serial", "pty"], "'pty'"), (["--seabios-log", "udp:1"], "'udp:1'"),
        ([*PC, "--boot", "q"], "'q'"), ([*PC, "--boot", "cc"], "'cc'"),
        ([*PC, "--boot", "abcd"], "'abcd'"), ([*PC, "--boot", ""], "boot"),
        ([*PC, "--send-keys", "a\\q"], "\\q"),
        ([*PC, "--send-keys", "a", "--send-keys-delay", "soon"], "'soon'"),
        ([*PC, "--send-keys-after", "x"], "--send-keys"),
        (["--display", "vnc"], "'vnc'"), (["--gdb", "tcp::99999"], "99999"),
        (["--gdb", "serial"], "'serial'"), (["--monitor", "telnet"], "'telnet'"),
        ([*BARE, "--fda", "a.img"], "pc machine"), ([*BARE, "--kernel", "vmlinuz"], "pc"),
        (["--no-such-option"], "no-such-option"), (["--hda"], "hda"),
        (["stray-argument"], "stray-argument"),
        ([*PC, "-m", "16", "--kernel", write(os.path.join(tmp, "k"), 4096, b"\x90")], "bzImage"),
    ]
    for args, needle in bad:
        check(x86lab, args, needle, codes=(1, 2))
        tried += 1
    return tried


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    x86lab, group = sys.argv[1:]
    runner = {"files": group_files, "values": group_values}.get(group)
    if runner is None:
        print(f"bad_input_test: no group {group!r}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        try:
            tried = runner(x86lab, tmp)
        except Failure as failure:
            print(f"FAIL {group}: {failure}")
            return 1
    print(f"bad inputs {group}: {tried} tried, {tried} one-line errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
