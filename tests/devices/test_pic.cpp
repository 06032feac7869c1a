#include <doctest/doctest.h>

#include "bus/io_space.hpp"
#include "devices/pic8259.hpp"

using namespace x86lab;

namespace {

struct PcPics {
  bus::IoSpace io;
  devices::Pic8259 pic;
  PcPics() {
    pic.register_ports(io);
    // The BIOS sequence: ICW1 edge/cascade/ICW4, ICW2 base, ICW3 wiring, ICW4 8086 mode.
    out(0x20, 0x11);
    out(0x21, 0x08);
    out(0x21, 0x04);
    out(0x21, 0x01);
    out(0xA0, 0x11);
    out(0xA1, 0x70);
    out(0xA1, 0x02);
    out(0xA1, 0x01);
  }
  void out(uint16_t port, uint8_t v) { io.write(port, 1, v); }
  uint8_t in(uint16_t port) { return static_cast<uint8_t>(io.read(port, 1)); }
  uint8_t isr(uint16_t port) {
    out(port, 0x0B);  // OCW3: read ISR
    return in(port);
  }
  uint8_t irr(uint16_t port) {
    out(port, 0x0A);  // OCW3: read IRR
    return in(port);
  }
  void pulse(unsigned irq) { pic.line(irq).pulse(); }
};

}  // namespace

TEST_CASE("pic init sequence sets vector bases and leaves inputs unmasked") {
  PcPics p;
  CHECK(p.in(0x21) == 0x00);  // ICW1 clears the IMR
  CHECK(p.in(0xA1) == 0x00);
  CHECK_FALSE(p.pic.interrupt_pending());
  p.out(0x21, 0xB8);  // OCW1 after init is the mask
  CHECK(p.in(0x21) == 0xB8);
  p.out(0x21, 0x00);
  p.pulse(1);
  CHECK(p.pic.interrupt_pending());
  CHECK(p.irr(0x20) == 0x02);
  CHECK(p.pic.acknowledge_interrupt() == 0x09);
  CHECK(p.isr(0x20) == 0x02);
  CHECK(p.irr(0x20) == 0x00);
  CHECK_FALSE(p.pic.interrupt_pending());
}

TEST_CASE("pic reset masks everything until the firmware programs it") {
  devices::Pic8259 pic;
  pic.line(0).raise();
  CHECK_FALSE(pic.interrupt_pending());
}

TEST_CASE("pic fully nested priority: lower waits, higher preempts") {
  PcPics p;
  p.pulse(3);
  p.pulse(1);
  CHECK(p.pic.acknowledge_interrupt() == 0x09);  // IRQ1 beats IRQ3
  CHECK_FALSE(p.pic.interrupt_pending());        // IRQ3 waits for IRQ1's EOI
  p.pulse(0);
  CHECK(p.pic.interrupt_pending());  // IRQ0 outranks IRQ1 in service
  CHECK(p.pic.acknowledge_interrupt() == 0x08);
  CHECK(p.isr(0x20) == 0x03);
  p.out(0x20, 0x20);  // non-specific EOI clears the highest in service: IRQ0
  CHECK(p.isr(0x20) == 0x02);
  CHECK_FALSE(p.pic.interrupt_pending());
  p.out(0x20, 0x20);
  CHECK(p.pic.interrupt_pending());
  CHECK(p.pic.acknowledge_interrupt() == 0x0B);
}

TEST_CASE("pic specific EOI clears the named level only") {
  PcPics p;
  p.pulse(4);
  CHECK(p.pic.acknowledge_interrupt() == 0x0C);
  p.pulse(1);
  CHECK(p.pic.acknowledge_interrupt() == 0x09);
  CHECK(p.isr(0x20) == 0x12);
  p.out(0x20, 0x64);  // specific EOI, level 4
  CHECK(p.isr(0x20) == 0x02);
}

TEST_CASE("pic mask holds a request in IRR until unmasked") {
  PcPics p;
  p.out(0x21, 0x20);  // mask IRQ5
  p.pulse(5);
  CHECK_FALSE(p.pic.interrupt_pending());
  CHECK(p.irr(0x20) == 0x20);
  p.out(0x21, 0x00);
  CHECK(p.pic.interrupt_pending());
  CHECK(p.pic.acknowledge_interrupt() == 0x0D);
}

TEST_CASE("pic cascade delivers slave vectors through master IR2") {
  PcPics p;
  p.pulse(12);
  CHECK(p.pic.interrupt_pending());
  CHECK(p.irr(0x20) == 0x04);
  CHECK(p.pic.acknowledge_interrupt() == 0x74);
  CHECK(p.isr(0x20) == 0x04);
  CHECK(p.isr(0xA0) == 0x10);
  // A master IRQ of lower priority than IR2 waits; IRQ1 (higher) does not.
  p.pulse(5);
  CHECK_FALSE(p.pic.interrupt_pending());
  p.pulse(1);
  CHECK(p.pic.acknowledge_interrupt() == 0x09);
  p.out(0x20, 0x61);  // specific EOI IRQ1
  p.out(0xA0, 0x20);
  p.out(0x20, 0x20);
  CHECK(p.isr(0xA0) == 0x00);
  CHECK(p.isr(0x20) == 0x00);
  CHECK(p.pic.acknowledge_interrupt() == 0x0D);
}

