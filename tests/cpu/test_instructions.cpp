// Behaviour the SingleStepTests do not cover: 32-bit operands in real mode, exception delivery
// through the IVT on the later models, and flags a real CPU gives for known operands.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "tests/cpu/real_mode_harness.hpp"

using namespace x86lab;
using cpu::CpuModel;

namespace {
// Points IVT entry `vector` at 0200:0000, where a HLT waits.
void install_halting_handler(tests::RealModeHarness& h, uint8_t vector) {
  h.memory.write<uint16_t>(vector * 4u, 0x0000);
  h.memory.write<uint16_t>(vector * 4u + 2, 0x0200);
  h.memory.poke(0x2000, 0xF4);
}
}  // namespace

TEST_CASE("32-bit operand and address size prefixes work in real mode on a 386") {
  tests::RealModeHarness h(CpuModel::I80386);
  h.load({
      0x66, 0xB8, 0x78, 0x56, 0x34, 0x12,  // mov eax, 0x12345678
      0x66, 0x05, 0xFF, 0xFF, 0x00, 0x00,  // add eax, 0x0000FFFF
      0x66, 0xBB, 0x00, 0x01, 0x00, 0x00,  // mov ebx, 0x100
      0x67, 0x66, 0x8B, 0x0B,              // mov ecx, [ebx]
      0xF4,
  });
  h.memory.write<uint32_t>((uint32_t{tests::RealModeHarness::kCodeSegment} << 4) + 0x100,
                           0xCAFEBABE);
  h.run_to_halt();
  CHECK(h.cpu.regs().gpr[cpu::kEax] == 0x12355677);
  CHECK(h.cpu.regs().gpr[cpu::kEcx] == 0xCAFEBABE);
}

TEST_CASE("ADD sets carry, zero, adjust and parity as a real CPU does") {
  tests::RealModeHarness h;
  h.load({0xB0, 0xFF, 0x04, 0x01, 0xF4});  // mov al, 0xFF / add al, 1 / hlt
  h.run_to_halt();
  const uint32_t flags = h.cpu.eflags();
  CHECK((flags & cpu::flag::kCf) != 0);
  CHECK((flags & cpu::flag::kZf) != 0);
  CHECK((flags & cpu::flag::kAf) != 0);
  CHECK((flags & cpu::flag::kPf) != 0);
  CHECK((flags & cpu::flag::kOf) == 0);
  CHECK((flags & cpu::flag::kSf) == 0);
}

TEST_CASE("INC overflows at 0x7F and keeps the carry flag") {
  tests::RealModeHarness h;
  h.load({0xF9, 0xB0, 0x7F, 0xFE, 0xC0, 0xF4});  // stc / mov al, 0x7F / inc al / hlt
  h.run_to_halt();
  const uint32_t flags = h.cpu.eflags();
  CHECK((flags & cpu::flag::kOf) != 0);
  CHECK((flags & cpu::flag::kSf) != 0);
  CHECK((flags & cpu::flag::kCf) != 0);
}

TEST_CASE("a divide error on a P6 pushes the address of the faulting DIV") {
  tests::RealModeHarness h;
  install_halting_handler(h, 0);
  h.load({0x31, 0xC9, 0xF7, 0xF1, 0xF4});  // xor cx, cx / div cx / hlt
  h.run_to_halt();
  CHECK(h.cpu.regs().seg[cpu::kCs].selector == 0x0200);
  const uint32_t sp = h.cpu.regs().gpr[cpu::kEsp] & 0xFFFF;
  CHECK(sp == 0xFFFE - 6);
  CHECK(h.memory.read<uint16_t>(0x90000 + sp) == 0x0002);  // IP of the DIV
  CHECK(h.memory.read<uint16_t>(0x90000 + sp + 2) == tests::RealModeHarness::kCodeSegment);
}

TEST_CASE("the 8086 pushes the address after the DIV for a divide error") {
  tests::RealModeHarness h(CpuModel::I8086);
  install_halting_handler(h, 0);
  h.load({0x31, 0xC9, 0xF7, 0xF1, 0xF4});
  h.run_to_halt();
  const uint32_t sp = h.cpu.regs().gpr[cpu::kEsp] & 0xFFFF;
  CHECK(h.memory.read<uint16_t>(0x90000 + sp) == 0x0004);
}

TEST_CASE("UD2 raises invalid opcode through the IVT") {
  tests::RealModeHarness h;
  install_halting_handler(h, 6);
  h.load({0x0F, 0x0B, 0xF4});
  h.run_to_halt();
  CHECK(h.cpu.regs().seg[cpu::kCs].selector == 0x0200);
  const uint32_t sp = h.cpu.regs().gpr[cpu::kEsp] & 0xFFFF;
  CHECK(h.memory.read<uint16_t>(0x90000 + sp) == 0x0000);
}

TEST_CASE("the 8086 shifts by the full CL count; later CPUs mask it to five bits") {
  for (const auto model : {CpuModel::I8086, CpuModel::I80286}) {
    tests::RealModeHarness h(model);
    // mov ax, 1 / mov cl, 33 / shl ax, cl / hlt
    h.load({0xB8, 0x01, 0x00, 0xB1, 0x21, 0xD3, 0xE0, 0xF4});
    h.run_to_halt();
    CHECK((h.cpu.regs().gpr[cpu::kEax] & 0xFFFF) == (model == CpuModel::I8086 ? 0 : 2));
  }
}

TEST_CASE("PUSH SP pushes the decremented value on the 8086 only") {
  for (const auto model : {CpuModel::I8086, CpuModel::I80286}) {
    tests::RealModeHarness h(model);
    h.load({0x54, 0xF4});  // push sp / hlt
    h.run_to_halt();
    CHECK(h.memory.read<uint16_t>(0x90000 + 0xFFFC) ==
          (model == CpuModel::I8086 ? 0xFFFC : 0xFFFE));
  }
}

