// Host-differential tests of the integer instructions: random operands (with the edge values
// 0, 1, -1, 0x80..., 0x7F... mixed in) and random arithmetic flags go through the host CPU
// (inline assembly: the very instruction bytes the emulator runs, between POPF and PUSHF) and
// through a Pentium Pro in flat 32-bit protected mode; the registers and the flags the SDM
// defines for each instruction must agree. Flags the SDM leaves undefined (AF after logic
// operations, SF/ZF/AF/PF after MUL, OF after multi-bit shifts, everything after DIV...) are
// masked out case by case. DIV and IDIV never fault on the host: the test computes in C++
// whether the quotient overflows, runs only the good cases there, and checks that the emulator
// raises #DE exactly for the others. Register, immediate and memory forms are covered, and
// short producer/consumer sequences (CMP then Jcc, ADD then ADC, SUB then LAHF...) that read
// the emulator's lazy flags. BCD instructions are invalid in 64-bit mode and are left to the
// SingleStepTests; 16-bit addressing cannot be encoded on the host. Skipped on hosts other than
// x86-64.
//
// Built twice: the unit suite runs a few thousand cases per instruction; the differential
// suite (X86LAB_DIFF_CASES) runs many more with another seed.
#include <doctest/doctest.h>

#include <array>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "bus/io_space.hpp"
#include "bus/physical_memory.hpp"
#include "cpu/cpu.hpp"

using namespace x86lab;
using cpu::CpuModel;
namespace flag = cpu::flag;

#ifndef X86LAB_DIFF_CASES
#define X86LAB_DIFF_CASES 3000
#endif
#ifndef X86LAB_DIFF_SEED
#define X86LAB_DIFF_SEED 0x2545F4914F6CDD1D
#endif

#if defined(__x86_64__)

namespace {

struct Rng {
  uint64_t s = X86LAB_DIFF_SEED;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }
};

// ---- The host side -------------------------------------------------------------------------

// EAX..EDI (slot 4, ESP, unused: no tested instruction names it), RFLAGS, and the memory
// operand, which host encodings reach as [R15+72].
struct HostState {
  uint64_t r[8];
  uint64_t flags;
  uint64_t mem;
};
static_assert(offsetof(HostState, mem) == 72);
using HostFn = void (*)(HostState*);

// Loads the registers and flags from *hs, runs BYTES, stores them back. R15 holds the state
// pointer (no tested instruction has a REX prefix, so none can name it); RBX and RBP are saved
// by hand (RBP may be the frame pointer), below the red zone.
#define X86LAB_HOST_RUN(BYTES)     \
  asm volatile(                    \
      "mov %[p], %%r15\n\t"        \
      "lea -128(%%rsp), %%rsp\n\t" \
      "push %%rbx\n\t"             \
      "push %%rbp\n\t"             \
      "mov 0(%%r15), %%rax\n\t"    \
      "mov 8(%%r15), %%rcx\n\t"    \
      "mov 16(%%r15), %%rdx\n\t"   \
      "mov 24(%%r15), %%rbx\n\t"   \
      "mov 40(%%r15), %%rbp\n\t"   \
      "mov 48(%%r15), %%rsi\n\t"   \
      "mov 56(%%r15), %%rdi\n\t"   \
      "pushq 64(%%r15)\n\t"        \
      "popfq\n\t" BYTES            \
      "\n\t"                       \
      "pushfq\n\t"                 \
      "popq 64(%%r15)\n\t"         \
      "mov %%rax, 0(%%r15)\n\t"    \
      "mov %%rcx, 8(%%r15)\n\t"    \
      "mov %%rdx, 16(%%r15)\n\t"   \
      "mov %%rbx, 24(%%r15)\n\t"   \
      "mov %%rbp, 40(%%r15)\n\t"   \
      "mov %%rsi, 48(%%r15)\n\t"   \
      "mov %%rdi, 56(%%r15)\n\t"   \
      "pop %%rbp\n\t"              \
      "pop %%rbx\n\t"              \
      "lea 128(%%rsp), %%rsp"      \
      :                            \
      : [p] "r"(hs)                \
      : "rax", "rcx", "rdx", "rsi", "rdi", "r15", "cc", "memory")

#define X86LAB_STR(...) #__VA_ARGS__
#define X86LAB_UNPAREN(...) __VA_ARGS__
#define X86LAB_HOST_FN(...) [](HostState* hs) { X86LAB_HOST_RUN(".byte " X86LAB_STR(__VA_ARGS__)); }

// ---- What each instruction defines --------------------------------------------------------

enum class Rule : uint8_t {
  Arith,        // all six arithmetic flags
  Logic,        // AF undefined
  Same,         // flags unchanged: all six must be kept
  Mul,          // CF and OF
  Div,          // no flags; #DE when the unsigned quotient overflows
  Idiv,         // no flags; #DE when the signed quotient overflows
  Shift,        // SHL/SHR: OF only for count 1, CF undefined for count >= width, AF undefined
  Sar,          // as Shift, CF defined for every count
  Rotate,       // ROL/ROR/RCL/RCR: CF, OF only for count 1, the rest unchanged
  DoubleShift,  // SHLD/SHRD: result and flags undefined for count > width
  BitTest,      // CF, ZF unchanged
  BitScan,      // ZF; destination undefined for a zero source
  Cmpxchg,      // all six; half the cases make the accumulator equal the destination
};

struct Variant {
  std::string name;
  unsigned width;  // operand size in bits
  Rule rule;
  int count;  // shift count: an immediate, or -1 for CL
  int dst;    // register operand (0-7, 8-bit numbering for width 8), or -1
  int src;    // divisor, scanned source, or -1
  std::vector<uint8_t> bytes;
  HostFn host;
};

// Host and emulator run the same bytes.
#define V(NAME, WIDTH, RULE, COUNT, DST, SRC, ...) \
  Variant { NAME, WIDTH, Rule::RULE, COUNT, DST, SRC, {__VA_ARGS__}, X86LAB_HOST_FN(__VA_ARGS__) }
// Different encodings of one instruction (INC r32 is a REX prefix in 64-bit mode).
#define VD(NAME, WIDTH, RULE, EMU, HOST)                                                           \
  Variant {                                                                                        \
    NAME, WIDTH, Rule::RULE, -1, -1, -1, {X86LAB_UNPAREN EMU}, X86LAB_HOST_FN(X86LAB_UNPAREN HOST) \
  }

// A memory operand: the emulator addresses [kMem] (disp32), the host [R15+72] (REX.B, so an
// 8-bit REG field must be 0-3). PFX is one prefix byte: 0x66, or a DS override (0x3E) that
// changes nothing. The trailing arguments are immediate bytes.
#define VM(NAME, WIDTH, RULE, COUNT, DST, SRC, PFX, OPC, REG, ...)               \
  Variant {                                                                      \
    NAME, WIDTH, Rule::RULE, COUNT, DST, SRC, {PFX,                              \
                                               X86LAB_UNPAREN OPC,               \
                                               ((REG) << 3) | 5,                 \
                                               0x00,                             \
                                               0x30,                             \
                                               0x00,                             \
                                               0x00 __VA_OPT__(, ) __VA_ARGS__}, \
        X86LAB_HOST_FN(PFX, 0x41, X86LAB_UNPAREN OPC, 0x40 | ((REG) << 3) | 7,   \
                       72 __VA_OPT__(, ) __VA_ARGS__)                            \
  }

// Operand access by width (8-bit numbering: AL CL DL BL AH CH DH BH); index kMemOperand is
// the memory operand.
constexpr int kMemOperand = 8;
uint32_t get_reg(const uint32_t* r, int index, unsigned width) {
  if (index == kMemOperand) return r[8] & (0xFFFFFFFFu >> (32 - width));
  if (width == 8) return (r[index & 3] >> ((index & 4) << 1)) & 0xFF;
  return r[index] & (width == 16 ? 0xFFFFu : 0xFFFFFFFFu);
}
void set_reg(uint32_t* r, int index, unsigned width, uint32_t value) {
  if (index == kMemOperand) {
    const uint32_t m = 0xFFFFFFFFu >> (32 - width);
    r[8] = (r[8] & ~m) | (value & m);
  } else if (width == 8) {
    const unsigned shift = (index & 4) << 1;
    r[index & 3] = (r[index & 3] & ~(0xFFu << shift)) | ((value & 0xFF) << shift);
  } else if (width == 16) {
    r[index] = (r[index] & 0xFFFF0000u) | (value & 0xFFFF);
  } else {
    r[index] = value;
  }
}
// The bits of the 32-bit registers a register operand occupies.
void clear_operand_bits(uint32_t* mask, int index, unsigned width) {
  if (index == kMemOperand) {
    mask[8] &= ~(0xFFFFFFFFu >> (32 - width));
  } else if (width == 8) {
    mask[index & 3] &= ~(0xFFu << ((index & 4) << 1));
  } else {
    mask[index] &= width == 16 ? 0xFFFF0000u : 0;
  }
}

