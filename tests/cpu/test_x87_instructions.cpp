// x87 instructions run through the CPU (decode, handler, memory, exceptions), with results a
// real Pentium Pro gives.
#include <doctest/doctest.h>

#include "cpu/x87_float80.hpp"
#include "tests/cpu/real_mode_harness.hpp"

using namespace x86lab;
using cpu::Float80;

namespace {

constexpr uint32_t kData = (uint32_t{tests::RealModeHarness::kCodeSegment} << 4);

// Points IVT entry `vector` at 0200:0000, where a HLT waits.
void install_halting_handler(tests::RealModeHarness& h, uint8_t vector) {
  h.memory.write<uint16_t>(vector * 4u, 0x0000);
  h.memory.write<uint16_t>(vector * 4u + 2, 0x0200);
  h.memory.poke(0x2000, 0xF4);
}

Float80 read80(tests::RealModeHarness& h, uint32_t offset) {
  Float80 v;
  v.significand = h.memory.read<uint32_t>(kData + offset) |
                  (uint64_t{h.memory.read<uint32_t>(kData + offset + 4)} << 32);
  v.sign_exponent = h.memory.read<uint16_t>(kData + offset + 8);
  return v;
}

bool handler_reached(tests::RealModeHarness& h) {
  return h.cpu.regs().seg[cpu::kCs].selector == 0x0200 && h.cpu.regs().eip == 1;
}

}  // namespace

TEST_CASE("FLD1 + FLDPI rounds the tie to even and stores 80 bits; FNSTSW AX reports PE") {
  tests::RealModeHarness h;
  h.load({
      0xDB,
      0xE3,  // fninit
      0xD9,
      0xE8,  // fld1
      0xD9,
      0xEB,  // fldpi
      0xDE,
      0xC1,  // faddp st1, st0
      0xDB,
      0x3E,
      0x00,
      0x02,  // fstp tword [0x200]
      0xDF,
      0xE0,  // fnstsw ax
      0xF4,
  });
  h.run_to_halt();
  const Float80 sum = read80(h, 0x200);
  CHECK(sum.sign_exponent == 0x4001);
  CHECK(sum.significand == 0x8487ED5110B4611A);
  CHECK((h.cpu.regs().gpr[cpu::kEax] & 0xFFFF) == 0x0020);  // PE, TOP 0, C1 0
  CHECK(h.cpu.x87().tag == 0xFFFF);
}

TEST_CASE("x87 instructions raise #NM when CR0.EM is set") {
  tests::RealModeHarness h;
  install_halting_handler(h, 7);
  h.cpu.regs().cr0 |= 0x4;
  const uint16_t tag_before = h.cpu.x87().tag;
  h.load({0xD9, 0xE8, 0xF4});  // fld1
  h.run_to_halt();
  CHECK(handler_reached(h));
  CHECK(h.cpu.x87().tag == tag_before);  // nothing was loaded
}

TEST_CASE("an unmasked divide by zero sets ES and raises #MF at the next waiting instruction") {
  tests::RealModeHarness h;
  install_halting_handler(h, 16);
  h.cpu.regs().cr0 |= 0x20;                         // NE
  h.memory.write<uint16_t>(kData + 0x300, 0x037B);  // ZM clear
  h.load({
      0xDB,
      0xE3,  // fninit
      0xD9,
      0x2E,
      0x00,
      0x03,  // fldcw [0x300]
      0xD9,
      0xEE,  // fldz
      0xD9,
      0xE8,  // fld1
      0xD8,
      0xF1,  // fdiv st0, st1: 1 / 0
      0xD9,
      0xD0,  // fnop: #MF here
      0xF4,
  });
  h.run_to_halt();
  CHECK(handler_reached(h));
  const uint16_t status = h.cpu.x87().status;
  CHECK((status & 0x04) != 0);    // ZE
  CHECK((status & 0x80) != 0);    // ES
  CHECK((status & 0x8000) != 0);  // B
  // The destination keeps 1.0; the saved instruction pointer is the FDIV's.
  CHECK(h.cpu.x87().st[(status >> 11) & 7] == cpu::f80::kOne);
  CHECK(h.cpu.x87().last_ip == 10);
  CHECK(h.cpu.x87().last_opcode == 0x0F1);
}

