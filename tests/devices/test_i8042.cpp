#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "bus/io_space.hpp"
#include "bus/irq.hpp"
#include "devices/i8042.hpp"

using namespace x86lab;
using devices::I8042;

namespace {

// Records the level of each IRQ line the controller drives, and every rising edge.
struct IrqRecorder final : bus::IrqSink {
  std::array<bool, 16> level{};
  std::array<unsigned, 16> edges{};
  void set_irq_level(unsigned line, bool high) override {
    if (high && !level[line]) ++edges[line];
    level[line] = high;
  }
};

struct Controller {
  bus::IoSpace io;
  IrqRecorder irqs;
  I8042 kbc;
  std::vector<bool> a20_changes;
  unsigned resets = 0;
  Controller() {
    kbc.register_ports(io);
    kbc.connect_irqs(bus::IrqLine(irqs, 1), bus::IrqLine(irqs, 12));
    kbc.set_a20_handler([this](bool on) { a20_changes.push_back(on); });
    kbc.set_reset_handler([this] { ++resets; });
  }
  void command(uint8_t c) { io.write(0x64, 1, c); }
  void data(uint8_t d) { io.write(0x60, 1, d); }
  uint8_t status() { return static_cast<uint8_t>(io.read(0x64, 1)); }
  uint8_t read_data() { return static_cast<uint8_t>(io.read(0x60, 1)); }
  // Reads every byte waiting in the output buffer.
  std::vector<uint8_t> drain() {
    std::vector<uint8_t> out;
    while (status() & I8042::kStatusOutputFull) out.push_back(read_data());
    return out;
  }
};

}  // namespace

TEST_CASE("8042 self-test answers 0x55 and sets the system flag") {
  Controller c;
  CHECK((c.status() & I8042::kStatusSystem) == 0);
  c.command(0xAA);
  CHECK((c.status() & I8042::kStatusOutputFull) != 0);
  CHECK((c.status() & I8042::kStatusCommand) != 0);  // the last write went to 0x64
  CHECK(c.read_data() == 0x55);
  CHECK((c.status() & I8042::kStatusSystem) != 0);
  CHECK((c.status() & I8042::kStatusOutputFull) == 0);
}

TEST_CASE("8042 interface tests answer 0x00 for both ports") {
  Controller c;
  c.command(0xAB);
  CHECK(c.drain() == std::vector<uint8_t>{0x00});
  c.command(0xA9);
  CHECK(c.drain() == std::vector<uint8_t>{0x00});
}

TEST_CASE("8042 command byte reads back what 0x60 wrote and disables the keyboard port") {
  Controller c;
  c.command(0x20);
  CHECK(c.read_data() == I8042::kDefaultCommandByte);
  c.command(0x60);
  c.data(0x30);  // both ports disabled, no IRQs, no translation
  c.command(0x20);
  CHECK(c.read_data() == 0x30);
  // 0xAE clears the keyboard-disable bit, 0xA8 the aux-disable bit.
  c.command(0xAE);
  c.command(0xA8);
  c.command(0x20);
  CHECK(c.read_data() == 0x00);
}

TEST_CASE("a key pressed while the keyboard port is disabled waits until it is enabled") {
  Controller c;
  c.command(0xAD);
  const uint8_t a_make[] = {0x1C};  // set 2 'A'
  c.kbc.send_set2(a_make);
  CHECK((c.status() & I8042::kStatusOutputFull) == 0);
  CHECK_FALSE(c.irqs.level[1]);
  c.command(0xAE);
  CHECK(c.irqs.level[1]);
  CHECK(c.read_data() == 0x1E);  // translated to set 1
}

TEST_CASE("an injected set-2 key raises IRQ1 and reads as set 1 through translation") {
  Controller c;
  const uint8_t press_and_release[] = {0x1C, 0xF0, 0x1C};  // 'A' make, break
  c.kbc.send_set2(press_and_release);
  CHECK(c.irqs.level[1]);
  CHECK_FALSE(c.irqs.level[12]);
  CHECK(c.read_data() == 0x1E);  // set-1 make of 'A'
  CHECK(c.irqs.level[1]);        // the break code moved in: a second edge
  CHECK(c.read_data() == 0x9E);  // F0 1C becomes 0x1E | 0x80
  CHECK_FALSE(c.irqs.level[1]);
  CHECK(c.irqs.edges[1] == 2);
}

TEST_CASE("without translation the guest sees set-2 codes; set-1 injection is converted") {
  Controller c;
  c.command(0x60);
  c.data(0x01);                                           // keyboard IRQ only, no translation
  const uint8_t enter_set1[] = {0x1C, 0x9C, 0xE0, 0x48};  // Enter make, break, E0 up-arrow
  c.kbc.send_set1(enter_set1);
  CHECK(c.drain() == std::vector<uint8_t>{0x5A, 0xF0, 0x5A, 0xE0, 0x75});
}

