#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bus/byte_order.hpp"
#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "bus/physical_memory.hpp"
#include "devices/bochs_vbe.hpp"
#include "devices/pci_bus.hpp"
#include "devices/vga.hpp"
#include "devices/vga_pci.hpp"

using namespace x86lab;
using devices::Vga;

namespace {

// Standard register sets of the IBM VGA BIOS modes (misc, sequencer, CRTC, GC, AC).
struct ModeTable {
  uint8_t misc;
  std::array<uint8_t, 5> seq;
  std::array<uint8_t, 25> crtc;
  std::array<uint8_t, 9> gc;
  std::array<uint8_t, 21> ac;
};
constexpr ModeTable kMode12h = {
    0xE3,
    {0x03, 0x01, 0x0F, 0x00, 0x06},
    {0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E, 0x00, 0x40, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0xEA, 0x8C, 0xDF, 0x28, 0x00, 0xE7, 0x04, 0xE3, 0xFF},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0F, 0xFF},
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
     0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x01, 0x00, 0x0F, 0x00, 0x00}};
constexpr ModeTable kMode13h = {
    0x63,
    {0x03, 0x01, 0x0F, 0x00, 0x0E},
    {0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0x41, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0x9C, 0x0E, 0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3, 0xFF},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF},
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A,
     0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x41, 0x00, 0x0F, 0x00, 0x00}};

struct Bench {
  bus::Clock clock;
  bus::IoSpace io;
  bus::PhysicalMemory memory{1u << 20};
  Vga vga{clock};
  Bench() {
    vga.register_ports(io);
    vga.map_memory(memory);
  }
  void out(uint16_t port, uint8_t value) { io.write(port, 1, value); }
  uint8_t in(uint16_t port) { return static_cast<uint8_t>(io.read(port, 1)); }
  void seq(uint8_t index, uint8_t value) { io.write(0x3C4, 2, uint32_t{value} << 8 | index); }
  void gc(uint8_t index, uint8_t value) { io.write(0x3CE, 2, uint32_t{value} << 8 | index); }
  void crtc(uint8_t index, uint8_t value) {
    out(0x3D4, index);
    out(0x3D5, value);
  }
  void attr(uint8_t index, uint8_t value) {
    in(0x3DA);
    out(0x3C0, index);
    out(0x3C0, value);
  }
  void dispi(uint16_t index, uint16_t value) {
    io.write(devices::bochs_vbe::kIndexPort, 2, index);
    io.write(devices::bochs_vbe::kDataPort, 2, value);
  }
  uint16_t dispi(uint16_t index) {
    io.write(devices::bochs_vbe::kIndexPort, 2, index);
    return static_cast<uint16_t>(io.read(devices::bochs_vbe::kDataPort, 2));
  }
  void set_mode(const ModeTable& m) {
    out(0x3C2, m.misc);
    for (uint8_t i = 0; i < m.seq.size(); ++i) seq(i, m.seq[i]);
    crtc(0x11, m.crtc[0x11] & 0x7F);
    for (uint8_t i = 0; i < m.crtc.size(); ++i) crtc(i, m.crtc[i]);
    for (uint8_t i = 0; i < m.gc.size(); ++i) gc(i, m.gc[i]);
    in(0x3DA);
    for (uint8_t i = 0; i < m.ac.size(); ++i) {
      out(0x3C0, i);
      out(0x3C0, m.ac[i]);
    }
    out(0x3C0, 0x20);
  }
  void set_dac(uint8_t index, uint8_t r, uint8_t g, uint8_t b) {
    out(0x3C8, index);
    out(0x3C9, r);
    out(0x3C9, g);
    out(0x3C9, b);
  }
  // Planar graphics access at 0xA0000 without chain-4 or odd/even.
  void planar() {
    seq(2, 0x0F);
    seq(4, 0x06);
    gc(5, 0x00);
    gc(6, 0x05);
    gc(8, 0xFF);
  }
  uint8_t plane(unsigned p, uint32_t offset) const { return vga.plane_byte(p, offset); }
  void fill_planes(uint32_t offset, std::array<uint8_t, 4> values) {
    for (unsigned p = 0; p < 4; ++p) vga.vram()[offset * 4 + p] = values[p];
  }
};

}  // namespace

