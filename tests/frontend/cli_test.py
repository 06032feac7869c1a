#!/usr/bin/env python3
"""Command-line behaviour of the x86lab binary, one case a meson test.

usage: cli_test.py X86LAB CASE
"""
import os
import subprocess
import sys
import tempfile
import time

PLANNED = []
IMPLEMENTED = ["--help", "--version", "--stats", "--machine", "--cpu", "--memory", "--bios",
               "--no-reboot", "--deterministic", "--debugcon", "--max-instructions",
               "--seabios-log", "--serial", "--kernel", "--initrd", "--append", "--no-serial-input",
               "--monitor", "--gdb", "-s", "-S", "--trace", "--magic-break",
               "--fda", "--fdb", "--hda", "--hdb", "--cdrom", "--boot", "--snapshot",
               "--display", "--nographic", "--screen-dump", "--screenshot", "--send-keys",
               "--send-keys-after", "--send-keys-delay", "--vgabios"]
SEABIOS = ["/usr/share/seabios/bios-256k.bin", "/usr/share/seabios/bios.bin"]
# A pc run that must not touch the terminal or open a window.
PC = ["-M", "pc", "--display", "none", "--serial", "none", "--no-serial-input"]
# The demo ROM runs on the bare machine; the pc is the default where SeaBIOS is installed.
BARE = ["-M", "bare"]


class Failure(Exception):
    pass


def run(x86lab, *args):
    proc = subprocess.run([x86lab, *args], capture_output=True, timeout=60)
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(
        errors="replace")


def expect(condition, what):
    if not condition:
        raise Failure(what)


def expect_one_line_error(x86lab, args, code, *needles):
    rc, out, err = run(x86lab, *args)
    shown = f"x86lab {' '.join(args)}: exit {rc}, stdout {out!r}, stderr {err!r}"
    expect(rc == code, f"expected exit {code}; {shown}")
    expect(out == "", f"expected nothing on stdout; {shown}")
    lines = err.splitlines()
    expect(len(lines) == 1, f"expected exactly one line on stderr; {shown}")
    expect(lines[0].startswith("x86lab: "), f"expected the line to start 'x86lab: '; {shown}")
    for needle in needles:
        expect(needle in lines[0], f"expected {needle!r} in the message; {shown}")


def case_help(x86lab):
    rc, out, err = run(x86lab, "--help")
    expect(rc == 0, f"--help exit {rc}")
    expect(err == "", f"--help wrote to stderr: {err!r}")
    for option in IMPLEMENTED + PLANNED:
        expect(f" {option} " in out or f" {option}\n" in out or f"[ {option} ]" in out,
               f"--help does not list {option}")
    for group in ["General:", "Machine:", "Debugging and testing:"]:
        expect(group in out, f"--help lacks the group {group!r}")
    rc_short, out_short, _ = run(x86lab, "-h")
    expect(rc_short == 0 and out_short == out, "-h differs from --help")


def case_version(x86lab):
    rc, out, _ = run(x86lab, "--version")
    expect(rc == 0, f"--version exit {rc}")
    expect(out.startswith("x86lab ") and out.count("\n") == 1, f"--version printed {out!r}")


def case_unknown_option(x86lab):
    expect_one_line_error(x86lab, ["--frobnicate"], 2, "--frobnicate")
    expect_one_line_error(x86lab, ["-q"], 2, "-q")


def case_unexpected_argument(x86lab):
    expect_one_line_error(x86lab, ["disk.img"], 2, "disk.img")


def case_missing_value(x86lab):
    expect_one_line_error(x86lab, ["--bios"], 2, "--bios")


def case_missing_bios(x86lab):
    path = "/nonexistent/x86lab-test/rom.bin"
    expect_one_line_error(x86lab, ["--bios", path], 1, path, "not found")


def case_bad_bios_files(x86lab):
    with tempfile.TemporaryDirectory() as tmp:
        expect_one_line_error(x86lab, ["--bios", tmp], 1, tmp, "directory")
        empty = os.path.join(tmp, "empty.bin")
        open(empty, "wb").close()
        expect_one_line_error(x86lab, ["--bios", empty], 1, empty, "empty")
        odd = os.path.join(tmp, "odd.bin")
        with open(odd, "wb") as f:
            f.write(b"\xf4" * 100)
        expect_one_line_error(x86lab, ["--bios", odd], 1, odd, "512")
        huge = os.path.join(tmp, "huge.bin")
        with open(huge, "wb") as f:
            f.write(b"\xf4" * (2 << 20))
        expect_one_line_error(x86lab, ["--bios", huge], 1, huge, "larger")


