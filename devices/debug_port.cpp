#include "devices/debug_port.hpp"

namespace x86lab::devices {

void DebugPort::register_ports(bus::IoSpace& io) {
  io.register_ports(
      kConsolePort, 1, "debug console", bus::kIoByte,
      [](uint16_t, unsigned) -> uint32_t { return kReadValue; },
      [this](uint16_t, unsigned, uint32_t value) {
        ++state_.console_bytes;
        if (console_out_) console_out_(static_cast<uint8_t>(value));
      });
  io.register_ports(
      kFirmwareLogPort, 1, "firmware log port", bus::kIoByte,
      [](uint16_t, unsigned) -> uint32_t { return kReadValue; },
      [this](uint16_t, unsigned, uint32_t value) {
        ++state_.firmware_log_bytes;
        if (firmware_out_) firmware_out_(static_cast<uint8_t>(value));
      });
}

}  // namespace x86lab::devices