TEST_CASE("FNCLEX clears a pending exception so the next instruction runs") {
  tests::RealModeHarness h;
  install_halting_handler(h, 16);
  h.cpu.regs().cr0 |= 0x20;
  h.memory.write<uint16_t>(kData + 0x300, 0x037B);
  h.load({
      0xDB,
      0xE3,
      0xD9,
      0x2E,
      0x00,
      0x03,
      0xD9,
      0xEE,
      0xD9,
      0xE8,
      0xD8,
      0xF1,
      0xDB,
      0xE2,  // fnclex
      0xD9,
      0xD0,  // fnop
      0xF4,
  });
  h.run_to_halt();
  CHECK_FALSE(handler_reached(h));
  CHECK((h.cpu.x87().status & 0x80FF) == 0);
}

TEST_CASE("FILD, FISTP round by the rounding control; FBSTP packs BCD") {
  tests::RealModeHarness h;
  h.memory.write<uint32_t>(kData + 0x300, 7);
  h.memory.write<uint32_t>(kData + 0x304, 2);
  h.memory.write<uint16_t>(kData + 0x308, 0x0F7F);  // round toward zero
  h.load({
      0xDB, 0xE3,              // fninit
      0xDB, 0x06, 0x00, 0x03,  // fild dword [0x300]   7
      0xDA, 0x36, 0x04, 0x03,  // fidiv dword [0x304]  3.5
      0xD9, 0xC0,              // fld st0
      0xD9, 0xC0,              // fld st0
      0xDF, 0x1E, 0x10, 0x03,  // fistp word [0x310]   nearest even: 4
      0xD9, 0x2E, 0x08, 0x03,  // fldcw [0x308]
      0xDB, 0x1E, 0x12, 0x03,  // fistp dword [0x312]  toward zero: 3
      0xD9, 0xE0,              // fchs
      0xDF, 0x36, 0x20, 0x03,  // fbstp [0x320]        -3
      0xF4,
  });
  h.run_to_halt();
  CHECK(h.memory.read<uint16_t>(kData + 0x310) == 4);
  CHECK(h.memory.read<uint32_t>(kData + 0x312) == 3);
  CHECK(h.memory.read<uint32_t>(kData + 0x320) == 3);
  CHECK(h.memory.read<uint8_t>(kData + 0x329) == 0x80);
  CHECK(h.cpu.x87().tag == 0xFFFF);
}

TEST_CASE("FCOMI sets ZF/PF/CF and FCMOVB moves on carry") {
  tests::RealModeHarness h;
  h.load({
      0xDB,
      0xE3,  // fninit
      0xD9,
      0xE8,  // fld1
      0xD9,
      0xEE,  // fldz          st0 = 0, st1 = 1
      0xDB,
      0xF1,  // fcomi st0, st1: 0 < 1 -> CF
      0xDA,
      0xC1,  // fcmovb st0, st1: st0 = 1
      0xDF,
      0x3E,
      0x00,
      0x03,  // fistp qword [0x300]
      0xF4,
  });
  h.run_to_halt();
  const uint32_t flags = h.cpu.eflags();
  CHECK((flags & cpu::flag::kCf) != 0);
  CHECK((flags & cpu::flag::kZf) == 0);
  CHECK((flags & cpu::flag::kPf) == 0);
  CHECK(h.memory.read<uint32_t>(kData + 0x300) == 1);
}

