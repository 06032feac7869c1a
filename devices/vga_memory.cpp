// The VGA's video memory as the CPU sees it: the legacy window with its planar read and write
// modes, the VBE bank window, the linear framebuffer, and dirty-page tracking.
#include <bit>

#include "bus/byte_order.hpp"
#include "devices/vga.hpp"

namespace x86lab::devices {

namespace {

constexpr uint8_t kSeqMapMask = 2, kSeqMemoryMode = 4;
constexpr uint8_t kGcSetReset = 0, kGcEnableSetReset = 1, kGcColorCompare = 2, kGcRotate = 3,
                  kGcReadMap = 4, kGcMode = 5, kGcMisc = 6, kGcColorDontCare = 7, kGcBitMask = 8;

uint8_t expand_bit(unsigned value, unsigned bit) { return ((value >> bit) & 1) ? 0xFF : 0x00; }

}  // namespace

bool Vga::anything_changed() const {
  if (registers_changed_) return true;
  for (uint64_t word : dirty_) {
    if (word) return true;
  }
  return false;
}

void Vga::clear_dirty() {
  dirty_.fill(0);
  registers_changed_ = false;
}

// Maps an offset from 0xA0000 to an offset inside the window GC06 selects; false when the
// address lies outside it or the misc register disables the RAM.
bool Vga::decode_window(uint32_t offset, uint32_t& window_offset) const {
  const Registers& r = state_.regs;
  if (!(r.misc & 0x02)) return false;
  switch ((r.gc[kGcMisc] >> 2) & 3) {
    case 0:
      window_offset = offset;
      return true;
    case 1:
      window_offset = offset;
      return offset < 0x10000;
    case 2:
      window_offset = offset - 0x10000;
      return offset >= 0x10000 && offset < 0x18000;
    default:
      window_offset = offset - 0x18000;
      return offset >= 0x18000;
  }
}

uint8_t Vga::read_window(uint32_t offset) {
  uint32_t addr;
  if (!decode_window(offset, addr)) return 0xFF;
  if (vbe_linear_window()) {
    const uint32_t linear = uint32_t{state_.vbe.bank} * bochs_vbe::kBankSize + (addr & 0xFFFF);
    return linear < kVramSize ? state_.vram[linear] : 0xFF;
  }
  const Registers& r = state_.regs;
  unsigned plane;
  if (r.seq[kSeqMemoryMode] & 0x08) {  // chain-4
    plane = addr & 3;
    addr &= ~3u;
  } else if (r.gc[kGcMode] & 0x10) {  // odd/even
    plane = (r.gc[kGcReadMap] & 2) | (addr & 1);
    addr &= ~1u;
  } else {
    plane = r.gc[kGcReadMap] & 3;
  }
  const uint8_t* cell = &state_.vram[(addr % kPlaneSize) * 4];
  for (unsigned p = 0; p < 4; ++p) state_.latch[p] = cell[p];

  if (!(r.gc[kGcMode] & 0x08)) return state_.latch[plane];
  // Read mode 1: a 1 where every plane that counts matches the colour compare value.
  uint8_t result = 0xFF;
  for (unsigned p = 0; p < 4; ++p) {
    if ((r.gc[kGcColorDontCare] >> p) & 1) {
      result &= static_cast<uint8_t>(~(state_.latch[p] ^ expand_bit(r.gc[kGcColorCompare], p)));
    }
  }
  return result;
}

void Vga::write_window(uint32_t offset, uint8_t value) {
  uint32_t addr;
  if (!decode_window(offset, addr)) return;
  if (vbe_linear_window()) {
    const uint32_t linear = uint32_t{state_.vbe.bank} * bochs_vbe::kBankSize + (addr & 0xFFFF);
    if (linear < kVramSize) {
      state_.vram[linear] = value;
      mark_dirty(linear);
    }
    return;
  }
  const Registers& r = state_.regs;
  unsigned planes = r.seq[kSeqMapMask] & 0x0F;
  if (r.seq[kSeqMemoryMode] & 0x08) {  // chain-4
    planes &= 1u << (addr & 3);
    addr &= ~3u;
  } else if (!(r.seq[kSeqMemoryMode] & 0x04)) {  // odd/even
    planes &= (addr & 1) ? 0x0Au : 0x05u;
    addr &= ~1u;
  }
  if (!planes) return;

  const unsigned mode = r.gc[kGcMode] & 3;
  const uint8_t rotated = std::rotr(value, r.gc[kGcRotate] & 7);
  const unsigned operation = (r.gc[kGcRotate] >> 3) & 3;
  uint8_t* cell = &state_.vram[(addr % kPlaneSize) * 4];
  for (unsigned p = 0; p < 4; ++p) {
    if (!((planes >> p) & 1)) continue;
    const uint8_t latch = state_.latch[p];
    if (mode == 1) {  // the latches, unchanged
      cell[p] = latch;
      continue;
    }
    uint8_t data;
    uint8_t bit_mask = r.gc[kGcBitMask];
    if (mode == 0) {
      data = ((r.gc[kGcEnableSetReset] >> p) & 1) ? expand_bit(r.gc[kGcSetReset], p) : rotated;
    } else if (mode == 2) {
      data = expand_bit(value, p);
    } else {  // mode 3: set/reset data, the rotated byte narrows the bit mask
      data = expand_bit(r.gc[kGcSetReset], p);
      bit_mask &= rotated;
    }
    switch (operation) {
      case 1:
        data &= latch;
        break;
      case 2:
        data |= latch;
        break;
      case 3:
        data ^= latch;
        break;
      default:
        break;
    }
    cell[p] = static_cast<uint8_t>((data & bit_mask) | (latch & ~bit_mask));
  }
  mark_dirty((addr % kPlaneSize) * 4);
}

uint32_t Vga::mmio_read(uint32_t offset, unsigned size) {
  uint32_t value = 0;
  for (unsigned i = 0; i < size; ++i) value |= uint32_t{read_window(offset + i)} << (8 * i);
  return value;
}

void Vga::mmio_write(uint32_t offset, unsigned size, uint32_t value) {
  for (unsigned i = 0; i < size; ++i)
    write_window(offset + i, static_cast<uint8_t>(value >> (8 * i)));
}

uint32_t Vga::LinearFramebuffer::mmio_read(uint32_t offset, unsigned size) {
  const std::vector<uint8_t>& vram = vga_.state_.vram;
  if (offset > kVramSize - size) [[unlikely]] {
    return 0xFFFFFFFFu;
  }
  switch (size) {
    case 1:
      return vram[offset];
    case 2:
      return bus::load_le<uint16_t>(&vram[offset]);
    default:
      return bus::load_le<uint32_t>(&vram[offset]);
  }
}

void Vga::LinearFramebuffer::mmio_write(uint32_t offset, unsigned size, uint32_t value) {
  std::vector<uint8_t>& vram = vga_.state_.vram;
  if (offset > kVramSize - size) [[unlikely]] {
    return;
  }
  switch (size) {
    case 1:
      vram[offset] = static_cast<uint8_t>(value);
      break;
    case 2:
      bus::store_le<uint16_t>(&vram[offset], static_cast<uint16_t>(value));
      break;
    default:
      bus::store_le<uint32_t>(&vram[offset], value);
      break;
  }
  vga_.mark_dirty(offset);
  vga_.mark_dirty(offset + size - 1);
}

}  // namespace x86lab::devices
