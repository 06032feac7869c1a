#include "machine/vga_text_setup.hpp"

#include <algorithm>
#include <array>

namespace x86lab::machine {

namespace {

// IBM VGA mode 3 (80x25 text, 9x16 cells, 720x400): miscellaneous output, sequencer, CRTC,
// graphics controller, attribute controller.
constexpr uint8_t kMisc = 0x67;
constexpr std::array<uint8_t, 5> kSeq = {0x03, 0x00, 0x03, 0x00, 0x02};
constexpr std::array<uint8_t, 25> kCrtc = {0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00,
                                           0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E,
                                           0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF};
constexpr std::array<uint8_t, 9> kGc = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF};
constexpr std::array<uint8_t, 21> kAc = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14,
                                         0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D,
                                         0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00};

// The IBM 8x16 glyph of 'A'.
constexpr std::array<uint8_t, 16> kGlyphA = {0x00, 0x00, 0x10, 0x38, 0x6C, 0xC6, 0xC6, 0xFE,
                                             0xC6, 0xC6, 0xC6, 0xC6, 0x00, 0x00, 0x00, 0x00};

}  // namespace

std::optional<std::span<const uint8_t, kVgaFontBytes>> find_vga_font(
    std::span<const uint8_t> vga_bios) {
  const size_t a_offset = size_t{'A'} * 16;
  auto it = vga_bios.begin();
  while ((it = std::search(it, vga_bios.end(), kGlyphA.begin(), kGlyphA.end())) != vga_bios.end()) {
    const auto at = static_cast<size_t>(it - vga_bios.begin());
    if (at >= a_offset && at - a_offset + kVgaFontBytes <= vga_bios.size()) {
      return vga_bios.subspan(at - a_offset).first<kVgaFontBytes>();
    }
    ++it;
  }
  return std::nullopt;
}

void set_vga_text_mode(bus::IoSpace& io, bus::PhysicalMemory& memory,
                       std::span<const uint8_t, kVgaFontBytes> font) {
  const auto out = [&](uint16_t port, uint8_t value) { io.write(port, 1, value); };
  const auto indexed = [&](uint16_t port, uint8_t index, uint8_t value) {
    out(port, index);
    out(static_cast<uint16_t>(port + 1), value);
  };
  out(0x3C2, kMisc);
  for (uint8_t i = 0; i < kSeq.size(); ++i) indexed(0x3C4, i, kSeq[i]);
  indexed(0x3D4, 0x11, kCrtc[0x11] & 0x7F);  // unlock CR00-CR07
  for (uint8_t i = 0; i < kCrtc.size(); ++i) indexed(0x3D4, i, kCrtc[i]);
  for (uint8_t i = 0; i < kGc.size(); ++i) indexed(0x3CE, i, kGc[i]);
  io.read(0x3DA, 1);  // attribute flip-flop to index
  for (uint8_t i = 0; i < kAc.size(); ++i) {
    out(0x3C0, i);
    out(0x3C0, kAc[i]);
  }
  out(0x3C0, 0x20);  // palette address source: the display runs again

  // The font: plane 2 alone, sequential addressing, 32 bytes a glyph at 0xA0000.
  indexed(0x3C4, 2, 0x04);
  indexed(0x3C4, 4, 0x07);
  indexed(0x3CE, 4, 0x02);
  indexed(0x3CE, 5, 0x00);
  indexed(0x3CE, 6, 0x04);
  for (uint32_t glyph = 0; glyph < 256; ++glyph) {
    for (uint32_t line = 0; line < 32; ++line) {
      memory.write<uint8_t>(0xA0000 + glyph * 32 + line, line < 16 ? font[glyph * 16 + line] : 0);
    }
  }
  indexed(0x3C4, 2, kSeq[2]);
  indexed(0x3C4, 4, kSeq[4]);
  indexed(0x3CE, 4, kGc[4]);
  indexed(0x3CE, 5, kGc[5]);
  indexed(0x3CE, 6, kGc[6]);
  for (uint32_t cell = 0; cell < 80 * 25; ++cell)
    memory.write<uint16_t>(0xB8000 + cell * 2, 0x0720);
}

}  // namespace x86lab::machine
