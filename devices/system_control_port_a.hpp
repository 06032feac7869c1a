// System control port A at 0x92 (PS/2 and the PIIX): bit 1 the fast A20 gate, bit 0 a fast
// reset on its 0->1 edge (the bit reads back as 0 after it). Bit 3 (the power-on password
// lock) is kept as written. The A20 gate and the reset reach the machine through callbacks.
#pragma once

#include <cstdint>
#include <functional>

#include "bus/io_space.hpp"

namespace x86lab::devices {

class SystemControlPortA {
 public:
  static constexpr uint16_t kPort = 0x92;
  static constexpr uint8_t kFastReset = 0x01, kFastA20 = 0x02;

  struct State {
    uint8_t value = 0;
  };

  void register_ports(bus::IoSpace& io);
  void reset() { state_ = State{}; }
  void set_a20_handler(std::function<void(bool enabled)> handler) { on_a20_ = std::move(handler); }
  void set_reset_handler(std::function<void()> handler) { on_reset_ = std::move(handler); }
  // The machine's A20 gate changed through another path (the 8042): bit 1 follows it.
  void set_a20_state(bool enabled) {
    state_.value = enabled ? (state_.value | kFastA20) : (state_.value & ~kFastA20);
  }

  uint8_t read() const { return state_.value; }
  void write(uint8_t value);

  const State& state() const { return state_; }

 private:
  State state_;
  std::function<void(bool)> on_a20_;
  std::function<void()> on_reset_;
};

}  // namespace x86lab::devices
