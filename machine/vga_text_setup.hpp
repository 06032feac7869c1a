// What a VGA BIOS's mode set 3 leaves behind, for a direct kernel boot (--kernel), where no
// VGA BIOS runs: 80x25 colour text at 0xB8000, the 8x16 font in plane 2, a cleared screen,
// the cursor on scanlines 14-15. Linux's vgacon then takes the screen over as after a BIOS
// boot (the loader's screen_info says mode 3, 80x25, VGA colour).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "bus/io_space.hpp"
#include "bus/physical_memory.hpp"

namespace x86lab::machine {

inline constexpr size_t kVgaFontBytes = 256 * 16;

// The 8x16 font inside a VGA BIOS image (SeaBIOS's VGA BIOS, the LGPL VGABIOS and IBM's keep
// the same IBM glyphs): found by the glyph of 'A' at its place in a 256-glyph table. Empty
// when the image has none.
std::optional<std::span<const uint8_t, kVgaFontBytes>> find_vga_font(
    std::span<const uint8_t> vga_bios);

// Programs mode 3 through the VGA's ports and loads `font` (256 glyphs of 16 bytes) into plane
// 2 through the 0xA0000 window, as a VGA BIOS does.
void set_vga_text_mode(bus::IoSpace& io, bus::PhysicalMemory& memory,
                       std::span<const uint8_t, kVgaFontBytes> font);

}  // namespace x86lab::machine