TEST_CASE("pic masking the slave or the cascade input stops slave interrupts") {
  PcPics p;
  p.out(0xA1, 0x02);  // mask IRQ9
  p.pulse(9);
  CHECK_FALSE(p.pic.interrupt_pending());
  p.out(0xA1, 0x00);
  p.out(0x21, 0x04);  // mask the cascade on the master
  CHECK_FALSE(p.pic.interrupt_pending());
  p.out(0x21, 0x00);
  CHECK(p.pic.acknowledge_interrupt() == 0x71);
}

TEST_CASE("pic spurious IRQ7 when a level request goes away before INTA") {
  PcPics p;
  p.out(0x4D0, 0x20);  // IRQ5 level-triggered
  CHECK(p.in(0x4D0) == 0x20);
  auto irq5 = p.pic.line(5);
  irq5.raise();
  CHECK(p.pic.interrupt_pending());
  irq5.lower();
  CHECK_FALSE(p.pic.interrupt_pending());
  CHECK(p.pic.acknowledge_interrupt() == 0x0F);
  CHECK(p.isr(0x20) == 0x00);  // a spurious IRQ7 sets no ISR bit
}

TEST_CASE("pic spurious IRQ15: the master latched IR2 but the slave has nothing") {
  PcPics p;
  p.out(0x4D1, 0x04);  // IRQ10 level-triggered
  auto irq10 = p.pic.line(10);
  irq10.raise();
  irq10.lower();
  CHECK(p.pic.interrupt_pending());  // the master's IR2 edge stays latched
  CHECK(p.pic.acknowledge_interrupt() == 0x77);
  CHECK(p.isr(0xA0) == 0x00);
  CHECK(p.isr(0x20) == 0x04);  // the master still needs its EOI
}

TEST_CASE("pic level-triggered input interrupts again after EOI while still high") {
  PcPics p;
  p.out(0x4D1, 0x08);  // IRQ11 level
  auto irq11 = p.pic.line(11);
  irq11.raise();
  CHECK(p.pic.acknowledge_interrupt() == 0x73);
  CHECK_FALSE(p.pic.interrupt_pending());
  p.out(0xA0, 0x20);
  p.out(0x20, 0x20);
  CHECK(p.pic.interrupt_pending());
  CHECK(p.pic.acknowledge_interrupt() == 0x73);
}

TEST_CASE("pic edge-triggered input needs a new rising edge") {
  PcPics p;
  auto irq3 = p.pic.line(3);
  irq3.raise();
  CHECK(p.pic.acknowledge_interrupt() == 0x0B);
  p.out(0x20, 0x20);
  CHECK_FALSE(p.pic.interrupt_pending());  // still high, no new edge
  irq3.lower();
  irq3.raise();
  CHECK(p.pic.acknowledge_interrupt() == 0x0B);
}

TEST_CASE("pic ELCR cannot make IRQ0-2, 8 or 13 level-triggered") {
  PcPics p;
  p.out(0x4D0, 0xFF);
  p.out(0x4D1, 0xFF);
  CHECK(p.in(0x4D0) == 0xF8);
  CHECK(p.in(0x4D1) == 0xDE);
}

TEST_CASE("pic automatic EOI leaves nothing in service") {
  PcPics p;
  p.out(0x20, 0x11);
  p.out(0x21, 0x08);
  p.out(0x21, 0x04);
  p.out(0x21, 0x03);  // ICW4: 8086, AEOI
  p.pulse(6);
  CHECK(p.pic.acknowledge_interrupt() == 0x0E);
  CHECK(p.isr(0x20) == 0x00);
  p.pulse(7);
  CHECK(p.pic.acknowledge_interrupt() == 0x0F);  // nothing blocks a lower level
}

TEST_CASE("pic rotation: set priority and rotate on EOI move the lowest priority") {
  PcPics p;
  p.out(0x20, 0xC4);  // set priority: IR4 lowest, so IR5 highest
  p.pulse(1);
  p.pulse(6);
  CHECK(p.pic.acknowledge_interrupt() == 0x0E);  // IR6 outranks IR1 now
  p.out(0x20, 0xA0);                             // rotate on non-specific EOI: IR6 lowest
  CHECK(p.pic.acknowledge_interrupt() == 0x09);
  p.out(0x20, 0x20);
  p.pulse(7);
  p.pulse(0);
  CHECK(p.pic.acknowledge_interrupt() == 0x0F);  // IR7 is now the highest
}

