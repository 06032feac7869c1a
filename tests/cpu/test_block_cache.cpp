// The decoded-code cache: Zydis runs once per instruction address, however often the code
// runs, and again only after the code's page is written.
#include <doctest/doctest.h>

#include "tests/cpu/real_mode_harness.hpp"

using namespace x86lab;

namespace {
// mov cx, 1000 / l: add ax, 1 / loop l / hlt
const std::initializer_list<uint8_t> kLoop = {0xB9, 0xE8, 0x03,  // mov cx, 1000
                                              0x83, 0xC0, 0x01,  // add ax, 1
                                              0xE2, 0xFB,        // loop -5
                                              0xF4};             // hlt
constexpr uint64_t kLoopInstructionCount = 4;
}  // namespace

TEST_CASE("a loop run 1000 times is decoded once per instruction address") {
  tests::RealModeHarness h;
  h.load(kLoop);
  const uint64_t retired = h.run_to_halt();
  CHECK(h.cpu.halted());
  CHECK(h.cpu.regs().gpr[cpu::kEax] == 1000);
  CHECK(retired == 1 + 2 * 1000 + 1);
  CHECK(h.cpu.decode_count() == kLoopInstructionCount);
}

TEST_CASE("writing the loop's code page makes it decode again, once per address") {
  tests::RealModeHarness h;
  h.load(kLoop);
  h.run_to_halt();
  REQUIRE(h.cpu.decode_count() == kLoopInstructionCount);

  // A guest-visible write to the page (not to the code itself) still drops the decoded code.
  h.cpu.write_linear<uint8_t>((uint32_t{tests::RealModeHarness::kCodeSegment} << 4) + 0x800, 0x55);
  h.cpu.set_halted(false);
  h.cpu.regs().eip = 0;
  h.cpu.regs().gpr[cpu::kEax] = 0;
  h.run_to_halt();
  CHECK(h.cpu.regs().gpr[cpu::kEax] == 1000);
  CHECK(h.cpu.decode_count() == 2 * kLoopInstructionCount);
}

TEST_CASE("running the same code again does not decode it again") {
  tests::RealModeHarness h;
  h.load(kLoop);
  h.run_to_halt();
  h.cpu.set_halted(false);
  h.cpu.regs().eip = 0;
  h.run_to_halt();
  CHECK(h.cpu.decode_count() == kLoopInstructionCount);
}
