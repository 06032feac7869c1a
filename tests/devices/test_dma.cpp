#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "bus/io_space.hpp"
#include "bus/physical_memory.hpp"
#include "devices/dma8237.hpp"

using namespace x86lab;
using devices::Dma8237;

namespace {

struct Bench {
  bus::PhysicalMemory memory{1 << 20};
  bus::IoSpace io;
  Dma8237 dma{memory};
  Bench() {
    dma.register_ports(io);
    io.write(0xD6, 1, 0xC0);  // channel 4: cascade mode
    io.write(0xD4, 1, 0x00);  // unmask channel 4
  }
  void out(uint16_t port, uint8_t v) { io.write(port, 1, v); }
  uint8_t in(uint16_t port) { return static_cast<uint8_t>(io.read(port, 1)); }

  // Programs an 8-bit channel (0-3) as a BIOS does.
  void program8(unsigned ch, uint8_t mode, uint32_t address, uint16_t count) {
    static constexpr uint16_t kPage[] = {0x87, 0x83, 0x81, 0x82};
    out(0x0A, static_cast<uint8_t>(0x04 | ch));  // mask
    out(0x0C, 0);                                // flip-flop
    out(0x0B, static_cast<uint8_t>(mode | ch));
    out(static_cast<uint16_t>(ch * 2), static_cast<uint8_t>(address));
    out(static_cast<uint16_t>(ch * 2), static_cast<uint8_t>(address >> 8));
    out(kPage[ch], static_cast<uint8_t>(address >> 16));
    out(static_cast<uint16_t>(ch * 2 + 1), static_cast<uint8_t>(count));
    out(static_cast<uint16_t>(ch * 2 + 1), static_cast<uint8_t>(count >> 8));
    out(0x0A, static_cast<uint8_t>(ch));  // unmask
  }
  // Programs a 16-bit channel (5-7) with a word address.
  void program16(unsigned ch, uint8_t mode, uint8_t page, uint16_t word_address,
                 uint16_t word_count) {
    static constexpr uint16_t kPage[] = {0x8F, 0x8B, 0x89, 0x8A};
    const unsigned c = ch - 4;
    out(0xD4, static_cast<uint8_t>(0x04 | c));
    out(0xD8, 0);
    out(0xD6, static_cast<uint8_t>(mode | c));
    out(static_cast<uint16_t>(0xC0 + c * 4), static_cast<uint8_t>(word_address));
    out(static_cast<uint16_t>(0xC0 + c * 4), static_cast<uint8_t>(word_address >> 8));
    out(kPage[c], page);
    out(static_cast<uint16_t>(0xC2 + c * 4), static_cast<uint8_t>(word_count));
    out(static_cast<uint16_t>(0xC2 + c * 4), static_cast<uint8_t>(word_count >> 8));
    out(0xD4, static_cast<uint8_t>(c));
  }
};

std::vector<uint8_t> ramp(std::size_t n, uint8_t start = 0) {
  std::vector<uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(start + i);
  return v;
}

}  // namespace

TEST_CASE("dma channel 2 writes a sector to memory and stops at terminal count") {
  Bench b;
  b.program8(2, 0x44, 0x12345, 511);  // single mode, write (device to memory)
  const auto data = ramp(600, 1);
  const auto t = b.dma.transfer_to_memory(2, data);
  CHECK(t.bytes == 512);
  CHECK(t.terminal_count);
  CHECK(b.memory.read<uint8_t>(0x12345) == 1);
  CHECK(b.memory.read<uint8_t>(0x12345 + 511) == static_cast<uint8_t>(512));
  CHECK(b.memory.read<uint8_t>(0x12345 + 512) == 0);
  // Status: TC for channel 2, cleared by the read.
  CHECK((b.in(0x08) & 0x0F) == 0x04);
  CHECK((b.in(0x08) & 0x0F) == 0x00);
  // Current address and count read back through the flip-flop.
  b.out(0x0C, 0);
  const uint16_t address = static_cast<uint16_t>(b.in(0x04) | b.in(0x04) << 8);
  const uint16_t count = static_cast<uint16_t>(b.in(0x05) | b.in(0x05) << 8);
  CHECK(address == static_cast<uint16_t>(0x2345 + 512));
  CHECK(count == 0xFFFF);
  // Without auto-init the channel masks itself: nothing more moves.
  CHECK_FALSE(b.dma.channel_ready(2));
  CHECK(b.dma.transfer_to_memory(2, data).bytes == 0);
  CHECK((b.in(0x0F) & 0x04) == 0x04);
}

TEST_CASE("dma auto-init reloads address and count at terminal count") {
  Bench b;
  b.program8(1, 0x54, 0x20000, 3);  // auto-init, write
  const auto first = b.dma.transfer_to_memory(1, ramp(8, 0x10));
  CHECK(first.bytes == 4);
  CHECK(first.terminal_count);
  CHECK(b.dma.channel_ready(1));
  const auto second = b.dma.transfer_to_memory(1, ramp(4, 0x80));
  CHECK(second.bytes == 4);
  CHECK(b.memory.read<uint32_t>(0x20000) == 0x83828180u);
}

