// Software 80-bit extended-precision arithmetic for the x87: integer arithmetic only, so every
// host gives the same bits. Rounding follows the control word (precision 24/53/64 bits and the
// four rounding modes); exceptions are returned as flags with the masked responses the Intel SDM
// gives (volume 1, chapters 4 and 8). Unmasked responses that still produce a result (overflow
// and underflow to a register: the exponent biased by 24576) are produced here as well; whether
// a result is stored at all when an unmasked exception is raised is the caller's decision.
#pragma once

#include <cstdint>

#include "cpu/x87.hpp"

namespace x86lab::cpu::f80 {

__extension__ typedef unsigned __int128 U128;

// Exception flags, in the bit positions of the status and control words.
inline constexpr uint8_t kInvalid = 0x01;
inline constexpr uint8_t kDenormal = 0x02;
inline constexpr uint8_t kZeroDivide = 0x04;
inline constexpr uint8_t kOverflow = 0x08;
inline constexpr uint8_t kUnderflow = 0x10;
inline constexpr uint8_t kPrecision = 0x20;

enum class Rounding : uint8_t { Nearest, Down, Up, Zero };

// The rounding environment of one operation and what it raised.
struct Env {
  Rounding rounding = Rounding::Nearest;
  uint8_t precision = 64;   // significand bits: 24, 53 or 64
  uint8_t masks = 0x3F;     // control word bits 0..5
  uint8_t flags = 0;        // raised exceptions
  bool rounded_up = false;  // the last rounding increased the magnitude (C1)

  static Env from_control(uint16_t control) {
    Env env;
    env.rounding = static_cast<Rounding>((control >> 10) & 3);
    const unsigned pc = (control >> 8) & 3;
    env.precision = pc == 0 ? 24 : (pc == 2 ? 53 : 64);
    env.masks = static_cast<uint8_t>(control & 0x3F);
    return env;
  }
  void raise(uint8_t e) { flags |= e; }
  // An unmasked invalid, denormal or zero-divide exception: the operation has no result.
  bool stopped() const { return (flags & ~masks & (kInvalid | kDenormal | kZeroDivide)) != 0; }
};

enum class Class : uint8_t { Zero, Denormal, Normal, Infinity, QNaN, SNaN, Unsupported };

constexpr Float80 make(bool sign, uint16_t exponent, uint64_t significand) {
  return Float80{significand, static_cast<uint16_t>((sign ? 0x8000 : 0) | exponent)};
}
constexpr bool sign_of(Float80 x) { return x.sign_exponent & 0x8000; }
constexpr uint16_t exponent_of(Float80 x) { return x.sign_exponent & 0x7FFF; }

inline constexpr Float80 kIndefinite = make(true, 0x7FFF, 0xC000000000000000);
inline constexpr Float80 kPositiveZero = make(false, 0, 0);
inline constexpr Float80 kOne = make(false, 0x3FFF, 0x8000000000000000);

Class classify(Float80 x);
inline bool is_nan(Float80 x) {
  const Class c = classify(x);
  return c == Class::QNaN || c == Class::SNaN;
}
Float80 negate(Float80 x);
Float80 absolute(Float80 x);

// Arithmetic under the precision and rounding of env.
Float80 add(Float80 a, Float80 b, Env& env);
Float80 sub(Float80 a, Float80 b, Env& env);
Float80 mul(Float80 a, Float80 b, Env& env);
Float80 div(Float80 a, Float80 b, Env& env);
Float80 sqrt(Float80 a, Env& env);

// FRNDINT: to an integer by the rounding mode (not affected by precision control).
Float80 round_to_integer(Float80 a, Env& env);
// FSCALE: a * 2^trunc(b).
Float80 scale(Float80 a, Float80 b, Env& env);

enum class Order : uint8_t { Less, Equal, Greater, Unordered };
// quiet: only signalling NaNs raise invalid (FUCOM); otherwise any NaN does (FCOM).
Order compare(Float80 a, Float80 b, Env& env, bool quiet);

// Conversions. Integer loads are exact; stores raise invalid (and give the integer indefinite
// 0x80..0) for NaNs, infinities and values out of range.
Float80 from_int(int64_t v);
int64_t to_int(Float80 a, unsigned bits, Env& env);
// keep_signaling: an SNaN stays signalling (no IE here), for an arithmetic operand whose
// operation picks between two NaNs and raises IE itself.
Float80 from_f32(uint32_t v, Env& env, bool keep_signaling = false);
Float80 from_f64(uint64_t v, Env& env, bool keep_signaling = false);
uint32_t to_f32(Float80 a, Env& env);
uint64_t to_f64(Float80 a, Env& env);
// Packed BCD: 18 digits in bytes 0..8 (least significant first), sign in bit 7 of byte 9.
Float80 from_bcd(const uint8_t (&bcd)[10]);
void to_bcd(Float80 a, Env& env, uint8_t (&bcd)[10]);

// ---- Pieces shared with the transcendental functions ----------------------------------------

// A finite nonzero value as sig * 2^(exp - 63) with the significand normalised (bit 63 set).
struct Unpacked {
  bool sign;
  int32_t exp;
  uint64_t sig;
};
Unpacked unpack(Float80 x);

// Rounds sign * sig * 2^(exp - 127) (sig nonzero; sticky bits ORed into bit 0) to `bits` bits
// within the extended exponent range, with the register responses to overflow and underflow.
Float80 round_pack(bool sign, int32_t exp, U128 sig, unsigned bits, Env& env);

// The NaN result of an operation with NaN operands (either may be a non-NaN), raising invalid
// for a signalling NaN.
Float80 propagate_nan(Float80 a, Float80 b, Env& env);
Float80 quiet(Float80 x);
// Invalid operation: raises IE and returns the real indefinite.
Float80 invalid(Env& env);

}  // namespace x86lab::cpu::f80
