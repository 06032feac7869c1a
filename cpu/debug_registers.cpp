// The guest's debug registers DR0-DR7 as a P6 has them: instruction, data and I/O breakpoints,
// the DR6 status bits, general detect, the resume flag and single-step traps.
//
// Nothing here runs per instruction while no breakpoint is enabled. The breakpoints reuse the
// debugger's mechanisms (cpu/debug_hooks.hpp): an enabled execute breakpoint makes the block
// builder put a record before the instruction at its linear address, whose handler raises the
// #DB fault; an enabled data breakpoint is an mmu::Watch, so only accesses to its page take the
// TLB's slow path, where the watch check reports the hit; an I/O breakpoint is checked where
// the debugger's I/O watchpoints are. Data and I/O hits are traps: they are remembered and
// delivered as one #DB after the instruction, before any external interrupt.
#include <algorithm>

#include "cpu/cpu.hpp"

namespace x86lab::cpu {
namespace {

constexpr uint32_t kDr7GeneralDetect = 1u << 13;
// DR6 bits 4-11 and 16-31 read as ones on a P6; bit 12 reads as zero.
constexpr uint32_t kDr6FixedOnes = 0xFFFF0FF0u;
constexpr uint32_t kDr6Status = 0xE00Fu;  // B0-B3, BD, BS, BT
// DR7 bit 10 reads as one; bits 11, 12, 14 and 15 as zero.
constexpr uint32_t kDr7FixedOnes = 0x400u;
constexpr uint32_t kDr7Reserved = 0xD800u;
constexpr uint32_t kCr4De = 1u << 3;

enum class BreakKind : uint8_t { Execute = 0, Write = 1, Io = 2, ReadWrite = 3 };

BreakKind kind_of(uint32_t dr7, unsigned n) {
  return static_cast<BreakKind>((dr7 >> (16 + 4 * n)) & 3);
}

// LEN: 00 one byte, 01 two, 11 four; 10 is undefined on a P6 and taken as eight, as later
// processors define it.
uint32_t length_of(uint32_t dr7, unsigned n) {
  static constexpr uint32_t kLengths[4] = {1, 2, 8, 4};
  return kLengths[(dr7 >> (18 + 4 * n)) & 3];
}

bool enabled(uint32_t dr7, unsigned n) { return (dr7 >> (2 * n)) & 3; }

}  // namespace

uint32_t Cpu::read_debug_register(unsigned n) {
  n = debug_register_alias(n);
  return regs_.dr[n];
}

void Cpu::write_debug_register(unsigned n, uint32_t value) {
  n = debug_register_alias(n);
  switch (n) {
    case 6:
      regs_.dr[6] = (value & kDr6Status) | kDr6FixedOnes;
      return;
    case 7:
      regs_.dr[7] = (value & ~kDr7Reserved) | kDr7FixedOnes;
      break;
    default:
      regs_.dr[n] = value;
      break;
  }
  sync_debug_registers();
}

unsigned Cpu::debug_register_alias(unsigned n) {
  if (n == 4 || n == 5) {
    // DR4 and DR5 are DR6 and DR7 unless CR4.DE reserves them.
    if (regs_.cr4 & kCr4De) raise_fault(Vector::InvalidOpcode);
    n += 2;
  }
  if (regs_.dr[7] & kDr7GeneralDetect) {
    // General detect: the access faults before it happens, with BD; the processor clears GD so
    // the handler can use the registers.
    regs_.dr[6] |= 1u << 13;
    regs_.dr[7] &= ~kDr7GeneralDetect;
    raise_fault(Vector::Debug);
  }
  return n;
}

void Cpu::sync_debug_registers() {
  const uint32_t dr7 = regs_.dr[7];
  uint32_t exec[4] = {};
  uint8_t exec_mask = 0;
  std::vector<mmu::Watch> watches;
  uint8_t io_mask = 0;
  for (unsigned n = 0; n < 4; ++n) {
    if (!enabled(dr7, n)) continue;
    const uint32_t length = length_of(dr7, n);
    const uint32_t address = regs_.dr[n] & ~(length - 1);
    switch (kind_of(dr7, n)) {
      case BreakKind::Execute:
        exec[n] = regs_.dr[n];
        exec_mask |= static_cast<uint8_t>(1u << n);
        break;
      case BreakKind::Write:
      case BreakKind::ReadWrite: {
        mmu::Watch w;
        w.id = -1 - static_cast<int>(n);
        w.address = address;
        w.length = length;
        w.kinds = kind_of(dr7, n) == BreakKind::Write ? 2 : 3;
        watches.push_back(w);
        break;
      }
      case BreakKind::Io:
        // Undefined without CR4.DE; a P6 ignores it.
        if (regs_.cr4 & kCr4De) io_mask |= static_cast<uint8_t>(1u << n);
        break;
    }
  }
  if (!debug_ && exec_mask == 0 && watches.empty() && io_mask == 0) return;
  DebugHooks& d = debug();
  if (exec_mask != d.dr_exec_mask ||
      !std::equal(std::begin(exec), std::end(exec), std::begin(d.dr_exec_linear))) {
    d.dr_exec_mask = exec_mask;
    std::copy(std::begin(exec), std::end(exec), std::begin(d.dr_exec_linear));
    flush_decoded_code();  // blocks are rebuilt with (or without) the records
  }
  const std::vector<mmu::Watch>& old = mmu_.guest_watches();
  const bool same =
      old.size() == watches.size() &&
      std::equal(old.begin(), old.end(), watches.begin(), [](const auto& a, const auto& b) {
        return a.id == b.id && a.address == b.address && a.length == b.length && a.kinds == b.kinds;
      });
  if (!same) mmu_.set_guest_watches(std::move(watches));
  d.dr_io_mask = io_mask;
  io_watch_active_ = !d.io_watches.empty() || io_mask != 0;
  chain_.exit_block = true;
}

bool Cpu::instruction_breakpoint_reached(uint32_t linear) {
  const DebugHooks& d = *debug_;
  if (d.dr_exec_mask == 0 || (eflags_ & flag::kRf)) return false;
  uint32_t hits = 0;
  for (unsigned n = 0; n < 4; ++n) {
    if ((d.dr_exec_mask >> n) & 1 && d.dr_exec_linear[n] == linear) hits |= 1u << n;
  }
  if (hits == 0) return false;
  regs_.dr[6] = (regs_.dr[6] & ~0xFu) | hits;
  instruction_breakpoint_fault_ = true;  // the one fault that pushes RF as it is
  return true;
}

void Cpu::data_breakpoint_hit(unsigned n) {
  pending_debug_status_ |= 1u << n;
  debug_trap_pending_ = true;
  chain_.exit_block = true;  // the trap follows this instruction
}

void Cpu::io_breakpoint_check(uint16_t port, unsigned size) {
  const uint32_t dr7 = regs_.dr[7];
  for (unsigned n = 0; n < 4; ++n) {
    if (!((debug_->dr_io_mask >> n) & 1)) continue;
    const uint32_t length = length_of(dr7, n);
    const uint32_t first = regs_.dr[n] & 0xFFFF & ~(length - 1);
    if (port + size - 1u < first || port > first + length - 1) continue;
    data_breakpoint_hit(n);
  }
}

void Cpu::request_debug_trap(uint32_t dr6_bits) {
  pending_debug_status_ |= dr6_bits;
  debug_trap_pending_ = true;
  chain_.exit_block = true;
}

void Cpu::deliver_debug_trap(uint32_t dr6_bits) {
  debug_trap_pending_ = false;
  pending_debug_status_ = 0;
  // A hit replaces B0-B3; BD, BS and BT stay until software clears them.
  if (dr6_bits & 0xF) regs_.dr[6] &= ~0xFu;
  regs_.dr[6] |= dr6_bits;
  halted_ = false;
  insn_eip_ = regs_.eip;
  try {
    interrupt(static_cast<uint8_t>(Vector::Debug), regs_.eip);
  } catch (const CpuFault& fault) {
    handle_fault(fault);
  }
}

void Cpu::deliver_pending_debug_trap() { deliver_debug_trap(pending_debug_status_); }

void Cpu::note_fault_resume_flag(const CpuFault& fault) {
  // Every fault pushes RF = 1, so that returning to the instruction does not hit its
  // instruction breakpoint again; the instruction breakpoint's own #DB pushes RF as it is
  // (the handler sets it in the image to resume).
  const bool breakpoint = instruction_breakpoint_fault_;
  instruction_breakpoint_fault_ = false;
  if (fault.is_trap || !at_least(model_, CpuModel::I80386)) return;
  // The faulting instruction did not complete: its data breakpoint hits are dropped.
  debug_trap_pending_ = false;
  pending_debug_status_ = 0;
  if (!(breakpoint && fault.vector == static_cast<uint8_t>(Vector::Debug))) eflags_ |= flag::kRf;
}

uint64_t Cpu::single_step_with_trap() {
  // Runs one instruction with TF or RF set: RF is cleared once it completes, and TF set at its
  // start makes a #DB trap (BS) after it, unless it was a MOV SS/POP SS, whose shadow delays
  // the trap by one instruction.
  const bool trap_flag = eflags_ & flag::kTf;
  ss_shadow_ = false;
  chain_.exit_block = false;
  insn_eip_ = regs_.eip;
  const Block* block;
  try {
    block = &block_at_eip();
  } catch (const CpuFault& fault) {
    handle_fault(fault);  // a fetch fault counts as a step, as in execute_block
    ++retired_;
    return 1;
  }
  const uint64_t before = retired_;
  const uint64_t ran = execute_block(*block, starts_with_record(*block) ? 2 : 1);
  blocks_.collect_garbage();
  // Faulted (delivered; counted as a step) or stopped at a breakpoint.
  if (retired_ == before || block_ended_in_fault_) return ran;
  eflags_ &= ~flag::kRf;
  uint32_t status = pending_debug_status_;
  if (trap_flag && !ss_shadow_ && !halted_) status |= 1u << 14;  // BS
  if (status != 0 && !stop_requested_) deliver_debug_trap(status);
  return ran;
}

}  // namespace x86lab::cpu
