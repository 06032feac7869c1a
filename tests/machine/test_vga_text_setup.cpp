// The mode 3 a direct kernel boot gets without a VGA BIOS (machine/vga_text_setup.hpp): the
// font found in a VGA BIOS image draws text at 0xB8000 in 9x16 cells, the screen is cleared.
#include <doctest/doctest.h>

#include <filesystem>

#include "bus/clock.hpp"
#include "devices/vga.hpp"
#include "firmware/rom_image.hpp"
#include "machine/pc_machine.hpp"
#include "machine/vga_text_setup.hpp"

namespace x86lab {

TEST_CASE("vga text setup: mode 3 with the VGA BIOS's font draws the characters") {
  if (!std::filesystem::exists(machine::kSeabiosVgaBiosPath)) {
    MESSAGE("SKIPPED: no SeaBIOS VGA BIOS (apt-get install seabios)");
    return;
  }
  const auto image = firmware::load_rom_image(machine::kSeabiosVgaBiosPath, "VGA BIOS");
  const auto font = machine::find_vga_font(image);
  REQUIRE(font.has_value());
  CHECK(std::vector<uint8_t>(font->begin() + '0' * 16, font->begin() + '0' * 16 + 16) ==
        std::vector<uint8_t>{0x00, 0x00, 0x3C, 0x66, 0xC3, 0xC3, 0xDB, 0xDB, 0xC3, 0xC3, 0x66, 0x3C,
                             0x00, 0x00, 0x00, 0x00});  // the IBM glyph of '0'

  bus::Clock clock;
  bus::IoSpace io;
  bus::PhysicalMemory memory{1u << 20};
  devices::Vga vga{clock};
  vga.register_ports(io);
  vga.map_memory(memory);
  machine::set_vga_text_mode(io, memory, *font);
  memory.write<uint16_t>(0xB8000 + 2 * 81, 0x0748);  // 'H' at row 1, column 1
  CHECK(vga.text_mode());
  CHECK(vga.text_screen()[1] == " H");
  devices::VgaFrame frame;
  vga.render(frame);
  REQUIRE(frame.width == 720);
  REQUIRE(frame.height == 400);
  for (uint32_t line = 0; line < 16; ++line) {
    const uint8_t bits = (*font)['H' * 16 + line];
    for (uint32_t x = 0; x < 8; ++x) {
      const bool on = bits & (0x80 >> x);
      CAPTURE(line);
      CAPTURE(x);
      CHECK(frame.at(9 + x, 16 + line) == (on ? 0xFFAAAAAAu : 0xFF000000u));
    }
  }
  CHECK(machine::find_vga_font(std::vector<uint8_t>(8192, 0)) == std::nullopt);
}

}  // namespace x86lab
