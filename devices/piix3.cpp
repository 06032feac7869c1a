#include "devices/piix3.hpp"

namespace x86lab::devices {

Piix3Isa::Piix3Isa() : PciFunction(0x8086, 0x7000, 0x06, 0x01, 0x00, 0x00, "piix3 isa bridge") {
  set_header_type(0x80);  // multi-function: the IDE function follows
  reset();
}

void Piix3Isa::reset() {
  PciFunction::reset();
  set_config_word(kCommand, 0x0007);
  set_config_word(kStatus, 0x0200);
  for (uint8_t r = kPirqRoute; r < kPirqRoute + 4; ++r) {
    set_config_byte(r, 0x80);
    set_writable(r, 1, 0x8F);
  }
  // ISA clock divisor, TOM, motherboard IRQ and DMA routing, APIC base: kept as written.
  set_writable(0x4C, 1, 0xFF);
  set_config_byte(0x4C, 0x4D);
  set_writable(0x4E, 2, 0xFFFF);
  set_config_word(0x4E, 0x0003);
  set_writable(0x69, 1, 0xFE);
  set_config_byte(0x69, 0x02);
  set_writable(0x70, 2, 0xFFFF);
  set_config_word(0x70, 0x8080);
  set_writable(0x76, 2, 0xFFFF);
  set_config_word(0x76, 0x0C0C);
  set_writable(0x80, 1, 0x7F);
  set_writable(0xA0, 0x20, 0xFFFFFFFF);  // SMI and power-management registers
  rcr_ = 0;
}

void Piix3Isa::attach_reset_control(PciBus& bus) {
  bus.set_reset_control([this] { return rcr_; },
                        [this](uint8_t value) { write_reset_control(value); });
}

int Piix3Isa::pirq_route(unsigned pirq) const {
  const uint8_t route = config_byte(static_cast<uint8_t>(kPirqRoute + (pirq & 3)));
  if (route & 0x80) return -1;
  const unsigned irq = route & 0x0F;
  // IRQ 0-2, 8 and 13 are reserved and never routed.
  if (irq < 3 || irq == 8 || irq == 13) return -1;
  return static_cast<int>(irq);
}

void Piix3Isa::write_reset_control(uint8_t value) {
  const bool edge = !(rcr_ & kRcrResetCpu) && (value & kRcrResetCpu);
  rcr_ = value & (kRcrSystemReset | 0x08);
  if (edge && on_reset_) on_reset_();
}

Piix3Ide::Piix3Ide() : PciFunction(0x8086, 0x7010, 0x01, 0x01, 0x80, 0x00, "piix3 ide") {
  declare_bar(4, 16, true);  // bus-master IDE registers
  reset();
}

void Piix3Ide::reset() {
  PciFunction::reset();
  set_config_word(kStatus, 0x0280);
  set_writable(kTiming, 4, 0xFFFFFFFF);
  set_writable(0x44, 1, 0xFF);  // slave timing
}

bool Piix3Ide::channel_enabled(unsigned channel) const {
  return config_word(static_cast<uint8_t>(kTiming + 2 * (channel & 1))) & 0x8000;
}

void Piix3Ide::enable_legacy_decode() {
  for (unsigned channel = 0; channel < 2; ++channel) {
    const auto offset = static_cast<uint8_t>(kTiming + 2 * channel);
    set_config_word(offset, static_cast<uint16_t>(config_word(offset) | 0x8000));
  }
}

}  // namespace x86lab::devices
