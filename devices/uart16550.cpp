#include "devices/uart16550.hpp"

#include <utility>

namespace x86lab::devices {
namespace {

constexpr uint8_t kIerRxData = 0x01, kIerThre = 0x02, kIerLineStatus = 0x04, kIerModem = 0x08;
// IIR interrupt identifications, highest priority first.
constexpr uint8_t kIidNone = 0x01, kIidLineStatus = 0x06, kIidRxData = 0x04, kIidTimeout = 0x0C,
                  kIidThre = 0x02, kIidModem = 0x00;
constexpr std::array<uint8_t, 4> kTriggerLevels = {1, 4, 8, 14};

}  // namespace

Uart16550::Uart16550(bus::Clock& clock, uint16_t base, std::string name)
    : clock_(clock), base_(base), name_(std::move(name)) {
  reset();
}

void Uart16550::register_ports(bus::IoSpace& io) {
  io.register_ports(
      base_, 8, name_, bus::kIoByte,
      [this](uint16_t port, unsigned) -> uint32_t {
        return read(static_cast<uint8_t>(port - base_));
      },
      [this](uint16_t port, unsigned, uint32_t value) {
        write(static_cast<uint8_t>(port - base_), static_cast<uint8_t>(value));
      });
}

void Uart16550::reset() {
  clock_.cancel(tx_event_);
  clock_.cancel(timeout_event_);
  const uint8_t inputs = state_.modem_inputs;  // the modem's lines are not ours to reset
  const uint16_t divisor = state_.divisor;     // the divisor latch is not reset either
  state_ = State{};
  state_.modem_inputs = inputs;
  state_.divisor = divisor;
  update_irq();
}

void Uart16550::connect_irq(bus::IrqLine line) {
  irq_ = line;
  update_irq();
}

uint64_t Uart16550::character_time_ns() const {
  const unsigned word_bits = 5 + (state_.lcr & 3);
  const unsigned parity = (state_.lcr & 0x08) ? 1 : 0;
  // Half-bit units, for the 1.5 stop bits of 5-bit words.
  const unsigned stop_halves = (state_.lcr & 0x04) ? (word_bits == 5 ? 3 : 4) : 2;
  const uint64_t halves = 2 * (1 + word_bits + parity) + stop_halves;
  const uint64_t divisor = state_.divisor ? state_.divisor : 0x10000;
  // 16 input clocks a bit: ns = divisor * 16 * halves / 2 / 1.8432 MHz.
  return (divisor * 8 * halves * bus::kNanosPerSecond + kInputClockHz - 1) / kInputClockHz;
}

uint8_t Uart16550::msr_inputs() const {
  if (!loopback()) return state_.modem_inputs;
  // Loopback: RTS -> CTS, DTR -> DSR, OUT1 -> RI, OUT2 -> DCD.
  const uint8_t m = state_.mcr;
  return static_cast<uint8_t>(((m & 0x02) ? 0x10 : 0) | ((m & 0x01) ? 0x20 : 0) |
                              ((m & 0x04) ? 0x40 : 0) | ((m & 0x08) ? 0x80 : 0));
}

// Records the MSR deltas for a change of the inputs from `before` to now.
void Uart16550::set_msr_inputs(uint8_t before) {
  const uint8_t after = msr_inputs();
  const uint8_t changed = before ^ after;
  uint8_t d = 0;
  if (changed & 0x10) d |= 0x01;                      // DCTS
  if (changed & 0x20) d |= 0x02;                      // DDSR
  if ((before & 0x40) && !(after & 0x40)) d |= 0x04;  // TERI: RI's trailing edge
  if (changed & 0x80) d |= 0x08;                      // DDCD
  state_.modem_deltas |= d;
}

void Uart16550::set_modem_inputs(bool cts, bool dsr, bool ri, bool dcd) {
  const uint8_t before = msr_inputs();
  state_.modem_inputs = static_cast<uint8_t>((cts ? 0x10 : 0) | (dsr ? 0x20 : 0) | (ri ? 0x40 : 0) |
                                             (dcd ? 0x80 : 0));
  if (!loopback()) set_msr_inputs(before);
  update_irq();
}

uint8_t Uart16550::lsr() const {
  uint8_t v = state_.line_errors;
  if (state_.rx.count) v |= kLsrDataReady;
  if (state_.tx.count == 0) {
    v |= kLsrThre;
    if (!state_.tsr_busy) v |= kLsrTemt;
  }
  return v;
}

uint8_t Uart16550::interrupt_id() const {
  const uint8_t ier = state_.ier;
  if ((ier & kIerLineStatus) && (state_.line_errors & 0x1E)) return kIidLineStatus;
  if (ier & kIerRxData) {
    const unsigned level = state_.fifo_enabled ? state_.rx_trigger : 1;
    if (state_.rx.count >= level) return kIidRxData;
    if (state_.fifo_enabled && state_.timeout_pending) return kIidTimeout;
  }
  if ((ier & kIerThre) && state_.thre_pending) return kIidThre;
  if ((ier & kIerModem) && (state_.modem_deltas & 0x0F)) return kIidModem;
  return kIidNone;
}

void Uart16550::update_irq() {
  const bool intr = interrupt_id() != kIidNone;
  irq_.set_level(intr && (state_.mcr & kMcrOut2) && !loopback());
}

unsigned Uart16550::receive_space() const {
  const unsigned capacity = state_.fifo_enabled ? kFifoSize : 1;
  return capacity - state_.rx.count;
}

bool Uart16550::receive(uint8_t byte) {
  if (loopback()) return false;  // the serial input is disconnected
  const bool accepted = push_received(byte);
  update_irq();
  return accepted;
}

bool Uart16550::push_received(uint8_t byte) {
  byte &= static_cast<uint8_t>((1u << (5 + (state_.lcr & 3))) - 1);
  bool accepted = true;
  if (receive_space() == 0) {
    state_.line_errors |= kLsrOverrun;
    if (state_.fifo_enabled) {
      accepted = false;  // the FIFO keeps its bytes; the new one is lost
    } else {
      state_.rx.clear();  // the holding register is overwritten
      state_.rx.push(byte);
    }
  } else {
    state_.rx.push(byte);
  }
  restart_timeout();
  return accepted;
}

// The character-timeout indication: data in the FIFO and nothing received or read for four
// character times.
void Uart16550::restart_timeout() {
  clock_.cancel(timeout_event_);
  state_.timeout_pending = false;
  if (!state_.fifo_enabled || state_.rx.count == 0) return;
  timeout_event_ = clock_.schedule(clock_.now() + 4 * character_time_ns(), [this](uint64_t) {
    timeout_event_ = {};
    state_.timeout_pending = true;
    update_irq();
  });
}

void Uart16550::write_thr(uint8_t value) {
  state_.thre_pending = false;
  if (immediate_) {
    emit(value);
    state_.thre_pending = true;  // the holding register is empty again at once
    return;
  }
  const unsigned capacity = state_.fifo_enabled ? kFifoSize : 1;
  if (state_.tx.count < capacity) state_.tx.push(value);  // a full FIFO drops the byte
  if (!state_.tsr_busy) start_transmit();
}

// Moves the next byte into the shift register and schedules the end of its character time.
void Uart16550::start_transmit() {
  if (state_.tx.count == 0) {
    state_.tsr_busy = false;
    return;
  }
  state_.tsr = state_.tx.pop();
  state_.tsr_busy = true;
  if (state_.tx.count == 0) state_.thre_pending = true;
  tx_event_ = clock_.schedule(clock_.now() + character_time_ns(), [this](uint64_t) {
    tx_event_ = {};
    state_.tsr_busy = false;
    emit(state_.tsr);
    start_transmit();
    update_irq();
  });
}

void Uart16550::emit(uint8_t byte) {
  byte &= static_cast<uint8_t>((1u << (5 + (state_.lcr & 3))) - 1);
  if (loopback()) {
    push_received(byte);
  } else if (on_transmit_) {
    on_transmit_(byte);
  }
}

uint8_t Uart16550::read(uint8_t offset) {
  const bool dlab = state_.lcr & 0x80;
  uint8_t value = 0xFF;
  switch (offset) {
    case kRbrThr:
      if (dlab) return static_cast<uint8_t>(state_.divisor);
      if (state_.rx.count) state_.last_rbr = state_.rx.pop();
      value = state_.last_rbr;
      restart_timeout();
      break;
    case kIer:
      if (dlab) return static_cast<uint8_t>(state_.divisor >> 8);
      return state_.ier;
    case kIirFcr: {
      const uint8_t id = interrupt_id();
      value = static_cast<uint8_t>((state_.fifo_enabled ? 0xC0 : 0) | id);
      if (id == kIidThre) state_.thre_pending = false;  // reading IIR clears THRE
      break;
    }
    case kLcr:
      return state_.lcr;
    case kMcr:
      return state_.mcr;
    case kLsr:
      value = lsr();
      state_.line_errors = 0;
      break;
    case kMsr:
      value = static_cast<uint8_t>(msr_inputs() | state_.modem_deltas);
      state_.modem_deltas = 0;
      break;
    case kScr:
      return state_.scratch;
    default:
      return 0xFF;
  }
  update_irq();
  return value;
}

void Uart16550::write(uint8_t offset, uint8_t value) {
  const bool dlab = state_.lcr & 0x80;
  switch (offset) {
    case kRbrThr:
      if (dlab) {
        state_.divisor = static_cast<uint16_t>((state_.divisor & 0xFF00) | value);
      } else {
        write_thr(value);
      }
      break;
    case kIer:
      if (dlab) {
        state_.divisor = static_cast<uint16_t>((state_.divisor & 0x00FF) | value << 8);
      } else {
        // Enabling the THRE interrupt while the holding register is empty interrupts at once.
        if ((value & kIerThre) && !(state_.ier & kIerThre) && state_.tx.count == 0) {
          state_.thre_pending = true;
        }
        state_.ier = value & 0x0F;
      }
      break;
    case kIirFcr: {
      const bool enable = value & 0x01;
      if (enable != state_.fifo_enabled) {  // changing FIFO mode clears both FIFOs
        state_.rx.clear();
        state_.tx.clear();
        state_.fifo_enabled = enable;
      }
      if (enable) {
        if (value & 0x02) state_.rx.clear();
        if (value & 0x04) {
          if (state_.tx.count) state_.thre_pending = true;
          state_.tx.clear();
        }
        state_.rx_trigger = kTriggerLevels[value >> 6];
        state_.fcr_dma_mode = value & 0x08;
      }
      restart_timeout();
      break;
    }
    case kLcr:
      state_.lcr = value;
      break;
    case kMcr: {
      const uint8_t before = msr_inputs();
      state_.mcr = value & 0x1F;
      set_msr_inputs(before);
      break;
    }
    case kScr:
      state_.scratch = value;
      break;
    default:
      break;  // LSR and MSR are read-only
  }
  update_irq();
}

}  // namespace x86lab::devices
