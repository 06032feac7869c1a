// A 16550A UART: eight registers at a base port (COM1 0x3F8/IRQ4, COM2 0x2F8/IRQ3, COM3
// 0x3E8/IRQ4, COM4 0x2E8/IRQ3), the divisor latch behind LCR bit 7, 16-byte receive and
// transmit FIFOs with the receive trigger levels, the character-timeout indication, and the
// four interrupt sources at their IIR priorities (line status > received data or timeout >
// transmitter empty > modem status). Transmission takes one character time on the clock (from
// the divisor and the line format), or no time at all in immediate mode. Loopback (MCR bit 4)
// feeds transmitted bytes to the receiver and MCR's outputs to MSR's inputs.
//
// On a PC the INTR pin reaches the PIC only while MCR OUT2 is set; in loopback the chip
// forces OUT2 inactive, so no IRQ is raised then (the IIR still reports the interrupt).
// Not implemented: parity/framing errors and breaks on input (the host sends bytes only), DMA
// mode signalling, the one-character THRE delay of FIFO mode.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "bus/irq.hpp"

namespace x86lab::devices {

class Uart16550 {
 public:
  static constexpr uint64_t kInputClockHz = 1'843'200;
  static constexpr unsigned kFifoSize = 16;

  struct PortAssignment {
    uint16_t base;
    unsigned irq;
  };
  static constexpr std::array<PortAssignment, 4> kComPorts = {
      PortAssignment{0x3F8, 4}, {0x2F8, 3}, {0x3E8, 4}, {0x2E8, 3}};

  // Register offsets and bits the tests and the machine name.
  enum : uint8_t {
    kRbrThr = 0,
    kIer = 1,
    kIirFcr = 2,
    kLcr = 3,
    kMcr = 4,
    kLsr = 5,
    kMsr = 6,
    kScr = 7
  };
  static constexpr uint8_t kLsrDataReady = 0x01, kLsrOverrun = 0x02, kLsrThre = 0x20,
                           kLsrTemt = 0x40;
  static constexpr uint8_t kMcrOut2 = 0x08, kMcrLoop = 0x10;

  struct Fifo {
    std::array<uint8_t, kFifoSize> bytes{};
    uint8_t head = 0;
    uint8_t count = 0;
    void push(uint8_t b) { bytes[(head + count++) % kFifoSize] = b; }
    uint8_t pop() {
      const uint8_t b = bytes[head];
      head = static_cast<uint8_t>((head + 1) % kFifoSize);
      --count;
      return b;
    }
    void clear() { head = count = 0; }
  };

  struct State {
    uint16_t divisor = 12;  // 9600 baud
    uint8_t ier = 0;
    uint8_t lcr = 0;
    uint8_t mcr = 0;
    uint8_t line_errors = 0;   // LSR bits 1-4, cleared by reading LSR
    uint8_t modem_inputs = 0;  // MSR bits 4-7 from the host (CTS, DSR, RI, DCD)
    uint8_t modem_deltas = 0;  // MSR bits 0-3, cleared by reading MSR
    uint8_t scratch = 0;
    bool fifo_enabled = false;
    uint8_t rx_trigger = 1;
    uint8_t fcr_dma_mode = 0;
    Fifo rx;
    Fifo tx;
    uint8_t last_rbr = 0;
    bool tsr_busy = false;
    uint8_t tsr = 0;
    bool thre_pending = false;     // the transmitter-empty interrupt latch
    bool timeout_pending = false;  // the character-timeout indication
  };

  Uart16550(bus::Clock& clock, uint16_t base, std::string name);
  Uart16550(const Uart16550&) = delete;
  Uart16550& operator=(const Uart16550&) = delete;

  void register_ports(bus::IoSpace& io);
  void reset();
  void connect_irq(bus::IrqLine line);

  // Host side.
  void set_transmit_handler(std::function<void(uint8_t)> handler) {
    on_transmit_ = std::move(handler);
  }
  void set_immediate(bool immediate) { immediate_ = immediate; }
  // Delivers a byte to the receiver; false when it was lost (receiver full: overrun, or the
  // receiver disconnected in loopback).
  bool receive(uint8_t byte);
  unsigned receive_space() const;
  void set_modem_inputs(bool cts, bool dsr, bool ri, bool dcd);

  uint8_t read(uint8_t offset);
  void write(uint8_t offset, uint8_t value);

  // One character on the line, in nanoseconds (start, data, parity and stop bits).
  uint64_t character_time_ns() const;
  uint16_t base() const { return base_; }
  const State& state() const { return state_; }

 private:
  bool loopback() const { return state_.mcr & kMcrLoop; }
  uint8_t msr_inputs() const;
  uint8_t lsr() const;
  uint8_t interrupt_id() const;  // IIR bits 3-0
  void update_irq();
  void set_msr_inputs(uint8_t before);
  bool push_received(uint8_t byte);
  void restart_timeout();
  void write_thr(uint8_t value);
  void start_transmit();
  void emit(uint8_t byte);

  bus::Clock& clock_;
  uint16_t base_;
  std::string name_;
  State state_;
  bus::IrqLine irq_;
  bus::EventHandle tx_event_;
  bus::EventHandle timeout_event_;
  std::function<void(uint8_t)> on_transmit_;
  bool immediate_ = false;
};

}  // namespace x86lab::devices
