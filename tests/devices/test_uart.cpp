#include <doctest/doctest.h>

#include <vector>

#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "bus/irq.hpp"
#include "devices/uart16550.hpp"

using namespace x86lab;
using devices::Uart16550;

namespace {

struct LevelSink : bus::IrqSink {
  bool level = false;
  void set_irq_level(unsigned, bool high) override { level = high; }
};

struct Bench {
  bus::Clock clock;
  bus::IoSpace io;
  Uart16550 uart{clock, 0x3F8, "com1"};
  LevelSink irq4;
  std::vector<std::pair<uint64_t, uint8_t>> sent;  // (time, byte)
  Bench() {
    uart.register_ports(io);
    uart.connect_irq(bus::IrqLine(irq4, 4));
    uart.set_transmit_handler([this](uint8_t b) { sent.push_back({clock.now(), b}); });
  }
  void out(uint8_t reg, uint8_t v) { io.write(static_cast<uint16_t>(0x3F8 + reg), 1, v); }
  uint8_t in(uint8_t reg) {
    return static_cast<uint8_t>(io.read(static_cast<uint16_t>(0x3F8 + reg), 1));
  }
  void set_divisor(uint16_t d) {
    const uint8_t lcr = in(3);
    out(3, lcr | 0x80);
    out(0, static_cast<uint8_t>(d));
    out(1, static_cast<uint8_t>(d >> 8));
    out(3, lcr);
  }
};

}  // namespace

TEST_CASE("uart reset state: IIR 0x01, LSR 0x60, registers clear") {
  Bench b;
  CHECK(b.in(2) == 0x01);
  CHECK(b.in(5) == 0x60);
  CHECK(b.in(1) == 0x00);
  CHECK(b.in(3) == 0x00);
  CHECK(b.in(4) == 0x00);
}

TEST_CASE("uart divisor latch and scratch register read back") {
  Bench b;
  b.out(3, 0x83);
  b.out(0, 0x0C);
  b.out(1, 0x00);
  CHECK(b.in(0) == 0x0C);
  CHECK(b.in(1) == 0x00);
  b.out(3, 0x03);
  CHECK(b.in(1) == 0x00);  // IER again
  b.out(7, 0x5A);
  CHECK(b.in(7) == 0x5A);
}

