// The x87 instruction handlers. Every handler first does what a waiting x87 instruction does
// (CR0.EM/TS -> #NM, a pending unmasked exception -> #MF), reads all its memory operands, then
// computes with the software arithmetic, writes memory, and only then changes the FPU state, so
// a fault leaves the FPU as it was.
#include "cpu/x87_exec.hpp"

#include <array>
#include <utility>

#include "cpu/cpu.hpp"
#include "cpu/fault.hpp"
#include "cpu/x87.hpp"
#include "cpu/x87_float80.hpp"
#include "cpu/x87_math.hpp"

namespace x86lab::cpu {
namespace {

using f80::Env;

constexpr uint16_t kC0 = 0x0100;
constexpr uint16_t kC1 = 0x0200;
constexpr uint16_t kC2 = 0x0400;
constexpr uint16_t kC3 = 0x4000;
constexpr uint16_t kConditionCodes = kC0 | kC1 | kC2 | kC3;
constexpr uint16_t kStackFault = 0x0040;
constexpr uint16_t kErrorSummary = 0x0080;
constexpr uint16_t kBusy = 0x8000;
constexpr uint32_t kCr0Em = 1u << 2;
constexpr uint32_t kCr0Ts = 1u << 3;
constexpr uint32_t kCr0Ne = 1u << 5;

enum class Arith : uint8_t { Add, Mul, Com, Comp, Sub, Subr, Div, Divr };

uint16_t tag_of(Float80 v) {
  switch (f80::classify(v)) {
    case f80::Class::Normal:
      return 0;
    case f80::Class::Zero:
      return 1;
    default:
      return 2;
  }
}

void set_ferr(Cpu& cpu, bool asserted) {
  X87State& s = cpu.x87();
  if (s.ferr == asserted) return;
  s.ferr = asserted;
  if (s.ferr_line) s.ferr_line(s.ferr_context, asserted);
}

// ES and B follow the unmasked exceptions in the status word.
void refresh_error_summary(Cpu& cpu) {
  X87State& s = cpu.x87();
  if (s.status & ~s.control & 0x3F) {
    s.status |= kErrorSummary | kBusy;
    if (!(cpu.regs().cr0 & kCr0Ne)) set_ferr(cpu, true);
  } else {
    s.status &= static_cast<uint16_t>(~(kErrorSummary | kBusy));
    set_ferr(cpu, false);
  }
}

// A view of the register stack of one CPU.
class Fpu {
 public:
  explicit Fpu(Cpu& cpu) : cpu_(cpu), s_(cpu.x87()) {}

  X87State& state() { return s_; }
  unsigned top() const { return (s_.status >> 11) & 7; }
  void set_top(unsigned t) {
    s_.status = static_cast<uint16_t>((s_.status & ~0x3800) | ((t & 7) << 11));
  }
  unsigned physical(unsigned i) const { return (top() + i) & 7; }
  bool empty(unsigned i) const { return ((s_.tag >> (2 * physical(i))) & 3) == 3; }
  Float80 st(unsigned i) const { return s_.st[physical(i)]; }
  void set(unsigned i, Float80 v) {
    const unsigned p = physical(i);
    s_.st[p] = v;
    s_.tag = static_cast<uint16_t>((s_.tag & ~(3u << (2 * p))) | (tag_of(v) << (2 * p)));
  }
  void free(unsigned i) { s_.tag |= static_cast<uint16_t>(3u << (2 * physical(i))); }
  void pop() {
    free(0);
    set_top(top() + 1);
  }
  void push(Float80 v) {
    set_top(top() - 1);
    set(0, v);
  }
  Env env() const { return Env::from_control(s_.control); }

  void set_condition(uint16_t bits) {
    s_.status = static_cast<uint16_t>((s_.status & ~kConditionCodes) | bits);
  }
  void set_c1(bool on) { s_.status = static_cast<uint16_t>((s_.status & ~kC1) | (on ? kC1 : 0)); }

  // Records the exceptions of an operation and C1 (the round-up bit). Returns false when an
  // unmasked invalid, denormal or zero-divide exception leaves the operands unchanged.
  bool finish(const Env& env) {
    set_c1(env.rounded_up);
    return record(env);
  }
  // The same without C1 (FCOMI and friends leave it as it was).
  bool record(const Env& env) {
    s_.status |= env.flags & 0x3F;
    if (env.flags & ~env.masks & 0x3F) refresh_error_summary(cpu_);
    return !env.stopped();
  }
  bool invalid_masked() const { return s_.control & f80::kInvalid; }
  // Stack underflow (an empty register read) and overflow (a push onto a full register):
  // IE with SF, C1 = 0 for underflow and 1 for overflow. Returns true when IE is masked and
  // the instruction goes on with the real indefinite.
  bool stack_fault(bool overflow) {
    s_.status |= f80::kInvalid | kStackFault;
    set_c1(overflow);
    refresh_error_summary(cpu_);
    return invalid_masked();
  }
  bool underflow() { return stack_fault(false); }
  bool overflow() { return stack_fault(true); }
  // A push: false when the stack is full and the masked response was not possible.
  bool can_push() {
    if (empty(7)) return true;
    if (!overflow()) return false;
    push(f80::kIndefinite);
    return false;
  }

 private:
  Cpu& cpu_;
  X87State& s_;
};

void check_device(Cpu& cpu) {
  if (cpu.regs().cr0 & (kCr0Em | kCr0Ts)) raise_fault(Vector::DeviceNotAvailable);
}

// The start of a non-control instruction: #NM, #MF, and the FPU instruction pointer and opcode.
void begin(Cpu& cpu, uint16_t fop) {
  check_device(cpu);
  x87_check_pending(cpu);
  X87State& s = cpu.x87();
  s.last_opcode = fop;
  s.last_ip = cpu.insn_start_eip();
  s.last_cs = cpu.regs().seg[kCs].selector;
}

// The start of a waiting control instruction (FLDCW, FLDENV, FRSTOR): no pointer update.
void begin_control(Cpu& cpu) {
  check_device(cpu);
  x87_check_pending(cpu);
}

// ---- Memory operands ------------------------------------------------------------------------

struct Mem {
  Cpu& cpu;
  unsigned seg;
  uint32_t offset;
  uint32_t mask;