TEST_CASE("CPUID reports a family-6 GenuineIntel part and only implemented features") {
  tests::RealModeHarness h;
  h.load({0x66, 0x31, 0xC0, 0x0F, 0xA2, 0x66, 0x89, 0xDE,  // xor eax,eax / cpuid / mov esi,ebx
          0x66, 0xB8, 0x01, 0x00, 0x00, 0x00, 0x0F, 0xA2, 0xF4});  // mov eax,1 / cpuid / hlt
  h.run_to_halt();
  CHECK(h.cpu.regs().gpr[cpu::kEsi] == 0x756E6547);
  CHECK(((h.cpu.regs().gpr[cpu::kEax] >> 8) & 0xF) == 6);
  const uint32_t features = h.cpu.regs().gpr[cpu::kEdx];
  CHECK((features & 1) == 1);           // the x87
  CHECK((features & (1u << 15)) != 0);  // CMOV
  CHECK((features & (1u << 2)) != 0);   // DE: I/O breakpoints
  CHECK((features & (1u << 3)) != 0);   // PSE: 4 MiB pages
  CHECK((features & (1u << 13)) != 0);  // PGE: global pages
  CHECK((features & (1u << 11)) != 0);  // SEP: SYSENTER/SYSEXIT
  CHECK((features & (1u << 1)) == 0);   // no VME
  CHECK((features & (1u << 6)) == 0);   // no PAE
  CHECK((features & (1u << 9)) == 0);   // no local APIC
  CHECK((features & (1u << 23)) == 0);  // no MMX
  CHECK((features & (1u << 24)) != 0);  // FXSR: FXSAVE/FXRSTOR
  CHECK((features & (1u << 25)) == 0);  // no SSE
}

TEST_CASE("F3 0F BC runs as BSF on a P6, as the CPUs before BMI1 do") {
  tests::RealModeHarness h;
  // mov eax, 0x00F0 / xor ebx, ebx / rep bsf ebx, eax (TZCNT's encoding) / hlt
  h.load(
      {0x66, 0xB8, 0xF0, 0x00, 0x00, 0x00, 0x66, 0x31, 0xDB, 0xF3, 0x66, 0x0F, 0xBC, 0xD8, 0xF4});
  h.run_to_halt();
  CHECK(h.cpu.regs().gpr[cpu::kEbx] == 4);
}

TEST_CASE("a 386 keeps only its own CR0 bits and has no CR4") {
  for (const auto model : {CpuModel::I80386, CpuModel::PentiumPro}) {
    tests::RealModeHarness h(model);
    // mov eax, 0x00010020 (WP, NE) / mov cr0, eax / mov ebx, cr0 / hlt
    h.load({0x66, 0xB8, 0x20, 0x00, 0x01, 0x00, 0x0F, 0x22, 0xC0, 0x0F, 0x20, 0xC3, 0xF4});
    h.run_to_halt();
    CHECK(h.cpu.regs().gpr[cpu::kEbx] == (model == CpuModel::I80386 ? 0x00000000u : 0x00010030u));
  }
  tests::RealModeHarness h(CpuModel::I80386);
  h.load({0xF4}, 0x40);  // the #UD handler
  h.memory.write<uint16_t>(6 * 4, 0x40);
  h.memory.write<uint16_t>(6 * 4 + 2, tests::RealModeHarness::kCodeSegment);
  h.load({0x0F, 0x20, 0xE0, 0xF4});  // mov eax, cr4 / hlt
  h.run_to_halt();
  CHECK(h.cpu.regs().eip == 0x41);  // halted in the #UD handler
}

TEST_CASE("FXSAVE is #UD on a 386 and stores the FCW on a P6") {
  constexpr uint32_t kBase = uint32_t{tests::RealModeHarness::kCodeSegment} << 4;
  for (const auto model : {CpuModel::I80386, CpuModel::PentiumPro}) {
    tests::RealModeHarness h(model);
    h.load({0xF4}, 0x40);  // the #UD handler
    h.memory.write<uint16_t>(6 * 4, 0x40);
    h.memory.write<uint16_t>(6 * 4 + 2, tests::RealModeHarness::kCodeSegment);
    h.memory.write<uint16_t>(kBase + 0x200, 0xAAAA);
    h.load({0x0F, 0xAE, 0x06, 0x00, 0x02, 0xF4});  // fxsave [0x200] / hlt
    h.run_to_halt();
    if (model == CpuModel::I80386) {
      CHECK(h.cpu.regs().eip == 0x41);
      CHECK(h.memory.read<uint16_t>(kBase + 0x200) == 0xAAAA);
    } else {
      CHECK(h.cpu.regs().eip == 6);
      CHECK(h.memory.read<uint16_t>(kBase + 0x200) == 0x0040);  // the power-on FCW
    }
  }
}

TEST_CASE("a guest that only faults still uses up its instruction budget") {
  // The #UD handler is the faulting instruction itself: nothing ever retires, yet run() must
  // come back to its caller (found by tests/fuzz/cpu_fuzzer: the run loop spun forever).
  tests::RealModeHarness h;
  h.memory.write<uint16_t>(6 * 4, 0x0000);  // IVT[6] = 0100:0000, the UD2 below
  h.memory.write<uint16_t>(6 * 4 + 2, tests::RealModeHarness::kCodeSegment);
  h.load({0x0F, 0x0B});  // UD2
  CHECK(h.cpu.run(1000) == 1000);
  CHECK(h.cpu.instructions_retired() == 1000);
  CHECK(h.cpu.regs().eip == 0);
}