TEST_CASE("vga write mode 0: map mask, set/reset, rotate, logical operation and bit mask") {
  Bench b;
  b.planar();
  b.memory.write<uint8_t>(0xA0010, 0xA5);
  for (unsigned p = 0; p < 4; ++p) CHECK(b.plane(p, 0x10) == 0xA5);

  b.seq(2, 0x05);  // planes 0 and 2 only
  b.memory.write<uint8_t>(0xA0011, 0x3C);
  CHECK(b.plane(0, 0x11) == 0x3C);
  CHECK(b.plane(1, 0x11) == 0x00);
  CHECK(b.plane(2, 0x11) == 0x3C);
  CHECK(b.plane(3, 0x11) == 0x00);
  b.seq(2, 0x0F);

  // Set/reset 0101 enabled for planes 0 and 1: plane 0 all ones, plane 1 zeros, 2-3 the data.
  b.gc(0, 0x05);
  b.gc(1, 0x03);
  b.memory.write<uint8_t>(0xA0012, 0x3C);
  CHECK(b.plane(0, 0x12) == 0xFF);
  CHECK(b.plane(1, 0x12) == 0x00);
  CHECK(b.plane(2, 0x12) == 0x3C);
  CHECK(b.plane(3, 0x12) == 0x3C);
  b.gc(1, 0x00);

  // Rotate right by 4.
  b.gc(3, 0x04);
  b.memory.write<uint8_t>(0xA0013, 0xA5);
  CHECK(b.plane(0, 0x13) == 0x5A);
  b.gc(3, 0x00);

  // Latches loaded by a read, then AND / OR / XOR with them, under a bit mask.
  b.fill_planes(0x20, {0xF0, 0x0F, 0xFF, 0x00});
  b.memory.read<uint8_t>(0xA0020);
  b.gc(3, 0x08);  // AND
  b.memory.write<uint8_t>(0xA0020, 0x3C);
  CHECK(b.plane(0, 0x20) == 0x30);
  CHECK(b.plane(1, 0x20) == 0x0C);
  CHECK(b.plane(2, 0x20) == 0x3C);
  CHECK(b.plane(3, 0x20) == 0x00);
  b.fill_planes(0x21, {0xF0, 0x0F, 0xFF, 0x00});
  b.memory.read<uint8_t>(0xA0021);
  b.gc(3, 0x18);  // XOR
  b.gc(8, 0x0F);  // only the low nibble from the ALU, the high one from the latches
  b.memory.write<uint8_t>(0xA0021, 0xFF);
  CHECK(b.plane(0, 0x21) == 0xFF);
  CHECK(b.plane(1, 0x21) == 0x00);
  CHECK(b.plane(2, 0x21) == 0xF0);
  CHECK(b.plane(3, 0x21) == 0x0F);
  b.fill_planes(0x22, {0x81, 0x00, 0x00, 0x00});
  b.memory.read<uint8_t>(0xA0022);
  b.gc(3, 0x10);  // OR
  b.gc(8, 0xFF);
  b.memory.write<uint8_t>(0xA0022, 0x18);
  CHECK(b.plane(0, 0x22) == 0x99);
  CHECK(b.plane(1, 0x22) == 0x18);
}

