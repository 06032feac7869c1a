// A standard VGA with the Bochs VBE extensions, as SeaBIOS's vgabios-stdvga.bin and DOS expect.
//
// Registers (vga_registers.cpp): ports 0x3B0-0x3DF: miscellaneous output (write 0x3C2, read
// 0x3CC), input status 0 (0x3C2) and 1 (0x3BA/0x3DA), feature control (write 0x3BA/0x3DA, read
// 0x3CA), VGA enable (0x3C3), sequencer (0x3C4/5), CRTC (0x3B4/5 or 0x3D4/5 by misc bit 0; the
// other pair is not decoded; CR11 bit 7 write-protects CR00-CR07), graphics controller
// (0x3CE/F), attribute controller (0x3C0/1; the index/data flip-flop is reset by reading input
// status 1) and DAC (0x3C6 mask, 0x3C7/0x3C8 read/write index, 0x3C9 data with three-byte
// auto-increment). Input status 1's display-disabled (bit 0) and vertical-retrace (bit 3) bits
// follow a 31.78 us scanline and the CRTC's vertical timing; each read also advances the beam by
// one microsecond (about what an ISA I/O read takes), so a polling loop ends even when the clock
// stands still between device events.
//
// Memory (vga_memory.cpp): 16 MiB of video memory. Its first 256 KiB are the four planes,
// interleaved (plane p of address a is byte 4a+p), reached through the legacy window at
// 0xA0000-0xBFFFF (GC06 memory map select) with read modes 0-1, write modes 0-3, set/reset,
// rotate, logical operation, bit mask, map mask, chain-4 (plane = A1-0, address unchanged, as
// the hardware does: mode 13h uses every fourth byte of each plane) and odd/even (plane = A0,
// address with A0 cleared). While a VBE mode of 8 bpp or more is enabled the window is the
// 64 KiB bank of linear memory selected by the BANK register. The linear framebuffer handler
// maps all 16 MiB linearly, whatever the mode.
//
// Display (vga_render.cpp): render() draws the current picture as 0xAARRGGBB words (alpha
// 0xFF): text modes (font in plane 2, 8/9-dot cells, line-graphics column, cursor, blink),
// planar 16-colour modes, CGA 2-bit modes, 256-colour mode 13h and unchained modes, and VBE
// modes of 4/8/15/16/24/32 bpp. Pictures come out at their logical size (mode 13h is 320x200,
// 80x25 text is 720x400): the frontend scales. text_screen() gives text mode as UTF-8 rows
// (CP437 mapped to Unicode). Writes mark 4 KiB pages of video memory dirty; render() redraws
// only the rows that read a dirty page unless a register change or blink needs all.
//
// PCI: the QEMU/Bochs standard VGA, vendor 0x1234 device 0x1111, class 0x030000, BAR0 a
// 16 MiB prefetchable 32-bit memory BAR holding the linear framebuffer (kPciIdentity);
// devices/vga_pci.hpp presents it on the PciBus and maps the framebuffer where the guest puts
// BAR0. Without PCI the framebuffer sits at bochs_vbe::kDefaultLfbAddress.
//
// Everything here runs on the machine's thread: render() reads video memory the CPU writes.
// Checked against the real thing: SeaBIOS 1.16 with vgabios-stdvga.bin on the PC machine
// finds DISPI, reads BAR0, and draws mode 3, 1, 12h, 13h and VBE 0x101/0x112 correctly.
//
// Not implemented: horizontal pixel panning (AC13), the underline attribute of monochrome
// text, the CRTC's preset row scan and skew fields, interlace, the vertical retrace interrupt
// (IRQ2/9 enable in CR11), the light pen, and 4 bpp VBE modes larger than 256 KiB.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "bus/physical_memory.hpp"
#include "devices/bochs_vbe.hpp"

