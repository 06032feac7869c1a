// The VGA's I/O registers: misc output, sequencer, CRTC, graphics controller, attribute
// controller, DAC and the status registers. See vga.hpp for the port map.
#include <algorithm>

#include "devices/vga.hpp"

namespace x86lab::devices {

namespace {

// Mode 3 (80x25 text, 720x400, 9-dot cells, 16 scanlines a row) as every VGA BIOS programs it.
constexpr uint8_t kMode3Misc = 0x67;
constexpr std::array<uint8_t, 5> kMode3Seq = {0x03, 0x00, 0x03, 0x00, 0x02};
constexpr std::array<uint8_t, 0x19> kMode3Crtc = {
    0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00,
    0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF};
constexpr std::array<uint8_t, 9> kMode3Gc = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF};
constexpr std::array<uint8_t, 0x15> kMode3Ac = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14,
                                                0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D,
                                                0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00};

}  // namespace

Vga::Vga(bus::Clock& clock) : clock_(clock) {
  state_.vram.assign(kVramSize, 0);
  reset();
}

void Vga::reset() {
  std::vector<uint8_t> vram = std::move(state_.vram);
  std::fill(vram.begin(), vram.end(), uint8_t{0});
  state_ = State{};
  state_.vram = std::move(vram);
  set_mode3_registers();
  load_default_palette();
  dirty_.fill(0);
  registers_changed_ = true;
  last_blink_phase_ = ~uint64_t{0};
}

void Vga::set_mode3_registers() {
  Registers& r = state_.regs;
  r.misc = kMode3Misc;
  std::copy(kMode3Seq.begin(), kMode3Seq.end(), r.seq.begin());
  r.crtc = kMode3Crtc;
  r.gc = kMode3Gc;
  r.ac = kMode3Ac;
  r.ac_index = 0x20;  // palette address source set: the display is on
}

// The 64 colours of the EGA (bits 0-2 two-thirds blue/green/red, bits 3-5 one third) in DAC
// entries 0-63, which mode 3's attribute palette points into.
void Vga::load_default_palette() {
  for (unsigned i = 0; i < 64; ++i) {
    const auto level = [i](unsigned primary, unsigned secondary) {
      return static_cast<uint8_t>(((i >> primary) & 1) * 0x2A + ((i >> secondary) & 1) * 0x15);
    };
    state_.regs.dac[i] = {level(2, 5), level(1, 4), level(0, 3)};
  }
}

void Vga::register_ports(bus::IoSpace& io) {
  io.register_ports(
      0x3B0, 0x30, "vga", bus::kIoByte,
      [this](uint16_t port, unsigned) -> uint32_t { return read_port(port); },
      [this](uint16_t port, unsigned, uint32_t value) {
        write_port(port, static_cast<uint8_t>(value));
      });
  io.register_ports(
      bochs_vbe::kIndexPort, 3, "bochs vbe", bus::kIoWord,
      [this](uint16_t port, unsigned) -> uint32_t { return read_vbe(port); },
      [this](uint16_t port, unsigned, uint32_t value) {
        write_vbe(port, static_cast<uint16_t>(value));
      });
}

void Vga::map_memory(bus::PhysicalMemory& memory, uint32_t lfb_base) {
  memory.map_mmio(kLegacyBase, kLegacySize, legacy_window(), "vga window");
  if (lfb_base) memory.map_mmio(lfb_base, kLfbSize, linear_framebuffer(), "vga framebuffer");
}

uint8_t Vga::input_status_1() {
  state_.beam_ns = std::max(state_.beam_ns + kStatusReadNs, clock_.now());
  const Registers& r = state_.regs;
  uint32_t total, display, retrace_start, retrace_lines;
  if (state_.vbe.enabled()) {
    display = state_.vbe.yres;
    total = display + 45;
    retrace_start = display + 10;
    retrace_lines = 2;
  } else {
    const uint8_t ov = r.crtc[7];
    total = (r.crtc[6] | (ov & 0x01) << 8 | (ov & 0x20) << 4) + 2u;
    display = (r.crtc[0x12] | (ov & 0x02) << 7 | (ov & 0x40) << 3) + 1u;
    retrace_start = r.crtc[0x10] | (ov & 0x04) << 6 | (ov & 0x80) << 2;
    retrace_lines = ((r.crtc[0x11] & 0x0Fu) - (retrace_start & 0x0Fu)) & 0x0Fu;
    if (retrace_lines == 0) retrace_lines = 16;
    if (total < 16 || display > total || retrace_start >= total) {
      total = 449;  // nonsense timing: use mode 3's
      display = 400;
      retrace_start = 412;
      retrace_lines = 2;
    }
  }
  const uint64_t line = state_.beam_ns / kScanlineNs;
  const uint64_t in_line = state_.beam_ns % kScanlineNs;
  const uint32_t row = static_cast<uint32_t>(line % total);
  const bool vretrace = row >= retrace_start && row < retrace_start + retrace_lines;
  const bool blank = row >= display || in_line >= kScanlineNs * 4 / 5;
  state_.regs.ac_flip_flop = false;
  return static_cast<uint8_t>((blank ? 0x01 : 0) | (vretrace ? 0x08 : 0));
}

