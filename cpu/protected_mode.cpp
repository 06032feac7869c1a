// Protected-mode segmentation and control transfer: descriptor loads with their checks, far
// JMP/CALL/RET through code segments and call gates, interrupt and exception delivery through
// the IDT, IRET (to the same level, an outer level, or virtual-8086 mode), and hardware task
// switches. Fault vectors and error codes follow the Intel SDM, volume 3, chapters 5-7.
#include <algorithm>

#include "cpu/cpu.hpp"

namespace x86lab::cpu {
namespace {

uint32_t selector_error(uint16_t selector) { return selector & 0xFFFC; }

[[noreturn]] void fault_on(Vector v, uint16_t selector) {
  raise_fault(v, selector_error(selector));
}

}  // namespace

Descriptor Cpu::read_descriptor(uint16_t selector, Vector fault) {
  const uint32_t index = selector & 0xFFF8;
  uint32_t base;
  uint32_t limit;
  if (selector & 4) {
    if (regs_.ldtr.rights == 0 && regs_.ldtr.selector == 0) fault_on(fault, selector);
    base = regs_.ldtr.base;
    limit = regs_.ldtr.limit;
  } else {
    base = regs_.gdtr.base;
    limit = regs_.gdtr.limit;
  }
  if (index + 7 > limit) fault_on(fault, selector);
  Descriptor d;
  d.low = read_system<uint32_t>(base + index);
  d.high = read_system<uint32_t>(base + index + 4);
  return d;
}

void Cpu::set_accessed(uint16_t selector, Descriptor& d) {
  if (!d.is_segment() || (d.high & 0x100)) return;
  d.high |= 0x100;
  const uint32_t base = (selector & 4) ? regs_.ldtr.base : regs_.gdtr.base;
  write_system<uint32_t>(base + (selector & 0xFFF8) + 4, d.high);
}

void Cpu::load_null_segment(unsigned seg, uint16_t selector) {
  SegmentCache& s = regs_.seg[seg];
  s.selector = selector;
  s.rights = 0;
  s.access = 0;
  sync_flat_segments();
}

void Cpu::fill_cache(SegmentCache& s, uint16_t selector, const Descriptor& d) {
  s.selector = selector;
  s.base = d.base();
  s.limit = d.limit();
  s.access = d.access();
  s.big = d.big();
  s.granular = d.granular();
  s.rights = d.rights();
  sync_flat_segments();
}

void Cpu::load_segment_protected(unsigned seg, uint16_t selector) {
  const unsigned rpl = selector & 3;
  if ((selector & 0xFFFC) == 0) {
    if (seg == kSs) raise_fault(Vector::GeneralProtection, 0);
    load_null_segment(seg, selector);
    return;
  }
  Descriptor d = read_descriptor(selector);
  if (seg == kSs) {
    if (rpl != cpl_ || !d.writable_data() || d.dpl() != cpl_) {
      fault_on(Vector::GeneralProtection, selector);
    }
    if (!d.present()) fault_on(Vector::StackFault, selector);
  } else {
    if (!d.is_segment() || (d.is_code() && !d.readable())) {
      fault_on(Vector::GeneralProtection, selector);
    }
    if ((d.is_data() || !d.conforming()) && (rpl > d.dpl() || cpl_ > d.dpl())) {
      fault_on(Vector::GeneralProtection, selector);
    }
    if (!d.present()) fault_on(Vector::SegmentNotPresent, selector);
  }
  set_accessed(selector, d);
  fill_cache(regs_.seg[seg], selector, d);
}

void Cpu::load_code_segment(uint16_t selector, const Descriptor& d, unsigned new_cpl) {
  SegmentCache& cs = regs_.seg[kCs];
  fill_cache(cs, static_cast<uint16_t>((selector & 0xFFFC) | new_cpl), d);
  cs.rights = d.readable() ? segment_rights::kRead : 0;
  sync_flat_segments();
  set_cpl(new_cpl);
  code_eip_mask_ = cs.big ? 0xFFFFFFFFu : 0xFFFFu;
  chain_.exit_block = true;
}

void Cpu::load_ldt(uint16_t selector) {
  if ((selector & 0xFFFC) == 0) {
    regs_.ldtr = SegmentCache{};
    regs_.ldtr.selector = selector;
    regs_.ldtr.rights = 0;
    return;
  }
  if (selector & 4) fault_on(Vector::GeneralProtection, selector);
  const Descriptor d = read_descriptor(selector);
  if (d.is_segment() || d.type() != descriptor_type::kLdt) {
    fault_on(Vector::GeneralProtection, selector);
  }
  if (!d.present()) fault_on(Vector::SegmentNotPresent, selector);
  fill_cache(regs_.ldtr, selector, d);
  regs_.ldtr.rights = segment_rights::kRead;
}

void Cpu::load_task_register(uint16_t selector) {
  if ((selector & 0xFFFC) == 0 || (selector & 4)) fault_on(Vector::GeneralProtection, selector);
  Descriptor d = read_descriptor(selector);
  if (d.is_segment() || (d.type() != descriptor_type::kAvailableTss16 &&
                         d.type() != descriptor_type::kAvailableTss32)) {
    fault_on(Vector::GeneralProtection, selector);
  }
  if (!d.present()) fault_on(Vector::SegmentNotPresent, selector);
  d.high |= 0x200;  // busy
  write_system<uint32_t>(regs_.gdtr.base + (selector & 0xFFF8) + 4, d.high);
  fill_cache(regs_.tr, selector, d);
}

void Cpu::stack_for_privilege(unsigned dpl, uint16_t& ss, uint32_t& esp) {
  const SegmentCache& tr = regs_.tr;
  const bool tss32 = (tr.access & 0xF) == descriptor_type::kBusyTss32 ||
                     (tr.access & 0xF) == descriptor_type::kAvailableTss32;
  if (tss32) {
    const uint32_t at = 4 + dpl * 8;
    if (at + 5 > tr.limit) raise_fault(Vector::InvalidTss, selector_error(tr.selector));
    esp = read_system<uint32_t>(tr.base + at);
    ss = read_system<uint16_t>(tr.base + at + 4);
  } else {
    const uint32_t at = 2 + dpl * 4;
    if (at + 3 > tr.limit) raise_fault(Vector::InvalidTss, selector_error(tr.selector));
    esp = read_system<uint16_t>(tr.base + at);
    ss = read_system<uint16_t>(tr.base + at + 2);
  }
}

// After a return to an outer level, data segments the new CPL may not use become null.
void Cpu::drop_inaccessible_data_segments() {
  for (unsigned seg : {kEs, kDs, kFs, kGs}) {
    const SegmentCache& s = regs_.seg[seg];
    const bool conforming_code = (s.access & 0x1C) == 0x1C;
    const unsigned dpl = (s.access >> 5) & 3;
    if (s.rights != 0 && !conforming_code && dpl < cpl_) load_null_segment(seg, 0);
  }
}

// Loads SS:ESP for a new privilege level, with the checks of a stack switch (#TS).
static void check_new_stack(const Descriptor& d, uint16_t ss, unsigned cpl) {
  if ((ss & 0xFFFC) == 0) raise_fault(Vector::InvalidTss, 0);
  if ((ss & 3) != cpl || d.dpl() != cpl || !d.writable_data()) {
    fault_on(Vector::InvalidTss, ss);
  }
  if (!d.present()) fault_on(Vector::StackFault, ss);
}

void Cpu::jump_far_protected(uint16_t selector, uint32_t offset, unsigned operand_size, bool call) {
  if ((selector & 0xFFFC) == 0) raise_fault(Vector::GeneralProtection, 0);
  const Descriptor d = read_descriptor(selector);
  const unsigned rpl = selector & 3;
  if (d.is_segment()) {
    if (!d.is_code()) fault_on(Vector::GeneralProtection, selector);
    if (d.conforming() ? d.dpl() > cpl_ : (rpl > cpl_ || d.dpl() != cpl_)) {
      fault_on(Vector::GeneralProtection, selector);
    }
    if (!d.present()) fault_on(Vector::SegmentNotPresent, selector);
    if (operand_size == 2) offset &= 0xFFFF;
    if (offset > d.limit()) raise_fault(Vector::GeneralProtection, 0);
    if (call) {
      const uint32_t old_esp = regs_.gpr[kEsp];
      try {
        if (operand_size == 2) {
          push<uint16_t>(regs_.seg[kCs].selector);
          push<uint16_t>(static_cast<uint16_t>(regs_.eip));
        } else {
          push<uint32_t>(regs_.seg[kCs].selector);
          push<uint32_t>(regs_.eip);
        }
      } catch (...) {
        regs_.gpr[kEsp] = old_esp;
        throw;
      }
    }
    Descriptor marked = d;
    set_accessed(selector, marked);
    load_code_segment(selector, marked, cpl_);
    regs_.eip = offset;
    return;
  }
  switch (d.type()) {
    case descriptor_type::kCallGate16:
    case descriptor_type::kCallGate32:
      if (d.dpl() < cpl_ || d.dpl() < rpl) fault_on(Vector::GeneralProtection, selector);
      if (!d.present()) fault_on(Vector::SegmentNotPresent, selector);
      call_gate(selector, d, call, operand_size);
      return;
    case descriptor_type::kTaskGate:
    case descriptor_type::kAvailableTss16:
    case descriptor_type::kAvailableTss32: {
      if (d.dpl() < cpl_ || d.dpl() < rpl) fault_on(Vector::GeneralProtection, selector);
      if (!d.present()) fault_on(Vector::SegmentNotPresent, selector);
      uint16_t tss_selector = selector;
      Descriptor tss = d;
      if (d.type() == descriptor_type::kTaskGate) {
        tss_selector = d.gate_selector();
        if (tss_selector & 4) fault_on(Vector::GeneralProtection, tss_selector);
        tss = read_descriptor(tss_selector);
        if (tss.is_segment() || (tss.type() != descriptor_type::kAvailableTss16 &&
                                 tss.type() != descriptor_type::kAvailableTss32)) {
          fault_on(Vector::GeneralProtection, tss_selector);
        }
        if (!tss.present()) fault_on(Vector::SegmentNotPresent, tss_selector);
      }
      task_switch(tss_selector, tss, call ? TaskSwitchReason::Call : TaskSwitchReason::Jump,
                  regs_.eip);
      return;
    }
    default:
      fault_on(Vector::GeneralProtection, selector);
  }
}

void Cpu::call_gate(uint16_t gate_selector, const Descriptor& gate, bool call,
                    unsigned /*operand_size*/) {
  const uint16_t target = gate.gate_selector();
  if ((target & 0xFFFC) == 0) raise_fault(Vector::GeneralProtection, 0);
  Descriptor code = read_descriptor(target);
  if (!code.is_code() || code.dpl() > cpl_) fault_on(Vector::GeneralProtection, target);
  if (!code.present()) fault_on(Vector::SegmentNotPresent, target);
  const bool gate32 = gate.gate_is_32bit();
  uint32_t offset = gate.gate_offset();
  if (!gate32) offset &= 0xFFFF;
  if (offset > code.limit()) raise_fault(Vector::GeneralProtection, 0);
  (void)gate_selector;

  if (!call && !code.conforming() && code.dpl() != cpl_) {
    fault_on(Vector::GeneralProtection, target);  // JMP cannot change privilege
  }
  if (!call) {
    set_accessed(target, code);
    load_code_segment(target, code, cpl_);
    regs_.eip = offset;
    return;
  }
  const uint32_t return_eip = regs_.eip;
  const uint16_t return_cs = regs_.seg[kCs].selector;
  if (!code.conforming() && code.dpl() < cpl_) {
    // A call to an inner level: switch to the stack the TSS gives for it, copy the
    // parameters, and push the caller's stack and return address there.
    const unsigned new_cpl = code.dpl();
    uint16_t new_ss;
    uint32_t new_esp;
    stack_for_privilege(new_cpl, new_ss, new_esp);
    Descriptor ss_desc = read_descriptor(new_ss, Vector::InvalidTss);
    check_new_stack(ss_desc, new_ss, new_cpl);
    const unsigned count = gate.gate_parameter_count();
    const unsigned unit = gate32 ? 4 : 2;
    uint32_t params[32];
    for (unsigned i = 0; i < count; ++i) {
      params[i] = gate32 ? peek_stack<uint32_t>(i * 4) : peek_stack<uint16_t>(i * 2);
    }
    const uint16_t old_ss = regs_.seg[kSs].selector;
    const uint32_t old_esp = regs_.gpr[kEsp];
    const SegmentCache saved_ss = regs_.seg[kSs];
    set_accessed(new_ss, ss_desc);
    fill_cache(regs_.seg[kSs], new_ss, ss_desc);
    regs_.gpr[kEsp] = new_esp;
    const unsigned saved_cpl = cpl_;
    try {
      set_cpl(new_cpl);
      auto push_unit = [&](uint32_t v) {
        if (unit == 4)
          push<uint32_t>(v);
        else
          push<uint16_t>(static_cast<uint16_t>(v));
      };
      push_unit(old_ss);
      push_unit(old_esp);
      for (unsigned i = count; i > 0; --i) push_unit(params[i - 1]);
      push_unit(return_cs);
      push_unit(return_eip);
    } catch (...) {
      regs_.seg[kSs] = saved_ss;
      regs_.gpr[kEsp] = old_esp;
      set_cpl(saved_cpl);
      sync_flat_segments();
      throw;
    }
    set_accessed(target, code);
    load_code_segment(target, code, new_cpl);
    regs_.eip = offset;
    return;
  }
  const uint32_t old_esp = regs_.gpr[kEsp];
  try {
    if (gate32) {
      push<uint32_t>(return_cs);
      push<uint32_t>(return_eip);
    } else {
      push<uint16_t>(return_cs);
      push<uint16_t>(static_cast<uint16_t>(return_eip));
    }
  } catch (...) {
    regs_.gpr[kEsp] = old_esp;
    throw;
  }
  set_accessed(target, code);
  load_code_segment(target, code, cpl_);
  regs_.eip = offset;
}

void Cpu::return_far_protected(unsigned operand_size, uint32_t release) {
  const unsigned unit = operand_size;
  const uint32_t offset = unit == 4 ? peek_stack<uint32_t>(0) : peek_stack<uint16_t>(0);
  const uint16_t selector =
      static_cast<uint16_t>(unit == 4 ? peek_stack<uint32_t>(4) : peek_stack<uint16_t>(2));
  const unsigned rpl = selector & 3;
  if ((selector & 0xFFFC) == 0) raise_fault(Vector::GeneralProtection, 0);
  Descriptor code = read_descriptor(selector);
  if (rpl < cpl_ || !code.is_code()) fault_on(Vector::GeneralProtection, selector);
  if (code.conforming() ? code.dpl() > rpl : code.dpl() != rpl) {
    fault_on(Vector::GeneralProtection, selector);
  }
  if (!code.present()) fault_on(Vector::SegmentNotPresent, selector);
  if (offset > code.limit()) raise_fault(Vector::GeneralProtection, 0);
  if (rpl == cpl_) {
    adjust_sp(2 * unit + release);
    set_accessed(selector, code);
    load_code_segment(selector, code, cpl_);
    regs_.eip = offset;
    return;
  }
  // To an outer level: the caller's SS:ESP follows the parameters.
  const uint32_t new_esp = unit == 4 ? peek_stack<uint32_t>(2 * unit + release)
                                     : peek_stack<uint16_t>(2 * unit + release);
  const uint16_t new_ss =
      static_cast<uint16_t>(unit == 4 ? peek_stack<uint32_t>(3 * unit + release)
                                      : peek_stack<uint16_t>(3 * unit + release));
  if ((new_ss & 0xFFFC) == 0) raise_fault(Vector::GeneralProtection, 0);
  Descriptor ss_desc = read_descriptor(new_ss);
  if ((new_ss & 3) != rpl || !ss_desc.writable_data() || ss_desc.dpl() != rpl) {
    fault_on(Vector::GeneralProtection, new_ss);
  }
  if (!ss_desc.present()) fault_on(Vector::StackFault, new_ss);
  set_accessed(selector, code);
  load_code_segment(selector, code, rpl);
  regs_.eip = offset;
  set_accessed(new_ss, ss_desc);
  fill_cache(regs_.seg[kSs], new_ss, ss_desc);
  if (ss_desc.big()) {
    regs_.gpr[kEsp] = new_esp + release;
  } else {
    regs_.gpr[kEsp] = (regs_.gpr[kEsp] & 0xFFFF0000u) | ((new_esp + release) & 0xFFFF);
  }
  drop_inaccessible_data_segments();
}

void Cpu::interrupt_protected(uint8_t vector, uint32_t return_eip, InterruptSource source,
                              bool has_error, uint32_t error) {
  const uint32_t ext = source == InterruptSource::Software ? 0 : 1;
  const uint32_t gate_error = uint32_t{vector} * 8 + 2 + ext;
  if (uint32_t{vector} * 8 + 7 > regs_.idtr.limit)
    raise_fault(Vector::GeneralProtection, gate_error);
  Descriptor gate;
  gate.low = read_system<uint32_t>(regs_.idtr.base + vector * 8u);
  gate.high = read_system<uint32_t>(regs_.idtr.base + vector * 8u + 4);
  const uint8_t type = gate.type();
  if (gate.is_segment() ||
      (type != descriptor_type::kTaskGate && type != descriptor_type::kInterruptGate16 &&
       type != descriptor_type::kTrapGate16 && type != descriptor_type::kInterruptGate32 &&
       type != descriptor_type::kTrapGate32)) {
    raise_fault(Vector::GeneralProtection, gate_error);
  }
  if (source == InterruptSource::Software && gate.dpl() < cpl_) {
    raise_fault(Vector::GeneralProtection, gate_error);
  }
  if (!gate.present()) raise_fault(Vector::SegmentNotPresent, gate_error);

  if (type == descriptor_type::kTaskGate) {
    const uint16_t tss_selector = gate.gate_selector();
    if (tss_selector & 4) raise_fault(Vector::InvalidTss, selector_error(tss_selector) | ext);
    Descriptor tss = read_descriptor(tss_selector, Vector::InvalidTss);
    if (tss.is_segment() || (tss.type() != descriptor_type::kAvailableTss16 &&
                             tss.type() != descriptor_type::kAvailableTss32)) {
      raise_fault(Vector::InvalidTss, selector_error(tss_selector) | ext);
    }
    if (!tss.present()) raise_fault(Vector::SegmentNotPresent, selector_error(tss_selector) | ext);
    task_switch(tss_selector, tss, TaskSwitchReason::Interrupt, return_eip);
    if (has_error) {
      if (regs_.seg[kSs].big)
        push<uint32_t>(error);
      else
        push<uint16_t>(static_cast<uint16_t>(error));
    }
    return;
  }

  const uint16_t target = gate.gate_selector();
  if ((target & 0xFFFC) == 0) raise_fault(Vector::GeneralProtection, ext);
  Descriptor code = read_descriptor(target);
  if (!code.is_code() || code.dpl() > cpl_) {
    raise_fault(Vector::GeneralProtection, selector_error(target) | ext);
  }
  if (!code.present()) raise_fault(Vector::SegmentNotPresent, selector_error(target) | ext);
  const bool gate32 = gate.gate_is_32bit();
  uint32_t offset = gate.gate_offset();
  if (!gate32) offset &= 0xFFFF;
  if (offset > code.limit()) raise_fault(Vector::GeneralProtection, ext);

  const uint32_t old_flags = eflags();
  const bool from_v86 = v86_mode();
  const unsigned unit = gate32 ? 4 : 2;
  const SegmentCache saved_ss = regs_.seg[kSs];
  const uint32_t saved_esp = regs_.gpr[kEsp];
  const unsigned saved_cpl = cpl_;
  const uint32_t saved_flags = eflags_;
  auto push_unit = [&](uint32_t v) {
    if (unit == 4)
      push<uint32_t>(v);
    else
      push<uint16_t>(static_cast<uint16_t>(v));
  };
  try {
    unsigned new_cpl = cpl_;
    if (!code.conforming() && code.dpl() < cpl_) {
      new_cpl = code.dpl();
      if (from_v86 && new_cpl != 0)
        raise_fault(Vector::GeneralProtection, selector_error(target) | ext);
      uint16_t new_ss;
      uint32_t new_esp;
      stack_for_privilege(new_cpl, new_ss, new_esp);
      Descriptor ss_desc = read_descriptor(new_ss, Vector::InvalidTss);
      check_new_stack(ss_desc, new_ss, new_cpl);
      const uint16_t old_ss = saved_ss.selector;
      set_accessed(new_ss, ss_desc);
      fill_cache(regs_.seg[kSs], new_ss, ss_desc);
      regs_.gpr[kEsp] = new_esp;
      set_cpl(new_cpl);
      eflags_ &= ~flag::kVm;  // the pushes below go to the inner stack with protected checks
      if (from_v86) {
        push_unit(regs_.seg[kGs].selector);
        push_unit(regs_.seg[kFs].selector);
        push_unit(regs_.seg[kDs].selector);
        push_unit(regs_.seg[kEs].selector);
      }
      push_unit(old_ss);
      push_unit(saved_esp);
    } else if (from_v86) {
      raise_fault(Vector::GeneralProtection, selector_error(target) | ext);
    }
    push_unit(old_flags);
    push_unit(regs_.seg[kCs].selector);
    push_unit(return_eip);
    if (has_error) push_unit(error);
    if (from_v86) {
      for (unsigned seg : {kGs, kFs, kDs, kEs}) load_null_segment(seg, 0);
    }
    set_accessed(target, code);
    load_code_segment(target, code, new_cpl);
  } catch (...) {
    regs_.seg[kSs] = saved_ss;
    regs_.gpr[kEsp] = saved_esp;
    set_cpl(saved_cpl);
    sync_flat_segments();
    eflags_ = saved_flags;
    throw;
  }
  regs_.eip = offset;
  uint32_t cleared = flag::kTf | flag::kNt | flag::kRf | flag::kVm;
  if (type == descriptor_type::kInterruptGate16 || type == descriptor_type::kInterruptGate32) {
    cleared |= flag::kIf;
  }
  eflags_ &= ~cleared;
  chain_.exit_block = true;
}

void Cpu::interrupt_return_protected(unsigned operand_size) {
  if (v86_mode()) {
    // IRET in virtual-8086 mode: real-mode style, only with IOPL 3, and IOPL stays.
    if (((eflags_ & flag::kIopl) >> 12) < 3) raise_fault(Vector::GeneralProtection, 0);
    const uint32_t offset = operand_size == 4 ? peek_stack<uint32_t>(0) : peek_stack<uint16_t>(0);
    const uint16_t selector = static_cast<uint16_t>(operand_size == 4 ? peek_stack<uint32_t>(4)
                                                                      : peek_stack<uint16_t>(2));
    const uint32_t flags = operand_size == 4 ? peek_stack<uint32_t>(8) : peek_stack<uint16_t>(4);
    adjust_sp(3 * operand_size);
    load_segment_real(kCs, selector);
    regs_.eip = offset & (operand_size == 4 ? 0xFFFFFFFFu : 0xFFFFu);
    const uint32_t keep =
        flag::kIopl | flag::kVm | flag::kVip | flag::kVif | (operand_size == 2 ? 0xFFFF0000u : 0);
    set_eflags((eflags() & keep) | (flags & ~keep));
    chain_.exit_block = true;
    return;
  }
  if (eflags_ & flag::kNt) {
    // Return from a nested task: to the task named by this TSS's back link.
    const uint16_t back = read_system<uint16_t>(regs_.tr.base);
    if (back & 4) fault_on(Vector::InvalidTss, back);
    Descriptor tss = read_descriptor(back, Vector::InvalidTss);
    if (tss.is_segment() ||
        (tss.type() != descriptor_type::kBusyTss16 && tss.type() != descriptor_type::kBusyTss32)) {
      fault_on(Vector::InvalidTss, back);
    }
    if (!tss.present()) fault_on(Vector::SegmentNotPresent, back);
    task_switch(back, tss, TaskSwitchReason::Iret, regs_.eip);
    return;
  }
  const unsigned unit = operand_size;
  const uint32_t offset = unit == 4 ? peek_stack<uint32_t>(0) : peek_stack<uint16_t>(0);
  const uint16_t selector =
      static_cast<uint16_t>(unit == 4 ? peek_stack<uint32_t>(4) : peek_stack<uint16_t>(2));
  const uint32_t flags = unit == 4 ? peek_stack<uint32_t>(8) : peek_stack<uint16_t>(4);

  if (unit == 4 && (flags & flag::kVm) && cpl_ == 0) {
    // Back to virtual-8086 mode: the frame also holds ESP, SS, ES, DS, FS, GS.
    const uint32_t new_esp = peek_stack<uint32_t>(12);
    const uint16_t new_ss = static_cast<uint16_t>(peek_stack<uint32_t>(16));
    const uint16_t es = static_cast<uint16_t>(peek_stack<uint32_t>(20));
    const uint16_t ds = static_cast<uint16_t>(peek_stack<uint32_t>(24));
    const uint16_t fs = static_cast<uint16_t>(peek_stack<uint32_t>(28));
    const uint16_t gs = static_cast<uint16_t>(peek_stack<uint32_t>(32));
    set_eflags(flags);
    set_cpl(3);
    for (unsigned seg = 0; seg < kSegCount; ++seg) {
      regs_.seg[seg].limit = 0xFFFF;
      regs_.seg[seg].big = false;
      regs_.seg[seg].rights = segment_rights::kRead | segment_rights::kWrite;
    }
    load_segment_real(kCs, selector);
    load_segment_real(kSs, new_ss);
    load_segment_real(kEs, es);
    load_segment_real(kDs, ds);
    load_segment_real(kFs, fs);
    load_segment_real(kGs, gs);
    regs_.gpr[kEsp] = new_esp;
    regs_.eip = offset & 0xFFFF;
    chain_.exit_block = true;
    return;
  }

  const unsigned rpl = selector & 3;
  if ((selector & 0xFFFC) == 0) raise_fault(Vector::GeneralProtection, 0);
  Descriptor code = read_descriptor(selector);
  if (rpl < cpl_ || !code.is_code()) fault_on(Vector::GeneralProtection, selector);
  if (code.conforming() ? code.dpl() > rpl : code.dpl() != rpl) {
    fault_on(Vector::GeneralProtection, selector);
  }
  if (!code.present()) fault_on(Vector::SegmentNotPresent, selector);
  if (offset > code.limit()) raise_fault(Vector::GeneralProtection, 0);

  // Which flags the old privilege level may change.
  const unsigned old_cpl = cpl_;
  const unsigned iopl = (eflags_ & flag::kIopl) >> 12;
  uint32_t changeable = 0x00257FD5u;  // never VM from here
  if (unit == 4 && cpl_ == 0) changeable |= flag::kVif | flag::kVip;
  if (unit == 2) changeable &= 0xFFFF;
  if (old_cpl > 0) changeable &= ~flag::kIopl;
  if (old_cpl > iopl) changeable &= ~flag::kIf;
  auto apply_flags = [&] { set_eflags((eflags() & ~changeable) | (flags & changeable)); };

  if (rpl == cpl_) {
    adjust_sp(3 * unit);
    set_accessed(selector, code);
    load_code_segment(selector, code, cpl_);
    regs_.eip = offset;
    apply_flags();
    return;
  }
  const uint32_t new_esp = unit == 4 ? peek_stack<uint32_t>(12) : peek_stack<uint16_t>(6);
  const uint16_t new_ss =
      static_cast<uint16_t>(unit == 4 ? peek_stack<uint32_t>(16) : peek_stack<uint16_t>(8));
  if ((new_ss & 0xFFFC) == 0) raise_fault(Vector::GeneralProtection, 0);
  Descriptor ss_desc = read_descriptor(new_ss);
  if ((new_ss & 3) != rpl || !ss_desc.writable_data() || ss_desc.dpl() != rpl) {
    fault_on(Vector::GeneralProtection, new_ss);
  }
  if (!ss_desc.present()) fault_on(Vector::StackFault, new_ss);
  set_accessed(selector, code);
  load_code_segment(selector, code, rpl);
  regs_.eip = offset;
  apply_flags();
  set_accessed(new_ss, ss_desc);
  fill_cache(regs_.seg[kSs], new_ss, ss_desc);
  regs_.gpr[kEsp] = ss_desc.big() ? new_esp : (regs_.gpr[kEsp] & 0xFFFF0000u) | (new_esp & 0xFFFF);
  drop_inaccessible_data_segments();
}

void Cpu::task_switch(uint16_t selector, const Descriptor& tss, TaskSwitchReason reason,
                      uint32_t return_eip) {
  const bool new32 =
      tss.type() == descriptor_type::kAvailableTss32 || tss.type() == descriptor_type::kBusyTss32;
  const uint32_t min_limit = new32 ? 0x67 : 0x2B;
  if (tss.limit() < min_limit) fault_on(Vector::InvalidTss, selector);
  const uint32_t new_base = tss.base();

  // Read the new task's state first: a fault here leaves the old task untouched.
  struct State {
    uint32_t cr3 = 0, eip, eflags, gpr[8];
    uint16_t seg[6], ldt;
  } next{};
  if (new32) {
    next.cr3 = read_system<uint32_t>(new_base + 0x1C);
    next.eip = read_system<uint32_t>(new_base + 0x20);
    next.eflags = read_system<uint32_t>(new_base + 0x24);
    for (unsigned r = 0; r < 8; ++r) next.gpr[r] = read_system<uint32_t>(new_base + 0x28 + 4 * r);
    for (unsigned s = 0; s < 6; ++s) next.seg[s] = read_system<uint16_t>(new_base + 0x48 + 4 * s);
    next.ldt = read_system<uint16_t>(new_base + 0x60);
  } else {
    next.eip = read_system<uint16_t>(new_base + 0x0E);
    next.eflags = read_system<uint16_t>(new_base + 0x10);
    for (unsigned r = 0; r < 8; ++r) next.gpr[r] = read_system<uint16_t>(new_base + 0x12 + 2 * r);
    for (unsigned s = 0; s < 4; ++s) next.seg[s] = read_system<uint16_t>(new_base + 0x22 + 2 * s);
    next.seg[kFs] = next.seg[kGs] = 0;
    next.ldt = read_system<uint16_t>(new_base + 0x2A);
  }

  // Save the current task into its TSS.
  const SegmentCache old_tr = regs_.tr;
  const bool old32 = (old_tr.access & 0xF) == descriptor_type::kBusyTss32 ||
                     (old_tr.access & 0xF) == descriptor_type::kAvailableTss32;
  uint32_t old_flags = eflags();
  if (reason == TaskSwitchReason::Iret) old_flags &= ~flag::kNt;
  if (old32) {
    write_system<uint32_t>(old_tr.base + 0x20, return_eip);
    write_system<uint32_t>(old_tr.base + 0x24, old_flags);
    for (unsigned r = 0; r < 8; ++r)
      write_system<uint32_t>(old_tr.base + 0x28 + 4 * r, regs_.gpr[r]);
    for (unsigned s = 0; s < 6; ++s) {
      write_system<uint16_t>(old_tr.base + 0x48 + 4 * s, regs_.seg[s].selector);
    }
  } else {
    write_system<uint16_t>(old_tr.base + 0x0E, static_cast<uint16_t>(return_eip));
    write_system<uint16_t>(old_tr.base + 0x10, static_cast<uint16_t>(old_flags));
    for (unsigned r = 0; r < 8; ++r) {
      write_system<uint16_t>(old_tr.base + 0x12 + 2 * r, static_cast<uint16_t>(regs_.gpr[r]));
    }
    for (unsigned s = 0; s < 4; ++s) {
      write_system<uint16_t>(old_tr.base + 0x22 + 2 * s, regs_.seg[s].selector);
    }
  }

  // Busy bits: the old task stays busy for CALL and interrupts (it is nested), else not.
  auto set_busy = [&](uint16_t sel, bool busy) {
    const uint32_t at = regs_.gdtr.base + (sel & 0xFFF8) + 4;
    uint32_t high = read_system<uint32_t>(at);
    high = busy ? (high | 0x200) : (high & ~0x200u);
    write_system<uint32_t>(at, high);
  };
  if (reason == TaskSwitchReason::Jump || reason == TaskSwitchReason::Iret) {
    set_busy(old_tr.selector, false);
  }
  if (reason != TaskSwitchReason::Iret) set_busy(selector, true);
  if (reason == TaskSwitchReason::Call || reason == TaskSwitchReason::Interrupt) {
    write_system<uint16_t>(new_base, old_tr.selector);  // back link
    next.eflags |= flag::kNt;
  }

  Descriptor loaded = read_descriptor(selector);
  fill_cache(regs_.tr, selector, loaded);
  regs_.cr0 |= 0x8;  // TS
  if (new32 && (regs_.cr0 & 0x80000000u)) write_cr3(next.cr3);
  for (unsigned r = 0; r < 8; ++r) regs_.gpr[r] = new32 ? next.gpr[r] : next.gpr[r] & 0xFFFF;
  regs_.eip = next.eip;
  set_eflags(new32 ? next.eflags : (next.eflags & 0xFFFF));
  // Segment registers: selectors first, then the descriptor checks of the new task (#TS).
  if (v86_mode()) {
    set_cpl(3);
    for (unsigned s = 0; s < kSegCount; ++s) {
      regs_.seg[s].limit = 0xFFFF;
      regs_.seg[s].big = false;
      load_segment_real(s, next.seg[s]);
    }
    load_ldt(next.ldt);
  } else {
    load_ldt(next.ldt);
    const uint16_t cs_selector = next.seg[kCs];
    Descriptor cs_desc = read_descriptor(cs_selector, Vector::InvalidTss);
    const unsigned cs_rpl = cs_selector & 3u;
    if (!cs_desc.is_code() ||
        (cs_desc.conforming() ? cs_desc.dpl() > cs_rpl : cs_desc.dpl() != cs_rpl)) {
      fault_on(Vector::InvalidTss, cs_selector);
    }
    if (!cs_desc.present()) fault_on(Vector::SegmentNotPresent, cs_selector);
    load_code_segment(cs_selector, cs_desc, cs_rpl);
    // The new task's segment checks are those of a MOV, but an invalid selector or descriptor
    // is #TS (SDM vol. 3, table 7-1); not present stays #NP, or #SS for SS.
    try {
      load_segment_protected(kSs, next.seg[kSs]);
      for (unsigned s : {kEs, kDs, kFs, kGs}) load_segment_protected(s, next.seg[s]);
    } catch (const CpuFault& fault) {
      if (fault.vector != static_cast<uint8_t>(Vector::GeneralProtection)) throw;
      raise_fault(Vector::InvalidTss, fault.error_code);
    }
  }
  chain_.exit_block = true;
  // The new TSS's T bit: a #DB trap (BT) before the task's first instruction.
  if (new32 && (read_system<uint16_t>(new_base + 0x64) & 1)) request_debug_trap(1u << 15);
}

}  // namespace x86lab::cpu
