// Integer arithmetic and logic: the eight ALU operations and TEST, INC/DEC/NOT/NEG, shifts and
// rotates, multiply and divide, bit tests and scans, XADD and CMPXCHG.
#include <bit>
#include <limits>
#include <unordered_map>
#include <utility>

#include "cpu/handlers.hpp"

namespace x86lab::cpu {
namespace {

// Flags false: the instance flag liveness picks when every flag it writes is overwritten
// before anything can read it (docs/cpu.md); it records nothing.
template <AluOp Op, typename T, bool Flags = true>
inline T alu_compute(Cpu& cpu, T a, T b) {
  T r;
  switch (Op) {
    case AluOp::Add:
      r = static_cast<T>(a + b);
      if constexpr (Flags) cpu.set_lazy<T>(FlagOp::Add, r, a, b);
      return r;
    case AluOp::Adc: {
      const bool carry = cpu.cf();
      r = static_cast<T>(a + b + carry);
      if constexpr (Flags) {
        cpu.set_lazy<T>(FlagOp::Adc, r, a, b);
        cpu.lazy().carry_in = carry;
      }
      return r;
    }
    case AluOp::Sub:
    case AluOp::Cmp:
      r = static_cast<T>(a - b);
      if constexpr (Flags) cpu.set_lazy<T>(FlagOp::Sub, r, a, b);
      return r;
    case AluOp::Sbb: {
      const bool carry = cpu.cf();
      r = static_cast<T>(a - b - carry);
      if constexpr (Flags) {
        cpu.set_lazy<T>(FlagOp::Sbb, r, a, b);
        cpu.lazy().carry_in = carry;
      }
      return r;
    }
    case AluOp::Or:
      r = a | b;
      break;
    case AluOp::And:
    case AluOp::Test:
      r = a & b;
      break;
    case AluOp::Xor:
      r = a ^ b;
      break;
  }
  if constexpr (Flags) cpu.set_lazy<T>(FlagOp::Logic, r, a, b);
  return r;
}

template <AluOp Op, bool Flags = true>
struct Alu {
  template <typename T, Kind F, Kind S>
  struct H {
    static void run(Cpu& cpu, const Insn& insn) {
      constexpr bool kWrites = Op != AluOp::Cmp && Op != AluOp::Test;
      if constexpr (F == Kind::Mem) {
        const uint32_t offset = cpu.effective_address(insn);
        const T b = read_second<T, S>(cpu, insn);
        if constexpr (kWrites) {
          cpu.modify_mem<T>(insn.seg, offset, [&](T a) { return alu_compute<Op, T>(cpu, a, b); });
        } else {
          alu_compute<Op, T>(cpu, cpu.read_mem<T>(insn.seg, offset), b);
        }
      } else {
        const T b = read_second<T, S>(cpu, insn);
        const T r = alu_compute<Op, T, Flags>(cpu, cpu.reg<T>(insn.rm), b);
        if constexpr (kWrites) cpu.set_reg<T>(insn.rm, r);
      }
    }
  };
};

// The fast twins of the memory forms (exec_common.hpp): the same operation on the host bytes,
// or false (nothing done) when an access needs a check.
template <AluOp Op>
struct AluFast {
  template <typename T, Kind F, Kind S, AddressForm A>
  struct H {
    static bool run(Cpu& cpu, const Insn& insn) {
      constexpr bool kWrites = Op != AluOp::Cmp && Op != AluOp::Test;
      const uint32_t offset = address_of<A>(cpu, insn);
      if constexpr (F == Kind::Mem && kWrites) {
        uint8_t* const p = cpu.fast_modify_pointer<T>(insn.seg, offset);
        if (!p) return false;
        const T b = read_second<T, S>(cpu, insn);
        bus::store_le<T>(p, alu_compute<Op, T>(cpu, bus::load_le<T>(p), b));
      } else if constexpr (F == Kind::Mem) {
        const uint8_t* const p = cpu.fast_read_pointer<T>(insn.seg, offset);
        if (!p) return false;
        alu_compute<Op, T>(cpu, bus::load_le<T>(p), read_second<T, S>(cpu, insn));
      } else {
        const uint8_t* const p = cpu.fast_read_pointer<T>(insn.seg, offset);
        if (!p) return false;
        const T r = alu_compute<Op, T>(cpu, cpu.reg<T>(insn.rm), bus::load_le<T>(p));
        if constexpr (kWrites) cpu.set_reg<T>(insn.rm, r);
      }
      return true;
    }
  };
};

template <UnaryOp Op, bool Flags = true>
struct Unary {
  template <typename T, Kind F, Kind>
  struct H {
    static void run(Cpu& cpu, const Insn& insn) {
      modify_first<T, F>(cpu, insn, [&](T a) -> T {
        switch (Op) {
          case UnaryOp::Inc: {
            const T r = static_cast<T>(a + 1);
            if constexpr (Flags) cpu.set_lazy_keep_cf<T>(FlagOp::Inc, r, a);
            return r;
          }
          case UnaryOp::Dec: {
            const T r = static_cast<T>(a - 1);
            if constexpr (Flags) cpu.set_lazy_keep_cf<T>(FlagOp::Dec, r, a);
            return r;
          }
          case UnaryOp::Not:
            return static_cast<T>(~a);
          case UnaryOp::Neg: {
            const T r = static_cast<T>(T{0} - a);
            if constexpr (Flags) cpu.set_lazy<T>(FlagOp::Sub, r, T{0}, a);
            return r;
          }
        }
        return a;
      });
    }
  };
};

template <UnaryOp Op>
struct UnaryFast {
  template <typename T, Kind, Kind, AddressForm A>
  struct H {
    static bool run(Cpu& cpu, const Insn& insn) {
      uint8_t* const p = cpu.fast_modify_pointer<T>(insn.seg, address_of<A>(cpu, insn));
      if (!p) return false;
      const T a = bus::load_le<T>(p);
      T r;
      switch (Op) {
        case UnaryOp::Inc:
          r = static_cast<T>(a + 1);
          cpu.set_lazy_keep_cf<T>(FlagOp::Inc, r, a);
          break;
        case UnaryOp::Dec:
          r = static_cast<T>(a - 1);
          cpu.set_lazy_keep_cf<T>(FlagOp::Dec, r, a);
          break;
        case UnaryOp::Not:
          r = static_cast<T>(~a);
          break;
        case UnaryOp::Neg:
          r = static_cast<T>(T{0} - a);
          cpu.set_lazy<T>(FlagOp::Sub, r, T{0}, a);
          break;
      }
      bus::store_le<T>(p, r);
      return true;
    }
  };
};

template <typename T>
uint32_t szp_bits(T r) {
  // Shifts of 0/1 values, not ifs: the three tests depend on the data, and as branches they
  // were mispredicted about half the time in IMUL and shift handlers (xz decompression).
  static_assert(flag::kZf == 1u << 6 && flag::kSf == 1u << 7 && flag::kPf == 1u << 2);
  const uint32_t zero = static_cast<uint32_t>(r == 0);
  const uint32_t sign = static_cast<uint32_t>(r >> (8 * sizeof(T) - 1)) & 1;
  const uint32_t even =
      static_cast<uint32_t>(__builtin_parity(static_cast<uint32_t>(r & 0xFF))) ^ 1;
  return zero << 6 | sign << 7 | even << 2;
}

// Shifts and rotates run bit by bit: exact for every count on every model (the 8086 does not
// mask the count, RCL/RCR rotate through CF), and the count is at most 255.
template <ShiftOp Op, typename T, bool Flags>
T shift_bit_by_bit(Cpu& cpu, T value, unsigned count);

// Inlined into the handlers for the common closed forms (a call and its frame cost about as
// much as the shift); RCL/RCR, the 8086's counts above the width and SETMO go bit by bit.
template <ShiftOp Op, typename T, bool Flags = true>
[[gnu::always_inline]] inline T shift_compute(Cpu& cpu, T value, unsigned count) {
  if (cpu.model() != CpuModel::I8086) count &= 31;
  if (count == 0) return value;
  constexpr T kMsb = sign_bit<T>();
  constexpr unsigned kBits = 8 * sizeof(T);
  // Closed forms for the common operations, equal to the bit loop below for these counts
  // (OF is the loop's last step): the loop cost a rotate by 5 about 80 host instructions.
  if constexpr (Op == ShiftOp::Rol || Op == ShiftOp::Ror) {
    const unsigned n = count % kBits;
    const T r = Op == ShiftOp::Rol ? std::rotl(value, static_cast<int>(n))
                                   : std::rotr(value, static_cast<int>(n));
    const bool carry = Op == ShiftOp::Rol ? (r & 1) : (r & kMsb);
    const bool overflow = Op == ShiftOp::Rol ? ((r & kMsb) != 0) != carry
                                             : ((r ^ static_cast<T>(r << 1)) & kMsb) != 0;
    if constexpr (!Flags) return r;
    // SF, ZF, AF and PF stay: fold the lazy state once.
    const uint32_t kept = cpu.eflags() & (flag::kArith & ~(flag::kCf | flag::kOf));
    cpu.set_arith_flags(kept | (carry ? flag::kCf : 0) | (overflow ? flag::kOf : 0));
    return r;
  } else if constexpr (Op == ShiftOp::Shl || Op == ShiftOp::Shr || Op == ShiftOp::Sar) {
    if (count < kBits) {
      T r;
      bool carry;
      bool overflow;
      if constexpr (Op == ShiftOp::Shl) {
        carry = (value >> (kBits - count)) & 1;
        r = static_cast<T>(value << count);
        overflow = ((r & kMsb) != 0) != carry;
      } else if constexpr (Op == ShiftOp::Shr) {
        const T before_last = static_cast<T>(value >> (count - 1));
        carry = before_last & 1;
        overflow = before_last & kMsb;
        r = static_cast<T>(before_last >> 1);
      } else {
        const T before_last = static_cast<T>(static_cast<Signed<T>>(value) >> (count - 1));
        carry = before_last & 1;
        overflow = false;
        r = static_cast<T>(static_cast<Signed<T>>(before_last) >> 1);
      }
      if constexpr (Flags) {
        cpu.set_lazy<T>(FlagOp::Shift, r, static_cast<T>(carry | overflow << 1), T{0});
      }
      return r;
    }
  }
  return shift_bit_by_bit<Op, T, Flags>(cpu, value, count);
}

template <ShiftOp Op, typename T, bool Flags>
[[gnu::noinline]] T shift_bit_by_bit(Cpu& cpu, T value, unsigned count) {
  constexpr T kMsb = sign_bit<T>();
  cpu.materialize_flags();
  uint32_t flags = cpu.stored_flags();
  bool carry = flags & flag::kCf;
  bool overflow = flags & flag::kOf;
  T r = value;
  for (unsigned i = 0; i < count; ++i) {
    const T before = r;
    switch (Op) {
      case ShiftOp::Rol:
        carry = r & kMsb;
        r = static_cast<T>((r << 1) | (carry ? 1 : 0));
        overflow = ((r & kMsb) != 0) != carry;
        break;
      case ShiftOp::Ror:
        carry = r & 1;
        r = static_cast<T>((r >> 1) | (carry ? kMsb : 0));
        overflow = ((r ^ (r << 1)) & kMsb) != 0;
        break;
      case ShiftOp::Rcl: {
        const bool out = r & kMsb;
        r = static_cast<T>((r << 1) | (carry ? 1 : 0));
        carry = out;
        overflow = ((r & kMsb) != 0) != carry;
        break;
      }
      case ShiftOp::Rcr: {
        const bool out = r & 1;
        overflow = ((r & kMsb) != 0) != carry;
        r = static_cast<T>((r >> 1) | (carry ? kMsb : 0));
        carry = out;
        break;
      }
      case ShiftOp::Shl:
        carry = r & kMsb;
        r = static_cast<T>(r << 1);
        overflow = ((r & kMsb) != 0) != carry;
        break;
      case ShiftOp::Shr:
        carry = r & 1;
        overflow = r & kMsb;
        r = static_cast<T>(r >> 1);
        break;
      case ShiftOp::Sar:
        carry = r & 1;
        overflow = false;
        r = static_cast<T>((r >> 1) | (r & kMsb));
        break;
      case ShiftOp::SetMo:  // 8086 D0-D3 /6: sets the operand to all ones
        carry = false;
        overflow = false;
        r = static_cast<T>(~T{0});
        break;
    }
    (void)before;
  }
  uint32_t bits = flags & flag::kArith;
  bits = (bits & ~(flag::kCf | flag::kOf)) | (carry ? flag::kCf : 0) | (overflow ? flag::kOf : 0);
  if (Op == ShiftOp::Shl || Op == ShiftOp::Shr || Op == ShiftOp::Sar || Op == ShiftOp::SetMo) {
    bits = (bits & (flag::kCf | flag::kOf)) | szp_bits(r);
  }
  cpu.set_arith_flags(bits);
  return r;
}

template <ShiftOp Op, bool Flags = true>
struct Shift {
  template <typename T, Kind F, Kind C>
  struct H {
    static void run(Cpu& cpu, const Insn& insn) {
      const unsigned count = C == Kind::Reg ? cpu.reg<uint8_t>(1) : insn.imm & 0xFF;
      if (cpu.model() != CpuModel::I8086 && (count & 31) == 0) {
        // No write at all (a count of zero leaves the operand and flags alone), but the
        // memory operand is still read: a fault on it is still raised.
        (void)read_first<T, F>(cpu, insn);
        return;
      }
      modify_first<T, F>(cpu, insn,
                         [&](T a) { return shift_compute<Op, T, Flags>(cpu, a, count); });
    }
  };
};

template <bool Left>
struct ShiftDouble {
  template <typename T, Kind F, Kind C>
  struct H {
    static void run(Cpu& cpu, const Insn& insn) {
      constexpr unsigned kBits = 8 * sizeof(T);
      const unsigned count = (C == Kind::Reg ? cpu.reg<uint8_t>(1) : insn.imm) & 31;
      if (count == 0) return;
      const T fill = cpu.reg<T>(insn.reg);
      modify_first<T, F>(cpu, insn, [&](T a) -> T {
        // Bits move in from the fill register; a count above the width (16-bit forms) gives an
        // undefined result on real CPUs; we shift through the doubled value as a P6 does.
        const uint64_t wide = Left ? (uint64_t{a} << kBits) | fill : (uint64_t{fill} << kBits) | a;
        T r;
        bool carry;
        if (Left) {
          const uint64_t shifted = wide << (count % (2 * kBits));
          r = static_cast<T>(shifted >> kBits);
          carry = (wide >> (2 * kBits - count)) & 1;
        } else {
          r = static_cast<T>(wide >> count);
          carry = (wide >> (count - 1)) & 1;
        }
        const bool overflow = ((r ^ a) & sign_bit<T>()) != 0;
        cpu.set_arith_flags(szp_bits(r) | (carry ? flag::kCf : 0) | (overflow ? flag::kOf : 0));
        return r;
      });
    }
  };
};

inline bool rep_negates(Cpu& cpu, const Insn& insn) {
  // The 8086's microcode uses the REP prefix latch as a sign flag in IMUL/IDIV: a REP prefix
  // negates the result.
  return cpu.model() == CpuModel::I8086 && (insn.prefixes & (prefix::kRep | prefix::kRepne));
}

[[noreturn]] inline void divide_error(Cpu& cpu) {
  // The 8086 pushes the address of the next instruction, later CPUs the faulting one.
  throw CpuFault{static_cast<uint8_t>(Vector::DivideError), false, 0,
                 cpu.model() == CpuModel::I8086};
}

template <MulDivOp Op>
struct MulDiv {
  template <typename T, Kind F, Kind>
  struct H {
    static void run(Cpu& cpu, const Insn& insn) {
      using W = Wider<T>;
      using S = Signed<T>;
      using SW = std::make_signed_t<W>;
      constexpr unsigned kBits = 8 * sizeof(T);
      const T src = read_first<T, F>(cpu, insn);
      // Accumulator: AL / AX / EAX, and the high half AH / DX / EDX.
      const T acc = cpu.reg<T>(kEax);
      const T high = sizeof(T) == 1 ? cpu.reg<uint8_t>(4) : cpu.reg<T>(kEdx);
      auto store = [&](T low_part, T high_part) {
        if constexpr (sizeof(T) == 1) {
          cpu.set_reg<uint16_t>(kEax, static_cast<uint16_t>(low_part | (high_part << 8)));
        } else {
          cpu.set_reg<T>(kEax, low_part);
          cpu.set_reg<T>(kEdx, high_part);
        }
      };
      if constexpr (Op == MulDivOp::Mul || Op == MulDivOp::Imul) {
        W product;
        bool overflow;
        if constexpr (Op == MulDivOp::Mul) {
          product = static_cast<W>(W{acc} * W{src});
          overflow = (product >> kBits) != 0;
        } else {
          SW p = static_cast<SW>(static_cast<SW>(static_cast<S>(acc)) *
                                 static_cast<SW>(static_cast<S>(src)));
          if (rep_negates(cpu, insn)) p = static_cast<SW>(W{0} - static_cast<W>(p));
          product = static_cast<W>(p);
          overflow = static_cast<SW>(static_cast<S>(static_cast<T>(product))) != p;
        }
        const T low_part = static_cast<T>(product);
        const T high_part = static_cast<T>(product >> kBits);
        store(low_part, high_part);
        // SF/ZF/PF are undefined; we report them from the high half, as the P6 does not
        // guarantee anything either.
        cpu.set_arith_flags(szp_bits(sizeof(T) == 1 ? low_part : high_part) |
                            (overflow ? flag::kCf | flag::kOf : 0));
      } else {
        const W dividend = (W{high} << kBits) | acc;
        if (src == 0) divide_error(cpu);
        if constexpr (Op == MulDivOp::Div) {
          const W q = dividend / src;
          if (q >> kBits) divide_error(cpu);
          store(static_cast<T>(q), static_cast<T>(dividend % src));
        } else {
          const SW n = static_cast<SW>(dividend);
          const SW d = static_cast<S>(src);
          if (n == std::numeric_limits<SW>::min() && d == -1) divide_error(cpu);
          SW q = n / d;
          const SW rem = n % d;
          const SW max_q = std::numeric_limits<S>::max();
          // The 8086 rejects the most negative quotient; later CPUs accept it.
          const SW min_q = cpu.model() == CpuModel::I8086 ? -max_q : -max_q - 1;
          if (q > max_q || q < min_q) divide_error(cpu);
          if (rep_negates(cpu, insn)) q = -q;
          store(static_cast<T>(q), static_cast<T>(rem));
        }
      }
    }
  };
};

template <typename T, Kind F, Kind S>
struct Imul2 {
  static void run(Cpu& cpu, const Insn& insn) {
    using SW = std::make_signed_t<Wider<T>>;
    const SW a = static_cast<Signed<T>>(cpu.reg<T>(insn.rm));
    const SW b = static_cast<Signed<T>>(read_second<T, S>(cpu, insn));
    const SW p = static_cast<SW>(static_cast<Wider<T>>(a) * static_cast<Wider<T>>(b));
    const T r = static_cast<T>(p);
    const bool overflow = static_cast<SW>(static_cast<Signed<T>>(r)) != p;
    cpu.set_reg<T>(insn.rm, r);
    cpu.set_lazy<T>(FlagOp::Mul, r, static_cast<T>(overflow), T{0});
  }
};

template <typename T, Kind F, Kind S>
struct Imul3 {
  static void run(Cpu& cpu, const Insn& insn) {
    using SW = std::make_signed_t<Wider<T>>;
    const SW a = static_cast<Signed<T>>(read_second<T, S>(cpu, insn));
    const SW b = static_cast<Signed<T>>(static_cast<T>(insn.imm));
    const SW p = static_cast<SW>(static_cast<Wider<T>>(a) * static_cast<Wider<T>>(b));
    const T r = static_cast<T>(p);
    const bool overflow = static_cast<SW>(static_cast<Signed<T>>(r)) != p;
    cpu.set_reg<T>(insn.rm, r);
    cpu.set_lazy<T>(FlagOp::Mul, r, static_cast<T>(overflow), T{0});
  }
};

template <BitOp Op>
struct BitTest {
  template <typename T, Kind F, Kind S>
  struct H {
    static void run(Cpu& cpu, const Insn& insn) {
      constexpr unsigned kBits = 8 * sizeof(T);
      const T offset_value = read_second<T, S>(cpu, insn);
      auto apply = [&](T value, unsigned bit) -> T {
        const T mask = static_cast<T>(T{1} << bit);
        cpu.materialize_flags();
        cpu.set_flag(flag::kCf, value & mask);
        switch (Op) {
          case BitOp::Bt:
            return value;
          case BitOp::Bts:
            return value | mask;
          case BitOp::Btr:
            return static_cast<T>(value & ~mask);
          case BitOp::Btc:
            return value ^ mask;
        }
        return value;
      };
      if constexpr (F == Kind::Mem) {
        uint32_t offset = cpu.effective_address(insn);
        unsigned bit;
        if constexpr (S == Kind::Reg) {
          // A register bit offset reaches beyond the operand: signed, in operand-size units.
          const auto signed_offset = static_cast<int32_t>(static_cast<Signed<T>>(offset_value));
          offset += static_cast<uint32_t>((signed_offset >> (sizeof(T) == 2 ? 4 : 5)) *
                                          static_cast<int32_t>(sizeof(T)));
          offset &= 0xFFFFFFFFu >> insn.ea_shift;
          bit = offset_value & (kBits - 1);
        } else {
          bit = offset_value & (kBits - 1);
        }
        const T value = cpu.read_mem<T>(insn.seg, offset);
        const T r = apply(value, bit);
        if constexpr (Op != BitOp::Bt) cpu.write_mem<T>(insn.seg, offset, r);
      } else {
        const T r = apply(cpu.reg<T>(insn.rm), offset_value & (kBits - 1));
        if constexpr (Op != BitOp::Bt) cpu.set_reg<T>(insn.rm, r);
      }
    }
  };
};

template <bool Reverse>
struct BitScan {
  template <typename T, Kind F, Kind S>
  struct H {
    static void run(Cpu& cpu, const Insn& insn) {
      const T value = read_second<T, S>(cpu, insn);
      cpu.materialize_flags();
      if (value == 0) {
        cpu.set_flag(flag::kZf, true);
        return;  // destination unchanged
      }
      cpu.set_flag(flag::kZf, false);
      const unsigned index =
          Reverse ? 8 * sizeof(T) - 1 - std::countl_zero(value) : std::countr_zero(value);
      cpu.set_reg<T>(insn.rm, static_cast<T>(index));
    }
  };
};

template <typename T, Kind F, Kind>
struct Xadd {
  static void run(Cpu& cpu, const Insn& insn) {
    const T src = cpu.reg<T>(insn.reg);
    if constexpr (F == Kind::Mem) {
      T old_dest{};
      modify_first<T, F>(cpu, insn, [&](T a) {
        old_dest = a;
        return alu_compute<AluOp::Add, T>(cpu, a, src);
      });
      cpu.set_reg<T>(insn.reg, old_dest);
    } else {
      // SRC <- DEST, then DEST <- sum: with one register as both, the sum is what remains.
      const T dest = cpu.reg<T>(insn.rm);
      const T sum = alu_compute<AluOp::Add, T>(cpu, dest, src);
      cpu.set_reg<T>(insn.reg, dest);
      cpu.set_reg<T>(insn.rm, sum);
    }
  }
};

template <typename T, Kind F, Kind>
struct Cmpxchg {
  static void run(Cpu& cpu, const Insn& insn) {
    const T acc = cpu.reg<T>(kEax);
    if constexpr (F == Kind::Mem) {
      const uint32_t offset = cpu.effective_address(insn);
      const T dest = cpu.read_mem<T>(insn.seg, offset);
      alu_compute<AluOp::Cmp, T>(cpu, acc, dest);
      // The processor always writes the destination (the old value when the compare fails).
      if (acc == dest) {
        cpu.write_mem<T>(insn.seg, offset, cpu.reg<T>(insn.reg));
      } else {
        cpu.write_mem<T>(insn.seg, offset, dest);
        cpu.set_reg<T>(kEax, dest);
      }
    } else {
      const T dest = cpu.reg<T>(insn.rm);
      alu_compute<AluOp::Cmp, T>(cpu, acc, dest);
      if (acc == dest) {
        cpu.set_reg<T>(insn.rm, cpu.reg<T>(insn.reg));
      } else {
        cpu.set_reg<T>(kEax, dest);
      }
    }
  }
};

void cmpxchg8b(Cpu& cpu, const Insn& insn) {
  const uint32_t offset = cpu.effective_address(insn);
  cpu.check_alignment(insn.seg, offset, 8);
  const uint32_t low = cpu.read_mem<uint32_t>(insn.seg, offset);
  const uint32_t high = cpu.read_mem<uint32_t>(insn.seg, offset + 4);
  cpu.materialize_flags();
  if (low == cpu.gpr(kEax) && high == cpu.gpr(kEdx)) {
    cpu.write_mem<uint32_t>(insn.seg, offset, cpu.gpr(kEbx));
    cpu.write_mem<uint32_t>(insn.seg, offset + 4, cpu.gpr(kEcx));
    cpu.set_flag(flag::kZf, true);
  } else {
    cpu.write_mem<uint32_t>(insn.seg, offset, low);
    cpu.write_mem<uint32_t>(insn.seg, offset + 4, high);
    cpu.gpr(kEax) = low;
    cpu.gpr(kEdx) = high;
    cpu.set_flag(flag::kZf, false);
  }
}

template <AluOp Op>
Handler alu_for(unsigned size, Kind first, Kind second) {
  return select_handler<Alu<Op>::template H>(size, first, second);
}

template <ShiftOp Op>
Handler shift_for(unsigned size, Kind first, Kind count) {
  return select_handler<Shift<Op>::template H>(size, first, count);
}

using TwinMap = std::unordered_map<Handler, Handler>;

// Pairs each register-destination instance of a family with its flagless twin.
template <template <typename, Kind, Kind> class Full, template <typename, Kind, Kind> class Bare>
void pair_twins(TwinMap& twins, Kind second) {
  for (const unsigned size : {1u, 2u, 4u}) {
    twins[select_handler<Full>(size, Kind::Reg, second)] =
        select_handler<Bare>(size, Kind::Reg, second);
  }
}

template <AluOp Op>
void pair_alu(TwinMap& twins) {
  pair_twins<Alu<Op>::template H, Alu<Op, false>::template H>(twins, Kind::Reg);
  pair_twins<Alu<Op>::template H, Alu<Op, false>::template H>(twins, Kind::Imm);
}

template <ShiftOp Op>
void pair_shift(TwinMap& twins) {
  pair_twins<Shift<Op>::template H, Shift<Op, false>::template H>(twins, Kind::Imm);
}

template <UnaryOp Op>
void pair_unary(TwinMap& twins) {
  pair_twins<Unary<Op>::template H, Unary<Op, false>::template H>(twins, Kind::None);
}

template <AluOp Op>
void add_alu_forms(HandlerTwins& twins) {
  add_address_forms<Alu<Op>::template H, AluFast<Op>::template H, Kind::Mem, Kind::Reg>(twins);
  add_address_forms<Alu<Op>::template H, AluFast<Op>::template H, Kind::Mem, Kind::Imm>(twins);
  add_address_forms<Alu<Op>::template H, AluFast<Op>::template H, Kind::Reg, Kind::Mem>(twins);
}

template <UnaryOp Op>
void add_unary_forms(HandlerTwins& twins) {
  add_address_forms<Unary<Op>::template H, UnaryFast<Op>::template H, Kind::Mem, Kind::None>(twins);
}

template <void (*Producer)(Cpu&, const Insn&), unsigned... Cc>
void add_fusions(FusedPairs& pairs, std::integer_sequence<unsigned, Cc...>) {
  ((pairs[{&threaded<Producer>, select_jcc(4, Cc)}] = &fused_jcc<Producer, Cc>), ...);
  ((pairs[{&threaded<Producer>, side_exit_twins(select_jcc(4, Cc)).fast}] =
        &fused_jcc_side_exit<Producer, Cc>),
   ...);
}

template <AluOp Op>
void add_alu_fusions(FusedPairs& pairs) {
  using Codes = std::make_integer_sequence<unsigned, 16>;
  add_fusions<&Alu<Op>::template H<uint32_t, Kind::Reg, Kind::Reg>::run>(pairs, Codes{});
  add_fusions<&Alu<Op>::template H<uint32_t, Kind::Reg, Kind::Imm>::run>(pairs, Codes{});
}

// The register forms that can take the lean twin (exec_common.hpp): with and without flags.
template <AluOp Op>
void add_alu_lean(HandlerTwins& twins) {
  add_lean_register_forms<Alu<Op>::template H, Kind::Reg, uint8_t, uint16_t, uint32_t>(twins);
  add_lean_register_forms<Alu<Op>::template H, Kind::Imm, uint8_t, uint16_t, uint32_t>(twins);
  add_lean_register_forms<Alu<Op, false>::template H, Kind::Reg, uint8_t, uint16_t, uint32_t>(
      twins);
  add_lean_register_forms<Alu<Op, false>::template H, Kind::Imm, uint8_t, uint16_t, uint32_t>(
      twins);
}

template <UnaryOp Op>
void add_unary_lean(HandlerTwins& twins) {
  add_lean_register_forms<Unary<Op>::template H, Kind::None, uint8_t, uint16_t, uint32_t>(twins);
  add_lean_register_forms<Unary<Op, false>::template H, Kind::None, uint8_t, uint16_t, uint32_t>(
      twins);
}

template <ShiftOp Op>
void add_shift_lean(HandlerTwins& twins) {
  add_lean_register_forms<Shift<Op>::template H, Kind::Imm, uint8_t, uint16_t, uint32_t>(twins);
  add_lean_register_forms<Shift<Op, false>::template H, Kind::Imm, uint8_t, uint16_t, uint32_t>(
      twins);
}

}  // namespace

void add_alu_twins(HandlerTwins& twins) {
  add_alu_forms<AluOp::Add>(twins);
  add_alu_forms<AluOp::Or>(twins);
  add_alu_forms<AluOp::Adc>(twins);
  add_alu_forms<AluOp::Sbb>(twins);
  add_alu_forms<AluOp::And>(twins);
  add_alu_forms<AluOp::Sub>(twins);
  add_alu_forms<AluOp::Xor>(twins);
  add_alu_forms<AluOp::Cmp>(twins);
  add_alu_forms<AluOp::Test>(twins);
  add_unary_forms<UnaryOp::Inc>(twins);
  add_unary_forms<UnaryOp::Dec>(twins);
  add_unary_forms<UnaryOp::Not>(twins);
  add_unary_forms<UnaryOp::Neg>(twins);
  add_alu_lean<AluOp::Add>(twins);
  add_alu_lean<AluOp::Or>(twins);
  add_alu_lean<AluOp::Adc>(twins);
  add_alu_lean<AluOp::Sbb>(twins);
  add_alu_lean<AluOp::And>(twins);
  add_alu_lean<AluOp::Sub>(twins);
  add_alu_lean<AluOp::Xor>(twins);
  add_alu_lean<AluOp::Cmp>(twins);
  add_alu_lean<AluOp::Test>(twins);
  add_unary_lean<UnaryOp::Inc>(twins);
  add_unary_lean<UnaryOp::Dec>(twins);
  add_unary_lean<UnaryOp::Neg>(twins);
  add_lean_register_forms<Unary<UnaryOp::Not>::H, Kind::None, uint8_t, uint16_t, uint32_t>(twins);
  add_shift_lean<ShiftOp::Rol>(twins);
  add_shift_lean<ShiftOp::Ror>(twins);
  add_shift_lean<ShiftOp::Shl>(twins);
  add_shift_lean<ShiftOp::Shr>(twins);
  add_shift_lean<ShiftOp::Sar>(twins);
  add_lean_register_forms<Imul2, Kind::Reg, uint16_t, uint32_t>(twins);
  add_lean_register_forms<Imul3, Kind::Reg, uint16_t, uint32_t>(twins);
}

namespace {
const FusedPairs& fused_pairs() {
  static const FusedPairs pairs = [] {
    FusedPairs p;
    using Codes = std::make_integer_sequence<unsigned, 16>;
    add_fusions<&Unary<UnaryOp::Dec>::H<uint32_t, Kind::Reg, Kind::None>::run>(p, Codes{});
    add_fusions<&Unary<UnaryOp::Inc>::H<uint32_t, Kind::Reg, Kind::None>::run>(p, Codes{});
    add_alu_fusions<AluOp::Cmp>(p);
    add_alu_fusions<AluOp::Test>(p);
    add_alu_fusions<AluOp::Sub>(p);
    add_alu_fusions<AluOp::Add>(p);
    add_alu_fusions<AluOp::And>(p);
    return p;
  }();
  return pairs;
}
}  // namespace

Handler fused_with_jcc(Handler first, Handler jcc) {
  const FusedPairs& pairs = fused_pairs();
  const auto it = pairs.find({first, jcc});
  return it == pairs.end() ? nullptr : it->second;
}

std::vector<Handler> fused_jcc_handlers() {
  std::vector<Handler> all;
  for (const auto& [pair, fused] : fused_pairs()) all.push_back(fused);
  return all;
}

Handler flagless_twin(Handler full) {
  static const TwinMap twins = [] {
    TwinMap t;
    pair_alu<AluOp::Add>(t);
    pair_alu<AluOp::Or>(t);
    pair_alu<AluOp::Adc>(t);
    pair_alu<AluOp::Sbb>(t);
    pair_alu<AluOp::And>(t);
    pair_alu<AluOp::Sub>(t);
    pair_alu<AluOp::Xor>(t);
    pair_alu<AluOp::Cmp>(t);
    pair_alu<AluOp::Test>(t);
    pair_unary<UnaryOp::Inc>(t);
    pair_unary<UnaryOp::Dec>(t);
    pair_unary<UnaryOp::Neg>(t);
    pair_shift<ShiftOp::Rol>(t);
    pair_shift<ShiftOp::Ror>(t);
    pair_shift<ShiftOp::Shl>(t);
    pair_shift<ShiftOp::Shr>(t);
    pair_shift<ShiftOp::Sar>(t);
    return t;
  }();
  const auto it = twins.find(full);
  return it == twins.end() ? nullptr : it->second;
}

Handler select_alu(AluOp op, unsigned size, Kind first, Kind second) {
  switch (op) {
    case AluOp::Add:
      return alu_for<AluOp::Add>(size, first, second);
    case AluOp::Or:
      return alu_for<AluOp::Or>(size, first, second);
    case AluOp::Adc:
      return alu_for<AluOp::Adc>(size, first, second);
    case AluOp::Sbb:
      return alu_for<AluOp::Sbb>(size, first, second);
    case AluOp::And:
      return alu_for<AluOp::And>(size, first, second);
    case AluOp::Sub:
      return alu_for<AluOp::Sub>(size, first, second);
    case AluOp::Xor:
      return alu_for<AluOp::Xor>(size, first, second);
    case AluOp::Cmp:
      return alu_for<AluOp::Cmp>(size, first, second);
    case AluOp::Test:
      return alu_for<AluOp::Test>(size, first, second);
  }
  return nullptr;
}

Handler select_unary(UnaryOp op, unsigned size, Kind first) {
  switch (op) {
    case UnaryOp::Inc:
      return select_handler<Unary<UnaryOp::Inc>::H>(size, first, Kind::None);
    case UnaryOp::Dec:
      return select_handler<Unary<UnaryOp::Dec>::H>(size, first, Kind::None);
    case UnaryOp::Not:
      return select_handler<Unary<UnaryOp::Not>::H>(size, first, Kind::None);
    case UnaryOp::Neg:
      return select_handler<Unary<UnaryOp::Neg>::H>(size, first, Kind::None);
  }
  return nullptr;
}

Handler select_shift(ShiftOp op, unsigned size, Kind first, Kind count) {
  switch (op) {
    case ShiftOp::Rol:
      return shift_for<ShiftOp::Rol>(size, first, count);
    case ShiftOp::Ror:
      return shift_for<ShiftOp::Ror>(size, first, count);
    case ShiftOp::Rcl:
      return shift_for<ShiftOp::Rcl>(size, first, count);
    case ShiftOp::Rcr:
      return shift_for<ShiftOp::Rcr>(size, first, count);
    case ShiftOp::Shl:
      return shift_for<ShiftOp::Shl>(size, first, count);
    case ShiftOp::Shr:
      return shift_for<ShiftOp::Shr>(size, first, count);
    case ShiftOp::SetMo:
      return shift_for<ShiftOp::SetMo>(size, first, count);
    case ShiftOp::Sar:
      return shift_for<ShiftOp::Sar>(size, first, count);
  }
  return nullptr;
}

Handler select_shift_double(bool left, unsigned size, Kind first, Kind count) {
  return left ? select_handler_wide<ShiftDouble<true>::H>(size, first, count)
              : select_handler_wide<ShiftDouble<false>::H>(size, first, count);
}

Handler select_muldiv(MulDivOp op, unsigned size, Kind source) {
  switch (op) {
    case MulDivOp::Mul:
      return select_handler<MulDiv<MulDivOp::Mul>::H>(size, source, Kind::None);
    case MulDivOp::Imul:
      return select_handler<MulDiv<MulDivOp::Imul>::H>(size, source, Kind::None);
    case MulDivOp::Div:
      return select_handler<MulDiv<MulDivOp::Div>::H>(size, source, Kind::None);
    case MulDivOp::Idiv:
      return select_handler<MulDiv<MulDivOp::Idiv>::H>(size, source, Kind::None);
  }
  return nullptr;
}

Handler select_imul2(unsigned size, Kind source) {
  return select_handler_wide<Imul2>(size, Kind::Reg, source);
}
Handler select_imul3(unsigned size, Kind source) {
  return select_handler_wide<Imul3>(size, Kind::Reg, source);
}

Handler select_bit_test(BitOp op, unsigned size, Kind first, Kind second) {
  switch (op) {
    case BitOp::Bt:
      return select_handler_wide<BitTest<BitOp::Bt>::H>(size, first, second);
    case BitOp::Bts:
      return select_handler_wide<BitTest<BitOp::Bts>::H>(size, first, second);
    case BitOp::Btr:
      return select_handler_wide<BitTest<BitOp::Btr>::H>(size, first, second);
    case BitOp::Btc:
      return select_handler_wide<BitTest<BitOp::Btc>::H>(size, first, second);
  }
  return nullptr;
}

Handler select_bit_scan(bool reverse, unsigned size, Kind source) {
  return reverse ? select_handler_wide<BitScan<true>::H>(size, Kind::Reg, source)
                 : select_handler_wide<BitScan<false>::H>(size, Kind::Reg, source);
}

Handler select_xadd(unsigned size, Kind first) {
  return select_handler<Xadd>(size, first, Kind::Reg);
}
Handler select_cmpxchg(unsigned size, Kind first) {
  return select_handler<Cmpxchg>(size, first, Kind::Reg);
}
const Handler kCmpxchg8b = &cmpxchg8b;

}  // namespace x86lab::cpu
