#include <doctest/doctest.h>

#include <vector>

#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "bus/irq.hpp"
#include "devices/pic8259.hpp"
#include "devices/pit8254.hpp"
#include "devices/system_control_port.hpp"

using namespace x86lab;
using devices::Pit8254;

namespace {

// Records every level change of the lines it receives, with the time it happened.
struct IrqRecorder : bus::IrqSink {
  bus::Clock* clock = nullptr;
  std::vector<std::pair<uint64_t, bool>> changes;  // (tick, level)
  void set_irq_level(unsigned, bool high) override {
    changes.push_back({Pit8254::tick_at(clock->now()), high});
  }
  std::vector<uint64_t> rising_ticks() const {
    std::vector<uint64_t> out;
    for (auto [tick, high] : changes)
      if (high) out.push_back(tick);
    return out;
  }
};

struct Bench {
  bus::Clock clock;
  bus::IoSpace io;
  Pit8254 pit{clock};
  devices::SystemControlPort port61{pit, clock};
  IrqRecorder irq0;
  Bench() {
    pit.register_ports(io);
    port61.register_ports(io);
    irq0.clock = &clock;
    pit.connect_output(0, bus::IrqLine(irq0, 0));
  }
  void out(uint16_t port, uint8_t v) { io.write(port, 1, v); }
  uint8_t in(uint16_t port) { return static_cast<uint8_t>(io.read(port, 1)); }
  void at_tick(uint64_t tick) { clock.advance_to(Pit8254::time_of_tick(tick)); }
  uint16_t latch_and_read(unsigned channel) {
    out(0x43, static_cast<uint8_t>(channel << 6));  // counter latch command
    const uint8_t lo = in(static_cast<uint16_t>(0x40 + channel));
    const uint8_t hi = in(static_cast<uint16_t>(0x40 + channel));
    return static_cast<uint16_t>(lo | hi << 8);
  }
  uint8_t status(unsigned channel) {
    out(0x43, static_cast<uint8_t>(0xE0 | 2u << channel));  // read-back: status only
    return in(static_cast<uint16_t>(0x40 + channel));
  }
};

}  // namespace

