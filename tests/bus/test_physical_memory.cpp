#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "bus/physical_memory.hpp"

using x86lab::bus::CodeWriteObserver;
using x86lab::bus::MmioHandler;
using x86lab::bus::PhysicalMemory;

namespace {

constexpr uint32_t kMiB = 1u << 20;

struct Access {
  bool write;
  uint32_t offset;
  unsigned size;
  uint32_t value;
};

class RecordingMmio final : public MmioHandler {
 public:
  uint32_t mmio_read(uint32_t offset, unsigned size) override {
    log.push_back({false, offset, size, 0});
    return 0xC0DE0000u | offset;
  }
  void mmio_write(uint32_t offset, unsigned size, uint32_t value) override {
    log.push_back({true, offset, size, value});
  }
  std::vector<Access> log;
};

class RecordingObserver final : public CodeWriteObserver {
 public:
  explicit RecordingObserver(PhysicalMemory& memory) : memory_(memory) {}
  void code_written(uint32_t physical, unsigned /*size*/) override {
    const uint32_t page_number = physical >> x86lab::bus::kPageShift;
    pages.push_back(page_number);
    memory_.clear_code_page(page_number);  // as the CPU does once it dropped the blocks
  }
  std::vector<uint32_t> pages;

 private:
  PhysicalMemory& memory_;
};

}  // namespace

TEST_CASE("RAM stores multi-byte values little-endian") {
  PhysicalMemory memory(kMiB);
  memory.write<uint32_t>(0x100, 0x11223344);
  CHECK(memory.read<uint8_t>(0x100) == 0x44);
  CHECK(memory.read<uint8_t>(0x103) == 0x11);
  CHECK(memory.read<uint16_t>(0x101) == 0x2233);
  CHECK(memory.ram()[0x102] == 0x22);
  memory.write<uint16_t>(0x200, 0xBEEF);
  CHECK(memory.read<uint32_t>(0x200) == 0x0000BEEF);
}

TEST_CASE("RAM size is rounded to whole pages and impossible sizes are rejected") {
  PhysicalMemory memory(5000);
  CHECK(memory.ram_size() == 8192);
  CHECK_THROWS_AS(PhysicalMemory(0), std::invalid_argument);
  CHECK_THROWS_AS(PhysicalMemory(uint64_t{4096} * kMiB), std::invalid_argument);
}

TEST_CASE("addresses outside RAM and every region read as all-ones and drop writes") {
  PhysicalMemory memory(kMiB);
  CHECK(memory.read<uint32_t>(2 * kMiB) == 0xFFFFFFFFu);
  CHECK(memory.read<uint8_t>(0xFFFFFFFFu) == 0xFF);
  memory.write<uint32_t>(2 * kMiB, 0);
  CHECK(memory.read<uint32_t>(2 * kMiB) == 0xFFFFFFFFu);
}

TEST_CASE("ROM is read-only to the guest, wins over RAM, and poke loads it") {
  PhysicalMemory memory(kMiB);
  memory.write<uint32_t>(0xF0000, 0xAAAAAAAA);  // RAM under the future ROM
  memory.write<uint8_t>(0xF0004, 0xBB);         // and just after it
  const std::array<uint8_t, 4> image{0x01, 0x02, 0x03, 0x04};
  memory.map_rom(0xF0000, image, "test rom");
  CHECK(memory.read<uint32_t>(0xF0000) == 0x04030201u);
  memory.write<uint8_t>(0xF0000, 0xFF);
  memory.write<uint32_t>(0xF0000, 0xDEADBEEF);
  CHECK(memory.read<uint32_t>(0xF0000) == 0x04030201u);
  memory.poke(0xF0001, 0x99);
  CHECK(memory.read<uint8_t>(0xF0001) == 0x99);
  // The byte after the 4-byte image is RAM again.
  CHECK(memory.read<uint8_t>(0xF0004) == 0xBB);
  memory.unmap(0xF0000, 4);
  CHECK(memory.read<uint32_t>(0xF0000) == 0xAAAAAAAAu);
}

TEST_CASE("ROM above RAM (the top of 4 GiB) is readable") {
  PhysicalMemory memory(kMiB);
  std::vector<uint8_t> image(4096, 0x90);
  image[0xFF0] = 0xEA;
  memory.map_rom(0xFFFFF000u, image, "bios high");
  CHECK(memory.read<uint8_t>(0xFFFFFFF0u) == 0xEA);
  CHECK(memory.read<uint16_t>(0xFFFFFFFEu) == 0x9090);
  const auto view = memory.page_view(0xFFFFF000u);
  REQUIRE(view.host != nullptr);
  CHECK_FALSE(view.writable);
  CHECK(view.host[0xFF0] == 0xEA);
}

