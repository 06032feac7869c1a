// The CPU's debugger support: breakpoints stop before the instruction, watchpoints after it,
// stepping passes a breakpoint, and with nothing set the decoded blocks are unchanged.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/cpu/real_mode_harness.hpp"

using namespace x86lab;

namespace {
constexpr uint32_t kBase = uint32_t{tests::RealModeHarness::kCodeSegment} << 4;
// mov cx, 1000 / l: add ax, 1 / mov [0x200], ax / loop l / in al, 0x60 / hlt
const std::initializer_list<uint8_t> kLoop = {0xB9, 0xE8, 0x03,  // 0: mov cx, 1000
                                              0x83, 0xC0, 0x01,  // 3: add ax, 1
                                              0xA3, 0x00, 0x02,  // 6: mov [0x200], ax
                                              0xE2, 0xF8,        // 9: loop -8
                                              0xE4, 0x60,        // 11: in al, 0x60
                                              0xF4};             // 13: hlt
}  // namespace

TEST_CASE("with no breakpoint set, blocks and decodes are those of a CPU never debugged") {
  tests::RealModeHarness plain;
  plain.load(kLoop);
  plain.run_to_halt();

  tests::RealModeHarness debugged;
  debugged.load(kLoop);
  const int id = debugged.cpu.add_breakpoint({0, cpu::BreakpointKind::Linear, 0, kBase + 3, {}, 0});
  REQUIRE(debugged.cpu.remove_breakpoint(id));
  const int watch = debugged.cpu.add_watch(mmu::Watch{0, kBase + 0x200, 2, 2, false});
  REQUIRE(debugged.cpu.remove_watch(watch));
  debugged.run_to_halt();
  CHECK(debugged.cpu.instructions_retired() == plain.cpu.instructions_retired());
  CHECK(debugged.cpu.decode_count() == plain.cpu.decode_count());
  CHECK(debugged.cpu.block_count() == plain.cpu.block_count());
  CHECK(debugged.cpu.regs().gpr[cpu::kEax] == plain.cpu.regs().gpr[cpu::kEax]);
}

TEST_CASE("a linear breakpoint stops before the instruction, every time round the loop") {
  tests::RealModeHarness h;
  h.load(kLoop);
  const int id = h.cpu.add_breakpoint({0, cpu::BreakpointKind::Linear, 0, kBase + 6, {}, 0});
  h.cpu.run(1'000'000);
  CHECK(h.cpu.last_stop() == cpu::StopReason::Breakpoint);
  CHECK(h.cpu.regs().eip == 6);
  CHECK(h.cpu.regs().gpr[cpu::kEax] == 1);
  CHECK(h.cpu.instructions_retired() == 2);
  CHECK(h.cpu.debug_hooks()->event.id == id);
  // Resuming runs the instruction and stops at the next pass.
  h.cpu.resume_from_breakpoint();
  h.cpu.run(1'000'000);
  CHECK(h.cpu.last_stop() == cpu::StopReason::Breakpoint);
  CHECK(h.cpu.regs().gpr[cpu::kEax] == 2);
  CHECK(h.cpu.instructions_retired() == 2 + 3);
  // Removing it lets the loop run out.
  h.cpu.remove_breakpoint(id);
  h.cpu.run(1'000'000);
  CHECK(h.cpu.halted());
  CHECK(h.memory.read<uint16_t>(kBase + 0x200) == 1000);
}

TEST_CASE("physical and CS:IP breakpoints, and a condition on a register") {
  tests::RealModeHarness h;
  h.load(kLoop);
  h.cpu.add_breakpoint({0, cpu::BreakpointKind::Physical, 0, kBase + 9, {}, 0});
  h.cpu.run(1'000'000);
  CHECK(h.cpu.last_stop() == cpu::StopReason::Breakpoint);
  CHECK(h.cpu.regs().eip == 9);

  tests::RealModeHarness c;
  c.load(kLoop);
  c.cpu.add_breakpoint({0, cpu::BreakpointKind::SegOffset, tests::RealModeHarness::kCodeSegment, 3,
                        cpu::RegisterCondition{cpu::kEax, cpu::CompareOp::Eq, 500}, 0});
  c.cpu.run(1'000'000);
  CHECK(c.cpu.last_stop() == cpu::StopReason::Breakpoint);
  CHECK(c.cpu.regs().eip == 3);
  CHECK(c.cpu.regs().gpr[cpu::kEax] == 500);
  CHECK(c.cpu.debug_hooks()->breakpoints.front().hits == 1);
}