TEST_CASE("pit tick conversion is exact at 1.193182 MHz") {
  CHECK(Pit8254::tick_at(0) == 0);
  CHECK(Pit8254::tick_at(1'000'000'000) == 1'193'182);
  CHECK(Pit8254::tick_at(3'600'000'000'000ull) == 3600ull * 1'193'182);
  for (uint64_t t : {1ull, 17ull, 1193181ull, 1193182ull, 99999999ull}) {
    CHECK(Pit8254::tick_at(Pit8254::time_of_tick(t)) == t);
    CHECK(Pit8254::tick_at(Pit8254::time_of_tick(t) - 1) == t - 1);
  }
}

TEST_CASE("pit mode 0 raises OUT N+1 clocks after the count is written and stays high") {
  Bench b;
  b.out(0x43, 0x30);  // channel 0, LSB then MSB, mode 0, binary
  CHECK_FALSE(b.pit.output(0));
  b.out(0x40, 100);
  b.out(0x40, 0);
  b.at_tick(1);
  CHECK(b.latch_and_read(0) == 100);
  b.at_tick(100);
  CHECK(b.latch_and_read(0) == 1);
  CHECK_FALSE(b.pit.output(0));
  CHECK(b.irq0.rising_ticks().empty());
  b.at_tick(101);
  CHECK(b.latch_and_read(0) == 0);
  CHECK(b.pit.output(0));
  b.at_tick(102);
  CHECK(b.latch_and_read(0) == 0xFFFF);  // the count wraps; OUT stays high
  b.at_tick(100000);
  CHECK(b.irq0.rising_ticks() == std::vector<uint64_t>{101});
  CHECK(b.pit.output(0));
}

TEST_CASE("pit mode 2 reloads the counter and raises IRQ0 every N clocks") {
  Bench b;
  b.out(0x43, 0x34);  // channel 0, LSB/MSB, mode 2
  b.out(0x40, 0xE8);  // 1000
  b.out(0x40, 0x03);
  b.at_tick(500);
  CHECK(b.latch_and_read(0) == 501);
  b.at_tick(1000);
  CHECK_FALSE(b.pit.output(0));  // low for the one clock when the count reaches 1
  CHECK(b.latch_and_read(0) == 1);
  b.at_tick(1001);
  CHECK(b.pit.output(0));
  CHECK(b.latch_and_read(0) == 1000);
  b.at_tick(3500);
  // The control word itself sets OUT high (mode 2's initial state; it was low after reset).
  CHECK(b.irq0.rising_ticks() == std::vector<uint64_t>{0, 1001, 2001, 3001});
}

TEST_CASE("pit mode 2 at count 1193 gives 1000 IRQ0 edges a second") {
  Bench b;
  b.out(0x43, 0x34);
  b.out(0x40, 1193 & 0xFF);
  b.out(0x40, 1193 >> 8);
  b.clock.advance_to(1'000'000'000);
  CHECK(b.irq0.rising_ticks().size() == 1 + 1000);  // the control word's edge, then 1000
}

TEST_CASE("pit mode 2 new count takes effect at the end of the current period") {
  Bench b;
  b.out(0x43, 0x34);
  b.out(0x40, 100);
  b.out(0x40, 0);
  b.at_tick(50);
  b.out(0x40, 200);
  b.out(0x40, 0);
  b.at_tick(1000);
  const auto r = b.irq0.rising_ticks();
  REQUIRE(r.size() >= 4);
  CHECK(r[1] == 101);
  CHECK(r[2] == 301);
  CHECK(r[3] == 501);
}

TEST_CASE("pit mode 3 square wave: even count half high half low, odd count one more high") {
  Bench b;
  b.out(0x43, 0x36);  // channel 0, LSB/MSB, mode 3
  b.out(0x40, 10);
  b.out(0x40, 0);
  b.at_tick(1);
  CHECK(b.pit.output(0));
  CHECK(b.latch_and_read(0) == 10);
  b.at_tick(2);
  CHECK(b.latch_and_read(0) == 8);  // counts by two
  b.at_tick(5);
  CHECK(b.pit.output(0));
  b.at_tick(6);
  CHECK_FALSE(b.pit.output(0));
  b.at_tick(10);
  CHECK_FALSE(b.pit.output(0));
  b.at_tick(11);
  CHECK(b.pit.output(0));
  b.at_tick(40);
  CHECK(b.irq0.rising_ticks() == std::vector<uint64_t>{0, 11, 21, 31});

  Bench odd;
  odd.out(0x43, 0x36);
  odd.out(0x40, 5);
  odd.out(0x40, 0);
  odd.at_tick(3);
  CHECK(odd.pit.output(0));  // (5+1)/2 = 3 clocks high: ticks 1-3
  odd.at_tick(4);
  CHECK_FALSE(odd.pit.output(0));  // (5-1)/2 = 2 clocks low: ticks 4-5
  odd.at_tick(6);
  CHECK(odd.pit.output(0));
}

TEST_CASE("pit mode 3 count 0 is 65536: the BIOS 18.2 Hz tick") {
  Bench b;
  b.out(0x43, 0x36);
  b.out(0x40, 0);
  b.out(0x40, 0);
  b.clock.advance_to(1'000'000'000);
  CHECK(b.irq0.rising_ticks().size() == 1 + 18);  // 1193182 / 65536 = 18.2
}

TEST_CASE("pit IRQ0 reaches the CPU through the PIC as vector 8") {
  bus::Clock clock;
  bus::IoSpace io;
  devices::Pic8259 pic;
  Pit8254 pit(clock);
  pic.register_ports(io);
  pit.register_ports(io);
  pit.connect_output(0, pic.line(0));
  for (auto [port, value] :
       {std::pair<uint16_t, uint8_t>{0x20, 0x11}, {0x21, 0x08}, {0x21, 0x04}, {0x21, 0x01}}) {
    io.write(port, 1, value);
  }
  io.write(0x43, 1, 0x34);
  io.write(0x40, 1, 0x00);
  io.write(0x40, 1, 0x10);  // 4096
  // The control word set OUT high (mode 2's initial state): the PIC latched that edge.
  CHECK(pic.acknowledge_interrupt() == 0x08);
  io.write(0x20, 1, 0x20);
  CHECK(clock.next_deadline() == Pit8254::time_of_tick(4096));  // OUT falls a clock early
  clock.advance_to(Pit8254::time_of_tick(4096));
  CHECK_FALSE(pic.interrupt_pending());
  clock.advance_to(clock.next_deadline());
  CHECK(Pit8254::tick_at(clock.now()) == 4097);
  CHECK(pic.interrupt_pending());
  CHECK(pic.acknowledge_interrupt() == 0x08);
}

TEST_CASE("pit mode 4 strobes OUT low for one clock at terminal count") {
  Bench b;
  b.out(0x43, 0x18);  // channel 0, LSB only, mode 4
  CHECK(b.pit.output(0));
  b.out(0x40, 5);
  b.at_tick(5);
  CHECK(b.pit.output(0));
  b.at_tick(6);
  CHECK_FALSE(b.pit.output(0));
  b.at_tick(7);
  CHECK(b.pit.output(0));
  b.at_tick(70000);
  CHECK(b.pit.output(0));  // only once per count written
}

TEST_CASE("pit mode 1 one-shot is triggered by the gate (channel 2 via port 0x61)") {
  Bench b;
  b.out(0x43, 0x92);  // channel 2, LSB only, mode 1
  b.out(0x42, 5);
  b.at_tick(10);
  CHECK((b.in(0x61) & 0x20) != 0);  // OUT high until triggered
  b.out(0x61, 0x01);                // gate rising edge
  b.at_tick(11);
  CHECK((b.in(0x61) & 0x20) == 0);
  b.at_tick(15);
  CHECK((b.in(0x61) & 0x20) == 0);
  b.at_tick(16);
  CHECK((b.in(0x61) & 0x20) != 0);
  CHECK((b.in(0x61) & 0x0F) == 0x01);
}

TEST_CASE("pit mode 5 strobe waits for a gate trigger") {
  Bench b;
  b.out(0x43, 0x9A);  // channel 2, LSB only, mode 5
  b.out(0x42, 3);
  b.at_tick(100);
  CHECK(b.pit.output(2));
  b.pit.set_gate(2, true);
  b.at_tick(104);
  CHECK_FALSE(b.pit.output(2));
  b.at_tick(105);
  CHECK(b.pit.output(2));
}

TEST_CASE("pit mode 0 on channel 2 counts only while the gate is high") {
  Bench b;
  b.out(0x43, 0xB0);  // channel 2, LSB/MSB, mode 0
  b.out(0x42, 10);
  b.out(0x42, 0);
  b.at_tick(50);
  CHECK(b.pit.count(2) == 10);  // gate low: not counting
  b.out(0x61, 0x01);
  b.at_tick(55);
  CHECK(b.pit.count(2) == 6);
  b.out(0x61, 0x00);
  b.at_tick(80);
  CHECK(b.pit.count(2) == 6);  // suspended
  b.out(0x61, 0x01);
  b.at_tick(86);
  CHECK(b.pit.count(2) == 1);
  CHECK((b.in(0x61) & 0x20) == 0);
  b.at_tick(87);
  CHECK((b.in(0x61) & 0x20) != 0);
}

TEST_CASE("pit counter latch holds the count until both bytes are read") {
  Bench b;
  b.out(0x43, 0x34);
  b.out(0x40, 0x00);
  b.out(0x40, 0x80);  // 0x8000
  b.at_tick(0x11);
  b.out(0x43, 0x00);  // latch channel 0: count 0x8000 - 0x10 = 0x7FF0
  b.at_tick(0x100);
  b.out(0x43, 0x00);  // a second latch before reading is ignored
  CHECK(b.in(0x40) == 0xF0);
  b.at_tick(0x200);
  CHECK(b.in(0x40) == 0x7F);
  // Unlatched reads follow the count again.
  CHECK(b.latch_and_read(0) == 0x8000 - 0x1FF);
}

TEST_CASE("pit read-back returns status then count, with the null count flag") {
  Bench b;
  b.out(0x43, 0x34);
  CHECK(b.status(0) == 0xF4);  // OUT high in mode 2, null count, LSB/MSB, mode 2, binary
  b.out(0x40, 0x34);
  b.out(0x40, 0x12);
  CHECK(b.status(0) == 0xF4);  // count written but not yet loaded
  b.at_tick(1);
  CHECK(b.status(0) == 0xB4);
  b.at_tick(0x35);
  b.out(0x43, 0xC2);  // read-back count and status of channel 0
  CHECK(b.in(0x40) == 0xB4);
  CHECK(b.in(0x40) == 0x00);  // 0x1234 - 0x34
  CHECK(b.in(0x40) == 0x12);
  b.out(0x43, 0x3A);  // mode 5 (bits 101), for the status bits
  CHECK((b.status(0) & 0x3F) == 0x3A);
  b.out(0x43, 0x3C);  // mode 6 reads back as written and acts as mode 2
  CHECK((b.status(0) & 0x0E) == 0x0C);
}

TEST_CASE("pit BCD counting reads and writes decimal digits") {
  Bench b;
  b.out(0x43, 0x31);  // channel 0, LSB/MSB, mode 0, BCD
  b.out(0x40, 0x00);
  b.out(0x40, 0x10);  // 1000
  b.at_tick(11);
  CHECK(b.latch_and_read(0) == 0x0990);
  b.at_tick(1001);
  CHECK(b.latch_and_read(0) == 0x0000);
  b.at_tick(1002);
  CHECK(b.latch_and_read(0) == 0x9999);  // BCD wraps at 10000
}

TEST_CASE("pit LSB-only and MSB-only access") {
  Bench b;
  b.out(0x43, 0x10);  // LSB only, mode 0
  b.out(0x40, 0x20);
  b.at_tick(1);
  CHECK(b.in(0x40) == 0x20);
  b.out(0x43, 0x20);  // MSB only, mode 0
  b.out(0x40, 0x02);
  b.at_tick(2);
  CHECK(b.in(0x40) == 0x02);  // 0x200 read as its MSB
}

TEST_CASE("port 0x61 bit 4 toggles with each refresh request") {
  Bench b;
  const uint8_t first = b.in(0x61) & 0x10;
  b.at_tick(18);
  CHECK((b.in(0x61) & 0x10) != first);
  b.at_tick(36);
  CHECK((b.in(0x61) & 0x10) == first);
  b.out(0x61, 0xFF);
  CHECK((b.in(0x61) & 0x0F) == 0x0F);
  CHECK(b.port61.speaker_enabled());
}

TEST_CASE("pit mode 2 gate low forces OUT high and a rising gate restarts the count") {
  Bench b;
  b.out(0x43, 0xB4);  // channel 2, LSB/MSB, mode 2
  b.out(0x42, 10);
  b.out(0x42, 0);
  b.out(0x61, 0x01);  // gate high at tick 0: count loads on tick 1
  b.at_tick(10);
  CHECK_FALSE(b.pit.output(2));  // count reached 1
  b.out(0x61, 0x00);
  CHECK(b.pit.output(2));  // gate low: OUT high at once
  b.at_tick(30);
  b.out(0x61, 0x01);
  b.at_tick(31);
  CHECK(b.pit.count(2) == 10);  // reloaded on the clock after the rising edge
  b.at_tick(35);
  CHECK(b.pit.count(2) == 6);
}

TEST_CASE("pit mode 1 retriggers from the full count on a new gate edge") {
  Bench b;
  b.out(0x43, 0x92);  // channel 2, LSB only, mode 1
  b.out(0x42, 10);
  b.pit.set_gate(2, true);
  b.at_tick(6);
  CHECK(b.pit.count(2) == 5);
  b.pit.set_gate(2, false);
  b.pit.set_gate(2, true);  // retrigger at tick 6
  b.at_tick(7);
  CHECK(b.pit.count(2) == 10);
  b.at_tick(16);
  CHECK_FALSE(b.pit.output(2));
  b.at_tick(17);
  CHECK(b.pit.output(2));
}

TEST_CASE("pit read-back latches several counters at once") {
  Bench b;
  b.out(0x43, 0x34);
  b.out(0x40, 0x00);
  b.out(0x40, 0x01);  // 256
  b.out(0x43, 0x74);  // channel 1, mode 2
  b.out(0x41, 0x00);
  b.out(0x41, 0x02);  // 512
  b.at_tick(11);
  b.out(0x43, 0xD6);  // read-back counts (not status) of channels 0 and 1
  b.at_tick(50);
  CHECK(b.in(0x40) == 0xF6);  // 256 - 10
  CHECK(b.in(0x40) == 0x00);
  CHECK(b.in(0x41) == 0xF6);  // 512 - 10
  CHECK(b.in(0x41) == 0x01);
}

TEST_CASE("pit mode 0 writing the first byte stops the count until the second") {
  Bench b;
  b.out(0x43, 0x30);
  b.out(0x40, 50);
  b.out(0x40, 0);
  b.at_tick(51);
  CHECK(b.pit.output(0));
  b.out(0x40, 20);  // first byte: OUT low, counting stops
  CHECK_FALSE(b.pit.output(0));
  b.at_tick(100);
  CHECK_FALSE(b.pit.output(0));
  b.out(0x40, 0);  // second byte: 20 loads on the next clock
  b.at_tick(120);
  CHECK_FALSE(b.pit.output(0));
  b.at_tick(121);
  CHECK(b.pit.output(0));
}
