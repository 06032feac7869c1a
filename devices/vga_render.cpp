// Turning video memory into pictures: the CRTC's addressing, text cells, the graphics
// serialisers (planar, CGA 2-bit, 256-colour), the VBE linear modes, and the text dump.
#include <algorithm>
#include <iterator>

#include "bus/byte_order.hpp"
#include "devices/vga.hpp"

namespace x86lab::devices {

namespace {

constexpr uint32_t kMaxWidth = 4096;
constexpr uint32_t kMaxHeight = 4096;

// Code page 437 as Unicode (UTF-8): the glyphs of the control range, then 0x80-0xFF.
constexpr const char* kCp437Low[] = {" ", "☺", "☻", "♥", "♦", "♣", "♠", "•", "◘", "○", "◙",
                                     "♂", "♀", "♪", "♫", "☼", "►", "◄", "↕", "‼", "¶", "§",
                                     "▬", "↨", "↑", "↓", "→", "←", "∟", "↔", "▲", "▼"};
static_assert(std::size(kCp437Low) == 32);
constexpr const char* kCp437High[] = {
    "Ç", "ü", "é", "â", "ä", "à", "å", "ç", "ê", "ë", "è", "ï", "î", "ì", "Ä", "Å",
    "É", "æ", "Æ", "ô", "ö", "ò", "û", "ù", "ÿ", "Ö", "Ü", "¢", "£", "¥", "₧", "ƒ",
    "á", "í", "ó", "ú", "ñ", "Ñ", "ª", "º", "¿", "⌐", "¬", "½", "¼", "¡", "«", "»",
    "░", "▒", "▓", "│", "┤", "╡", "╢", "╖", "╕", "╣", "║", "╗", "╝", "╜", "╛", "┐",
    "└", "┴", "┬", "├", "─", "┼", "╞", "╟", "╚", "╔", "╩", "╦", "╠", "═", "╬", "╧",
    "╨", "╤", "╥", "╙", "╘", "╒", "╓", "╫", "╪", "┘", "┌", "█", "▄", "▌", "▐", "▀",
    "α", "ß", "Γ", "π", "Σ", "σ", "µ", "τ", "Φ", "Θ", "Ω", "δ", "∞", "φ", "ε", "∩",
    "≡", "±", "≥", "≤", "⌠", "⌡", "÷", "≈", "°", "∙", "·", "√", "ⁿ", "²", "■", "\u00A0"};
static_assert(std::size(kCp437High) == 128);

void append_cp437(std::string& out, uint8_t c) {
  if (c < 0x20) {
    out += kCp437Low[c];
  } else if (c < 0x7F) {
    out += static_cast<char>(c);
  } else if (c == 0x7F) {
    out += "⌂";
  } else {
    out += kCp437High[c - 0x80];
  }
}

constexpr uint32_t kOpaque = 0xFF000000u;

uint32_t rgb(uint32_t r, uint32_t g, uint32_t b) { return kOpaque | r << 16 | g << 8 | b; }

}  // namespace

struct Vga::Geometry {
  enum class Kind { Blank, Text, Planar, Cga2Bit, Packed256, Vbe };
  Kind kind = Kind::Blank;
  uint32_t width = 0;   // output picture
  uint32_t height = 0;  // output picture
  // CRTC addressing.
  uint32_t columns = 0;       // character clocks a line
  uint32_t char_width = 8;    // text cell width
  uint32_t row_lines = 1;     // scanlines a character row (CR09 max scan line + 1)
  uint32_t line_step = 1;     // scanlines an output line stands for (identical repeats)
  uint32_t start = 0;         // start address (MA)
  uint32_t stride = 0;        // MA per character row
  uint32_t split_line = ~0u;  // output lines after this one restart at address 0
  unsigned shift = 0;         // 0 byte, 1 word, 2 doubleword addressing
  bool wrap15 = false;        // word mode takes bit 0 from MA15 (else MA13)
  bool cga_bank = false;      // address bit 13 from row scan bit 0
  bool herc_bank = false;     // address bit 14 from row scan bit 1