TEST_CASE("unmapping a ROM drops the CPU's cached host pointers into it") {
  // A ROM page read through the TLB caches a host pointer into the ROM's bytes; unmapping the
  // region frees them. Every change of the memory map must flush the CPU, or the next read
  // goes through freed memory (a guest moving the VGA framebuffer BAR over the VGA ROM BAR
  // unmaps both).
  tests::RealModeHarness h;
  const std::vector<uint8_t> rom(bus::kPageSize, 0x11);
  h.memory.map_rom(0x20000, rom, "test rom");
  CHECK(h.cpu.mmu().read<uint8_t>(0x20800, false) == 0x11);
  h.memory.unmap(0x20000, bus::kPageSize);
  CHECK(h.cpu.mmu().read<uint8_t>(0x20800, false) == 0x00);  // RAM again
}

TEST_CASE("a chained loop with a fused DEC/JNZ retires exactly the budget it is given") {
  // inc eax / dec ecx / jnz back: one three-instruction block linked to itself, whose end
  // marker chains while the budget lasts and whose DEC/JNZ run as one fused handler. Budgets
  // of 7 end inside the block as often as at its end.
  tests::RealModeHarness h;
  h.load({
      0x66, 0xB9, 0xE8, 0x03, 0x00, 0x00,        // mov ecx, 1000
      0x66, 0x40,                                // loop: inc eax
      0x66, 0x49,                                // dec ecx
      0x66, 0x0F, 0x85, 0xF5, 0xFF, 0xFF, 0xFF,  // jnz loop (32-bit operand size)
      0xF4,                                      // hlt
  });
  REQUIRE(h.cpu.run(1) == 1);
  uint64_t ran = 0;
  while (ran < 3000) {
    const uint64_t step = std::min<uint64_t>(7, 3000 - ran);
    REQUIRE(h.cpu.run(step) == step);
    ran += step;
    const uint32_t incs = static_cast<uint32_t>((ran + 2) / 3);
    const uint32_t decs = static_cast<uint32_t>((ran + 1) / 3);
    REQUIRE(h.cpu.regs().gpr[cpu::kEax] == incs);
    REQUIRE(h.cpu.regs().gpr[cpu::kEcx] == 1000 - decs);
    const uint32_t expected_eip = ran % 3 == 0 ? 6 : ran % 3 == 1 ? 8 : 10;
    REQUIRE(h.cpu.regs().eip == (ran == 3000 ? 17u : expected_eip));
  }
  CHECK((h.cpu.eflags() & cpu::flag::kZf) != 0);
  CHECK(h.cpu.run(10) == 1);  // the HLT
  CHECK(h.cpu.halted());
  CHECK(h.cpu.regs().gpr[cpu::kEax] == 1000);
}

// Lean handlers (exec_common.hpp's threaded_lean) do not place the next instruction; build_block
// gives one only where the next places itself. A DIV after lean register instructions, and a
// CLD/STD (handlers that return to the block loop) between them, must still find their place:
// a stale one would push the wrong IP or run instructions twice.
TEST_CASE("a divide error after lean register instructions pushes the address of the DIV") {
  tests::RealModeHarness h;
  install_halting_handler(h, 0);
  h.load({
      0xB8,
      0x05,
      0x00,  // mov ax, 5
      0x01,
      0xD8,  // add ax, bx
      0x31,
      0xC9,  // xor cx, cx
      0xF7,
      0xF1,  // div cx: #DE
      0xF4,
  });
  h.run_to_halt();
  const uint32_t sp = h.cpu.regs().gpr[cpu::kEsp] & 0xFFFF;
  CHECK(h.cpu.regs().seg[cpu::kCs].selector == 0x0200);
  CHECK(h.memory.read<uint16_t>(0x90000 + sp) == 0x0007);  // IP of the DIV
}

TEST_CASE("handlers that return to the block loop run once between lean register instructions") {
  auto load = [](tests::RealModeHarness& h) {
    h.load({
        0xB8, 0x01, 0x00,  // mov ax, 1
        0x01, 0xC0,        // add ax, ax
        0xFC,              // cld
        0x40,              // inc ax
        0xFD,              // std
        0x89, 0xC3,        // mov bx, ax
        0x40,              // inc ax
        0xF4,              // hlt
    });
  };
  for (const uint64_t budget : {uint64_t{100}, uint64_t{1}}) {
    CAPTURE(budget);
    tests::RealModeHarness h;
    load(h);
    uint64_t ran = 0;
    while (!h.cpu.halted() && ran < 100) ran += h.cpu.run(budget);
    CHECK(ran == 8);
    CHECK(h.cpu.regs().gpr[cpu::kEax] == 4);
    CHECK(h.cpu.regs().gpr[cpu::kEbx] == 3);
    CHECK((h.cpu.eflags() & cpu::flag::kDf) != 0);
    CHECK(h.cpu.regs().eip == 12);
  }
}

