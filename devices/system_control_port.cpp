#include "devices/system_control_port.hpp"

namespace x86lab::devices {

void SystemControlPort::register_ports(bus::IoSpace& io) {
  io.register_ports(
      kPort, 1, "system control port", bus::kIoByte,
      [this](uint16_t, unsigned) -> uint32_t { return read(); },
      [this](uint16_t, unsigned, uint32_t value) { write(static_cast<uint8_t>(value)); });
}

void SystemControlPort::reset() {
  state_ = State{};
  pit_.set_gate(2, false);
}

uint8_t SystemControlPort::read() {
  const bool refresh = (Pit8254::tick_at(clock_.now()) / kRefreshTicks) & 1;
  return static_cast<uint8_t>((state_.control & 0x0F) | (refresh ? 0x10 : 0) |
                              (pit_.output(2) ? 0x20 : 0));
}

void SystemControlPort::write(uint8_t value) {
  state_.control = value & 0x0F;
  pit_.set_gate(2, value & 0x01);
}

}  // namespace x86lab::devices