  // The plane offset the CRTC fetches for memory address ma on row scan line rscan.
  uint32_t address(uint32_t ma, uint32_t rscan) const {
    uint32_t a;
    if (shift == 2) {
      a = (ma << 2) | ((ma >> 14) & 3);
    } else if (shift == 1) {
      a = (ma << 1) | ((ma >> (wrap15 ? 15 : 13)) & 1);
    } else {
      a = ma;
    }
    if (cga_bank) a = (a & ~0x2000u) | ((rscan & 1) << 13);
    if (herc_bank) a = (a & ~0x4000u) | ((rscan & 2) << 13);
    return a & 0xFFFF;
  }
  // The memory address and row scan line of an output line's first character clock.
  void line_origin(uint32_t line, uint32_t& ma, uint32_t& rscan) const {
    uint32_t s = line * line_step;
    uint32_t base = start;
    if (s > split_line) {
      s -= split_line + 1;
      base = 0;
    }
    ma = base + (s / row_lines) * stride;
    rscan = s % row_lines;
  }
};

Vga::Geometry Vga::geometry() const {
  Geometry g;
  const Registers& r = state_.regs;
  const bochs_vbe::State& v = state_.vbe;
  if (v.enabled()) {
    g.kind = Geometry::Kind::Vbe;
    g.width = v.xres;
    g.height = v.yres;
    return g;
  }
  const uint8_t ov = r.crtc[7];
  const uint32_t display_lines = (r.crtc[0x12] | (ov & 0x02) << 7 | (ov & 0x40) << 3) + 1u;
  const bool double_scan = r.crtc[9] & 0x80;
  const uint32_t lines = display_lines >> (double_scan ? 1 : 0);
  g.columns = r.crtc[1] + 1u;
  g.row_lines = (r.crtc[9] & 0x1F) + 1u;
  g.start = uint32_t{r.crtc[0x0C]} << 8 | r.crtc[0x0D];
  g.stride = uint32_t{r.crtc[0x13]} * 2;
  g.shift = (r.crtc[0x14] & 0x40) ? 2 : (r.crtc[0x17] & 0x40) ? 0 : 1;
  g.wrap15 = r.crtc[0x17] & 0x20;
  g.cga_bank = !(r.crtc[0x17] & 0x01);
  g.herc_bank = !(r.crtc[0x17] & 0x02);
  const uint32_t line_compare =
      r.crtc[0x18] | (ov & 0x10) << 4 | (r.crtc[9] & 0x40) << 3;  // in display scanlines
  g.split_line = line_compare >> (double_scan ? 1 : 0);

  const uint8_t mode_control = r.ac[0x10];
  if (!(mode_control & 0x01)) {
    g.kind = Geometry::Kind::Text;
    g.char_width = (r.seq[1] & 0x01) ? 8 : 9;
    g.width = g.columns * g.char_width;
    g.height = lines;
  } else {
    if (r.gc[5] & 0x40) {
      g.kind = Geometry::Kind::Packed256;
      g.width = g.columns * 4;
    } else if (r.gc[5] & 0x20) {
      g.kind = Geometry::Kind::Cga2Bit;
      g.width = g.columns * 8;
    } else {
      g.kind = Geometry::Kind::Planar;
      g.width = g.columns * 8;
    }
    // Scanlines of a row that fetch the same addresses draw the same pixels: show one.
    if (!g.cga_bank && !g.herc_bank) {
      g.line_step = g.row_lines;
      g.split_line /= g.row_lines;
    }
    g.height = lines / g.line_step;
  }
  if ((r.seq[1] & 0x20) || !(r.ac_index & 0x20)) g.kind = Geometry::Kind::Blank;
  g.width = std::min(g.width, kMaxWidth);
  g.height = std::min(g.height, kMaxHeight);
  return g;
}

std::pair<uint32_t, uint32_t> Vga::display_size() const {
  const Geometry g = geometry();
  return {g.width, g.height};
}

bool Vga::text_mode() const { return !state_.vbe.enabled() && !(state_.regs.ac[0x10] & 0x01); }

void Vga::build_palette() {
  const Registers& r = state_.regs;
  const bool eight_bit = state_.vbe.enable & bochs_vbe::kDac8Bit;
  for (unsigned i = 0; i < 256; ++i) {
    const auto& c = r.dac[i];
    if (eight_bit) {
      palette_[i] = rgb(c[0], c[1], c[2]);
    } else {
      const auto scale = [](uint8_t x) -> uint32_t {
        return ((x & 0x3Fu) << 2) | ((x & 0x3Fu) >> 4);
      };
      palette_[i] = rgb(scale(c[0]), scale(c[1]), scale(c[2]));
    }
  }
}

bool Vga::range_dirty(uint32_t begin, uint32_t end) const {
  if (end > kVramSize) end = kVramSize;
  for (uint32_t page = begin >> kDirtyPageShift;
       begin < end && page <= (end - 1) >> kDirtyPageShift; ++page) {
    if ((dirty_[page / 64] >> (page % 64)) & 1) return true;
  }
  return false;
}

void Vga::render(VgaFrame& frame) {
  const Geometry g = geometry();
  bool all = registers_changed_;
  if (frame.width != g.width || frame.height != g.height) {
    frame.width = g.width;
    frame.height = g.height;
    frame.pixels.assign(size_t{g.width} * g.height, kOpaque);
    all = true;
  }
  frame.changed_begin = frame.changed_end = 0;
  build_palette();
  switch (g.kind) {
    case Geometry::Kind::Blank:
      if (all) {
        std::fill(frame.pixels.begin(), frame.pixels.end(), kOpaque);
        frame.changed_end = frame.height;
      }
      break;
    case Geometry::Kind::Text:
      render_text(g, frame, all);
      break;
    case Geometry::Kind::Vbe:
      render_vbe(g, frame, all);
      break;
    default:
      render_graphics(g, frame, all);
      break;
  }
  clear_dirty();
}

void Vga::render_text(const Geometry& g, VgaFrame& frame, bool all) {
  const Registers& r = state_.regs;
  // Blink: the cursor flips every 8 frames, blinking characters every 16 (a 70 Hz frame is
  // 449 scanlines).
  const uint64_t frame_number = clock_.now() / (kScanlineNs * 449);
  const uint64_t phase = frame_number / 8;
  if (phase != last_blink_phase_) {
    last_blink_phase_ = phase;
    all = true;
  }
  if (!all && !range_dirty(0, 4 * kPlaneSize)) return;
  const bool cursor_on = !(phase & 1);
  const bool blink_on = !(phase & 2);

  const uint8_t mode_control = r.ac[0x10];
  const bool blink_enabled = mode_control & 0x08;
  const bool line_graphics = mode_control & 0x04;
  std::array<uint32_t, 16> colors;
  for (unsigned i = 0; i < 16; ++i) {
    uint8_t index = r.ac[i & r.ac[0x12] & 0x0F] & 0x3F;
    if (mode_control & 0x80) index = (index & 0x0F) | ((r.ac[0x14] & 0x03) << 4);
    index |= (r.ac[0x14] & 0x0C) << 4;
    colors[i] = palette_[index & r.dac_mask];
  }
  const uint8_t map_select = r.seq[3];
  const auto font_base = [](unsigned map) { return (map & 3) * 0x4000u + (map >> 2) * 0x2000u; };
  const uint32_t font_a = font_base(((map_select >> 2) & 3) | ((map_select >> 3) & 4));
  const uint32_t font_b = font_base((map_select & 3) | ((map_select >> 2) & 4));
  const uint32_t cursor = uint32_t{r.crtc[0x0E]} << 8 | r.crtc[0x0F];
  const uint32_t cursor_start = r.crtc[0x0A] & 0x1F;
  const uint32_t cursor_end = r.crtc[0x0B] & 0x1F;
  const bool cursor_enabled = !(r.crtc[0x0A] & 0x20) && cursor_on;

  for (uint32_t y = 0; y < frame.height; ++y) {
    uint32_t ma, rscan;
    g.line_origin(y, ma, rscan);
    uint32_t* out = &frame.pixels[size_t{y} * frame.width];
    for (uint32_t col = 0; col < g.columns; ++col, ++ma) {
      const uint32_t addr = g.address(ma, rscan);
      const uint8_t ch = plane_byte(0, addr);
      const uint8_t attr = plane_byte(1, addr);
      const uint32_t font = (attr & 0x08) ? font_a : font_b;
      uint8_t bits = plane_byte(2, font + ch * 32u + rscan);
      uint8_t bg = attr >> 4;
      if (blink_enabled) {
        bg &= 7;
        if ((attr & 0x80) && !blink_on) bits = 0;
      }
      bool ninth = false;
      if (g.char_width == 9 && line_graphics && ch >= 0xC0 && ch <= 0xDF) ninth = bits & 1;
      if (cursor_enabled && ma == cursor && rscan >= cursor_start && rscan <= cursor_end) {
        bits = 0xFF;
        ninth = true;
      }
      const uint32_t fg_color = colors[attr & 0x0F];
      const uint32_t bg_color = colors[bg];
      for (unsigned x = 0; x < 8; ++x) *out++ = ((bits << x) & 0x80) ? fg_color : bg_color;
      if (g.char_width == 9) *out++ = ninth ? fg_color : bg_color;
    }
  }
  frame.changed_begin = 0;
  frame.changed_end = frame.height;
}

void Vga::render_graphics(const Geometry& g, VgaFrame& frame, bool all) {
  const Registers& r = state_.regs;
  const uint8_t mode_control = r.ac[0x10];
  std::array<uint32_t, 16> colors;
  for (unsigned i = 0; i < 16; ++i) {
    uint8_t index = r.ac[i & r.ac[0x12] & 0x0F] & 0x3F;
    if (mode_control & 0x80) index = (index & 0x0F) | ((r.ac[0x14] & 0x03) << 4);
    index |= (r.ac[0x14] & 0x0C) << 4;
    colors[i] = palette_[index & r.dac_mask];
  }
  uint32_t first = frame.height, last = 0;
  for (uint32_t y = 0; y < frame.height; ++y) {
    uint32_t ma, rscan;
    g.line_origin(y, ma, rscan);
    if (!all) {
      const uint32_t lo = g.address(ma, rscan);
      const uint32_t hi = g.address(ma + g.columns - 1, rscan);
      if (hi >= lo && !range_dirty(lo * 4, hi * 4 + 4)) continue;
    }
    first = std::min(first, y);
    last = y + 1;
    uint32_t* out = &frame.pixels[size_t{y} * frame.width];
    for (uint32_t col = 0; col < g.columns; ++col, ++ma) {
      const uint8_t* cell = &state_.vram[g.address(ma, rscan) * 4];
      switch (g.kind) {
        case Geometry::Kind::Packed256:
          for (unsigned p = 0; p < 4; ++p) *out++ = palette_[cell[p] & r.dac_mask];
          break;
        case Geometry::Kind::Cga2Bit:
          for (unsigned half = 0; half < 2; ++half) {
            const uint8_t low = cell[half], high = cell[half + 2];
            for (unsigned i = 0; i < 4; ++i) {
              const unsigned shift = 6 - 2 * i;
              *out++ = colors[((low >> shift) & 3) | (((high >> shift) & 3) << 2)];
            }
          }
          break;
        default:
          for (unsigned bit = 8; bit-- > 0;) {
            const unsigned index = ((cell[0] >> bit) & 1) | ((cell[1] >> bit) & 1) << 1 |
                                   ((cell[2] >> bit) & 1) << 2 | ((cell[3] >> bit) & 1) << 3;
            *out++ = colors[index];
          }
          break;
      }
    }
  }
  if (last > 0) {
    frame.changed_begin = first;
    frame.changed_end = last;
  }
}

void Vga::render_vbe(const Geometry& g, VgaFrame& frame, bool all) {
  const bochs_vbe::State& v = state_.vbe;
  const uint32_t line_bytes = v.line_bytes();
  const uint32_t start = v.start_offset();
  const unsigned bpp = v.bpp;
  const uint32_t row_bytes = bpp == 4 ? (g.width + 7) / 8 : g.width * v.bytes_per_pixel();
  const uint8_t mask = state_.regs.dac_mask;
  std::array<uint32_t, 16> colors;
  for (unsigned i = 0; i < 16; ++i) colors[i] = palette_[state_.regs.ac[i] & mask];
  uint32_t first = frame.height, last = 0;
  for (uint32_t y = 0; y < frame.height; ++y) {
    const uint64_t offset = start + uint64_t{y} * line_bytes;
    uint32_t* out = &frame.pixels[size_t{y} * frame.width];
    if (bpp == 4) {
      // Planar: the line's bytes are plane offsets in the VGA's 256 KiB.
      if (!all && !range_dirty(0, 4 * kPlaneSize)) continue;
      for (uint32_t x = 0; x < g.width; ++x) {
        const uint32_t cell = static_cast<uint32_t>((offset + x / 8) % kPlaneSize) * 4;
        const unsigned bit = 7 - (x & 7);
        unsigned index = 0;
        for (unsigned p = 0; p < 4; ++p) index |= ((state_.vram[cell + p] >> bit) & 1u) << p;
        out[x] = colors[index];
      }
    } else {
      if (offset + row_bytes > kVramSize) {
        std::fill_n(out, g.width, kOpaque);
      } else {
        const uint32_t off = static_cast<uint32_t>(offset);
        if (!all && !range_dirty(off, off + row_bytes)) continue;
        const uint8_t* p = &state_.vram[off];
        for (uint32_t x = 0; x < g.width; ++x) {
          switch (bpp) {
            case 8:
              out[x] = palette_[p[x] & mask];
              break;
            case 15: {
              const uint16_t w = bus::load_le<uint16_t>(p + 2 * x);
              const uint32_t r5 = (w >> 10) & 31, g5 = (w >> 5) & 31, b5 = w & 31;
              out[x] = rgb(r5 << 3 | r5 >> 2, g5 << 3 | g5 >> 2, b5 << 3 | b5 >> 2);
              break;
            }
            case 16: {
              const uint16_t w = bus::load_le<uint16_t>(p + 2 * x);
              const uint32_t r5 = w >> 11, g6 = (w >> 5) & 63, b5 = w & 31;
              out[x] = rgb(r5 << 3 | r5 >> 2, g6 << 2 | g6 >> 4, b5 << 3 | b5 >> 2);
              break;
            }
            case 24:
              out[x] = rgb(p[3 * x + 2], p[3 * x + 1], p[3 * x]);
              break;
            default:
              out[x] = rgb(p[4 * x + 2], p[4 * x + 1], p[4 * x]);
              break;
          }
        }
      }
    }
    first = std::min(first, y);
    last = y + 1;
  }
  if (last > 0) {
    frame.changed_begin = first;
    frame.changed_end = last;
  }
}

std::vector<std::string> Vga::text_screen() const {
  std::vector<std::string> rows;
  if (!text_mode()) return rows;
  const Geometry g = geometry();
  const uint32_t count = g.height / g.row_lines;
  for (uint32_t row = 0; row < count; ++row) {
    uint32_t ma, rscan;
    g.line_origin(row * g.row_lines, ma, rscan);
    std::string line;
    for (uint32_t col = 0; col < g.columns; ++col) {
      append_cp437(line, plane_byte(0, g.address(ma + col, rscan)));
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    rows.push_back(std::move(line));
  }
  return rows;
}

std::string Vga::text_screen_string() const {
  std::string out;
  for (const std::string& row : text_screen()) {
    out += row;
    out += '\n';
  }
  return out;
}

}  // namespace x86lab::devices
