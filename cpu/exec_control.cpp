// Control transfer: jumps, calls, returns, loops, software interrupts, IRET, ENTER/LEAVE and
// BOUND. Every handler checks what can fault before it changes any state.
#include <utility>

#include "cpu/handlers.hpp"

namespace x86lab::cpu {
namespace {

template <typename T>
uint32_t relative_target(Cpu& cpu, const Insn& insn) {
  return static_cast<T>(cpu.regs().eip + insn.disp);
}

template <typename T, unsigned Cc>
void jcc(Cpu& cpu, const Insn& insn) {
  cpu.sync_eip(insn);
  if (cpu.condition<Cc>()) cpu.jump_near(relative_target<T>(cpu, insn), sizeof(T));
}

template <typename T, unsigned... Cc>
Handler jcc_for(unsigned cc, std::integer_sequence<unsigned, Cc...>) {
  constexpr Handler table[] = {&threaded<&jcc<T, Cc>>...};
  return table[cc & 15];
}

// A Jcc inside a superblock (Cpu::build_block goes on past a conditional jump): not taken, it
// goes on to the next instruction of the block with no end marker between; taken, it leaves
// the block through its own link (Cpu::side_exit). It places itself before it may fault.
template <typename T, unsigned Cc>
void jcc_side_exit(Cpu& cpu, const Insn& insn) {
  if (cpu.condition<Cc>()) {
    cpu.set_current_insn(&insn);
    cpu.sync_eip(insn);
    cpu.jump_near(relative_target<T>(cpu, insn), sizeof(T));
    Cpu::side_exit(cpu, insn);
    return;
  }
  const Insn* const next = &insn + 1;
  cpu.set_current_insn(next);
  next->fn(cpu, *next);
}

// Its twin for runs that stop inside the block (Block::precise): the plain Jcc, and a taken
// jump ends the run there, as the end of a block would.
template <typename T, unsigned Cc>
void jcc_side_exit_precise(Cpu& cpu, const Insn& insn) {
  jcc<T, Cc>(cpu, insn);
  if (cpu.condition<Cc>()) cpu.request_block_exit();
}

template <typename T, unsigned... Cc>
SideExitTwins side_exit_twins_for(Handler h, std::integer_sequence<unsigned, Cc...>) {
  constexpr Handler plain[] = {&threaded<&jcc<T, Cc>>...};
  constexpr Handler fast[] = {&jcc_side_exit<T, Cc>...};
  constexpr Handler precise[] = {&jcc_side_exit_precise<T, Cc>...};
  for (unsigned cc = 0; cc < 16; ++cc) {
    if (plain[cc] == h) return {fast[cc], precise[cc]};
  }
  return {};
}

template <typename T>
void jmp_rel(Cpu& cpu, const Insn& insn) {
  cpu.sync_eip(insn);
  cpu.jump_near(relative_target<T>(cpu, insn), sizeof(T));
}

template <typename T>
void call_rel(Cpu& cpu, const Insn& insn) {
  cpu.sync_eip(insn);
  const uint32_t target = relative_target<T>(cpu, insn);
  cpu.check_code_limit(target);
  cpu.push<T>(static_cast<T>(cpu.regs().eip));
  cpu.jump_near(target, sizeof(T));
}

// A CALL or JMP rel that ends its block leads to the same EIP every time, as a taken Jcc side
// exit does: it leaves through a link of its own (Cpu::side_exit, jump_exit_twin) instead of
// the end marker's, one dispatch and the marker's pick between two links fewer. It places
// itself before it may fault. A CALL whose push wrote to a page with decoded code stops the
// chain (the block may be gone) as threaded<> would.
template <typename T>
void call_rel_exit(Cpu& cpu, const Insn& insn) {
  cpu.set_current_insn(&insn);
  call_rel<T>(cpu, insn);
  if (cpu.chain_stopped()) [[unlikely]]
    return;
  Cpu::side_exit(cpu, insn);
}

template <typename T>
void jmp_rel_exit(Cpu& cpu, const Insn& insn) {
  cpu.set_current_insn(&insn);
  jmp_rel<T>(cpu, insn);
  Cpu::side_exit(cpu, insn);
}

template <typename T, Kind F, Kind S>
struct JmpIndirect {
  static void run(Cpu& cpu, const Insn& insn) {
    cpu.sync_eip(insn);
    cpu.jump_near(read_second<T, S>(cpu, insn), sizeof(T));
  }
};

template <typename T, Kind F, Kind S>
struct CallIndirect {
  static void run(Cpu& cpu, const Insn& insn) {
    cpu.sync_eip(insn);
    const T target = read_second<T, S>(cpu, insn);
    cpu.check_code_limit(target);
    cpu.push<T>(static_cast<T>(cpu.regs().eip));
    cpu.jump_near(target, sizeof(T));
  }
};

template <typename T>
void jmp_far_direct(Cpu& cpu, const Insn& insn) {
  cpu.sync_eip(insn);
  cpu.jump_far(insn.imm2, static_cast<T>(insn.imm), sizeof(T));
}

template <typename T>
void call_far_direct(Cpu& cpu, const Insn& insn) {
  cpu.sync_eip(insn);
  cpu.call_far(insn.imm2, static_cast<T>(insn.imm), sizeof(T));
}

template <typename T>
void jmp_far_indirect(Cpu& cpu, const Insn& insn) {
  cpu.sync_eip(insn);
  const uint32_t offset = cpu.effective_address(insn);
  const T target = cpu.read_mem<T>(insn.seg, offset);
  const uint16_t selector =
      cpu.read_mem<uint16_t>(insn.seg, (offset + sizeof(T)) & (0xFFFFFFFFu >> insn.ea_shift));
  cpu.jump_far(selector, target, sizeof(T));
}

template <typename T>
void call_far_indirect(Cpu& cpu, const Insn& insn) {
  cpu.sync_eip(insn);
  const uint32_t offset = cpu.effective_address(insn);
  const T target = cpu.read_mem<T>(insn.seg, offset);
  const uint16_t selector =
      cpu.read_mem<uint16_t>(insn.seg, (offset + sizeof(T)) & (0xFFFFFFFFu >> insn.ea_shift));
  cpu.call_far(selector, target, sizeof(T));
}

template <typename T>
void ret_near(Cpu& cpu, const Insn& insn) {
  cpu.sync_eip(insn);
  const T target = cpu.peek_stack<T>(0);
  cpu.check_code_limit(target);
  cpu.adjust_sp(sizeof(T) + (insn.imm & 0xFFFF));
  cpu.jump_near(target, sizeof(T));
}

template <typename T>
void ret_far(Cpu& cpu, const Insn& insn) {
  cpu.sync_eip(insn);
  cpu.return_far(sizeof(T), insn.imm & 0xFFFF);
}

template <LoopOp Op, typename C>
void loop(Cpu& cpu, const Insn& insn) {
  cpu.sync_eip(insn);
  // The counter is CX or ECX by address size; the target is masked by operand size.
  C count = cpu.reg<C>(kEcx);
  bool taken;
  if constexpr (Op == LoopOp::Jcxz) {
    taken = count == 0;
  } else {
    count = static_cast<C>(count - 1);
    cpu.set_reg<C>(kEcx, count);
    taken = count != 0;
    if (Op == LoopOp::Loope) taken = taken && cpu.zf();
    if (Op == LoopOp::Loopne) taken = taken && !cpu.zf();
  }
  if (taken) {
    const uint32_t mask = insn.prefixes & prefix::kO32 ? 0xFFFFFFFFu : 0xFFFFu;
    cpu.jump_near((cpu.regs().eip + insn.disp) & mask, insn.prefixes & prefix::kO32 ? 4 : 2);
  }
}

template <LoopOp Op>
Handler loop_for(bool address32) {
  return address32 ? &loop<Op, uint32_t> : &loop<Op, uint16_t>;
}

void int_n(Cpu& cpu, const Insn& insn) {
  cpu.sync_eip(insn);
  cpu.software_interrupt(static_cast<uint8_t>(insn.imm));
}
void int3(Cpu& cpu, const Insn& insn) {
  cpu.sync_eip(insn);
  cpu.software_interrupt(3);
}
void int1(Cpu& cpu, const Insn& insn) {
  cpu.sync_eip(insn);
  cpu.software_interrupt(1);
}
void into(Cpu& cpu, const Insn& insn) {
  cpu.sync_eip(insn);
  if (cpu.of()) cpu.software_interrupt(4);
}

template <typename T>
void iret(Cpu& cpu, const Insn& insn) {
  cpu.sync_eip(insn);
  cpu.interrupt_return(sizeof(T));
}

template <typename T>
void enter(Cpu& cpu, const Insn& insn) {
  const uint16_t frame_size = static_cast<uint16_t>(insn.imm);
  const unsigned level = insn.imm2 & 31;
  const uint32_t sp_mask = cpu.stack_pointer_mask();
  const uint32_t old_esp = cpu.gpr(kEsp);
  const uint32_t old_ebp = cpu.gpr(kEbp);
  try {
    cpu.push<T>(cpu.reg<T>(kEbp));
    // FrameTemp is ESP with a 32-bit operand, SP with a 16-bit one, whatever the stack size:
    // a 32-bit ENTER on a 16-bit stack keeps ESP's upper half in EBP.
    const uint32_t frame_pointer = cpu.gpr(kEsp);
    if (level > 0) {
      uint32_t bp = cpu.gpr(kEbp);
      for (unsigned i = 1; i < level; ++i) {
        bp = (bp & ~sp_mask) | ((bp - sizeof(T)) & sp_mask);
        cpu.push<T>(cpu.read_mem<T>(kSs, bp & sp_mask));
      }
      cpu.push<T>(static_cast<T>(frame_pointer));
    }
    // The new stack top must be writable: touch it before committing.
    const uint32_t new_sp = (cpu.gpr(kEsp) - frame_size) & sp_mask;
    if (frame_size) cpu.probe_write(kSs, new_sp, 1);
    cpu.set_reg<T>(kEbp, static_cast<T>(frame_pointer));
    cpu.gpr(kEsp) = (cpu.gpr(kEsp) & ~sp_mask) | new_sp;
  } catch (...) {
    cpu.gpr(kEsp) = old_esp;
    cpu.gpr(kEbp) = old_ebp;
    throw;
  }
}

template <typename T>
void leave(Cpu& cpu, const Insn&) {
  const uint32_t sp_mask = cpu.stack_pointer_mask();
  const uint32_t frame = cpu.gpr(kEbp) & sp_mask;
  const T saved_bp = cpu.read_mem<T>(kSs, frame);
  cpu.gpr(kEsp) = (cpu.gpr(kEsp) & ~sp_mask) | ((frame + sizeof(T)) & sp_mask);
  cpu.set_reg<T>(kEbp, saved_bp);
}

template <typename T>
void bound(Cpu& cpu, const Insn& insn) {
  using S = Signed<T>;
  const uint32_t offset = cpu.effective_address(insn);
  const S lower = static_cast<S>(cpu.read_mem<T>(insn.seg, offset));
  const S upper = static_cast<S>(
      cpu.read_mem<T>(insn.seg, (offset + sizeof(T)) & (0xFFFFFFFFu >> insn.ea_shift)));
  const S index = static_cast<S>(cpu.reg<T>(insn.rm));
  if (index < lower || index > upper) raise_fault(Vector::BoundRange);
}

}  // namespace

Handler select_jcc(unsigned size, unsigned condition) {
  using Codes = std::make_integer_sequence<unsigned, 16>;
  return size == 2 ? jcc_for<uint16_t>(condition, Codes{}) : jcc_for<uint32_t>(condition, Codes{});
}
SideExitTwins side_exit_twins(Handler jcc) {
  using Codes = std::make_integer_sequence<unsigned, 16>;
  const SideExitTwins wide = side_exit_twins_for<uint32_t>(jcc, Codes{});
  return wide.fast ? wide : side_exit_twins_for<uint16_t>(jcc, Codes{});
}
std::vector<Handler> side_exit_handlers() {
  std::vector<Handler> all;
  for (unsigned size : {2u, 4u}) {
    for (unsigned cc = 0; cc < 16; ++cc) all.push_back(side_exit_twins(select_jcc(size, cc)).fast);
  }
  return all;
}
namespace {
// The last instruction of a block that leaves to where it set EIP (RET, an indirect JMP or
// CALL), with the end marker after it: it places itself (it may fault) and goes on to the end
// marker's code directly, instead of through the block loop (RET's handler is not threaded)
// or one more dispatch. A write of CALL's push to a page with decoded code stops the chain.
template <void (*Body)(Cpu&, const Insn&)>
void to_end_marker(Cpu& cpu, const Insn& insn) {
  cpu.set_current_insn(&insn);
  Body(cpu, insn);
  if (cpu.chain_stopped()) [[unlikely]]
    return;
  Cpu::block_end_handler<true>(cpu, *(&insn + 1));
}

struct EndTwin {
  Handler plain;
  Handler twin;
};

const std::vector<EndTwin>& end_twins() {
  static const std::vector<EndTwin> twins = {
      {&ret_near<uint32_t>, &to_end_marker<&ret_near<uint32_t>>},
      {&ret_near<uint16_t>, &to_end_marker<&ret_near<uint16_t>>},
      {select_jmp_near_indirect(4, Kind::Reg),
       &to_end_marker<&JmpIndirect<uint32_t, Kind::Reg, Kind::Reg>::run>},
      {select_jmp_near_indirect(4, Kind::Mem),
       &to_end_marker<&JmpIndirect<uint32_t, Kind::Reg, Kind::Mem>::run>},
      {select_call_near_indirect(4, Kind::Reg),
       &to_end_marker<&CallIndirect<uint32_t, Kind::Reg, Kind::Reg>::run>},
      {select_call_near_indirect(4, Kind::Mem),
       &to_end_marker<&CallIndirect<uint32_t, Kind::Reg, Kind::Mem>::run>},
  };
  return twins;
}
}  // namespace

Handler end_marker_twin(Handler last) {
  for (const EndTwin& t : end_twins()) {
    if (t.plain == last) return t.twin;
  }
  return nullptr;
}
std::vector<Handler> end_marker_twin_handlers() {
  std::vector<Handler> all;
  for (const EndTwin& t : end_twins()) all.push_back(t.twin);
  return all;
}

Handler jump_exit_twin(Handler last) {
  if (last == &call_rel<uint32_t>) return &call_rel_exit<uint32_t>;
  if (last == &call_rel<uint16_t>) return &call_rel_exit<uint16_t>;
  if (last == &threaded<&jmp_rel<uint32_t>>) return &jmp_rel_exit<uint32_t>;
  if (last == &threaded<&jmp_rel<uint16_t>>) return &jmp_rel_exit<uint16_t>;
  return nullptr;
}
std::vector<Handler> jump_exit_handlers() {
  return {&call_rel_exit<uint32_t>, &call_rel_exit<uint16_t>, &jmp_rel_exit<uint32_t>,
          &jmp_rel_exit<uint16_t>};
}
Handler select_jmp_rel(unsigned size) {
  return size == 2 ? &threaded<&jmp_rel<uint16_t>> : &threaded<&jmp_rel<uint32_t>>;
}
Handler select_call_rel(unsigned size) {
  return size == 2 ? &call_rel<uint16_t> : &call_rel<uint32_t>;
}
Handler select_jmp_near_indirect(unsigned size, Kind source) {
  return select_handler_wide<JmpIndirect>(size, Kind::Reg, source);
}
Handler select_call_near_indirect(unsigned size, Kind source) {
  return select_handler_wide<CallIndirect>(size, Kind::Reg, source);
}
Handler select_jmp_far_direct(unsigned size) {
  return size == 2 ? &jmp_far_direct<uint16_t> : &jmp_far_direct<uint32_t>;
}
Handler select_call_far_direct(unsigned size) {
  return size == 2 ? &call_far_direct<uint16_t> : &call_far_direct<uint32_t>;
}
Handler select_jmp_far_indirect(unsigned size) {
  return size == 2 ? &jmp_far_indirect<uint16_t> : &jmp_far_indirect<uint32_t>;
}
Handler select_call_far_indirect(unsigned size) {
  return size == 2 ? &call_far_indirect<uint16_t> : &call_far_indirect<uint32_t>;
}
Handler select_ret_near(unsigned size) {
  return size == 2 ? &ret_near<uint16_t> : &ret_near<uint32_t>;
}
Handler select_ret_far(unsigned size) {
  return size == 2 ? &ret_far<uint16_t> : &ret_far<uint32_t>;
}
Handler select_loop(LoopOp op, unsigned /*size*/, bool address32) {
  switch (op) {
    case LoopOp::Loopne:
      return loop_for<LoopOp::Loopne>(address32);
    case LoopOp::Loope:
      return loop_for<LoopOp::Loope>(address32);
    case LoopOp::Loop:
      return loop_for<LoopOp::Loop>(address32);
    case LoopOp::Jcxz:
      return loop_for<LoopOp::Jcxz>(address32);
  }
  return nullptr;
}
Handler select_iret(unsigned size) { return size == 2 ? &iret<uint16_t> : &iret<uint32_t>; }
Handler select_enter(unsigned size) { return size == 2 ? &enter<uint16_t> : &enter<uint32_t>; }
Handler select_leave(unsigned size) { return size == 2 ? &leave<uint16_t> : &leave<uint32_t>; }
Handler select_bound(unsigned size) { return size == 2 ? &bound<uint16_t> : &bound<uint32_t>; }
const Handler kInt = &int_n;
const Handler kInt3 = &int3;
const Handler kInto = &into;
const Handler kInt1 = &int1;

}  // namespace x86lab::cpu
