// Paging through the MMU: translation, A/D bits, #PF error codes and CR2, the TLB kept
// coherent by INVLPG and CR3 loads, and 4 MiB pages.
#include <doctest/doctest.h>

#include <functional>

#include "bus/physical_memory.hpp"
#include "mmu/mmu.hpp"

using namespace x86lab;

namespace {
constexpr uint32_t kDirectory = 0x10000;
constexpr uint32_t kTable = 0x11000;

struct PagedMemory {
  PagedMemory() : memory(8 << 20), mmu(memory, cr2) {
    memory.write<uint32_t>(kDirectory, kTable | 0x7);  // PDE 0: user, writable, present
    mmu::PagingConfig config;
    config.enabled = true;
    config.cr3 = kDirectory;
    mmu.configure(config);
  }
  void map(uint32_t linear_page, uint32_t physical_page, uint32_t flags) {
    memory.write<uint32_t>(kTable + ((linear_page >> 12) & 0x3FF) * 4, physical_page | flags);
  }
  // CR4.PSE (and PGE) on, as the 4 MiB page tests need.
  void enable_large_pages(bool pge = false) {
    mmu::PagingConfig config;
    config.enabled = true;
    config.pse = true;
    config.pge = pge;
    config.cr3 = kDirectory;
    mmu.configure(config);
  }
  uint32_t pte(uint32_t linear_page) {
    return memory.read<uint32_t>(kTable + ((linear_page >> 12) & 0x3FF) * 4);
  }
  uint32_t cr2 = 0;
  bus::PhysicalMemory memory;
  mmu::Mmu mmu;
};

uint32_t fault_code(const std::function<void()>& f) {
  try {
    f();
  } catch (const mmu::CpuFault& fault) {
    CHECK(fault.vector == 14);
    return fault.error_code;
  }
  FAIL("no page fault");
  return 0xFFFFFFFF;
}
}  // namespace

TEST_CASE("a mapped page translates and sets the accessed and dirty bits") {
  PagedMemory p;
  p.map(0x5000, 0x200000, 0x3);  // supervisor, writable
  p.memory.write<uint32_t>(0x200010, 0xDEADBEEF);
  CHECK(p.mmu.read<uint32_t>(0x5010, false) == 0xDEADBEEF);
  CHECK((p.pte(0x5000) & 0x60) == 0x20);  // accessed, not dirty
  p.mmu.write<uint32_t>(0x5020, 0x12345678, false);
  CHECK(p.memory.read<uint32_t>(0x200020) == 0x12345678);
  CHECK((p.pte(0x5000) & 0x60) == 0x60);  // dirty after the write
}

TEST_CASE("page faults carry the SDM error code and set CR2") {
  PagedMemory p;
  p.map(0x6000, 0x300000, 0x1);  // supervisor, read-only
  // Not present, user read: P=0, W=0, U=1.
  CHECK(fault_code([&] { p.mmu.read<uint8_t>(0x7004, true); }) == 0x4);
  CHECK(p.cr2 == 0x7004);
  // Supervisor page from user mode: P=1, U=1.
  CHECK(fault_code([&] { p.mmu.read<uint8_t>(0x6008, true); }) == 0x5);
  // User write to a read-only supervisor page: P=1, W=1, U=1.
  CHECK(fault_code([&] { p.mmu.write<uint8_t>(0x6008, 1, true); }) == 0x7);
  CHECK(p.cr2 == 0x6008);
}

TEST_CASE("CR0.WP makes read-only pages read-only for the supervisor too") {
  PagedMemory p;
  p.map(0x6000, 0x300000, 0x1);
  p.mmu.write<uint8_t>(0x6000, 0x11, false);  // WP=0: allowed
  CHECK(p.memory.read<uint8_t>(0x300000) == 0x11);
  mmu::PagingConfig config;
  config.enabled = true;
  config.write_protect = true;
  config.cr3 = kDirectory;
  p.mmu.configure(config);
  CHECK(fault_code([&] { p.mmu.write<uint8_t>(0x6000, 0x22, false); }) == 0x3);
}

TEST_CASE("the TLB keeps a stale mapping until INVLPG, as the hardware does") {
  PagedMemory p;
  p.map(0x8000, 0x200000, 0x3);
  p.memory.write<uint8_t>(0x200000, 0xAA);
  p.memory.write<uint8_t>(0x210000, 0xBB);
  CHECK(p.mmu.read<uint8_t>(0x8000, false) == 0xAA);
  p.map(0x8000, 0x210000, 0x3);
  CHECK(p.mmu.read<uint8_t>(0x8000, false) == 0xAA);  // cached translation
  p.mmu.invalidate_page(0x8000);
  CHECK(p.mmu.read<uint8_t>(0x8000, false) == 0xBB);
}

TEST_CASE("4 MiB pages map with PSE") {
  PagedMemory p;
  p.memory.write<uint32_t>(kDirectory + 1 * 4, 0x00400000 | 0x83);  // PDE 1: 4 MiB at 4 MiB
  p.enable_large_pages();
  p.memory.write<uint16_t>(0x00412346, 0xBEEF);
  // Linear 0x00412346 lies in the 4 MiB page at 4 MiB, mapped to physical 4 MiB: identity.
  CHECK(p.mmu.read<uint16_t>(0x00412346, false) == 0xBEEF);
}

