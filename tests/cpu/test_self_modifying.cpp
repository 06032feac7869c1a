// Self-modifying code: a store into the very next instruction must take effect, as on every
// x86 since the Pentium (the write is seen even though the instruction was already fetched).
#include <doctest/doctest.h>

#include "tests/cpu/real_mode_harness.hpp"

using namespace x86lab;

TEST_CASE("an instruction that patches the next instruction's immediate runs the new bytes") {
  tests::RealModeHarness h;
  h.load({
      0xC6, 0x06, 0x06, 0x00, 0x42,  // mov byte [0x0006], 0x42   (the immediate below)
      0xB0, 0x00,                    // mov al, 0x00  -> patched to mov al, 0x42
      0xF4,                          // hlt
  });
  h.run_to_halt();
  CHECK(h.cpu.halted());
  CHECK((h.cpu.regs().gpr[cpu::kEax] & 0xFF) == 0x42);
}

TEST_CASE("an instruction that replaces the next opcode runs the new instruction") {
  tests::RealModeHarness h;
  h.load({
      0xC6, 0x06, 0x05, 0x00, 0x40,  // mov byte [0x0005], 0x40 (INC AX) over the NOP below
      0x90,                          // nop -> inc ax
      0xF4,                          // hlt
  });
  h.cpu.regs().gpr[cpu::kEax] = 7;
  h.run_to_halt();
  CHECK(h.cpu.regs().gpr[cpu::kEax] == 8);
}

TEST_CASE("code patched inside a loop is seen on the next iteration") {
  tests::RealModeHarness h;
  h.load({
      0xB9, 0x03, 0x00,        // mov cx, 3
      0xFE, 0x06, 0x09, 0x00,  // l: inc byte [0x0009]   (the immediate of add)
      0x83, 0xC3, 0x00,        // add bx, 0 -> 1, 2, 3 over the iterations
      0xE2, 0xF7,              // loop l
      0xF4,                    // hlt
  });
  h.run_to_halt();
  // add bx, 1 then add bx, 2 then add bx, 3
  CHECK(h.cpu.regs().gpr[cpu::kEbx] == 6);
}