uint8_t Vga::read_port(uint16_t port) {
  Registers& r = state_.regs;
  const bool color = color_emulation();
  switch (port) {
    case 0x3C0:
      return r.ac_index;
    case 0x3C1:
      return (r.ac_index & 0x1F) < r.ac.size() ? r.ac[r.ac_index & 0x1F] : 0;
    case 0x3C2:
      return 0x00;  // input status 0: no retrace interrupt pending, switch sense 0
    case 0x3C3:
      return r.vga_enable;
    case 0x3C4:
      return r.seq_index;
    case 0x3C5:
      return r.seq_index < 5 ? r.seq[r.seq_index] : 0xFF;
    case 0x3C6:
      return r.dac_mask;
    case 0x3C7:
      return r.dac_reading ? 0x03 : 0x00;
    case 0x3C8:
      return r.dac_write_index;
    case 0x3C9:
      return read_dac_data();
    case 0x3CA:
      return r.feature;
    case 0x3CC:
      return r.misc;
    case 0x3CE:
      return r.gc_index;
    case 0x3CF:
      return r.gc_index < r.gc.size() ? r.gc[r.gc_index] : 0xFF;
    case 0x3B4:
    case 0x3D4:
      if ((port == 0x3D4) != color) return 0xFF;
      return r.crtc_index;
    case 0x3B5:
    case 0x3D5:
      if ((port == 0x3D5) != color) return 0xFF;
      return r.crtc_index < r.crtc.size() ? r.crtc[r.crtc_index] : 0xFF;
    case 0x3BA:
    case 0x3DA:
      if ((port == 0x3DA) != color) return 0xFF;
      return input_status_1();
    default:
      return 0xFF;
  }
}

void Vga::write_port(uint16_t port, uint8_t value) {
  Registers& r = state_.regs;
  const bool color = color_emulation();
  switch (port) {
    case 0x3C0:
      if (!r.ac_flip_flop) {
        if ((value ^ r.ac_index) & 0x20) registers_changed_ = true;
        r.ac_index = value & 0x3F;
      } else if ((r.ac_index & 0x1F) < r.ac.size()) {
        const uint8_t index = r.ac_index & 0x1F;
        // Palette registers hold six bits; the rest keep their implemented bits.
        r.ac[index] = index < 16 ? (value & 0x3F) : value;
        registers_changed_ = true;
      }
      r.ac_flip_flop = !r.ac_flip_flop;
      return;
    case 0x3C2:
      r.misc = value;
      registers_changed_ = true;
      return;
    case 0x3C3:
      r.vga_enable = value & 0x01;
      return;
    case 0x3C4:
      r.seq_index = value & 0x07;
      return;
    case 0x3C5:
      if (r.seq_index < 5) {
        r.seq[r.seq_index] = value;
        if (r.seq_index == 1 || r.seq_index == 3) registers_changed_ = true;
      }
      return;
    case 0x3C6:
      r.dac_mask = value;
      registers_changed_ = true;
      return;
    case 0x3C7:
      r.dac_read_index = value;
      r.dac_component = 0;
      r.dac_reading = true;
      return;
    case 0x3C8:
      r.dac_write_index = value;
      r.dac_component = 0;
      r.dac_reading = false;
      return;
    case 0x3C9:
      write_dac_data(value);
      return;
    case 0x3CE:
      r.gc_index = value & 0x0F;
      return;
    case 0x3CF:
      if (r.gc_index < r.gc.size()) {
        r.gc[r.gc_index] = value;
        if (r.gc_index == 5 || r.gc_index == 6) registers_changed_ = true;
      }
      return;
    case 0x3B4:
    case 0x3D4:
      if ((port == 0x3D4) == color) r.crtc_index = value & 0x3F;
      return;
    case 0x3B5:
    case 0x3D5:
      if ((port == 0x3D5) == color) write_crtc(r.crtc_index, value);
      return;
    case 0x3BA:
    case 0x3DA:
      if ((port == 0x3DA) == color) r.feature = value;
      return;
    default:
      return;
  }
}

void Vga::write_crtc(uint8_t index, uint8_t value) {
  Registers& r = state_.regs;
  if (index >= r.crtc.size()) return;
  if ((r.crtc[0x11] & 0x80) && index <= 7) {
    // Write-protected: only the line compare bit 8 of the overflow register gets through.
    if (index == 7) r.crtc[7] = static_cast<uint8_t>((r.crtc[7] & ~0x10) | (value & 0x10));
  } else {
    r.crtc[index] = value;
  }
  registers_changed_ = true;
}

void Vga::write_dac_data(uint8_t value) {
  Registers& r = state_.regs;
  const uint8_t mask = (state_.vbe.enable & bochs_vbe::kDac8Bit) ? 0xFF : 0x3F;
  r.dac_pending[r.dac_component] = value & mask;
  if (++r.dac_component == 3) {
    r.dac[r.dac_write_index] = r.dac_pending;
    ++r.dac_write_index;
    r.dac_component = 0;
    registers_changed_ = true;
  }
}

uint8_t Vga::read_dac_data() {
  Registers& r = state_.regs;
  const uint8_t value = r.dac[r.dac_read_index][r.dac_component];
  if (++r.dac_component == 3) {
    ++r.dac_read_index;
    r.dac_component = 0;
  }
  return value;
}

}  // namespace x86lab::devices
