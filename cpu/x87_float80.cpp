// The software extended-precision core: classification, rounding, the five basic operations,
// compare and the conversions. Values are unpacked to an integer significand and an unbiased
// exponent, computed exactly (or with a sticky bit) in 128 bits, and rounded once.
#include "cpu/x87_float80.hpp"

#include <bit>
#include <utility>

namespace x86lab::cpu::f80 {
namespace {

constexpr int32_t kBias = 16383;
constexpr uint64_t kIntegerBit = 0x8000000000000000;
constexpr uint64_t kQuietBit = 0x4000000000000000;

int leading_zeros(U128 v) {
  const uint64_t hi = static_cast<uint64_t>(v >> 64);
  if (hi) return std::countl_zero(hi);
  return 64 + std::countl_zero(static_cast<uint64_t>(v));
}

// Shifts right, ORing every bit shifted out into bit 0.
U128 shift_right_jam(U128 v, int32_t n) {
  if (n <= 0) return v;
  if (n >= 128) return v != 0 ? 1 : 0;
  const U128 lost = v & ((U128{1} << n) - 1);
  return (v >> n) | (lost != 0 ? 1 : 0);
}

struct RoundedBits {
  U128 value;  // low `drop` bits clear
  bool carry;  // rounding overflowed 2^128: value is 2^127 and the exponent grows by one
  bool inexact;
  bool up;
};

RoundedBits round_bits(U128 sig, unsigned drop, bool sign, Rounding rounding) {
  const U128 unit = U128{1} << drop;
  const U128 rest = sig & (unit - 1);
  U128 base = sig & ~(unit - 1);
  if (rest == 0) return {base, false, false, false};
  bool increment = false;
  switch (rounding) {
    case Rounding::Nearest: {
      const U128 half = unit >> 1;
      increment = rest > half || (rest == half && (base & unit));
      break;
    }
    case Rounding::Down:
      increment = sign;
      break;
    case Rounding::Up:
      increment = !sign;
      break;
    case Rounding::Zero:
      break;
  }
  if (!increment) return {base, false, true, false};
  base += unit;
  if (base == 0) return {U128{1} << 127, true, true, true};
  return {base, false, true, true};
}

// The result of rounding into a format: value = sig * 2^(exp - 63); sig has bit 63 set for a
// normal value, is clear with exp == emin for a denormal, and 0 for zero.
struct Rounded {
  bool sign = false;
  int32_t exp = 0;
  uint64_t sig = 0;
  bool infinity = false;
  bool stored = true;  // false: an unmasked overflow/underflow to memory stores nothing
};

struct Format {
  unsigned bits;
  int32_t emin;
  int32_t emax;
};

constexpr Format kSingle{24, -126, 127};
constexpr Format kDouble{53, -1022, 1023};

// Rounds sign * sig * 2^(exp - 127) to the format. register_dest selects the x87 register
// responses to unmasked overflow/underflow (a result with the exponent biased by 24576).
Rounded round_into(bool sign, int32_t exp, U128 sig, const Format& f, Env& env,
                   bool register_dest) {
  Rounded out;
  out.sign = sign;
  if (sig == 0) return out;
  const int lz = leading_zeros(sig);
  sig <<= lz;
  exp -= lz;
  const unsigned drop = 128 - f.bits;
  const RoundedBits r = round_bits(sig, drop, sign, env.rounding);
  const int32_t e = exp + (r.carry ? 1 : 0);
  const auto high = [](U128 v) { return static_cast<uint64_t>(v >> 64); };
  if (e > f.emax) {
    env.raise(kOverflow);
    if (!(env.masks & kOverflow)) {
      if (r.inexact) env.raise(kPrecision);
      env.rounded_up = r.up;
      out.stored = register_dest;
      out.exp = e - 24576;
      out.sig = high(r.value);
      return out;
    }
    env.raise(kPrecision);
    const bool to_infinity = env.rounding == Rounding::Nearest ||
                             (env.rounding == Rounding::Up && !sign) ||
                             (env.rounding == Rounding::Down && sign);
    env.rounded_up = to_infinity;
    if (to_infinity) {
      out.infinity = true;
    } else {
      out.exp = f.emax;
      out.sig = ~uint64_t{0} << (64 - f.bits);
    }
    return out;
  }
  if (e < f.emin) {
    // Tiny after rounding with an unbounded exponent.
    if (!(env.masks & kUnderflow)) {
      env.raise(kUnderflow);
      if (r.inexact) env.raise(kPrecision);
      env.rounded_up = r.up;
      out.stored = register_dest;
      out.exp = e + 24576;
      out.sig = high(r.value);
      return out;
    }
    const RoundedBits d = round_bits(shift_right_jam(sig, f.emin - exp), drop, sign, env.rounding);
    if (d.inexact) env.raise(kUnderflow | kPrecision);
    env.rounded_up = d.up;
    out.exp = f.emin;
    out.sig = high(d.value);
    return out;
  }
  if (r.inexact) env.raise(kPrecision);
  env.rounded_up = r.up;
  out.exp = e;
  out.sig = high(r.value);
  return out;
}

Float80 pack80(const Rounded& r) {
  if (r.infinity) return make(r.sign, 0x7FFF, kIntegerBit);
  if (r.sig == 0) return make(r.sign, 0, 0);
  if (!(r.sig & kIntegerBit)) return make(r.sign, 0, r.sig);
  return make(r.sign, static_cast<uint16_t>((r.exp + kBias) & 0x7FFF), r.sig);
}

template <typename T>
T pack_ieee(const Rounded& r, const Format& f) {
  constexpr unsigned kBits = 8 * sizeof(T);
  const unsigned fraction_bits = f.bits - 1;
  const unsigned exponent_bits = kBits - 1 - fraction_bits;
  const T sign = r.sign ? T{1} << (kBits - 1) : T{0};
  const T exp_max = (T{1} << exponent_bits) - 1;
  if (r.infinity) return sign | (exp_max << fraction_bits);
  const T fraction = static_cast<T>(r.sig >> (64 - f.bits)) & ((T{1} << fraction_bits) - 1);
  if (!(r.sig & kIntegerBit)) return sign | fraction;  // zero or denormal
  const T biased = static_cast<T>(r.exp - f.emin + 1);
  return sign | (biased << fraction_bits) | fraction;
}

bool either(Class a, Class b, Class c) { return a == c || b == c; }

// Handles the operands that are not both finite numbers: unsupported formats and NaNs. Returns
// true with the result set when one of those decided the outcome.
bool special_nan(Float80 a, Class ca, Float80 b, Class cb, Env& env, Float80& result) {
  if (either(ca, cb, Class::Unsupported)) {
    result = invalid(env);
    return true;
  }
  if (either(ca, cb, Class::SNaN) || either(ca, cb, Class::QNaN)) {
    result = propagate_nan(a, b, env);
    return true;
  }
  return false;
}

void check_denormal(Class ca, Class cb, Env& env) {
  if (either(ca, cb, Class::Denormal)) env.raise(kDenormal);
}

Float80 infinity(bool sign) { return make(sign, 0x7FFF, kIntegerBit); }

Float80 add_signed(Float80 a, Float80 b, bool negate_b, Env& env) {
  const Class ca = classify(a);
  const Class cb = classify(b);
  Float80 result;
  if (special_nan(a, ca, b, cb, env, result)) return result;
  check_denormal(ca, cb, env);
  if (env.stopped()) return kIndefinite;
  const bool sa = sign_of(a);
  const bool sb = sign_of(b) != negate_b;
  if (ca == Class::Infinity || cb == Class::Infinity) {
    if (ca == Class::Infinity && cb == Class::Infinity && sa != sb) return invalid(env);
    return ca == Class::Infinity ? infinity(sa) : infinity(sb);
  }
  const unsigned bits = env.precision;
  if (ca == Class::Zero && cb == Class::Zero) {
    const bool sign = sa == sb ? sa : env.rounding == Rounding::Down;
    return make(sign, 0, 0);
  }
  if (ca == Class::Zero) {
    const Unpacked u = unpack(b);
    return round_pack(sb, u.exp, U128{u.sig} << 64, bits, env);
  }
  if (cb == Class::Zero) {
    const Unpacked u = unpack(a);
    return round_pack(sa, u.exp, U128{u.sig} << 64, bits, env);
  }
  Unpacked x = unpack(a);
  Unpacked y = unpack(b);
  x.sign = sa;
  y.sign = sb;
  if (y.exp > x.exp || (y.exp == x.exp && y.sig > x.sig)) std::swap(x, y);
  // |x| >= |y|. Significands at bit 125 leave room for a carry; value = S * 2^(exp - 125).
  const U128 big = U128{x.sig} << 62;
  const U128 small = shift_right_jam(U128{y.sig} << 62, x.exp - y.exp);
  if (x.sign == y.sign) return round_pack(x.sign, x.exp + 2, big + small, bits, env);
  const U128 diff = big - small;
  if (diff == 0) return make(env.rounding == Rounding::Down, 0, 0);
  return round_pack(x.sign, x.exp + 2, diff, bits, env);
}

}  // namespace

Class classify(Float80 x) {
  const uint16_t e = exponent_of(x);
  const uint64_t s = x.significand;
  if (e == 0) return s == 0 ? Class::Zero : Class::Denormal;
  if (!(s & kIntegerBit)) return Class::Unsupported;  // unnormal, pseudo-infinity, pseudo-NaN
  if (e == 0x7FFF) {
    if ((s << 1) == 0) return Class::Infinity;
    return (s & kQuietBit) ? Class::QNaN : Class::SNaN;
  }
  return Class::Normal;
}

Float80 negate(Float80 x) {
  x.sign_exponent ^= 0x8000;
  return x;
}

Float80 absolute(Float80 x) {
  x.sign_exponent &= 0x7FFF;
  return x;
}

Unpacked unpack(Float80 x) {
  int32_t e = exponent_of(x);
  if (e == 0) e = 1;  // denormals and pseudo-denormals share the smallest exponent
  uint64_t s = x.significand;
  const int lz = std::countl_zero(s);
  s <<= lz;
  return {sign_of(x), e - kBias - lz, s};
}

Float80 round_pack(bool sign, int32_t exp, U128 sig, unsigned bits, Env& env) {
  return pack80(round_into(sign, exp, sig, Format{bits, 1 - kBias, kBias}, env, true));
}

Float80 quiet(Float80 x) {
  x.significand |= kQuietBit;
  return x;
}

Float80 invalid(Env& env) {
  env.raise(kInvalid);
  return kIndefinite;
}

Float80 propagate_nan(Float80 a, Float80 b, Env& env) {
  const Class ca = classify(a);
  const Class cb = classify(b);
  const bool na = ca == Class::QNaN || ca == Class::SNaN;
  const bool nb = cb == Class::QNaN || cb == Class::SNaN;
  if (ca == Class::SNaN || cb == Class::SNaN) env.raise(kInvalid);
  if (na && nb) {
    if (ca != cb) return quiet(ca == Class::QNaN ? a : b);
    if (a.significand != b.significand) return quiet(a.significand > b.significand ? a : b);
    return quiet(sign_of(a) ? b : a);
  }
  return quiet(na ? a : b);
}

Float80 add(Float80 a, Float80 b, Env& env) { return add_signed(a, b, false, env); }
Float80 sub(Float80 a, Float80 b, Env& env) { return add_signed(a, b, true, env); }

Float80 mul(Float80 a, Float80 b, Env& env) {
  const Class ca = classify(a);
  const Class cb = classify(b);
  Float80 result;
  if (special_nan(a, ca, b, cb, env, result)) return result;
  const bool sign = sign_of(a) != sign_of(b);
  if (either(ca, cb, Class::Infinity)) {
    if (either(ca, cb, Class::Zero)) return invalid(env);
    check_denormal(ca, cb, env);
    return infinity(sign);
  }
  check_denormal(ca, cb, env);
  if (env.stopped()) return kIndefinite;
  if (either(ca, cb, Class::Zero)) return make(sign, 0, 0);
  const Unpacked x = unpack(a);
  const Unpacked y = unpack(b);
  // value = P * 2^(ex + ey - 126) = P * 2^((ex + ey + 1) - 127).
  return round_pack(sign, x.exp + y.exp + 1, U128{x.sig} * y.sig, env.precision, env);
}

Float80 div(Float80 a, Float80 b, Env& env) {
  const Class ca = classify(a);
  const Class cb = classify(b);
  Float80 result;
  if (special_nan(a, ca, b, cb, env, result)) return result;
  const bool sign = sign_of(a) != sign_of(b);
  if (ca == Class::Infinity) {
    if (cb == Class::Infinity) return invalid(env);
    check_denormal(ca, cb, env);
    return infinity(sign);
  }
  if (cb == Class::Infinity) {
    check_denormal(ca, cb, env);
    return make(sign, 0, 0);
  }
  if (ca == Class::Zero && cb == Class::Zero) return invalid(env);
  if (cb == Class::Zero) {
    // Divide-by-zero takes precedence: a denormal dividend raises no DE.
    env.raise(kZeroDivide);
    return infinity(sign);
  }
  check_denormal(ca, cb, env);
  if (env.stopped()) return kIndefinite;
  if (ca == Class::Zero) return make(sign, 0, 0);
  const Unpacked x = unpack(a);
  const Unpacked y = unpack(b);
  // Two 64-bit quotient digits of x.sig / y.sig, the first one normalised.
  const bool smaller = x.sig < y.sig;
  const U128 numerator = U128{x.sig} << (smaller ? 64 : 63);
  const uint64_t q1 = static_cast<uint64_t>(numerator / y.sig);
  const U128 r1 = numerator % y.sig;
  const U128 n2 = r1 << 64;
  const uint64_t q2 = static_cast<uint64_t>(n2 / y.sig);
  const bool sticky = (n2 % y.sig) != 0;
  const U128 q = (U128{q1} << 64) | q2 | (sticky ? 1 : 0);
  return round_pack(sign, x.exp - y.exp - (smaller ? 1 : 0), q, env.precision, env);
}

Float80 sqrt(Float80 a, Env& env) {
  const Class ca = classify(a);
  Float80 result;
  if (special_nan(a, ca, a, ca, env, result)) return result;
  if (ca == Class::Zero) return a;
  if (sign_of(a)) return invalid(env);
  if (ca == Class::Infinity) return a;
  check_denormal(ca, ca, env);
  if (env.stopped()) return kIndefinite;
  const Unpacked x = unpack(a);
  // x = sig * 2^(exp - 63); make the power of two even: m * 2^k.
  int32_t k = x.exp - 63;
  U128 m = x.sig;
  if (k & 1) {
    m <<= 1;
    k -= 1;
  }
  // Digit-by-digit square root of m * 2^128: 98 result bits and an exact remainder.
  U128 q = 0;
  U128 r = 0;
  for (int i = 33; i >= 0; --i) {
    r = (r << 2) | ((m >> (2 * i)) & 3);
    const U128 t = (q << 2) | 1;
    q <<= 1;
    if (r >= t) {
      r -= t;
      q |= 1;
    }
  }
  for (int i = 0; i < 64; ++i) {
    r <<= 2;
    const U128 t = (q << 2) | 1;
    q <<= 1;
    if (r >= t) {
      r -= t;
      q |= 1;
    }
  }
  // sqrt(x) = q * 2^(k/2 - 64) = q * 2^((k/2 + 63) - 127).
  return round_pack(false, k / 2 + 63, q | (r != 0 ? 1 : 0), env.precision, env);
}

Float80 round_to_integer(Float80 a, Env& env) {
  const Class ca = classify(a);
  Float80 result;
  if (special_nan(a, ca, a, ca, env, result)) return result;
  if (ca == Class::Zero || ca == Class::Infinity) return a;
  check_denormal(ca, ca, env);
  if (env.stopped()) return kIndefinite;
  const Unpacked x = unpack(a);
  if (x.exp >= 63) return a;
  // Integer part in the high 64 bits, fraction below.
  const U128 v = shift_right_jam(U128{x.sig} << 64, 63 - x.exp);
  const RoundedBits r = round_bits(v, 64, x.sign, env.rounding);
  if (r.inexact) env.raise(kPrecision);
  env.rounded_up = r.up;
  const uint64_t n = static_cast<uint64_t>(r.value >> 64);
  if (n == 0) return make(x.sign, 0, 0);
  const int lz = std::countl_zero(n);
  return make(x.sign, static_cast<uint16_t>(kBias + 63 - lz), n << lz);
}

Float80 scale(Float80 a, Float80 b, Env& env) {
  const Class ca = classify(a);
  const Class cb = classify(b);
  Float80 result;
  if (special_nan(a, ca, b, cb, env, result)) return result;
  if (cb == Class::Infinity) {
    const bool down = sign_of(b);
    if (ca == Class::Zero) return down ? a : invalid(env);
    if (ca == Class::Infinity) return down ? invalid(env) : a;
    check_denormal(ca, ca, env);
    return down ? make(sign_of(a), 0, 0) : infinity(sign_of(a));
  }
  check_denormal(ca, cb, env);
  if (env.stopped()) return kIndefinite;
  if (ca == Class::Zero || ca == Class::Infinity) return a;
  // trunc(b), clamped far beyond any exponent that can still give a finite nonzero result.
  int64_t n = 0;
  if (cb != Class::Zero) {
    const Unpacked y = unpack(b);
    if (y.exp >= 20) {
      n = 1 << 20;
    } else if (y.exp >= 0) {
      n = static_cast<int64_t>(y.sig >> (63 - y.exp));
    }
    if (y.sign) n = -n;
  }
  const Unpacked x = unpack(a);
  return round_pack(x.sign, static_cast<int32_t>(x.exp + n), U128{x.sig} << 64, 64, env);
}

Order compare(Float80 a, Float80 b, Env& env, bool quiet_compare) {
  const Class ca = classify(a);
  const Class cb = classify(b);
  if (either(ca, cb, Class::Unsupported) || either(ca, cb, Class::SNaN)) {
    env.raise(kInvalid);
    return Order::Unordered;
  }
  if (either(ca, cb, Class::QNaN)) {
    if (!quiet_compare) env.raise(kInvalid);
    return Order::Unordered;
  }
  check_denormal(ca, cb, env);
  if (ca == Class::Zero && cb == Class::Zero) return Order::Equal;
  const bool sa = sign_of(a);
  const bool sb = sign_of(b);
  if (ca == Class::Zero) return sb ? Order::Greater : Order::Less;
  if (cb == Class::Zero) return sa ? Order::Less : Order::Greater;
  if (sa != sb) return sa ? Order::Less : Order::Greater;
  // Same sign: compare magnitudes (infinity as the largest exponent).
  auto magnitude = [](Float80 x, Class c) -> std::pair<int32_t, uint64_t> {
    if (c == Class::Infinity) return {1 << 20, 0};
    const Unpacked u = unpack(x);
    return {u.exp, u.sig};
  };
  const auto ma = magnitude(a, ca);
  const auto mb = magnitude(b, cb);
  if (ma == mb) return Order::Equal;
  const bool a_larger = ma > mb;
  return a_larger != sa ? Order::Greater : Order::Less;
}

Float80 from_int(int64_t v) {
  if (v == 0) return kPositiveZero;
  const bool sign = v < 0;
  uint64_t m = sign ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  const int lz = std::countl_zero(m);
  return make(sign, static_cast<uint16_t>(kBias + 63 - lz), m << lz);
}

int64_t to_int(Float80 a, unsigned bits, Env& env) {
  const int64_t indefinite = static_cast<int64_t>(~uint64_t{0} << (bits - 1));
  const Class ca = classify(a);
  if (ca == Class::Zero) return 0;
  if (ca != Class::Normal && ca != Class::Denormal) {
    env.raise(kInvalid);
    return indefinite;
  }
  const Unpacked x = unpack(a);
  uint64_t magnitude = 0;
  if (x.exp >= 64) {
    env.raise(kInvalid);
    return indefinite;
  }
  if (x.exp == 63) {
    magnitude = x.sig;
    env.rounded_up = false;
  } else {
    const U128 v = shift_right_jam(U128{x.sig} << 64, 63 - x.exp);
    const RoundedBits r = round_bits(v, 64, x.sign, env.rounding);
    magnitude = static_cast<uint64_t>(r.value >> 64);
    if (r.carry) {
      env.raise(kInvalid);
      return indefinite;
    }
    if (r.inexact) env.raise(kPrecision);
    env.rounded_up = r.up;
  }
  const uint64_t limit = uint64_t{1} << (bits - 1);  // |min|; max is limit - 1
  if (magnitude > limit || (magnitude == limit && !x.sign)) {
    env.flags &= static_cast<uint8_t>(~kPrecision);
    env.raise(kInvalid);
    env.rounded_up = false;
    return indefinite;
  }
  return x.sign ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
}

namespace {

template <typename T>
Float80 from_ieee(T v, const Format& f, Env& env, bool keep_signaling) {
  constexpr unsigned kBits = 8 * sizeof(T);
  const unsigned fraction_bits = f.bits - 1;
  const unsigned exponent_bits = kBits - 1 - fraction_bits;
  const bool sign = (v >> (kBits - 1)) & 1;
  const T exp_max = (T{1} << exponent_bits) - 1;
  const T biased = (v >> fraction_bits) & exp_max;
  const T fraction = v & ((T{1} << fraction_bits) - 1);
  const uint64_t aligned = uint64_t{fraction} << (63 - fraction_bits);
  if (biased == exp_max) {
    if (fraction == 0) return infinity(sign);
    const Float80 nan = make(sign, 0x7FFF, kIntegerBit | aligned);
    if (!(nan.significand & kQuietBit) && !keep_signaling) {
      env.raise(kInvalid);
      return quiet(nan);
    }
    return nan;
  }
  if (biased == 0) {
    if (fraction == 0) return make(sign, 0, 0);
    env.raise(kDenormal);
    const int lz = std::countl_zero(aligned);
    return make(sign, static_cast<uint16_t>(f.emin + kBias - lz), aligned << lz);
  }
  const int32_t e = static_cast<int32_t>(biased) + f.emin - 1;
  return make(sign, static_cast<uint16_t>(e + kBias), kIntegerBit | aligned);
}

template <typename T>
T to_ieee(Float80 a, const Format& f, Env& env) {
  constexpr unsigned kBits = 8 * sizeof(T);
  const unsigned fraction_bits = f.bits - 1;
  const unsigned exponent_bits = kBits - 1 - fraction_bits;
  const bool sign = sign_of(a);
  const T sign_bit = sign ? T{1} << (kBits - 1) : T{0};
  const T exp_max = (T{1} << exponent_bits) - 1;
  switch (classify(a)) {
    case Class::Zero:
      return sign_bit;
    case Class::Infinity:
      return sign_bit | (exp_max << fraction_bits);
    case Class::Unsupported:
      env.raise(kInvalid);
      return to_ieee<T>(kIndefinite, f, env);
    case Class::SNaN:
      env.raise(kInvalid);
      a = quiet(a);
      [[fallthrough]];
    case Class::QNaN:
      return sign_bit | (exp_max << fraction_bits) |
             static_cast<T>((a.significand & ~kIntegerBit) >> (63 - fraction_bits));
    default:
      break;
  }
  const Unpacked x = unpack(a);
  const Rounded r = round_into(sign, x.exp, U128{x.sig} << 64, f, env, false);
  if (!r.stored) return 0;
  return pack_ieee<T>(r, f);
}

}  // namespace

Float80 from_f32(uint32_t v, Env& env, bool keep_signaling) {
  return from_ieee<uint32_t>(v, kSingle, env, keep_signaling);
}
Float80 from_f64(uint64_t v, Env& env, bool keep_signaling) {
  return from_ieee<uint64_t>(v, kDouble, env, keep_signaling);
}
uint32_t to_f32(Float80 a, Env& env) { return to_ieee<uint32_t>(a, kSingle, env); }
uint64_t to_f64(Float80 a, Env& env) { return to_ieee<uint64_t>(a, kDouble, env); }

Float80 from_bcd(const uint8_t (&bcd)[10]) {
  uint64_t n = 0;
  for (int i = 8; i >= 0; --i) {
    // Digits above 9 are undefined on real CPUs; they are taken at their binary weight here.
    n = n * 100 + (bcd[i] >> 4) * 10 + (bcd[i] & 0xF);
  }
  Float80 r = from_int(static_cast<int64_t>(n));
  if (bcd[9] & 0x80) r = negate(r);
  return r;
}

void to_bcd(Float80 a, Env& env, uint8_t (&bcd)[10]) {
  const Class ca = classify(a);
  const bool sign = sign_of(a);
  int64_t n = 0;
  uint64_t magnitude = 0;
  bool indefinite = ca != Class::Zero && ca != Class::Normal && ca != Class::Denormal;
  if (!indefinite && ca != Class::Zero) {
    Env probe = env;
    n = to_int(a, 64, probe);
    magnitude = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
    indefinite = (probe.flags & kInvalid) || magnitude > 999'999'999'999'999'999;
    if (!indefinite) env = probe;
  }
  if (indefinite) {
    // The packed BCD indefinite: FFFF C000 0000 0000 0000.
    env.raise(kInvalid);
    for (int i = 0; i < 7; ++i) bcd[i] = 0;
    bcd[7] = 0xC0;
    bcd[8] = 0xFF;
    bcd[9] = 0xFF;
    return;
  }
  uint64_t m = magnitude;
  for (int i = 0; i < 9; ++i) {
    const uint8_t low = static_cast<uint8_t>(m % 10);
    m /= 10;
    const uint8_t high = static_cast<uint8_t>(m % 10);
    m /= 10;
    bcd[i] = static_cast<uint8_t>((high << 4) | low);
  }
  bcd[9] = sign ? 0x80 : 0;
}

}  // namespace x86lab::cpu::f80