TEST_CASE("vga write mode 1 copies the latches, mode 2 expands colour bits, mode 3 masks") {
  Bench b;
  b.planar();
  b.fill_planes(0x100, {0x11, 0x22, 0x33, 0x44});
  b.gc(5, 0x01);
  b.memory.read<uint8_t>(0xA0100);
  b.memory.write<uint8_t>(0xA0200, 0x00);  // the CPU data is ignored
  CHECK(b.plane(0, 0x200) == 0x11);
  CHECK(b.plane(1, 0x200) == 0x22);
  CHECK(b.plane(2, 0x200) == 0x33);
  CHECK(b.plane(3, 0x200) == 0x44);

  // Mode 2: colour 0b1010 into the pixels of bit mask 0xF0, the rest from the latches (zero).
  b.fill_planes(0x300, {0x00, 0x00, 0x00, 0x00});
  b.gc(5, 0x02);
  b.gc(8, 0xF0);
  b.memory.read<uint8_t>(0xA0300);
  b.memory.write<uint8_t>(0xA0300, 0x0A);
  CHECK(b.plane(0, 0x300) == 0x00);
  CHECK(b.plane(1, 0x300) == 0xF0);
  CHECK(b.plane(2, 0x300) == 0x00);
  CHECK(b.plane(3, 0x300) == 0xF0);

  // Mode 3: set/reset colour 0b0110 where (rotated data AND bit mask) has ones.
  b.fill_planes(0x400, {0xFF, 0x00, 0x00, 0xFF});
  b.gc(5, 0x03);
  b.gc(0, 0x06);
  b.gc(8, 0x3C);
  b.memory.read<uint8_t>(0xA0400);
  b.memory.write<uint8_t>(0xA0400, 0x0F);  // effective mask 0x0C
  CHECK(b.plane(0, 0x400) == 0xF3);
  CHECK(b.plane(1, 0x400) == 0x0C);
  CHECK(b.plane(2, 0x400) == 0x0C);
  CHECK(b.plane(3, 0x400) == 0xF3);
}

TEST_CASE("vga read mode 0 follows read map select, read mode 1 compares colours") {
  Bench b;
  b.planar();
  b.fill_planes(0x40, {0x0F, 0x33, 0x55, 0xFF});
  b.gc(4, 2);
  CHECK(b.memory.read<uint8_t>(0xA0040) == 0x55);
  b.gc(4, 3);
  CHECK(b.memory.read<uint8_t>(0xA0040) == 0xFF);
  b.gc(5, 0x08);  // read mode 1
  b.gc(2, 0x0B);  // colour 1011
  b.gc(7, 0x0F);
  // Pixel colours of the byte, bit 7 to bit 0 (bit p of a colour from plane p):
  // 8, C, A, E, 9, D, B, F.
  CHECK(b.memory.read<uint8_t>(0xA0040) == 0x02);
  b.gc(7, 0x0E);  // plane 0 does not count: A matches too
  CHECK(b.memory.read<uint8_t>(0xA0040) == 0x22);
  b.gc(7, 0x00);
  CHECK(b.memory.read<uint8_t>(0xA0040) == 0xFF);
}

TEST_CASE("vga chain-4 and odd/even addressing pick the plane from the low address bits") {
  Bench b;
  b.set_mode(kMode13h);
  b.memory.write<uint8_t>(0xA0005, 0x77);
  CHECK(b.plane(1, 4) == 0x77);
  CHECK(b.memory.read<uint8_t>(0xA0005) == 0x77);
  b.vga.reset();  // mode 3: odd/even text at 0xB8000
  b.memory.write<uint16_t>(0xB8002, 0x1E41);
  CHECK(b.plane(0, 2) == 0x41);
  CHECK(b.plane(1, 2) == 0x1E);
  CHECK(b.memory.read<uint16_t>(0xB8002) == 0x1E41);
  // The text window does not decode 0xA0000.
  CHECK(b.memory.read<uint8_t>(0xA0000) == 0xFF);
}

