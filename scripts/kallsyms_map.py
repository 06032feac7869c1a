#!/usr/bin/env python3
"""Writes a System.map (ADDRESS TYPE NAME, sorted) for a Linux/x86 bzImage from its kallsyms.

usage: kallsyms_map.py BZIMAGE OUT

Debian's linux-image packages ship a placeholder System.map (the real one is in the huge -dbg
package), but every kernel built with CONFIG_KALLSYMS carries its symbol table: this finds
it in the decompressed vmlinux and decodes it, as the kernel's own kallsyms_lookup does. Works
for 32-bit kernels with base-relative offsets (the default since 4.6) and 1- or 2-byte name
lengths (6.1, with or without kallsyms_seqs_of_names). Debian's kernels have no
CONFIG_KALLSYMS_ALL, so data symbols are missing; linux_banner is added from its contents
(the "Linux version" string). Exits 1 with one line when something does not look as expected.
"""
import lzma
import struct
import sys
import zlib


def fail(message):
    sys.exit(f"kallsyms_map: {message}")


def payload(image):
    """The decompressed vmlinux ELF inside a bzImage."""
    if image[0x202:0x206] != b"HdrS" or struct.unpack_from("<H", image, 0x206)[0] < 0x208:
        fail("not a bzImage with boot protocol 2.08 or later")
    setup_sects = image[0x1F1] or 4
    offset, length = struct.unpack_from("<II", image, 0x248)
    start = (setup_sects + 1) * 512 + offset
    data = image[start:start + length]
    if data.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)
    if data.startswith(b"\x1f\x8b"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
    if data[:3] == b"\x5d\x00\x00":
        return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(data)
    fail(f"unsupported kernel compression (payload starts {data[:4].hex()})")


def segments(elf):
    """(vaddr, offset, filesz) of each PT_LOAD of a 32-bit ELF."""
    if elf[:5] != b"\x7fELF\x01":
        fail("the payload is not a 32-bit ELF")
    phoff, = struct.unpack_from("<I", elf, 28)
    phentsize, phnum = struct.unpack_from("<HH", elf, 42)
    result = []
    for i in range(phnum):
        p_type, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIIII", elf,
                                                                     phoff + i * phentsize)
        if p_type == 1:
            result.append((p_vaddr, p_offset, p_filesz))
    return result


def u32(data, pos):
    return struct.unpack_from("<I", data, pos)[0]


def decode(elf):
    """[(address, type, name)] from the kallsyms tables."""
    digits = b"".join(bytes([c]) + b"\0" for c in b"0123456789")
    # The token table holds 256 strings; the byte values of digits stand for themselves.
    # Other tables (e.g. ctype-like ones) have the same run; keep the one whose token index
    # (u16 offsets right after the table) agrees.
    pos = elf.find(digits)
    while pos != -1:
        start = pos
        for _ in range(0x30):  # back over the strings for bytes 0x2F..0x00
            start = elf.rindex(b"\0", 0, start - 1) + 1
        end = start
        offsets = []
        for _ in range(256):
            offsets.append(end - start)
            end = elf.index(b"\0", end) + 1
        index_pos = (end + 3) & ~3
        index = struct.unpack_from("<256H", elf, index_pos)
        if list(index) == offsets:
            break
        pos = elf.find(digits, pos + 1)
    else:
        fail("no kallsyms token table (a kernel without CONFIG_KALLSYMS?)")
    tokens = [elf[start + o:elf.index(b"\0", start + o)] for o in offsets]
    table_start = start

    # kallsyms_markers: u32 offsets into kallsyms_names, one per 256 symbols, the first 0.
    # Between them and the token table 6.1.y stable kernels also have kallsyms_seqs_of_names
    # (3 bytes a symbol), so look back for a 0 followed by a run of increasing offsets.
    markers_start = None
    pos = table_start - 4
    while pos > table_start - 4 * 1024 * 1024:
        if u32(elf, pos) == 0:
            run = [0]
            at = pos + 4
            while True:
                value = u32(elf, at)
                if not 0 < value - run[-1] < 256 * 1024:
                    break
                run.append(value)
                at += 4
            if len(run) >= 4:
                markers_start, markers = pos, run
                break
        pos -= 4
    if markers_start is None:
        fail("no kallsyms_markers before the token table")

    # kallsyms_num_syms precedes kallsyms_names; it is the count for which the names parse
    # exactly up to the markers, each 256th starting where its marker says.
    def parse_names(start, count):
        names = []
        at = start
        for i in range(count):
            if i % 256 == 0 and markers[i // 256] != at - start:
                return None
            length = elf[at]
            at += 1
            if length & 0x80:
                length = (length & 0x7F) | (elf[at] << 7)
                at += 1
            names.append(b"".join(tokens[b] for b in elf[at:at + length]))
            at += length
        return names, at

    found = None
    pos = markers_start - 4
    while pos > markers_start - 8 * 1024 * 1024 and pos > 0:
        count = u32(elf, pos)
        used = (count + 255) // 256
        if 0 < count and used <= len(markers) and markers[used - 1] < markers_start - pos:
            parsed = parse_names(pos + 4, count)
            if parsed and 0 <= markers_start - parsed[1] < 8:
                found = (pos, count, parsed[0])
                break
        pos -= 4
    if not found:
        fail("kallsyms_num_syms/kallsyms_names not found before kallsyms_markers")
    num_pos, count, names = found
    # kallsyms_offsets (s32 each) and kallsyms_relative_base come just before.
    base = u32(elf, num_pos - 4)
    offsets_pos = num_pos - 4 - 4 * count
    rel = struct.unpack_from(f"<{count}i", elf, offsets_pos)
    addresses = [(base + (o & 0xFFFFFFFF)) & 0xFFFFFFFF for o in rel]
    if any(b < a for a, b in zip(addresses, addresses[1:])):
        fail("kallsyms_offsets are not sorted: not a base-relative 32-bit table")
    return [(a, chr(n[0]), n[1:].decode(errors="replace")) for a, n in zip(addresses, names)]


def banner(elf):
    """(address, 'R', 'linux_banner'): kallsyms lists data symbols only with
    CONFIG_KALLSYMS_ALL, which Debian's kernels lack, so find the string itself."""
    at = elf.find(b"Linux version ")
    for vaddr, offset, size in segments(elf):
        if offset <= at < offset + size:
            return (vaddr + at - offset, "R", "linux_banner")
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    with open(sys.argv[1], "rb") as f:
        elf = payload(f.read())
    symbols = decode(elf)
    extra = banner(elf)
    if extra and not any(name == extra[2] for _, _, name in symbols):
        symbols.append(extra)
        symbols.sort(key=lambda symbol: symbol[0])
    with open(sys.argv[2], "w") as out:
        for address, kind, name in symbols:
            out.write(f"{address:08x} {kind} {name}\n")
    print(f"kallsyms_map: {len(symbols)} symbols")


if __name__ == "__main__":
    main()
