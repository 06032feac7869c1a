// Arithmetic flags computed on demand. An ALU handler records its operation, operands and
// result (three stores); CF/PF/AF/ZF/SF/OF are derived only when an instruction reads them.
// Operations whose flags are rare or irregular (shifts, MUL, BCD) set them eagerly. IMUL's
// two- and three-operand forms, hot in multi-precision and hash code, record Mul: SF/ZF/PF from
// the result, CF = OF = the product did not fit (kept in src1), AF 0 as before. SHL/SHR/SAR by
// a count below the width record Shift: SZP from the result, CF in src1 bit 0 and OF in bit 1
// (bits, so that they fit a byte operand's src1), AF 0 as before.
#pragma once

#include <bit>
#include <cstdint>

#include "cpu/registers.hpp"

namespace x86lab::cpu {

enum class FlagOp : uint8_t { None, Add, Adc, Sub, Sbb, Logic, Inc, Dec, Mul, Shift };

struct LazyFlags {
  uint32_t result = 0;   // masked to the operand size
  uint32_t src1 = 0;     // masked to the operand size
  uint32_t src2 = 0;     // masked to the operand size
  uint32_t mask = 0xFF;  // 0xFF, 0xFFFF or 0xFFFFFFFF
  FlagOp op = FlagOp::None;
  bool carry_in = false;  // ADC/SBB carry-in

  uint32_t sign() const { return mask ^ (mask >> 1); }

  // eflags supplies the flags when op is None, and CF for INC/DEC.
  // Always inlined: INC/DEC call it in their hot path, and a call costs more than the switch.
  [[gnu::always_inline]] bool cf(uint32_t eflags) const {
    switch (op) {
      case FlagOp::Add:
        return result < src1;
      case FlagOp::Adc:
        return carry_in ? result <= src1 : result < src1;
      case FlagOp::Sub:
        return src1 < src2;
      case FlagOp::Sbb:
        return carry_in ? src1 <= src2 : src1 < src2;
      case FlagOp::Logic:
        return false;
      case FlagOp::Mul:
        return src1 != 0;
      case FlagOp::Shift:
        return src1 & 1;
      default:
        return eflags & flag::kCf;
    }
  }
  bool zf(uint32_t eflags) const { return op == FlagOp::None ? eflags & flag::kZf : result == 0; }
  bool sf(uint32_t eflags) const {
    return op == FlagOp::None ? eflags & flag::kSf : (result & sign()) != 0;
  }
  bool pf(uint32_t eflags) const {
    return op == FlagOp::None ? eflags & flag::kPf : !(std::popcount(result & 0xFFu) & 1);
  }
  bool af(uint32_t eflags) const {
    switch (op) {
      case FlagOp::None:
        return eflags & flag::kAf;
      case FlagOp::Logic:
      case FlagOp::Mul:
      case FlagOp::Shift:
        return false;
      default:
        return ((src1 ^ src2 ^ result) & 0x10) != 0;
    }
  }
  bool of(uint32_t eflags) const {
    switch (op) {
      case FlagOp::Add:
      case FlagOp::Adc:
      case FlagOp::Inc:
        return ((src1 ^ result) & (src2 ^ result) & sign()) != 0;
      case FlagOp::Sub:
      case FlagOp::Sbb:
      case FlagOp::Dec:
        return ((src1 ^ src2) & (src1 ^ result) & sign()) != 0;
      case FlagOp::Logic:
        return false;
      case FlagOp::Mul:
        return src1 != 0;
      case FlagOp::Shift:
        return (src1 >> 1) & 1;
      default:
        return eflags & flag::kOf;
    }
  }

  // All six at once, with one switch on the operation: PUSHF, interrupts and the rotates
  // (which keep SF/ZF/AF/PF) fold the lazy state this way.
  uint32_t arith_bits(uint32_t eflags) const {
    if (op == FlagOp::None) return eflags & flag::kArith;
    const uint32_t s = sign();
    uint32_t bits = (result == 0 ? flag::kZf : 0) | ((result & s) ? flag::kSf : 0) |
                    ((std::popcount(result & 0xFFu) & 1) ? 0 : flag::kPf);
    if (op == FlagOp::Logic) return bits;
    if (op == FlagOp::Mul) return bits | (src1 != 0 ? flag::kCf | flag::kOf : 0);
    if (op == FlagOp::Shift) {
      return bits | ((src1 & 1) ? flag::kCf : 0) | ((src1 & 2) ? flag::kOf : 0);
    }
    bool carry;
    bool overflow;
    switch (op) {
      case FlagOp::Add:
      case FlagOp::Adc:
        carry = op == FlagOp::Adc && carry_in ? result <= src1 : result < src1;
        overflow = ((src1 ^ result) & (src2 ^ result) & s) != 0;
        break;
      case FlagOp::Sub:
      case FlagOp::Sbb:
        carry = op == FlagOp::Sbb && carry_in ? src1 <= src2 : src1 < src2;
        overflow = ((src1 ^ src2) & (src1 ^ result) & s) != 0;
        break;
      case FlagOp::Inc:
        carry = eflags & flag::kCf;
        overflow = ((src1 ^ result) & (src2 ^ result) & s) != 0;
        break;
      default:  // Dec
        carry = eflags & flag::kCf;
        overflow = ((src1 ^ src2) & (src1 ^ result) & s) != 0;
        break;
    }
    return bits | (carry ? flag::kCf : 0) | (overflow ? flag::kOf : 0) |
           ((src1 ^ src2 ^ result) & flag::kAf);
  }

  // Condition codes in the order of the Jcc/SETcc/CMOVcc opcode's low nibble.
  // The same with the condition fixed at compile time, for handlers specialised per code;
  // ZF and SF tests then cost a compare of the stored result.
  template <unsigned Cc>
  [[gnu::always_inline]] bool condition(uint32_t eflags) const {
    return evaluate(Cc, eflags);
  }

  bool condition(unsigned cc, uint32_t eflags) const { return evaluate(cc, eflags); }

  // Always inlined: with a constant code the switch folds away.
  [[gnu::always_inline]] bool evaluate(unsigned cc, uint32_t eflags) const {
    bool value;
    switch (cc >> 1) {
      case 0:
        value = of(eflags);
        break;
      case 1:
        value = cf(eflags);
        break;
      case 2:
        value = zf(eflags);
        break;
      case 3:
        value = cf(eflags) || zf(eflags);
        break;
      case 4:
        value = sf(eflags);
        break;
      case 5:
        value = pf(eflags);
        break;
      case 6:
        value = sf(eflags) != of(eflags);
        break;
      default:
        value = zf(eflags) || (sf(eflags) != of(eflags));
        break;
    }
    return value != (cc & 1);
  }
};

}  // namespace x86lab::cpu