TEST_CASE("set-1 injection round-trips through the keyboard's set 2 and the translation") {
  Controller c;
  const uint8_t keys[] = {0x01, 0x81, 0x3B, 0x1D, 0xE0, 0x1D, 0x39};  // Esc, F1, Ctrl, RCtrl, Space
  c.kbc.send_set1(keys);
  CHECK(c.drain() == std::vector<uint8_t>(std::begin(keys), std::end(keys)));
}

TEST_CASE("the IRQ1 enable bit of the command byte gates the line") {
  Controller c;
  c.command(0x60);
  c.data(I8042::kCmdTranslate);  // no IRQs
  const uint8_t a[] = {0x1C};
  c.kbc.send_set2(a);
  CHECK((c.status() & I8042::kStatusOutputFull) != 0);
  CHECK_FALSE(c.irqs.level[1]);
}

TEST_CASE("keyboard reset answers FA AA and identify FA AB 83 before translation") {
  Controller c;
  c.command(0x60);
  c.data(0x00);  // untranslated
  c.data(0xFF);
  CHECK(c.drain() == std::vector<uint8_t>{0xFA, 0xAA});
  c.data(0xF2);
  CHECK(c.drain() == std::vector<uint8_t>{0xFA, 0xAB, 0x83});
  c.data(0xED);  // LEDs take a parameter
  CHECK(c.drain() == std::vector<uint8_t>{0xFA});
  c.data(0x07);
  CHECK(c.drain() == std::vector<uint8_t>{0xFA});
  CHECK(c.kbc.state().keyboard.leds == 0x07);
  c.data(0xF0);  // scancode set: get
  c.data(0x00);
  CHECK(c.drain() == std::vector<uint8_t>{0xFA, 0xFA, 0x02});
}

TEST_CASE("disabled scanning drops injected keys until enabled again") {
  Controller c;
  c.data(0xF5);
  CHECK(c.drain() == std::vector<uint8_t>{0xFA});
  const uint8_t a[] = {0x1C};
  c.kbc.send_set2(a);
  CHECK(c.drain().empty());
  c.data(0xF4);
  CHECK(c.drain() == std::vector<uint8_t>{0xFA});
  c.kbc.send_set2(a);
  CHECK(c.drain() == std::vector<uint8_t>{0x1E});
}

TEST_CASE("the output port carries A20 to the machine; 0xFE pulses reset") {
  Controller c;
  c.command(0xD0);
  CHECK((c.read_data() & 0x03) == 0x03);  // reset inactive, A20 on
  c.command(0xD1);
  c.data(0xDD);  // A20 off, reset bit high (inactive)
  CHECK(c.a20_changes == std::vector<bool>{false});
  CHECK(c.resets == 0);
  c.command(0xD1);
  c.data(0xDF);
  CHECK(c.a20_changes == std::vector<bool>{false, true});
  c.command(0xDD);
  c.command(0xDF);
  CHECK(c.a20_changes == std::vector<bool>{false, true, false, true});
  c.command(0xFE);
  CHECK(c.resets == 1);
  c.command(0xD1);
  c.data(0xDE);  // reset bit low: a reset
  CHECK(c.resets == 2);
}

TEST_CASE("mouse commands go through 0xD4 and answer on the aux port with IRQ12") {
  Controller c;
  c.command(0xD4);
  c.data(0xFF);  // reset
  CHECK(c.irqs.level[12]);
  CHECK((c.status() & I8042::kStatusAuxData) != 0);
  CHECK(c.drain() == std::vector<uint8_t>{0xFA, 0xAA, 0x00});
  c.command(0xD4);
  c.data(0xF3);  // sample rate
  c.command(0xD4);
  c.data(40);
  CHECK(c.drain() == std::vector<uint8_t>{0xFA, 0xFA});
  CHECK(c.kbc.state().mouse.sample_rate == 40);
  c.command(0xD4);
  c.data(0xF2);
  CHECK(c.drain() == std::vector<uint8_t>{0xFA, 0x00});
}

TEST_CASE("mouse motion makes a three-byte stream packet once reporting is on") {
  Controller c;
  c.kbc.mouse_event(5, 3, 0);
  CHECK(c.drain().empty());  // reporting is off after power-on
  c.command(0xD4);
  c.data(0xF4);
  CHECK(c.drain() == std::vector<uint8_t>{0xFA});
  const unsigned edges = c.irqs.edges[12];
  c.kbc.mouse_event(5, 3, 0x01);  // right 5, down 3, left button
  CHECK(c.irqs.edges[12] == edges + 1);
  // Down on the screen is negative Y for PS/2: Y sign bit set, 3 as two's complement.
  CHECK(c.drain() == std::vector<uint8_t>{0x29, 0x05, 0xFD});
}