TEST_CASE("MMIO accesses reach the handler with region-relative offsets and their width") {
  PhysicalMemory memory(kMiB);
  RecordingMmio mmio;
  memory.map_mmio(0xA0000, 0x1000, mmio, "test mmio");  // inside RAM: the region wins
  CHECK(memory.read<uint32_t>(0xA0020) == 0xC0DE0020u);
  memory.write<uint16_t>(0xA0010, 0x1234);
  memory.write<uint8_t>(0xA0FFF, 0x56);
  REQUIRE(mmio.log.size() == 3);
  CHECK_FALSE(mmio.log[0].write);
  CHECK(mmio.log[0].offset == 0x20);
  CHECK(mmio.log[0].size == 4);
  CHECK(mmio.log[1].write);
  CHECK(mmio.log[1].offset == 0x10);
  CHECK(mmio.log[1].size == 2);
  CHECK(mmio.log[1].value == 0x1234);
  CHECK(mmio.log[2].offset == 0xFFF);
  CHECK(mmio.log[2].size == 1);
  CHECK(mmio.log[2].value == 0x56);
  CHECK(memory.page_view(0xA0000).host == nullptr);
  // RAM next to the region is untouched by it.
  memory.write<uint8_t>(0xA1000, 7);
  CHECK(memory.read<uint8_t>(0xA1000) == 7);
  CHECK(mmio.log.size() == 3);
}

TEST_CASE("accesses that cross a page boundary read and write every byte in order") {
  PhysicalMemory memory(kMiB);
  memory.write<uint32_t>(0x0FFE, 0xAABBCCDD);
  CHECK(memory.ram()[0x0FFE] == 0xDD);
  CHECK(memory.ram()[0x0FFF] == 0xCC);
  CHECK(memory.ram()[0x1000] == 0xBB);
  CHECK(memory.ram()[0x1001] == 0xAA);
  CHECK(memory.read<uint32_t>(0x0FFE) == 0xAABBCCDDu);
  CHECK(memory.read<uint16_t>(0x0FFF) == 0xBBCC);
}

TEST_CASE("a write crossing from RAM into ROM changes only the RAM bytes") {
  PhysicalMemory memory(kMiB);
  const std::vector<uint8_t> image(4096, 0x11);
  memory.map_rom(0x2000, image, "rom");
  memory.write<uint32_t>(0x1FFE, 0xAABBCCDD);
  CHECK(memory.read<uint32_t>(0x1FFE) == 0x1111CCDDu);
}

TEST_CASE("bulk transfers move bytes through the same map") {
  PhysicalMemory memory(kMiB);
  const std::array<uint8_t, 5> in{1, 2, 3, 4, 5};
  memory.write_block(0x0FFD, in);
  std::array<uint8_t, 5> out{};
  memory.read_block(0x0FFD, out);
  CHECK(out == in);
}

TEST_CASE("writing a page that holds decoded code tells the observer once, then runs fast") {
  PhysicalMemory memory(kMiB);
  RecordingObserver observer(memory);
  memory.set_code_observer(&observer);
  memory.mark_code_page(0x3000);
  CHECK(memory.is_code_page(0x3FFF));
  CHECK_FALSE(memory.is_code_page(0x4000));
  CHECK_FALSE(memory.page_view(0x3000).writable);
  CHECK(memory.page_view(0x4000).writable);

  memory.write<uint8_t>(0x5000, 1);  // not a code page
  CHECK(observer.pages.empty());

  memory.write<uint32_t>(0x3010, 0x01020304);
  REQUIRE(observer.pages.size() == 1);
  CHECK(observer.pages[0] == 3);
  CHECK(memory.read<uint32_t>(0x3010) == 0x01020304u);  // the write itself happened
  CHECK_FALSE(memory.is_code_page(0x3000));

  memory.write<uint8_t>(0x3011, 9);  // the observer cleared the flag
  CHECK(observer.pages.size() == 1);
  memory.set_code_observer(nullptr);
}

TEST_CASE("a page-crossing write into a code page reports that page") {
  PhysicalMemory memory(kMiB);
  RecordingObserver observer(memory);
  memory.set_code_observer(&observer);
  memory.mark_code_page(0x7000);
  memory.write<uint16_t>(0x6FFF, 0xABCD);
  REQUIRE(observer.pages.size() == 1);
  CHECK(observer.pages[0] == 7);
  CHECK(memory.read<uint16_t>(0x6FFF) == 0xABCD);
  memory.set_code_observer(nullptr);
}
