// The 8254 programmable interval timer at 0x40-0x43, clocked at 1.193182 MHz. Counters are
// not stepped: each one remembers when its counting element was loaded and computes its
// count and OUT from the clock's time. A counter whose OUT drives a line (channel 0 drives
// IRQ0) schedules a clock event at each change of OUT, so nothing polls.
//
// Implemented: modes 0-5 (6 and 7 alias 2 and 3), LSB/MSB/LSB-then-MSB access, BCD counting,
// the counter latch command, the read-back command (count and status, null count flag),
// gates (channel 2's is on port 0x61, see system_control_port.hpp), and a new count in
// modes 2 and 3 taking effect at the end of the current period.
// Simplifications: in mode 3 a new count waits for the end of the whole period rather than
// the half-cycle; a count read in the clock between a write and the load returns the old
// count.
#pragma once

#include <array>
#include <cstdint>

#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "bus/irq.hpp"

namespace x86lab::devices {

class Pit8254 {
 public:
  static constexpr uint64_t kInputHz = 1'193'182;
  static constexpr uint16_t kBasePort = 0x40;

  // Ticks of the 1.193182 MHz input since time zero, and the first instant of a tick.
  static uint64_t tick_at(uint64_t ns);
  static uint64_t time_of_tick(uint64_t tick);

  struct Channel {
    uint8_t mode = 0;       // 0-5, after folding 6/7 onto 2/3
    uint8_t mode_bits = 0;  // M2-M0 as written, for the read-back status
    uint8_t access = 3;     // 1 LSB, 2 MSB, 3 LSB then MSB
    bool bcd = false;
    bool gate = true;
    bool programmed = false;    // a control word has been written
    bool count_loaded = false;  // a whole count has been written since the control word

    // Count register being written.
    uint16_t count_register = 0;
    bool write_msb_next = false;
    bool read_msb_next = false;

    // Latches.
    bool count_latched = false;
    uint16_t latched_count = 0;
    bool status_latched = false;
    uint8_t latched_status = 0;

    // Counting element. While `running`, at tick start_tick it held start_value and has
    // counted since; before that tick (a load in flight) and while stopped it holds
    // held_value and OUT is held_out.
    uint32_t reload = 0x10000;  // the count in effect (0 written = 65536, or 10000 in BCD)
    bool running = false;
    uint64_t start_tick = 0;
    uint32_t start_value = 0;
    uint32_t held_value = 0;
    bool held_out = true;
    bool terminal_passed = false;  // modes 0 and 4: the count reached zero since loading
    bool reload_pending = false;   // modes 2 and 3: a new count waits for the period's end
    uint32_t pending_value = 0;
    uint64_t reload_tick = 0;
    uint64_t null_count_until = 0;  // the null count flag reads 1 before this tick
  };
  struct State {
    std::array<Channel, 3> channels{};
  };

  explicit Pit8254(bus::Clock& clock) : clock_(clock) { reset(); }
  Pit8254(const Pit8254&) = delete;
  Pit8254& operator=(const Pit8254&) = delete;

  void register_ports(bus::IoSpace& io);
  void reset();

  // The line a channel's OUT drives (IRQ0 for channel 0 on a PC).
  void connect_output(unsigned channel, bus::IrqLine line);
  void set_gate(unsigned channel, bool high);
  bool gate(unsigned channel) const { return state_.channels[channel].gate; }
  bool output(unsigned channel);
  // The counting element now, in binary.
  uint32_t count(unsigned channel);

  uint8_t read(uint16_t port);
  void write(uint16_t port, uint8_t value);

  const State& state() const { return state_; }

 private:
  static constexpr uint64_t kNever = ~uint64_t{0};
  uint32_t modulus(const Channel& c) const { return c.bcd ? 10000 : 0x10000; }
  void catch_up(Channel& c, uint64_t tick);
  uint32_t count_at(Channel& c, uint64_t tick);
  bool out_at(Channel& c, uint64_t tick);
  uint64_t next_out_change(Channel& c, uint64_t tick);
  void stop(Channel& c, uint64_t tick);
  void start(Channel& c, uint64_t first_tick, uint32_t value);
  void write_control(uint8_t value);
  void write_counter(unsigned index, uint8_t value);
  void load_count(unsigned index, uint32_t value);
  uint8_t read_counter(unsigned index);
  uint8_t status_byte(Channel& c, uint64_t tick);
  void output_changed(unsigned index);
  void on_event(unsigned index);

  bus::Clock& clock_;
  State state_;
  std::array<bus::IrqLine, 3> lines_{};
  std::array<bus::EventHandle, 3> events_{};
};

}  // namespace x86lab::devices
