#!/usr/bin/env python3
"""Debian's gdb debugs the Linux kernel's boot through the gdb stub.

usage: gdb_linux_test.py GDB X86LAB REPO_ROOT [TRANSCRIPT]

x86lab boots Debian's 686 kernel directly (--deterministic, -S, --gdb). gdb, with the kernel's
symbols (System.map from scripts/build-linux-guest.sh, made an ELF by scripts/symbols_elf.py),
breaks at start_kernel, shows the registers, steps two instructions, reads linux_banner through
the guest's page tables, asks the monitor for the page walk, deletes the breakpoint and
detaches; the kernel then boots on to the busybox shell, where `poweroff -f` must end the
emulator with exit code 0. TRANSCRIPT, when given, receives gdb's session (docs/debugging.md
shows one). Exits 77 (skipped) when the guest cannot be built.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
from linux_boot import MARKER, Guest, guest_dir, skipped  # noqa: E402

MAX_INSTRUCTIONS = 40_000_000_000
PAGE_OFFSET = 0xC0000000  # the 686 kernel's 3G/1G split: virtual = physical + 3 GiB


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def symbol(system_map, name):
    with open(system_map) as f:
        for line in f:
            fields = line.split()
            if len(fields) == 3 and fields[2] == name:
                return int(fields[0], 16)
    return None


def main():
    if len(sys.argv) not in (4, 5):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    gdb, x86lab, root = sys.argv[1:4]
    transcript = sys.argv[4] if len(sys.argv) == 5 else None
    directory = guest_dir()
    kernel = os.path.join(directory, "vmlinuz")
    initrd = os.path.join(directory, "initrd.img")
    system_map = os.path.join(directory, "System.map")
    needed = [kernel, initrd, system_map]
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
    if not (shutil.which("as") and shutil.which("ld")):
        return skipped("binutils' as and ld are needed to give gdb the kernel's symbols")
    start_kernel = symbol(system_map, "start_kernel")
    banner = symbol(system_map, "linux_banner")
    if start_kernel is None or banner is None:
        print(f"FAIL {system_map} has no start_kernel or linux_banner")
        return 1

    with tempfile.TemporaryDirectory() as tmp:
        symbols = os.path.join(tmp, "vmlinux-symbols.elf")
        made = subprocess.run([sys.executable, os.path.join(root, "scripts", "symbols_elf.py"),
                               system_map, symbols], capture_output=True, text=True)
        if made.returncode != 0:
            print(f"FAIL symbols_elf.py: {made.stdout}{made.stderr}")
            return 1
        port = free_port()
        # nokaslr: the kernel runs where System.map says (KASLR would move it at random).
        cmdline = open(os.path.join(directory, "cmdline.txt")).read().strip() + " nokaslr"
        argv = [x86lab, "--nographic", "--deterministic", "--no-reboot",
                "--max-instructions", str(MAX_INSTRUCTIONS), "--gdb", f"tcp::{port}", "-S",
                "--kernel", kernel, "--initrd", initrd, "--append", cmdline]
        print("running: " + " ".join(argv), flush=True)
        guest = Guest(argv)
        script = os.path.join(tmp, "session.gdb")
        with open(script, "w") as f:
            f.write(f"""set confirm off
set pagination off
set architecture i386
echo == connect: the CPU waits at the kernel's 32-bit entry, paging off\\n
target remote 127.0.0.1:{port}
print/x $eip
echo == break at start_kernel (System.map) and run the decompressor and head_32.S\\n
break *start_kernel
continue
info registers eip esp eflags cs ds ss
x/4i $pc
echo == two single steps\\n
stepi
stepi
info symbol $pc
echo == kernel memory through the guest's page tables\\n
x/s &linux_banner
monitor xlate {banner:#x}
echo == the monitor's view of the control registers\\n
monitor regs
echo == delete the breakpoint and let the kernel boot on\\n
delete
detach
""")
        session = subprocess.Popen([gdb, "-nx", "-batch", "-x", script, symbols],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        # Keep reading COM1 while gdb works, so a full pipe never stalls the guest.
        deadline = time.monotonic() + 900
        while session.poll() is None and time.monotonic() < deadline:
            guest.pump(0.5)
        if session.poll() is None:
            session.kill()
        text = session.communicate()[0]
    print(text, flush=True)
    if transcript:
        with open(transcript, "w") as f:
            f.write(text)

    failures = []
    expected = [
        (r"\$1 = 0x100000\b", "EIP at the 32-bit boot protocol entry"),
        (rf"Breakpoint 1, 0x{start_kernel:08x} in start_kernel \(\)", "the break at start_kernel"),
        (rf"eip\s+0x{start_kernel:x}\s+0x{start_kernel:x} <start_kernel>", "EIP in info registers"),
        (r"cs\s+0x60\s", "the kernel's code segment (__KERNEL_CS)"),
        (r"start_kernel \+ [1-9]\d* in section \.kernel", "two steps inside start_kernel"),
        (rf"0x{banner:x} <linux_banner>:\s+\"Linux version 6\.", "linux_banner read"),
        (rf"{banner - PAGE_OFFSET:#x}|{banner - PAGE_OFFSET:08x}", "the page walk to physical"),
        (r"CR0=[0-9a-f]*[89a-f][0-9a-f]{7}\b|PG", "paging on in monitor regs"),
        (r"\[Inferior 1 \(Remote target\) detached\]", "detach"),
    ]
    for pattern, what in expected:
        if not re.search(pattern, text, re.I):
            failures.append(f"gdb: {what} (/{pattern}/)")

    ready = guest.wait_for(re.escape(MARKER) + rb"[^\n]*\n", 0)
    if not ready:
        failures.append(f"no {MARKER.decode()} on COM1 after detaching")
    else:
        guest.wait_for(rb"[#$] ", ready.end(), timeout=300)
        guest.type(b"poweroff -f\n")
    rc = guest.wait_exit()
    if rc != 0:
        failures.append(f"the emulator ended with {rc}, expected 0 after poweroff -f")
    print(f"gdb linux: {len(expected) + 2 - len(failures)} of {len(expected) + 2} checks, "
          f"{guest.elapsed():.1f} s")
    if failures:
        for failure in failures:
            print("FAIL " + failure)
        print("stderr: " + guest.err.decode(errors="replace").strip())
        for line in guest.out.decode(errors="replace").splitlines()[-15:]:
            print("  " + line)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