TEST_CASE("pic poll command returns the level and acknowledges it") {
  PcPics p;
  p.pulse(3);
  p.out(0x20, 0x0C);  // OCW3 poll
  CHECK(p.in(0x20) == 0x83);
  CHECK(p.isr(0x20) == 0x08);
  p.out(0x20, 0x0C);
  CHECK(p.in(0x20) == 0x00);
}

TEST_CASE("pic special mask mode lets lower levels through a masked in-service level") {
  PcPics p;
  p.pulse(3);
  CHECK(p.pic.acknowledge_interrupt() == 0x0B);
  p.pulse(5);
  CHECK_FALSE(p.pic.interrupt_pending());
  p.out(0x21, 0x08);  // mask IR3
  p.out(0x20, 0x68);  // OCW3: set special mask mode
  CHECK(p.pic.interrupt_pending());
  CHECK(p.pic.acknowledge_interrupt() == 0x0D);
}

TEST_CASE("pic two instances are independent") {
  PcPics a, b;
  a.pulse(1);
  CHECK(a.pic.interrupt_pending());
  CHECK_FALSE(b.pic.interrupt_pending());
}

TEST_CASE("pic single mode skips ICW3") {
  bus::IoSpace io;
  devices::Pic8259 pic(false);
  pic.register_ports(io);
  io.write(0x20, 1, 0x13);  // ICW1: edge, single, ICW4 needed
  io.write(0x21, 1, 0x20);  // ICW2
  io.write(0x21, 1, 0x01);  // ICW4 (no ICW3 in single mode)
  CHECK(io.read(0x21, 1) == 0x00);
  io.write(0x21, 1, 0xFE);  // this is OCW1 now
  CHECK(io.read(0x21, 1) == 0xFE);
  pic.line(0).pulse();
  CHECK(pic.acknowledge_interrupt() == 0x20);
  CHECK(io.owner_of(0x4D0) == nullptr);
}

TEST_CASE("pic special fully nested mode lets a higher slave IRQ through an in-service one") {
  PcPics p;
  p.out(0x20, 0x11);
  p.out(0x21, 0x08);
  p.out(0x21, 0x04);
  p.out(0x21, 0x11);  // ICW4: 8086, SFNM
  p.pulse(12);
  CHECK(p.pic.acknowledge_interrupt() == 0x74);
  p.pulse(9);  // higher priority on the same slave
  CHECK(p.pic.interrupt_pending());
  CHECK(p.pic.acknowledge_interrupt() == 0x71);
  p.pulse(13);  // lower than IRQ12 in service on the slave: waits
  CHECK_FALSE(p.pic.interrupt_pending());
}

TEST_CASE("pic rotate in automatic EOI mode makes the served level the lowest") {
  PcPics p;
  p.out(0x20, 0x11);
  p.out(0x21, 0x08);
  p.out(0x21, 0x04);
  p.out(0x21, 0x03);  // AEOI
  p.out(0x20, 0x80);  // OCW2: set rotate in AEOI mode
  p.pulse(0);
  CHECK(p.pic.acknowledge_interrupt() == 0x08);
  p.pulse(0);
  p.pulse(1);
  CHECK(p.pic.acknowledge_interrupt() == 0x09);  // IR0 is now the lowest
  CHECK(p.pic.acknowledge_interrupt() == 0x08);  // then IR0
}

TEST_CASE("pic a shared level-triggered line stays asserted while any device holds it") {
  PcPics p;
  p.out(0x4D1, 0x08);  // IRQ11 level, as PCI interrupts are
  auto nic = p.pic.line(11);
  auto disk = p.pic.line(11);
  nic.raise();
  disk.raise();
  CHECK(p.pic.acknowledge_interrupt() == 0x73);
  nic.lower();  // the first device is served, the second still asserts
  p.out(0xA0, 0x20);
  p.out(0x20, 0x20);
  CHECK(p.pic.acknowledge_interrupt() == 0x73);
  disk.lower();
  p.out(0xA0, 0x20);
  p.out(0x20, 0x20);
  CHECK_FALSE(p.pic.interrupt_pending());
}

TEST_CASE("pic reset keeps the input levels the devices drive") {
  PcPics p;
  p.out(0x4D0, 0x20);
  auto irq5 = p.pic.line(5);
  irq5.raise();
  p.pic.reset();
  for (auto [port, value] :
       {std::pair<uint16_t, uint8_t>{0x20, 0x19}, {0x21, 0x08}, {0x21, 0x04}, {0x21, 0x01}}) {
    p.out(port, value);  // ICW1 with LTIM: every input level-triggered
  }
  CHECK(p.pic.interrupt_pending());
  CHECK(p.pic.acknowledge_interrupt() == 0x0D);
}