TEST_CASE("vga text_screen reads char/attribute pairs at 0xB8000 and maps CP437") {
  Bench b;
  const std::string prompt = "A:\\>";
  const uint32_t row24 = 0xB8000 + 24 * 160;
  for (size_t i = 0; i < prompt.size(); ++i) {
    b.memory.write<uint8_t>(row24 + 2 * static_cast<uint32_t>(i), static_cast<uint8_t>(prompt[i]));
    b.memory.write<uint8_t>(row24 + 2 * static_cast<uint32_t>(i) + 1, 0x07);
  }
  b.memory.write<uint16_t>(0xB8000, 0x07C9);  // ╔
  b.memory.write<uint16_t>(0xB8002, 0x07CD);  // ═
  b.memory.write<uint16_t>(0xB8004, 0x0701);  // ☺
  const auto rows = b.vga.text_screen();
  REQUIRE(rows.size() == 25);
  CHECK(rows[0] == "╔═☺");
  CHECK(rows[1].empty());
  CHECK(rows[24] == "A:\\>");
  CHECK(b.vga.text_screen_string().find("A:\\>\n") != std::string::npos);
  // A start address of one row scrolls the screen up by a line.
  b.crtc(0x0C, 0);
  b.crtc(0x0D, 80);
  CHECK(b.vga.text_screen()[23] == "A:\\>");
  b.set_mode(kMode13h);
  CHECK(b.vga.text_screen().empty());
}

TEST_CASE("vga text render draws the plane-2 glyph in 9-dot cells with the attribute colours") {
  Bench b;
  // Load a glyph for 'A' the way a BIOS does: plane 2 alone, sequential addressing at 0xA0000.
  b.seq(2, 0x04);
  b.seq(4, 0x07);
  b.gc(4, 0x02);
  b.gc(5, 0x00);
  b.gc(6, 0x04);
  for (uint32_t line = 0; line < 16; ++line)
    b.memory.write<uint8_t>(0xA0000 + 'A' * 32 + line, 0x81);
  b.seq(2, 0x03);
  b.seq(4, 0x02);
  b.gc(4, 0x00);
  b.gc(5, 0x10);
  b.gc(6, 0x0E);
  b.memory.write<uint16_t>(0xB8000, 0x1F41);  // bright white on blue
  b.crtc(0x0A, 0x20);                         // no cursor
  devices::VgaFrame frame;
  b.vga.render(frame);
  REQUIRE(frame.width == 720);
  REQUIRE(frame.height == 400);
  CHECK(frame.at(0, 5) == 0xFFFFFFFF);
  CHECK(frame.at(1, 5) == 0xFF0000AA);
  CHECK(frame.at(7, 5) == 0xFFFFFFFF);
  CHECK(frame.at(8, 5) == 0xFF0000AA);  // ninth column: background for letters
  CHECK(frame.at(9, 5) == 0xFF000000);  // the next cell: NUL on black
  // Box-drawing characters (0xC0-0xDF) repeat their eighth column in the ninth.
  for (uint32_t line = 0; line < 16; ++line) b.vga.vram()[(0xC4 * 32 + line) * 4 + 2] = 0xFF;
  b.memory.write<uint16_t>(0xB8002, 0x07C4);
  b.vga.render(frame);
  CHECK(frame.at(9 + 8, 3) == 0xFFAAAAAA);
}

