#include "devices/pit8254.hpp"

namespace x86lab::devices {
namespace {

uint32_t from_bcd(uint16_t v) {
  return ((v >> 12) & 0xF) * 1000u + ((v >> 8) & 0xF) * 100u + ((v >> 4) & 0xF) * 10u + (v & 0xF);
}

uint16_t to_bcd(uint32_t v) {
  return static_cast<uint16_t>(((v / 1000) % 10) << 12 | ((v / 100) % 10) << 8 |
                               ((v / 10) % 10) << 4 | (v % 10));
}

}  // namespace

uint64_t Pit8254::tick_at(uint64_t ns) {
  // Split so the product cannot overflow: ns = q * 1e9 + r.
  const uint64_t q = ns / bus::kNanosPerSecond, r = ns % bus::kNanosPerSecond;
  return q * kInputHz + r * kInputHz / bus::kNanosPerSecond;
}

uint64_t Pit8254::time_of_tick(uint64_t tick) {
  const uint64_t q = tick / kInputHz, r = tick % kInputHz;
  return q * bus::kNanosPerSecond + (r * bus::kNanosPerSecond + kInputHz - 1) / kInputHz;
}

void Pit8254::register_ports(bus::IoSpace& io) {
  io.register_ports(
      kBasePort, 4, "pit", bus::kIoByte,
      [this](uint16_t port, unsigned) -> uint32_t { return read(port); },
      [this](uint16_t port, unsigned, uint32_t value) {
        write(port, static_cast<uint8_t>(value));
      });
}

void Pit8254::reset() {
  for (auto& e : events_) clock_.cancel(e);
  state_ = State{};
  for (auto& c : state_.channels) c.held_out = false;
  state_.channels[2].gate = false;  // port 0x61 bit 0 is clear after reset
  for (unsigned i = 0; i < 3; ++i) output_changed(i);
}

void Pit8254::connect_output(unsigned channel, bus::IrqLine line) {
  lines_[channel] = line;
  output_changed(channel);
}

bool Pit8254::output(unsigned channel) {
  return out_at(state_.channels[channel], tick_at(clock_.now()));
}

uint32_t Pit8254::count(unsigned channel) {
  return count_at(state_.channels[channel], tick_at(clock_.now())) & 0xFFFF;
}

void Pit8254::catch_up(Channel& c, uint64_t tick) {
  if (c.reload_pending && c.running && tick >= c.reload_tick) {
    c.reload_pending = false;
    c.reload = c.pending_value;
    c.start_tick = c.reload_tick;
    c.start_value = c.reload;
  }
}

// The counting element at tick, in binary, 0..modulus-1 (65536 reads as 0).
uint32_t Pit8254::count_at(Channel& c, uint64_t tick) {
  catch_up(c, tick);
  if (!c.running || tick < c.start_tick) return c.held_value;
  const uint64_t e = tick - c.start_tick;
  const uint32_t m = modulus(c);
  const uint32_t n = c.start_value;
  switch (c.mode) {
    case 2:
      return (n - static_cast<uint32_t>(e % n)) % m;
    case 3: {
      // Counts down by two through each half of the period; an odd count starts at N - 1.
      const uint32_t p = static_cast<uint32_t>(e % n);
      const uint32_t high_len = (n + 1) / 2;
      const uint32_t in_phase = p < high_len ? p : p - high_len;
      return ((n & ~1u) - 2 * in_phase) % m;
    }
    default:  // 0, 1, 4, 5: one countdown that wraps after zero
      return static_cast<uint32_t>((n + m - e % m) % m);
  }
}

bool Pit8254::out_at(Channel& c, uint64_t tick) {
  catch_up(c, tick);
  if (!c.running || tick < c.start_tick) return c.held_out;
  const uint64_t e = tick - c.start_tick;
  const uint32_t n = c.start_value;
  switch (c.mode) {
    case 0:  // low until terminal count, then high
    case 1:
      return c.terminal_passed || e >= n;
    case 2:  // low for the one clock before each reload
      return n < 2 || e % n != n - 1;
    case 3:  // high for the first (N+1)/2 clocks of each period
      return e % n < (n + 1) / 2;
    default:  // 4, 5: a one-clock low strobe at terminal count
      return c.terminal_passed || e != n;
  }
}

// The first tick after `tick` at which OUT may change, or kNever.
uint64_t Pit8254::next_out_change(Channel& c, uint64_t tick) {
  catch_up(c, tick);
  if (!c.running) return kNever;
  if (tick < c.start_tick) {
    if (out_at(c, c.start_tick) != c.held_out) return c.start_tick;
    return next_out_change(c, c.start_tick);
  }
  const uint64_t e = tick - c.start_tick;
  const uint32_t n = c.start_value;
  uint64_t next = kNever;
  switch (c.mode) {
    case 0:
    case 1:
      if (!c.terminal_passed && e < n) next = c.start_tick + n;
      break;
    case 2:
      if (n >= 2) next = tick - e % n + (e % n < n - 1 ? n - 1 : n);
      break;
    case 3:
      if (n >= 2) next = tick - e % n + (e % n < (n + 1) / 2 ? (n + 1) / 2 : n);
      break;
    default:
      if (!c.terminal_passed && e <= n) next = c.start_tick + n + (e == n ? 1 : 0);
      break;
  }
  if (c.reload_pending && c.reload_tick < next) next = c.reload_tick;
  return next;
}

void Pit8254::stop(Channel& c, uint64_t tick) {
  if (!c.running) return;
  c.held_value = count_at(c, tick);
  c.held_out = out_at(c, tick);
  if (tick >= c.start_tick && tick - c.start_tick >= c.start_value) c.terminal_passed = true;
  c.running = false;
}

void Pit8254::start(Channel& c, uint64_t first_tick, uint32_t value) {
  c.running = true;
  c.start_tick = first_tick;
  c.start_value = value;
  c.terminal_passed = false;
  c.reload_pending = false;
  c.null_count_until = first_tick;
}

void Pit8254::write(uint16_t port, uint8_t value) {
  const unsigned index = port - kBasePort;
  if (index == 3) {
    write_control(value);
  } else if (index < 3) {
    write_counter(index, value);
  }
}

uint8_t Pit8254::read(uint16_t port) {
  const unsigned index = port - kBasePort;
  return index < 3 ? read_counter(index) : 0xFF;  // the control word register is write-only
}

uint8_t Pit8254::status_byte(Channel& c, uint64_t tick) {
  return static_cast<uint8_t>((out_at(c, tick) ? 0x80 : 0) |
                              (tick < c.null_count_until ? 0x40 : 0) | c.access << 4 |
                              c.mode_bits << 1 | (c.bcd ? 1 : 0));
}

void Pit8254::write_control(uint8_t value) {
  const uint64_t tick = tick_at(clock_.now());
  const unsigned select = value >> 6;
  const unsigned access = (value >> 4) & 3;
  if (select == 3) {  // read-back: bit 5 clear latches counts, bit 4 clear latches status
    for (unsigned i = 0; i < 3; ++i) {
      if (!(value & (2u << i))) continue;
      Channel& c = state_.channels[i];
      if (!(value & 0x20) && !c.count_latched) {
        const uint32_t v = count_at(c, tick);
        c.latched_count = static_cast<uint16_t>(c.bcd ? to_bcd(v) : v);
        c.count_latched = true;
      }
      if (!(value & 0x10) && !c.status_latched) {
        c.latched_status = status_byte(c, tick);
        c.status_latched = true;
      }
    }
    return;
  }
  Channel& c = state_.channels[select];
  if (access == 0) {  // counter latch command; a second one before the read is ignored
    if (!c.count_latched) {
      const uint32_t v = count_at(c, tick);
      c.latched_count = static_cast<uint16_t>(c.bcd ? to_bcd(v) : v);
      c.count_latched = true;
    }
    return;
  }
  stop(c, tick);
  c.mode_bits = (value >> 1) & 7;
  c.mode = c.mode_bits >= 6 ? static_cast<uint8_t>(c.mode_bits - 4) : c.mode_bits;
  c.access = static_cast<uint8_t>(access);
  c.bcd = value & 1;
  c.programmed = true;
  c.count_loaded = false;
  c.write_msb_next = false;
  c.read_msb_next = false;
  c.count_latched = false;
  c.status_latched = false;
  c.reload_pending = false;
  c.terminal_passed = false;
  c.held_out = c.mode != 0;  // a control word sets OUT low in mode 0, high in the others
  c.null_count_until = kNever;
  output_changed(select);
}

void Pit8254::write_counter(unsigned index, uint8_t value) {
  Channel& c = state_.channels[index];
  uint16_t raw;
  switch (c.access) {
    case 1:
      raw = value;
      break;
    case 2:
      raw = static_cast<uint16_t>(value << 8);
      break;
    default:
      if (!c.write_msb_next) {
        c.count_register = value;
        c.write_msb_next = true;
        if (c.mode == 0) {  // writing the first byte stops counting and sets OUT low
          stop(c, tick_at(clock_.now()));
          c.held_out = false;
          c.count_loaded = false;
          output_changed(index);
        }
        return;
      }
      c.write_msb_next = false;
      raw = static_cast<uint16_t>(c.count_register | value << 8);
      break;
  }
  uint32_t n = c.bcd ? from_bcd(raw) : raw;
  if (n == 0) n = modulus(c);
  load_count(index, n);
}

// A whole count n (1..modulus) has been written.
void Pit8254::load_count(unsigned index, uint32_t n) {
  Channel& c = state_.channels[index];
  const uint64_t tick = tick_at(clock_.now());
  catch_up(c, tick);
  c.count_loaded = true;
  switch (c.mode) {
    case 0:
    case 4:
      // Loaded on the next clock; counting restarts from the new count.
      c.held_value = count_at(c, tick);
      c.held_out = c.mode == 4;
      c.reload = n;
      c.running = false;
      if (c.gate) {
        start(c, tick + 1, n);
      } else {
        c.held_value = n;
        c.terminal_passed = false;
        c.null_count_until = tick + 1;
      }
      break;
    case 2:
    case 3:
      if (c.running && tick >= c.start_tick) {
        // Counting: the new count takes over at the end of the current period.
        const uint64_t e = tick - c.start_tick;
        c.reload_pending = true;
        c.pending_value = n;
        c.reload_tick = c.start_tick + (e / c.start_value + 1) * c.start_value;
        c.null_count_until = c.reload_tick;
      } else {
        c.reload = n;
        if (c.gate) {
          c.held_value = count_at(c, tick);
          c.held_out = true;
          start(c, c.running ? c.start_tick : tick + 1, n);
        }
      }
      break;
    default:  // 1, 5: waits for a gate trigger
      c.reload = n;
      if (!c.running) c.null_count_until = kNever;
      break;
  }
  output_changed(index);
}

uint8_t Pit8254::read_counter(unsigned index) {
  Channel& c = state_.channels[index];
  if (c.status_latched) {
    c.status_latched = false;
    return c.latched_status;
  }
  uint16_t value;
  if (c.count_latched) {
    value = c.latched_count;
  } else {
    const uint32_t v = count_at(c, tick_at(clock_.now()));
    value = static_cast<uint16_t>(c.bcd ? to_bcd(v) : v);
  }
  bool msb;
  bool done = true;
  switch (c.access) {
    case 1:
      msb = false;
      break;
    case 2:
      msb = true;
      break;
    default:
      msb = c.read_msb_next;
      c.read_msb_next = !c.read_msb_next;
      done = msb;
      break;
  }
  if (done) c.count_latched = false;
  return static_cast<uint8_t>(msb ? value >> 8 : value);
}

void Pit8254::set_gate(unsigned index, bool high) {
  Channel& c = state_.channels[index];
  if (c.gate == high) return;
  const uint64_t tick = tick_at(clock_.now());
  c.gate = high;
  if (!c.programmed || !c.count_loaded) return;
  switch (c.mode) {
    case 0:
    case 4:
      // The gate suspends counting; the count resumes where it stopped.
      if (!high) {
        stop(c, tick);
      } else {
        const bool passed = c.terminal_passed;
        start(c, tick + 1, c.held_value);
        c.terminal_passed = passed;
        c.null_count_until = 0;
      }
      break;
    case 2:
    case 3:
      // Low: counting stops and OUT goes high; a rising edge reloads on the next clock.
      if (!high) {
        stop(c, tick);
        c.held_out = true;
      } else {
        start(c, tick + 1, c.reload);
      }
      break;
    default:  // 1, 5: a rising edge (re)triggers the count on the next clock
      if (high) {
        if (c.running) stop(c, tick);
        start(c, tick + 1, c.reload);
      }
      break;
  }
  output_changed(index);
}

void Pit8254::output_changed(unsigned index) {
  if (!lines_[index].connected()) return;
  clock_.cancel(events_[index]);
  Channel& c = state_.channels[index];
  const uint64_t tick = tick_at(clock_.now());
  lines_[index].set_level(out_at(c, tick));
  const uint64_t next = next_out_change(c, tick);
  if (next != kNever) {
    events_[index] = clock_.schedule(time_of_tick(next), [this, index](uint64_t) {
      events_[index] = {};
      output_changed(index);
    });
  }
}

}  // namespace x86lab::devices