TEST_CASE("uart character time follows divisor and line format") {
  Bench b;
  b.out(3, 0x03);     // 8N1: 10 bits
  b.set_divisor(12);  // 9600 baud
  CHECK(b.uart.character_time_ns() == 1'041'667);
  b.set_divisor(1);  // 115200 baud
  CHECK(b.uart.character_time_ns() == 86'806);
  b.out(3, 0x1F);  // 8 data, even parity, 2 stop: 12 bits
  CHECK(b.uart.character_time_ns() == 104'167);
}

TEST_CASE("uart transmits after one character time and reports THRE then TEMT") {
  Bench b;
  b.out(3, 0x03);
  b.set_divisor(12);
  b.out(0, 'A');
  CHECK((b.in(5) & 0x60) == 0x20);  // THR empty at once (moved to the shift register), not TEMT
  CHECK(b.sent.empty());
  b.clock.advance_to(1'041'666);
  CHECK(b.sent.empty());
  b.clock.advance_to(1'041'667);
  REQUIRE(b.sent.size() == 1);
  CHECK(b.sent[0].second == 'A');
  CHECK((b.in(5) & 0x60) == 0x60);
}

TEST_CASE("uart immediate mode transmits on the write") {
  Bench b;
  b.uart.set_immediate(true);
  b.out(3, 0x03);
  b.out(0, 'x');
  REQUIRE(b.sent.size() == 1);
  CHECK(b.sent[0] == std::pair<uint64_t, uint8_t>{0, 'x'});
  CHECK((b.in(5) & 0x60) == 0x60);
}

TEST_CASE("uart loopback returns the transmitted byte to the receiver, not the host") {
  Bench b;
  b.out(3, 0x03);
  b.set_divisor(1);
  b.out(4, 0x10);
  b.out(0, 0x55);
  CHECK((b.in(5) & 0x01) == 0);
  b.clock.advance_to(b.uart.character_time_ns());
  CHECK((b.in(5) & 0x01) == 0x01);
  CHECK(b.in(0) == 0x55);
  CHECK((b.in(5) & 0x01) == 0);
  CHECK(b.sent.empty());
  CHECK_FALSE(b.uart.receive(0x11));  // the serial input is disconnected in loopback
}

TEST_CASE("uart loopback connects MCR outputs to MSR inputs with deltas") {
  Bench b;
  b.out(4, 0x1A);                   // loop, OUT2, RTS: the probe Linux uses
  CHECK(b.in(6) == (0x90 | 0x09));  // DCD and CTS, with DDCD and DCTS
  CHECK(b.in(6) == 0x90);           // deltas clear on read
  b.out(4, 0x1F);                   // add DTR and OUT1
  CHECK(b.in(6) == (0xF0 | 0x02));  // DSR rose (DDSR); RI rising sets no TERI
  b.out(4, 0x10);
  CHECK(b.in(6) == 0x0F);  // everything fell: DCTS, DDSR, TERI (RI trailing edge), DDCD
}

TEST_CASE("uart modem inputs from the host set MSR and the modem status interrupt") {
  Bench b;
  b.out(1, 0x08);
  b.out(4, 0x08);
  b.uart.set_modem_inputs(true, true, false, true);
  CHECK(b.in(2) == 0x00);  // modem status interrupt
  CHECK(b.irq4.level);
  CHECK(b.in(6) == (0xB0 | 0x0B));
  CHECK(b.in(2) == 0x01);
  CHECK_FALSE(b.irq4.level);
}

TEST_CASE("uart receive FIFO fills to 16 and raises data available at each trigger level") {
  for (auto [fcr, level] :
       {std::pair<uint8_t, unsigned>{0x01, 1}, {0x41, 4}, {0x81, 8}, {0xC1, 14}}) {
    Bench b;
    b.out(2, static_cast<uint8_t>(fcr | 0x06));
    b.out(1, 0x01);
    for (unsigned i = 1; i < level; ++i) CHECK(b.uart.receive(static_cast<uint8_t>(i)));
    CHECK(b.in(2) == 0xC1);
    CHECK(b.uart.receive(0x40));
    CHECK(b.in(2) == 0xC4);
    b.in(0);  // below the trigger again
    if (level > 1) CHECK(b.in(2) == 0xC1);
  }
  Bench b;
  b.out(2, 0x07);
  for (unsigned i = 0; i < 16; ++i) CHECK(b.uart.receive(static_cast<uint8_t>(i)));
  CHECK(b.uart.receive_space() == 0);
  CHECK_FALSE(b.uart.receive(0xEE));  // overrun: the FIFO keeps its 16 bytes
  CHECK((b.in(5) & 0x03) == 0x03);
  CHECK((b.in(5) & 0x02) == 0);  // OE clears on read
  for (unsigned i = 0; i < 16; ++i) CHECK(b.in(0) == i);
  CHECK((b.in(5) & 0x01) == 0);
}

TEST_CASE("uart without FIFOs holds one byte and overwrites it on overrun") {
  Bench b;
  b.out(3, 0x03);  // 8-bit words (after reset LCR selects 5 bits)
  b.uart.receive('a');
  b.uart.receive('b');
  CHECK((b.in(5) & 0x03) == 0x03);
  CHECK(b.in(0) == 'b');
}

TEST_CASE("uart character timeout after four character times below the trigger level") {
  Bench b;
  b.out(3, 0x03);
  b.set_divisor(1);
  b.out(2, 0xC7);  // trigger 14
  b.out(1, 0x01);
  b.out(4, 0x08);
  b.uart.receive('z');
  CHECK(b.in(2) == 0xC1);
  b.clock.advance_to(4 * b.uart.character_time_ns() - 1);
  CHECK(b.in(2) == 0xC1);
  b.clock.advance_to(4 * b.uart.character_time_ns());
  CHECK(b.in(2) == 0xCC);
  CHECK(b.irq4.level);
  CHECK(b.in(0) == 'z');
  CHECK(b.in(2) == 0xC1);
  CHECK_FALSE(b.irq4.level);
}

TEST_CASE("uart IIR reports line status, data, THRE and modem status in priority order") {
  Bench b;
  b.out(3, 0x03);
  b.out(2, 0x07);  // FIFO, trigger 1
  b.out(4, 0x08);
  b.uart.set_modem_inputs(true, false, false, false);
  for (unsigned i = 0; i < 17; ++i) b.uart.receive(static_cast<uint8_t>(i));  // overrun
  b.out(1, 0x0F);          // all four sources; enabling THRE with an empty THR interrupts
  CHECK(b.in(2) == 0xC6);  // receiver line status
  b.in(5);
  CHECK(b.in(2) == 0xC4);  // received data
  for (unsigned i = 0; i < 16; ++i) b.in(0);
  CHECK(b.in(2) == 0xC2);  // transmitter holding register empty; this read clears it
  CHECK(b.in(2) == 0xC0);  // modem status
  b.in(6);
  CHECK(b.in(2) == 0xC1);
}

TEST_CASE("uart THRE interrupt: on enable, cleared by IIR read or THR write, again when empty") {
  Bench b;
  b.out(3, 0x03);
  b.set_divisor(1);
  b.out(4, 0x08);  // OUT2 lets INTR reach the PIC
  b.out(1, 0x02);
  CHECK(b.irq4.level);
  CHECK(b.in(2) == 0x02);
  CHECK(b.in(2) == 0x01);
  CHECK_FALSE(b.irq4.level);
  b.out(2, 0x07);  // FIFO mode
  b.out(0, '1');   // straight to the shift register: the FIFO is empty again
  CHECK(b.in(2) == 0xC2);
  b.out(0, '2');
  b.out(0, '3');
  CHECK(b.in(2) == 0xC1);  // the FIFO holds two bytes
  const uint64_t t = b.uart.character_time_ns();
  b.clock.advance_to(t);
  CHECK(b.in(2) == 0xC1);  // '2' moved to the shift register, '3' still waiting
  b.clock.advance_to(2 * t);
  CHECK(b.in(2) == 0xC2);  // FIFO empty
  b.clock.advance_to(3 * t);
  REQUIRE(b.sent.size() == 3);
  CHECK(b.sent[0] == std::pair<uint64_t, uint8_t>{t, '1'});
  CHECK(b.sent[1] == std::pair<uint64_t, uint8_t>{2 * t, '2'});
  CHECK(b.sent[2] == std::pair<uint64_t, uint8_t>{3 * t, '3'});
  CHECK((b.in(5) & 0x60) == 0x60);
}

TEST_CASE("uart IRQ needs OUT2 and is held off in loopback") {
  Bench b;
  b.out(1, 0x02);
  CHECK(b.in(2) == 0x02);
  b.out(1, 0x00);
  b.out(1, 0x02);
  CHECK_FALSE(b.irq4.level);  // OUT2 clear
  b.out(4, 0x08);
  CHECK(b.irq4.level);
  b.out(4, 0x18);
  CHECK_FALSE(b.irq4.level);
}

TEST_CASE("uart two ports on the bus are independent") {
  bus::Clock clock;
  bus::IoSpace io;
  Uart16550 com1(clock, Uart16550::kComPorts[0].base, "com1");
  Uart16550 com2(clock, Uart16550::kComPorts[1].base, "com2");
  com1.register_ports(io);
  com2.register_ports(io);
  io.write(0x3FF, 1, 0x11);
  io.write(0x2FF, 1, 0x22);
  CHECK(io.read(0x3FF, 1) == 0x11);
  CHECK(io.read(0x2FF, 1) == 0x22);
  CHECK(*io.owner_of(0x2F8) == "com2");
}
