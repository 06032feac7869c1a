// The Bochs/QEMU debug console at port 0xE9 and the SeaBIOS log port at 0x402: every byte
// written goes to the host through a callback; a read answers 0xE9 so a guest can detect the
// console. The two ports share behaviour and keep separate callbacks.
#pragma once

#include <cstdint>
#include <functional>

#include "bus/io_space.hpp"

namespace x86lab::devices {

class DebugPort {
 public:
  using Output = std::function<void(uint8_t byte)>;
  static constexpr uint16_t kConsolePort = 0xE9;
  static constexpr uint16_t kFirmwareLogPort = 0x402;
  static constexpr uint8_t kReadValue = 0xE9;

  void register_ports(bus::IoSpace& io);
  void reset() { state_ = {}; }

  void set_console_output(Output out) { console_out_ = std::move(out); }
  void set_firmware_log_output(Output out) { firmware_out_ = std::move(out); }

  struct State {
    uint64_t console_bytes = 0;
    uint64_t firmware_log_bytes = 0;
  };
  const State& state() const { return state_; }

 private:
  State state_;
  Output console_out_;
  Output firmware_out_;
};

}  // namespace x86lab::devices
