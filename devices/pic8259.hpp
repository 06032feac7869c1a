// The PC's two 8259A programmable interrupt controllers: master at 0x20/0x21 (IRQ0-7), slave
// at 0xA0/0xA1 (IRQ8-15) cascaded on the master's IR2, and the PIIX edge/level control
// registers (ELCR) at 0x4D0/0x4D1. The pair is the CPU's interrupt controller: the CPU asks
// interrupt_pending() and acknowledge_interrupt() (the INTA cycle) and never sees a device.
//
// Implemented: ICW1-ICW4, OCW1-OCW3, edge and level triggering (ICW1 LTIM or ELCR), fully
// nested priority with rotation (automatic and specific), specific and non-specific EOI,
// automatic EOI, special mask mode, special fully nested mode, poll command, spurious IRQ7 and
// IRQ15, lines shared by several devices (wired-OR). Deviation: an edge latched in IRR stays there
// until acknowledged even if the line falls first (the datasheet asks the line to stay high until
// INTA; devices here pulse). Not implemented: 8080/8085 mode call vectors and buffered mode (no
// effect on a PC).
#pragma once

#include <array>
#include <cstdint>

#include "bus/interrupt_controller.hpp"
#include "bus/io_space.hpp"
#include "bus/irq.hpp"

namespace x86lab::devices {

class Pic8259 final : public bus::InterruptController, public bus::IrqSink {
 public:
  static constexpr uint16_t kMasterPort = 0x20;
  static constexpr uint16_t kSlavePort = 0xA0;
  static constexpr uint16_t kElcrPort = 0x4D0;
  static constexpr unsigned kCascadeIrq = 2;

  struct Chip {
    uint8_t irr = 0;              // interrupt request register
    uint8_t isr = 0;              // in-service register
    uint8_t imr = 0;              // interrupt mask register (OCW1)
    uint8_t line_level = 0;       // current level of each IR input
    uint8_t elcr = 0;             // 1 = level-triggered (PIIX ELCR)
    uint8_t vector_base = 0;      // ICW2 bits 7-3
    uint8_t icw3 = 0;             // master: slave mask; slave: its ID
    uint8_t lowest_priority = 7;  // the IR with the lowest priority (rotation)
    uint8_t init_step = 0;        // 0 = operational; 2/3/4 = awaiting that ICW
    bool icw4_needed = false;
    bool single = false;                // ICW1 SNGL
    bool level_mode = false;            // ICW1 LTIM
    bool auto_eoi = false;              // ICW4 AEOI
    bool special_fully_nested = false;  // ICW4 SFNM
    bool rotate_on_auto_eoi = false;
    bool special_mask = false;
    bool read_isr = false;  // OCW3 RR/RIS: what a read of the command port returns
    bool poll = false;      // OCW3 P: the next command-port read is a poll
  };
  struct State {
    std::array<Chip, 2> chips{};  // [0] master, [1] slave
    // How many IrqLines hold each input high: lines are wired-OR, so devices may share one.
    std::array<uint8_t, 16> sources_high{};
    bool int_output = false;  // the master's INT pin
  };

  explicit Pic8259(bool with_elcr = true) : with_elcr_(with_elcr) { reset(); }

  void register_ports(bus::IoSpace& io);
  void reset();

  // IRQ 0-15 as lines a device drives.
  bus::IrqLine line(unsigned irq) { return bus::IrqLine(*this, irq); }
  void set_irq_level(unsigned irq, bool high) override;

  bool interrupt_pending() override { return state_.int_output; }
  uint8_t acknowledge_interrupt() override;

  uint8_t read(uint16_t port);
  void write(uint16_t port, uint8_t value);

  const State& state() const { return state_; }

 private:
  static constexpr int kNone = -1;
  uint8_t level_triggered(const Chip& c) const { return c.level_mode ? 0xFF : c.elcr; }
  int highest_priority(const Chip& c, uint8_t bits) const;
  int requested_irq(unsigned chip) const;
  uint8_t acknowledge_chip(unsigned chip, int ir);
  void sample_inputs(Chip& c);
  void update();
  void write_command(unsigned chip, uint8_t value);
  void write_data(unsigned chip, uint8_t value);
  uint8_t read_command(unsigned chip);
  uint8_t poll(unsigned chip);
  void end_of_interrupt(Chip& c, int ir, bool rotate);

  State state_;
  bool with_elcr_;
};

}  // namespace x86lab::devices