int64_t sign_extend(uint64_t v, unsigned bits) {
  const uint64_t m = uint64_t{1} << (bits - 1);
  v &= (m << 1) - 1;
  return static_cast<int64_t>((v ^ m) - m);
}

// The dividend of DIV/IDIV: AX, DX:AX or EDX:EAX.
uint64_t dividend(const uint32_t* r, unsigned width) {
  if (width == 8) return r[0] & 0xFFFF;
  if (width == 16) return ((r[2] & 0xFFFF) << 16) | (r[0] & 0xFFFF);
  return (uint64_t{r[2]} << 32) | r[0];
}
void set_dividend(uint32_t* r, unsigned width, uint64_t value) {
  if (width == 8) {
    set_reg(r, 0, 16, static_cast<uint32_t>(value));
  } else if (width == 16) {
    set_reg(r, 0, 16, static_cast<uint32_t>(value));
    set_reg(r, 2, 16, static_cast<uint32_t>(value >> 16));
  } else {
    r[0] = static_cast<uint32_t>(value);
    r[2] = static_cast<uint32_t>(value >> 32);
  }
}
bool divide_overflows(const Variant& v, const uint32_t* r) {
  const unsigned w = v.width;
  const uint64_t divisor = get_reg(r, v.src, w);
  if (divisor == 0) return true;
  if (v.rule == Rule::Div) return dividend(r, w) / divisor > (uint64_t{1} << w) - 1;
  const int64_t n = sign_extend(dividend(r, w), 2 * w);
  const int64_t d = sign_extend(divisor, w);
  if (d == -1 && n == INT64_MIN) return true;
  const int64_t q = d == -1 ? -n : n / d;
  return q < -(int64_t{1} << (w - 1)) || q > (int64_t{1} << (w - 1)) - 1;
}
// True when the divisor register is part of the dividend (DIV AH, DIV DX, DIV EAX...).
bool divisor_in_dividend(const Variant& v) {
  if (v.width == 8) return v.src == 0 || v.src == 4;
  return v.src == 0 || v.src == 2;
}

// ---- Random operands -----------------------------------------------------------------------

constexpr uint32_t kEdge8[] = {0x00, 0x01, 0x02, 0x0F, 0x10, 0x7E, 0x7F, 0x80, 0x81, 0xFE, 0xFF};
constexpr uint32_t kEdge16[] = {0x0000, 0x0001, 0x00FF, 0x0100, 0x7FFE, 0x7FFF,
                                0x8000, 0x8001, 0xFF80, 0xFFFE, 0xFFFF};
constexpr uint32_t kEdge32[] = {0x00000000, 0x00000001, 0x0000FFFF, 0x00010000,
                                0x7FFFFFFE, 0x7FFFFFFF, 0x80000000, 0x80000001,
                                0xFFFF8000, 0xFFFFFFFE, 0xFFFFFFFF};

uint32_t random_value(Rng& rng) {
  const uint32_t v = static_cast<uint32_t>(rng.next());
  switch (rng.below(10)) {
    case 0:
      return kEdge32[rng.below(11)];
    case 1:
      return (v & 0xFFFF0000u) | kEdge16[rng.below(11)];
    case 2:
      return (v & 0xFFFFFF00u) | kEdge8[rng.below(11)];
    case 3:
      return (v & 0xFFFF00FFu) | (kEdge8[rng.below(11)] << 8);
    case 4:
      return v >> rng.below(32);  // every magnitude
    case 5:
      return static_cast<uint32_t>(static_cast<int32_t>(v | 0x80000000u) >> rng.below(32));
    case 6:
      return rng.below(40);
    default:
      return v;
  }
}

struct Case {
  uint32_t r[9];  // EAX..EDI, then the memory operand
  uint32_t flags;
};

Case random_case(const Variant& v, Rng& rng) {
  Case c{};
  for (int i = 0; i < 9; ++i) c.r[i] = i == 4 ? 0 : random_value(rng);
  // Now and then two registers hold the same value (CMP equal, SUB to zero).
  if (rng.below(8) == 0) {
    const int a = static_cast<int>(rng.below(4)), b = static_cast<int>(rng.below(4));
    c.r[a] = c.r[b];
  }
  c.flags = 2 | (static_cast<uint32_t>(rng.next()) & flag::kArith);
  if (v.count < 0 && rng.below(2) == 0) set_reg(c.r, 1, 8, rng.below(32));
  // A bit offset into memory stays inside the operand (a bit string reaches other bytes).
  if (v.rule == Rule::BitTest && v.dst == kMemOperand) c.r[1] = rng.below(v.width);
  if (v.rule == Rule::Cmpxchg && rng.below(2) == 0) {
    set_reg(c.r, 0, v.width, get_reg(c.r, v.dst, v.width));
  }
  if ((v.rule == Rule::Div || v.rule == Rule::Idiv) && !divisor_in_dividend(v) &&
      rng.below(4) != 0) {
    // Build a dividend whose quotient fits: q * d + r with |r| < |d|, r of the dividend's sign.
    const unsigned w = v.width;
    const uint64_t d_raw = get_reg(c.r, v.src, w);
    if (d_raw != 0) {
      const uint64_t wmask = (uint64_t{1} << w) - 1;
      if (v.rule == Rule::Div) {
        const uint64_t q = rng.next() & wmask;
        const uint64_t rem = rng.next() % d_raw;
        set_dividend(c.r, w, q * d_raw + rem);
      } else {
        const int64_t d = sign_extend(d_raw, w);
        const int64_t q = sign_extend(rng.next(), w) >> rng.below(w);
        const uint64_t mag = d < 0 ? static_cast<uint64_t>(-d) : static_cast<uint64_t>(d);
        int64_t rem = static_cast<int64_t>(rng.next() % mag);
        const int64_t qd = q * d;  // |q|, |d| <= 2^31
        if (qd < 0 || (qd == 0 && rng.below(2))) rem = -rem;
        set_dividend(c.r, w, static_cast<uint64_t>(qd + rem));
      }
    }
  }
  return c;
}

// The flags the SDM defines for this case, and which register bits hold defined values.
uint32_t defined_flags(const Variant& v, const Case& c, uint32_t* reg_mask) {
  for (int i = 0; i < 9; ++i) reg_mask[i] = 0xFFFFFFFFu;
  const unsigned count = (v.count >= 0 ? static_cast<unsigned>(v.count) : c.r[1] & 0xFF) & 31;
  constexpr uint32_t kCf = flag::kCf, kPf = flag::kPf, kAf = flag::kAf, kZf = flag::kZf,
                     kSf = flag::kSf, kOf = flag::kOf;
  switch (v.rule) {
    case Rule::Arith:
    case Rule::Same:
    case Rule::Cmpxchg:
      return flag::kArith;
    case Rule::Logic:
      return flag::kArith & ~kAf;
    case Rule::Mul:
      return kCf | kOf;
    case Rule::Div:
    case Rule::Idiv:
      return 0;
    case Rule::Shift:
    case Rule::Sar: {
      if (count == 0) return flag::kArith;
      uint32_t m = kCf | kSf | kZf | kPf | (count == 1 ? kOf : 0);
      if (v.rule == Rule::Shift && count >= v.width) m &= ~kCf;
      return m;
    }
    case Rule::Rotate:
      if (count == 0) return flag::kArith;
      return count == 1 ? flag::kArith : flag::kArith & ~kOf;
    case Rule::DoubleShift:
      if (count == 0) return flag::kArith;
      if (count > v.width) {
        clear_operand_bits(reg_mask, v.dst, v.width);
        return 0;
      }
      return kCf | kSf | kZf | kPf | (count == 1 ? kOf : 0);
    case Rule::BitTest:
      return kCf | kZf;
    case Rule::BitScan:
      if (get_reg(c.r, v.src, v.width) == 0) clear_operand_bits(reg_mask, v.dst, v.width);
      return kZf;
  }
  return flag::kArith;
}

// ---- The emulator side ----------------------------------------------------------------------

constexpr uint32_t kGdt = 0x500, kIdt = 0x600, kDivideHandler = 0x2000, kStack = 0x8000;
constexpr uint32_t kCodeBase = 0x10000, kSlotSize = 32, kMem = 0x3000;  // VM() encodes kMem