// Superblocks (Cpu::build_block goes on past a conditional jump): the Jcc in the middle of the
// loop below leaves its block through its own link when taken and goes on in the block when
// not. Runs of every budget from 1 to 9 end before, at and after it, in both directions, and
// must leave exactly the state a one-instruction-at-a-time model reaches. With 16-bit operands
// the Jcc runs alone; with 32-bit ones the TEST before it is fused with it.
TEST_CASE("a loop with a conditional jump inside its block retires exactly its budget") {
  struct Program {
    const char* name;
    std::vector<uint8_t> code;
    uint16_t ip[7];  // of: mov cx / inc ax / test / jnz odd / inc bx / odd: dec cx / jnz loop
  };
  const Program programs[] = {
      {"16-bit operands",
       {
           0xB9, 0x64, 0x00,  // mov cx, 100
           0x40,              // loop: inc ax
           0xA8, 0x01,        // test al, 1
           0x75, 0x01,        // jnz odd: the side exit, taken every other time
           0x43,              // inc bx
           0x49,              // odd: dec cx
           0x75, 0xF7,        // jnz loop
           0xF4,              // hlt
       },
       {0, 3, 4, 6, 8, 9, 10}},
      {"32-bit operands, TEST and JNZ fused",
       {
           0xB9, 0x64, 0x00,                          // mov cx, 100
           0x66, 0x40,                                // loop: inc eax
           0x66, 0xA9, 0x01, 0x00, 0x00, 0x00,        // test eax, 1
           0x66, 0x0F, 0x85, 0x02, 0x00, 0x00, 0x00,  // jnz odd
           0x66, 0x43,                                // inc ebx
           0x66, 0x49,                                // odd: dec ecx
           0x66, 0x0F, 0x85, 0xE6, 0xFF, 0xFF, 0xFF,  // jnz loop
           0xF4,                                      // hlt
       },
       {0, 3, 5, 11, 18, 20, 22}},
  };
  for (const Program& program : programs) {
    const auto* const at = program.ip;
    const uint16_t hlt = static_cast<uint16_t>(program.code.size() - 1);
    struct Model {
      uint32_t ax = 0, bx = 0, cx = 0;
      size_t step = 0;  // index into ip, 7 at the HLT, 8 after it
    };
    for (uint64_t budget = 1; budget <= 9; ++budget) {
      CAPTURE(program.name);
      CAPTURE(budget);
      tests::RealModeHarness h;
      uint32_t byte_at = uint32_t{tests::RealModeHarness::kCodeSegment} << 4;
      for (const uint8_t b : program.code) h.memory.poke(byte_at++, b);
      Model m;
      auto advance = [&] {
        switch (m.step) {
          case 0:
            m.cx = 100;
            m.step = 1;
            break;
          case 1:
            ++m.ax;
            m.step = 2;
            break;
          case 2:
            m.step = 3;
            break;
          case 3:
            m.step = (m.ax & 1) ? 5 : 4;
            break;
          case 4:
            ++m.bx;
            m.step = 5;
            break;
          case 5:
            --m.cx;
            m.step = 6;
            break;
          case 6:
            m.step = m.cx != 0 ? 1 : 7;
            break;
          default:
            m.step = 8;
            break;
        }
      };
      auto model_ip = [&] { return m.step < 7 ? at[m.step] : m.step == 7 ? hlt : hlt + 1u; };
      uint64_t ran = 0;
      while (m.step != 8) {
        const uint64_t done = h.cpu.run(budget);
        for (uint64_t i = 0; i < done; ++i) advance();
        ran += done;
        REQUIRE((m.step == 8 || done == budget));
        REQUIRE(h.cpu.regs().gpr[cpu::kEax] == m.ax);
        REQUIRE(h.cpu.regs().gpr[cpu::kEbx] == m.bx);
        REQUIRE(h.cpu.regs().gpr[cpu::kEcx] == m.cx);
        REQUIRE(h.cpu.regs().eip == model_ip());
      }
      CHECK(ran == 1 + 50 * 5 + 50 * 6 + 1);
      CHECK(h.cpu.halted());
    }
  }
}

// Instructions retire into the count when their block ends; a guest that reads the time in the
// middle of a block (RDTSC, the PIT through the machine's port callbacks) must still see every
// instruction before it, in a superblock past a Jcc too. Linux's PIT calibration of the TSC
// failed when two RDTSCs in one block read the same count.
TEST_CASE("RDTSC in the middle of a block counts the instructions before it") {
  tests::RealModeHarness h(CpuModel::PentiumPro);
  h.load({
      0x0F, 0x31,        // rdtsc
      0x66, 0x89, 0xC3,  // mov ebx, eax
      0x90,              // nop
      0xA8, 0x00,        // test al, 0
      0x75, 0x00,        // jnz +0: not taken, the block goes on
      0x0F, 0x31,        // rdtsc
      0x66, 0x29, 0xD8,  // sub eax, ebx
      0xF4,              // hlt
  });
  h.run_to_halt();
  CHECK(h.cpu.regs().gpr[cpu::kEax] == 5);  // rdtsc, mov, nop, test, jnz
}

namespace {
// One interrupt request, vector 0x20, held until the CPU acknowledges it.
struct OneInterrupt final : bus::InterruptController {
  bool pending = true;
  bool interrupt_pending() override { return pending; }
  uint8_t acknowledge_interrupt() override {
    pending = false;
    return 0x20;
  }
};
}  // namespace

// STI holds an interrupt back for one instruction, not for the rest of its block: SeaBIOS
// idles in "sti; nop; cli" loops and took its timer interrupt only when a run slice happened
// to end inside that window, so FreeDOS took twice the instructions to boot.
TEST_CASE("an interrupt held back by STI is taken after the one instruction that follows") {
  tests::RealModeHarness h;
  OneInterrupt pic;
  h.cpu.set_interrupt_controller(&pic);
  install_halting_handler(h, 0x20);
  h.load({
      0xFB,  // sti
      0x43,  // inc bx: the one instruction in STI's shadow
      0x41,  // inc cx: not before the interrupt
      0xFA,  // cli
      0xF4,  // hlt
  });
  h.run_to_halt(100);
  CHECK(h.cpu.regs().seg[cpu::kCs].selector == 0x0200);  // halted in the handler
  CHECK(h.cpu.regs().gpr[cpu::kEbx] == 1);
  CHECK(h.cpu.regs().gpr[cpu::kEcx] == 0);
  CHECK_FALSE(pic.pending);
}

TEST_CASE("STI followed by CLI leaves no window for an interrupt") {
  tests::RealModeHarness h;
  OneInterrupt pic;
  h.cpu.set_interrupt_controller(&pic);
  install_halting_handler(h, 0x20);
  h.load({0xFB, 0xFA, 0x43, 0xF4});  // sti / cli / inc bx / hlt
  h.run_to_halt(100);
  CHECK(h.cpu.regs().seg[cpu::kCs].selector == tests::RealModeHarness::kCodeSegment);
  CHECK(h.cpu.regs().gpr[cpu::kEbx] == 1);
  CHECK(pic.pending);
}

