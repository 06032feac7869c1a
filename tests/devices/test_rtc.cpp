#include <doctest/doctest.h>

#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "bus/irq.hpp"
#include "devices/cmos_rtc.hpp"

using namespace x86lab;
using devices::CmosRtc;

namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kSecond = 1'000 * kMs;
constexpr int64_t kLeapDayEvening = 1'709'251'198;  // 2024-02-29 23:59:58 UTC, a Thursday

struct LevelSink : bus::IrqSink {
  bool level = false;
  int rising = 0;
  void set_irq_level(unsigned, bool high) override {
    if (high && !level) ++rising;
    level = high;
  }
};

struct Bench {
  bus::Clock clock;
  bus::IoSpace io;
  CmosRtc rtc;
  LevelSink irq8;
  explicit Bench(int64_t start = kLeapDayEvening) : rtc(clock, start) {
    rtc.register_ports(io);
    rtc.connect_irq(bus::IrqLine(irq8, 8));
  }
  uint8_t cmos(uint8_t index) {
    io.write(0x70, 1, index);
    return static_cast<uint8_t>(io.read(0x71, 1));
  }
  void set_cmos(uint8_t index, uint8_t value) {
    io.write(0x70, 1, index);
    io.write(0x71, 1, value);
  }
};

}  // namespace

TEST_CASE("rtc reads the start time in BCD with the BIOS defaults in A, B and D") {
  Bench b;
  CHECK(b.cmos(0x00) == 0x58);
  CHECK(b.cmos(0x02) == 0x59);
  CHECK(b.cmos(0x04) == 0x23);
  CHECK(b.cmos(0x06) == 0x05);  // Thursday, Sunday = 1
  CHECK(b.cmos(0x07) == 0x29);
  CHECK(b.cmos(0x08) == 0x02);
  CHECK(b.cmos(0x09) == 0x24);
  CHECK(b.cmos(0x32) == 0x20);
  CHECK(b.cmos(0x0A) == 0x26);
  CHECK(b.cmos(0x0B) == 0x02);
  CHECK(b.cmos(0x0D) == 0x80);  // valid RAM and time
}

TEST_CASE("rtc advances through a leap day into March") {
  Bench b;
  b.clock.advance_to(2 * kSecond);
  CHECK(b.cmos(0x00) == 0x00);
  CHECK(b.cmos(0x02) == 0x00);
  CHECK(b.cmos(0x04) == 0x00);
  CHECK(b.cmos(0x06) == 0x06);  // Friday
  CHECK(b.cmos(0x07) == 0x01);
  CHECK(b.cmos(0x08) == 0x03);
  CHECK(b.cmos(0x09) == 0x24);
}