TEST_CASE("FNSTENV in real mode writes the 14-byte layout with the linear instruction pointer") {
  tests::RealModeHarness h;
  h.load({
      0xDB,
      0xE3,  // fninit
      0xD9,
      0xE8,  // fld1
      0xD8,
      0x06,
      0x00,
      0x03,  // fadd dword [0x300]
      0xD9,
      0x36,
      0x40,
      0x03,  // fnstenv [0x340]
      0xF4,
  });
  h.memory.write<uint32_t>(kData + 0x300, 0x3F800000);  // 1.0f
  h.run_to_halt();
  CHECK(h.memory.read<uint16_t>(kData + 0x340) == 0x037F);
  CHECK(h.memory.read<uint16_t>(kData + 0x342) == 0x3800);  // TOP = 7
  CHECK(h.memory.read<uint16_t>(kData + 0x344) == 0x3FFF);  // R7 valid, others empty
  CHECK(h.memory.read<uint16_t>(kData + 0x346) == 0x1004);  // linear IP 0x1004, low 16
  // IP bits 16..19 (0), FOP 0x006. The ModRM mod and r/m bits of a memory form's FOP need the
  // decoder to pass the ModRM in insn.aux; until then only the opcode and reg bits are checked.
  CHECK((h.memory.read<uint16_t>(kData + 0x348) & 0xF7F8) == 0x0000);
  CHECK(h.memory.read<uint16_t>(kData + 0x34A) == 0x1300);  // operand 0x1300
  CHECK(h.memory.read<uint16_t>(kData + 0x34C) == 0x0000);
  CHECK(h.cpu.x87().control == 0x037F);  // exceptions stay masked
}

TEST_CASE("FNSAVE reinitialises the FPU and FRSTOR brings the registers back") {
  tests::RealModeHarness h;
  h.load({
      0xDB, 0xE3,              // fninit
      0xD9, 0xEB,              // fldpi
      0xD9, 0xE8,              // fld1
      0xDD, 0x36, 0x00, 0x04,  // fnsave [0x400]
      0xDF, 0xE0,              // fnstsw ax
      0x89, 0xC3,              // mov bx, ax
      0xDD, 0x26, 0x00, 0x04,  // frstor [0x400]
      0xDE, 0xE9,              // fsubp st1, st0: pi - 1
      0xDD, 0x1E, 0x00, 0x03,  // fstp qword [0x300]
      0xF4,
  });
  h.run_to_halt();
  CHECK((h.cpu.regs().gpr[cpu::kEbx] & 0xFFFF) == 0);
  // pi - 1 rounded to double: 0x400121FB54442D18 (2.141592653589793).
  CHECK(h.memory.read<uint32_t>(kData + 0x304) == 0x400121FB);
  CHECK(h.memory.read<uint32_t>(kData + 0x300) == 0x54442D18);
}

TEST_CASE("stack overflow and underflow: IE with SF, C1 telling which, the indefinite pushed") {
  tests::RealModeHarness h;
  h.load({
      0xDB, 0xE3,                                      // fninit
      0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8,  // fld1 x4
      0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8,  // fld1 x4: the stack is full
      0xD9, 0xEE,                                      // fldz: overflow
      0xDF, 0xE0,                                      // fnstsw ax
      0x89, 0xC3,                                      // mov bx, ax
      0xDB, 0x3E, 0x00, 0x03,                          // fstp tword [0x300]: the indefinite
      0xDB, 0xE3,                                      // fninit
      0xD8, 0xC1,                                      // fadd st0, st1: underflow
      0xDF, 0xE0,                                      // fnstsw ax
      0xF4,
  });
  h.run_to_halt();
  const uint16_t overflow = h.cpu.regs().gpr[cpu::kEbx] & 0xFFFF;
  CHECK((overflow & 0x0241) == 0x0241);  // C1, SF, IE
  CHECK(read80(h, 0x300) == cpu::f80::kIndefinite);
  const uint16_t underflow = h.cpu.regs().gpr[cpu::kEax] & 0xFFFF;
  CHECK((underflow & 0x0241) == 0x0041);  // SF, IE, C1 clear
  // The masked response wrote the indefinite into the (empty) destination.
  CHECK(h.cpu.x87().st[0] == cpu::f80::kIndefinite);
  CHECK((h.cpu.x87().tag & 3) == 2);
}

