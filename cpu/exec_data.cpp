// Data movement: MOV, XCHG, LEA, MOVZX/MOVSX, stack pushes and pops, segment register moves,
// far-pointer loads, SETcc/CMOVcc, BSWAP, and the accumulator conversions.
#include <iterator>
#include <type_traits>
#include <utility>

#include "cpu/handlers.hpp"

namespace x86lab::cpu {
namespace {

template <typename T, Kind F, Kind S>
struct Mov {
  static void run(Cpu& cpu, const Insn& insn) {
    write_first<T, F>(cpu, insn, read_second<T, S>(cpu, insn));
  }
};

// The fast twins (exec_common.hpp): the move on the host bytes, or false when the access needs
// a check.
template <typename T, Kind F, Kind S, AddressForm A>
struct MovFast {
  static bool run(Cpu& cpu, const Insn& insn) {
    const uint32_t offset = address_of<A>(cpu, insn);
    if constexpr (F == Kind::Mem) {
      uint8_t* const p = cpu.fast_write_pointer<T>(insn.seg, offset);
      if (!p) return false;
      bus::store_le<T>(p, read_second<T, S>(cpu, insn));
    } else {
      const uint8_t* const p = cpu.fast_read_pointer<T>(insn.seg, offset);
      if (!p) return false;
      cpu.set_reg<T>(insn.rm, bus::load_le<T>(p));
    }
    return true;
  }
};

template <typename T, Kind F, Kind>
struct Xchg {
  static void run(Cpu& cpu, const Insn& insn) {
    const T other = cpu.reg<T>(insn.reg);
    T old{};
    modify_first<T, F>(cpu, insn, [&](T value) {
      old = value;
      return other;
    });
    cpu.set_reg<T>(insn.reg, old);
  }
};

template <typename T>
void lea(Cpu& cpu, const Insn& insn) {
  cpu.set_reg<T>(insn.rm, static_cast<T>(cpu.effective_address(insn)));
}

// LEA's address forms: never a slow path.
template <typename T, AddressForm A>
bool lea_fast(Cpu& cpu, const Insn& insn) {
  cpu.set_reg<T>(insn.rm, static_cast<T>(address_of<A>(cpu, insn)));
  return true;
}

template <typename T>
void add_lea_forms(HandlerTwins& twins) {
  constexpr Handler general = &threaded<&lea<T>>;
  add_fast_pair<&lea_fast<T, AddressForm::Base32>, &lea_fast<T, AddressForm::BaseIndex32>, general>(
      twins);
  add_lean<&lea<T>>(twins);
}

template <typename To, typename From, bool Sign, Kind S>
void movx(Cpu& cpu, const Insn& insn) {
  const From value = read_second<From, S>(cpu, insn);
  if constexpr (Sign) {
    cpu.set_reg<To>(insn.rm,
                    static_cast<To>(static_cast<Signed<To>>(static_cast<Signed<From>>(value))));
  } else {
    cpu.set_reg<To>(insn.rm, static_cast<To>(value));
  }
}

template <typename To, typename From, bool Sign, AddressForm A>
bool movx_fast(Cpu& cpu, const Insn& insn) {
  const uint8_t* const p = cpu.fast_read_pointer<From>(insn.seg, address_of<A>(cpu, insn));
  if (!p) return false;
  const From value = bus::load_le<From>(p);
  if constexpr (Sign) {
    cpu.set_reg<To>(insn.rm,
                    static_cast<To>(static_cast<Signed<To>>(static_cast<Signed<From>>(value))));
  } else {
    cpu.set_reg<To>(insn.rm, static_cast<To>(value));
  }
  return true;
}

template <typename T, Kind F, Kind S>
struct Push {
  static void run(Cpu& cpu, const Insn& insn) {
    T value;
    if constexpr (S == Kind::Reg) {
      value = cpu.reg<T>(insn.reg);
      // The 8086 pushes SP after decrementing it; later CPUs push the old value.
      if (insn.reg == kEsp && cpu.model() == CpuModel::I8086) value = static_cast<T>(value - 2);
    } else {
      value = read_second<T, S>(cpu, insn);
    }
    cpu.push<T>(value);
  }
};

template <typename T, Kind F, Kind>
struct Pop {
  static void run(Cpu& cpu, const Insn& insn) {
    if constexpr (F == Kind::Mem) {
      // The destination address is computed with the stack pointer already incremented.
      // A fault on the write restores it (a 286 leaves it incremented).
      const uint32_t old_sp = cpu.gpr(kEsp);
      const T value = cpu.pop<T>();
      try {
        write_first<T, F>(cpu, insn, value);
      } catch (...) {
        if (cpu.model() != CpuModel::I80286) cpu.gpr(kEsp) = old_sp;
        throw;
      }
    } else {
      const T value = cpu.pop<T>();
      cpu.set_reg<T>(insn.rm, value);
    }
  }
};

// PUSH reg/imm and POP reg on a flat 32-bit stack with a TLB hit (exec_common.hpp's fast
// twins). PUSH ESP stores the old value; POP ESP ends with the value popped.
template <typename T, Kind S>
bool push_fast(Cpu& cpu, const Insn& insn) {
  uint8_t* const p = cpu.fast_push_pointer<T>();
  if (!p) return false;
  bus::store_le<T>(p, read_second<T, S>(cpu, insn));
  cpu.gpr(kEsp) -= sizeof(T);
  return true;
}

template <typename T>
bool pop_fast(Cpu& cpu, const Insn& insn) {
  const uint8_t* const p = cpu.fast_pop_pointer<T>();
  if (!p) return false;
  cpu.gpr(kEsp) += sizeof(T);
  cpu.set_reg<T>(insn.rm, bus::load_le<T>(p));
  return true;
}

// PUSH m16/m32 (a function pushing its arguments from its own locals): the load and the push
// both need no check, or neither happens. The address is computed with ESP before the push,
// as the CPU computes it.
template <typename T, AddressForm A>
bool push_mem_fast(Cpu& cpu, const Insn& insn) {
  const uint8_t* const src = cpu.fast_read_pointer<T>(insn.seg, address_of<A>(cpu, insn));
  if (!src) return false;
  uint8_t* const dst = cpu.fast_push_pointer<T>();
  if (!dst) return false;
  bus::store_le<T>(dst, bus::load_le<T>(src));
  cpu.gpr(kEsp) -= sizeof(T);
  return true;
}

template <typename T>
void add_push_mem_forms(HandlerTwins& twins) {
  add_fast_pair<&push_mem_fast<T, AddressForm::Base32>, &push_mem_fast<T, AddressForm::BaseIndex32>,
                &threaded<&Push<T, Kind::Reg, Kind::Mem>::run>>(twins);
}

template <typename T, Kind S>
Handler push_for() {
  return &threaded_fast<&push_fast<T, S>, &threaded<&Push<T, Kind::Reg, S>::run>>;
}

template <typename T>
void push_sreg(Cpu& cpu, const Insn& insn) {
  cpu.push<T>(static_cast<T>(cpu.regs().seg[insn.aux].selector));
}

template <typename T>
void pop_sreg(Cpu& cpu, const Insn& insn) {
  const uint16_t selector = static_cast<uint16_t>(cpu.peek_stack<T>(0));
  // The stack pointer moves by the size of the stack the value came from: for POP SS that is
  // the old SS (a 16-bit SS wraps SP and keeps ESP's upper half even if the new SS is 32-bit).
  const uint32_t mask = cpu.stack_pointer_mask();
  const uint32_t esp = cpu.gpr(kEsp);
  const uint32_t new_esp = (esp & ~mask) | ((esp + sizeof(T)) & mask);
  cpu.load_segment(insn.aux, selector);
  cpu.gpr(kEsp) = new_esp;
  if (insn.aux == kSs) cpu.inhibit_interrupts_and_traps();
}

template <typename T, Kind F, Kind>
struct MovFromSreg {
  static void run(Cpu& cpu, const Insn& insn) {
    const uint16_t selector = cpu.regs().seg[insn.aux].selector;
    if constexpr (F == Kind::Mem) {
      cpu.write_mem<uint16_t>(insn.seg, cpu.effective_address(insn), selector);
    } else {
      // A register destination with a 32-bit operand gets the selector zero-extended (P6).
      cpu.set_reg<T>(insn.rm, static_cast<T>(selector));
    }
  }
};

template <Kind S>
void mov_to_sreg(Cpu& cpu, const Insn& insn) {
  const uint16_t selector = read_second<uint16_t, S>(cpu, insn);
  cpu.load_segment(insn.aux, selector);
  if (insn.aux == kSs) cpu.inhibit_interrupts_and_traps();
  if (insn.aux == kCs) cpu.request_block_exit();  // 8086 MOV CS
}

template <typename T>
void load_far_pointer(Cpu& cpu, const Insn& insn) {
  const uint32_t offset = cpu.effective_address(insn);
  const T value = cpu.read_mem<T>(insn.seg, offset);
  const uint16_t selector =
      cpu.read_mem<uint16_t>(insn.seg, (offset + sizeof(T)) & (0xFFFFFFFFu >> insn.ea_shift));
  cpu.load_segment(insn.aux, selector);
  cpu.set_reg<T>(insn.rm, value);
  if (insn.aux == kSs) cpu.inhibit_interrupts();
}

// SETcc and CMOVcc, one instance per condition code as for Jcc: the condition is evaluated
// from the lazy state inline, with no switch on the code at run time.
template <unsigned Cc>
struct Setcc {
  template <typename T, Kind F, Kind>
  struct H {
    static void run(Cpu& cpu, const Insn& insn) {
      write_first<uint8_t, F>(cpu, insn, cpu.condition<Cc>() ? 1 : 0);
    }
  };
};

template <unsigned Cc>
struct Cmov {
  template <typename T>
  static void move_if(Cpu& cpu, const Insn& insn, T value) {
    if (cpu.condition<Cc>()) {
      cpu.set_reg<T>(insn.rm, value);
    } else if constexpr (sizeof(T) == 4) {
      cpu.set_reg<T>(insn.rm, cpu.reg<T>(insn.rm));  // a 32-bit CMOVcc writes even when false
    }
  }
  template <typename T, Kind F, Kind S>
  struct H {
    static void run(Cpu& cpu, const Insn& insn) {
      move_if<T>(cpu, insn, read_second<T, S>(cpu, insn));  // read (and fault) even when not moved
    }
  };
  // The fast twin of the memory form (exec_common.hpp).
  template <typename T, Kind F, Kind S, AddressForm A>
  struct Fast {
    static bool run(Cpu& cpu, const Insn& insn) {
      const uint8_t* const p = cpu.fast_read_pointer<T>(insn.seg, address_of<A>(cpu, insn));
      if (!p) return false;
      move_if<T>(cpu, insn, bus::load_le<T>(p));
      return true;
    }
  };
};

template <unsigned Cc>
Handler setcc_instance(Kind first) {
  using S = Setcc<Cc>;
  return first == Kind::Mem ? &threaded<&S::template H<uint8_t, Kind::Mem, Kind::None>::run>
                            : &threaded<&S::template H<uint8_t, Kind::Reg, Kind::None>::run>;
}

template <unsigned Cc, typename T>
Handler cmov_instance(Kind source) {
  using C = Cmov<Cc>;
  return source == Kind::Mem ? &threaded<&C::template H<T, Kind::Reg, Kind::Mem>::run>
                             : &threaded<&C::template H<T, Kind::Reg, Kind::Reg>::run>;
}

template <unsigned... Cc>
Handler setcc_for(unsigned cc, Kind first, std::integer_sequence<unsigned, Cc...>) {
  constexpr Handler (*table[])(Kind) = {&setcc_instance<Cc>...};
  return table[cc & 15](first);
}

template <typename T, unsigned... Cc>
Handler cmov_for(unsigned cc, Kind source, std::integer_sequence<unsigned, Cc...>) {
  constexpr Handler (*table[])(Kind) = {&cmov_instance<Cc, T>...};
  return table[cc & 15](source);
}

// The register forms' lean twins and CMOVcc's fast twins, for one condition code.
template <unsigned Cc>
void add_condition_twins(HandlerTwins& twins) {
  add_lean<&Setcc<Cc>::template H<uint8_t, Kind::Reg, Kind::None>::run>(twins);
  auto one_size = [&]<typename T>(T) {
    using C = Cmov<Cc>;
    add_lean<&C::template H<T, Kind::Reg, Kind::Reg>::run>(twins);
    add_fast_pair<&C::template Fast<T, Kind::Reg, Kind::Mem, AddressForm::Base32>::run,
                  &C::template Fast<T, Kind::Reg, Kind::Mem, AddressForm::BaseIndex32>::run,
                  &threaded<&C::template H<T, Kind::Reg, Kind::Mem>::run>>(twins);
  };
  one_size(uint16_t{});
  one_size(uint32_t{});
}

template <unsigned... Cc>
void add_condition_twins(HandlerTwins& twins, std::integer_sequence<unsigned, Cc...>) {
  (add_condition_twins<Cc>(twins), ...);
}

using ConditionCodes = std::make_integer_sequence<unsigned, 16>;

void bswap(Cpu& cpu, const Insn& insn) {
  const uint32_t v = cpu.gpr(insn.rm);
  cpu.gpr(insn.rm) = (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24);
}

template <typename T>
void pusha(Cpu& cpu, const Insn&) {
  const T sp = cpu.reg<T>(kEsp);
  // Check the whole frame first so a fault leaves SP unchanged.
  const uint32_t mask = cpu.stack_pointer_mask();
  (void)cpu.peek_stack<T>(static_cast<uint32_t>(-8 * static_cast<int32_t>(sizeof(T))) & mask);
  const uint32_t old_esp = cpu.gpr(kEsp);
  try {
    for (unsigned r = kEax; r <= kEdi; ++r) cpu.push<T>(r == kEsp ? sp : cpu.reg<T>(r));
  } catch (...) {
    cpu.gpr(kEsp) = old_esp;
    throw;
  }
}

template <typename T>
void popa(Cpu& cpu, const Insn&) {
  T values[8];
  for (unsigned i = 0; i < 8; ++i) values[i] = cpu.peek_stack<T>(i * sizeof(T));
  for (unsigned i = 0; i < 8; ++i) {
    const unsigned r = kEdi - i;
    if (r != kEsp) cpu.set_reg<T>(r, values[i]);
  }
  cpu.adjust_sp(8 * sizeof(T));
}

template <typename T>
void convert_acc(Cpu& cpu, const Insn&) {  // CBW / CWDE
  using Half = std::conditional_t<sizeof(T) == 2, uint8_t, uint16_t>;
  cpu.set_reg<T>(
      kEax, static_cast<T>(static_cast<Signed<T>>(static_cast<Signed<Half>>(cpu.reg<Half>(kEax)))));
}

template <typename T>
void convert_dx(Cpu& cpu, const Insn&) {  // CWD / CDQ
  cpu.set_reg<T>(kEdx, (cpu.reg<T>(kEax) & sign_bit<T>()) ? static_cast<T>(~T{0}) : T{0});
}

void xlat(Cpu& cpu, const Insn& insn) {
  const uint32_t offset = (cpu.gpr(kEbx) + cpu.reg<uint8_t>(0)) & (0xFFFFFFFFu >> insn.ea_shift);
  cpu.set_reg<uint8_t>(0, cpu.read_mem<uint8_t>(insn.seg, offset));
}

void lahf(Cpu& cpu, const Insn&) {
  cpu.set_reg<uint8_t>(4, static_cast<uint8_t>((cpu.eflags() & 0xD5) | 0x02));
}

void sahf(Cpu& cpu, const Insn&) {
  const uint8_t ah = cpu.reg<uint8_t>(4);
  cpu.set_arith_flags((cpu.eflags() & flag::kOf) | (ah & 0xD5));
}

void salc(Cpu& cpu, const Insn&) { cpu.set_reg<uint8_t>(0, cpu.cf() ? 0xFF : 0x00); }

template <typename To, bool Sign>
Handler movx_for(unsigned source_size, Kind source) {
  if (source_size == 1) {
    return source == Kind::Mem ? &threaded<&movx<To, uint8_t, Sign, Kind::Mem>>
                               : &threaded<&movx<To, uint8_t, Sign, Kind::Reg>>;
  }
  return source == Kind::Mem ? &threaded<&movx<To, uint16_t, Sign, Kind::Mem>>
                             : &threaded<&movx<To, uint16_t, Sign, Kind::Reg>>;
}

template <typename To, typename From, bool Sign>
void add_movx_forms(HandlerTwins& twins) {
  constexpr Handler general = &threaded<&movx<To, From, Sign, Kind::Mem>>;
  add_fast_pair<&movx_fast<To, From, Sign, AddressForm::Base32>,
                &movx_fast<To, From, Sign, AddressForm::BaseIndex32>, general>(twins);
  add_lean<&movx<To, From, Sign, Kind::Reg>>(twins);
}

template <typename To>
void add_movx_forms(HandlerTwins& twins) {
  add_movx_forms<To, uint8_t, false>(twins);
  add_movx_forms<To, uint8_t, true>(twins);
  add_movx_forms<To, uint16_t, false>(twins);
  add_movx_forms<To, uint16_t, true>(twins);
}

}  // namespace

void add_data_twins(HandlerTwins& twins) {
  add_address_forms<Mov, MovFast, Kind::Mem, Kind::Reg>(twins);
  add_address_forms<Mov, MovFast, Kind::Mem, Kind::Imm>(twins);
  add_address_forms<Mov, MovFast, Kind::Reg, Kind::Mem>(twins);
  add_movx_forms<uint16_t>(twins);
  add_movx_forms<uint32_t>(twins);
  add_lea_forms<uint16_t>(twins);
  add_lea_forms<uint32_t>(twins);
  // Register forms that can take the lean twin (exec_common.hpp).
  add_lean_register_forms<Mov, Kind::Reg, uint8_t, uint16_t, uint32_t>(twins);
  add_lean_register_forms<Mov, Kind::Imm, uint8_t, uint16_t, uint32_t>(twins);
  add_lean_register_forms<Xchg, Kind::Reg, uint8_t, uint16_t, uint32_t>(twins);
  add_condition_twins(twins, ConditionCodes{});
  add_fast_lean<&push_fast<uint16_t, Kind::Reg>,
                &threaded<&Push<uint16_t, Kind::Reg, Kind::Reg>::run>>(twins);
  add_fast_lean<&push_fast<uint32_t, Kind::Reg>,
                &threaded<&Push<uint32_t, Kind::Reg, Kind::Reg>::run>>(twins);
  add_fast_lean<&push_fast<uint16_t, Kind::Imm>,
                &threaded<&Push<uint16_t, Kind::Reg, Kind::Imm>::run>>(twins);
  add_fast_lean<&push_fast<uint32_t, Kind::Imm>,
                &threaded<&Push<uint32_t, Kind::Reg, Kind::Imm>::run>>(twins);
  add_fast_lean<&pop_fast<uint16_t>, &threaded<&Pop<uint16_t, Kind::Reg, Kind::None>::run>>(twins);
  add_push_mem_forms<uint16_t>(twins);
  add_push_mem_forms<uint32_t>(twins);
  add_fast_lean<&pop_fast<uint32_t>, &threaded<&Pop<uint32_t, Kind::Reg, Kind::None>::run>>(twins);
}

namespace {
// Two 32-bit moves between a register and memory in a row, MOV r32, m32 or MOV m32, r32 with
// [base+disp] or [base+index*scale+disp] each (a function reloading or spilling its locals:
// the Linux boot's RSA loop starts each limb with four loads): one handler and one dispatch
// for both. The second keeps its slot and its own handler, which runs when the first takes its
// slow path (the general handler goes on to it) and in runs that stop inside the block
// (Block::precise). Either slow path places its instruction first, as threaded_fast does; the
// fast paths cannot stop the chain (a store to a page with decoded code takes the slow path).
// Lean: the instruction after the pair places itself (exec_common.hpp's threaded_lean).
template <bool Store>
using MovGeneral = std::conditional_t<Store, Mov<uint32_t, Kind::Mem, Kind::Reg>,
                                      Mov<uint32_t, Kind::Reg, Kind::Mem>>;
template <bool Store, AddressForm A>
using MovFastOf = std::conditional_t<Store, MovFast<uint32_t, Kind::Mem, Kind::Reg, A>,
                                     MovFast<uint32_t, Kind::Reg, Kind::Mem, A>>;

// One side of a pair: its store flag and address form.
struct PairSide {
  bool store;
  AddressForm form;
};

template <PairSide P1, PairSide P2, bool Lean>
void mov_pair(Cpu& cpu, const Insn& insn) {
  if (!MovFastOf<P1.store, P1.form>::run(cpu, insn)) [[unlikely]] {
    cpu.set_current_insn(&insn);
    threaded<&MovGeneral<P1.store>::run>(cpu, insn);
    return;
  }
  const Insn* const second = &insn + 1;
  if (!MovFastOf<P2.store, P2.form>::run(cpu, *second)) [[unlikely]] {
    cpu.set_current_insn(second);
    threaded<&MovGeneral<P2.store>::run>(cpu, *second);
    return;
  }
  const Insn* const next = second + 1;
  if constexpr (!Lean) cpu.set_current_insn(next);
  next->fn(cpu, *next);
}

constexpr PairSide kSides[] = {{false, AddressForm::Base32},
                               {false, AddressForm::BaseIndex32},
                               {true, AddressForm::Base32},
                               {true, AddressForm::BaseIndex32}};
constexpr int kSideCount = 4;

template <PairSide P>
bool is_side(Handler h) {
  using Fast = MovFastOf<P.store, P.form>;
  using General = MovGeneral<P.store>;
  return h == &threaded_fast<&Fast::run, &threaded<&General::run>> ||
         h == &threaded_fast_lean<&Fast::run, &threaded<&General::run>>;
}

// Which of kSides a handler is, or -1.
int pair_side(Handler h) {
  if (is_side<kSides[0]>(h)) return 0;
  if (is_side<kSides[1]>(h)) return 1;
  if (is_side<kSides[2]>(h)) return 2;
  if (is_side<kSides[3]>(h)) return 3;
  return -1;
}

template <int First, int... Second>
void add_pairs_from(Handler* table, std::integer_sequence<int, Second...>) {
  ((table[(First * kSideCount + Second) * 2] = &mov_pair<kSides[First], kSides[Second], false>,
    table[(First * kSideCount + Second) * 2 + 1] = &mov_pair<kSides[First], kSides[Second], true>),
   ...);
}

// [first side][second side][lean]
struct PairTable {
  Handler handlers[kSideCount * kSideCount * 2];
  PairTable() : handlers{} {
    using Sides = std::make_integer_sequence<int, kSideCount>;
    add_pairs_from<0>(handlers, Sides{});
    add_pairs_from<1>(handlers, Sides{});
    add_pairs_from<2>(handlers, Sides{});
    add_pairs_from<3>(handlers, Sides{});
  }
};

const PairTable& pair_table() {
  static const PairTable table;
  return table;
}
}  // namespace

Handler fused_mov_pair(Handler first, Handler second, bool lean) {
  const int a = pair_side(first);
  const int b = pair_side(second);
  if (a < 0 || b < 0) return nullptr;
  return pair_table().handlers[(a * kSideCount + b) * 2 + (lean ? 1 : 0)];
}

std::vector<Handler> mov_pair_handlers() {
  const PairTable& table = pair_table();
  return std::vector<Handler>(std::begin(table.handlers), std::end(table.handlers));
}

namespace {
// Runs of two to four PUSH r32 or POP r32 (a function's prologue saving the registers it uses,
// its epilogue restoring them): one handler and one dispatch for the run, with one TLB check
// for the stack bytes of all of them (the run's bytes in one page, or the slow path). The
// other instructions keep their slots and handlers, as a move pair's second does: the first's
// slow path (its general handler, which goes on to them) and runs that stop inside the block
// (Block::precise) use them. PUSH ESP and POP ESP, whose values depend on their place in the
// run, are not taken into runs (fuse_stack_run).
template <unsigned N>
struct StackBytes {
  uint8_t bytes[4 * N];
};

using PushGeneral = Push<uint32_t, Kind::Reg, Kind::Reg>;
using PopGeneral = Pop<uint32_t, Kind::Reg, Kind::None>;

template <unsigned N, bool Lean>
void push_run(Cpu& cpu, const Insn& insn) {
  uint8_t* const p = cpu.fast_push_pointer<StackBytes<N>>();
  if (!p) [[unlikely]] {
    cpu.set_current_insn(&insn);
    threaded<&PushGeneral::run>(cpu, insn);
    return;
  }
  // The first push goes to the highest address.
  for (unsigned k = 0; k < N; ++k) {
    bus::store_le<uint32_t>(p + 4 * (N - 1 - k), cpu.gpr((&insn)[k].reg));
  }
  cpu.gpr(kEsp) -= 4 * N;
  const Insn* const next = &insn + N;
  if constexpr (!Lean) cpu.set_current_insn(next);
  next->fn(cpu, *next);
}

template <unsigned N, bool Lean>
void pop_run(Cpu& cpu, const Insn& insn) {
  const uint8_t* const p = cpu.fast_pop_pointer<StackBytes<N>>();
  if (!p) [[unlikely]] {
    cpu.set_current_insn(&insn);
    threaded<&PopGeneral::run>(cpu, insn);
    return;
  }
  for (unsigned k = 0; k < N; ++k) cpu.gpr((&insn)[k].rm) = bus::load_le<uint32_t>(p + 4 * k);
  cpu.gpr(kEsp) += 4 * N;
  const Insn* const next = &insn + N;
  if constexpr (!Lean) cpu.set_current_insn(next);
  next->fn(cpu, *next);
}

bool is_push_r32(Handler h) {
  return h == &threaded_fast<&push_fast<uint32_t, Kind::Reg>, &threaded<&PushGeneral::run>> ||
         h == &threaded_fast_lean<&push_fast<uint32_t, Kind::Reg>, &threaded<&PushGeneral::run>>;
}
bool is_pop_r32(Handler h) {
  return h == &threaded_fast<&pop_fast<uint32_t>, &threaded<&PopGeneral::run>> ||
         h == &threaded_fast_lean<&pop_fast<uint32_t>, &threaded<&PopGeneral::run>>;
}

// [push, pop][length - 2][lean]
constexpr Handler kStackRuns[2][kMaxStackRun - 1][2] = {
    {{&push_run<2, false>, &push_run<2, true>},
     {&push_run<3, false>, &push_run<3, true>},
     {&push_run<4, false>, &push_run<4, true>}},
    {{&pop_run<2, false>, &pop_run<2, true>},
     {&pop_run<3, false>, &pop_run<3, true>},
     {&pop_run<4, false>, &pop_run<4, true>}},
};
}  // namespace

unsigned stack_run_length(const Insn* insns, size_t available, bool& pushes) {
  if (available == 0) return 0;
  const bool push = is_push_r32(insns[0].fn);
  if (!push && !is_pop_r32(insns[0].fn)) return 0;
  unsigned n = 0;
  while (n < kMaxStackRun && n < available &&
         (push ? is_push_r32(insns[n].fn) && insns[n].reg != kEsp
               : is_pop_r32(insns[n].fn) && insns[n].rm != kEsp)) {
    ++n;
  }
  pushes = push;
  return n;
}

Handler stack_run_handler(bool pushes, unsigned length, bool lean) {
  if (length < 2 || length > kMaxStackRun) return nullptr;
  return kStackRuns[pushes ? 0 : 1][length - 2][lean ? 1 : 0];
}

std::vector<Handler> stack_run_handlers() {
  std::vector<Handler> all;
  for (const auto& kind : kStackRuns) {
    for (const auto& length : kind) all.insert(all.end(), std::begin(length), std::end(length));
  }
  return all;
}

Handler select_mov(unsigned size, Kind first, Kind second) {
  return select_handler<Mov>(size, first, second);
}
Handler select_xchg(unsigned size, Kind first) {
  return select_handler<Xchg>(size, first, Kind::Reg);
}
Handler select_lea(unsigned size) {
  return size == 2 ? &threaded<&lea<uint16_t>> : &threaded<&lea<uint32_t>>;
}

Handler select_movx(bool sign_extend, unsigned size, unsigned source_size, Kind source) {
  if (size == 2) {
    return sign_extend ? movx_for<uint16_t, true>(source_size, source)
                       : movx_for<uint16_t, false>(source_size, source);
  }
  return sign_extend ? movx_for<uint32_t, true>(source_size, source)
                     : movx_for<uint32_t, false>(source_size, source);
}

Handler select_push(unsigned size, Kind source) {
  if (source == Kind::Reg)
    return size == 2 ? push_for<uint16_t, Kind::Reg>() : push_for<uint32_t, Kind::Reg>();
  if (source == Kind::Imm)
    return size == 2 ? push_for<uint16_t, Kind::Imm>() : push_for<uint32_t, Kind::Imm>();
  return select_handler_wide<Push>(size, Kind::Reg, source);
}
Handler select_pop(unsigned size, Kind first) {
  if (first == Kind::Reg) {
    return size == 2 ? &threaded_fast<&pop_fast<uint16_t>,
                                      &threaded<&Pop<uint16_t, Kind::Reg, Kind::None>::run>>
                     : &threaded_fast<&pop_fast<uint32_t>,
                                      &threaded<&Pop<uint32_t, Kind::Reg, Kind::None>::run>>;
  }
  return select_handler_wide<Pop>(size, first, Kind::None);
}
Handler select_push_sreg(unsigned size) {
  return size == 2 ? &push_sreg<uint16_t> : &push_sreg<uint32_t>;
}
Handler select_pop_sreg(unsigned size) {
  return size == 2 ? &pop_sreg<uint16_t> : &pop_sreg<uint32_t>;
}
Handler select_mov_from_sreg(unsigned size, Kind first) {
  return select_handler_wide<MovFromSreg>(size, first, Kind::None);
}
Handler select_mov_to_sreg(Kind source) {
  return source == Kind::Mem ? &mov_to_sreg<Kind::Mem> : &mov_to_sreg<Kind::Reg>;
}
Handler select_load_far_pointer(unsigned size) {
  return size == 2 ? &load_far_pointer<uint16_t> : &load_far_pointer<uint32_t>;
}
Handler select_setcc(Kind first, unsigned condition) {
  return setcc_for(condition, first, ConditionCodes{});
}
Handler select_cmov(unsigned size, Kind source, unsigned condition) {
  return size == 2 ? cmov_for<uint16_t>(condition, source, ConditionCodes{})
                   : cmov_for<uint32_t>(condition, source, ConditionCodes{});
}
Handler select_bswap() { return &bswap; }
Handler select_pusha(unsigned size) { return size == 2 ? &pusha<uint16_t> : &pusha<uint32_t>; }
Handler select_popa(unsigned size) { return size == 2 ? &popa<uint16_t> : &popa<uint32_t>; }
Handler select_convert_acc(unsigned size) {
  return size == 2 ? &convert_acc<uint16_t> : &convert_acc<uint32_t>;
}
Handler select_convert_dx(unsigned size) {
  return size == 2 ? &convert_dx<uint16_t> : &convert_dx<uint32_t>;
}
const Handler kXlat = &xlat;
const Handler kLahf = &lahf;
const Handler kSahf = &sahf;
const Handler kSalc = &salc;

}  // namespace x86lab::cpu