  uint32_t at(uint32_t k) const { return (offset + k) & mask; }
  uint8_t r8(uint32_t k) const { return cpu.read_mem<uint8_t>(seg, at(k)); }
  uint16_t r16(uint32_t k) const { return cpu.read_mem<uint16_t>(seg, at(k)); }
  uint32_t r32(uint32_t k) const { return cpu.read_mem<uint32_t>(seg, at(k)); }
  uint64_t r64(uint32_t k) const { return r32(k) | (uint64_t{r32(k + 4)} << 32); }
  Float80 r80(uint32_t k) const {
    Float80 v;
    v.significand = r64(k);
    v.sign_exponent = r16(k + 8);
    return v;
  }
  void w16(uint32_t k, uint16_t v) const { cpu.write_mem<uint16_t>(seg, at(k), v); }
  void w32(uint32_t k, uint32_t v) const { cpu.write_mem<uint32_t>(seg, at(k), v); }
  void w64(uint32_t k, uint64_t v) const {
    w32(k, static_cast<uint32_t>(v));
    w32(k + 4, static_cast<uint32_t>(v >> 32));
  }
  void w80(uint32_t k, Float80 v) const {
    w64(k, v.significand);
    w16(k + 8, v.sign_exponent);
  }
  // The register images of FSAVE/FRSTOR sit at 10-byte strides: accessed as words, so that
  // alignment checking asks only what the SDM asks of the area (2 or 4 by operand size).
  Float80 r80_words(uint32_t k) const {
    Float80 v;
    v.significand = 0;
    for (unsigned i = 0; i < 4; ++i) v.significand |= uint64_t{r16(k + 2 * i)} << (16 * i);
    v.sign_exponent = r16(k + 8);
    return v;
  }
  void w80_words(uint32_t k, Float80 v) const {
    for (unsigned i = 0; i < 4; ++i)
      w16(k + 2 * i, static_cast<uint16_t>(v.significand >> (16 * i)));
    w16(k + 8, v.sign_exponent);
  }
  // 8-byte and 10-byte operands must be 8-aligned under alignment checking.
  const Mem& aligned8() const {
    cpu.check_alignment(seg, offset, 8);
    return *this;
  }
};

// The memory operand of a data instruction; records the FPU data pointer.
Mem data_operand(Cpu& cpu, const Insn& insn) {
  const Mem m{cpu, insn.seg, cpu.effective_address(insn), 0xFFFFFFFFu >> insn.ea_shift};
  X87State& s = cpu.x87();
  s.last_data = m.offset;
  s.last_ds = cpu.regs().seg[insn.seg].selector;
  return m;
}

Mem control_operand(Cpu& cpu, const Insn& insn) {
  return Mem{cpu, insn.seg, cpu.effective_address(insn), 0xFFFFFFFFu >> insn.ea_shift};
}

// ---- Arithmetic and compare -----------------------------------------------------------------

Float80 compute(Arith op, Float80 x, Float80 y, Env& env) {
  switch (op) {
    case Arith::Add:
      return f80::add(x, y, env);
    case Arith::Mul:
      return f80::mul(x, y, env);
    case Arith::Sub:
      return f80::sub(x, y, env);
    case Arith::Subr:
      return f80::sub(y, x, env);
    case Arith::Div:
      return f80::div(x, y, env);
    case Arith::Divr:
      return f80::div(y, x, env);
    default:
      return x;
  }
}

uint16_t condition_of(f80::Order order) {
  switch (order) {
    case f80::Order::Greater:
      return 0;
    case f80::Order::Less:
      return kC0;
    case f80::Order::Equal:
      return kC3;
    default:
      return kC3 | kC2 | kC0;
  }
}

// FCOM family: compares x with y, sets C3 C2 C0 (C1 = 0), then pops `pops` times.
void compare_into_cc(Fpu& f, bool operands_present, Float80 x, Float80 y, Env& env, unsigned pops,
                     bool quiet) {
  if (!operands_present) {
    if (!f.underflow()) return;
    f.set_condition(kC3 | kC2 | kC0);
  } else {
    const f80::Order order = f80::compare(x, y, env, quiet);
    if (!f.finish(env)) return;
    f.set_condition(condition_of(order));
  }
  for (unsigned i = 0; i < pops; ++i) f.pop();
}

// st(dst) = op(st(dst), st(src)), then an optional pop.
void arith_registers(Cpu& cpu, Arith op, unsigned dst, unsigned src, bool pop) {
  Fpu f(cpu);
  if (op == Arith::Com || op == Arith::Comp) {
    Env env = f.env();
    compare_into_cc(f, !f.empty(0) && !f.empty(src), f.st(0), f.st(src), env,
                    (op == Arith::Comp ? 1u : 0u) + (pop ? 1u : 0u), false);
    return;
  }
  if (f.empty(dst) || f.empty(src)) {
    if (!f.underflow()) return;
    f.set(dst, f80::kIndefinite);
  } else {
    Env env = f.env();
    const Float80 r = compute(op, f.st(dst), f.st(src), env);
    if (!f.finish(env)) return;
    f.set(dst, r);
  }
  if (pop) f.pop();
}

// st(0) = op(st(0), operand) for an operand loaded from memory (conversion flags in env).
void arith_memory(Cpu& cpu, Arith op, Float80 operand, Env& env) {
  Fpu f(cpu);
  if (!f.empty(0)) {
    // A NaN or unsupported st(0) takes precedence over a denormal memory operand.
    const f80::Class top = f80::classify(f.st(0));
    // So does a division by a zero st(0) (FDIVR: the memory operand is the dividend).
    if (top == f80::Class::QNaN || top == f80::Class::SNaN || top == f80::Class::Unsupported ||
        (op == Arith::Divr && top == f80::Class::Zero)) {
      env.flags &= static_cast<uint8_t>(~f80::kDenormal);
    }
    if (env.stopped()) {
      f.record(env);
      return;
    }
  }
  if (op == Arith::Com || op == Arith::Comp) {
    compare_into_cc(f, !f.empty(0), f.st(0), operand, env, op == Arith::Comp ? 1 : 0, false);
    return;
  }
  if (f.empty(0)) {
    if (f.underflow()) f.set(0, f80::kIndefinite);
    return;
  }
  const Float80 r = compute(op, f.st(0), operand, env);
  if (!f.finish(env)) return;
  f.set(0, r);
}

// FCOMI family: ZF PF CF from the comparison, OF SF AF cleared.
void compare_into_eflags(Cpu& cpu, unsigned i, bool quiet, bool pop) {
  Fpu f(cpu);
  uint32_t bits = flag::kZf | flag::kPf | flag::kCf;
  if (f.empty(0) || f.empty(i)) {
    if (!f.underflow()) return;
  } else {
    Env env = f.env();
    const f80::Order order = f80::compare(f.st(0), f.st(i), env, quiet);
    if (!f.record(env)) return;
    switch (order) {
      case f80::Order::Greater:
        bits = 0;
        break;
      case f80::Order::Less:
        bits = flag::kCf;
        break;
      case f80::Order::Equal:
        bits = flag::kZf;
        break;
      default:
        break;
    }
  }
  cpu.set_arith_flags(bits);
  if (pop) f.pop();
}

void compare_with_zero(Cpu& cpu) {  // FTST
  Fpu f(cpu);
  Env env = f.env();
  compare_into_cc(f, !f.empty(0), f.st(0), f80::kPositiveZero, env, 0, false);
}

void examine(Cpu& cpu) {  // FXAM
  Fpu f(cpu);
  const Float80 v = f.st(0);
  uint16_t cc = f80::sign_of(v) ? kC1 : 0;
  if (f.empty(0)) {
    cc |= kC3 | kC0;
  } else {
    switch (f80::classify(v)) {
      case f80::Class::Unsupported:
        break;
      case f80::Class::QNaN:
      case f80::Class::SNaN:
        cc |= kC0;
        break;
      case f80::Class::Normal:
        cc |= kC2;
        break;
      case f80::Class::Infinity:
        cc |= kC2 | kC0;
        break;
      case f80::Class::Zero:
        cc |= kC3;
        break;
      case f80::Class::Denormal:
        cc |= kC3 | kC2;
        break;
    }
  }
  f.set_condition(cc);
}

// ---- Loads, stores, stack -------------------------------------------------------------------

void load_value(Cpu& cpu, Float80 v, Env& env) {
  Fpu f(cpu);
  if (!f.can_push()) return;
  if (!f.finish(env)) return;
  f.push(v);
}

void load_register(Cpu& cpu, unsigned i) {  // FLD st(i)
  Fpu f(cpu);
  if (f.empty(i)) {
    // Underflow is reported (C1 = 0) even when the stack is also full.
    if (f.underflow()) f.push(f80::kIndefinite);
    return;
  }
  const Float80 v = f.st(i);
  if (!f.can_push()) return;
  f.set_c1(false);
  f.push(v);
}

void store_register(Cpu& cpu, unsigned i, bool pop) {  // FST/FSTP st(i)
  Fpu f(cpu);
  if (f.empty(0)) {
    if (!f.underflow()) return;
    f.set(i, f80::kIndefinite);
  } else {
    f.set_c1(false);
    f.set(i, f.st(0));
  }
  if (pop) f.pop();
}

void exchange(Cpu& cpu, unsigned i) {  // FXCH
  Fpu f(cpu);
  if (f.empty(0) || f.empty(i)) {
    if (!f.underflow()) return;
    if (f.empty(0)) f.set(0, f80::kIndefinite);
    if (f.empty(i)) f.set(i, f80::kIndefinite);
  } else {
    f.set_c1(false);
  }
  const Float80 a = f.st(0);
  const Float80 b = f.st(i);
  f.set(0, b);
  f.set(i, a);
}

// FCMOVcc: conditions in the Jcc numbering.
void conditional_move(Cpu& cpu, unsigned i, unsigned condition) {
  Fpu f(cpu);
  if (f.empty(0) || f.empty(i)) {
    if (!f.underflow()) return;
    f.set(0, f80::kIndefinite);
    return;
  }
  // C1 keeps its value (as on real CPUs), unlike most register moves.
  if (cpu.condition(condition)) f.set(0, f.st(i));
}

// Stores st(0) to memory through `convert` (which reports exceptions in env); an unmasked
// invalid, overflow or underflow stores nothing and does not pop.
template <typename Store, typename Convert>
void store_memory(Cpu& cpu, bool pop, Float80 empty_value, Convert convert, Store store) {
  Fpu f(cpu);
  Env env = f.env();
  if (f.empty(0)) {
    if (!f.underflow()) return;
    store(convert(empty_value, env));
  } else {
    const auto value = convert(f.st(0), env);
    if (env.flags & ~env.masks & (f80::kInvalid | f80::kOverflow | f80::kUnderflow)) {
      f.finish(env);
      return;
    }
    store(value);
    f.finish(env);
  }
  if (pop) f.pop();
}

// Unary operations on st(0).
template <typename F>
void unary(Cpu& cpu, F op) {
  Fpu f(cpu);
  if (f.empty(0)) {
    if (f.underflow()) f.set(0, f80::kIndefinite);
    return;
  }
  Env env = f.env();
  const Float80 r = op(f.st(0), env);
  if (!f.finish(env)) return;
  f.set(0, r);
}

// Operations of st(0) and st(1) whose result replaces st(1) before a pop.
template <typename F>
void binary_pop(Cpu& cpu, F op) {
  Fpu f(cpu);
  if (f.empty(0) || f.empty(1)) {
    if (!f.underflow()) return;
    f.set(1, f80::kIndefinite);
    f.pop();
    return;
  }
  Env env = f.env();
  const Float80 r = op(f.st(0), f.st(1), env);
  if (!f.finish(env)) return;
  f.set(1, r);
  f.pop();
}

void load_constant(Cpu& cpu, f80::Constant c) {
  Fpu f(cpu);
  if (!f.can_push()) return;
  f.set_c1(false);
  f.push(f80::constant(c, f.env().rounding));
}

void partial_remainder(Cpu& cpu, bool nearest) {  // FPREM, FPREM1
  Fpu f(cpu);
  if (f.empty(0) || f.empty(1)) {
    if (!f.underflow()) return;
    f.set(0, f80::kIndefinite);
    f.state().status &= static_cast<uint16_t>(~kC2);
    return;
  }
  Env env = f.env();
  const f80::Remainder r = f80::remainder(f.st(0), f.st(1), nearest, env);
  if (!f.finish(env)) return;
  f.set(0, r.value);
  if (f80::is_nan(r.value)) {
    // No quotient: C2 is cleared, C0, C1 and C3 keep their values (as real CPUs do).
    f.state().status &= static_cast<uint16_t>(~kC2);
    return;
  }
  uint16_t cc = r.partial ? kC2 : 0;
  if (!r.partial) {
    if (r.quotient & 4) cc |= kC0;
    if (r.quotient & 2) cc |= kC3;
    if (r.quotient & 1) cc |= kC1;
  }
  f.set_condition(cc);
}

void extract_parts(Cpu& cpu) {  // FXTRACT
  Fpu f(cpu);
  if (f.empty(0)) {
    // Underflow is reported (C1 = 0) even when the stack is also full.
    if (!f.underflow()) return;
    f.set(0, f80::kIndefinite);
    f.push(f80::kIndefinite);
    return;
  }
  if (!f.empty(7)) {
    if (!f.overflow()) return;
    f.set(0, f80::kIndefinite);
    f.push(f80::kIndefinite);
    return;
  }
  Env env = f.env();
  const f80::Extracted r = f80::extract(f.st(0), env);
  if (!f.finish(env)) return;
  f.set(0, r.exponent);
  f.push(r.significand);
}

// FSIN, FCOS, FPTAN, FSINCOS: C2 = 1 and nothing else when the operand is out of range.
enum class Trig : uint8_t { Sin, Cos, SinCos, Tan };
void trigonometric(Cpu& cpu, Trig kind) {
  Fpu f(cpu);
  const bool pushes = kind == Trig::SinCos || kind == Trig::Tan;
  if (f.empty(0)) {
    if (!f.underflow()) return;
    f.set(0, f80::kIndefinite);
    if (pushes) f.push(f80::kIndefinite);
    return;
  }
  if (pushes && !f.empty(7)) {
    if (!f.overflow()) return;
    f.set(0, f80::kIndefinite);
    f.push(f80::kIndefinite);
    return;
  }
  Env env = f.env();
  Float80 a;
  Float80 b;
  bool in_range = true;
  switch (kind) {
    case Trig::Sin:
      in_range = f80::sin_cos(f.st(0), &a, nullptr, env);
      break;
    case Trig::Cos:
      in_range = f80::sin_cos(f.st(0), nullptr, &a, env);
      break;
    case Trig::SinCos:
      in_range = f80::sin_cos(f.st(0), &a, &b, env);
      break;
    case Trig::Tan:
      in_range = f80::tan(f.st(0), a, env);
      b = f80::kOne;
      break;
  }
  if (!in_range) {
    f.set_condition(static_cast<uint16_t>((f.state().status & (kC0 | kC3)) | kC2));
    return;
  }
  if (!f.finish(env)) return;
  f.state().status &= static_cast<uint16_t>(~kC2);
  f.set(0, a);
  if (pushes) {
    // A NaN operand gives the NaN in both registers.
    if (kind == Trig::Tan && f80::is_nan(a)) b = a;
    f.push(b);
  }
}

// ---- Control ----------------------------------------------------------------------------------

void initialize(Cpu& cpu) {  // FNINIT
  X87State& s = cpu.x87();
  s.control = 0x037F;
  s.status = 0;
  s.tag = 0xFFFF;
  s.last_opcode = 0;
  s.last_ip = 0;
  s.last_cs = 0;
  s.last_data = 0;
  s.last_ds = 0;
  set_ferr(cpu, false);
}

void clear_exceptions(Cpu& cpu) {  // FNCLEX
  cpu.x87().status &= 0x7F00;
  set_ferr(cpu, false);
}

void load_control(Cpu& cpu, uint16_t value) {
  cpu.x87().control = static_cast<uint16_t>((value & 0x1F3F) | 0x0040);
  refresh_error_summary(cpu);
}

uint16_t full_tag_word(const X87State& s) {
  uint16_t tags = 0;
  for (unsigned p = 0; p < 8; ++p) {
    const unsigned t = ((s.tag >> (2 * p)) & 3) == 3 ? 3 : tag_of(s.st[p]);
    tags = static_cast<uint16_t>(tags | (t << (2 * p)));
  }
  return tags;
}

bool real_layout(Cpu& cpu) { return !cpu.protected_mode() || cpu.v86_mode(); }

// FNSTENV/FNSAVE layouts (SDM vol. 1, figures 8-9 to 8-12). Returns the bytes written.
unsigned store_environment(Cpu& cpu, const Mem& m, bool op32) {
  const X87State& s = cpu.x87();
  const uint16_t tags = full_tag_word(s);
  const uint16_t fop = s.last_opcode & 0x7FF;
  if (real_layout(cpu)) {
    const uint32_t ip = (uint32_t{s.last_cs} << 4) + s.last_ip;
    const uint32_t dp = (uint32_t{s.last_ds} << 4) + s.last_data;
    if (op32) {
      m.w32(0, 0xFFFF0000u | s.control);
      m.w32(4, 0xFFFF0000u | s.status);
      m.w32(8, 0xFFFF0000u | tags);
      m.w32(12, 0xFFFF0000u | (ip & 0xFFFF));
      m.w32(16, ((ip >> 16) << 12) | fop);
      m.w32(20, 0xFFFF0000u | (dp & 0xFFFF));
      m.w32(24, (dp >> 16) << 12);
      return 28;
    }
    m.w16(0, s.control);
    m.w16(2, s.status);
    m.w16(4, tags);
    m.w16(6, static_cast<uint16_t>(ip));
    m.w16(8, static_cast<uint16_t>((((ip >> 16) & 0xF) << 12) | fop));
    m.w16(10, static_cast<uint16_t>(dp));
    m.w16(12, static_cast<uint16_t>(((dp >> 16) & 0xF) << 12));
    return 14;
  }
  if (op32) {
    m.w32(0, 0xFFFF0000u | s.control);
    m.w32(4, 0xFFFF0000u | s.status);
    m.w32(8, 0xFFFF0000u | tags);
    m.w32(12, s.last_ip);
    m.w32(16, (uint32_t{fop} << 16) | s.last_cs);
    m.w32(20, s.last_data);
    m.w32(24, 0xFFFF0000u | s.last_ds);
    return 28;
  }
  m.w16(0, s.control);
  m.w16(2, s.status);
  m.w16(4, tags);
  m.w16(6, static_cast<uint16_t>(s.last_ip));
  m.w16(8, s.last_cs);
  m.w16(10, static_cast<uint16_t>(s.last_data));
  m.w16(12, s.last_ds);
  return 14;
}

struct Environment {
  uint16_t control, status, tag, opcode, cs, ds;
  uint32_t ip, dp;
};

Environment read_environment(Cpu& cpu, const Mem& m, bool op32) {
  Environment e{};
  if (op32) {
    e.control = static_cast<uint16_t>(m.r32(0));
    e.status = static_cast<uint16_t>(m.r32(4));
    e.tag = static_cast<uint16_t>(m.r32(8));
    const uint32_t w3 = m.r32(12), w4 = m.r32(16), w5 = m.r32(20), w6 = m.r32(24);
    if (real_layout(cpu)) {
      e.ip = (w3 & 0xFFFF) | (((w4 >> 12) & 0xFFFF) << 16);
      e.opcode = w4 & 0x7FF;
      e.dp = (w5 & 0xFFFF) | (((w6 >> 12) & 0xFFFF) << 16);
    } else {
      e.ip = w3;
      e.cs = static_cast<uint16_t>(w4);
      e.opcode = (w4 >> 16) & 0x7FF;
      e.dp = w5;
      e.ds = static_cast<uint16_t>(w6);
    }
    return e;
  }
  e.control = m.r16(0);
  e.status = m.r16(2);
  e.tag = m.r16(4);
  const uint16_t w3 = m.r16(6), w4 = m.r16(8), w5 = m.r16(10), w6 = m.r16(12);
  if (real_layout(cpu)) {
    e.ip = w3 | (uint32_t{static_cast<uint16_t>(w4 >> 12)} << 16);
    e.opcode = w4 & 0x7FF;
    e.dp = w5 | (uint32_t{static_cast<uint16_t>(w6 >> 12)} << 16);
  } else {
    e.ip = w3;
    e.cs = w4;
    e.dp = w5;
    e.ds = w6;
  }
  return e;
}

void apply_environment(Cpu& cpu, const Environment& e) {
  X87State& s = cpu.x87();
  s.control = static_cast<uint16_t>((e.control & 0x1F3F) | 0x0040);
  s.status = e.status;
  s.last_opcode = e.opcode;
  s.last_ip = e.ip;
  s.last_cs = e.cs;
  s.last_data = e.dp;
  s.last_ds = e.ds;
  // Only "empty" survives from the loaded tag word; the others follow the register contents.
  uint16_t tags = 0;
  for (unsigned p = 0; p < 8; ++p) {
    const unsigned t = ((e.tag >> (2 * p)) & 3) == 3 ? 3 : tag_of(s.st[p]);
    tags = static_cast<uint16_t>(tags | (t << (2 * p)));
  }
  s.tag = tags;
  refresh_error_summary(cpu);
}

void save_state(Cpu& cpu, const Insn& insn, bool op32) {  // FNSAVE
  check_device(cpu);
  const Mem m = control_operand(cpu, insn);
  const unsigned at = store_environment(cpu, m, op32);
  Fpu f(cpu);
  for (unsigned i = 0; i < 8; ++i) m.w80_words(at + 10 * i, f.st(i));
  initialize(cpu);
}

void restore_state(Cpu& cpu, const Insn& insn, bool op32) {  // FRSTOR
  begin_control(cpu);
  const Mem m = control_operand(cpu, insn);
  const Environment e = read_environment(cpu, m, op32);
  const unsigned at = op32 ? 28 : 14;
  std::array<Float80, 8> regs;
  for (unsigned i = 0; i < 8; ++i) regs[i] = m.r80_words(at + 10 * i);
  X87State& s = cpu.x87();
  const unsigned top = (e.status >> 11) & 7;
  for (unsigned i = 0; i < 8; ++i) s.st[(top + i) & 7] = regs[i];
  apply_environment(cpu, e);
}

// ---- Register forms ---------------------------------------------------------------------------

enum class RegOp : uint8_t {
  Invalid,
  Arith,
  ArithReverse,
  ArithPop,
  Compp,
  Ucompp,
  Load,
  Exchange,
  Nop,
  StoreReg,
  StoreRegPop,
  Chs,
  Abs,
  Tst,
  Xam,
  Constant,
  F2xm1,
  Fyl2x,
  Fptan,
  Fpatan,
  Fxtract,
  Fprem1,
  Decstp,
  Incstp,
  Fprem,
  Fyl2xp1,
  Fsqrt,
  Fsincos,
  Frndint,
  Fscale,
  Fsin,
  Fcos,
  Fcmov,
  Fcmovn,
  Clex,
  Init,
  NoOp387,
  Ucomi,
  Comi,
  Ucomip,
  Comip,
  Free,
  FreePop,
  Ucom,
  Ucomp,
  StswAx,
};

struct RegForm {
  RegOp op;
  uint8_t arg = 0;
};

constexpr RegForm describe_register(uint16_t fop) {
  const unsigned op = fop >> 8, reg = (fop >> 3) & 7, i = fop & 7;
  if ((fop & 0xC0) != 0xC0) return {RegOp::Invalid};
  switch (op) {
    case 0:
      return {RegOp::Arith, static_cast<uint8_t>(reg)};
    case 1:
      switch (reg) {
        case 0:
          return {RegOp::Load};
        case 1:
          return {RegOp::Exchange};
        case 2:
          return {i == 0 ? RegOp::Nop : RegOp::Invalid};
        case 3:
          return {RegOp::StoreRegPop};
        case 4: {
          constexpr RegOp kOps[] = {RegOp::Chs, RegOp::Abs, RegOp::Invalid, RegOp::Invalid,
                                    RegOp::Tst, RegOp::Xam, RegOp::Invalid, RegOp::Invalid};
          return {kOps[i]};
        }
        case 5:
          return i == 7 ? RegForm{RegOp::Invalid} : RegForm{RegOp::Constant, uint8_t(i)};
        case 6: {
          constexpr RegOp kOps[] = {RegOp::F2xm1,   RegOp::Fyl2x,  RegOp::Fptan,  RegOp::Fpatan,
                                    RegOp::Fxtract, RegOp::Fprem1, RegOp::Decstp, RegOp::Incstp};
          return {kOps[i]};
        }
        default: {
          constexpr RegOp kOps[] = {RegOp::Fprem,   RegOp::Fyl2xp1, RegOp::Fsqrt, RegOp::Fsincos,
                                    RegOp::Frndint, RegOp::Fscale,  RegOp::Fsin,  RegOp::Fcos};
          return {kOps[i]};
        }
      }
    case 2:
      if (reg < 4) return {RegOp::Fcmov, static_cast<uint8_t>(reg)};
      return {reg == 5 && i == 1 ? RegOp::Ucompp : RegOp::Invalid};
    case 3:
      if (reg < 4) return {RegOp::Fcmovn, static_cast<uint8_t>(reg)};
      if (reg == 4) {
        if (i == 2) return {RegOp::Clex};
        if (i == 3) return {RegOp::Init};
        return {i == 0 || i == 1 || i == 4 ? RegOp::NoOp387 : RegOp::Invalid};
      }
      if (reg == 5) return {RegOp::Ucomi};
      if (reg == 6) return {RegOp::Comi};
      return {RegOp::Invalid};
    case 4:
      return {RegOp::ArithReverse, static_cast<uint8_t>(reg)};
    case 5: {
      constexpr RegOp kOps[] = {RegOp::Free, RegOp::Exchange, RegOp::StoreReg, RegOp::StoreRegPop,
                                RegOp::Ucom, RegOp::Ucomp,    RegOp::Invalid,  RegOp::Invalid};
      return {kOps[reg]};
    }
    case 6:
      if (reg == 3) return {i == 1 ? RegOp::Compp : RegOp::Invalid};
      return {RegOp::ArithPop, static_cast<uint8_t>(reg)};
    default: {
      if (reg == 4) return {i == 0 ? RegOp::StswAx : RegOp::Invalid};
      constexpr RegOp kOps[] = {RegOp::FreePop,     RegOp::Exchange, RegOp::StoreRegPop,
                                RegOp::StoreRegPop, RegOp::Invalid,  RegOp::Ucomip,
                                RegOp::Comip,       RegOp::Invalid};
      return {kOps[reg]};
    }
  }
}

// The ST(i), ST(0) forms of DC and DE swap the meaning of the SUB/SUBR and DIV/DIVR fields.
constexpr Arith reverse_form(unsigned reg) {
  constexpr Arith kOps[] = {Arith::Add,  Arith::Mul, Arith::Com,  Arith::Comp,
                            Arith::Subr, Arith::Sub, Arith::Divr, Arith::Div};
  return kOps[reg];
}

constexpr bool is_control(RegOp op) {
  return op == RegOp::Clex || op == RegOp::Init || op == RegOp::StswAx;
}

template <uint16_t Fop>
void register_form(Cpu& cpu, const Insn&) {
  constexpr RegForm form = describe_register(Fop);
  constexpr unsigned i = Fop & 7;
  if constexpr (is_control(form.op)) {
    check_device(cpu);
  } else {
    begin(cpu, Fop);
  }
  if constexpr (form.op == RegOp::Arith) {
    arith_registers(cpu, static_cast<Arith>(form.arg), 0, i, false);
  } else if constexpr (form.op == RegOp::ArithReverse) {
    arith_registers(cpu, reverse_form(form.arg), i, 0, false);
  } else if constexpr (form.op == RegOp::ArithPop) {
    const Arith op = reverse_form(form.arg);
    if (op == Arith::Com || op == Arith::Comp) {
      arith_registers(cpu, Arith::Comp, 0, i, false);
    } else {
      arith_registers(cpu, op, i, 0, true);
    }
  } else if constexpr (form.op == RegOp::Compp || form.op == RegOp::Ucompp) {
    Fpu f(cpu);
    Env env = f.env();
    compare_into_cc(f, !f.empty(0) && !f.empty(1), f.st(0), f.st(1), env, 2,
                    form.op == RegOp::Ucompp);
  } else if constexpr (form.op == RegOp::Ucom || form.op == RegOp::Ucomp) {
    Fpu f(cpu);
    Env env = f.env();
    compare_into_cc(f, !f.empty(0) && !f.empty(i), f.st(0), f.st(i), env,
                    form.op == RegOp::Ucomp ? 1 : 0, true);
  } else if constexpr (form.op == RegOp::Load) {
    load_register(cpu, i);
  } else if constexpr (form.op == RegOp::Exchange) {
    exchange(cpu, i);
  } else if constexpr (form.op == RegOp::Nop || form.op == RegOp::NoOp387) {
  } else if constexpr (form.op == RegOp::StoreReg || form.op == RegOp::StoreRegPop) {
    store_register(cpu, i, form.op == RegOp::StoreRegPop);
  } else if constexpr (form.op == RegOp::Chs || form.op == RegOp::Abs) {
    Fpu f(cpu);
    if (f.empty(0)) {
      if (f.underflow()) f.set(0, f80::kIndefinite);
    } else {
      f.set_c1(false);
      f.set(0, form.op == RegOp::Chs ? f80::negate(f.st(0)) : f80::absolute(f.st(0)));
    }
  } else if constexpr (form.op == RegOp::Tst) {
    compare_with_zero(cpu);
  } else if constexpr (form.op == RegOp::Xam) {
    examine(cpu);
  } else if constexpr (form.op == RegOp::Constant) {
    load_constant(cpu, static_cast<f80::Constant>(form.arg));
  } else if constexpr (form.op == RegOp::F2xm1) {
    unary(cpu, [](Float80 x, Env& env) { return f80::f2xm1(x, env); });
  } else if constexpr (form.op == RegOp::Fyl2x) {
    binary_pop(cpu, [](Float80 x, Float80 y, Env& env) { return f80::yl2x(x, y, env); });
  } else if constexpr (form.op == RegOp::Fyl2xp1) {
    binary_pop(cpu, [](Float80 x, Float80 y, Env& env) { return f80::yl2xp1(x, y, env); });
  } else if constexpr (form.op == RegOp::Fpatan) {
    binary_pop(cpu, [](Float80 x, Float80 y, Env& env) { return f80::atan2(y, x, env); });
  } else if constexpr (form.op == RegOp::Fptan) {
    trigonometric(cpu, Trig::Tan);
  } else if constexpr (form.op == RegOp::Fsin) {
    trigonometric(cpu, Trig::Sin);
  } else if constexpr (form.op == RegOp::Fcos) {
    trigonometric(cpu, Trig::Cos);
  } else if constexpr (form.op == RegOp::Fsincos) {
    trigonometric(cpu, Trig::SinCos);
  } else if constexpr (form.op == RegOp::Fxtract) {
    extract_parts(cpu);
  } else if constexpr (form.op == RegOp::Fprem || form.op == RegOp::Fprem1) {
    partial_remainder(cpu, form.op == RegOp::Fprem1);
  } else if constexpr (form.op == RegOp::Decstp || form.op == RegOp::Incstp) {
    Fpu f(cpu);
    f.set_top(form.op == RegOp::Incstp ? f.top() + 1 : f.top() - 1);
    f.set_c1(false);
  } else if constexpr (form.op == RegOp::Fsqrt) {
    unary(cpu, [](Float80 x, Env& env) { return f80::sqrt(x, env); });
  } else if constexpr (form.op == RegOp::Frndint) {
    unary(cpu, [](Float80 x, Env& env) {
      env.precision = 64;
      return f80::round_to_integer(x, env);
    });
  } else if constexpr (form.op == RegOp::Fscale) {
    Fpu f(cpu);
    if (f.empty(0) || f.empty(1)) {
      if (f.underflow()) f.set(0, f80::kIndefinite);
      return;
    }
    Env env = f.env();
    const Float80 r = f80::scale(f.st(0), f.st(1), env);
    if (f.finish(env)) f.set(0, r);
  } else if constexpr (form.op == RegOp::Fcmov || form.op == RegOp::Fcmovn) {
    // B, E, BE, U and their negations, in the Jcc condition numbering.
    constexpr unsigned kConditions[] = {0x2, 0x4, 0x6, 0xA};
    conditional_move(cpu, i, kConditions[form.arg] | (form.op == RegOp::Fcmovn ? 1 : 0));
  } else if constexpr (form.op == RegOp::Clex) {
    clear_exceptions(cpu);
  } else if constexpr (form.op == RegOp::Init) {
    initialize(cpu);
  } else if constexpr (form.op == RegOp::Ucomi || form.op == RegOp::Ucomip) {
    compare_into_eflags(cpu, i, true, form.op == RegOp::Ucomip);
  } else if constexpr (form.op == RegOp::Comi || form.op == RegOp::Comip) {
    compare_into_eflags(cpu, i, false, form.op == RegOp::Comip);
  } else if constexpr (form.op == RegOp::Free || form.op == RegOp::FreePop) {
    Fpu f(cpu);
    f.free(i);
    f.set_c1(false);
    if (form.op == RegOp::FreePop) f.set_top(f.top() + 1);
  } else if constexpr (form.op == RegOp::StswAx) {
    cpu.set_reg<uint16_t>(kEax, cpu.x87().status);
  }
}

// Table index N: the opcode's low three bits and the ModRM's low six (mod is 3).
constexpr uint16_t register_fop(size_t n) {
  return static_cast<uint16_t>(((n >> 6) << 8) | 0xC0 | (n & 63));
}

template <size_t... N>
constexpr std::array<Handler, 512> register_table(std::index_sequence<N...>) {
  return {(describe_register(register_fop(N)).op == RegOp::Invalid
               ? Handler{nullptr}
               : &register_form<register_fop(N)>)...};
}

// ---- Memory forms -----------------------------------------------------------------------------

enum class MemOp : uint8_t {
  Invalid,
  ArithF32,
  ArithI32,
  ArithF64,
  ArithI16,
  LoadF32,
  StoreF32,
  StoreF32Pop,
  Ldenv,
  Ldcw,
  Stenv,
  Stcw,
  LoadI32,
  StoreI32,
  StoreI32Pop,
  LoadF80,
  StoreF80Pop,
  LoadF64,
  StoreF64,
  StoreF64Pop,
  Rstor,
  Save,
  StswMem,
  LoadI16,
  StoreI16,
  StoreI16Pop,
  Bld,
  LoadI64,
  Bstp,
  StoreI64Pop,
};

constexpr MemOp describe_memory(unsigned op_reg) {
  const unsigned op = op_reg >> 3, reg = op_reg & 7;
  using M = MemOp;
  constexpr MemOp kD9[] = {M::LoadF32, M::Invalid, M::StoreF32, M::StoreF32Pop,
                           M::Ldenv,   M::Ldcw,    M::Stenv,    M::Stcw};
  constexpr MemOp kDB[] = {M::LoadI32, M::Invalid, M::StoreI32, M::StoreI32Pop,
                           M::Invalid, M::LoadF80, M::Invalid,  M::StoreF80Pop};
  constexpr MemOp kDD[] = {M::LoadF64, M::Invalid, M::StoreF64, M::StoreF64Pop,
                           M::Rstor,   M::Invalid, M::Save,     M::StswMem};
  constexpr MemOp kDF[] = {M::LoadI16, M::Invalid, M::StoreI16, M::StoreI16Pop,
                           M::Bld,     M::LoadI64, M::Bstp,     M::StoreI64Pop};
  switch (op) {
    case 0:
      return M::ArithF32;
    case 1:
      return kD9[reg];
    case 2:
      return M::ArithI32;
    case 3:
      return kDB[reg];
    case 4:
      return M::ArithF64;
    case 5:
      return kDD[reg];
    case 6:
      return M::ArithI16;
    default:
      return kDF[reg];
  }
}

constexpr bool is_control(MemOp op) {
  return op == MemOp::Ldenv || op == MemOp::Ldcw || op == MemOp::Stenv || op == MemOp::Stcw ||
         op == MemOp::Rstor || op == MemOp::Save || op == MemOp::StswMem;
}

// A reserved x87 encoding: #NM first when the FPU is unavailable, as for every escape opcode.
void invalid_x87(Cpu& cpu, const Insn&) {
  check_device(cpu);
  raise_fault(Vector::InvalidOpcode);
}

template <uint8_t OpReg>
void memory_form(Cpu& cpu, const Insn& insn) {
  constexpr MemOp op = describe_memory(OpReg);
  constexpr Arith arith = static_cast<Arith>(OpReg & 7);
  const bool op32 = insn.prefixes & prefix::kO32;
  if constexpr (!is_control(op)) {
    // The ModRM mod and r/m bits come from insn.aux when decode provides them.
    begin(cpu, static_cast<uint16_t>(((OpReg >> 3) << 8) | ((OpReg & 7) << 3) | (insn.aux & 0xC7)));
  }
  if constexpr (op == MemOp::ArithF32 || op == MemOp::ArithF64 || op == MemOp::ArithI16 ||
                op == MemOp::ArithI32) {
    const Mem m = data_operand(cpu, insn);
    Env env = Env::from_control(cpu.x87().control);
    Float80 operand;
    if constexpr (op == MemOp::ArithF32) operand = f80::from_f32(m.r32(0), env, true);
    if constexpr (op == MemOp::ArithF64) operand = f80::from_f64(m.aligned8().r64(0), env, true);
    if constexpr (op == MemOp::ArithI16) {
      operand = f80::from_int(static_cast<int16_t>(m.r16(0)));
    }
    if constexpr (op == MemOp::ArithI32) {
      operand = f80::from_int(static_cast<int32_t>(m.r32(0)));
    }
    arith_memory(cpu, arith, operand, env);
  } else if constexpr (op == MemOp::LoadF32 || op == MemOp::LoadF64 || op == MemOp::LoadF80 ||
                       op == MemOp::LoadI16 || op == MemOp::LoadI32 || op == MemOp::LoadI64 ||
                       op == MemOp::Bld) {
    const Mem m = data_operand(cpu, insn);
    Env env = Env::from_control(cpu.x87().control);
    Float80 v;
    if constexpr (op == MemOp::LoadF32) v = f80::from_f32(m.r32(0), env);
    if constexpr (op == MemOp::LoadF64) v = f80::from_f64(m.aligned8().r64(0), env);
    if constexpr (op == MemOp::LoadF80) v = m.aligned8().r80(0);
    if constexpr (op == MemOp::LoadI16) v = f80::from_int(static_cast<int16_t>(m.r16(0)));
    if constexpr (op == MemOp::LoadI32) v = f80::from_int(static_cast<int32_t>(m.r32(0)));
    if constexpr (op == MemOp::LoadI64)
      v = f80::from_int(static_cast<int64_t>(m.aligned8().r64(0)));
    if constexpr (op == MemOp::Bld) {
      uint8_t bcd[10];
      for (unsigned k = 0; k < 10; ++k) bcd[k] = m.r8(k);
      v = f80::from_bcd(bcd);
    }
    load_value(cpu, v, env);
  } else if constexpr (op == MemOp::StoreF32 || op == MemOp::StoreF32Pop) {
    const Mem m = data_operand(cpu, insn);
    store_memory(
        cpu, op == MemOp::StoreF32Pop, f80::kIndefinite,
        [](Float80 v, Env& env) { return f80::to_f32(v, env); }, [&](uint32_t v) { m.w32(0, v); });
  } else if constexpr (op == MemOp::StoreF64 || op == MemOp::StoreF64Pop) {
    const Mem m = data_operand(cpu, insn);
    store_memory(
        cpu, op == MemOp::StoreF64Pop, f80::kIndefinite,
        [](Float80 v, Env& env) { return f80::to_f64(v, env); },
        [&](uint64_t v) { m.aligned8().w64(0, v); });
  } else if constexpr (op == MemOp::StoreF80Pop) {
    const Mem m = data_operand(cpu, insn);
    store_memory(
        cpu, true, f80::kIndefinite, [](Float80 v, Env&) { return v; },
        [&](Float80 v) { m.aligned8().w80(0, v); });
  } else if constexpr (op == MemOp::StoreI16 || op == MemOp::StoreI16Pop || op == MemOp::StoreI32 ||
                       op == MemOp::StoreI32Pop || op == MemOp::StoreI64Pop) {
    constexpr unsigned bits = op == MemOp::StoreI16 || op == MemOp::StoreI16Pop   ? 16
                              : op == MemOp::StoreI32 || op == MemOp::StoreI32Pop ? 32
                                                                                  : 64;
    constexpr bool pop =
        op == MemOp::StoreI16Pop || op == MemOp::StoreI32Pop || op == MemOp::StoreI64Pop;
    const Mem m = data_operand(cpu, insn);
    store_memory(
        cpu, pop, f80::kIndefinite, [](Float80 v, Env& env) { return f80::to_int(v, bits, env); },
        [&](int64_t v) {
          if constexpr (bits == 16) m.w16(0, static_cast<uint16_t>(v));
          if constexpr (bits == 32) m.w32(0, static_cast<uint32_t>(v));
          if constexpr (bits == 64) m.aligned8().w64(0, static_cast<uint64_t>(v));
        });
  } else if constexpr (op == MemOp::Bstp) {
    const Mem m = data_operand(cpu, insn);
    struct Bcd {
      uint8_t bytes[10];
    };
    store_memory(
        cpu, true, f80::kIndefinite,
        [](Float80 v, Env& env) {
          Bcd b;
          f80::to_bcd(v, env, b.bytes);
          return b;
        },
        [&](const Bcd& b) {
          for (unsigned k = 0; k < 10; k += 2) {
            m.w16(k, static_cast<uint16_t>(b.bytes[k] | (b.bytes[k + 1] << 8)));
          }
        });
  } else if constexpr (op == MemOp::Ldcw) {
    begin_control(cpu);
    load_control(cpu, control_operand(cpu, insn).r16(0));
  } else if constexpr (op == MemOp::Stcw) {
    check_device(cpu);
    control_operand(cpu, insn).w16(0, cpu.x87().control);
  } else if constexpr (op == MemOp::StswMem) {
    check_device(cpu);
    control_operand(cpu, insn).w16(0, cpu.x87().status);
  } else if constexpr (op == MemOp::Ldenv) {
    begin_control(cpu);
    apply_environment(cpu, read_environment(cpu, control_operand(cpu, insn), op32));
  } else if constexpr (op == MemOp::Stenv) {
    check_device(cpu);
    store_environment(cpu, control_operand(cpu, insn), op32);
    cpu.x87().control |= 0x3F;  // FNSTENV masks all exceptions afterwards
  } else if constexpr (op == MemOp::Save) {
    save_state(cpu, insn, op32);
  } else if constexpr (op == MemOp::Rstor) {
    restore_state(cpu, insn, op32);
  }
}

template <size_t... N>
constexpr std::array<Handler, 64> memory_table(std::index_sequence<N...>) {
  return {(describe_memory(N) == MemOp::Invalid ? &invalid_x87
                                                : &memory_form<static_cast<uint8_t>(N)>)...};
}

constexpr std::array<Handler, 512> kRegisterHandlers =
    register_table(std::make_index_sequence<512>());
constexpr std::array<Handler, 64> kMemoryHandlers = memory_table(std::make_index_sequence<64>());

}  // namespace

void x87_check_pending(Cpu& cpu) {
  if ((cpu.x87().status & kErrorSummary) && (cpu.regs().cr0 & kCr0Ne)) [[unlikely]] {
    raise_fault(Vector::FpuError);
  }
}

Handler x87_register_handler(uint16_t fop) {
  const Handler h = kRegisterHandlers[((fop >> 8) & 7) << 6 | (fop & 63)];
  return h ? h : &invalid_x87;
}

uint16_t x87_tag_of(const Float80& value) { return tag_of(value); }
void x87_refresh_error_summary(Cpu& cpu) { refresh_error_summary(cpu); }

Handler x87_memory_handler(uint8_t op_reg) { return kMemoryHandlers[op_reg & 63]; }

}  // namespace x86lab::cpu
