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

TEST_CASE("writing the loop's code makes it decode again, once per address") {
  tests::RealModeHarness h;
  h.load(kLoop);
  h.run_to_halt();
  REQUIRE(h.cpu.decode_count() == kLoopInstructionCount);

  // The guest rewrites its code with the same bytes: still a write to decoded code, so every
  // instruction is decoded again, once.
  uint32_t at = uint32_t{tests::RealModeHarness::kCodeSegment} << 4;
  for (uint8_t byte : kLoop) h.cpu.write_linear<uint8_t>(at++, byte);
  h.cpu.set_halted(false);
  h.cpu.regs().eip = 0;
  h.cpu.regs().gpr[cpu::kEax] = 0;
  h.run_to_halt();
  CHECK(h.cpu.regs().gpr[cpu::kEax] == 1000);
  CHECK(h.cpu.decode_count() == 2 * kLoopInstructionCount);
}

TEST_CASE("writing one instruction decodes only that instruction again") {
  tests::RealModeHarness h;
  h.load(kLoop);
  h.run_to_halt();
  // The ADD's immediate: 1 -> 2.
  h.cpu.write_linear<uint8_t>((uint32_t{tests::RealModeHarness::kCodeSegment} << 4) + 5, 0x02);
  h.cpu.set_halted(false);
  h.cpu.regs().eip = 0;
  h.cpu.regs().gpr[cpu::kEax] = 0;
  h.run_to_halt();
  CHECK(h.cpu.regs().gpr[cpu::kEax] == 2000);
  CHECK(h.cpu.decode_count() == kLoopInstructionCount + 1);
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

TEST_CASE("data written next to code, on the same page, does not drop the decoded code") {
  tests::RealModeHarness h;
  h.load(kLoop);
  h.run_to_halt();
  REQUIRE(h.cpu.decode_count() == kLoopInstructionCount);
  // A different 64-byte line of the same page, as a stack or variables next to code.
  h.cpu.write_linear<uint16_t>((uint32_t{tests::RealModeHarness::kCodeSegment} << 4) + 0x800,
                               0x5555);
  h.cpu.set_halted(false);
  h.cpu.regs().eip = 0;
  h.run_to_halt();
  CHECK(h.cpu.decode_count() == kLoopInstructionCount);
}

TEST_CASE("a loop that pushes onto its own code page keeps its decoded code") {
  tests::RealModeHarness h;
  // Stack inside the code page, well away from the code: SS = CS, SP = 0x0F00.
  h.cpu.load_segment_real(cpu::kSs, tests::RealModeHarness::kCodeSegment);
  h.cpu.regs().gpr[cpu::kEsp] = 0x0F00;
  h.load({0xB9, 0xE8, 0x03,  // mov cx, 1000
          0x50,              // l: push ax
          0x58,              // pop ax
          0xE2, 0xFC,        // loop l
          0xF4});
  h.run_to_halt();
  CHECK(h.cpu.halted());
  CHECK(h.cpu.decode_count() == 5);
}
