#!/usr/bin/env python3
"""Debian's gdb drives the gdb stub: break at a symbol, step, read and change a register, a
hardware watchpoint, a monitor command, continue to the end.

usage: gdb_test.py GDB X86LAB ROM ELF
"""
import socket
import subprocess
import sys
import tempfile


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    gdb, x86lab, rom, elf = sys.argv[1:5]
    port = free_port()
    stub = subprocess.Popen([x86lab, "-M", "bare", "--bios", rom, "--gdb", f"tcp::{port}", "-S",
                             "--max-instructions", "10000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    commands = f"""set confirm off
set pagination off
set architecture i386
target remote 127.0.0.1:{port}
break bump
continue
print/x $eip
stepi
print/x $eip
print/x *(int*)0x1000
set $ebx = 0x1234
print/x $ebx
watch *(int*)0x1000
continue
continue
delete
monitor regs
continue
"""
    with tempfile.NamedTemporaryFile("w", suffix=".gdb") as script:
        script.write(commands)
        script.flush()
        # gdb may try to connect before the stub listens: it retries for a while by default.
        gdb_run = subprocess.run([gdb, "-nx", "-batch", "-x", script.name, elf],
                                 capture_output=True, text=True, timeout=60)
    out, err = stub.communicate(timeout=60)
    text = gdb_run.stdout + gdb_run.stderr
    print(text)
    print("x86lab stdout:", out, "stderr:", err, "exit:", stub.returncode)
    expected = [
        "Breakpoint 1, bump ()",              # stopped at the symbol
        "$1 = 0xff078",                       # EIP there (flat protected mode: linear)
        "$2 = 0xff07e",                       # one instruction later
        "$3 = 0x1",                           # memory read through the stub
        "$4 = 0x1234",                        # the register write read back
        "Hardware watchpoint 2: *(int*)0x1000",
        "Old value = 1",
        "New value = 2",
        "ebx=00001234",                       # monitor regs through qRcmd
        "protected mode, 32-bit code",
        "exited with code 01",                # the guest saw EBX = 0x1234: PASS
    ]
    missing = [e for e in expected if e not in text]
    if missing:
        print("missing from gdb's output:", missing)
        return 1
    if stub.returncode != 1:
        print("x86lab should exit with 1 (guest PASS), got", stub.returncode)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