TEST_CASE(
    "vga text cursor follows CR0A/CR0B/CR0E/CR0F and blinks every 8 frames, blink "
    "attributes every 16") {
  Bench b;
  b.seq(2, 0x04);  // the glyph for 'A' in plane 2, as the previous case loads it
  b.seq(4, 0x07);
  b.gc(4, 0x02);
  b.gc(5, 0x00);
  b.gc(6, 0x04);
  for (uint32_t line = 0; line < 16; ++line)
    b.memory.write<uint8_t>(0xA0000 + 'A' * 32 + line, 0x81);
  b.seq(2, 0x03);
  b.seq(4, 0x02);
  b.gc(4, 0x00);
  b.gc(5, 0x10);
  b.gc(6, 0x0E);
  for (uint8_t i = 0; i < 16; ++i) b.attr(i, i < 8 ? i : static_cast<uint8_t>(i + 0x30));
  b.attr(0x10, 0x08);  // blink enable
  b.attr(0x12, 0x0F);
  b.in(0x3DA);
  b.out(0x3C0, 0x20);
  b.memory.write<uint16_t>(0xB8000, 0x8741);  // 'A', blinking, grey on black
  b.memory.write<uint16_t>(0xB8002, 0x0700);  // NUL, where the cursor sits
  b.crtc(0x0A, 14);                           // cursor scanlines 14-15
  b.crtc(0x0B, 15);
  b.crtc(0x0E, 0);
  b.crtc(0x0F, 1);  // cell 1
  const uint64_t frame_ns = Vga::kScanlineNs * 449;
  const uint32_t grey = 0xFFAAAAAA, black = 0xFF000000;
  devices::VgaFrame frame;

  b.vga.render(frame);  // phase 0: cursor on, blinking text on
  CHECK(frame.at(0, 5) == grey);
  CHECK(frame.at(9, 14) == grey);
  CHECK(frame.at(17, 15) == grey);
  CHECK(frame.at(9, 13) == black);  // above the cursor's start line

  b.clock.advance_to(8 * frame_ns);  // phase 1: cursor off, text still on
  b.vga.render(frame);
  CHECK(frame.at(9, 14) == black);
  CHECK(frame.at(0, 5) == grey);

  b.clock.advance_to(16 * frame_ns);  // phase 2: cursor on, blinking text off
  b.vga.render(frame);
  CHECK(frame.at(9, 14) == grey);
  CHECK(frame.at(0, 5) == black);

  b.crtc(0x0A, 0x20 | 14);  // CR0A bit 5: cursor off whatever the phase
  b.vga.render(frame);
  CHECK(frame.at(9, 14) == black);
}

TEST_CASE("vga attribute controller flip-flop alternates index and data, reset by status 1") {
  Bench b;
  b.in(0x3DA);
  b.out(0x3C0, 0x11);
  b.out(0x3C0, 0x2A);
  CHECK(b.vga.state().regs.ac[0x11] == 0x2A);
  CHECK(b.in(0x3C0) == 0x11);
  CHECK(b.in(0x3C1) == 0x2A);
  b.out(0x3C0, 0x32);  // an index again (0x12 with the palette source bit)
  CHECK(b.in(0x3C0) == 0x32);
  b.in(0x3DA);         // back to index even though data was due
  b.out(0x3C0, 0x13);  // index
  b.out(0x3C0, 0x05);  // data
  CHECK(b.vga.state().regs.ac[0x13] == 0x05);
  CHECK(b.vga.state().regs.ac[0x12] == 0x0F);
  // In colour emulation the monochrome status port is not decoded and leaves the flip-flop.
  b.out(0x3C0, 0x14);
  CHECK(b.in(0x3BA) == 0xFF);
  b.out(0x3C0, 0x03);
  CHECK(b.vga.state().regs.ac[0x14] == 0x03);
}

TEST_CASE("vga DAC auto-increments through three components and keeps six bits") {
  Bench b;
  b.out(0x3C8, 5);
  for (uint8_t v : {0x01, 0x02, 0x03, 0x3F, 0xFF, 0x20}) b.out(0x3C9, v);
  CHECK(b.in(0x3C8) == 7);
  CHECK(b.vga.state().regs.dac[5] == std::array<uint8_t, 3>{1, 2, 3});
  CHECK(b.vga.state().regs.dac[6] == std::array<uint8_t, 3>{0x3F, 0x3F, 0x20});
  b.out(0x3C7, 5);
  CHECK(b.in(0x3C7) == 0x03);
  std::vector<uint8_t> got;
  for (int i = 0; i < 6; ++i) got.push_back(b.in(0x3C9));
  CHECK(got == std::vector<uint8_t>{1, 2, 3, 0x3F, 0x3F, 0x20});
  b.out(0x3C8, 0);
  CHECK(b.in(0x3C7) == 0x00);
}

