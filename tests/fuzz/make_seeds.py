#!/usr/bin/env python3
"""Writes the seed corpus of the fuzzers (tests/fuzz/corpus/cpu, tests/fuzz/corpus/device).

usage: make_seeds.py [CORPUS_DIR]   (default: the corpus folder beside this script)

Each seed is a small, meaningful input in the format the fuzzer's header comment describes:
CPU seeds are machine states with code assembled by nasm (system instructions, gates, task
switches, paging faults, V86); device seeds are the port sequences a driver uses (a floppy
read through DMA, ATA IDENTIFY/READ/WRITE/FLUSH, an ATAPI READ(10), a VBE mode and its
framebuffer, PCI BARs, the UART, PIC, PIT, RTC and 8042). The fuzzer mutates from these.
Regression inputs of fixed bugs are kept in the same folders under names saying what they
found; this script does not touch them.
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


# ---- CPU seeds ---------------------------------------------------------------------------

REAL, PM32, PM16, V86 = 0, 1, 2, 3
I8086, I286, I386, PPRO = 0, 1, 2, 3


def assemble(source, bits):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "seed.asm")
        out = os.path.join(tmp, "seed.bin")
        with open(src, "w", encoding="ascii") as f:
            f.write(f"bits {bits}\n{source}\n")
        subprocess.run(["nasm", "-f", "bin", "-o", out, src], check=True)
        with open(out, "rb") as f:
            return f.read()


def cpu_seed(mode, model, code, options=0, budget=200, eflags=0, gpr=(0,) * 8,
             not_present=0, supervisor=0, read_only=0, selectors=(0, 0, 0, 0), patches=()):
    header = struct.pack("<BBBBI", mode, model, options, (budget - 16) // 2, eflags)
    header += struct.pack("<8I", *gpr)
    header += struct.pack("<QQQ", not_present, supervisor, read_only)
    header += struct.pack("<4H", *selectors)
    header += struct.pack("<H", len(code)) + code
    for address, value in patches:
        header += struct.pack("<HB", address, value)
    return header


def cpu_seeds():
    seeds = {}
    seeds["real-debugcon-int"] = cpu_seed(REAL, PPRO, assemble("""
        mov al, 'x'
        out 0xE9, al
        mov ax, 0x1234
        int 3
        ud2
        mov cx, 8
        rep stosb
        hlt""", 16))
    seeds["real-8086-quirks"] = cpu_seed(REAL, I8086, assemble("""
        push sp
        pop ax
        mov cl, 40
        shl ax, cl
        db 0x0F, 0x0F
        aam 0
        hlt""", 16))
    seeds["real-enter-protected"] = cpu_seed(REAL, PPRO, assemble("""
        lgdt [cs:gdt_ptr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp 0x18:here
here:   mov ax, 0x10
        mov ds, ax
        mov eax, cr0
        and al, 0xFE
        mov cr0, eax
        hlt
gdt_ptr: dw 0x7F
         dd 0x800""", 16))
    seeds["pm32-system"] = cpu_seed(PM32, PPRO, assemble("""
        mov eax, cr3
        mov cr3, eax
        invlpg [0x10000]
        sgdt [0x11000]
        sidt [0x11008]
        str ax
        sldt bx
        lar ecx, ax
        lsl edx, ax
        verr ax
        cpuid
        rdtsc
        mov ecx, 0x10
        rdmsr
        mov ax, 0x48
        call 0x48:0
        int 0x80
        into
        bound eax, [0x11000]
        mov esi, 0x10000
        mov edi, 0x12000
        mov ecx, 64
        rep movsd
        fld1
        fsqrt
        fstp dword [0x11100]
        jmp 0x60:0
        hlt""", 32), options=0x10)
    seeds["pm32-user-gates"] = cpu_seed(PM32, PPRO, assemble("""
        int 0x80
        call 0x48:0
        in al, 0x60
        cli
        hlt
        mov eax, [0]
        mov [0x10000], eax
        db 0x0F, 0x0B""", 32), options=0x01 | 0x10 | 0x80, supervisor=0x1)
    seeds["pm32-paging-faults"] = cpu_seed(PM32, PPRO, assemble("""
        mov eax, [0x20000]
        mov dword [0x21000], 1
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        mov dword [0x22000], 2
        mov eax, cr4
        or eax, 0x90
        mov cr4, eax
        mov eax, [0x400000]
        hlt""", 32), options=0x02 | 0x04 | 0x08, not_present=1 << 0x20, read_only=1 << 0x22)
    seeds["pm32-descriptor-patches"] = cpu_seed(PM32, I386, assemble("""
        mov ax, 0x58
        mov ds, ax
        mov eax, [0x2000]
        mov ax, 0x68
        mov es, ax
        mov [es:0x200], al
        lldt ax
        ltr ax
        jmp 0x38:0
        iretd""", 32), patches=[(0x800 + 0x58 + 5, 0x17), (0x1000 + 13 * 8 + 5, 0x0E)])
    seeds["pm16-286"] = cpu_seed(PM16, I286, assemble("""
        smsw ax
        lmsw ax
        mov ax, 0x20
        mov ds, ax
        arpl ax, bx
        int 0x0D
        iret""", 16))
    seeds["pm16-user"] = cpu_seed(PM16, I386, assemble("""
        mov ax, 0x7B
        mov ds, ax
        mov [0], al
        push es
        pop ss
        retf""", 16), options=0x01)
    seeds["v86-iopl0"] = cpu_seed(V86, PPRO, assemble("""
        int 0x21
        pushf
        popf
        cli
        sti
        in al, 0x60
        mov ax, 0xB800
        mov es, ax
        mov [es:0], ax
        iret""", 16), selectors=(0x2000, 0x3000, 0x4000, 0x5000))
    seeds["v86-iopl3"] = cpu_seed(V86, I386, assemble("""
        int 0x21
        pushfd
        popfd
        in al, 0x80
        out 0xE9, al
        hlt""", 16), options=0x40, eflags=0x200)
    seeds["trap-flag"] = cpu_seed(PM32, PPRO, assemble("""
        nop
        nop
        pushfd
        popfd
        hlt""", 32), eflags=0x100)
    return seeds


# ---- device seeds ------------------------------------------------------------------------

def _size(size):
    return {1: 0, 2: 2, 4: 3}[size] << 4


def outp(port, value, size=1):
    return bytes([0x00 | _size(size), 0x80]) + struct.pack("<HI", port, value & 0xFFFFFFFF)


def inp(port, size=1):
    return bytes([0x01 | _size(size), 0x80]) + struct.pack("<H", port)


VGA_WINDOW, LFB, VGA_ROM, LOW_BIOS, RAM, ANYWHERE = range(6)


def mmio_w(region, offset, value, size=1):
    return bytes([0x02 | _size(size), region]) + struct.pack("<II", offset, value & 0xFFFFFFFF)


def mmio_r(region, offset, size=1):
    return bytes([0x03 | _size(size), region]) + struct.pack("<I", offset)


def wait(ns):
    return bytes([0x04]) + struct.pack("<I", ns)


def render():
    return bytes([0x05])


def key(code):
    return bytes([0x06, 0x00, code])


def mouse(dx, dy, buttons):
    return bytes([0x06, 0x01, dx & 0xFF, dy & 0xFF, buttons])


def serial(byte):
    return bytes([0x07, byte])


def reset():
    return bytes([0x08])


def burst(port, count, value, size=1):
    return bytes([0x09 | _size(size), 0x80]) + struct.pack("<HHI", port, count, value)


def reads(port, count, size=1):
    return b"".join(inp(port, size) for _ in range(count))


def floppy_read(snapshot=1, write=False):
    s = bytes([snapshot])
    # 8237 channel 2: mask, clear flip-flop, mode (single, read from or write to memory),
    # address 0x1000, count 511, page 0, unmask.
    s += outp(0x0A, 0x06) + outp(0x0C, 0) + outp(0x0B, 0x4A if write else 0x46)
    s += outp(0x04, 0x00) + outp(0x04, 0x10) + outp(0x05, 0xFF) + outp(0x05, 0x01)
    s += outp(0x81, 0x00) + outp(0x0A, 0x02)
    # FDC: reset through the DOR, motor A on with DMA, SPECIFY, RECALIBRATE, SENSE INTERRUPT.
    s += outp(0x3F2, 0x00) + outp(0x3F2, 0x1C) + wait(1_000_000)
    s += b"".join(outp(0x3F5, b) for b in (0x03, 0xDF, 0x02))
    s += b"".join(outp(0x3F5, b) for b in (0x07, 0x00)) + wait(5_000_000)
    s += outp(0x3F5, 0x08) + reads(0x3F5, 2)
    # READ DATA (or WRITE DATA): cylinder 0, head 0, sector 1, 512 bytes, EOT 9.
    command = 0xC5 if write else 0xE6
    s += b"".join(outp(0x3F5, b) for b in (command, 0x00, 0, 0, 1, 2, 9, 0x1B, 0xFF))
    s += wait(10_000_000) + reads(0x3F4, 1) + reads(0x3F5, 7) + outp(0x3F7, 0)
    return s


def ata_primary():
    s = bytes([1])
    s += outp(0x3F6, 0x04) + outp(0x3F6, 0x00)  # software reset
    s += outp(0x1F6, 0xA0) + outp(0x1F7, 0xEC) + wait(100_000) + inp(0x1F7)
    s += burst(0x1F0, 0, 0) + reads(0x1F0, 8, 2)
    s += b"".join(inp(0x1F0, 2) for _ in range(4))
    # READ SECTORS, LBA 3, 2 sectors.
    s += outp(0x1F2, 2) + outp(0x1F3, 3) + outp(0x1F4, 0) + outp(0x1F5, 0) + outp(0x1F6, 0xE0)
    s += outp(0x1F7, 0x20) + wait(100_000) + reads(0x1F0, 16, 4)
    # WRITE SECTORS (snapshot: memory only), FLUSH CACHE, READ MULTIPLE past the end.
    s += outp(0x1F2, 1) + outp(0x1F3, 5) + outp(0x1F7, 0x30) + burst(0x1F0, 256, 0xA5A5, 2)
    s += outp(0x1F7, 0xE7) + wait(100_000) + inp(0x1F7)
    s += outp(0x1F2, 0) + outp(0x1F3, 0x7F) + outp(0x1F7, 0xC4) + inp(0x1F1) + inp(0x1F7)
    s += outp(0x1F7, 0xEF) + outp(0x1F7, 0x91) + outp(0x1F7, 0xF8) + inp(0x1F4)
    return s


def ata_read_only_write():
    s = bytes([0])  # read-only images: the write must fail
    s += outp(0x1F6, 0xE0) + outp(0x1F2, 1) + outp(0x1F3, 0) + outp(0x1F7, 0x30)
    s += burst(0x1F0, 256, 0x1111, 2) + inp(0x1F7) + inp(0x1F1) + outp(0x1F7, 0xE7) + inp(0x1F7)
    return s


def atapi_read():
    s = bytes([1])
    s += outp(0x176, 0xA0) + outp(0x177, 0xA1) + reads(0x170, 8, 2)
    s += outp(0x177, 0x08) + inp(0x177)  # DEVICE RESET
    # PACKET: READ(10) LBA 1, 1 block, byte count 2048.
    s += outp(0x171, 0) + outp(0x174, 0x00) + outp(0x175, 0x08) + outp(0x177, 0xA0)
    packet = bytes([0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0])
    s += b"".join(outp(0x170, packet[i] | packet[i + 1] << 8, 2) for i in range(0, 12, 2))
    s += wait(1_000_000) + inp(0x177) + reads(0x170, 16, 2) + inp(0x172)
    # TEST UNIT READY, REQUEST SENSE, READ CAPACITY, READ TOC, INQUIRY, MODE SENSE.
    for cdb in ([0x00] + [0] * 11, [0x03, 0, 0, 0, 18] + [0] * 7, [0x25] + [0] * 11,
                [0x43, 0, 0, 0, 0, 0, 0, 0x03, 0x24, 0, 0, 0], [0x12, 0, 0, 0, 36] + [0] * 7,
                [0x5A, 0, 0x2A, 0, 0, 0, 0, 0, 0x20, 0, 0, 0]):
        s += outp(0x177, 0xA0)
        s += b"".join(outp(0x170, cdb[i] | cdb[i + 1] << 8, 2) for i in range(0, 12, 2))
        s += wait(100_000) + inp(0x177) + reads(0x170, 8, 2)
    return s


def vbe_mode():
    s = bytes([1])
    vbe = lambda index, value: outp(0x1CE, index, 2) + outp(0x1CF, value, 2)
    s += vbe(4, 0) + vbe(1, 1024) + vbe(2, 768) + vbe(3, 32) + vbe(4, 0x41)
    s += mmio_w(LFB, 0, 0x00FF00FF, 4) + mmio_w(LFB, 1024 * 4 * 767, 0x12345678, 4)
    s += mmio_r(LFB, 4096, 4) + render()
    s += vbe(6, 2048) + vbe(8, 100) + vbe(9, 50) + render()
    s += vbe(3, 8) + vbe(4, 0x01) + vbe(5, 3) + mmio_w(VGA_WINDOW, 0x100, 7) + render()
    s += vbe(3, 4) + vbe(1, 2560) + vbe(2, 1600) + vbe(4, 0x03) + render()
    s += outp(0x1CE, 0xA, 2) + inp(0x1CF, 2) + vbe(4, 0) + render()
    return s


def vga_modes():
    s = bytes([1])
    # Text mode: characters at B8000, cursor, then mode 13h-like registers and a pixel.
    s += mmio_w(VGA_WINDOW, 0x18000, 0x1F41, 2) + outp(0x3D4, 0x0E) + outp(0x3D5, 0x00)
    s += render()
    s += outp(0x3C4, 0x04) + outp(0x3C5, 0x0E) + outp(0x3CE, 0x05) + outp(0x3CF, 0x40)
    s += outp(0x3CE, 0x06) + outp(0x3CF, 0x05) + inp(0x3DA) + outp(0x3C0, 0x10) + outp(0x3C0, 0x41)
    s += outp(0x3C0, 0x20) + outp(0x3D4, 0x01) + outp(0x3D5, 0x4F) + outp(0x3D4, 0x13)
    s += outp(0x3D5, 0x28) + outp(0x3D4, 0x09) + outp(0x3D5, 0x41) + outp(0x3C2, 0x63)
    s += mmio_w(VGA_WINDOW, 100, 0x0F) + outp(0x3C8, 1) + b"".join(outp(0x3C9, 63) for _ in range(3))
    s += outp(0x3C7, 1) + reads(0x3C9, 3) + render()
    # Planar writes with every write mode and a latch read.
    for mode in range(4):
        s += outp(0x3CE, 0x05) + outp(0x3CF, mode) + outp(0x3CE, 0x08) + outp(0x3CF, 0xF0)
        s += mmio_w(VGA_WINDOW, 0x10, 0x55) + mmio_r(VGA_WINDOW, 0x10)
    s += outp(0x3CE, 0x06) + outp(0x3CF, 0x01) + render()
    return s


def pci_config():
    s = bytes([1])
    cfg = lambda dev, fn, reg: 0x80000000 | dev << 11 | fn << 8 | reg
    for dev, fn in ((0, 0), (1, 0), (1, 1), (2, 0), (3, 0)):
        for reg in range(0, 0x40, 4):
            s += outp(0xCF8, cfg(dev, fn, reg), 4) + inp(0xCFC, 4)
    # Move the VGA's framebuffer and map its ROM; PAM registers of the i440FX.
    s += outp(0xCF8, cfg(2, 0, 0x10), 4) + outp(0xCFC, 0xFFFFFFFF, 4) + inp(0xCFC, 4)
    s += outp(0xCFC, 0xF0000000, 4) + outp(0xCF8, cfg(2, 0, 0x04), 4) + outp(0xCFC, 0x3, 2)
    s += mmio_w(LFB, 0x10, 0xAA, 1) + mmio_r(LFB, 0x10, 1)
    s += outp(0xCF8, cfg(2, 0, 0x30), 4) + outp(0xCFC, 0xFEB00001, 4) + mmio_r(VGA_ROM, 0, 2)
    s += outp(0xCF8, cfg(0, 0, 0x58), 4) + outp(0xCFC, 0x33333330, 4) + outp(0xCFD, 0x11)
    s += mmio_w(LOW_BIOS, 0x30000, 0x90, 1) + mmio_r(LOW_BIOS, 0x30000)
    s += outp(0xCF8, cfg(1, 1, 0x20), 4) + outp(0xCFC, 0xC001, 4) + outp(0xCF9, 0x06)
    return s


def uart_pic_pit_rtc():
    s = bytes([1])
    # PIC: ICW1-4 on both, masks, EOI, poll, read ISR/IRR.
    for base, vec, icw3 in ((0x20, 0x08, 0x04), (0xA0, 0x70, 0x02)):
        s += outp(base, 0x11) + outp(base + 1, vec) + outp(base + 1, icw3) + outp(base + 1, 0x01)
        s += outp(base + 1, 0x00) + outp(base, 0x0B) + inp(base) + outp(base, 0x0C) + inp(base)
    s += outp(0x4D0, 0xF8) + outp(0x4D1, 0xDE)
    # PIT: channel 0 mode 2, channel 2 mode 3 with the speaker gate, latch and read back.
    s += outp(0x43, 0x34) + outp(0x40, 0x00) + outp(0x40, 0x10)
    s += outp(0x43, 0xB6) + outp(0x42, 0x33) + outp(0x42, 0x00) + outp(0x61, 0x03)
    s += wait(3_000_000) + outp(0x43, 0x00) + reads(0x40, 2) + outp(0x43, 0xE2) + inp(0x42)
    s += inp(0x61) + outp(0x20, 0x20)
    # UART: 115200 8N1, FIFO, interrupts, loopback, a byte each way.
    s += outp(0x3FB, 0x80) + outp(0x3F8, 0x01) + outp(0x3F9, 0x00) + outp(0x3FB, 0x03)
    s += outp(0x3FA, 0xC7) + outp(0x3F9, 0x0F) + outp(0x3FC, 0x1B) + outp(0x3F8, 0x41)
    s += wait(200_000) + inp(0x3FD) + inp(0x3F8) + inp(0x3FA) + outp(0x3FC, 0x0B)
    s += serial(0x42) + serial(0x43) + wait(100_000) + inp(0x3FA) + reads(0x3F8, 3) + inp(0x3FE)
    # RTC: registers A-D, alarm, periodic interrupt, NMI bit, CMOS RAM.
    s += outp(0x70, 0x0A) + outp(0x71, 0x26) + outp(0x70, 0x0B) + outp(0x71, 0x72)
    s += outp(0x70, 0x01) + outp(0x71, 0x00) + wait(15_000_000) + outp(0x70, 0x0C) + inp(0x71)
    s += outp(0x70, 0x8F) + inp(0x71) + outp(0x70, 0x7F) + outp(0x71, 0x55) + inp(0x71)
    s += outp(0x70, 0x0B) + outp(0x71, 0x86) + outp(0x70, 0x00) + outp(0x71, 0x59)
    return s


def keyboard_mouse():
    s = bytes([1])
    s += outp(0x64, 0xAA) + inp(0x60) + outp(0x64, 0x20) + inp(0x60)
    s += outp(0x64, 0x60) + outp(0x60, 0x47) + outp(0x64, 0xA8) + outp(0x64, 0xAE)
    s += outp(0x60, 0xFF) + wait(1_000_000) + reads(0x60, 2) + outp(0x60, 0xF0) + outp(0x60, 0x02)
    s += key(0x1C) + key(0xF0) + key(0x1C) + inp(0x64) + reads(0x60, 3)
    s += outp(0x64, 0xD4) + outp(0x60, 0xF4) + inp(0x60) + mouse(5, -3, 1) + reads(0x60, 4)
    s += outp(0x64, 0xD4) + outp(0x60, 0xF3) + outp(0x64, 0xD4) + outp(0x60, 200)
    s += outp(0x64, 0xD1) + outp(0x60, 0xDD) + outp(0x64, 0xD0) + inp(0x60) + outp(0x92, 0x02)
    s += inp(0x92) + outp(0x64, 0xFE) + reset() + inp(0x64)
    return s


def device_seeds():
    return {
        "floppy-dma-read": floppy_read(),
        "floppy-dma-write-read-only": floppy_read(snapshot=0, write=True),
        "floppy-dma-write-snapshot": floppy_read(snapshot=1, write=True),
        "ata-identify-read-write-flush": ata_primary(),
        "ata-write-read-only": ata_read_only_write(),
        "atapi-read10": atapi_read(),
        "vbe-lfb": vbe_mode(),
        "vga-text-planar": vga_modes(),
        "pci-config-bars": pci_config(),
        "uart-pic-pit-rtc": uart_pic_pit_rtc(),
        "i8042-keyboard-mouse": keyboard_mouse(),
    }


def main() -> int:
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    for name, seeds in (("cpu", cpu_seeds()), ("device", device_seeds())):
        folder = os.path.join(corpus, name)
        os.makedirs(folder, exist_ok=True)
        for seed, data in seeds.items():
            with open(os.path.join(folder, "seed-" + seed), "wb") as f:
                f.write(data)
        print(f"{folder}: {len(seeds)} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
