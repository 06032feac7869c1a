// The 8042 keyboard controller at 0x60 (data) and 0x64 (status/command) with a PS/2
// keyboard on its first port and a PS/2 mouse on the auxiliary port.
//
// Controller: the command byte (RAM byte 0: IRQ enables, system flag, port disables, the set-2
// to set-1 translation), RAM bytes 0x20-0x3F, self-test (0xAA -> 0x55), interface tests, the
// output port (bit 0 reset, active low; bit 1 the A20 gate) read, written and pulsed, the
// "write to keyboard/aux output buffer" loop-back commands, and 0xDD/0xDF (A20 off/on). The
// output port reaches the rest of the machine through callbacks (devices never see the CPU).
//
// Keyboard: reset (0xFF -> FA AA), set LEDs, echo, identify (AB 83), scancode set get/set,
// enable/disable scanning, defaults, typematic rate, resend. Mouse: reset (FA AA 00), stream
// and remote mode, enable/disable reporting, sample rate, resolution, scaling, status request,
// read data, identify (00), wrap mode.
//
// The one output buffer is filled from three sources, first come first: replies of the
// controller itself, then the keyboard, then the mouse; a port that is disabled keeps its
// bytes queued. IRQ1 follows "keyboard byte in the buffer and command byte bit 0", IRQ12
// "mouse byte in the buffer and bit 1"; the next byte moves in as soon as the guest reads
// the last, so every byte is a fresh rising edge. Bytes appear without the real devices'
// delays: nothing a BIOS or an OS needs depends on them.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <span>

#include "bus/io_space.hpp"
#include "bus/irq.hpp"

namespace x86lab::devices {

class I8042 {
 public:
  static constexpr uint16_t kDataPort = 0x60;
  static constexpr uint16_t kStatusPort = 0x64;

  // Status register bits.
  static constexpr uint8_t kStatusOutputFull = 0x01, kStatusInputFull = 0x02, kStatusSystem = 0x04,
                           kStatusCommand = 0x08, kStatusUnlocked = 0x10, kStatusAuxData = 0x20;
  // Command byte bits.
  static constexpr uint8_t kCmdKbdIrq = 0x01, kCmdAuxIrq = 0x02, kCmdSystem = 0x04,
                           kCmdKbdDisabled = 0x10, kCmdAuxDisabled = 0x20, kCmdTranslate = 0x40;
  // Output port bits.
  static constexpr uint8_t kOutReset = 0x01, kOutA20 = 0x02;
  // The command byte after power-on: both IRQs, translation on.
  static constexpr uint8_t kDefaultCommandByte = kCmdKbdIrq | kCmdAuxIrq | kCmdTranslate;

  // Set-2 code -> set-1 code, as the controller translates (break prefix F0 handled apart).
  static uint8_t translate_set2_to_set1(uint8_t code);
  // The inverse for codes 0x01-0x7F of set 1 (0 when no set-2 code translates to it).
  static uint8_t set1_to_set2(uint8_t code);

  struct Keyboard {
    bool scanning = true;
    uint8_t scancode_set = 2;
    uint8_t leds = 0;
    uint8_t typematic = 0x2B;     // 10.9 characters/s after 500 ms
    uint8_t pending_command = 0;  // a command waiting for its parameter byte, or 0
    uint8_t last_sent = 0;        // for 0xFE resend
    std::deque<uint8_t> queue;
  };
  struct Mouse {
    bool reporting = false;
    bool remote = false;
    bool wrap = false;
    bool scaling_2to1 = false;
    uint8_t sample_rate = 100;
    uint8_t resolution = 2;  // 4 counts/mm
    uint8_t buttons = 0;
    int32_t dx = 0, dy = 0;  // motion not yet reported (remote mode, or reporting off)
    uint8_t pending_command = 0;
    std::deque<uint8_t> queue;
  };
  struct State {
    std::array<uint8_t, 32> ram{};  // ram[0] is the command byte
    uint8_t output_port = 0xCF;     // reset high (not asserted), A20 on, ones in unused bits
    uint8_t output_buffer = 0;
    bool output_full = false;
    bool output_from_aux = false;
    bool last_write_command = false;
    bool system_flag = false;
    uint8_t pending_command = 0;   // a controller command waiting for its data byte, or 0
    bool translate_break = false;  // an F0 was swallowed by translation
    std::deque<uint8_t> controller_queue;
    Keyboard keyboard;
    Mouse mouse;
  };

  I8042();
  I8042(const I8042&) = delete;
  I8042& operator=(const I8042&) = delete;

  void register_ports(bus::IoSpace& io);
  void reset();
  void connect_irqs(bus::IrqLine keyboard_irq, bus::IrqLine mouse_irq);
  // The output port: A20 gate changes, and the reset line being pulsed (a system reset).
  void set_a20_handler(std::function<void(bool enabled)> handler) { on_a20_ = std::move(handler); }
  void set_reset_handler(std::function<void()> handler) { on_reset_ = std::move(handler); }

  uint8_t read(uint16_t port);
  void write(uint16_t port, uint8_t value);

  // Host side: bytes as the keyboard sends them in the set it is in (set 2 by default; the
  // controller then translates to set 1 for the guest when the command byte says so).
  void send_set2(std::span<const uint8_t> codes);
  // Set-1 codes (make < 0x80, break = make | 0x80, E0 prefixes): converted to set 2 first
  // when the keyboard is in set 2, so the guest sees them as a real keyboard would send.
  void send_set1(std::span<const uint8_t> codes);
  // Mouse motion in screen coordinates (dy > 0 moves the pointer down) and the button state
  // (bit 0 left, bit 1 right, bit 2 middle).
  void mouse_event(int32_t dx, int32_t dy, uint8_t buttons);

  uint8_t status() const;
  uint8_t command_byte() const { return state_.ram[0]; }
  const State& state() const { return state_; }

 private:
  void refill();
  void update_irqs();
  void reply(uint8_t byte);
  void keyboard_send(uint8_t byte);
  void mouse_send(uint8_t byte);
  void controller_command(uint8_t command);
  void controller_data(uint8_t value);
  void keyboard_write(uint8_t value);
  void mouse_write(uint8_t value);
  void keyboard_defaults();
  void mouse_defaults();
  void mouse_packet();
  void write_output_port(uint8_t value);
  void set_command_byte(uint8_t value);

  State state_;
  bus::IrqLine keyboard_irq_;
  bus::IrqLine mouse_irq_;
  std::function<void(bool)> on_a20_;
  std::function<void()> on_reset_;
};

}  // namespace x86lab::devices