namespace {
// Big real mode: DS flat (base 0, 4 GiB), so 32-bit loads through DS take their fast paths
// once the page is in the TLB; ES stays a real-mode segment, whose accesses take the general
// path and fault past 0xFFFF.
void flat_data_segment(tests::RealModeHarness& h) {
  h.cpu.regs().seg[cpu::kDs].base = 0;
  h.cpu.regs().seg[cpu::kDs].limit = 0xFFFFFFFF;
  h.cpu.regs().seg[cpu::kDs].granular = true;
  h.memory.write<uint32_t>(0x20000, 0x20010);
  h.memory.write<uint32_t>(0x20008, 0x55667788);
  h.memory.write<uint32_t>(0x2000C, 0xABCD1234);
  h.memory.write<uint32_t>(0x20014, 3);
  h.cpu.regs().gpr[cpu::kEbx] = 0x20000;
}
}  // namespace

namespace {
// Big real mode with a flat 32-bit stack as well (SS base 0, 4 GiB, B set): PUSH and POP
// take their fast paths once the stack's page is in the TLB.
void flat_stack(tests::RealModeHarness& h, uint32_t esp) {
  flat_data_segment(h);
  cpu::SegmentCache& ss = h.cpu.regs().seg[cpu::kSs];
  ss.base = 0;
  ss.limit = 0xFFFFFFFF;
  ss.granular = true;
  ss.big = true;
  h.cpu.regs().gpr[cpu::kEsp] = esp;
  h.cpu.regs().gpr[cpu::kEax] = 0xA0A0A0A0;
  h.cpu.regs().gpr[cpu::kEcx] = 0xC1C1C1C1;
  h.cpu.regs().gpr[cpu::kEdx] = 0xD2D2D2D2;
  h.cpu.regs().gpr[cpu::kEbx] = 0xB3B3B3B3;
}
}  // namespace

// Runs of PUSH r32 or POP r32 share one handler and one check of the stack bytes
// (exec_data.cpp's push_run and pop_run). A PUSH EAX / POP EAX first puts the stack's page in
// the TLB; they are not runs (a push and a pop).
// clang-format off
TEST_CASE("pushes and pops in a row run as one and keep the order of their values") {
  SUBCASE("four pushes, four pops into other registers, two pops into one") {
    tests::RealModeHarness h;
    flat_stack(h, 0x30000);
    h.load({
        0x66, 0x50, 0x66, 0x58,  // push eax / pop eax
        0x66, 0x50,              // push eax
        0x66, 0x51,              // push ecx
        0x66, 0x52,              // push edx
        0x66, 0x53,              // push ebx
        0x66, 0x5E,              // pop esi: ebx's
        0x66, 0x5F,              // pop edi: edx's
        0x66, 0x5D,              // pop ebp: ecx's
        0x66, 0x51,              // push ecx
        0x66, 0x5B,              // pop ebx
        0x66, 0x50,              // push eax
        0x66, 0x52,              // push edx
        0x66, 0x59,              // pop ecx: edx's
        0x66, 0x59,              // pop ecx: eax's
        0xF4,
    });
    CHECK(h.run_to_halt(100) == 16);
    CHECK(h.cpu.regs().gpr[cpu::kEsi] == 0xB3B3B3B3);
    CHECK(h.cpu.regs().gpr[cpu::kEdi] == 0xD2D2D2D2);
    CHECK(h.cpu.regs().gpr[cpu::kEbp] == 0xC1C1C1C1);
    CHECK(h.cpu.regs().gpr[cpu::kEbx] == 0xC1C1C1C1);
    CHECK(h.cpu.regs().gpr[cpu::kEcx] == 0xA0A0A0A0);
    CHECK(h.cpu.regs().gpr[cpu::kEsp] == 0x2FFFC);  // eax's push is left
    CHECK(h.memory.read<uint32_t>(0x2FFFC) == 0xA0A0A0A0);
    CHECK(h.memory.read<uint32_t>(0x2FFF8) == 0xA0A0A0A0);
    CHECK(h.memory.read<uint32_t>(0x2FFF4) == 0xD2D2D2D2);
  }
  SUBCASE("a run across a page boundary takes the general path, with the same result") {
    tests::RealModeHarness h;
    flat_stack(h, 0x30008);
    h.load({
        0x66, 0x50, 0x66, 0x58,  // push eax / pop eax
        0x66, 0x50,              // push eax: 0x30004
        0x66, 0x51,              // push ecx: 0x30000
        0x66, 0x52,              // push edx: 0x2FFFC, the page below
        0x66, 0x5E,              // pop esi
        0x66, 0x5F,              // pop edi
        0x66, 0x5D,              // pop ebp
        0xF4,
    });
    CHECK(h.run_to_halt(100) == 9);
    CHECK(h.cpu.regs().gpr[cpu::kEsi] == 0xD2D2D2D2);
    CHECK(h.cpu.regs().gpr[cpu::kEdi] == 0xC1C1C1C1);
    CHECK(h.cpu.regs().gpr[cpu::kEbp] == 0xA0A0A0A0);
    CHECK(h.cpu.regs().gpr[cpu::kEsp] == 0x30008);
  }
  SUBCASE("PUSH ESP and POP ESP keep their own values") {
    tests::RealModeHarness h;
    flat_stack(h, 0x30000);
    h.load({
        0x66, 0x50, 0x66, 0x58,  // push eax / pop eax
        0x66, 0x50,              // push eax
        0x66, 0x54,              // push esp: 0x2FFFC
        0x66, 0x53,              // push ebx
        0x66, 0x5E,              // pop esi: ebx's
        0x66, 0x5C,              // pop esp: 0x2FFFC
        0x66, 0x5F,              // pop edi: eax's
        0xF4,
    });
    CHECK(h.run_to_halt(100) == 9);
    CHECK(h.cpu.regs().gpr[cpu::kEsi] == 0xB3B3B3B3);
    CHECK(h.cpu.regs().gpr[cpu::kEdi] == 0xA0A0A0A0);
    CHECK(h.cpu.regs().gpr[cpu::kEsp] == 0x30000);
    CHECK(h.memory.read<uint32_t>(0x2FFF8) == 0x2FFFC);
  }
  SUBCASE("PUSH m32 through both address forms, and with ESP as the base") {
    tests::RealModeHarness h;
    flat_stack(h, 0x30000);
    h.cpu.regs().gpr[cpu::kEbx] = 0x20000;
    h.cpu.regs().gpr[cpu::kEcx] = 3;
    h.memory.write<uint32_t>(0x20004, 0x44444444);
    h.memory.write<uint32_t>(0x20010, 0x55555555);
    h.load({
        0x67, 0x66, 0x03, 0x2B,              // add ebp, [ebx]: DS's page in the TLB
        0x66, 0x50, 0x66, 0x58,              // push eax / pop eax
        0x67, 0x66, 0xFF, 0x73, 0x04,        // push dword [ebx+4]
        0x67, 0x66, 0xFF, 0x74, 0x8B, 0x04,  // push dword [ebx+ecx*4+4]
        0x67, 0x66, 0xFF, 0x74, 0x24, 0x04,  // push dword [esp+4]: the first push's value
        0xF4,
    });
    CHECK(h.run_to_halt(100) == 7);
    CHECK(h.cpu.regs().gpr[cpu::kEsp] == 0x30000 - 12);
    CHECK(h.memory.read<uint32_t>(0x2FFFC) == 0x44444444);
    CHECK(h.memory.read<uint32_t>(0x2FFF8) == 0x55555555);
    CHECK(h.memory.read<uint32_t>(0x2FFF4) == 0x44444444);
  }
  SUBCASE("a run that stops inside the block runs one push at a time") {
    tests::RealModeHarness h;
    flat_stack(h, 0x30000);
    h.load({
        0x66, 0x50, 0x66, 0x58,  // push eax / pop eax
        0x66, 0x51,              // push ecx
        0x66, 0x52,              // push edx
        0x66, 0x53,              // push ebx
        0xF4,
    });
    CHECK(h.cpu.run(2) == 2);
    CHECK(h.cpu.run(1) == 1);
    CHECK(h.cpu.regs().gpr[cpu::kEsp] == 0x2FFFC);
    CHECK(h.memory.read<uint32_t>(0x2FFFC) == 0xC1C1C1C1);
    CHECK(h.cpu.run(100) == 3);
    CHECK(h.cpu.regs().gpr[cpu::kEsp] == 0x2FFF4);
    CHECK(h.memory.read<uint32_t>(0x2FFF4) == 0xB3B3B3B3);
  }
}
// clang-format on

