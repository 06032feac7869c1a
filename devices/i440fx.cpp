#include "devices/i440fx.hpp"

#include <algorithm>
#include <stdexcept>

namespace x86lab::devices {

// Mode 2: reads come from the bus image, writes land in the RAM below.
class I440fx::WriteThrough final : public bus::MmioHandler {
 public:
  WriteThrough(I440fx& owner, uint32_t base) : owner_(owner), base_(base) {}
  uint32_t mmio_read(uint32_t offset, unsigned size) override {
    uint32_t value = 0;
    for (unsigned i = 0; i < size; ++i) {
      value |= uint32_t{owner_.bus_image_[base_ - kLegacyBase + offset + i]} << (8 * i);
    }
    return value;
  }
  void mmio_write(uint32_t offset, unsigned size, uint32_t value) override {
    const auto ram = owner_.memory_.ram();
    for (unsigned i = 0; i < size; ++i) {
      const uint32_t addr = base_ + offset + i;
      if (addr < ram.size()) ram[addr] = static_cast<uint8_t>(value >> (8 * i));
    }
  }

 private:
  I440fx& owner_;
  uint32_t base_;
};

I440fx::I440fx(bus::PhysicalMemory& memory)
    : PciFunction(0x8086, 0x1237, 0x06, 0x00, 0x00, 0x02, "i440fx host bridge"),
      memory_(memory),
      bus_image_(kLegacySize, 0xFF) {
  applied_.fill(-1);
  for (unsigned s = 0; s < kSegments; ++s) {
    write_through_[s] = std::make_unique<WriteThrough>(*this, segment_base(s));
  }
  reset();
}

I440fx::~I440fx() = default;

uint32_t I440fx::segment_base(unsigned segment) {
  return segment == 0 ? 0xF0000 : kLegacyBase + (segment - 1) * 0x4000;
}

uint32_t I440fx::segment_size(unsigned segment) { return segment == 0 ? 0x10000 : 0x4000; }

unsigned I440fx::pam_mode(unsigned segment) const {
  if (segment == 0) return (config_byte(kPam0) >> 4) & 3;
  const unsigned index = segment - 1;
  const uint8_t reg = config_byte(static_cast<uint8_t>(kPam0 + 1 + index / 2));
  return (index & 1 ? reg >> 4 : reg) & 3;
}

void I440fx::set_legacy_rom(uint32_t base, std::span<const uint8_t> image) {
  if (base < kLegacyBase || base - kLegacyBase + image.size() > kLegacySize) {
    throw std::invalid_argument("legacy ROM outside 0xC0000-0xFFFFF");
  }
  std::copy(image.begin(), image.end(), bus_image_.begin() + (base - kLegacyBase));
  const uint64_t end = uint64_t{base} + image.size();
  for (unsigned s = 0; s < kSegments; ++s) {
    const bool overlaps = segment_base(s) < end && base < segment_base(s) + segment_size(s);
    if (overlaps && applied_[s] == 0) apply(s, true);
  }
}

void I440fx::reset() {
  PciFunction::reset();
  set_config_word(kStatus, 0x0280);  // medium DEVSEL timing
  // Registers the BIOS programs: 0x50-0x58 (PMC configuration, DRAM control), PAM, DRB,
  // SMRAM. All read/write here; only PAM has an effect.
  for (uint8_t r = 0x50; r <= 0x58; ++r) set_writable(r, 1, 0xFF);
  for (uint8_t r = kPam0; r <= kPam0 + 6; ++r) set_writable(r, 1, 0x33);
  for (uint8_t r = 0x60; r <= 0x67; ++r) set_writable(r, 1, 0xFF);  // DRB
  set_writable(kSmram, 1, 0x78);
  set_config_byte(kSmram, 0x02);
  for (unsigned s = 0; s < kSegments; ++s) apply(s, false);
}

void I440fx::config_written(uint8_t offset, unsigned size) {
  if (offset + size <= kPam0 || offset > kPam0 + 6) return;
  for (unsigned s = 0; s < kSegments; ++s) apply(s, false);
}

void I440fx::apply(unsigned segment, bool force) {
  const auto mode = static_cast<int>(pam_mode(segment));
  if (mode == applied_[segment] && !force) return;
  applied_[segment] = mode;
  const uint32_t base = segment_base(segment);
  const uint32_t size = segment_size(segment);
  memory_.unmap(base, size);
  switch (mode) {
    case 0:
      memory_.map_rom(base, std::span<const uint8_t>(bus_image_).subspan(base - kLegacyBase, size),
                      "pam bus " + std::to_string(segment));
      break;
    case 1: {
      std::vector<uint8_t> copy(size, 0xFF);
      const auto ram = memory_.ram();
      for (uint32_t i = 0; i < size && base + i < ram.size(); ++i) copy[i] = ram[base + i];
      memory_.map_rom(base, copy, "pam read-only dram " + std::to_string(segment));
      break;
    }
    case 2:
      memory_.map_mmio(base, size, *write_through_[segment],
                       "pam write-only dram " + std::to_string(segment));
      break;
    default:
      break;  // plain RAM
  }
  if (on_map_changed_) on_map_changed_();
}

}  // namespace x86lab::devices
