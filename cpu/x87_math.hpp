// The x87 operations beyond the basic arithmetic: the constants of FLD1..FLDZ, the partial
// remainders of FPREM/FPREM1, FXTRACT, and the transcendental functions. Integer arithmetic
// only (a 128-bit significand internally), so every host gives the same bits.
#pragma once

#include <cstdint>

#include "cpu/x87_float80.hpp"

namespace x86lab::cpu::f80 {

enum class Constant : uint8_t { One, L2T, L2E, Pi, Lg2, Ln2, Zero };
// The constant as FLD1/FLDL2T/FLDL2E/FLDPI/FLDLG2/FLDLN2/FLDZ load it: a 66-bit internal value
// rounded to 64 bits by the rounding mode (precision control does not apply).
Float80 constant(Constant c, Rounding rounding);

struct Remainder {
  Float80 value;
  unsigned quotient = 0;  // the three low bits of the quotient (Q2 Q1 Q0)
  bool partial = false;   // C2: the reduction is incomplete
};
// FPREM (nearest = false: the quotient truncated) and FPREM1 (the quotient rounded to nearest).
Remainder remainder(Float80 a, Float80 b, bool nearest, Env& env);

struct Extracted {
  Float80 exponent;
  Float80 significand;
};
Extracted extract(Float80 a, Env& env);

// F2XM1: 2^x - 1 for -1 <= x <= 1 (other finite operands give an undefined result on real CPUs;
// here the formula is applied anyway).
Float80 f2xm1(Float80 x, Env& env);
// FYL2X: y * log2(x).
Float80 yl2x(Float80 x, Float80 y, Env& env);
// FYL2XP1: y * log2(x + 1).
Float80 yl2xp1(Float80 x, Float80 y, Env& env);
// FPATAN: the angle of the point (x, y), atan(y / x) placed in the quadrant of the signs.
Float80 atan2(Float80 y, Float80 x, Env& env);
// FSIN, FCOS, FSINCOS and FPTAN. They return false, with nothing computed, when |x| >= 2^63
// (the instruction then sets C2 and leaves the operand unchanged). Either pointer may be null.
bool sin_cos(Float80 x, Float80* sin, Float80* cos, Env& env);
bool tan(Float80 x, Float80& result, Env& env);

}  // namespace x86lab::cpu::f80
