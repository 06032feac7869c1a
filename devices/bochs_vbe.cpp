// The Bochs VBE (DISPI) registers of Vga: see bochs_vbe.hpp.
#include <algorithm>

#include "devices/bochs_vbe.hpp"
#include "devices/vga.hpp"

namespace x86lab::devices {

namespace {

bool valid_bpp(uint16_t bpp) {
  return bpp == 4 || bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
}

}  // namespace

uint16_t Vga::read_vbe(uint16_t port) {
  if (port == bochs_vbe::kIndexPort) return state_.vbe.index;
  return read_vbe_register(state_.vbe.index);
}

void Vga::write_vbe(uint16_t port, uint16_t value) {
  if (port == bochs_vbe::kIndexPort) {
    state_.vbe.index = value;
  } else {
    write_vbe_register(state_.vbe.index, value);
  }
}

uint16_t Vga::read_vbe_register(uint16_t index) const {
  using namespace bochs_vbe;
  const bochs_vbe::State& v = state_.vbe;
  const bool caps = v.enable & kGetCaps;
  switch (index) {
    case kId:
      return v.id;
    case kXres:
      return caps ? kMaxXres : v.xres;
    case kYres:
      return caps ? kMaxYres : v.yres;
    case kBpp:
      return caps ? kMaxBpp : v.bpp;
    case kEnable:
      return v.enable;
    case kBank:
      return v.bank;
    case kVirtWidth:
      return v.virt_width;
    case kVirtHeight:
      return v.virt_height;
    case kXOffset:
      return v.x_offset;
    case kYOffset:
      return v.y_offset;
    case kVideoMemory64K:
      return static_cast<uint16_t>(kVramSize >> 16);
    default:
      return 0;
  }
}

void Vga::write_vbe_register(uint16_t index, uint16_t value) {
  using namespace bochs_vbe;
  bochs_vbe::State& v = state_.vbe;
  switch (index) {
    case kId:
      if (value >= kId0 && value <= kId5) v.id = value;
      return;
    case kXres:
      if (value > 0 && value <= kMaxXres) v.xres = value;
      break;
    case kYres:
      if (value > 0 && value <= kMaxYres) v.yres = value;
      break;
    case kBpp:
      if (value == 0) value = 8;
      if (valid_bpp(value)) v.bpp = value;
      break;
    case kEnable: {
      const bool was_enabled = v.enabled();
      const uint16_t kept = kEnabled | kGetCaps | kDac8Bit | kLfbEnabled | kNoClearMem;
      uint16_t enable = value & kept;
      if ((enable & kEnabled) && !was_enabled) {
        v.virt_width = v.xres;
        v.virt_height = v.yres;
        v.x_offset = v.y_offset = 0;
        v.bank = 0;
        const uint64_t bytes = uint64_t{v.line_bytes()} * v.yres;
        if (v.bpp != 4 && bytes > kVramSize) {
          enable &= static_cast<uint16_t>(~kEnabled);  // does not fit: stay in VGA mode
        } else if (!(enable & kNoClearMem)) {
          const uint32_t clear = v.bpp == 4 ? 4 * kPlaneSize : static_cast<uint32_t>(bytes);
          std::fill_n(state_.vram.begin(), clear, uint8_t{0});
          for (uint32_t page = 0; page < clear; page += 1u << kDirtyPageShift) mark_dirty(page);
        }
      }
      v.enable = enable;
      break;
    }
    case kBank:
      if (uint32_t{value} * kBankSize < kVramSize) v.bank = value;
      return;  // the picture does not change
    case kVirtWidth: {
      if (value == 0) return;
      v.virt_width = value;
      const uint32_t line = std::max<uint32_t>(v.line_bytes(), 1);
      v.virt_height = static_cast<uint16_t>(std::min<uint32_t>(kVramSize / line, 0xFFFF));
      break;
    }
    case kVirtHeight:
      v.virt_height = value;
      break;
    case kXOffset:
      v.x_offset = value;
      break;
    case kYOffset:
      v.y_offset = value;
      break;
    default:
      return;
  }
  registers_changed_ = true;
}

}  // namespace x86lab::devices