TEST_CASE("dma 8-bit address wraps inside its 64 KiB page") {
  Bench b;
  b.program8(3, 0x44, 0x1FFFE, 3);
  CHECK(b.dma.transfer_to_memory(3, ramp(4, 0xA0)).bytes == 4);
  CHECK(b.memory.read<uint8_t>(0x1FFFE) == 0xA0);
  CHECK(b.memory.read<uint8_t>(0x1FFFF) == 0xA1);
  CHECK(b.memory.read<uint8_t>(0x10000) == 0xA2);  // not 0x20000: the page does not carry
  CHECK(b.memory.read<uint8_t>(0x10001) == 0xA3);
  CHECK(b.memory.read<uint8_t>(0x20000) == 0);
}

TEST_CASE("dma 16-bit channel addresses words and wraps inside 128 KiB") {
  Bench b;
  // Page 0x03: bit 0 ignored, so the block is 0x20000-0x3FFFF; word address 0xFFFF = 0x3FFFE.
  b.program16(5, 0x44, 0x03, 0xFFFF, 1);  // two words
  CHECK(b.dma.current_physical_address(5) == 0x3FFFE);
  const auto t = b.dma.transfer_to_memory(5, ramp(6, 0x40));
  CHECK(t.bytes == 4);
  CHECK(t.terminal_count);
  CHECK(b.memory.read<uint16_t>(0x3FFFE) == 0x4140);
  CHECK(b.memory.read<uint16_t>(0x20000) == 0x4342);
  CHECK((b.in(0xD0) & 0x0F) == 0x02);  // TC of channel 5 in DMA2's status
}

TEST_CASE("dma read transfer copies memory to the device, decrementing when asked") {
  Bench b;
  for (uint32_t i = 0; i < 8; ++i) b.memory.write<uint8_t>(0x30000 + i, static_cast<uint8_t>(i));
  b.program8(2, 0x48, 0x30000, 7);  // single, read (memory to device)
  std::array<uint8_t, 8> out{};
  CHECK(b.dma.transfer_from_memory(2, out).bytes == 8);
  CHECK(out[0] == 0);
  CHECK(out[7] == 7);
  b.program8(2, 0x68, 0x30007, 3);  // read, address decrement
  std::array<uint8_t, 4> back{};
  CHECK(b.dma.transfer_from_memory(2, back).terminal_count);
  CHECK(back == std::array<uint8_t, 4>{7, 6, 5, 4});
}

TEST_CASE("dma moves nothing on a masked channel or behind a masked cascade") {
  Bench b;
  b.program8(2, 0x44, 0x5000, 511);
  b.out(0x0A, 0x06);  // mask channel 2
  CHECK(b.dma.transfer_to_memory(2, ramp(16, 1)).bytes == 0);
  b.out(0x0A, 0x02);
  b.out(0xD4, 0x04);  // mask the cascade: DMA1 loses the bus
  CHECK_FALSE(b.dma.channel_ready(2));
  CHECK(b.dma.transfer_to_memory(2, ramp(16, 1)).bytes == 0);
  b.out(0xD4, 0x00);
  b.out(0x08, 0x04);  // controller disable
  CHECK(b.dma.transfer_to_memory(2, ramp(16, 1)).bytes == 0);
  b.out(0x08, 0x00);
  CHECK(b.dma.transfer_to_memory(2, ramp(16, 1)).bytes == 16);
  CHECK(b.memory.read<uint8_t>(0x5000) == 1);
}

TEST_CASE("dma transfer against the programmed direction counts but leaves memory alone") {
  Bench b;
  b.program8(2, 0x48, 0x6000, 15);  // read from memory, but the device writes
  const auto t = b.dma.transfer_to_memory(2, ramp(16, 0x11));
  CHECK(t.bytes == 16);
  CHECK(t.terminal_count);
  CHECK(b.memory.read<uint8_t>(0x6000) == 0);
}

TEST_CASE("dma master clear masks all channels and resets the flip-flop") {
  Bench b;
  b.program8(2, 0x44, 0x7000, 10);
  b.out(0x04, 0x34);  // leaves the flip-flop on the high byte
  b.out(0x0D, 0);
  CHECK((b.in(0x0F) & 0x0F) == 0x0F);
  b.out(0x04, 0x78);  // low byte again after the clear
  b.out(0x04, 0x56);
  CHECK(b.dma.state().controllers[0].channels[2].base_address == 0x5678);
  // Page registers are plain storage, port 0x80 included.
  b.out(0x80, 0x3C);
  CHECK(b.in(0x80) == 0x3C);
}