TEST_CASE("rtc rolls the year and the century at the end of 2099") {
  Bench b(4'102'444'799);  // 2099-12-31 23:59:59
  b.clock.advance_to(kSecond);
  CHECK(b.cmos(0x09) == 0x00);
  CHECK(b.cmos(0x08) == 0x01);
  CHECK(b.cmos(0x07) == 0x01);
  CHECK(b.cmos(0x32) == 0x21);
}

TEST_CASE("rtc binary mode counts in binary once the guest sets it") {
  Bench b;
  b.set_cmos(0x0B, 0x80 | 0x04 | 0x02);  // SET, binary, 24 h
  b.set_cmos(0x00, 59);
  b.set_cmos(0x02, 59);
  b.set_cmos(0x04, 13);
  b.set_cmos(0x0B, 0x04 | 0x02);
  b.clock.advance_to(kSecond);
  CHECK(b.cmos(0x00) == 0);
  CHECK(b.cmos(0x02) == 0);
  CHECK(b.cmos(0x04) == 14);
}

TEST_CASE("rtc 12-hour mode keeps PM in bit 7 and goes from 11 PM to 12 AM") {
  Bench b;
  b.set_cmos(0x0B, 0x80);  // SET, BCD, 12 h
  b.set_cmos(0x00, 0x59);
  b.set_cmos(0x02, 0x59);
  b.set_cmos(0x04, 0x80 | 0x11);  // 11 PM
  b.set_cmos(0x0B, 0x00);
  b.clock.advance_to(kSecond);
  CHECK(b.cmos(0x04) == 0x12);  // 12 AM: no PM bit
  CHECK(b.cmos(0x07) == 0x01);  // the date advanced too (leap day -> March 1)
  b.set_cmos(0x0B, 0x80);
  b.set_cmos(0x00, 0x59);
  b.set_cmos(0x02, 0x59);
  b.set_cmos(0x04, 0x11);  // 11 AM
  b.set_cmos(0x0B, 0x00);
  b.clock.advance_to(2 * kSecond);
  CHECK(b.cmos(0x04) == 0x92);  // 12 PM
}

TEST_CASE("rtc UIP is set for 244 us plus the 1984 us update cycle before the time changes") {
  Bench b;
  b.clock.advance_to(500 * kMs);
  CHECK((b.cmos(0x0A) & 0x80) == 0);
  b.clock.advance_to(kSecond - 2'300'000);  // 2.3 ms before the update: not yet
  CHECK((b.cmos(0x0A) & 0x80) == 0);
  b.clock.advance_to(kSecond - 2'000'000);  // inside the 2.228 ms window
  CHECK((b.cmos(0x0A) & 0x80) != 0);
  CHECK(b.cmos(0x00) == 0x58);
  b.clock.advance_to(kSecond);
  CHECK((b.cmos(0x0A) & 0x80) == 0);
  CHECK(b.cmos(0x00) == 0x59);
  // SET stops updates and clears UIP.
  b.clock.advance_to(2 * kSecond - 1'000'000);
  b.set_cmos(0x0B, 0x82);
  CHECK((b.cmos(0x0A) & 0x80) == 0);
  b.clock.advance_to(5 * kSecond);
  CHECK(b.cmos(0x00) == 0x59);
}

TEST_CASE("rtc divider reset holds the time; the first update comes 500 ms after release") {
  Bench b;
  b.set_cmos(0x0A, 0x66);  // DV = 110: divider chain reset
  b.clock.advance_to(3 * kSecond);
  CHECK(b.cmos(0x00) == 0x58);
  b.set_cmos(0x0A, 0x26);
  b.clock.advance_to(3 * kSecond + 499 * kMs);
  CHECK(b.cmos(0x00) == 0x58);
  b.clock.advance_to(3 * kSecond + 500 * kMs);
  CHECK(b.cmos(0x00) == 0x59);
}

TEST_CASE("rtc periodic interrupt at 1024 Hz and 2 Hz") {
  for (auto [rate, per_second] : {std::pair<uint8_t, int>{0x06, 1024}, {0x0F, 2}, {0x03, 8192}}) {
    Bench b;
    b.set_cmos(0x0A, static_cast<uint8_t>(0x20 | rate));
    b.set_cmos(0x0B, 0x42);  // PIE, 24 h BCD
    int interrupts = 0;
    while (b.clock.next_deadline() <= kSecond) {
      b.clock.advance_to(b.clock.next_deadline());
      if (b.irq8.level) {
        const uint8_t c = b.cmos(0x0C);
        CHECK((c & 0xC0) == 0xC0);  // IRQF and PF
        CHECK_FALSE(b.irq8.level);
        ++interrupts;
      }
    }
    CHECK(interrupts == per_second);
  }
}

TEST_CASE("rtc register C flags clear on read and drop IRQ8") {
  Bench b;
  b.set_cmos(0x0B, 0x12);  // UIE
  b.clock.advance_to(kSecond);
  CHECK(b.irq8.level);
  CHECK(b.cmos(0x0C) == 0xD0);  // IRQF | UF, and PF: the 1024 Hz rate runs with PIE clear
  CHECK_FALSE(b.irq8.level);
  CHECK(b.cmos(0x0C) == 0x00);
}

TEST_CASE("rtc flags are set without their enables, and IRQF only with them") {
  Bench b;
  b.clock.advance_to(kSecond + 10 * kMs);
  // UF from the update, PF from the 1024 Hz rate that runs even with PIE clear.
  CHECK(b.cmos(0x0C) == 0x50);
  CHECK(b.irq8.rising == 0);
  CHECK(b.cmos(0x0C) == 0x00);
}

TEST_CASE("rtc alarm interrupt when seconds, minutes and hours match") {
  Bench b;
  b.set_cmos(0x01, 0x00);
  b.set_cmos(0x03, 0x00);
  b.set_cmos(0x05, 0x00);
  b.set_cmos(0x0B, 0x22);  // AIE
  b.clock.advance_to(kSecond);
  CHECK_FALSE(b.irq8.level);
  b.clock.advance_to(2 * kSecond);  // 00:00:00
  CHECK(b.irq8.level);
  CHECK((b.cmos(0x0C) & 0xA0) == 0xA0);
  // Don't-care values (0xC0-0xFF) match every second.
  b.set_cmos(0x01, 0xFF);
  b.set_cmos(0x03, 0xC0);
  b.set_cmos(0x05, 0xC0);
  b.clock.advance_to(3 * kSecond);
  CHECK((b.cmos(0x0C) & 0xA0) == 0xA0);
}

TEST_CASE("rtc port 0x70 bit 7 masks NMI and selects no register bit") {
  Bench b;
  b.io.write(0x70, 1, 0x80 | 0x09);
  CHECK(b.rtc.nmi_masked());
  CHECK(b.io.read(0x71, 1) == 0x24);
  b.io.write(0x70, 1, 0x09);
  CHECK_FALSE(b.rtc.nmi_masked());
}

TEST_CASE("rtc CMOS RAM keeps bytes and register D ignores writes") {
  Bench b;
  b.set_cmos(0x40, 0xA5);
  CHECK(b.cmos(0x40) == 0xA5);
  b.set_cmos(0x7F, 0x5A);
  CHECK(b.cmos(0x7F) == 0x5A);
  b.set_cmos(0x0D, 0x00);
  CHECK(b.cmos(0x0D) == 0x80);
  b.set_cmos(0x0A, 0xA6);  // UIP is read-only
  CHECK((b.cmos(0x0A) & 0x7F) == 0x26);
}

TEST_CASE("rtc memory size bytes for 128 MiB and 2 GiB above 4 GiB") {
  Bench b;
  b.rtc.set_memory_size(128ull << 20, 2ull << 30);
  CHECK(b.cmos(0x15) == 0x80);  // 640 KiB
  CHECK(b.cmos(0x16) == 0x02);
  CHECK(b.cmos(0x17) == 0x00);  // capped at 63 MiB = 0xFC00 KiB
  CHECK(b.cmos(0x18) == 0xFC);
  CHECK(b.cmos(0x30) == 0x00);
  CHECK(b.cmos(0x31) == 0xFC);
  CHECK(b.cmos(0x34) == 0x00);  // (128 - 16) MiB / 64 KiB = 1792 = 0x0700
  CHECK(b.cmos(0x35) == 0x07);
  CHECK(b.cmos(0x5B) == 0x00);  // 2 GiB / 64 KiB = 0x8000
  CHECK(b.cmos(0x5C) == 0x80);
  CHECK(b.cmos(0x5D) == 0x00);
  unsigned sum = 0;
  for (uint8_t i = 0x10; i <= 0x2D; ++i) sum += b.cmos(i);
  CHECK(b.cmos(0x2E) == (sum >> 8));
  CHECK(b.cmos(0x2F) == (sum & 0xFF));
}

TEST_CASE("rtc memory size bytes for 8 MiB") {
  Bench b;
  b.rtc.set_memory_size(8ull << 20);
  CHECK(b.cmos(0x17) == 0x00);  // 7 MiB = 7168 KiB = 0x1C00
  CHECK(b.cmos(0x18) == 0x1C);
  CHECK(b.cmos(0x34) == 0x00);
  CHECK(b.cmos(0x35) == 0x00);
  b.rtc.set_byte(0x14, 0x06);  // equipment: VGA, coprocessor
  // The checksum covers 0x10-0x2D: 0x15-0x18 and 0x14 here (0x30/0x31 lie outside it).
  CHECK(b.cmos(0x2E) == 0x00);
  CHECK(b.cmos(0x2F) == 0x80 + 0x02 + 0x00 + 0x1C + 0x06);
}

TEST_CASE("rtc reset clears interrupt enables and flags but keeps the time") {
  Bench b;
  b.set_cmos(0x0B, 0x72);
  b.clock.advance_to(kSecond);
  CHECK(b.irq8.level);
  b.rtc.reset();
  CHECK_FALSE(b.irq8.level);
  CHECK(b.cmos(0x0B) == 0x02);
  CHECK(b.cmos(0x00) == 0x59);
}