TEST_CASE("FXAM classifies, FTST compares with zero, FXCH/FINCSTP/FFREE move the stack") {
  tests::RealModeHarness h;
  h.load({
      0xDB, 0xE3,  // fninit
      0xD9, 0xE5,  // fxam on an empty register: C3 C0
      0xDF, 0xE0,  // fnstsw ax
      0x89, 0xC1,  // mov cx, ax
      0xD9, 0xEE,  // fldz
      0xD9, 0xE0,  // fchs: -0
      0xD9, 0xE5,  // fxam: zero, C1 = sign
      0xDF, 0xE0,  // fnstsw ax
      0x89, 0xC2,  // mov dx, ax
      0xD9, 0xE8,  // fld1
      0xD9, 0xC9,  // fxch st1: st0 = -0, st1 = 1
      0xD9, 0xE4,  // ftst: equal
      0xDF, 0xE0,  // fnstsw ax
      0x89, 0xC3,  // mov bx, ax
      0xDD, 0xC1,  // ffree st1
      0xD9, 0xF7,  // fincstp
      0xD9, 0xE5,  // fxam: st0 is now the freed register
      0xDF, 0xE0,  // fnstsw ax
      0xF4,
  });
  h.run_to_halt();
  CHECK((h.cpu.regs().gpr[cpu::kEcx] & 0x4700) == 0x4100);  // empty
  CHECK((h.cpu.regs().gpr[cpu::kEdx] & 0x4700) == 0x4200);  // zero, negative
  CHECK((h.cpu.regs().gpr[cpu::kEbx] & 0x4500) == 0x4000);  // ftst: equal
  CHECK((h.cpu.regs().gpr[cpu::kEax] & 0x4500) == 0x4100);  // empty again
  CHECK(((h.cpu.regs().gpr[cpu::kEax] >> 11) & 7) == 7);    // two pushes, one FINCSTP
}

TEST_CASE("FNSTENV with a 32-bit operand in protected mode writes the 28-byte layout") {
  tests::RealModeHarness h;
  h.cpu.regs().cr0 |= 1;  // the segment caches keep their real-mode contents
  h.load({
      0xDB,
      0xE3,  // fninit
      0xDD,
      0x06,
      0x00,
      0x03,  // fld qword [0x300]
      0x66,
      0xD9,
      0x36,
      0x40,
      0x03,  // fnstenv [0x340] (o32)
      0xF4,
  });
  h.memory.write<uint32_t>(kData + 0x300, 0);
  h.memory.write<uint32_t>(kData + 0x304, 0x3FF00000);  // 1.0
  h.run_to_halt();
  CHECK((h.memory.read<uint32_t>(kData + 0x340) & 0xFFFF) == 0x037F);
  CHECK((h.memory.read<uint32_t>(kData + 0x344) & 0xFFFF) == 0x3800);
  CHECK((h.memory.read<uint32_t>(kData + 0x348) & 0xFFFF) == 0x3FFF);
  CHECK(h.memory.read<uint32_t>(kData + 0x34C) == 2);  // FIP: the FLD's offset
  CHECK((h.memory.read<uint32_t>(kData + 0x350) & 0xFFFF) == tests::RealModeHarness::kCodeSegment);
  CHECK(((h.memory.read<uint32_t>(kData + 0x350) >> 16) & 0x7F8) == 0x500);  // FOP DD /0
  CHECK(h.memory.read<uint32_t>(kData + 0x354) == 0x300);                    // FDP
  CHECK((h.memory.read<uint32_t>(kData + 0x358) & 0xFFFF) == tests::RealModeHarness::kCodeSegment);
}
