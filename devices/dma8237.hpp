// The PC/AT's two 8237A DMA controllers and their page registers.
//
// DMA1 (ports 0x00-0x0F) serves the 8-bit channels 0-3: a channel addresses bytes, its 16-bit
// address counter wraps inside the 64 KiB page its page register selects. DMA2 (ports
// 0xC0-0xDF, one register every second port) serves the 16-bit channels 4-7: a channel
// addresses words, page bit 0 is ignored, and the counter wraps inside a 128 KiB block.
// Channel 4 cascades DMA1: while it is masked, channels 0-3 cannot transfer (the BIOS sets
// it to cascade mode and unmasks it). The page registers live at 0x80-0x8F (channel 2 at
// 0x81, 3 at 0x82, 1 at 0x83, 0 at 0x87, 6 at 0x89, 7 at 0x8A, 5 at 0x8B); the other ports
// there are plain storage, 0x80 included (the POST-code port), unless the machine leaves
// 0x80 to a POST display.
//
// Implemented: base/current address and count with the byte-pointer flip-flop, mode
// (verify/write/read, auto-initialise, address decrement; demand/single/block behave alike
// here because the device drives the transfer), single/all/clear mask, software requests,
// status (terminal count flags cleared on read, request bits), master clear, controller
// disable, temporary register reads as zero. Not implemented: memory-to-memory transfers
// (channel 0/1 on DMA1; never used on a PC) and the PIIX high page registers.
//
// Devices move data with transfer_to_memory/transfer_from_memory; memory is reached through
// bus::PhysicalMemory, whose bounds checks make any address safe (outside RAM, reads are
// all-ones and writes dropped).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "bus/io_space.hpp"
#include "bus/physical_memory.hpp"

namespace x86lab::devices {

class Dma8237 {
 public:
  static constexpr unsigned kChannels = 8;
  static constexpr unsigned kCascadeChannel = 4;

  // Mode register fields.
  enum class TransferType : uint8_t { Verify = 0, Write = 1, Read = 2, Illegal = 3 };
  static constexpr uint8_t kModeAutoInit = 0x10, kModeDecrement = 0x20;

  struct Channel {
    uint16_t base_address = 0;
    uint16_t base_count = 0;
    uint16_t current_address = 0;
    uint16_t current_count = 0;
    uint8_t mode = 0;  // bits 7-2 of the mode register
  };
  struct Controller {
    std::array<Channel, 4> channels{};
    uint8_t command = 0;
    uint8_t terminal_count = 0;  // status bits 3-0
    uint8_t request = 0;         // software requests, bits 3-0
    uint8_t device_request = 0;  // DREQ lines from devices, bits 3-0
    uint8_t mask = 0x0F;         // bits 3-0
    bool flip_flop = false;      // false: the next byte is the low one
  };
  struct State {
    std::array<Controller, 2> controllers{};  // [0] DMA1 (channels 0-3), [1] DMA2 (4-7)
    std::array<uint8_t, 16> page{};           // ports 0x80-0x8F
  };

  // What a transfer did: bytes moved (or skipped, for verify), and whether the channel
  // reached terminal count (its count ran out), which ends the device's transfer.
  struct Transfer {
    std::size_t bytes = 0;
    bool terminal_count = false;
  };

  explicit Dma8237(bus::PhysicalMemory& memory) : memory_(memory) { reset(); }
  Dma8237(const Dma8237&) = delete;
  Dma8237& operator=(const Dma8237&) = delete;

  // Claims 0x00-0x0F, 0xC0-0xDF and the page registers 0x81-0x8F, plus 0x80 when
  // claim_port_80 (leave it false when something else shows POST codes there).
  void register_ports(bus::IoSpace& io, bool claim_port_80 = true);
  void reset();

  // Device side. The device writes data into guest memory (a DMA "write" transfer: disk
  // read) or reads from it (a "read" transfer: disk write). Transfers stop at terminal count
  // or when the span is done; a masked channel, a disabled controller or a channel
  // programmed for the other direction moves no memory (the latter still counts, as a
  // verify does: the device sees the count run). On 16-bit channels a unit is a word; an
  // odd final byte takes a whole unit.
  Transfer transfer_to_memory(unsigned channel, std::span<const uint8_t> data);
  Transfer transfer_from_memory(unsigned channel, std::span<uint8_t> data);
  // Whether a transfer on channel would move anything now (unmasked, controller enabled,
  // and for channels 0-3 the cascade channel unmasked).
  bool channel_ready(unsigned channel) const;
  // The device's DREQ line, shown in the status register.
  void set_device_request(unsigned channel, bool active);

  // Physical address of the channel's next unit.
  uint32_t current_physical_address(unsigned channel) const;
  TransferType transfer_type(unsigned channel) const;

  uint8_t read(uint16_t port);
  void write(uint16_t port, uint8_t value);

  const State& state() const { return state_; }

 private:
  static unsigned page_port_index(unsigned channel);
  Channel& channel_state(unsigned channel) {
    return state_.controllers[channel / 4].channels[channel % 4];
  }
  const Channel& channel_state(unsigned channel) const {
    return state_.controllers[channel / 4].channels[channel % 4];
  }
  // Steps the channel after one unit; returns true at terminal count.
  bool advance(unsigned channel);
  template <typename MoveUnit>
  Transfer run(unsigned channel, std::size_t size, TransferType wanted, MoveUnit move_unit);
  uint8_t read_controller(unsigned index, unsigned reg);
  void write_controller(unsigned index, unsigned reg, uint8_t value);

  bus::PhysicalMemory& memory_;
  State state_;
};

}  // namespace x86lab::devices
