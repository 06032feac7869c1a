// The guest's debug registers next to the debugger's hooks: they share the records and the
// watched pages, and neither disturbs the other.
#include <doctest/doctest.h>

#include "tests/cpu/real_mode_harness.hpp"

using namespace x86lab;

namespace {
constexpr uint32_t kBase = uint32_t{tests::RealModeHarness::kCodeSegment} << 4;
constexpr uint32_t kDebugHandler = 0x40;  // offset in the code segment: hlt
// 0: mov ax, 1 / 3: add ax, 1 / 6: mov [0x200], ax / 9: hlt
const std::initializer_list<uint8_t> kCode = {0xB8, 0x01, 0x00, 0x83, 0xC0,
                                              0x01, 0xA3, 0x00, 0x02, 0xF4};

void point_debug_vector_at_handler(tests::RealModeHarness& h) {
  h.load({0xF4}, kDebugHandler);
  h.memory.write<uint16_t>(4, kDebugHandler);
  h.memory.write<uint16_t>(6, tests::RealModeHarness::kCodeSegment);
}
}  // namespace

TEST_CASE("a debugger breakpoint stops before the guest's own DR0 breakpoint at the same address") {
  tests::RealModeHarness h;
  h.load(kCode);
  point_debug_vector_at_handler(h);
  h.cpu.write_debug_register(0, kBase + 6);
  h.cpu.write_debug_register(7, 0x1);  // L0, execute
  h.cpu.add_breakpoint({0, cpu::BreakpointKind::Linear, 0, kBase + 6, {}, 0});
  h.cpu.run(1000);
  REQUIRE(h.cpu.last_stop() == cpu::StopReason::Breakpoint);
  CHECK(h.cpu.regs().eip == 6);
  // Resuming passes the debugger's breakpoint; the guest's #DB fault is then delivered.
  h.cpu.resume_from_breakpoint();
  h.cpu.run(1000);
  CHECK(h.cpu.halted());
  CHECK(h.cpu.regs().eip == kDebugHandler + 1);
  CHECK(h.memory.read<uint16_t>(0x90000 + 0xFFFE - 6) == 6);  // the pushed IP: a fault
  CHECK((h.cpu.regs().dr[6] & 0xF) == 1);
  CHECK(h.memory.read<uint16_t>(kBase + 0x200) == 0);  // the MOV has not run
}

TEST_CASE("a guest data breakpoint is not one of the debugger's watchpoints, and traps") {
  tests::RealModeHarness h;
  h.load(kCode);
  point_debug_vector_at_handler(h);
  h.cpu.write_debug_register(1, kBase + 0x200);
  h.cpu.write_debug_register(7, (0x1u << 20) | (0x1u << 22) | 0x4);  // L1, write, 2 bytes
  CHECK(h.cpu.mmu().watches().empty());
  CHECK(h.cpu.mmu().guest_watches().size() == 1);
  h.cpu.run(1000);
  CHECK(h.cpu.halted());
  CHECK(h.memory.read<uint16_t>(kBase + 0x200) == 2);         // the write happened
  CHECK(h.memory.read<uint16_t>(0x90000 + 0xFFFE - 6) == 9);  // the pushed IP: after it
  CHECK((h.cpu.regs().dr[6] & 0xF) == 2);
  h.cpu.write_debug_register(7, 0);
  CHECK(h.cpu.mmu().guest_watches().empty());
}

TEST_CASE("with DR7 enabling nothing, the decoded blocks are those of a CPU never debugged") {
  tests::RealModeHarness plain;
  plain.load(kCode);
  plain.run_to_halt();
  tests::RealModeHarness h;
  h.load(kCode);
  h.cpu.write_debug_register(0, kBase + 6);
  h.cpu.write_debug_register(7, 0x0);  // an address, but no enable bit
  h.run_to_halt();
  CHECK(h.cpu.debug_hooks() == nullptr);
  CHECK(h.cpu.block_count() == plain.cpu.block_count());
  CHECK(h.cpu.instructions_retired() == plain.cpu.instructions_retired());
}