def case_firmware_packages(x86lab):
    """A missing firmware file where a Debian package puts it names the package."""
    for path, package in [("/usr/share/bochs/x86lab-missing-bios", "bochsbios"),
                          ("/usr/share/seabios/x86lab-missing.bin", "seabios")]:
        expect_one_line_error(x86lab, ["-M", "pc", "--bios", path], 1, path,
                              f"apt-get install {package}")
    expect_one_line_error(x86lab, [*BARE, "--vgabios", "v.bin"], 2, "--vgabios", "pc")
    if not any(os.path.isfile(p) for p in SEABIOS):
        return  # the pc machine needs SeaBIOS
    path = "/usr/share/vgabios/x86lab-missing.bin"
    expect_one_line_error(x86lab, [*PC, "--vgabios", path], 1, path, "apt-get install vgabios")
    path = "/nonexistent/x86lab-test/vga.bin"
    expect_one_line_error(x86lab, [*PC, "--vgabios", path], 1, path, "not found")


def case_no_display(x86lab):
    """Without a display the pc machine runs headless and says so in one line (what `make run`
    shows on a machine without X or Wayland); --display none and --nographic say nothing."""
    if not any(os.path.isfile(p) for p in SEABIOS):
        return
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    base = ["-M", "pc", "--max-instructions", "100000", "--deterministic"]

    def stderr_lines(*args):
        proc = subprocess.run([x86lab, *base, *args], capture_output=True, timeout=60, env=env,
                              stdin=subprocess.DEVNULL)
        return proc.returncode, proc.stderr.decode(errors="replace").splitlines()

    rc, lines = stderr_lines("--serial", "none")
    notices = [line for line in lines if "no SDL window" in line]
    expect(rc == 2 and len(notices) == 1 and "running headless" in notices[0] and
           "DISPLAY" in notices[0], f"exit {rc}, stderr {lines!r}")
    rc, lines = stderr_lines()  # COM1 on stdio: the notice says where the console is
    notices = [line for line in lines if "no SDL window" in line]
    expect(len(notices) == 1 and "serial console on this terminal (Ctrl-A X quits)" in notices[0],
           f"stderr {lines!r}")
    for quiet in (["--display", "none", "--serial", "none"], ["--nographic"]):
        rc, lines = stderr_lines(*quiet)
        expect(not any("no SDL window" in line for line in lines),
               f"{quiet}: a notice although no window was asked for: {lines!r}")


def case_drives(x86lab):
    expect_one_line_error(x86lab, [*BARE, "--fda", "a.img"], 2, "--fda", "pc machine")
    expect_one_line_error(x86lab, [*PC, "--boot", "q"], 2, "'q'", "a (floppy)")
    expect_one_line_error(x86lab, [*PC, "--send-keys", "a\\q"], 2, "--send-keys", "\\q")
    if not any(os.path.isfile(p) for p in SEABIOS):
        return  # the rest runs the pc machine
    with tempfile.TemporaryDirectory() as tmp:
        missing = os.path.join(tmp, "missing.img")
        for option in ["--fda", "--hda", "--cdrom"]:
            expect_one_line_error(x86lab, [*PC, option, missing], 1, missing)
        odd = os.path.join(tmp, "odd.img")
        with open(odd, "wb") as f:
            f.write(b"\0" * 1000)
        for option, needle in [("--fda", "1.44M"), ("--hdb", "512"), ("--cdrom", "2048")]:
            expect_one_line_error(x86lab, [*PC, option, odd], 1, odd, needle)
        # A second x86lab writing the same image is refused while the first runs; the first
        # ends cleanly on SIGTERM (128 + 15).
        disk = os.path.join(tmp, "disk.img")
        with open(disk, "wb") as f:
            f.write(b"\0" * (64 * 512))
        first = subprocess.Popen([x86lab, *PC, "-m", "16", "--hda", disk], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 30
            while True:
                rc, out, err = run(x86lab, *PC, "-m", "16", "--hda", disk,
                                   "--max-instructions", "1000")
                if rc == 1 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)  # the first has not opened the image yet
            expect(rc == 1 and len(err.splitlines()) == 1 and disk in err,
                   f"second x86lab on {disk}: exit {rc}, stderr {err!r}")
            first.terminate()
            _, first_err = first.communicate(timeout=30)
            expect(first.returncode == 143,
                   f"SIGTERM: expected exit 143, got {first.returncode}, {first_err!r}")
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        # --snapshot takes a shared lock: two snapshot runs of one image are fine.
        rc, out, err = run(x86lab, *PC, "--hda", disk, "--snapshot", "--boot", "order=c",
                           "--screen-dump", "--deterministic",
                           "--max-instructions", "20000000")
        expect(rc == 2 and "stopped after" in err, f"--snapshot run: exit {rc}, {err!r}")
        expect(out.startswith("--- screen dump ---\n") and "SeaBIOS (version" in out and
               out.endswith("--- end of screen dump ---\n"), f"--screen-dump: {out!r}")