TEST_CASE("stepping from a breakpoint runs one instruction") {
  tests::RealModeHarness h;
  h.load(kLoop);
  h.cpu.add_breakpoint({0, cpu::BreakpointKind::Linear, 0, kBase + 3, {}, 0});
  h.cpu.run(1'000'000);
  REQUIRE(h.cpu.regs().eip == 3);
  CHECK(h.cpu.debug_step(false));
  CHECK(h.cpu.regs().eip == 6);
  CHECK(h.cpu.regs().gpr[cpu::kEax] == 1);
  CHECK(h.cpu.debug_step(false));
  CHECK(h.cpu.debug_step(false));
  CHECK(h.cpu.regs().eip == 3);  // LOOP went back
  CHECK(h.cpu.instructions_retired() == 4);
}

TEST_CASE("a write watchpoint stops after the writing instruction, with address and value") {
  tests::RealModeHarness h;
  h.load(kLoop);
  const int id = h.cpu.add_watch(mmu::Watch{0, kBase + 0x201, 1, cpu::watch_kind::kWrite, false});
  h.cpu.run(1'000'000);
  CHECK(h.cpu.last_stop() == cpu::StopReason::Watchpoint);
  CHECK(h.cpu.regs().eip == 9);  // after the MOV
  const cpu::DebugEvent& e = h.cpu.debug_hooks()->event;
  CHECK(e.kind == cpu::DebugEvent::Kind::MemoryWatch);
  CHECK(e.id == id);
  CHECK(e.address == kBase + 0x200);
  CHECK(e.write);
  CHECK(e.value == 1);
  // A read watchpoint does not fire on writes.
  h.cpu.remove_watch(id);
  h.cpu.add_watch(mmu::Watch{0, kBase + 0x200, 2, cpu::watch_kind::kRead, false});
  h.cpu.run(1'000'000);
  CHECK(h.cpu.halted());
}

TEST_CASE("an I/O watchpoint reports the port") {
  tests::RealModeHarness h;
  h.load(kLoop);
  h.cpu.add_io_watch({0, 0x60, 0x64, cpu::watch_kind::kRead});
  h.cpu.run(1'000'000);
  CHECK(h.cpu.last_stop() == cpu::StopReason::Watchpoint);
  CHECK(h.cpu.debug_hooks()->event.kind == cpu::DebugEvent::Kind::IoWatch);
  CHECK(h.cpu.debug_hooks()->event.address == 0x60);
  CHECK(h.cpu.regs().eip == 13);
}

TEST_CASE("the trace hook sees every instruction once, and the magic breakpoint stops") {
  tests::RealModeHarness h;
  h.load(kLoop);
  std::vector<uint32_t> eips;
  h.cpu.set_trace([&](cpu::Cpu& c) { eips.push_back(c.regs().eip); });
  const uint64_t ran = h.cpu.run(1'000'000);
  CHECK(h.cpu.halted());
  CHECK(eips.size() == ran);
  CHECK(eips.size() == h.cpu.instructions_retired());
  CHECK(eips[0] == 0);
  CHECK(eips[1] == 3);
  CHECK(eips[2] == 6);

  tests::RealModeHarness m;
  m.load({0x40, 0x87, 0xDB, 0x40, 0xF4});  // inc ax / xchg bx, bx / inc ax / hlt
  m.cpu.set_magic_break(true);
  m.cpu.run(1000);
  CHECK(m.cpu.last_stop() == cpu::StopReason::Debug);
  CHECK(m.cpu.regs().eip == 3);
  CHECK(m.cpu.regs().gpr[cpu::kEax] == 1);
}

TEST_CASE("an asynchronous stop request stops a running loop") {
  tests::RealModeHarness h;
  h.load({0xEB, 0xFE});  // jmp $
  h.cpu.request_async_stop();
  h.cpu.run(1'000'000);
  CHECK(h.cpu.last_stop() == cpu::StopReason::Debug);
}