// A RET that ends its block goes on to the end marker's code itself (exec_control.cpp's
// to_end_marker) and places itself first: the PUSH before it is lean (it does not place the
// RET), so a fault of the RET must still point at the RET.
TEST_CASE("a RET that faults at the end of a block points at itself") {
  tests::RealModeHarness h;
  flat_stack(h, 0x30000);
  install_halting_handler(h, 13);
  h.load({
      0x66,
      0x50,
      0x66,
      0x58,  // push eax / pop eax: the stack's page in the TLB
      0x66,
      0x68,
      0x45,
      0x23,
      0x01,
      0x00,  // push dword 0x12345
      0x66,
      0xC3,  // ret: past CS's limit, #GP(0)
      0xF4,
  });
  h.run_to_halt(100);
  CHECK(h.cpu.regs().seg[cpu::kCs].selector == 0x0200);  // in the #GP handler
  const uint32_t esp = h.cpu.regs().gpr[cpu::kEsp];
  CHECK(esp == 0x30000 - 4 - 6);
  CHECK(h.memory.read<uint16_t>(esp) == 10);  // the pushed IP: the RET's
}

namespace {
// DS and ES flat: REP MOVS and REP STOS with 32-bit addresses take their page-at-a-time path
// (exec_string.cpp's bulk_chunk) once their pages are in the TLB.
void flat_data_and_extra(tests::RealModeHarness& h) {
  flat_data_segment(h);
  cpu::SegmentCache& es = h.cpu.regs().seg[cpu::kEs];
  es.base = 0;
  es.limit = 0xFFFFFFFF;
  es.granular = true;
}

// Bytes 0x40000.. hold i * 7 + 1: a source whose every element differs.
void fill_source(tests::RealModeHarness& h, uint32_t at, uint32_t bytes) {
  for (uint32_t i = 0; i < bytes; ++i) h.memory.poke(at + i, static_cast<uint8_t>(i * 7 + 1));
}

// What REP MOVS of count elements of size bytes leaves, one element after the other.
std::vector<uint8_t> reference_movs(tests::RealModeHarness& h, uint32_t src, uint32_t dst,
                                    uint32_t count, unsigned size, uint32_t span) {
  std::vector<uint8_t> m(span);
  const uint32_t lo = std::min(src, dst);
  for (uint32_t i = 0; i < span; ++i) m[i] = h.memory.read<uint8_t>(lo + i);
  for (uint32_t k = 0; k < count; ++k) {
    uint8_t element[4];
    for (unsigned b = 0; b < size; ++b) element[b] = m[src - lo + k * size + b];
    for (unsigned b = 0; b < size; ++b) m[dst - lo + k * size + b] = element[b];
  }
  return m;
}

bool memory_is(tests::RealModeHarness& h, uint32_t at, const std::vector<uint8_t>& expected) {
  for (uint32_t i = 0; i < expected.size(); ++i) {
    if (h.memory.read<uint8_t>(at + i) != expected[i]) return false;
  }
  return true;
}
}  // namespace

