#!/usr/bin/env python3
"""Boots SeaBIOS on the pc machine headless and checks its log (port 0x402) for each stage.

usage: seabios_boot.py X86LAB

The run is deterministic and bounded: 20 million instructions are enough for SeaBIOS to find
the PCI devices and the keyboard, fail to boot from any disk, wait its 60 seconds of guest time,
reboot through the reset path and start again. Exit 77 (meson's "skipped") when Debian's seabios
package is not installed.
"""
import os
import subprocess
import sys
import tempfile

SEABIOS = ["/usr/share/seabios/bios-256k.bin", "/usr/share/seabios/bios.bin"]
BOUND = 20_000_000

# What the log must show, in this order.
STAGES = [
    ("banner", "SeaBIOS (version"),
    ("fw_cfg (for etc/show-boot-menu)", "Found QEMU fw_cfg"),
    ("memory size from CMOS", "RamSize: 0x08000000 [cmos]"),
    ("PCI devices found", "Found 4 PCI devices"),
    ("host bridge", "PCI: init bdf=00:00.0 id=8086:1237"),
    ("ISA bridge", "PCI: init bdf=00:01.0 id=8086:7000"),
    ("IDE function", "PCI: init bdf=00:01.1 id=8086:7010"),
    ("VGA", "PCI: init bdf=00:02.0 id=1234:1111"),
    # The TSC counts guest time at 100 MHz and a PIT read sees the present instruction, so
    # SeaBIOS's 1.7 ms calibration against PIT channel 2 finds exactly 100.
    ("TSC calibrated against the PIT", "CPU Mhz=100\n"),
    ("VGA BIOS from the ROM BAR", "Running option rom at c000:0003"),
    ("PS/2 keyboard", "PS2 keyboard initialized"),
    ("e820 map", "e820 map has"),
    ("boot attempt", "Booting from Hard Disk..."),
    ("no boot device", "No bootable device."),
    ("reboot", "Rebooting."),
    ("banner after the reboot", "SeaBIOS (version"),
]


MENU = "Press ESC for boot menu."


def run_seabios(x86lab, extra):
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "seabios.log")
        proc = subprocess.run(
            [x86lab, "--machine", "pc", "--display", "none", "--deterministic", "-m", "128",
             "--seabios-log", "file:" + log_path, "--serial", "none", "--debugcon", "none",
             "--max-instructions", str(BOUND), *extra],
            capture_output=True, timeout=300)
        return proc, open(log_path, encoding="utf-8", errors="replace").read()


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    if not any(os.path.isfile(p) for p in SEABIOS):
        print("seabios boot: skipped (apt-get install seabios)")
        return 77
    x86lab = sys.argv[1]
    proc, log = run_seabios(x86lab, [])
    stderr = proc.stderr.decode(errors="replace")
    failures = []
    # As QEMU by default: no "Press ESC" prompt and its 2.5 s wait; --boot-menu brings it back.
    if MENU in log:
        failures.append(f"{MENU!r} in the log without --boot-menu")
    if MENU not in run_seabios(x86lab, ["--boot-menu"])[1]:
        failures.append(f"{MENU!r} not in the log with --boot-menu")
    if proc.returncode != 2 or "stopped after" not in stderr:
        failures.append(f"expected the instruction limit to end the run (exit 2); "
                        f"got exit {proc.returncode}, stderr {stderr.strip()!r}")
    position = 0
    passed = 0
    for name, needle in STAGES:
        found = log.find(needle, position)
        if found < 0:
            failures.append(f"stage '{name}': {needle!r} not in the log after offset {position}")
            break
        position = found + len(needle)
        passed += 1
    print(f"seabios boot: {passed} of {len(STAGES)} stages within {BOUND:,} instructions")
    if failures:
        for failure in failures:
            print("FAIL " + failure)
        print("last log lines:")
        for line in log.splitlines()[-15:]:
            print("  " + line)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
