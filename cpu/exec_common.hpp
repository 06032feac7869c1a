// Shared pieces of the instruction handlers: operand access by the kind decode settled, and
// the selection of a handler instance for an operand size and operand kinds.
//
// Operand placement (set by the decoder for every instruction): a register first operand is in
// insn.rm, a register second operand in insn.reg, a memory operand (first or second) is the
// effective-address recipe, an immediate is insn.imm.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "cpu/cpu.hpp"
#include "cpu/insn.hpp"

namespace x86lab::cpu {

enum class Kind : uint8_t { None, Reg, Mem, Imm };

template <typename T>
using Signed = std::make_signed_t<T>;
template <typename T>
using Wider = std::conditional_t<sizeof(T) == 1, uint16_t,
                                 std::conditional_t<sizeof(T) == 2, uint32_t, uint64_t>>;

template <typename T>
constexpr T sign_bit() {
  return static_cast<T>(T{1} << (8 * sizeof(T) - 1));
}

// The first operand (destination): register insn.rm or memory.
template <typename T, Kind K>
inline T read_first(Cpu& cpu, const Insn& insn) {
  if constexpr (K == Kind::Mem) {
    return cpu.read_mem<T>(insn.seg, cpu.effective_address(insn));
  } else {
    return cpu.reg<T>(insn.rm);
  }
}

template <typename T, Kind K>
inline void write_first(Cpu& cpu, const Insn& insn, T value) {
  if constexpr (K == Kind::Mem) {
    cpu.write_mem<T>(insn.seg, cpu.effective_address(insn), value);
  } else {
    cpu.set_reg<T>(insn.rm, value);
  }
}

// The second operand (source): register insn.reg, memory, or the immediate.
template <typename T, Kind K>
inline T read_second(Cpu& cpu, const Insn& insn) {
  if constexpr (K == Kind::Mem) {
    return cpu.read_mem<T>(insn.seg, cpu.effective_address(insn));
  } else if constexpr (K == Kind::Imm) {
    return static_cast<T>(insn.imm);
  } else if constexpr (K == Kind::Reg) {
    return cpu.reg<T>(insn.reg);
  } else {
    return T{1};
  }
}

// Read-modify-write of the first operand: the address is computed once.
template <typename T, Kind K, typename F>
inline void modify_first(Cpu& cpu, const Insn& insn, F&& f) {
  if constexpr (K == Kind::Mem) {
    cpu.modify_mem<T>(insn.seg, cpu.effective_address(insn), f);
  } else {
    cpu.set_reg<T>(insn.rm, f(cpu.reg<T>(insn.rm)));
  }
}

// Direct threading: the instance the decoder stores runs the handler and then calls the next
// instruction's handler itself (a tail call: a jump), instead of returning to the block loop.
// The chain stops at the block's end marker (not threaded), at any handler that is not
// threaded, and when the handler asked to leave the block or the run executes one
// instruction at a time (Cpu::chain_stopped); the loop in Cpu::execute_block resumes after
// the last instruction run (current_insn). At most a block's length of frames if the call is
// not turned into a jump (an unoptimised build). Never inlined: a fast twin's slow path
// (threaded_fast) jumps to it, and GCC, when it inlined it there, gave the fast path a stack
// frame (MOV load: 32 -> 38 host instructions).
template <void (*Body)(Cpu&, const Insn&)>
[[gnu::noinline]] void threaded(Cpu& cpu, const Insn& insn) {
  Body(cpu, insn);
  if (!cpu.chain_stopped()) [[likely]] {
    const Insn* const next = &insn + 1;
    cpu.set_current_insn(next);
    next->fn(cpu, *next);
  }
}

// Effective-address forms settled at decode for 32-bit addressing: no 16-bit mask, and no index
// for [base+disp] and [disp] (a missing base is the zero register kNoReg). 16-bit addressing
// keeps the general Cpu::effective_address.
enum class AddressForm : uint8_t { Base32, BaseIndex32 };
inline constexpr unsigned kAddressForms = 2;

template <AddressForm A>
[[gnu::always_inline]] inline uint32_t address_of(Cpu& cpu, const Insn& insn) {
  if constexpr (A == AddressForm::Base32) {
    return cpu.gpr(insn.base) + insn.disp;
  } else {
    return cpu.gpr(insn.base) + (cpu.gpr(insn.index) << insn.scale) + insn.disp;
  }
}

// The fast twin of a memory handler. Fast does the whole instruction when its accesses need no
// check (Cpu::fast_read_pointer and friends) and returns true; otherwise it changes nothing and
// returns false, and General, the instance the decoder picked (threaded), runs instead as a
// tail call. Fast makes no call, so neither it nor this wrapper needs a stack frame. The slow
// path places itself (current_insn) before General may fault, so the instruction before this
// one need not: see threaded_lean.
template <bool (*Fast)(Cpu&, const Insn&), Handler General>
void threaded_fast(Cpu& cpu, const Insn& insn) {
  if (!Fast(cpu, insn)) [[unlikely]] {
    cpu.set_current_insn(&insn);
    General(cpu, insn);
    return;
  }
  if (!cpu.chain_stopped()) [[likely]] {
    const Insn* const next = &insn + 1;
    cpu.set_current_insn(next);
    next->fn(cpu, *next);
  }
}

// Lean threading: the twin of threaded<Body> for a Body that can neither fault, nor stop the
// chain, nor read current_insn (a register ALU operation, a register move). It goes straight
// on to the next instruction: no test of Cpu::chain_stopped (nothing it does can set
// exit_block, and runs one instruction at a time use Block::precise) and no store of
// current_insn, which the next instruction then must not need from it: build_block gives an
// instruction its lean twin only when the next one places itself (placed_on_entry in
// handler_twins.cpp): another lean-capable instruction, a fast twin, a fused Jcc or the block's
// end marker. Two stores and a compare less per instruction.
template <void (*Body)(Cpu&, const Insn&)>
void threaded_lean(Cpu& cpu, const Insn& insn) {
  Body(cpu, insn);
  const Insn* const next = &insn + 1;
  next->fn(cpu, *next);
}

// The lean twin of threaded_fast: the fast path goes straight on; the slow path is
// threaded_fast's.
template <bool (*Fast)(Cpu&, const Insn&), Handler General>
void threaded_fast_lean(Cpu& cpu, const Insn& insn) {
  if (!Fast(cpu, insn)) [[unlikely]] {
    cpu.set_current_insn(&insn);
    General(cpu, insn);
    return;
  }
  const Insn* const next = &insn + 1;
  next->fn(cpu, *next);
}

// The twins picked once per decoded instruction: the fast twins of a general memory-operand
// instance by address form and the lean twins of threaded_lean (handler_twins.cpp; each family
// file adds its own).
struct HandlerTwins {
  std::unordered_map<Handler, std::array<Handler, kAddressForms>> forms;
  std::unordered_map<Handler, Handler> lean;
};

// Registers the lean twin of threaded<Body>.
template <void (*Body)(Cpu&, const Insn&)>
void add_lean(HandlerTwins& twins) {
  twins.lean[&threaded<Body>] = &threaded_lean<Body>;
}

// Registers the fast twins of general for both address forms, with their lean twins.
template <bool (*Base)(Cpu&, const Insn&), bool (*BaseIndex)(Cpu&, const Insn&), Handler General>
void add_fast_pair(HandlerTwins& twins) {
  twins.forms[General] = {&threaded_fast<Base, General>, &threaded_fast<BaseIndex, General>};
  twins.lean[&threaded_fast<Base, General>] = &threaded_fast_lean<Base, General>;
  twins.lean[&threaded_fast<BaseIndex, General>] = &threaded_fast_lean<BaseIndex, General>;
}

// Registers a fast twin that is not picked by address form (PUSH, POP) with its lean twin.
template <bool (*Fast)(Cpu&, const Insn&), Handler General>
void add_fast_lean(HandlerTwins& twins) {
  twins.lean[&threaded_fast<Fast, General>] = &threaded_fast_lean<Fast, General>;
}

// A register ALU operation fused with the 32-bit Jcc after it (dec ecx / jnz): one handler
// for the pair, the condition read from the lazy state the operation just recorded (the
// compiler folds it). Flags stay exact: the operation records them as usual. The Jcc keeps
// its own slot, so counts and a fault of the branch (#GP past the CS limit) are the Jcc's;
// runs that stop inside the block use the unfused handlers (Block::precise). A Jcc ends its
// block, so the next slot is the end marker, which places itself: lean, as threaded_lean (the
// operation cannot fault, the jump can only fault, and neither stops the chain).
template <void (*Producer)(Cpu&, const Insn&), unsigned Cc>
void fused_jcc(Cpu& cpu, const Insn& insn) {
  Producer(cpu, insn);
  const Insn* const branch = &insn + 1;
  cpu.set_current_insn(branch);
  cpu.sync_eip(*branch);
  if (cpu.condition<Cc>()) cpu.jump_near(cpu.regs().eip + branch->disp, 4);
  const Insn* const next = branch + 1;
  next->fn(cpu, *next);
}

// The same pair with the Jcc inside a superblock (exec_control.cpp's jcc_side_exit): taken, it
// leaves through the Jcc's link; not taken, it goes on after the Jcc.
template <void (*Producer)(Cpu&, const Insn&), unsigned Cc>
void fused_jcc_side_exit(Cpu& cpu, const Insn& insn) {
  Producer(cpu, insn);
  const Insn* const branch = &insn + 1;
  if (cpu.condition<Cc>()) {
    cpu.set_current_insn(branch);
    cpu.sync_eip(*branch);
    cpu.jump_near(cpu.regs().eip + branch->disp, 4);
    Cpu::side_exit(cpu, *branch);
    return;
  }
  const Insn* const next = branch + 1;
  cpu.set_current_insn(next);
  next->fn(cpu, *next);
}

// (operation instance, Jcc instance) -> the fused handler (exec_alu.cpp).
using FusedPairs = std::map<std::pair<Handler, Handler>, Handler>;

template <template <typename, Kind, Kind> class H, typename T>
Handler select_kinds(Kind first, Kind second) {
  if (first == Kind::Mem) {
    switch (second) {
      case Kind::Reg:
        return &threaded<&H<T, Kind::Mem, Kind::Reg>::run>;
      case Kind::Imm:
        return &threaded<&H<T, Kind::Mem, Kind::Imm>::run>;
      case Kind::None:
        return &threaded<&H<T, Kind::Mem, Kind::None>::run>;
      default:
        return nullptr;
    }
  }
  switch (second) {
    case Kind::Reg:
      return &threaded<&H<T, Kind::Reg, Kind::Reg>::run>;
    case Kind::Mem:
      return &threaded<&H<T, Kind::Reg, Kind::Mem>::run>;
    case Kind::Imm:
      return &threaded<&H<T, Kind::Reg, Kind::Imm>::run>;
    default:
      return &threaded<&H<T, Kind::Reg, Kind::None>::run>;
  }
}

// Registers the fast twins of H<T, F, S> (the instance select_kinds picks): Fast<T, F, S, form>
// for each address form.
template <template <typename, Kind, Kind> class H,
          template <typename, Kind, Kind, AddressForm> class Fast, Kind F, Kind S>
void add_address_forms(HandlerTwins& twins) {
  auto one_size = [&]<typename T>(T) {
    add_fast_pair<&Fast<T, F, S, AddressForm::Base32>::run,
                  &Fast<T, F, S, AddressForm::BaseIndex32>::run, &threaded<&H<T, F, S>::run>>(
        twins);
  };
  one_size(uint8_t{});
  one_size(uint16_t{});
  one_size(uint32_t{});
}

// Registers the lean twins of H<T, Reg, S> for the given sizes (H's register forms never fault).
template <template <typename, Kind, Kind> class H, Kind S, typename... T>
void add_lean_register_forms(HandlerTwins& twins) {
  (add_lean<&H<T, Kind::Reg, S>::run>(twins), ...);
}

// Picks H<T, first, second>::run for an operand size in bytes (1, 2 or 4).
template <template <typename, Kind, Kind> class H>
Handler select_handler(unsigned size, Kind first, Kind second) {
  switch (size) {
    case 1:
      return select_kinds<H, uint8_t>(first, second);
    case 2:
      return select_kinds<H, uint16_t>(first, second);
    default:
      return select_kinds<H, uint32_t>(first, second);
  }
}

// For handlers that only take operand sizes 2 and 4.
template <template <typename, Kind, Kind> class H>
Handler select_handler_wide(unsigned size, Kind first, Kind second) {
  return size == 2 ? select_kinds<H, uint16_t>(first, second)
                   : select_kinds<H, uint32_t>(first, second);
}

}  // namespace x86lab::cpu