// clang-format off
TEST_CASE("REP MOVS and REP STOS on flat memory go a page at a time with the CPU's results") {
  SUBCASE("REP STOSB and REP STOSD across pages") {
    tests::RealModeHarness h;
    flat_data_and_extra(h);
    h.cpu.regs().gpr[cpu::kEax] = 0x11223344;
    h.cpu.regs().gpr[cpu::kEdi] = 0x20FF3;
    h.cpu.regs().gpr[cpu::kEcx] = 5000;
    h.load({
        0xF3, 0x67, 0xAA,                          // rep stosb [edi]
        0x66, 0xB9, 0x05, 0x04, 0x00, 0x00,        // mov ecx, 1029
        0x66, 0xBF, 0x02, 0x30, 0x02, 0x00,        // mov edi, 0x23002
        0xF3, 0x67, 0x66, 0xAB,                    // rep stosd
        0xF4,
    });
    CHECK(h.run_to_halt(100) == 5);
    CHECK(h.cpu.regs().gpr[cpu::kEcx] == 0);
    CHECK(h.cpu.regs().gpr[cpu::kEdi] == 0x23002 + 1029 * 4);
    bool bytes_ok = h.memory.read<uint8_t>(0x20FF2) == 0 && h.memory.read<uint8_t>(0x20FF3 + 5000) == 0;
    for (uint32_t i = 0; i < 5000; ++i) bytes_ok = bytes_ok && h.memory.read<uint8_t>(0x20FF3 + i) == 0x44;
    CHECK(bytes_ok);
    bool dwords_ok = h.memory.read<uint32_t>(0x23002 + 1029 * 4) == 0;
    for (uint32_t i = 0; i < 1029; ++i) dwords_ok = dwords_ok && h.memory.read<uint32_t>(0x23002 + i * 4) == 0x11223344;
    CHECK(dwords_ok);
  }
  SUBCASE("REP MOVSB, MOVSW and MOVSD, apart and overlapping either way") {
    struct Case { uint32_t src, dst, count; unsigned size; };
    const Case cases[] = {
        {0x40010, 0x45FF1, 6000, 1},  // apart, across pages
        {0x40010, 0x40011, 5000, 1},  // destination one above: the first byte repeats
        {0x40010, 0x40012, 1500, 4},  // two above: each element reads before its own write
        {0x40012, 0x40010, 1500, 4},  // below: as memmove
        {0x40FFE, 0x41000, 700, 2},   // across a page each, overlapping
    };
    for (const Case& c : cases) {
      CAPTURE(c.src);
      CAPTURE(c.dst);
      tests::RealModeHarness h;
      flat_data_and_extra(h);
      fill_source(h, 0x40000, 0x9000);
      const uint32_t span = std::max(c.src, c.dst) - std::min(c.src, c.dst) + c.count * c.size;
      const std::vector<uint8_t> expected = reference_movs(h, c.src, c.dst, c.count, c.size, span);
      h.cpu.regs().gpr[cpu::kEsi] = c.src;
      h.cpu.regs().gpr[cpu::kEdi] = c.dst;
      h.cpu.regs().gpr[cpu::kEcx] = c.count;
      if (c.size == 1) h.load({0xF3, 0x67, 0xA4, 0xF4});              // rep movsb
      if (c.size == 2) h.load({0xF3, 0x67, 0xA5, 0xF4});              // rep movsw
      if (c.size == 4) h.load({0xF3, 0x67, 0x66, 0xA5, 0xF4});        // rep movsd
      CHECK(h.run_to_halt(100) == 2);
      CHECK(h.cpu.regs().gpr[cpu::kEcx] == 0);
      CHECK(h.cpu.regs().gpr[cpu::kEsi] == c.src + c.count * c.size);
      CHECK(h.cpu.regs().gpr[cpu::kEdi] == c.dst + c.count * c.size);
      CHECK(memory_is(h, std::min(c.src, c.dst), expected));
    }
  }
  SUBCASE("REP STOSB over the code after it: the new bytes run") {
    tests::RealModeHarness h;
    flat_data_and_extra(h);
    h.cpu.regs().gpr[cpu::kEax] = 0x90;
    h.cpu.regs().gpr[cpu::kEdi] = (uint32_t{tests::RealModeHarness::kCodeSegment} << 4) + 3;
    h.cpu.regs().gpr[cpu::kEcx] = 4;
    h.load({
        0xF3, 0x67, 0xAA,  // rep stosb: four NOPs over the two INCs
        0x66, 0x46,        // inc esi
        0x66, 0x46,        // inc esi
        0xF4,
    });
    CHECK(h.run_to_halt(100) == 6);
    CHECK(h.cpu.regs().gpr[cpu::kEsi] == 0);
  }
  SUBCASE("with DF set REP MOVSB goes down, one element at a time") {
    tests::RealModeHarness h;
    flat_data_and_extra(h);
    fill_source(h, 0x40000, 0x3000);
    const std::vector<uint8_t> before = reference_movs(h, 0x40000, 0x40000, 0, 1, 0x3000);
    h.cpu.regs().gpr[cpu::kEsi] = 0x41FFF;
    h.cpu.regs().gpr[cpu::kEdi] = 0x42000;
    h.cpu.regs().gpr[cpu::kEcx] = 0x1000;
    h.load({0xFD, 0xF3, 0x67, 0xA4, 0xFC, 0xF4});  // std / rep movsb / cld
    CHECK(h.run_to_halt(100) == 4);
    CHECK(h.cpu.regs().gpr[cpu::kEdi] == 0x41000);
    std::vector<uint8_t> expected = before;
    for (uint32_t k = 0; k < 0x1000; ++k) expected[0x2000 - k] = expected[0x1FFF - k];
    CHECK(memory_is(h, 0x40000, expected));
  }
}
// clang-format on

