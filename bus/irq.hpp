// Interrupt request lines. A device holds an IrqLine and drives its level; the interrupt
// controller (on a PC the 8259 pair) implements IrqSink and decides what an edge or a level
// means. A default-made IrqLine is connected to nothing, so a device works without one.
// An IrqLine remembers the level it drives and forwards changes only, so a device keeps one
// for its whole life rather than making a new one for each change.
#pragma once

#include <cstdint>

namespace x86lab::bus {

class IrqSink {
 public:
  virtual ~IrqSink() = default;
  virtual void set_irq_level(unsigned line, bool high) = 0;
};

class IrqLine {
 public:
  IrqLine() = default;
  IrqLine(IrqSink& sink, unsigned line) : sink_(&sink), line_(line) {}

  void set_level(bool high) {
    if (high == level_) return;
    level_ = high;
    if (sink_) sink_->set_irq_level(line_, high);
  }
  void raise() { set_level(true); }
  void lower() { set_level(false); }
  // A rising edge followed by a fall: what an edge-triggered input latches.
  void pulse() {
    set_level(false);
    set_level(true);
    set_level(false);
  }

  bool level() const { return level_; }
  bool connected() const { return sink_ != nullptr; }
  unsigned number() const { return line_; }

 private:
  IrqSink* sink_ = nullptr;
  unsigned line_ = 0;
  bool level_ = false;
};

}  // namespace x86lab::bus
