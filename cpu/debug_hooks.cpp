// The CPU's debugger support: breakpoint records, watchpoints, stepping (cpu/debug_hooks.hpp).
#include "cpu/debug_hooks.hpp"

#include <algorithm>

#include "cpu/cpu.hpp"

namespace x86lab::cpu {

bool condition_holds(const Cpu& cpu, const RegisterCondition& condition) {
  const Registers& r = cpu.regs();
  uint32_t value;
  if (condition.reg < 8) {
    value = r.gpr[condition.reg];
  } else if (condition.reg == 8) {
    value = r.eip;
  } else if (condition.reg == 9) {
    value = cpu.eflags();
  } else {
    value = r.seg[(condition.reg - 10) % kSegCount].selector;
  }
  switch (condition.op) {
    case CompareOp::Eq:
      return value == condition.value;
    case CompareOp::Ne:
      return value != condition.value;
    case CompareOp::Lt:
      return value < condition.value;
    case CompareOp::Le:
      return value <= condition.value;
    case CompareOp::Gt:
      return value > condition.value;
    case CompareOp::Ge:
      return value >= condition.value;
  }
  return false;
}

void debug_record_handler(Cpu& cpu, const Insn& /*insn*/) { cpu.debug_record_reached(); }
void magic_break_handler(Cpu& cpu, const Insn& /*insn*/) { cpu.magic_break_reached(); }

DebugHooks& Cpu::debug() {
  if (!debug_) {
    debug_ = std::make_unique<DebugHooks>();
    mmu_.set_watch_listener([this](const mmu::WatchHit& hit) {
      if (hit.id < 0) {  // a guest DR data breakpoint
        data_breakpoint_hit(static_cast<unsigned>(-1 - hit.id));
        return;
      }
      debug_->event = DebugEvent{DebugEvent::Kind::MemoryWatch,
                                 hit.id,
                                 hit.linear,
                                 hit.physical,
                                 hit.size,
                                 hit.write,
                                 hit.value};
      debug_stop(StopReason::Watchpoint);
    });
  }
  return *debug_;
}

void Cpu::debug_stop(StopReason reason) {
  stop_requested_ = true;
  chain_.exit_block = true;
  stop_reason_ = reason;
}

bool Cpu::starts_with_record(const Block& block) const { return block.starts_with_record; }

void Cpu::flush_for_breakpoint(const CodeBreakpoint& breakpoint) {
  switch (breakpoint.kind) {
    case BreakpointKind::Physical:
      blocks_.invalidate_page(breakpoint.address >> bus::kPageShift);
      break;
    case BreakpointKind::Linear:
      if (!mmu_.paging()) {
        blocks_.invalidate_page((breakpoint.address & mmu_.a20_mask()) >> bus::kPageShift);
        break;
      }
      flush_decoded_code();  // the page it maps to may change
      break;
    case BreakpointKind::SegOffset:
      flush_decoded_code();
      break;
  }
  chain_.exit_block = true;
}

int Cpu::add_breakpoint(CodeBreakpoint breakpoint) {
  DebugHooks& d = debug();
  breakpoint.id = d.next_id++;
  breakpoint.hits = 0;
  d.breakpoints.push_back(breakpoint);
  flush_for_breakpoint(breakpoint);
  return breakpoint.id;
}

bool Cpu::remove_breakpoint(int id) {
  if (!debug_) return false;
  auto& list = debug_->breakpoints;
  const auto it = std::find_if(list.begin(), list.end(), [&](const auto& b) { return b.id == id; });
  if (it == list.end()) return false;
  const CodeBreakpoint removed = *it;
  list.erase(it);
  flush_for_breakpoint(removed);
  return true;
}

int Cpu::add_watch(mmu::Watch watch) {
  DebugHooks& d = debug();
  watch.id = d.next_id++;
  std::vector<mmu::Watch> watches = mmu_.watches();
  watches.push_back(watch);
  mmu_.set_watches(std::move(watches));
  chain_.exit_block = true;
  return watch.id;
}

bool Cpu::remove_watch(int id) {
  std::vector<mmu::Watch> watches = mmu_.watches();
  const auto it =
      std::find_if(watches.begin(), watches.end(), [&](const auto& w) { return w.id == id; });
  if (it == watches.end()) return false;
  watches.erase(it);
  mmu_.set_watches(std::move(watches));
  chain_.exit_block = true;
  return true;
}

int Cpu::add_io_watch(IoWatch watch) {
  DebugHooks& d = debug();
  watch.id = d.next_id++;
  d.io_watches.push_back(watch);
  io_watch_active_ = true;
  return watch.id;
}

bool Cpu::remove_io_watch(int id) {
  if (!debug_) return false;
  auto& list = debug_->io_watches;
  const auto it = std::find_if(list.begin(), list.end(), [&](const auto& w) { return w.id == id; });
  if (it == list.end()) return false;
  list.erase(it);
  io_watch_active_ = !list.empty() || debug_->dr_io_mask;
  return true;
}

void Cpu::set_trace(std::function<void(Cpu&)> trace) {
  debug().trace = std::move(trace);
  flush_decoded_code();
}

void Cpu::set_magic_break(bool enabled) {
  debug().magic_break = enabled;
  flush_decoded_code();
}

void Cpu::resume_from_breakpoint() {
  if (!debug_) return;
  debug_->ignore_linear = regs_.seg[kCs].base + regs_.eip;
  debug_->ignore_retired = retired_;
}

bool Cpu::debug_step(bool allow_interrupts) {
  sync_flat_segments();
  stop_requested_ = false;
  stop_reason_ = StopReason::Requested;
  if (allow_interrupts && (eflags_ & flag::kIf) && !interrupt_shadow_ && pic_ &&
      pic_->interrupt_pending()) {
    deliver_external_interrupt();  // the step ends at the handler's first instruction
    return true;
  }
  interrupt_shadow_ = false;
  if (halted_) return false;
  resume_from_breakpoint();
  const bool ran = step();
  if (debug_) debug_->ignore_retired = ~uint64_t{0};
  return ran;
}

void Cpu::debug_record_reached() {
  // The record sits first in its block, so EIP is the block's start. It is not an
  // instruction: the retired count the block loop adds for it is taken back here.
  regs_.eip = block_eip_;
  DebugHooks& d = *debug_;
  const uint32_t linear = regs_.seg[kCs].base + regs_.eip;
  const bool ignore = d.ignore_retired == retired_ && d.ignore_linear == linear;
  d.ignore_retired = ~uint64_t{0};
  --retired_;
  if (!ignore && !d.breakpoints.empty()) [[unlikely]] {
    uint32_t physical = 0;
    const bool mapped = mmu_.peek_translation(linear, physical);
    for (CodeBreakpoint& b : d.breakpoints) {
      bool match = false;
      switch (b.kind) {
        case BreakpointKind::Linear:
          match = b.address == linear;
          break;
        case BreakpointKind::Physical:
          match = mapped && b.address == physical;
          break;
        case BreakpointKind::SegOffset:
          match = b.address == regs_.eip && b.selector == regs_.seg[kCs].selector;
          break;
      }
      if (!match || (b.condition && !condition_holds(*this, *b.condition))) continue;
      ++b.hits;
      d.event = DebugEvent{DebugEvent::Kind::Breakpoint, b.id, linear, physical, 0, false, 0};
      debug_stop(StopReason::Breakpoint);
      return;
    }
  }
  // The guest's own instruction breakpoint: a #DB fault before the instruction (after the
  // debugger's, which sees the instruction first). The record is not counted then.
  if (instruction_breakpoint_reached(linear)) {
    ++retired_;
    raise_fault(Vector::Debug);
  }
  if (d.trace) d.trace(*this);
}

void Cpu::magic_break_reached() {
  DebugHooks& d = debug();
  d.event = DebugEvent{DebugEvent::Kind::MagicBreak, 0, 0, 0, 0, false, 0};
  debug_stop(StopReason::Debug);
}

void Cpu::io_watch_check(uint16_t port, unsigned size, bool write, uint32_t value) {
  if (debug_->dr_io_mask) io_breakpoint_check(port, size);
  const uint8_t kind = write ? watch_kind::kWrite : watch_kind::kRead;
  for (const IoWatch& w : debug_->io_watches) {
    if (!(w.kinds & kind) || port + size - 1u < w.first || port > w.last) continue;
    debug_->event = DebugEvent{DebugEvent::Kind::IoWatch, w.id, port, 0, size, write, value};
    debug_stop(StopReason::Watchpoint);
    return;
  }
}

}  // namespace x86lab::cpu