// A Pentium Pro in flat 32-bit protected mode at CPL 0; #DE goes to a HLT at kDivideHandler.
struct Emulator {
  bus::PhysicalMemory memory{1 << 20};
  bus::IoSpace io;
  cpu::Cpu cpu{CpuModel::PentiumPro, memory, io};

  Emulator() {
    memory.write<uint32_t>(kGdt + 8, 0x0000FFFF);  // 0x08: flat 32-bit code
    memory.write<uint32_t>(kGdt + 12, 0x00CF9B00);
    memory.write<uint32_t>(kGdt + 16, 0x0000FFFF);  // 0x10: flat data
    memory.write<uint32_t>(kGdt + 20, 0x00CF9300);
    memory.write<uint32_t>(kIdt, 0x00080000 | (kDivideHandler & 0xFFFF));  // interrupt gate
    memory.write<uint32_t>(kIdt + 4, (kDivideHandler & 0xFFFF0000u) | 0x8E00);
    memory.poke(kDivideHandler, 0xF4);
    cpu.regs().gdtr = {kGdt, 23};
    cpu.regs().idtr = {kIdt, 7};
    cpu.write_cr0(cpu.regs().cr0 | 1);
    cpu.set_flat_segment(cpu::kCs, 0x08, 0x9B);
    for (const unsigned seg : {cpu::kDs, cpu::kEs, cpu::kSs, cpu::kFs, cpu::kGs}) {
      cpu.set_flat_segment(seg, 0x10, 0x93);
    }
  }

  uint32_t load(unsigned slot, const std::vector<uint8_t>& bytes) {
    const uint32_t at = kCodeBase + slot * kSlotSize;
    uint32_t p = at;
    for (const uint8_t b : bytes) memory.poke(p++, b);
    memory.poke(p, 0xF4);
    return at;
  }

  enum class Outcome { Halted, DivideError, Other };
  Outcome run(uint32_t eip, unsigned length, const Case& in, Case& out) {
    auto& regs = cpu.regs();
    for (int i = 0; i < 8; ++i) regs.gpr[i] = in.r[i];
    memory.write<uint32_t>(kMem, in.r[8]);
    regs.gpr[cpu::kEsp] = kStack;
    regs.eip = eip;
    cpu.set_halted(false);
    cpu.set_eflags(in.flags);
    cpu.run(16);
    for (int i = 0; i < 8; ++i) out.r[i] = regs.gpr[i];
    out.r[8] = memory.read<uint32_t>(kMem);
    out.flags = cpu.eflags();
    if (!cpu.halted()) return Outcome::Other;
    if (regs.eip == eip + length + 1 && regs.gpr[cpu::kEsp] == kStack) return Outcome::Halted;
    if (regs.eip == kDivideHandler + 1 && regs.gpr[cpu::kEsp] == kStack - 12 &&
        memory.read<uint32_t>(kStack - 12) == eip) {
      return Outcome::DivideError;
    }
    return Outcome::Other;
  }
};

// ---- Running and reporting -----------------------------------------------------------------

