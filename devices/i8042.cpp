#include "devices/i8042.hpp"

#include <algorithm>

namespace x86lab::devices {

namespace {

// The 8042's set-2 -> set-1 table for codes 0x00-0x7F; codes 0x80-0xFF pass unchanged
// except 0x83 (F7) and 0x84 (SysRq).
constexpr std::array<uint8_t, 128> kTranslateLow = {
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

constexpr uint8_t kAck = 0xFA, kResend = 0xFE, kSelfTestPassed = 0xAA, kBreakPrefix = 0xF0,
                  kExtendedPrefix = 0xE0;

// The set-2 code for each set-1 make code: the first set-2 code that translates to it.
constexpr std::array<uint8_t, 128> make_inverse() {
  std::array<uint8_t, 128> inverse{};
  for (unsigned code2 = 1; code2 < 128; ++code2) {
    const uint8_t code1 = kTranslateLow[code2];
    if (code1 < 0x80 && inverse[code1] == 0) inverse[code1] = static_cast<uint8_t>(code2);
  }
  // F7 and SysRq send set-2 codes above the table (0x83, 0x84); 0x02 and 0x7F, which also
  // translate to 0x41 and 0x54, are no key's.
  inverse[0x41] = 0x83;
  inverse[0x54] = 0x84;
  return inverse;
}
constexpr std::array<uint8_t, 128> kSet1ToSet2 = make_inverse();

}  // namespace

uint8_t I8042::translate_set2_to_set1(uint8_t code) {
  if (code < 0x80) return kTranslateLow[code];
  if (code == 0x83) return 0x41;
  if (code == 0x84) return 0x54;
  return code;
}

uint8_t I8042::set1_to_set2(uint8_t code) { return code < 0x80 ? kSet1ToSet2[code] : 0; }

I8042::I8042() { reset(); }

void I8042::register_ports(bus::IoSpace& io) {
  auto read_fn = [this](uint16_t port, unsigned) -> uint32_t { return read(port); };
  auto write_fn = [this](uint16_t port, unsigned, uint32_t value) {
    write(port, static_cast<uint8_t>(value));
  };
  io.register_ports(kDataPort, 1, "i8042", bus::kIoByte, read_fn, write_fn);
  io.register_ports(kStatusPort, 1, "i8042", bus::kIoByte, read_fn, write_fn);
}

void I8042::reset() {
  state_ = State{};
  state_.ram[0] = kDefaultCommandByte;
  keyboard_defaults();
  mouse_defaults();
  update_irqs();
}

void I8042::connect_irqs(bus::IrqLine keyboard_irq, bus::IrqLine mouse_irq) {
  keyboard_irq_ = keyboard_irq;
  mouse_irq_ = mouse_irq;
  update_irqs();
}

uint8_t I8042::status() const {
  uint8_t s = kStatusUnlocked;
  if (state_.output_full) s |= kStatusOutputFull;
  if (state_.output_full && state_.output_from_aux) s |= kStatusAuxData;
  if (state_.system_flag) s |= kStatusSystem;
  if (state_.last_write_command) s |= kStatusCommand;
  return s;
}

uint8_t I8042::read(uint16_t port) {
  if (port == kStatusPort) return status();
  const uint8_t value = state_.output_buffer;
  state_.output_full = false;
  update_irqs();  // the line falls, so a byte that moves in next is a new edge
  refill();
  return value;
}

void I8042::write(uint16_t port, uint8_t value) {
  if (port == kStatusPort) {
    state_.last_write_command = true;
    controller_command(value);
  } else {
    state_.last_write_command = false;
    controller_data(value);
  }
  refill();
}

// ---- the output buffer ---------------------------------------------------------------------

void I8042::refill() {
  while (!state_.output_full) {
    if (!state_.controller_queue.empty()) {
      state_.output_buffer = state_.controller_queue.front();
      state_.controller_queue.pop_front();
      state_.output_from_aux = false;
      state_.output_full = true;
    } else if (!(state_.ram[0] & kCmdKbdDisabled) && !state_.keyboard.queue.empty()) {
      uint8_t code = state_.keyboard.queue.front();
      state_.keyboard.queue.pop_front();
      if (state_.ram[0] & kCmdTranslate) {
        if (code == kBreakPrefix) {
          state_.translate_break = true;
          continue;
        }
        code = translate_set2_to_set1(code);
        if (state_.translate_break) code |= 0x80;
        state_.translate_break = false;
      }
      state_.output_buffer = code;
      state_.output_from_aux = false;
      state_.output_full = true;
    } else if (!(state_.ram[0] & kCmdAuxDisabled) && !state_.mouse.queue.empty()) {
      state_.output_buffer = state_.mouse.queue.front();
      state_.mouse.queue.pop_front();
      state_.output_from_aux = true;
      state_.output_full = true;
    } else {
      break;
    }
  }
  update_irqs();
}

void I8042::update_irqs() {
  const bool full = state_.output_full;
  keyboard_irq_.set_level(full && !state_.output_from_aux && (state_.ram[0] & kCmdKbdIrq));
  mouse_irq_.set_level(full && state_.output_from_aux && (state_.ram[0] & kCmdAuxIrq));
}

void I8042::reply(uint8_t byte) { state_.controller_queue.push_back(byte); }

void I8042::keyboard_send(uint8_t byte) {
  state_.keyboard.last_sent = byte;
  state_.keyboard.queue.push_back(byte);
}

void I8042::mouse_send(uint8_t byte) { state_.mouse.queue.push_back(byte); }

// ---- the controller ------------------------------------------------------------------------

void I8042::set_command_byte(uint8_t value) {
  state_.ram[0] = value;
  state_.system_flag = value & kCmdSystem;
}

void I8042::write_output_port(uint8_t value) {
  const uint8_t before = state_.output_port;
  state_.output_port = value;
  if ((before ^ value) & kOutA20) {
    if (on_a20_) on_a20_(value & kOutA20);
  }
  if (!(value & kOutReset)) {
    // The reset line is active low: the machine resets, and the line returns high with it.
    state_.output_port |= kOutReset;
    if (on_reset_) on_reset_();
  }
}

void I8042::controller_command(uint8_t command) {
  state_.pending_command = 0;
  if (command >= 0x20 && command <= 0x3F) {
    reply(state_.ram[command & 0x1F]);
    return;
  }
  if (command >= 0x60 && command <= 0x7F) {
    state_.pending_command = command;
    return;
  }
  if (command >= 0xF0) {
    // Pulse the output port bits whose command bits are 0 (bits 0-3); 0xFE pulses reset.
    if (!(command & kOutReset) && on_reset_) on_reset_();
    return;
  }
  switch (command) {
    case 0xA7:  // disable the aux port
      state_.ram[0] |= kCmdAuxDisabled;
      break;
    case 0xA8:  // enable the aux port
      state_.ram[0] &= static_cast<uint8_t>(~kCmdAuxDisabled);
      break;
    case 0xA9:  // aux interface test: no error
    case 0xAB:  // keyboard interface test: no error
      reply(0x00);
      break;
    case 0xAA:  // controller self-test
      state_.system_flag = true;
      state_.ram[0] |= kCmdSystem;
      reply(0x55);
      break;
    case 0xAD:  // disable the keyboard
      state_.ram[0] |= kCmdKbdDisabled;
      break;
    case 0xAE:  // enable the keyboard
      state_.ram[0] &= static_cast<uint8_t>(~kCmdKbdDisabled);
      break;
    case 0xC0:  // read the input port: keyboard not inhibited, colour display
      reply(0x80);
      break;
    case 0xD0: {  // read the output port, with the buffer-full bits as they are now
      uint8_t value = state_.output_port & 0xCF;
      if (state_.output_full && !state_.output_from_aux) value |= 0x10;
      if (state_.output_full && state_.output_from_aux) value |= 0x20;
      reply(value);
      break;
    }
    case 0xD1:  // write the output port
    case 0xD2:  // write the keyboard output buffer
    case 0xD3:  // write the aux output buffer
    case 0xD4:  // write to the aux device
      state_.pending_command = command;
      break;
    case 0xDD:  // A20 off (an HP extension most controllers implement)
      write_output_port(state_.output_port & static_cast<uint8_t>(~kOutA20));
      break;
    case 0xDF:  // A20 on
      write_output_port(state_.output_port | kOutA20);
      break;
    case 0xE0:  // read the test inputs
      reply(0x00);
      break;
    default:
      break;  // unknown commands are ignored
  }
}

void I8042::controller_data(uint8_t value) {
  const uint8_t command = state_.pending_command;
  state_.pending_command = 0;
  if (command >= 0x60 && command <= 0x7F) {
    if (command == 0x60) {
      set_command_byte(value);
    } else {
      state_.ram[command & 0x1F] = value;
    }
    return;
  }
  switch (command) {
    case 0xD1:
      write_output_port(value);
      break;
    case 0xD2:
      state_.keyboard.queue.push_back(value);
      break;
    case 0xD3:
      mouse_send(value);
      break;
    case 0xD4:
      mouse_write(value);
      break;
    default:
      // Data with no command pending goes to the keyboard, which also enables it.
      state_.ram[0] &= static_cast<uint8_t>(~kCmdKbdDisabled);
      keyboard_write(value);
      break;
  }
}

// ---- the keyboard --------------------------------------------------------------------------

void I8042::keyboard_defaults() {
  Keyboard& k = state_.keyboard;
  k.scanning = true;
  k.typematic = 0x2B;
  k.pending_command = 0;
}

void I8042::keyboard_write(uint8_t value) {
  Keyboard& k = state_.keyboard;
  if (k.pending_command) {
    const uint8_t command = k.pending_command;
    k.pending_command = 0;
    switch (command) {
      case 0xED:
        k.leds = value & 0x07;
        keyboard_send(kAck);
        return;
      case 0xF3:
        k.typematic = value & 0x7F;
        keyboard_send(kAck);
        return;
      case 0xF0:
        keyboard_send(kAck);
        if (value == 0) {
          keyboard_send(k.scancode_set);
        } else if (value <= 3) {
          k.scancode_set = value;
        }
        return;
      default:
        break;
    }
  }
  switch (value) {
    case 0xED:  // set LEDs
    case 0xF3:  // typematic rate and delay
    case 0xF0:  // get or set the scancode set
      k.pending_command = value;
      keyboard_send(kAck);
      break;
    case 0xEE:  // echo
      keyboard_send(0xEE);
      break;
    case 0xF2:  // identify: an MF2 keyboard
      keyboard_send(kAck);
      keyboard_send(0xAB);
      keyboard_send(0x83);
      break;
    case 0xF4:  // enable scanning
      k.queue.clear();
      k.scanning = true;
      keyboard_send(kAck);
      break;
    case 0xF5:  // defaults, scanning off
      keyboard_defaults();
      k.queue.clear();
      k.scanning = false;
      keyboard_send(kAck);
      break;
    case 0xF6:  // defaults
      keyboard_defaults();
      k.queue.clear();
      keyboard_send(kAck);
      break;
    case 0xF7:
    case 0xF8:
    case 0xF9:
    case 0xFA:
    case 0xFB:
    case 0xFC:
    case 0xFD:  // set-3 key types: accepted and ignored
      keyboard_send(kAck);
      break;
    case 0xFE:  // resend
      keyboard_send(k.last_sent);
      break;
    case 0xFF:  // reset and self-test
      keyboard_defaults();
      k.queue.clear();
      k.scancode_set = 2;
      k.leds = 0;
      keyboard_send(kAck);
      keyboard_send(kSelfTestPassed);
      break;
    default:
      keyboard_send(kResend);
      break;
  }
}

void I8042::send_set2(std::span<const uint8_t> codes) {
  if (!state_.keyboard.scanning) return;
  for (uint8_t code : codes) keyboard_send(code);
  refill();
}

void I8042::send_set1(std::span<const uint8_t> codes) {
  if (!state_.keyboard.scanning) return;
  if (state_.keyboard.scancode_set == 1) {
    for (uint8_t code : codes) keyboard_send(code);
  } else {
    for (uint8_t code : codes) {
      if (code == kExtendedPrefix || code == 0xE1) {
        keyboard_send(code);
        continue;
      }
      const uint8_t set2 = set1_to_set2(code & 0x7F);
      if (set2 == 0) continue;  // no key sends it
      if (code & 0x80) keyboard_send(kBreakPrefix);
      keyboard_send(set2);
    }
  }
  refill();
}

// ---- the mouse -----------------------------------------------------------------------------

void I8042::mouse_defaults() {
  Mouse& m = state_.mouse;
  m.reporting = false;
  m.remote = false;
  m.scaling_2to1 = false;
  m.sample_rate = 100;
  m.resolution = 2;
  m.dx = m.dy = 0;
  m.pending_command = 0;
}

void I8042::mouse_packet() {
  Mouse& m = state_.mouse;
  const int32_t dx = std::clamp(m.dx, -256, 255);
  const int32_t dy = std::clamp(m.dy, -256, 255);
  uint8_t head = static_cast<uint8_t>(0x08 | (m.buttons & 0x07));
  if (dx < 0) head |= 0x10;
  if (dy < 0) head |= 0x20;
  if (m.dx != dx) head |= 0x40;
  if (m.dy != dy) head |= 0x80;
  mouse_send(head);
  mouse_send(static_cast<uint8_t>(dx & 0xFF));
  mouse_send(static_cast<uint8_t>(dy & 0xFF));
  m.dx = m.dy = 0;
}

void I8042::mouse_write(uint8_t value) {
  Mouse& m = state_.mouse;
  if (m.pending_command) {
    const uint8_t command = m.pending_command;
    m.pending_command = 0;
    if (command == 0xF3) {
      m.sample_rate = value;
    } else if (command == 0xE8) {
      m.resolution = value & 0x03;
    }
    mouse_send(kAck);
    return;
  }
  if (m.wrap && value != 0xEC && value != 0xFF) {
    mouse_send(value);  // wrap mode echoes everything but "reset wrap" and "reset"
    return;
  }
  switch (value) {
    case 0xE6:  // scaling 1:1
      m.scaling_2to1 = false;
      mouse_send(kAck);
      break;
    case 0xE7:  // scaling 2:1
      m.scaling_2to1 = true;
      mouse_send(kAck);
      break;
    case 0xE8:  // set resolution
    case 0xF3:  // set sample rate
      m.pending_command = value;
      mouse_send(kAck);
      break;
    case 0xE9: {  // status request
      mouse_send(kAck);
      uint8_t s = static_cast<uint8_t>(m.buttons & 0x07);
      if (m.scaling_2to1) s |= 0x10;
      if (m.reporting) s |= 0x20;
      if (m.remote) s |= 0x40;
      mouse_send(s);
      mouse_send(m.resolution);
      mouse_send(m.sample_rate);
      break;
    }
    case 0xEA:  // stream mode
      m.remote = false;
      mouse_send(kAck);
      break;
    case 0xEB:  // read data
      mouse_send(kAck);
      mouse_packet();
      break;
    case 0xEC:  // reset wrap mode
      m.wrap = false;
      mouse_send(kAck);
      break;
    case 0xEE:  // wrap mode
      m.wrap = true;
      mouse_send(kAck);
      break;
    case 0xF0:  // remote mode
      m.remote = true;
      mouse_send(kAck);
      break;
    case 0xF2:  // identify: a standard PS/2 mouse
      mouse_send(kAck);
      mouse_send(0x00);
      break;
    case 0xF4:  // enable data reporting
      m.reporting = true;
      mouse_send(kAck);
      break;
    case 0xF5:  // disable data reporting
      m.reporting = false;
      mouse_send(kAck);
      break;
    case 0xF6:  // defaults
      mouse_defaults();
      mouse_send(kAck);
      break;
    case 0xFF:  // reset and self-test
      mouse_defaults();
      m.wrap = false;
      m.queue.clear();
      mouse_send(kAck);
      mouse_send(kSelfTestPassed);
      mouse_send(0x00);
      break;
    default:
      mouse_send(kResend);
      break;
  }
}

void I8042::mouse_event(int32_t dx, int32_t dy, uint8_t buttons) {
  Mouse& m = state_.mouse;
  const bool buttons_changed = (buttons & 0x07) != m.buttons;
  m.buttons = buttons & 0x07;
  // Remote mode keeps the motion for "read data"; stream mode reports it or drops it.
  if (!m.remote && !m.reporting) return;
  m.dx += dx;
  m.dy -= dy;  // PS/2 counts up as positive
  if (m.reporting && !m.remote && (m.dx || m.dy || buttons_changed)) {
    mouse_packet();
    refill();
  }
}

}  // namespace x86lab::devices