TEST_CASE("an access that crosses into an unmapped page faults before writing anything") {
  PagedMemory p;
  p.map(0x9000, 0x200000, 0x3);
  p.memory.write<uint32_t>(0x200FFC, 0);
  CHECK(fault_code([&] { p.mmu.write<uint32_t>(0x9FFE, 0xFFFFFFFF, false); }) == 0x2);
  CHECK(p.cr2 == 0xA000);
  CHECK(p.memory.read<uint32_t>(0x200FFC) == 0);
}

// The generation tells the CPU's block links and jump cache that translations of code may have
// changed. INVLPG of a page no code was fetched through in this generation leaves it alone;
// of a code page (or of any page in a 4 MiB page code came through) it moves on.
TEST_CASE("INVLPG moves the generation only for pages code was fetched through") {
  PagedMemory p;
  p.map(0x8000, 0x200000, 0x3);  // code
  p.map(0x9000, 0x201000, 0x3);  // data
  CHECK(p.mmu.translate_fetch(0x8010, false) == 0x200010);
  CHECK(p.mmu.read<uint8_t>(0x9000, false) == 0);
  const uint64_t before = p.mmu.generation();
  p.mmu.invalidate_page(0x9000);
  CHECK(p.mmu.generation() == before);
  p.map(0x9000, 0x202000, 0x3);
  p.mmu.invalidate_page(0x9000);  // the data page still refills from the new PTE
  p.memory.write<uint8_t>(0x202000, 0x5A);
  CHECK(p.mmu.read<uint8_t>(0x9000, false) == 0x5A);
  CHECK(p.mmu.generation() == before);
  p.mmu.invalidate_page(0x8000);
  CHECK(p.mmu.generation() > before);
  // A new generation starts with no page marked: INVLPG of the old code page keeps it.
  const uint64_t after = p.mmu.generation();
  p.mmu.invalidate_page(0x8000);
  CHECK(p.mmu.generation() == after);
}

TEST_CASE("INVLPG of any address in a 4 MiB code page moves the generation and drops it all") {
  PagedMemory p;
  p.memory.write<uint32_t>(kDirectory + 1 * 4, 0x00400000 | 0x83);  // 4 MiB at 4 MiB
  p.enable_large_pages();
  CHECK(p.mmu.translate_fetch(0x00401000, false) == 0x00401000);
  p.memory.write<uint8_t>(0x00523000, 0x11);
  p.memory.write<uint8_t>(0x00123000, 0x22);
  CHECK(p.mmu.read<uint8_t>(0x00523000, false) == 0x11);
  const uint64_t before = p.mmu.generation();
  p.memory.write<uint32_t>(kDirectory + 1 * 4, 0x00000000 | 0x83);  // now 4 MiB at 0
  p.mmu.invalidate_page(0x00700000);  // another 4 KiB of the same large page
  CHECK(p.mmu.generation() > before);
  CHECK(p.mmu.read<uint8_t>(0x00523000, false) == 0x22);  // the whole large page was dropped
}

// The TLB holds a 4 MiB page as 4 KiB pieces; INVLPG anywhere in it drops them all, however
// the generation moved since (here an INVLPG of a code page in between).
TEST_CASE("INVLPG drops a whole 4 MiB page after other invalidations moved the generation") {
  PagedMemory p;
  p.memory.write<uint32_t>(kDirectory + 1 * 4, 0x00400000 | 0x83);  // 4 MiB at 4 MiB
  p.enable_large_pages();
  p.map(0x8000, 0x200000, 0x3);
  p.memory.write<uint8_t>(0x00523000, 0x11);
  p.memory.write<uint8_t>(0x00123000, 0x22);
  CHECK(p.mmu.read<uint8_t>(0x00523000, false) == 0x11);
  CHECK(p.mmu.translate_fetch(0x8010, false) == 0x200010);
  const uint64_t before = p.mmu.generation();
  p.mmu.invalidate_page(0x8000);  // a code page: a new generation
  CHECK(p.mmu.generation() > before);
  p.memory.write<uint32_t>(kDirectory + 1 * 4, 0x00000000 | 0x83);  // now 4 MiB at 0
  p.mmu.invalidate_page(0x00700000);
  CHECK(p.mmu.read<uint8_t>(0x00523000, false) == 0x22);
}

// A CR3 load with PGE keeps global entries, 4 MiB pieces too: INVLPG must still drop those.
TEST_CASE("INVLPG drops a global 4 MiB page that a non-global flush kept") {
  PagedMemory p;
  p.memory.write<uint32_t>(kDirectory + 1 * 4, 0x00400000 | 0x183);  // global 4 MiB at 4 MiB
  p.enable_large_pages(true);
  p.memory.write<uint8_t>(0x00523000, 0x11);
  p.memory.write<uint8_t>(0x00123000, 0x22);
  CHECK(p.mmu.read<uint8_t>(0x00523000, false) == 0x11);
  p.mmu.flush_non_global();
  p.memory.write<uint32_t>(kDirectory + 1 * 4, 0x00000000 | 0x183);  // now 4 MiB at 0
  CHECK(p.mmu.read<uint8_t>(0x00523000, false) == 0x11);             // kept: it is global
  p.mmu.invalidate_page(0x00700000);
  CHECK(p.mmu.read<uint8_t>(0x00523000, false) == 0x22);
}
