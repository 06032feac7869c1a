#!/usr/bin/env python3
"""The monitor driven through a pipe (break, regs, x, u, step, watch, continue), and --trace
giving the same lines on two runs.

usage: monitor_test.py X86LAB LOOP_ROM
"""
import os
import subprocess
import sys
import tempfile

COMMANDS = """break 0xF000:0xF019
continue
regs
x 0xF000:0xF000 16
u 0xFF019 3
step
step
info breakpoints
delete 1
watch 0x2000 2
continue
delete 2
iowatch 0xF4
continue
continue
"""


def run_monitor(x86lab, rom):
    proc = subprocess.run([x86lab, "-M", "bare", "--bios", rom, "--monitor", "stdio", "-S",
                           "--max-instructions", "1000000"],
                          input=COMMANDS, capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def main():
    x86lab, rom = sys.argv[1:3]
    rc, out, err = run_monitor(x86lab, rom)
    print(out)
    print("stderr:", err, "exit:", rc)
    expected = [
        "breakpoint 1 set",
        "breakpoint 1 at F000:0000F019 (linear 000FF019)",
        "eip=0000F019",
        "cs=F000 base=000F0000 limit=0000FFFF",
        "cr0=60000010",
        "st0=0000:0000000000000000",
        "000FF000: EB 0A AC 84 C0 74 04 E6 E9 EB F7 C3 FA FC 31 C0",
        "000FF019: B9E803           mov cx, 0x3E8   <- CS:EIP",
        "stopped at F000:0000F01C",
        "stopped at F000:0000F01E",
        "1: breakpoint F000:0000F019, hit 1 times",
        "watchpoint 2: write of 2 bytes at 00002000 (physical 00002000) value 00000001; "
        "stopped at F000:0000F023",
        "iowatch 3: out port 00F4 size 1 value 00000000",
        "guest ended the run (exit code 1)",
        "loop: PASS",
    ]
    missing = [e for e in expected if e not in out]
    if missing:
        print("missing from the monitor's output:", missing)
        return 1
    if rc != 1:
        print("expected exit code 1 (the guest's PASS), got", rc)
        return 1

    # The trace: one line per instruction, the same on every run.
    traces = []
    with tempfile.TemporaryDirectory() as work:
        for n in range(2):
            path = os.path.join(work, f"trace{n}.txt")
            proc = subprocess.run([x86lab, "-M", "bare", "--bios", rom, "--trace", path],
                                  capture_output=True, text=True, timeout=60)
            if proc.returncode != 1:
                print("traced run: exit", proc.returncode, proc.stderr)
                return 1
            with open(path) as f:
                traces.append(f.read())
    lines = traces[0].splitlines()
    if traces[0] != traces[1] or len(lines) < 3000:
        print("trace differs between runs or is short:", len(lines))
        return 1
    if not lines[0].startswith("F000:0000FFF0 EA0CF000F0       jmp far 0xF000:0xF00C"):
        print("unexpected first trace line:", lines[0])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
