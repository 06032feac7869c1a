#include "devices/dma8237.hpp"

#include <algorithm>

namespace x86lab::devices {
namespace {

constexpr uint8_t kCommandDisable = 0x04;
// Page register port (minus 0x80) of each channel.
constexpr std::array<uint8_t, 8> kPagePort = {0x7, 0x3, 0x1, 0x2, 0xF, 0xB, 0x9, 0xA};

}  // namespace

void Dma8237::register_ports(bus::IoSpace& io, bool claim_port_80) {
  io.register_ports(
      0x00, 0x10, "dma1", bus::kIoByte,
      [this](uint16_t port, unsigned) -> uint32_t { return read(port); },
      [this](uint16_t port, unsigned, uint32_t value) {
        write(port, static_cast<uint8_t>(value));
      });
  io.register_ports(
      0xC0, 0x20, "dma2", bus::kIoByte,
      [this](uint16_t port, unsigned) -> uint32_t { return read(port); },
      [this](uint16_t port, unsigned, uint32_t value) {
        write(port, static_cast<uint8_t>(value));
      });
  const uint16_t first = claim_port_80 ? 0x80 : 0x81;
  io.register_ports(
      first, 0x90u - first, "dma-page", bus::kIoByte,
      [this](uint16_t port, unsigned) -> uint32_t { return read(port); },
      [this](uint16_t port, unsigned, uint32_t value) {
        write(port, static_cast<uint8_t>(value));
      });
}

void Dma8237::reset() { state_ = State{}; }

unsigned Dma8237::page_port_index(unsigned channel) { return kPagePort[channel]; }

Dma8237::TransferType Dma8237::transfer_type(unsigned channel) const {
  return static_cast<TransferType>((channel_state(channel).mode >> 2) & 3);
}

bool Dma8237::channel_ready(unsigned channel) const {
  if (channel >= kChannels || channel == kCascadeChannel) return false;
  const Controller& c = state_.controllers[channel / 4];
  if ((c.mask >> (channel % 4)) & 1) return false;
  if (c.command & kCommandDisable) return false;
  if (channel < 4) {
    const Controller& dma2 = state_.controllers[1];
    if ((dma2.mask & 1) || (dma2.command & kCommandDisable)) return false;
  }
  return true;
}

void Dma8237::set_device_request(unsigned channel, bool active) {
  if (channel >= kChannels) return;
  Controller& c = state_.controllers[channel / 4];
  const uint8_t bit = static_cast<uint8_t>(1u << (channel % 4));
  c.device_request =
      static_cast<uint8_t>(active ? (c.device_request | bit) : (c.device_request & ~bit));
}

uint32_t Dma8237::current_physical_address(unsigned channel) const {
  const uint32_t page = state_.page[page_port_index(channel)];
  const uint32_t address = channel_state(channel).current_address;
  if (channel < 4) return (page << 16) | address;
  return ((page & 0xFEu) << 16) | (address << 1);
}

bool Dma8237::advance(unsigned channel) {
  Channel& ch = channel_state(channel);
  ch.current_address = static_cast<uint16_t>((ch.mode & kModeDecrement) ? ch.current_address - 1
                                                                        : ch.current_address + 1);
  const bool terminal = ch.current_count == 0;
  ch.current_count = static_cast<uint16_t>(ch.current_count - 1);
  if (!terminal) return false;
  Controller& c = state_.controllers[channel / 4];
  c.terminal_count |= static_cast<uint8_t>(1u << (channel % 4));
  c.request &= static_cast<uint8_t>(~(1u << (channel % 4)));
  if (ch.mode & kModeAutoInit) {
    ch.current_address = ch.base_address;
    ch.current_count = ch.base_count;
  } else {
    c.mask |= static_cast<uint8_t>(1u << (channel % 4));
  }
  return true;
}

template <typename MoveUnit>
Dma8237::Transfer Dma8237::run(unsigned channel, std::size_t size, TransferType wanted,
                               MoveUnit move_unit) {
  Transfer result;
  if (!channel_ready(channel)) return result;
  const std::size_t unit = channel < 4 ? 1 : 2;
  const bool moves_memory = transfer_type(channel) == wanted;
  while (result.bytes < size) {
    const std::size_t n = std::min(unit, size - result.bytes);
    if (moves_memory) move_unit(current_physical_address(channel), result.bytes, n);
    result.bytes += n;
    if (advance(channel)) {
      result.terminal_count = true;
      break;
    }
  }
  return result;
}

Dma8237::Transfer Dma8237::transfer_to_memory(unsigned channel, std::span<const uint8_t> data) {
  return run(channel, data.size(), TransferType::Write,
             [&](uint32_t address, std::size_t offset, std::size_t n) {
               memory_.write_block(address, data.subspan(offset, n));
             });
}

Dma8237::Transfer Dma8237::transfer_from_memory(unsigned channel, std::span<uint8_t> data) {
  const bool reads = channel_ready(channel) && transfer_type(channel) == TransferType::Read;
  const Transfer t = run(channel, data.size(), TransferType::Read,
                         [&](uint32_t address, std::size_t offset, std::size_t n) {
                           memory_.read_block(address, data.subspan(offset, n));
                         });
  if (!reads) {
    // The device latches whatever floats on the bus: all-ones.
    for (std::size_t i = 0; i < t.bytes; ++i) data[i] = 0xFF;
  }
  return t;
}

uint8_t Dma8237::read(uint16_t port) {
  if (port < 0x10) return read_controller(0, port);
  if (port >= 0xC0 && port < 0xE0) {
    if (port & 1) return 0xFF;
    return read_controller(1, (port - 0xC0u) >> 1);
  }
  if (port >= 0x80 && port < 0x90) return state_.page[port - 0x80];
  return 0xFF;
}

void Dma8237::write(uint16_t port, uint8_t value) {
  if (port < 0x10) {
    write_controller(0, port, value);
  } else if (port >= 0xC0 && port < 0xE0) {
    if (!(port & 1)) write_controller(1, (port - 0xC0u) >> 1, value);
  } else if (port >= 0x80 && port < 0x90) {
    state_.page[port - 0x80] = value;
  }
}

uint8_t Dma8237::read_controller(unsigned index, unsigned reg) {
  Controller& c = state_.controllers[index];
  if (reg < 8) {
    const Channel& ch = c.channels[reg >> 1];
    const uint16_t value = (reg & 1) ? ch.current_count : ch.current_address;
    const bool high = c.flip_flop;
    c.flip_flop = !c.flip_flop;
    return static_cast<uint8_t>(high ? value >> 8 : value);
  }
  switch (reg) {
    case 8: {  // status: terminal counts (cleared by the read) and requests
      const uint8_t requests = static_cast<uint8_t>(c.request | c.device_request);
      const uint8_t value = static_cast<uint8_t>((requests << 4) | c.terminal_count);
      c.terminal_count = 0;
      return value;
    }
    case 13:  // temporary register (memory-to-memory only)
      return 0;
    case 15:  // the mask register, as the PIIX's 8237 core reads it back
      return static_cast<uint8_t>(0xF0 | c.mask);
    default:
      return 0xFF;
  }
}

void Dma8237::write_controller(unsigned index, unsigned reg, uint8_t value) {
  Controller& c = state_.controllers[index];
  if (reg < 8) {
    Channel& ch = c.channels[reg >> 1];
    uint16_t& base = (reg & 1) ? ch.base_count : ch.base_address;
    uint16_t& current = (reg & 1) ? ch.current_count : ch.current_address;
    base = c.flip_flop ? static_cast<uint16_t>((base & 0x00FF) | value << 8)
                       : static_cast<uint16_t>((base & 0xFF00) | value);
    current = base;
    c.flip_flop = !c.flip_flop;
    return;
  }
  const uint8_t bit = static_cast<uint8_t>(1u << (value & 3));
  switch (reg) {
    case 8:
      c.command = value;
      break;
    case 9:
      c.request = static_cast<uint8_t>((value & 4) ? (c.request | bit) : (c.request & ~bit));
      break;
    case 10:
      c.mask = static_cast<uint8_t>((value & 4) ? (c.mask | bit) : (c.mask & ~bit));
      break;
    case 11:
      c.channels[value & 3].mode = static_cast<uint8_t>(value & 0xFC);
      break;
    case 12:
      c.flip_flop = false;
      break;
    case 13: {  // master clear: as a hardware reset of this controller
      const uint8_t device_request = c.device_request;
      const auto channels = c.channels;  // addresses and counts survive
      c = Controller{};
      c.channels = channels;
      c.device_request = device_request;
      break;
    }
    case 14:
      c.mask = 0;
      break;
    case 15:
      c.mask = value & 0x0F;
      break;
    default:
      break;
  }
}

}  // namespace x86lab::devices
