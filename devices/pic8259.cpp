#include "devices/pic8259.hpp"

namespace x86lab::devices {
namespace {

// PIIX ELCR: IRQ0, 1, 2 (master) and IRQ8, 13 (slave) are always edge-triggered.
constexpr std::array<uint8_t, 2> kElcrWritable = {0xF8, 0xDE};

uint8_t bit(int ir) { return static_cast<uint8_t>(1u << ir); }

}  // namespace

void Pic8259::register_ports(bus::IoSpace& io) {
  auto read_port = [this](uint16_t port, unsigned) -> uint32_t { return read(port); };
  auto write_port = [this](uint16_t port, unsigned, uint32_t value) {
    write(port, static_cast<uint8_t>(value));
  };
  io.register_ports(kMasterPort, 2, "pic master", bus::kIoByte, read_port, write_port);
  io.register_ports(kSlavePort, 2, "pic slave", bus::kIoByte, read_port, write_port);
  if (with_elcr_) io.register_ports(kElcrPort, 2, "pic elcr", bus::kIoByte, read_port, write_port);
}

void Pic8259::reset() {
  // The inputs are wires from the devices: their levels survive a reset of the chips.
  const auto sources = state_.sources_high;
  const std::array<uint8_t, 2> levels = {state_.chips[0].line_level, state_.chips[1].line_level};
  state_ = State{};
  state_.sources_high = sources;
  state_.chips[0].line_level = levels[0];
  state_.chips[1].line_level = levels[1];
  // Until the firmware programs them, keep every input masked: the vectors are not set yet.
  for (auto& c : state_.chips) c.imr = 0xFF;
  update();
}

uint8_t Pic8259::read(uint16_t port) {
  switch (port) {
    case kMasterPort:
      return read_command(0);
    case kMasterPort + 1:
      return state_.chips[0].imr;
    case kSlavePort:
      return read_command(1);
    case kSlavePort + 1:
      return state_.chips[1].imr;
    case kElcrPort:
      return state_.chips[0].elcr;
    case kElcrPort + 1:
      return state_.chips[1].elcr;
    default:
      return 0xFF;
  }
}

void Pic8259::write(uint16_t port, uint8_t value) {
  switch (port) {
    case kMasterPort:
      write_command(0, value);
      break;
    case kMasterPort + 1:
      write_data(0, value);
      break;
    case kSlavePort:
      write_command(1, value);
      break;
    case kSlavePort + 1:
      write_data(1, value);
      break;
    case kElcrPort:
    case kElcrPort + 1: {
      const unsigned chip = port - kElcrPort;
      state_.chips[chip].elcr = value & kElcrWritable[chip];
      sample_inputs(state_.chips[chip]);
      break;
    }
    default:
      return;
  }
  update();
}

void Pic8259::set_irq_level(unsigned irq, bool high) {
  if (irq >= 16 || irq == kCascadeIrq) return;  // IR2 is driven by the slave only
  uint8_t& sources = state_.sources_high[irq];
  if (high) {
    ++sources;
  } else if (sources > 0) {
    --sources;
  }
  high = sources > 0;
  Chip& c = state_.chips[irq >> 3];
  const uint8_t b = bit(static_cast<int>(irq & 7));
  if (high && !(c.line_level & b)) c.irr |= b;  // rising edge
  c.line_level = high ? (c.line_level | b) : (c.line_level & ~b);
  sample_inputs(c);
  update();
}

// Level-triggered inputs: IRR follows the line.
void Pic8259::sample_inputs(Chip& c) {
  const uint8_t level = level_triggered(c);
  c.irr = static_cast<uint8_t>((c.irr & ~level) | (c.line_level & level));
}

int Pic8259::highest_priority(const Chip& c, uint8_t bits) const {
  for (int i = 1; i <= 8; ++i) {
    const int ir = (c.lowest_priority + i) & 7;
    if (bits & bit(ir)) return ir;
  }
  return kNone;
}

// The IR this chip would present on INTA now, or kNone.
int Pic8259::requested_irq(unsigned chip) const {
  const Chip& c = state_.chips[chip];
  const uint8_t pending = c.irr & ~c.imr;
  if (!pending) return kNone;
  const int ir = highest_priority(c, pending);
  uint8_t in_service = c.isr;
  if (c.special_mask) in_service &= ~c.imr;  // masked levels do not block others
  const int serving = highest_priority(c, in_service);
  if (serving == kNone) return ir;
  const auto rank = [&](int x) { return (x - c.lowest_priority - 1) & 7; };
  if (rank(ir) < rank(serving)) return ir;
  // Special fully nested mode: a slave in service may still raise higher-priority requests.
  const bool nested_slave =
      chip == 0 && c.special_fully_nested && !c.single && ir == serving && (c.icw3 & bit(ir));
  return nested_slave ? ir : kNone;
}

// The slave's INT pin drives the master's IR2 like any other input: a rising edge latches.
void Pic8259::update() {
  Chip& master = state_.chips[0];
  constexpr uint8_t cascade = 1u << kCascadeIrq;
  const bool slave_int = requested_irq(1) != kNone;
  if (slave_int && !(master.line_level & cascade)) master.irr |= cascade;
  master.line_level = static_cast<uint8_t>(slave_int ? (master.line_level | cascade)
                                                     : (master.line_level & ~cascade));
  sample_inputs(master);
  state_.int_output = requested_irq(0) != kNone;
}

// The chip's half of INTA for request ir: IRR to ISR, or nothing kept in automatic EOI mode.
uint8_t Pic8259::acknowledge_chip(unsigned chip, int ir) {
  Chip& c = state_.chips[chip];
  c.irr &= static_cast<uint8_t>(~bit(ir));
  sample_inputs(c);
  if (c.auto_eoi) {
    if (c.rotate_on_auto_eoi) c.lowest_priority = static_cast<uint8_t>(ir);
  } else {
    c.isr |= bit(ir);
  }
  return static_cast<uint8_t>(c.vector_base | ir);
}

uint8_t Pic8259::acknowledge_interrupt() {
  Chip& master = state_.chips[0];
  const int ir = requested_irq(0);
  if (ir == kNone) {
    // The request went away between INT and INTA: the master answers with IR7, no ISR bit.
    update();
    return static_cast<uint8_t>(master.vector_base | 7);
  }
  uint8_t vector = acknowledge_chip(0, ir);
  if (!master.single && (master.icw3 & bit(ir))) {
    const int slave_ir = requested_irq(1);
    // A slave with nothing left answers IR7 (IRQ15) and keeps no ISR bit; the master's
    // cascade ISR bit is set all the same, as on the real pair.
    vector = slave_ir == kNone ? static_cast<uint8_t>(state_.chips[1].vector_base | 7)
                               : acknowledge_chip(1, slave_ir);
    // The slave's INT falls during INTA; if it still has a request it rises again, and the
    // master latches that edge (this keeps a slave in automatic EOI mode from going unheard).
    master.line_level &= static_cast<uint8_t>(~bit(ir));
  }
  update();
  return vector;
}

void Pic8259::end_of_interrupt(Chip& c, int ir, bool rotate) {
  if (ir == kNone) return;
  c.isr &= static_cast<uint8_t>(~bit(ir));
  if (rotate) c.lowest_priority = static_cast<uint8_t>(ir);
}

void Pic8259::write_command(unsigned chip, uint8_t value) {
  Chip& c = state_.chips[chip];
  if (value & 0x10) {  // ICW1
    c.init_step = 2;
    c.icw4_needed = value & 0x01;
    c.single = value & 0x02;
    c.level_mode = value & 0x08;
    c.imr = 0;
    c.isr = 0;
    c.irr = 0;  // the edge sense latches are reset: an input must rise again
    c.lowest_priority = 7;
    c.special_mask = false;
    c.read_isr = false;
    c.poll = false;
    c.rotate_on_auto_eoi = false;
    if (!c.icw4_needed) {  // "all functions selected in ICW4 are set to zero"
      c.auto_eoi = false;
      c.special_fully_nested = false;
    }
    sample_inputs(c);
    return;
  }
  if (value & 0x08) {  // OCW3
    if (value & 0x04) c.poll = true;
    if (value & 0x02) c.read_isr = value & 0x01;
    if (value & 0x40) c.special_mask = value & 0x20;
    return;
  }
  // OCW2: R, SL, EOI in bits 7-5, level in bits 2-0.
  const int level = value & 7;
  switch (value >> 5) {
    case 1:  // non-specific EOI
      end_of_interrupt(c, highest_priority(c, c.isr), false);
      break;
    case 3:  // specific EOI
      end_of_interrupt(c, level, false);
      break;
    case 5:  // rotate on non-specific EOI
      end_of_interrupt(c, highest_priority(c, c.isr), true);
      break;
    case 7:  // rotate on specific EOI
      end_of_interrupt(c, level, true);
      break;
    case 4:  // set rotate in automatic EOI mode
      c.rotate_on_auto_eoi = true;
      break;
    case 0:  // clear rotate in automatic EOI mode
      c.rotate_on_auto_eoi = false;
      break;
    case 6:  // set priority: level becomes the lowest
      c.lowest_priority = static_cast<uint8_t>(level);
      break;
    default:  // 2: no operation
      break;
  }
}

void Pic8259::write_data(unsigned chip, uint8_t value) {
  Chip& c = state_.chips[chip];
  switch (c.init_step) {
    case 2:  // ICW2: vector base (x86 mode uses bits 7-3)
      c.vector_base = value & 0xF8;
      c.init_step = c.single ? (c.icw4_needed ? 4 : 0) : 3;
      break;
    case 3:  // ICW3: master: which IRs have slaves; slave: its ID
      c.icw3 = value;
      c.init_step = c.icw4_needed ? 4 : 0;
      break;
    case 4:  // ICW4: bit 1 AEOI, bit 4 SFNM (bit 0 8086 mode and buffering: no effect here)
      c.auto_eoi = value & 0x02;
      c.special_fully_nested = value & 0x10;
      c.init_step = 0;
      break;
    default:  // OCW1
      c.imr = value;
      break;
  }
}

uint8_t Pic8259::read_command(unsigned chip) {
  Chip& c = state_.chips[chip];
  if (c.poll) {
    c.poll = false;
    const uint8_t result = poll(chip);
    update();
    return result;
  }
  return c.read_isr ? c.isr : c.irr;
}

// Poll command: the read acts as INTA for this chip and returns 0x80 | level, or 0.
uint8_t Pic8259::poll(unsigned chip) {
  const int ir = requested_irq(chip);
  if (ir == kNone) return 0;
  acknowledge_chip(chip, ir);
  return static_cast<uint8_t>(0x80 | ir);
}

}  // namespace x86lab::devices