TEST_CASE("vga CRTC ports follow misc bit 0 and CR11 bit 7 protects CR00-CR07") {
  Bench b;
  b.crtc(0x11, 0x8E);
  b.crtc(0x01, 0x10);
  CHECK(b.vga.state().regs.crtc[1] == 0x4F);
  b.crtc(0x07, 0x00);
  CHECK(b.vga.state().regs.crtc[7] == 0x0F);  // only the line compare bit 8 went through
  b.crtc(0x11, 0x0E);
  b.crtc(0x01, 0x10);
  CHECK(b.vga.state().regs.crtc[1] == 0x10);
  b.out(0x3C2, 0x66);  // monochrome addressing
  CHECK(b.in(0x3D5) == 0xFF);
  b.out(0x3B4, 0x01);
  CHECK(b.in(0x3B5) == 0x10);
  CHECK(b.in(0x3CC) == 0x66);
}

TEST_CASE("vga input status 1 toggles display-disabled and vertical retrace over time") {
  Bench b;
  bool seen_retrace[2] = {}, seen_blank[2] = {};
  uint8_t stray_bits = 0;
  for (int i = 0; i < 20000; ++i) {  // the clock stands still: reads alone move the beam
    const uint8_t s = b.in(0x3DA);
    seen_retrace[(s >> 3) & 1] = true;
    seen_blank[s & 1] = true;
    stray_bits |= s & 0xF6;
  }
  CHECK(stray_bits == 0);
  CHECK(seen_retrace[0]);
  CHECK(seen_retrace[1]);
  CHECK(seen_blank[0]);
  CHECK(seen_blank[1]);

  // With time moving, retrace is where mode 3's CRTC puts it: lines 412-413 of 449.
  bus::Clock clock;
  Vga vga(clock);
  clock.advance_to(Vga::kScanlineNs * (449 * 10 + 412) + 100);
  CHECK((vga.read_port(0x3DA) & 0x09) == 0x09);
  clock.advance_to(Vga::kScanlineNs * (449 * 11 + 100) + 100);
  CHECK((vga.read_port(0x3DA) & 0x09) == 0x00);
}

TEST_CASE("vga mode 13h renders 320x200 through chain-4 and the DAC") {
  Bench b;
  b.set_mode(kMode13h);
  b.set_dac(0x2A, 63, 0, 32);
  b.memory.write<uint8_t>(0xA0000 + 20 * 320 + 10, 0x2A);
  devices::VgaFrame frame;
  b.vga.render(frame);
  REQUIRE(frame.width == 320);
  REQUIRE(frame.height == 200);
  CHECK(frame.at(10, 20) == 0xFFFF0082);
  CHECK(frame.at(11, 20) == 0xFF000000);

  // Dirty tracking: one more pixel on line 100 redraws the lines that share its 4 KiB page of
  // video memory (1280 bytes a line in mode 13h), not the whole picture.
  b.memory.write<uint8_t>(0xA0000 + 100 * 320 + 3, 0x2A);
  b.vga.render(frame);
  CHECK(frame.changed_begin <= 100);
  CHECK(frame.changed_end >= 101);
  CHECK(frame.changed_end - frame.changed_begin <= 4);
  CHECK(frame.at(3, 100) == 0xFFFF0082);
  b.vga.render(frame);
  CHECK(frame.changed_end == 0);
}

TEST_CASE("vga mode 12h renders 640x480 planar pixels through the attribute palette") {
  Bench b;
  b.set_mode(kMode12h);
  b.vga.state().regs.dac[0x04] = {0x2A, 0, 0};
  b.gc(5, 0x02);  // write mode 2: colour 4 into the first pixel of line 1
  b.gc(8, 0x80);
  b.memory.read<uint8_t>(0xA0000 + 80);
  b.memory.write<uint8_t>(0xA0000 + 80, 0x04);
  devices::VgaFrame frame;
  b.vga.render(frame);
  REQUIRE(frame.width == 640);
  REQUIRE(frame.height == 480);
  CHECK(frame.at(0, 1) == 0xFFAA0000);
  CHECK(frame.at(1, 1) == 0xFF000000);
  CHECK(frame.at(0, 0) == 0xFF000000);
}