namespace x86lab::devices {

// A rendered picture. pixels holds width*height words 0xAARRGGBB, row-major; rows
// [changed_begin, changed_end) are the ones the last render() redrew.
struct VgaFrame {
  uint32_t width = 0;
  uint32_t height = 0;
  std::vector<uint32_t> pixels;
  uint32_t changed_begin = 0;
  uint32_t changed_end = 0;
  uint32_t at(uint32_t x, uint32_t y) const { return pixels[size_t{y} * width + x]; }
};

// What the machine's PCI code needs to present the VGA as a PCI function.
struct VgaPciIdentity {
  uint16_t vendor_id = 0x1234;
  uint16_t device_id = 0x1111;
  uint32_t class_code = 0x030000;  // display controller, VGA compatible, prog-if 0
  uint8_t revision = 0;
  uint32_t bar0_size = 16u << 20;    // the linear framebuffer
  uint32_t bar0_type_bits = 0x8;     // memory, 32-bit, prefetchable
  uint32_t legacy_window = 0xA0000;  // plus 0x3B0-0x3DF and 0x1CE-0x1D0, always decoded
};
inline constexpr VgaPciIdentity kPciIdentity{};

class Vga final : public bus::MmioHandler {
 public:
  static constexpr uint32_t kVramSize = 16u << 20;
  static constexpr uint32_t kPlaneSize = 64u << 10;
  static constexpr uint32_t kLegacyBase = 0xA0000;
  static constexpr uint32_t kLegacySize = 0x20000;
  static constexpr uint32_t kLfbSize = kVramSize;
  static constexpr uint32_t kDirtyPageShift = 12;
  static constexpr uint32_t kDirtyPages = kVramSize >> kDirtyPageShift;
  static constexpr uint64_t kScanlineNs = 31'778;  // 25.175 MHz / 800 dots
  static constexpr uint64_t kStatusReadNs = 1'000;

  struct Registers {
    uint8_t misc = 0;
    uint8_t feature = 0;
    uint8_t vga_enable = 1;
    uint8_t seq_index = 0;
    std::array<uint8_t, 8> seq{};
    uint8_t crtc_index = 0;
    std::array<uint8_t, 0x19> crtc{};
    uint8_t gc_index = 0;
    std::array<uint8_t, 9> gc{};
    uint8_t ac_index = 0;       // bits 0-4 the register, bit 5 palette address source
    bool ac_flip_flop = false;  // false: the next 0x3C0 write is an index
    std::array<uint8_t, 0x15> ac{};
    uint8_t dac_mask = 0xFF;
    uint8_t dac_read_index = 0;
    uint8_t dac_write_index = 0;
    uint8_t dac_component = 0;  // 0-2, shared by reads and writes as on the hardware
    bool dac_reading = false;   // the last index written was the read index (0x3C7)
    std::array<uint8_t, 3> dac_pending{};
    std::array<std::array<uint8_t, 3>, 256> dac{};  // six-bit components (eight with VBE)
  };

  struct State {
    Registers regs;
    std::array<uint8_t, 4> latch{};
    bochs_vbe::State vbe;
    uint64_t beam_ns = 0;  // the time input status 1 last showed
    std::vector<uint8_t> vram;
  };

  explicit Vga(bus::Clock& clock);
  Vga(const Vga&) = delete;
  Vga& operator=(const Vga&) = delete;

  // Claims 0x3B0-0x3DF ("vga") and 0x1CE-0x1D0 ("bochs vbe").
  void register_ports(bus::IoSpace& io);
  // Maps the legacy window at 0xA0000 and the linear framebuffer at lfb_base (0: not at all;
  // on PCI, VgaPci maps it where the guest puts BAR0, see vga_pci.hpp).
  void map_memory(bus::PhysicalMemory& memory, uint32_t lfb_base = bochs_vbe::kDefaultLfbAddress);
  bus::MmioHandler& legacy_window() { return *this; }
  bus::MmioHandler& linear_framebuffer() { return lfb_; }

