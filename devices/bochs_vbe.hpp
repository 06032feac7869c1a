// The Bochs VBE extensions ("DISPI"): an index port at 0x1CE and a data port at 0x1CF (0x1D0
// is an alias of the data port, as on Bochs) reaching sixteen-bit registers that set a linear
// graphics mode directly. The VGA BIOS of SeaBIOS (vgabios-stdvga.bin, vgabios-isavga.bin)
// implements INT 10h AX=4Fxx on top of them. Register meanings follow the published Bochs
// interface (vbe.h of the Bochs VGA BIOS; OSDev "Bochs VBE Extensions").
//
// The registers live in Vga (devices/vga.hpp), because enabling them changes how the VGA's
// memory window and renderer behave; this header holds the interface's constants and state.
#pragma once

#include <cstdint>

namespace x86lab::devices::bochs_vbe {

inline constexpr uint16_t kIndexPort = 0x1CE;
inline constexpr uint16_t kDataPort = 0x1CF;
inline constexpr uint16_t kDataPortAlias = 0x1D0;

enum Index : uint16_t {
  kId = 0x0,
  kXres = 0x1,
  kYres = 0x2,
  kBpp = 0x3,
  kEnable = 0x4,
  kBank = 0x5,
  kVirtWidth = 0x6,
  kVirtHeight = 0x7,
  kXOffset = 0x8,
  kYOffset = 0x9,
  kVideoMemory64K = 0xA,
  kIndexCount = 0xB,
};

// ID register values: a guest writes the version it speaks and reads back what it got.
inline constexpr uint16_t kId0 = 0xB0C0;
inline constexpr uint16_t kId5 = 0xB0C5;

// ENABLE register bits.
inline constexpr uint16_t kEnabled = 0x01;
inline constexpr uint16_t kGetCaps = 0x02;  // XRES/YRES/BPP read their maximum values
inline constexpr uint16_t kDac8Bit = 0x20;  // the DAC takes eight-bit components
inline constexpr uint16_t kLfbEnabled = 0x40;
inline constexpr uint16_t kNoClearMem = 0x80;

inline constexpr uint16_t kMaxXres = 2560;
inline constexpr uint16_t kMaxYres = 1600;
inline constexpr uint16_t kMaxBpp = 32;
inline constexpr uint32_t kBankSize = 64 * 1024;  // the banked window at 0xA0000

// Where Bochs (and a machine without PCI) puts the linear framebuffer.
inline constexpr uint32_t kDefaultLfbAddress = 0xE0000000;

struct State {
  uint16_t index = 0;
  uint16_t id = kId5;
  uint16_t xres = 640;
  uint16_t yres = 480;
  uint16_t bpp = 8;
  uint16_t enable = 0;
  uint16_t bank = 0;
  uint16_t virt_width = 640;
  uint16_t virt_height = 480;
  uint16_t x_offset = 0;
  uint16_t y_offset = 0;

  bool enabled() const { return enable & kEnabled; }
  // Bytes a pixel takes in the linear framebuffer (0 for the planar 4 bpp mode).
  unsigned bytes_per_pixel() const { return bpp == 15 ? 2u : bpp / 8u; }
  uint32_t line_bytes() const {
    return bpp == 4 ? virt_width / 8u : uint32_t{virt_width} * bytes_per_pixel();
  }
  // Byte offset of the displayed picture's top-left pixel.
  uint32_t start_offset() const {
    if (bpp == 4) return uint32_t{y_offset} * line_bytes() + x_offset / 8u;
    return uint32_t{y_offset} * line_bytes() + uint32_t{x_offset} * bytes_per_pixel();
  }
};

}  // namespace x86lab::devices::bochs_vbe