TEST_CASE("bochs vbe identifies itself and reports its limits and memory") {
  Bench b;
  using namespace devices::bochs_vbe;
  b.dispi(kId, kId0);
  CHECK(b.dispi(kId) == kId0);
  b.dispi(kId, 0x1234);
  CHECK(b.dispi(kId) == kId0);
  b.dispi(kId, kId5);
  CHECK(b.dispi(kId) == kId5);
  CHECK(b.dispi(kVideoMemory64K) == 256);
  b.dispi(kEnable, kGetCaps);
  CHECK(b.dispi(kXres) == kMaxXres);
  CHECK(b.dispi(kYres) == kMaxYres);
  CHECK(b.dispi(kBpp) == kMaxBpp);
  b.dispi(kEnable, 0);
  CHECK(b.dispi(kXres) == 640);
}

TEST_CASE("bochs vbe 640x480x32 shows a pixel written through the linear framebuffer") {
  Bench b;
  using namespace devices::bochs_vbe;
  b.vga.vram()[12345] = 0x55;  // cleared by the mode set
  b.dispi(kEnable, 0);
  b.dispi(kXres, 640);
  b.dispi(kYres, 480);
  b.dispi(kBpp, 32);
  b.dispi(kEnable, kEnabled | kLfbEnabled);
  CHECK(b.vga.vram()[12345] == 0);
  CHECK(b.dispi(kVirtWidth) == 640);
  const uint32_t x = 17, y = 300;
  b.memory.write<uint32_t>(kDefaultLfbAddress + (y * 640 + x) * 4, 0x00112233);
  CHECK(b.memory.read<uint32_t>(kDefaultLfbAddress + (y * 640 + x) * 4) == 0x00112233);
  devices::VgaFrame frame;
  b.vga.render(frame);
  REQUIRE(frame.width == 640);
  REQUIRE(frame.height == 480);
  CHECK(frame.at(x, y) == 0xFF112233);
  CHECK(frame.at(x + 1, y) == 0xFF000000);
  CHECK(b.vga.text_screen().empty());

  // A display start of one line down moves the pixel up a line.
  b.dispi(kYOffset, 1);
  b.vga.render(frame);
  CHECK(frame.at(x, y - 1) == 0xFF112233);

  // Disabling returns to the VGA picture (mode 3 text).
  b.dispi(kEnable, 0);
  b.vga.render(frame);
  CHECK(frame.width == 720);
}

TEST_CASE("bochs vbe banked window, 16 bpp colours and the 8-bit DAC") {
  Bench b;
  using namespace devices::bochs_vbe;
  b.dispi(kXres, 320);
  b.dispi(kYres, 200);
  b.dispi(kBpp, 16);
  b.dispi(kEnable, kEnabled | kNoClearMem);
  b.gc(6, 0x05);  // what the BIOS sets: graphics, 64 KiB window at 0xA0000
  b.dispi(kBank, 1);
  b.memory.write<uint16_t>(0xA0000, 0xF81F);  // magenta at byte 0x10000: pixel 32768
  CHECK(b.vga.vram()[0x10000] == 0x1F);
  CHECK(b.vga.vram()[0x10001] == 0xF8);
  devices::VgaFrame frame;
  b.vga.render(frame);
  CHECK(frame.at(32768 % 320, 32768 / 320) == 0xFFFF00FF);

  b.dispi(kEnable, 0);
  b.dispi(kBpp, 8);
  b.dispi(kEnable, kEnabled | kDac8Bit | kLfbEnabled);
  b.set_dac(7, 0xFF, 0x80, 0x01);
  CHECK(b.vga.state().regs.dac[7] == std::array<uint8_t, 3>{0xFF, 0x80, 0x01});
  b.memory.write<uint8_t>(kDefaultLfbAddress + 5, 7);
  b.vga.render(frame);
  CHECK(frame.at(5, 0) == 0xFFFF8001);
}