const char* const kRegNames[9] = {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI", "MEM"};

std::string describe(const Variant& v, const Case& in) {
  std::string s = v.name + " [";
  char buf[64];
  for (size_t i = 0; i < v.bytes.size(); ++i) {
    std::snprintf(buf, sizeof buf, i ? " %02X" : "%02X", v.bytes[i]);
    s += buf;
  }
  s += "] in:";
  for (int i = 0; i < 9; ++i) {
    if (i == 4) continue;
    std::snprintf(buf, sizeof buf, " %s=%08X", kRegNames[i], in.r[i]);
    s += buf;
  }
  std::snprintf(buf, sizeof buf, " flags=%03X", in.flags & flag::kArith);
  s += buf;
  return s;
}

std::string describe_result(const char* who, const Case& out, uint32_t flag_mask,
                            const uint32_t* reg_mask) {
  std::string s = std::string("\n  ") + who + ":";
  char buf[64];
  for (int i = 0; i < 9; ++i) {
    if (i == 4) continue;
    std::snprintf(buf, sizeof buf, " %s=%08X", kRegNames[i], out.r[i] & reg_mask[i]);
    s += buf;
  }
  std::snprintf(buf, sizeof buf, " flags=%03X (defined %03X)", out.flags & flag_mask, flag_mask);
  s += buf;
  return s;
}

// Emulator bugs reported and not yet fixed: their mismatches are warnings, not failures.
struct KnownBug {
  const char* form;
  const char* what;
};
// Forms whose mismatches are a known, reported emulator bug (they WARN instead of failing).
// Empty: XADD with one register as both operands was the last, fixed in exec_alu.cpp.
constexpr std::array<KnownBug, 0> kKnownBugs{};
const char* known_bug(const Variant& v) {
  for (const KnownBug& bug : kKnownBugs) {
    if (v.name == bug.form) return bug.what;
  }
  return nullptr;
}

struct Totals {
  int failures = 0;
  int known = 0;          // mismatches of known bugs
  int divide_errors = 0;  // #DE cases checked
};

// Runs every variant for `cases` random cases.
Totals run_variants(const std::vector<Variant>& variants, int cases) {
  Emulator emu;
  Rng rng;
  Totals totals;
  for (size_t slot = 0; slot < variants.size(); ++slot) {
    const Variant& v = variants[slot];
    const uint32_t eip = emu.load(static_cast<unsigned>(slot), v.bytes);
    const unsigned length = static_cast<unsigned>(v.bytes.size());
    const char* const bug = known_bug(v);
    int reported = 0;
    for (int n = 0; n < cases; ++n) {
      const Case in = random_case(v, rng);
      uint32_t reg_mask[9];
      const uint32_t flag_mask = defined_flags(v, in, reg_mask);
      const bool divides = v.rule == Rule::Div || v.rule == Rule::Idiv;
      const bool faults = divides && divide_overflows(v, in.r);
      totals.divide_errors += faults;

      Case expect = in;
      if (!faults) {
        HostState hs{};
        for (int i = 0; i < 8; ++i) hs.r[i] = in.r[i];
        hs.flags = in.flags;
        hs.mem = in.r[8];
        v.host(&hs);
        for (int i = 0; i < 8; ++i) expect.r[i] = i == 4 ? kStack : static_cast<uint32_t>(hs.r[i]);
        expect.r[8] = static_cast<uint32_t>(hs.mem);
        expect.flags = static_cast<uint32_t>(hs.flags);
      }
      Case got{};
      const auto outcome = emu.run(eip, length, in, got);
      std::string problem;
      if (faults) {
        if (outcome != Emulator::Outcome::DivideError) {
          problem = "expected #DE (quotient overflows), the emulator did not raise it";
        } else {
          for (int i = 0; i < 9; ++i) {
            if (i != 4 && got.r[i] != in.r[i]) problem = "#DE raised but registers changed";
          }
        }
      } else if (outcome == Emulator::Outcome::DivideError) {
        problem = "unexpected #DE";
      } else if (outcome != Emulator::Outcome::Halted) {
        problem = "did not reach the HLT after the instruction (fault?)";
      } else {
        for (int i = 0; i < 9; ++i) {
          if (i != 4 && ((got.r[i] ^ expect.r[i]) & reg_mask[i])) problem = "register mismatch";
        }
        if ((got.flags ^ expect.flags) & flag_mask)
          problem += problem.empty() ? "flag mismatch" : ", flags too";
      }
      if (problem.empty()) continue;
      (bug ? totals.known : totals.failures) += 1;
      if (reported++ < (bug ? 1 : 4)) {
        std::string msg = problem + ": " + describe(v, in);
        if (!faults) msg += describe_result("host", expect, flag_mask, reg_mask);
        msg += describe_result("emulator", got, flag_mask, reg_mask);
        if (bug) {
          WARN_MESSAGE(false, (std::string("known emulator bug, reported: ") + bug + "\n" + msg));
        } else {
          FAIL_CHECK(msg);
        }
      }
    }
    if (reported > 1) MESSAGE(v.name << ": " << reported << " mismatches in " << cases << " cases");
  }
  return totals;
}

// ---- The instruction tables ----------------------------------------------------------------

// ADD OR ADC SBB AND SUB XOR CMP: OP is the /digit.
#define ALU_VARIANTS(NAME, OP, RULE)                                                               \
  V(NAME " cl,dl", 8, RULE, 0, -1, -1, 8 * (OP), 0xD1),                                            \
      V(NAME " bh,ah", 8, RULE, 0, -1, -1, 8 * (OP), 0xE7),                                        \
      V(NAME " al,ch", 8, RULE, 0, -1, -1, 8 * (OP) + 2, 0xC5),                                    \
      V(NAME " al,7F", 8, RULE, 0, -1, -1, 8 * (OP) + 4, 0x7F),                                    \
      V(NAME " bl,01", 8, RULE, 0, -1, -1, 0x80, 0xC3 + 8 * (OP), 0x01),                           \
      V(NAME " cx,dx", 16, RULE, 0, -1, -1, 0x66, 8 * (OP) + 1, 0xD1),                             \
      V(NAME " si,bp", 16, RULE, 0, -1, -1, 0x66, 8 * (OP) + 3, 0xF5),                             \
      V(NAME " ax,8000", 16, RULE, 0, -1, -1, 0x66, 8 * (OP) + 5, 0x00, 0x80),                     \
      V(NAME " si,FFFF", 16, RULE, 0, -1, -1, 0x66, 0x81, 0xC6 + 8 * (OP), 0xFF, 0xFF),            \
      V(NAME " dx,-80", 16, RULE, 0, -1, -1, 0x66, 0x83, 0xC2 + 8 * (OP), 0x80),                   \
      V(NAME " ecx,edx", 32, RULE, 0, -1, -1, 8 * (OP) + 1, 0xD1),                                 \
      V(NAME " eax,edi", 32, RULE, 0, -1, -1, 8 * (OP) + 3, 0xC7),                                 \
      V(NAME " ebx,ebx", 32, RULE, 0, -1, -1, 8 * (OP) + 1, 0xDB),                                 \
      V(NAME " eax,7FFFFFFF", 32, RULE, 0, -1, -1, 8 * (OP) + 5, 0xFF, 0xFF, 0xFF, 0x7F),          \
      V(NAME " ebp,80000000", 32, RULE, 0, -1, -1, 0x81, 0xC5 + 8 * (OP), 0x00, 0x00, 0x00, 0x80), \
      V(NAME " esi,-1", 32, RULE, 0, -1, -1, 0x83, 0xC6 + 8 * (OP), 0xFF)

std::vector<Variant> alu_variants() {
  return {
      ALU_VARIANTS("add", 0, Arith),
      ALU_VARIANTS("or", 1, Logic),
      ALU_VARIANTS("adc", 2, Arith),
      ALU_VARIANTS("sbb", 3, Arith),
      ALU_VARIANTS("and", 4, Logic),
      ALU_VARIANTS("sub", 5, Arith),
      ALU_VARIANTS("xor", 6, Logic),
      ALU_VARIANTS("cmp", 7, Arith),
      V("test cl,dl", 8, Logic, 0, -1, -1, 0x84, 0xD1),
      V("test bh,ah", 8, Logic, 0, -1, -1, 0x84, 0xE7),
      V("test al,81", 8, Logic, 0, -1, -1, 0xA8, 0x81),
      V("test bl,0F", 8, Logic, 0, -1, -1, 0xF6, 0xC3, 0x0F),
      V("test cx,dx", 16, Logic, 0, -1, -1, 0x66, 0x85, 0xD1),
      V("test ax,8000", 16, Logic, 0, -1, -1, 0x66, 0xA9, 0x00, 0x80),
      V("test si,00FF", 16, Logic, 0, -1, -1, 0x66, 0xF7, 0xC6, 0xFF, 0x00),
      V("test eax,edi", 32, Logic, 0, -1, -1, 0x85, 0xC7),
      V("test eax,80000001", 32, Logic, 0, -1, -1, 0xA9, 0x01, 0x00, 0x00, 0x80),
      V("test ebp,FFFF0000", 32, Logic, 0, -1, -1, 0xF7, 0xC5, 0x00, 0x00, 0xFF, 0xFF),
  };
}

std::vector<Variant> unary_variants() {
  return {
      V("inc cl", 8, Arith, 0, -1, -1, 0xFE, 0xC1),
      V("dec ah", 8, Arith, 0, -1, -1, 0xFE, 0xCC),
      V("inc dx", 16, Arith, 0, -1, -1, 0x66, 0xFF, 0xC2),
      V("dec si", 16, Arith, 0, -1, -1, 0x66, 0xFF, 0xCE),
      V("inc ebx", 32, Arith, 0, -1, -1, 0xFF, 0xC3),
      V("dec edi", 32, Arith, 0, -1, -1, 0xFF, 0xCF),
      VD("inc bp (45)", 16, Arith, (0x66, 0x45), (0x66, 0xFF, 0xC5)),
      VD("dec cx (49)", 16, Arith, (0x66, 0x49), (0x66, 0xFF, 0xC9)),
      VD("inc edx (42)", 32, Arith, (0x42), (0xFF, 0xC2)),
      VD("dec eax (48)", 32, Arith, (0x48), (0xFF, 0xC8)),
      V("neg cl", 8, Arith, 0, -1, -1, 0xF6, 0xD9),
      V("neg ah", 8, Arith, 0, -1, -1, 0xF6, 0xDC),
      V("neg dx", 16, Arith, 0, -1, -1, 0x66, 0xF7, 0xDA),
      V("neg ebx", 32, Arith, 0, -1, -1, 0xF7, 0xDB),
      V("not cl", 8, Same, 0, -1, -1, 0xF6, 0xD1),
      V("not bh", 8, Same, 0, -1, -1, 0xF6, 0xD7),
      V("not si", 16, Same, 0, -1, -1, 0x66, 0xF7, 0xD6),
      V("not edi", 32, Same, 0, -1, -1, 0xF7, 0xD7),
  };
}

std::vector<Variant> multiply_variants() {
  return {
      V("mul cl", 8, Mul, 0, -1, -1, 0xF6, 0xE1),
      V("mul ah", 8, Mul, 0, -1, -1, 0xF6, 0xE4),
      V("imul cl", 8, Mul, 0, -1, -1, 0xF6, 0xE9),
      V("imul ch", 8, Mul, 0, -1, -1, 0xF6, 0xED),
      V("mul bx", 16, Mul, 0, -1, -1, 0x66, 0xF7, 0xE3),
      V("mul dx", 16, Mul, 0, -1, -1, 0x66, 0xF7, 0xE2),
      V("imul bx", 16, Mul, 0, -1, -1, 0x66, 0xF7, 0xEB),
      V("mul esi", 32, Mul, 0, -1, -1, 0xF7, 0xE6),
      V("mul eax", 32, Mul, 0, -1, -1, 0xF7, 0xE0),
      V("imul esi", 32, Mul, 0, -1, -1, 0xF7, 0xEE),
      V("imul edx", 32, Mul, 0, -1, -1, 0xF7, 0xEA),
      V("imul cx,dx", 16, Mul, 0, -1, -1, 0x66, 0x0F, 0xAF, 0xCA),
      V("imul ecx,edx", 32, Mul, 0, -1, -1, 0x0F, 0xAF, 0xCA),
      V("imul eax,eax", 32, Mul, 0, -1, -1, 0x0F, 0xAF, 0xC0),
      V("imul cx,dx,-80", 16, Mul, 0, -1, -1, 0x66, 0x6B, 0xCA, 0x80),
      V("imul cx,dx,1234", 16, Mul, 0, -1, -1, 0x66, 0x69, 0xCA, 0x34, 0x12),
      V("imul ecx,edx,7F", 32, Mul, 0, -1, -1, 0x6B, 0xCA, 0x7F),
      V("imul ecx,edx,12345678", 32, Mul, 0, -1, -1, 0x69, 0xCA, 0x78, 0x56, 0x34, 0x12),
      V("imul eax,eax,-1", 32, Mul, 0, -1, -1, 0x69, 0xC0, 0xFF, 0xFF, 0xFF, 0xFF),
      V("imul ebx,esi,-80000000", 32, Mul, 0, -1, -1, 0x69, 0xDE, 0x00, 0x00, 0x00, 0x80),
  };
}

std::vector<Variant> divide_variants() {
  return {
      V("div cl", 8, Div, 0, -1, 1, 0xF6, 0xF1),
      V("div ah", 8, Div, 0, -1, 4, 0xF6, 0xF4),
      V("div bh", 8, Div, 0, -1, 7, 0xF6, 0xF7),
      V("idiv cl", 8, Idiv, 0, -1, 1, 0xF6, 0xF9),
      V("idiv ah", 8, Idiv, 0, -1, 4, 0xF6, 0xFC),
      V("idiv bh", 8, Idiv, 0, -1, 7, 0xF6, 0xFF),
      V("div bx", 16, Div, 0, -1, 3, 0x66, 0xF7, 0xF3),
      V("div dx", 16, Div, 0, -1, 2, 0x66, 0xF7, 0xF2),
      V("idiv bx", 16, Idiv, 0, -1, 3, 0x66, 0xF7, 0xFB),
      V("idiv ax", 16, Idiv, 0, -1, 0, 0x66, 0xF7, 0xF8),
      V("div esi", 32, Div, 0, -1, 6, 0xF7, 0xF6),
      V("div edx", 32, Div, 0, -1, 2, 0xF7, 0xF2),
      V("div eax", 32, Div, 0, -1, 0, 0xF7, 0xF0),
      V("idiv esi", 32, Idiv, 0, -1, 6, 0xF7, 0xFE),
      V("idiv ecx", 32, Idiv, 0, -1, 1, 0xF7, 0xF9),
      V("idiv edx", 32, Idiv, 0, -1, 2, 0xF7, 0xFA),
  };
}

// ROL ROR RCL RCR SHL SHR SAR (/0 /1 /2 /3 /4 /5 /7) on BL/AH, DX and ESI.
#define SHIFT_VARIANTS(NAME, OP, RULE)                                         \
  V(NAME " bl,cl", 8, RULE, -1, -1, -1, 0xD2, 0xC3 + 8 * (OP)),                \
      V(NAME " ah,1", 8, RULE, 1, -1, -1, 0xD0, 0xC4 + 8 * (OP)),              \
      V(NAME " bl,4", 8, RULE, 4, -1, -1, 0xC0, 0xC3 + 8 * (OP), 4),           \
      V(NAME " ch,9", 8, RULE, 9, -1, -1, 0xC0, 0xC5 + 8 * (OP), 9),           \
      V(NAME " cl,cl", 8, RULE, -1, -1, -1, 0xD2, 0xC1 + 8 * (OP)),            \
      V(NAME " dx,cl", 16, RULE, -1, -1, -1, 0x66, 0xD3, 0xC2 + 8 * (OP)),     \
      V(NAME " dx,1", 16, RULE, 1, -1, -1, 0x66, 0xD1, 0xC2 + 8 * (OP)),       \
      V(NAME " dx,4", 16, RULE, 4, -1, -1, 0x66, 0xC1, 0xC2 + 8 * (OP), 4),    \
      V(NAME " bp,17", 16, RULE, 17, -1, -1, 0x66, 0xC1, 0xC5 + 8 * (OP), 17), \
      V(NAME " esi,cl", 32, RULE, -1, -1, -1, 0xD3, 0xC6 + 8 * (OP)),          \
      V(NAME " esi,1", 32, RULE, 1, -1, -1, 0xD1, 0xC6 + 8 * (OP)),            \
      V(NAME " esi,4", 32, RULE, 4, -1, -1, 0xC1, 0xC6 + 8 * (OP), 4),         \
      V(NAME " edi,31", 32, RULE, 31, -1, -1, 0xC1, 0xC7 + 8 * (OP), 31),      \
      V(NAME " edi,0", 32, RULE, 0, -1, -1, 0xC1, 0xC7 + 8 * (OP), 0),         \
      V(NAME " eax,33", 32, RULE, 33, -1, -1, 0xC1, 0xC0 + 8 * (OP), 33)

std::vector<Variant> shift_variants() {
  return {
      SHIFT_VARIANTS("rol", 0, Rotate),
      SHIFT_VARIANTS("ror", 1, Rotate),
      SHIFT_VARIANTS("rcl", 2, Rotate),
      SHIFT_VARIANTS("rcr", 3, Rotate),
      SHIFT_VARIANTS("shl", 4, Shift),
      SHIFT_VARIANTS("shr", 5, Shift),
      SHIFT_VARIANTS("sar", 7, Sar),
      // SHLD/SHRD ebx, edx (destination BX/EBX = register 3).
      V("shld bx,dx,cl", 16, DoubleShift, -1, 3, -1, 0x66, 0x0F, 0xA5, 0xD3),
      V("shld bx,dx,1", 16, DoubleShift, 1, 3, -1, 0x66, 0x0F, 0xA4, 0xD3, 1),
      V("shld bx,dx,7", 16, DoubleShift, 7, 3, -1, 0x66, 0x0F, 0xA4, 0xD3, 7),
      V("shld bx,dx,16", 16, DoubleShift, 16, 3, -1, 0x66, 0x0F, 0xA4, 0xD3, 16),
      V("shld ebx,edx,cl", 32, DoubleShift, -1, 3, -1, 0x0F, 0xA5, 0xD3),
      V("shld ebx,edx,1", 32, DoubleShift, 1, 3, -1, 0x0F, 0xA4, 0xD3, 1),
      V("shld ebx,edx,13", 32, DoubleShift, 13, 3, -1, 0x0F, 0xA4, 0xD3, 13),
      V("shld ebx,edx,31", 32, DoubleShift, 31, 3, -1, 0x0F, 0xA4, 0xD3, 31),
      V("shrd bx,dx,cl", 16, DoubleShift, -1, 3, -1, 0x66, 0x0F, 0xAD, 0xD3),
      V("shrd bx,dx,1", 16, DoubleShift, 1, 3, -1, 0x66, 0x0F, 0xAC, 0xD3, 1),
      V("shrd bx,dx,7", 16, DoubleShift, 7, 3, -1, 0x66, 0x0F, 0xAC, 0xD3, 7),
      V("shrd bx,dx,16", 16, DoubleShift, 16, 3, -1, 0x66, 0x0F, 0xAC, 0xD3, 16),
      V("shrd ebx,edx,cl", 32, DoubleShift, -1, 3, -1, 0x0F, 0xAD, 0xD3),
      V("shrd ebx,edx,1", 32, DoubleShift, 1, 3, -1, 0x0F, 0xAC, 0xD3, 1),
      V("shrd ebx,edx,13", 32, DoubleShift, 13, 3, -1, 0x0F, 0xAC, 0xD3, 13),
      V("shrd ebx,edx,31", 32, DoubleShift, 31, 3, -1, 0x0F, 0xAC, 0xD3, 31),
      V("shld ecx,ecx,cl", 32, DoubleShift, -1, 1, -1, 0x0F, 0xA5, 0xC9),
  };
}

std::vector<Variant> bit_variants() {
  return {
      V("bt bx,cx", 16, BitTest, 0, -1, -1, 0x66, 0x0F, 0xA3, 0xCB),
      V("bts bx,cx", 16, BitTest, 0, -1, -1, 0x66, 0x0F, 0xAB, 0xCB),
      V("btr bx,cx", 16, BitTest, 0, -1, -1, 0x66, 0x0F, 0xB3, 0xCB),
      V("btc bx,cx", 16, BitTest, 0, -1, -1, 0x66, 0x0F, 0xBB, 0xCB),
      V("bt ebx,ecx", 32, BitTest, 0, -1, -1, 0x0F, 0xA3, 0xCB),
      V("bts ebx,ecx", 32, BitTest, 0, -1, -1, 0x0F, 0xAB, 0xCB),
      V("btr ebx,ecx", 32, BitTest, 0, -1, -1, 0x0F, 0xB3, 0xCB),
      V("btc ebx,ecx", 32, BitTest, 0, -1, -1, 0x0F, 0xBB, 0xCB),
      V("btc ecx,ecx", 32, BitTest, 0, -1, -1, 0x0F, 0xBB, 0xC9),
      V("bt bx,25", 16, BitTest, 0, -1, -1, 0x66, 0x0F, 0xBA, 0xE3, 0x25),
      V("bts bx,0F", 16, BitTest, 0, -1, -1, 0x66, 0x0F, 0xBA, 0xEB, 0x0F),
      V("btr bx,25", 16, BitTest, 0, -1, -1, 0x66, 0x0F, 0xBA, 0xF3, 0x25),
      V("btc bx,0F", 16, BitTest, 0, -1, -1, 0x66, 0x0F, 0xBA, 0xFB, 0x0F),
      V("bt ebx,25", 32, BitTest, 0, -1, -1, 0x0F, 0xBA, 0xE3, 0x25),
      V("bts ebx,1F", 32, BitTest, 0, -1, -1, 0x0F, 0xBA, 0xEB, 0x1F),
      V("btr ebx,25", 32, BitTest, 0, -1, -1, 0x0F, 0xBA, 0xF3, 0x25),
      V("btc ebx,1F", 32, BitTest, 0, -1, -1, 0x0F, 0xBA, 0xFB, 0x1F),
      V("bsf cx,dx", 16, BitScan, 0, 1, 2, 0x66, 0x0F, 0xBC, 0xCA),
      V("bsr cx,dx", 16, BitScan, 0, 1, 2, 0x66, 0x0F, 0xBD, 0xCA),
      V("bsf ecx,edx", 32, BitScan, 0, 1, 2, 0x0F, 0xBC, 0xCA),
      V("bsr ecx,edx", 32, BitScan, 0, 1, 2, 0x0F, 0xBD, 0xCA),
      V("bsr eax,eax", 32, BitScan, 0, 0, 0, 0x0F, 0xBD, 0xC0),
  };
}

std::vector<Variant> data_variants() {
  return {
      V("bswap eax", 32, Same, 0, -1, -1, 0x0F, 0xC8),
      V("bswap ebx", 32, Same, 0, -1, -1, 0x0F, 0xCB),
      V("bswap edi", 32, Same, 0, -1, -1, 0x0F, 0xCF),
      V("xadd cl,dl", 8, Arith, 0, -1, -1, 0x0F, 0xC0, 0xD1),
      V("xadd bh,ah", 8, Arith, 0, -1, -1, 0x0F, 0xC0, 0xE7),
      V("xadd cx,dx", 16, Arith, 0, -1, -1, 0x66, 0x0F, 0xC1, 0xD1),
      V("xadd ecx,edx", 32, Arith, 0, -1, -1, 0x0F, 0xC1, 0xD1),
      V("xadd ebx,ebx", 32, Arith, 0, -1, -1, 0x0F, 0xC1, 0xDB),
      V("xadd dl,dl", 8, Arith, 0, -1, -1, 0x0F, 0xC0, 0xD2),
      V("xadd si,si", 16, Arith, 0, -1, -1, 0x66, 0x0F, 0xC1, 0xF6),
      V("cmpxchg cl,dl", 8, Cmpxchg, 0, 1, -1, 0x0F, 0xB0, 0xD1),
      V("cmpxchg ah,bh", 8, Cmpxchg, 0, 4, -1, 0x0F, 0xB0, 0xFC),
      V("cmpxchg al,cl", 8, Cmpxchg, 0, 0, -1, 0x0F, 0xB0, 0xC8),
      V("cmpxchg cx,dx", 16, Cmpxchg, 0, 1, -1, 0x66, 0x0F, 0xB1, 0xD1),
      V("cmpxchg ecx,edx", 32, Cmpxchg, 0, 1, -1, 0x0F, 0xB1, 0xD1),
      V("cmpxchg esi,edi", 32, Cmpxchg, 0, 6, -1, 0x0F, 0xB1, 0xFE),
      V("cmpxchg edx,eax", 32, Cmpxchg, 0, 2, -1, 0x0F, 0xB1, 0xC2),
      V("movzx ecx,ah", 32, Same, 0, -1, -1, 0x0F, 0xB6, 0xCC),
      V("movzx ax,bl", 16, Same, 0, -1, -1, 0x66, 0x0F, 0xB6, 0xC3),
      V("movzx edx,si", 32, Same, 0, -1, -1, 0x0F, 0xB7, 0xD6),
      V("movsx ecx,ah", 32, Same, 0, -1, -1, 0x0F, 0xBE, 0xCC),
      V("movsx ax,bl", 16, Same, 0, -1, -1, 0x66, 0x0F, 0xBE, 0xC3),
      V("movsx edx,si", 32, Same, 0, -1, -1, 0x0F, 0xBF, 0xD6),
      V("movsx eax,ax", 32, Same, 0, -1, -1, 0x0F, 0xBF, 0xC0),
      V("cbw", 16, Same, 0, -1, -1, 0x66, 0x98),
      V("cwde", 32, Same, 0, -1, -1, 0x98),
      V("cwd", 16, Same, 0, -1, -1, 0x66, 0x99),
      V("cdq", 32, Same, 0, -1, -1, 0x99),
      // 32-bit addressing; disp32 without a base goes through a SIB byte (RIP-relative in
      // 64-bit mode otherwise).
      V("lea eax,[ebx+ecx*4+12345678]", 32, Same, 0, -1, -1, 0x8D, 0x84, 0x8B, 0x78, 0x56, 0x34,
        0x12),
      V("lea ax,[ebx+ecx*4+12345678]", 16, Same, 0, -1, -1, 0x66, 0x8D, 0x84, 0x8B, 0x78, 0x56,
        0x34, 0x12),
      V("lea edx,[esi+edi]", 32, Same, 0, -1, -1, 0x8D, 0x14, 0x3E),
      V("lea ecx,[ebp-8]", 32, Same, 0, -1, -1, 0x8D, 0x4D, 0xF8),
      V("lea esi,[ecx*8+80000000]", 32, Same, 0, -1, -1, 0x8D, 0x34, 0xCD, 0x00, 0x00, 0x00, 0x80),
      V("lea edi,[eax+eax*2]", 32, Same, 0, -1, -1, 0x8D, 0x3C, 0x40),
      V("lea ebx,[edx+7FFFFFFF]", 32, Same, 0, -1, -1, 0x8D, 0x9A, 0xFF, 0xFF, 0xFF, 0x7F),
      V("lea bp,[esi+ebp*2-2]", 16, Same, 0, -1, -1, 0x66, 0x8D, 0x6C, 0x6E, 0xFE),
  };
}

#define CC_VARIANTS(NAME, CC)                                                      \
  V("set" NAME " cl", 8, Same, 0, -1, -1, 0x0F, 0x90 + (CC), 0xC1),                \
      V("set" NAME " ah", 8, Same, 0, -1, -1, 0x0F, 0x90 + (CC), 0xC4),            \
      V("cmov" NAME " cx,dx", 16, Same, 0, -1, -1, 0x66, 0x0F, 0x40 + (CC), 0xCA), \
      V("cmov" NAME " ecx,edx", 32, Same, 0, -1, -1, 0x0F, 0x40 + (CC), 0xCA)

std::vector<Variant> condition_variants() {
  return {
      CC_VARIANTS("o", 0),  CC_VARIANTS("no", 1),  CC_VARIANTS("b", 2),   CC_VARIANTS("ae", 3),
      CC_VARIANTS("e", 4),  CC_VARIANTS("ne", 5),  CC_VARIANTS("be", 6),  CC_VARIANTS("a", 7),
      CC_VARIANTS("s", 8),  CC_VARIANTS("ns", 9),  CC_VARIANTS("p", 10),  CC_VARIANTS("np", 11),
      CC_VARIANTS("l", 12), CC_VARIANTS("ge", 13), CC_VARIANTS("le", 14), CC_VARIANTS("g", 15),
  };
}

// Memory operands: other handler instances (read-modify-write, the operand read first).
#define ALU_MEMORY_VARIANTS(NAME, OP, RULE)                                                   \
  VM(NAME " [m8],dl", 8, RULE, 0, -1, -1, 0x3E, (8 * (OP)), 2),                               \
      VM(NAME " bl,[m8]", 8, RULE, 0, -1, -1, 0x3E, (8 * (OP) + 2), 3),                       \
      VM(NAME " [m16],si", 16, RULE, 0, -1, -1, 0x66, (8 * (OP) + 1), 6),                     \
      VM(NAME " cx,[m16]", 16, RULE, 0, -1, -1, 0x66, (8 * (OP) + 3), 1),                     \
      VM(NAME " [m32],edi", 32, RULE, 0, -1, -1, 0x3E, (8 * (OP) + 1), 7),                    \
      VM(NAME " eax,[m32]", 32, RULE, 0, -1, -1, 0x3E, (8 * (OP) + 3), 0),                    \
      VM(NAME " byte [m],81", 8, RULE, 0, -1, -1, 0x3E, (0x80), OP, 0x81),                    \
      VM(NAME " word [m],-2", 16, RULE, 0, -1, -1, 0x66, (0x83), OP, 0xFE),                   \
      VM(NAME " dword [m],80000000", 32, RULE, 0, -1, -1, 0x3E, (0x81), OP, 0x00, 0x00, 0x00, \
         0x80)

#define SHIFT_MEMORY_VARIANTS(NAME, OP, RULE)                            \
  VM(NAME " byte [m],cl", 8, RULE, -1, -1, -1, 0x3E, (0xD2), OP),        \
      VM(NAME " word [m],1", 16, RULE, 1, -1, -1, 0x66, (0xD1), OP),     \
      VM(NAME " word [m],cl", 16, RULE, -1, -1, -1, 0x66, (0xD3), OP),   \
      VM(NAME " dword [m],5", 32, RULE, 5, -1, -1, 0x3E, (0xC1), OP, 5), \
      VM(NAME " dword [m],cl", 32, RULE, -1, -1, -1, 0x3E, (0xD3), OP)

std::vector<Variant> memory_variants() {
  return {
      ALU_MEMORY_VARIANTS("add", 0, Arith),
      ALU_MEMORY_VARIANTS("or", 1, Logic),
      ALU_MEMORY_VARIANTS("adc", 2, Arith),
      ALU_MEMORY_VARIANTS("sbb", 3, Arith),
      ALU_MEMORY_VARIANTS("and", 4, Logic),
      ALU_MEMORY_VARIANTS("sub", 5, Arith),
      ALU_MEMORY_VARIANTS("xor", 6, Logic),
      ALU_MEMORY_VARIANTS("cmp", 7, Arith),
      VM("test [m8],dl", 8, Logic, 0, -1, -1, 0x3E, (0x84), 2),
      VM("test [m32],ecx", 32, Logic, 0, -1, -1, 0x3E, (0x85), 1),
      VM("test word [m],8001", 16, Logic, 0, -1, -1, 0x66, (0xF7), 0, 0x01, 0x80),
      VM("inc byte [m]", 8, Arith, 0, -1, -1, 0x3E, (0xFE), 0),
      VM("dec word [m]", 16, Arith, 0, -1, -1, 0x66, (0xFF), 1),
      VM("inc dword [m]", 32, Arith, 0, -1, -1, 0x3E, (0xFF), 0),
      VM("neg byte [m]", 8, Arith, 0, -1, -1, 0x3E, (0xF6), 3),
      VM("neg dword [m]", 32, Arith, 0, -1, -1, 0x3E, (0xF7), 3),
      VM("not word [m]", 16, Same, 0, -1, -1, 0x66, (0xF7), 2),
      VM("mul byte [m]", 8, Mul, 0, -1, -1, 0x3E, (0xF6), 4),
      VM("imul word [m]", 16, Mul, 0, -1, -1, 0x66, (0xF7), 5),
      VM("mul dword [m]", 32, Mul, 0, -1, -1, 0x3E, (0xF7), 4),
      VM("imul dword [m]", 32, Mul, 0, -1, -1, 0x3E, (0xF7), 5),
      VM("imul ecx,[m]", 32, Mul, 0, -1, -1, 0x3E, (0x0F, 0xAF), 1),
      VM("imul dx,[m],-3", 16, Mul, 0, -1, -1, 0x66, (0x6B), 2, 0xFD),
      VM("imul ebx,[m],10000", 32, Mul, 0, -1, -1, 0x3E, (0x69), 3, 0x00, 0x00, 0x01, 0x00),
      VM("div byte [m]", 8, Div, 0, -1, kMemOperand, 0x3E, (0xF6), 6),
      VM("idiv byte [m]", 8, Idiv, 0, -1, kMemOperand, 0x3E, (0xF6), 7),
      VM("div word [m]", 16, Div, 0, -1, kMemOperand, 0x66, (0xF7), 6),
      VM("idiv word [m]", 16, Idiv, 0, -1, kMemOperand, 0x66, (0xF7), 7),
      VM("div dword [m]", 32, Div, 0, -1, kMemOperand, 0x3E, (0xF7), 6),
      VM("idiv dword [m]", 32, Idiv, 0, -1, kMemOperand, 0x3E, (0xF7), 7),
      SHIFT_MEMORY_VARIANTS("rol", 0, Rotate),
      SHIFT_MEMORY_VARIANTS("ror", 1, Rotate),
      SHIFT_MEMORY_VARIANTS("rcl", 2, Rotate),
      SHIFT_MEMORY_VARIANTS("rcr", 3, Rotate),
      SHIFT_MEMORY_VARIANTS("shl", 4, Shift),
      SHIFT_MEMORY_VARIANTS("shr", 5, Shift),
      SHIFT_MEMORY_VARIANTS("sar", 7, Sar),
      VM("shld [m32],edx,cl", 32, DoubleShift, -1, kMemOperand, -1, 0x3E, (0x0F, 0xA5), 2),
      VM("shrd [m16],dx,cl", 16, DoubleShift, -1, kMemOperand, -1, 0x66, (0x0F, 0xAD), 2),
      VM("shrd [m32],ebx,3", 32, DoubleShift, 3, kMemOperand, -1, 0x3E, (0x0F, 0xAC), 3, 3),
      VM("shld [m16],cx,15", 16, DoubleShift, 15, kMemOperand, -1, 0x66, (0x0F, 0xA4), 1, 15),
      VM("bt [m16],cx", 16, BitTest, 0, kMemOperand, -1, 0x66, (0x0F, 0xA3), 1),
      VM("bts [m32],ecx", 32, BitTest, 0, kMemOperand, -1, 0x3E, (0x0F, 0xAB), 1),
      VM("btr [m32],ecx", 32, BitTest, 0, kMemOperand, -1, 0x3E, (0x0F, 0xB3), 1),
      VM("btc [m16],cx", 16, BitTest, 0, kMemOperand, -1, 0x66, (0x0F, 0xBB), 1),
      VM("bts word [m],13", 16, BitTest, 0, kMemOperand, -1, 0x66, (0x0F, 0xBA), 5, 0x13),
      VM("btc dword [m],3F", 32, BitTest, 0, kMemOperand, -1, 0x3E, (0x0F, 0xBA), 7, 0x3F),
      VM("bsf cx,[m]", 16, BitScan, 0, 1, kMemOperand, 0x66, (0x0F, 0xBC), 1),
      VM("bsr edx,[m]", 32, BitScan, 0, 2, kMemOperand, 0x3E, (0x0F, 0xBD), 2),
      VM("xadd [m8],cl", 8, Arith, 0, -1, -1, 0x3E, (0x0F, 0xC0), 1),
      VM("xadd [m32],edx", 32, Arith, 0, -1, -1, 0x3E, (0x0F, 0xC1), 2),
      VM("cmpxchg [m8],dl", 8, Cmpxchg, 0, kMemOperand, -1, 0x3E, (0x0F, 0xB0), 2),
      VM("cmpxchg [m16],bx", 16, Cmpxchg, 0, kMemOperand, -1, 0x66, (0x0F, 0xB1), 3),
      VM("cmpxchg [m32],ecx", 32, Cmpxchg, 0, kMemOperand, -1, 0x3E, (0x0F, 0xB1), 1),
      VM("movzx ecx,byte [m]", 32, Same, 0, -1, -1, 0x3E, (0x0F, 0xB6), 1),
      VM("movsx dx,byte [m]", 16, Same, 0, -1, -1, 0x66, (0x0F, 0xBE), 2),
      VM("movsx ebx,word [m]", 32, Same, 0, -1, -1, 0x3E, (0x0F, 0xBF), 3),
      VM("seto [m]", 8, Same, 0, -1, -1, 0x3E, (0x0F, 0x90), 0),
      VM("setbe [m]", 8, Same, 0, -1, -1, 0x3E, (0x0F, 0x96), 0),
      VM("setl [m]", 8, Same, 0, -1, -1, 0x3E, (0x0F, 0x9C), 0),
      VM("cmovp cx,[m]", 16, Same, 0, -1, -1, 0x66, (0x0F, 0x4A), 1),
      VM("cmovg eax,[m]", 32, Same, 0, -1, -1, 0x3E, (0x0F, 0x4F), 0),
      VM("cmovs edx,[m]", 32, Same, 0, -1, -1, 0x3E, (0x0F, 0x48), 2),
  };
}

// Two or three instructions: a flag producer, then a consumer (Jcc, SETcc, CMOVcc, ADC/SBB,
// RCL/RCR, LAHF), so the consumer reads flags the emulator keeps lazily. set_eflags() alone
// leaves them eager. The rule is the last flag writer's; no consumer reads a flag that
// writer leaves undefined. A taken Jcc skips LEA EBX,[EBX+1].
#define JCC(CC) 0x70 + (CC), 0x03, 0x8D, 0x5B, 0x01
#define SETCC_AL(CC) 0x0F, 0x90 + (CC), 0xC0
#define CMOVCC_EAX_ESI(CC) 0x0F, 0x40 + (CC), 0xC6
#define CONSUMER_VARIANTS(NAME, CC)                                                       \
  V("cmp ecx,edx; j" NAME, 32, Arith, 0, -1, -1, 0x39, 0xD1, JCC(CC)),                    \
      V("cmp cl,dl; j" NAME, 8, Arith, 0, -1, -1, 0x38, 0xD1, JCC(CC)),                   \
      V("sub cx,dx; j" NAME, 16, Arith, 0, -1, -1, 0x66, 0x29, 0xD1, JCC(CC)),            \
      V("add ecx,edx; set" NAME, 32, Arith, 0, -1, -1, 0x01, 0xD1, SETCC_AL(CC)),         \
      V("adc dx,si; set" NAME, 16, Arith, 0, -1, -1, 0x66, 0x11, 0xF2, SETCC_AL(CC)),     \
      V("sbb ecx,edx; j" NAME, 32, Arith, 0, -1, -1, 0x19, 0xD1, JCC(CC)),                \
      V("inc cl; j" NAME, 8, Arith, 0, -1, -1, 0xFE, 0xC1, JCC(CC)),                      \
      V("dec ecx; set" NAME, 32, Arith, 0, -1, -1, 0xFF, 0xC9, SETCC_AL(CC)),             \
      V("neg edx; cmov" NAME, 32, Arith, 0, -1, -1, 0xF7, 0xDA, CMOVCC_EAX_ESI(CC)),      \
      V("and ecx,edx; j" NAME, 32, Logic, 0, -1, -1, 0x21, 0xD1, JCC(CC)),                \
      V("xor cl,dl; set" NAME, 8, Logic, 0, -1, -1, 0x30, 0xD1, SETCC_AL(CC)),            \
      V("test ecx,edx; cmov" NAME, 32, Logic, 0, -1, -1, 0x85, 0xD1, CMOVCC_EAX_ESI(CC)), \
      V("shl ecx,1; j" NAME, 32, Shift, 1, -1, -1, 0xD1, 0xE1, JCC(CC)),                  \
      V("sar dl,1; set" NAME, 8, Sar, 1, -1, -1, 0xD0, 0xFA, SETCC_AL(CC)),               \
      V("cmpxchg ecx,edx; j" NAME, 32, Cmpxchg, 0, 1, -1, 0x0F, 0xB1, 0xD1, JCC(CC)),     \
      V("sahf; j" NAME, 32, Arith, 0, -1, -1, 0x9E, JCC(CC))

std::vector<Variant> flag_consumer_variants() {
  return {
      CONSUMER_VARIANTS("o", 0),
      CONSUMER_VARIANTS("no", 1),
      CONSUMER_VARIANTS("b", 2),
      CONSUMER_VARIANTS("ae", 3),
      CONSUMER_VARIANTS("e", 4),
      CONSUMER_VARIANTS("ne", 5),
      CONSUMER_VARIANTS("be", 6),
      CONSUMER_VARIANTS("a", 7),
      CONSUMER_VARIANTS("s", 8),
      CONSUMER_VARIANTS("ns", 9),
      CONSUMER_VARIANTS("p", 10),
      CONSUMER_VARIANTS("np", 11),
      CONSUMER_VARIANTS("l", 12),
      CONSUMER_VARIANTS("ge", 13),
      CONSUMER_VARIANTS("le", 14),
      CONSUMER_VARIANTS("g", 15),
      V("add ecx,edx; adc ebx,esi", 32, Arith, 0, -1, -1, 0x01, 0xD1, 0x11, 0xF3),
      V("sub cl,dl; sbb bl,dh", 8, Arith, 0, -1, -1, 0x28, 0xD1, 0x18, 0xF3),
      V("inc ecx; adc ebx,esi", 32, Arith, 0, -1, -1, 0xFF, 0xC1, 0x11, 0xF3),
      V("dec dx; sbb bx,si", 16, Arith, 0, -1, -1, 0x66, 0xFF, 0xCA, 0x66, 0x19, 0xF3),
      V("add ecx,edx; inc ebx; adc esi,edi", 32, Arith, 0, -1, -1, 0x01, 0xD1, 0xFF, 0xC3, 0x11,
        0xFE),
      V("sub ecx,edx; dec bl; sbb esi,edi", 32, Arith, 0, -1, -1, 0x29, 0xD1, 0xFE, 0xCB, 0x19,
        0xFE),
      V("neg cl; adc bl,dl", 8, Arith, 0, -1, -1, 0xF6, 0xD9, 0x10, 0xD3),
      V("cmp ecx,edx; rcl ebx,1", 32, Rotate, 1, -1, -1, 0x39, 0xD1, 0xD1, 0xD3),
      V("sub cx,dx; rcr bx,1", 16, Rotate, 1, -1, -1, 0x66, 0x29, 0xD1, 0x66, 0xD1, 0xDB),
      V("cmp ecx,edx; cmc; adc ebx,esi", 32, Arith, 0, -1, -1, 0x39, 0xD1, 0xF5, 0x11, 0xF3),
      V("add ecx,edx; clc; adc ebx,esi", 32, Arith, 0, -1, -1, 0x01, 0xD1, 0xF8, 0x11, 0xF3),
      V("sub ecx,edx; stc; sbb ebx,esi", 32, Arith, 0, -1, -1, 0x29, 0xD1, 0xF9, 0x19, 0xF3),
      V("add ecx,edx; lahf", 32, Arith, 0, -1, -1, 0x01, 0xD1, 0x9F),
      V("sub cl,dl; lahf", 8, Arith, 0, -1, -1, 0x28, 0xD1, 0x9F),
      V("inc ecx; lahf", 32, Arith, 0, -1, -1, 0xFF, 0xC1, 0x9F),
      V("neg dx; lahf", 16, Arith, 0, -1, -1, 0x66, 0xF7, 0xDA, 0x9F),
      V("adc ecx,edx; lahf", 32, Arith, 0, -1, -1, 0x11, 0xD1, 0x9F),
      V("sbb bl,dh; lahf", 8, Arith, 0, -1, -1, 0x18, 0xF3, 0x9F),
      V("cmp ecx,edx; sahf; adc ebx,esi", 32, Arith, 0, -1, -1, 0x39, 0xD1, 0x9E, 0x11, 0xF3),
      V("imul ecx,edx; setc al", 32, Mul, 0, -1, -1, 0x0F, 0xAF, 0xCA, SETCC_AL(2)),
      V("mul edx; seto bl", 32, Mul, 0, -1, -1, 0xF7, 0xE2, 0x0F, 0x90, 0xC3),
      V("imul cl; jno", 8, Mul, 0, -1, -1, 0xF6, 0xE9, JCC(1)),
      V("bt ebx,ecx; setbe al", 32, BitTest, 0, -1, -1, 0x0F, 0xA3, 0xCB, SETCC_AL(6)),
      V("bts ebx,ecx; adc esi,edi", 32, Arith, 0, -1, -1, 0x0F, 0xAB, 0xCB, 0x11, 0xFE),
      V("bsf ecx,edx; setz al", 32, BitScan, 0, 1, 2, 0x0F, 0xBC, 0xCA, SETCC_AL(4)),
      V("shld ebx,edx,1; setc al", 32, DoubleShift, 1, 3, -1, 0x0F, 0xA4, 0xD3, 1, SETCC_AL(2)),
      V("ror esi,1; jo", 32, Rotate, 1, -1, -1, 0xD1, 0xCE, JCC(0)),
      V("xadd ecx,edx; jg", 32, Arith, 0, -1, -1, 0x0F, 0xC1, 0xD1, JCC(15)),
  };
}

void run_table(const std::vector<Variant>& variants) {
  const Totals t = run_variants(variants, X86LAB_DIFF_CASES);
  MESSAGE(variants.size() << " forms x " << X86LAB_DIFF_CASES << " cases: " << t.failures
                          << " mismatches, " << t.known << " of known bugs, " << t.divide_errors
                          << " #DE cases");
  CHECK(t.failures == 0);
}

}  // namespace

#define DIFF_TEST(NAME, TABLE) \
  TEST_CASE("host differential: " NAME) { run_table(TABLE()); }

#else  // not an x86-64 host

#define DIFF_TEST(NAME, TABLE) \
  TEST_CASE("host differential: " NAME) { MESSAGE("not an x86-64 host: skipped"); }

#endif

DIFF_TEST("ADD OR ADC SBB AND SUB XOR CMP TEST", alu_variants)
DIFF_TEST("INC DEC NEG NOT", unary_variants)
DIFF_TEST("MUL IMUL", multiply_variants)
DIFF_TEST("DIV IDIV and #DE", divide_variants)
DIFF_TEST("shifts, rotates, SHLD SHRD", shift_variants)
DIFF_TEST("BT BTS BTR BTC BSF BSR", bit_variants)
DIFF_TEST("BSWAP XADD CMPXCHG MOVZX MOVSX CBW CWDE CWD CDQ LEA", data_variants)
DIFF_TEST("SETcc CMOVcc", condition_variants)
DIFF_TEST("memory operands", memory_variants)
DIFF_TEST("flag producers followed by Jcc SETcc CMOVcc ADC SBB RCL RCR LAHF",
          flag_consumer_variants)