  // Power-on state: VBE off, registers as the BIOS leaves them in mode 3 (80x25 text at
  // 0xB8000, EGA palette in the DAC), video memory cleared; the font plane stays empty until
  // the VGA BIOS loads one.
  void reset();

  // Byte-wide port access (what the registered handlers call).
  uint8_t read_port(uint16_t port);
  void write_port(uint16_t port, uint8_t value);
  uint16_t read_vbe(uint16_t port);
  void write_vbe(uint16_t port, uint16_t value);

  // The legacy window: offset from 0xA0000.
  uint32_t mmio_read(uint32_t offset, unsigned size) override;
  void mmio_write(uint32_t offset, unsigned size, uint32_t value) override;
  uint8_t read_window(uint32_t offset);
  void write_window(uint32_t offset, uint8_t value);

  // Display. render() resizes frame when the mode changed.
  void render(VgaFrame& frame);
  bool text_mode() const;
  // Text mode: one UTF-8 string a row, trailing blanks removed; empty in graphics modes.
  std::vector<std::string> text_screen() const;
  // The same rows joined by '\n' (for --screen-dump).
  std::string text_screen_string() const;
  // The size render() would produce now.
  std::pair<uint32_t, uint32_t> display_size() const;

  // Dirty tracking: set by every write to video memory, cleared by render().
  bool page_dirty(uint32_t vram_offset) const {
    const uint32_t page = vram_offset >> kDirtyPageShift;
    return (dirty_[page / 64] >> (page % 64)) & 1;
  }
  bool anything_changed() const;
  void clear_dirty();

  State& state() { return state_; }
  const State& state() const { return state_; }
  std::span<uint8_t> vram() { return state_.vram; }
  std::span<const uint8_t> vram() const { return state_.vram; }
  uint8_t plane_byte(unsigned plane, uint32_t offset) const {
    return state_.vram[(offset % kPlaneSize) * 4 + plane];
  }

 private:
  class LinearFramebuffer final : public bus::MmioHandler {
   public:
    explicit LinearFramebuffer(Vga& vga) : vga_(vga) {}
    uint32_t mmio_read(uint32_t offset, unsigned size) override;
    void mmio_write(uint32_t offset, unsigned size, uint32_t value) override;

   private:
    Vga& vga_;
  };

  // Registers.
  bool color_emulation() const { return state_.regs.misc & 1; }
  uint8_t input_status_1();
  void write_crtc(uint8_t index, uint8_t value);
  void write_dac_data(uint8_t value);
  uint8_t read_dac_data();
  void set_mode3_registers();
  void load_default_palette();

  // Memory.
  void mark_dirty(uint32_t vram_offset) {
    const uint32_t page = vram_offset >> kDirtyPageShift;
    dirty_[page / 64] |= uint64_t{1} << (page % 64);
  }
  bool vbe_linear_window() const { return state_.vbe.enabled() && state_.vbe.bpp != 4; }
  bool decode_window(uint32_t offset, uint32_t& window_offset) const;

  // VBE.
  void write_vbe_register(uint16_t index, uint16_t value);
  uint16_t read_vbe_register(uint16_t index) const;

  // Rendering.
  struct Geometry;
  Geometry geometry() const;
  void render_text(const Geometry& g, VgaFrame& frame, bool all);
  void render_graphics(const Geometry& g, VgaFrame& frame, bool all);
  void render_vbe(const Geometry& g, VgaFrame& frame, bool all);
  void build_palette();
  bool range_dirty(uint32_t begin, uint32_t end) const;

  bus::Clock& clock_;
  State state_;
  LinearFramebuffer lfb_{*this};
  std::array<uint64_t, kDirtyPages / 64> dirty_{};
  bool registers_changed_ = true;  // the picture needs a full redraw
  uint64_t last_blink_phase_ = ~uint64_t{0};
  std::array<uint32_t, 256> palette_{};  // DAC as 0xAARRGGBB, rebuilt each render
};

}  // namespace x86lab::devices