TEST_CASE("two vgas keep separate state") {
  bus::Clock clock;
  Vga a(clock), c(clock);
  a.write_port(0x3C8, 3);
  a.write_port(0x3C9, 9);
  CHECK(a.state().regs.dac_component == 1);
  CHECK(c.state().regs.dac_component == 0);
}

TEST_CASE("vga pci function: identity, BAR0 sizing and the framebuffer following BAR0") {
  bus::Clock clock;
  bus::PhysicalMemory memory(1u << 20);
  bus::IoSpace io;
  Vga vga(clock);
  vga.map_memory(memory, 0);
  devices::PciBus pci;
  pci.register_ports(io);
  devices::VgaPci function(vga, memory);
  function.set_rom({0x55, 0xAA, 0x40, 0xCB});
  const uint8_t slot = devices::PciBus::devfn(2, 0);
  pci.attach(slot, function);
  CHECK(pci.config_read(slot, 0x00, 4) == 0x11111234);
  CHECK((pci.config_read(slot, 0x08, 4) >> 8) == 0x030000);
  CHECK(pci.config_read(slot, 0x10, 4) == 0x00000008);
  pci.config_write(slot, 0x10, 4, 0xFFFFFFFF);
  CHECK(pci.config_read(slot, 0x10, 4) == 0xFF000008);  // 16 MiB, prefetchable memory
  pci.config_write(slot, 0x30, 4, 0xFFFFFFFF);
  CHECK(pci.config_read(slot, 0x30, 4) == 0xFFFFF801);  // a 2 KiB ROM
  pci.config_write(slot, 0x10, 4, 0xFD000000);
  pci.config_write(slot, 0x30, 4, 0xFEB00001);
  CHECK(function.framebuffer_address() == 0);  // memory decoding still off
  pci.config_write(slot, 0x04, 2, 0x0003);
  CHECK(function.framebuffer_address() == 0xFD000000);
  memory.write<uint32_t>(0xFD000010, 0xCAFEF00D);
  CHECK(bus::load_le<uint32_t>(&vga.vram()[0x10]) == 0xCAFEF00D);
  CHECK(memory.read<uint16_t>(0xFEB00000) == 0xAA55);
  pci.config_write(slot, 0x10, 4, 0xFC000000);
  CHECK(memory.read<uint32_t>(0xFC000010) == 0xCAFEF00D);
  CHECK(memory.read<uint32_t>(0xFD000010) == 0xFFFFFFFF);  // nothing there any more
  pci.reset();
  CHECK(function.framebuffer_address() == 0);
  CHECK(memory.read<uint32_t>(0xFC000010) == 0xFFFFFFFF);
}

TEST_CASE("vga unchained 256-colour mode (mode X) takes four pixels from the four planes") {
  Bench b;
  b.set_mode(kMode13h);
  b.seq(4, 0x06);  // chain-4 off
  b.crtc(0x14, 0x00);
  b.crtc(0x17, 0xE3);  // byte addressing
  b.set_dac(9, 0, 63, 0);
  b.seq(2, 0x02);  // plane 1: the second pixel of each group of four
  b.memory.write<uint8_t>(0xA0000 + 80 * 3 + 2, 9);  // line 3, group 2: pixel (9, 3)
  devices::VgaFrame frame;
  b.vga.render(frame);
  REQUIRE(frame.width == 320);
  CHECK(frame.at(9, 3) == 0xFF00FF00);
  CHECK(frame.at(8, 3) == 0xFF000000);
  CHECK(frame.at(10, 3) == 0xFF000000);
}
