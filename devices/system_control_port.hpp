// System control port B at 0x61 (PC/AT): bit 0 gates PIT channel 2, bit 1 lets channel 2's
// OUT drive the speaker, bits 2-3 disable parity and I/O channel checks. Reads return those
// bits with bit 4 the refresh-request toggle (it flips every 15.09 us, once per DRAM refresh
// that PIT channel 1 paced on the AT; firmware polls it to wait), bit 5 channel 2's OUT, and
// bits 6-7 the channel check and parity error flags (never set here).
#pragma once

#include <cstdint>

#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "devices/pit8254.hpp"

namespace x86lab::devices {

class SystemControlPort {
 public:
  static constexpr uint16_t kPort = 0x61;
  // PIT input clocks per refresh request: channel 1 at the AT BIOS's count of 18.
  static constexpr uint64_t kRefreshTicks = 18;

  struct State {
    uint8_t control = 0;  // bits 0-3 as last written
  };

  SystemControlPort(Pit8254& pit, bus::Clock& clock) : pit_(pit), clock_(clock) { reset(); }

  void register_ports(bus::IoSpace& io);
  void reset();

  uint8_t read();
  void write(uint8_t value);
  // The speaker cone follows channel 2's OUT while bit 1 is set.
  bool speaker_enabled() const { return state_.control & 0x02; }

  const State& state() const { return state_; }

 private:
  Pit8254& pit_;
  bus::Clock& clock_;
  State state_;
};

}  // namespace x86lab::devices
