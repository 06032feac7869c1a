#include "devices/system_control_port_a.hpp"

namespace x86lab::devices {

void SystemControlPortA::register_ports(bus::IoSpace& io) {
  io.register_ports(
      kPort, 1, "system control port a", bus::kIoByte,
      [this](uint16_t, unsigned) -> uint32_t { return read(); },
      [this](uint16_t, unsigned, uint32_t value) { write(static_cast<uint8_t>(value)); });
}

void SystemControlPortA::write(uint8_t value) {
  const uint8_t before = state_.value;
  state_.value = value & (kFastA20 | 0x08);
  if ((before ^ value) & kFastA20) {
    if (on_a20_) on_a20_(value & kFastA20);
  }
  if ((value & kFastReset) && on_reset_) on_reset_();
}

}  // namespace x86lab::devices