def case_machine(x86lab):
    expect_one_line_error(x86lab, ["--machine", "pc", "--cpu", "286"], 2, "'pc'", "386")
    expect_one_line_error(x86lab, ["-M", "amiga"], 2, "'amiga'", "bare")
    rc, out, _ = run(x86lab, "-M", "bare")
    expect(rc == 0 and out.startswith("Hello from x86lab"), f"-M bare: exit {rc}, {out!r}")


def case_cpu(x86lab):
    expect_one_line_error(x86lab, ["--cpu", "z80"], 2, "'z80'", "8086, 286, 386, pentium-pro")
    for model in ["8086", "286", "386", "pentium-pro"]:
        rc, out, _ = run(x86lab, *BARE, "--cpu", model)
        expect(rc == 0 and out.startswith("Hello from x86lab"), f"--cpu {model}: exit {rc}")


def case_memory(x86lab):
    for bad in ["0", "4G", "3585", "abc", "12K", "-1", "1.5G", ""]:
        expect_one_line_error(x86lab, ["-m", bad], 2, f"'{bad}'")
    # Sizes stay small: meson sets MALLOC_PERTURB_, which makes glibc touch all guest RAM.
    for good in ["1", "64M", "128mib"]:
        rc, _, err = run(x86lab, *BARE, "-m", good)
        expect(rc == 0, f"-m {good}: exit {rc}, {err!r}")


def case_debugcon(x86lab):
    expect_one_line_error(x86lab, ["--debugcon", "tcp:1234"], 2, "'tcp:1234'")
    expect_one_line_error(x86lab, ["--debugcon", "file:/nonexistent/dir/out.txt"], 1,
                          "/nonexistent/dir/out.txt")
    with tempfile.TemporaryDirectory() as tmp:
        out_path = os.path.join(tmp, "debugcon.txt")
        rc, out, _ = run(x86lab, *BARE, "--debugcon", "file:" + out_path)
        expect(rc == 0 and out == "", f"--debugcon file: exit {rc}, stdout {out!r}")
        text = open(out_path, encoding="utf-8").read()
        expect(text.startswith("Hello from x86lab\n"), f"debugcon file holds {text!r}")
    rc, out, _ = run(x86lab, *BARE, "--debugcon", "none")
    expect(rc == 0 and out == "", f"--debugcon none: exit {rc}, stdout {out!r}")


def case_max_instructions(x86lab):
    for bad in ["0", "-5", "ten", "1e6"]:
        expect_one_line_error(x86lab, ["--max-instructions", bad], 2, f"'{bad}'")
    rc, _, err = run(x86lab, "--max-instructions", "3")
    expect(rc == 2 and "stopped after 3 instructions" in err, f"exit {rc}, {err!r}")


def case_stats(x86lab):
    rc, _, err = run(x86lab, *BARE, "--stats")
    expect(rc == 0 and "instructions retired" in err and "MIPS" in err, f"stderr {err!r}")


def case_demo(x86lab):
    rc, out, err = run(x86lab, *BARE)
    expect(rc == 0, f"exit {rc}")
    expect(out.startswith("Hello from x86lab\n"), f"stdout {out!r}")
    expect(err == "x86lab: guest halted with interrupts disabled\n", f"stderr {err!r}")


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    x86lab, name = sys.argv[1], sys.argv[2]
    case = globals().get("case_" + name.replace("-", "_"))
    if case is None:
        print(f"cli_test: no case {name!r}", file=sys.stderr)
        return 2
    try:
        case(x86lab)
    except Failure as failure:
        print(f"FAIL {name}: {failure}")
        return 1
    print(f"ok {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
