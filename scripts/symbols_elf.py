#!/usr/bin/env python3
"""Turns a System.map into a small i386 ELF that gdb reads as a symbol file.

usage: symbols_elf.py SYSTEM_MAP OUT.elf [BASE]

gdb takes symbols only from object files, and absolute symbols (what `--defsym` or `.set`
give) are not functions to it: `break start_kernel` fails. So every symbol at or above BASE
(default 0xc1000000, the 686 kernel's _text) becomes a label in one NOBITS section placed at
BASE: functions for t/T, objects otherwise. The file stays small (no section contents) and gdb
still reads the code from the target. Names seen twice (static functions of the same name)
keep their first address. Needs binutils' `as` and `ld`.
"""
import os
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip().splitlines()[2])
    system_map, out = sys.argv[1], sys.argv[2]
    base = int(sys.argv[3], 0) if len(sys.argv) == 4 else 0xC1000000
    lines = ['.section .kernel,"ax",@nobits\n']
    seen = set()
    symbols = []
    with open(system_map) as f:
        for line in f:
            fields = line.split()
            if len(fields) != 3:
                continue
            address, kind, name = int(fields[0], 16), fields[1], fields[2]
            if address < base or name in seen or '"' in name:
                continue
            seen.add(name)
            symbols.append((address, kind, name))
    symbols.sort()
    for address, kind, name in symbols:
        if kind.isupper():
            lines.append(f'.globl "{name}"\n')
        lines.append(f'.org 0x{address - base:x}\n'
                     f'.type "{name}", {"@function" if kind in "tT" else "@object"}\n"{name}":\n')
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "symbols.s")
        obj = os.path.join(tmp, "symbols.o")
        with open(source, "w") as f:
            f.writelines(lines)
        try:
            subprocess.run(["as", "--32", "-o", obj, source], check=True)
            subprocess.run(["ld", "-m", "elf_i386", f"--section-start=.kernel=0x{base:x}",
                            "-e", "0", "-o", out, obj], check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            sys.exit(f"symbols_elf: {e}")
    print(f"symbols_elf: {len(symbols)} symbols in {out}")


if __name__ == "__main__":
    main()