// Two MOV r32, m32 or MOV m32, r32 in a row share one handler (exec_data.cpp's mov_pair); the
// second sees what the first wrote, and either may take the general path or fault. An ADD
// from the page first puts it in the TLB, so that the pair's DS loads take their fast paths.
// clang-format off
TEST_CASE("moves in a row run as pairs and keep their order, slow paths and faults") {
  SUBCASE("both fast, the second's address from the first's result") {
    tests::RealModeHarness h;
    flat_data_segment(h);
    h.load({
        0x67, 0x66, 0x03, 0x2B,        // add ebp, [ebx]
        0x67, 0x66, 0x8B, 0x03,        // mov eax, [ebx]
        0x67, 0x66, 0x8B, 0x48, 0x04,  // mov ecx, [eax+4]
        0x67, 0x66, 0x8B, 0x14, 0x8B,  // mov edx, [ebx+ecx*4]
        0x67, 0x66, 0x8B, 0x73, 0x08,  // mov esi, [ebx+8]
        0xF4,
    });
    CHECK(h.run_to_halt(100) == 6);
    CHECK(h.cpu.regs().gpr[cpu::kEax] == 0x20010);
    CHECK(h.cpu.regs().gpr[cpu::kEcx] == 3);
    CHECK(h.cpu.regs().gpr[cpu::kEdx] == 0xABCD1234);
    CHECK(h.cpu.regs().gpr[cpu::kEsi] == 0x55667788);
  }
  SUBCASE("the first through ES takes the general path, the second goes on") {
    tests::RealModeHarness h;
    flat_data_segment(h);
    h.memory.write<uint32_t>((uint32_t{tests::RealModeHarness::kCodeSegment} << 4) + 0x40,
                             0x20008);
    h.cpu.regs().gpr[cpu::kEdi] = 0x40;
    h.load({
        0x67, 0x66, 0x03, 0x2B,        // add ebp, [ebx]
        0x26, 0x67, 0x66, 0x8B, 0x07,  // mov eax, es:[edi]
        0x67, 0x66, 0x8B, 0x08,        // mov ecx, [eax]
        0xF4,
    });
    CHECK(h.run_to_halt(100) == 4);
    CHECK(h.cpu.regs().gpr[cpu::kEax] == 0x20008);
    CHECK(h.cpu.regs().gpr[cpu::kEcx] == 0x55667788);
  }
  SUBCASE("the second faults: the first has run, the fault points at the second") {
    tests::RealModeHarness h;
    flat_data_segment(h);
    install_halting_handler(h, 13);
    h.cpu.regs().gpr[cpu::kEdi] = 0x10000;  // past ES's limit: #GP
    h.load({
        0x67, 0x66, 0x03, 0x2B,        // add ebp, [ebx]
        0x67, 0x66, 0x8B, 0x03,        // mov eax, [ebx]
        0x26, 0x67, 0x66, 0x8B, 0x0F,  // mov ecx, es:[edi]
        0xF4,
    });
    h.run_to_halt(100);
    CHECK(h.cpu.regs().seg[cpu::kCs].selector == 0x0200);  // in the #GP handler
    CHECK(h.cpu.regs().gpr[cpu::kEax] == 0x20010);
    CHECK(h.cpu.regs().gpr[cpu::kEcx] == 0);
    CHECK(h.memory.read<uint16_t>((0x9000u << 4) + 0xFFF8) == 8);  // the pushed IP
  }
  SUBCASE("stores pair with loads and stores, and a load sees the store before it") {
    tests::RealModeHarness h;
    flat_data_segment(h);
    h.load({
        0x67, 0x66, 0x03, 0x2B,              // add ebp, [ebx]
        0x67, 0x66, 0x89, 0x5B, 0x20,        // mov [ebx+0x20], ebx
        0x67, 0x66, 0x8B, 0x43, 0x20,        // mov eax, [ebx+0x20]
        0x67, 0x66, 0x89, 0x44, 0x8B, 0x30,  // mov [ebx+ecx*4+0x30], eax
        0x67, 0x66, 0x8B, 0x53, 0x30,        // mov edx, [ebx+0x30]
        0xF4,
    });
    CHECK(h.run_to_halt(100) == 6);
    CHECK(h.cpu.regs().gpr[cpu::kEax] == 0x20000);
    CHECK(h.cpu.regs().gpr[cpu::kEdx] == 0x20000);
    CHECK(h.memory.read<uint32_t>(0x20030) == 0x20000);
  }
  SUBCASE("a store of the pair rewrites the code after it") {
    tests::RealModeHarness h;
    flat_data_segment(h);
    h.cpu.regs().gpr[cpu::kEax] = 0x90909090;
    h.cpu.regs().gpr[cpu::kEdi] = (uint32_t{tests::RealModeHarness::kCodeSegment} << 4) + 13;
    h.load({
        0x67, 0x66, 0x03, 0x2B,        // add ebp, [ebx]
        0x67, 0x66, 0x89, 0x07,        // mov [edi], eax: four NOPs over the two INCs
        0x67, 0x66, 0x89, 0x5B, 0x20,  // mov [ebx+0x20], ebx
        0x66, 0x46,                    // inc esi
        0x66, 0x46,                    // inc esi
        0xF4,
    });
    CHECK(h.run_to_halt(100) == 8);
    CHECK(h.cpu.regs().gpr[cpu::kEsi] == 0);
    CHECK(h.memory.read<uint32_t>(0x20020) == 0x20000);
  }
}
// clang-format on
