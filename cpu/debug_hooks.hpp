// Debugger support in the CPU: code breakpoints, I/O watchpoints, the trace hook and the Bochs
// magic breakpoint. Memory watchpoints live in the MMU (mmu::Watch), since only it sees every
// data access.
//
// Nothing here costs anything while unused. A code breakpoint is not a per-instruction compare:
// the block builder ends a block before an instruction that has one and starts the next block
// with a zero-length record whose handler decides (condition, hit count) whether to stop before
// the instruction runs. Setting or clearing one drops the decoded code it concerns, so with no
// breakpoint set the decoded blocks are exactly the ones built without this feature.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace x86lab::cpu {

class Cpu;

enum class BreakpointKind : uint8_t {
  Linear,     // CS.base + EIP
  Physical,   // the instruction's first byte
  SegOffset,  // selector:offset as CS:EIP (the selector as loaded, any mode)
};

enum class CompareOp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };

// A condition on a register, evaluated when the breakpoint is reached.
// reg: 0-7 EAX..EDI, 8 EIP, 9 EFLAGS, 10-15 ES CS SS DS FS GS selectors.
struct RegisterCondition {
  uint8_t reg = 0;
  CompareOp op = CompareOp::Eq;
  uint32_t value = 0;
};

struct CodeBreakpoint {
  int id = 0;
  BreakpointKind kind = BreakpointKind::Linear;
  uint16_t selector = 0;  // SegOffset
  uint32_t address = 0;   // linear, physical, or the offset
  std::optional<RegisterCondition> condition;
  uint64_t hits = 0;
};

// Kinds of watchpoint, as bits: a read, a write, or either.
namespace watch_kind {
inline constexpr uint8_t kRead = 1;
inline constexpr uint8_t kWrite = 2;
inline constexpr uint8_t kAccess = kRead | kWrite;
}  // namespace watch_kind

struct IoWatch {
  int id = 0;
  uint16_t first = 0;
  uint16_t last = 0;
  uint8_t kinds = watch_kind::kAccess;
};

// Why the debugger got control, with what the stop concerns.
struct DebugEvent {
  enum class Kind : uint8_t { None, Breakpoint, MemoryWatch, IoWatch, MagicBreak, Interrupt };
  Kind kind = Kind::None;
  int id = 0;             // breakpoint or watchpoint id
  uint32_t address = 0;   // linear address (memory), port (I/O), or linear CS:EIP (breakpoint)
  uint32_t physical = 0;  // memory watchpoints
  unsigned size = 0;
  bool write = false;
  uint32_t value = 0;  // value read or written
};

struct DebugHooks {
  std::vector<CodeBreakpoint> breakpoints;
  std::vector<IoWatch> io_watches;
  bool magic_break = false;
  // Called before every instruction (state as the instruction sees it) while set. Setting it
  // makes every block one instruction long.
  std::function<void(Cpu&)> trace;
  DebugEvent event;
  int next_id = 1;
  // Resuming from a breakpoint: the record at this linear address is passed once, while no
  // instruction has retired since the resume.
  uint32_t ignore_linear = 0;
  uint64_t ignore_retired = ~uint64_t{0};
  // The guest's enabled DR0-DR3 execute breakpoints (linear) and I/O breakpoints, as bits
  // (cpu/debug_registers.cpp).
  uint32_t dr_exec_linear[4] = {};
  uint8_t dr_exec_mask = 0;
  uint8_t dr_io_mask = 0;

  // Whether the builder puts a record before the instruction at linear/physical/offset.
  bool wants_record(uint32_t linear, uint32_t physical, uint32_t offset) const {
    if (trace) return true;
    for (unsigned n = 0; n < 4; ++n) {
      if (((dr_exec_mask >> n) & 1) && dr_exec_linear[n] == linear) return true;
    }
    for (const CodeBreakpoint& b : breakpoints) {
      switch (b.kind) {
        case BreakpointKind::Linear:
          if (b.address == linear) return true;
          break;
        case BreakpointKind::Physical:
          if (b.address == physical) return true;
          break;
        case BreakpointKind::SegOffset:
          if (b.address == offset) return true;
          break;
      }
    }
    return false;
  }
};

// Evaluates a condition against the CPU's registers (debug_hooks.cpp).
bool condition_holds(const Cpu& cpu, const RegisterCondition& condition);

struct Insn;
// The handlers of the records the block builder inserts: a zero-length record before an
// instruction with a breakpoint (or every instruction while tracing), and XCHG BX,BX when the
// magic breakpoint is on.
void debug_record_handler(Cpu& cpu, const Insn& insn);
void magic_break_handler(Cpu& cpu, const Insn& insn);

}  // namespace x86lab::cpu
