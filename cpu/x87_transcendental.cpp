// Constants, partial remainders, FXTRACT and the transcendental functions. The functions are
// evaluated in a 128-bit-significand format (Wide) by series on reduced arguments and rounded
// once to the destination, so results are within one unit in the last place of the true value
// (and of a real x87, which is close to correctly rounded except where noted).
#include <bit>
#include <utility>

#include "cpu/x87_math.hpp"

namespace x86lab::cpu::f80 {
namespace {

constexpr int32_t kBias = 16383;

// sign * sig * 2^(exp - 127), sig normalised (bit 127 set) or zero. Arithmetic truncates, so a
// value carries about 125 correct bits after a few operations.
struct Wide {
  bool sign = false;
  int32_t exp = 0;
  U128 sig = 0;
};

constexpr U128 u128(uint64_t hi, uint64_t lo) { return (U128{hi} << 64) | lo; }
constexpr Wide constant_wide(int32_t exp, uint64_t hi, uint64_t lo) {
  return Wide{false, exp, u128(hi, lo)};
}

// 128-bit truncations of the true constants (computed with 400-bit mpmath).
constexpr Wide kPi = constant_wide(1, 0xC90FDAA22168C234, 0xC4C6628B80DC1CD1);
constexpr Wide kHalfPi = constant_wide(0, 0xC90FDAA22168C234, 0xC4C6628B80DC1CD1);
constexpr Wide kLn2 = constant_wide(-1, 0xB17217F7D1CF79AB, 0xC9E3B39803F2F6AF);
constexpr Wide kLog2E = constant_wide(0, 0xB8AA3B295C17F0BB, 0xBE87FED0691D3E88);
constexpr Wide kL2T = constant_wide(1, 0xD49A784BCD1B8AFE, 0x492BF6FF4DAFDB4C);
constexpr Wide kLg2 = constant_wide(-2, 0x9A209A84FBCFF798, 0x8F8959AC0B7C9178);
// atan(k/8) for k = 1..8.
constexpr Wide kAtanEighths[8] = {
    constant_wide(-4, 0xFEADD4D5617B6E32, 0xC897989F3E888EF8),
    constant_wide(-3, 0xFADBAFC96406EB15, 0x6DC79EF5F7A217E6),
    constant_wide(-2, 0xB7B0CA0F26F78473, 0x8AA32122DCFE4483),
    constant_wide(-2, 0xED63382B0DDA7B45, 0x6FE445ECBC3A8D03),
    constant_wide(-1, 0x8F005D5EF7F59F9B, 0x5C835E1665C43748),
    constant_wide(-1, 0xA4BC7D1934F70924, 0x19A87F2A457DAC9F),
    constant_wide(-1, 0xB8053E2BC2319E73, 0xCB2DA55210A4443D),
    constant_wide(-1, 0xC90FDAA22168C234, 0xC4C6628B80DC1CD1),
};

int leading_zeros(U128 v) {
  const uint64_t hi = static_cast<uint64_t>(v >> 64);
  if (hi) return std::countl_zero(hi);
  return 64 + std::countl_zero(static_cast<uint64_t>(v));
}

Wide normalize(Wide w) {
  if (w.sig == 0) return Wide{w.sign, 0, 0};
  const int lz = leading_zeros(w.sig);
  w.sig <<= lz;
  w.exp -= lz;
  return w;
}

bool is_zero(const Wide& w) { return w.sig == 0; }
Wide neg(Wide w) {
  w.sign = !w.sign;
  return w;
}

Wide from_float(Float80 x) {
  if (classify(x) == Class::Zero) return Wide{sign_of(x), 0, 0};
  const Unpacked u = unpack(x);
  return Wide{u.sign, u.exp, U128{u.sig} << 64};
}

Wide from_integer(int64_t n) {
  const bool sign = n < 0;
  const uint64_t m = sign ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  return normalize(Wide{sign, 127, U128{m}});
}

bool magnitude_less(const Wide& a, const Wide& b) {
  if (is_zero(a)) return !is_zero(b);
  if (is_zero(b)) return false;
  return a.exp != b.exp ? a.exp < b.exp : a.sig < b.sig;
}

// Shifts right, ORing the bits shifted out into bit 0, so that a truncated value still lies on
// the correct side of the exact one.
U128 shift_right_jam(U128 v, int32_t n) {
  if (n <= 0) return v;
  if (n >= 128) return v != 0 ? 1 : 0;
  return (v >> n) | ((v & ((U128{1} << n) - 1)) != 0 ? 1 : 0);
}

Wide add(Wide a, Wide b) {
  if (is_zero(a)) return b;
  if (is_zero(b)) return a;
  if (magnitude_less(a, b)) std::swap(a, b);
  const U128 small = shift_right_jam(b.sig, a.exp - b.exp);
  if (a.sign == b.sign) {
    const U128 sum = a.sig + small;
    if (sum < a.sig) return Wide{a.sign, a.exp + 1, (sum >> 1) | (U128{1} << 127) | (sum & 1)};
    return Wide{a.sign, a.exp, sum};
  }
  return normalize(Wide{a.sign, a.exp, a.sig - small});
}

Wide sub(const Wide& a, const Wide& b) { return add(a, neg(b)); }

Wide mul(const Wide& a, const Wide& b) {
  if (is_zero(a) || is_zero(b)) return Wide{a.sign != b.sign, 0, 0};
  const uint64_t a1 = static_cast<uint64_t>(a.sig >> 64), a0 = static_cast<uint64_t>(a.sig);
  const uint64_t b1 = static_cast<uint64_t>(b.sig >> 64), b0 = static_cast<uint64_t>(b.sig);
  const U128 p11 = U128{a1} * b1, p10 = U128{a1} * b0, p01 = U128{a0} * b1, p00 = U128{a0} * b0;
  const U128 mid = static_cast<uint64_t>(p10) + U128{static_cast<uint64_t>(p01)} + (p00 >> 64);
  const U128 hi = p11 + (p10 >> 64) + (p01 >> 64) + (mid >> 64);
  const bool lost = static_cast<uint64_t>(mid) != 0 || static_cast<uint64_t>(p00) != 0;
  return normalize(Wide{a.sign != b.sign, a.exp + b.exp + 1, hi | (lost ? 1 : 0)});
}

Wide div(const Wide& a, const Wide& b) {
  if (is_zero(a)) return Wide{a.sign != b.sign, 0, 0};
  // q = floor(a.sig * 2^127 / b.sig), one bit a step; `carry` is bit 128 of the remainder.
  U128 rem = a.sig;
  U128 q = 0;
  bool carry = false;
  for (int i = 0; i < 128; ++i) {
    q <<= 1;
    if (carry || rem >= b.sig) {
      rem -= b.sig;
      q |= 1;
    }
    carry = rem >> 127;
    rem <<= 1;
  }
  return normalize(Wide{a.sign != b.sign, a.exp - b.exp, q | ((rem != 0 || carry) ? 1 : 0)});
}

Wide div_small(const Wide& a, uint64_t n) {
  return normalize(Wide{a.sign, a.exp, (a.sig / n) | ((a.sig % n) != 0 ? 1 : 0)});
}

// Rounds to the extended format under env. Values of the functions are irrational except at
// the special points handled before, so an exactly representable Wide still reports inexact.
Float80 to_float(const Wide& w, unsigned bits, Env& env) {
  if (is_zero(w)) return make(w.sign, 0, 0);
  Float80 r = round_pack(w.sign, w.exp, w.sig, bits, env);
  env.raise(kPrecision);
  if (exponent_of(r) == 0) env.raise(kUnderflow);  // tiny and (always) inexact
  return r;
}

// sin and cos of |r| <= pi/4 by their Taylor series.
Wide sin_series(const Wide& r) {
  if (is_zero(r)) return r;
  const Wide r2 = mul(r, r);
  Wide term = r;
  Wide sum = r;
  for (uint64_t k = 1; k < 40; ++k) {
    term = neg(div_small(mul(term, r2), (2 * k) * (2 * k + 1)));
    sum = add(sum, term);
    if (is_zero(term) || term.exp < sum.exp - 130) break;
  }
  return sum;
}

Wide cos_series(const Wide& r) {
  const Wide one = from_integer(1);
  if (is_zero(r)) return one;
  const Wide r2 = mul(r, r);
  Wide term = one;
  Wide sum = one;
  for (uint64_t k = 1; k < 40; ++k) {
    term = neg(div_small(mul(term, r2), (2 * k - 1) * (2 * k)));
    sum = add(sum, term);
    if (is_zero(term) || term.exp < sum.exp - 130) break;
  }
  return sum;
}

// atan of 0 <= t <= 1: t = c + d with c = k/8 from the table, then the series on the rest.
Wide atan_unit(const Wide& t) {
  if (is_zero(t)) return t;
  // k = round(8t).
  int64_t k = 0;
  if (t.exp >= -4) {
    const int32_t shift = 127 - (t.exp + 3);  // 8t as an integer part
    const U128 scaled = shift >= 128 ? 0 : t.sig >> shift;
    const bool half = shift >= 1 && shift <= 128 && ((t.sig >> (shift - 1)) & 1);
    k = static_cast<int64_t>(scaled) + (half ? 1 : 0);
  }
  Wide u = t;
  Wide base{};
  if (k > 0) {
    const Wide c = div_small(from_integer(k), 8);
    // atan(t) = atan(c) + atan((t - c) / (1 + t c)).
    u = div(sub(t, c), add(from_integer(1), mul(t, c)));
    base = kAtanEighths[k - 1];
  }
  if (is_zero(u)) return base;
  const Wide u2 = mul(u, u);
  Wide power = u;
  Wide sum = u;
  for (uint64_t n = 1; n < 60; ++n) {
    power = neg(mul(power, u2));
    const Wide term = div_small(power, 2 * n + 1);
    sum = add(sum, term);
    if (is_zero(term) || term.exp < sum.exp - 130) break;
  }
  return add(base, sum);
}

// ln(m) for m near 1 (m in [sqrt(1/2), sqrt(2)]) as 2 atanh((m - 1) / (m + 1)).
Wide ln_near_one(const Wide& m_minus_one, const Wide& m_plus_one) {
  const Wide s = div(m_minus_one, m_plus_one);
  if (is_zero(s)) return s;
  const Wide s2 = mul(s, s);
  Wide power = s;
  Wide sum = s;
  for (uint64_t n = 1; n < 60; ++n) {
    power = mul(power, s2);
    const Wide term = div_small(power, 2 * n + 1);
    sum = add(sum, term);
    if (is_zero(term) || term.exp < sum.exp - 130) break;
  }
  sum.exp += 1;
  return sum;
}

// log2(x) for finite x > 0.
Wide log2_positive(const Wide& x) {
  // x = m * 2^e with m in [1, 2); move m into [sqrt(1/2), sqrt(2)).
  int64_t e = x.exp;
  Wide m{false, 0, x.sig};
  constexpr U128 kSqrt2 = u128(0xB504F333F9DE6484, 0x597D89B3754ABE9F);  // sqrt(2) * 2^127
  if (m.sig > kSqrt2) {
    m.exp = -1;
    e += 1;
  }
  const Wide one = from_integer(1);
  const Wide ln_m = ln_near_one(sub(m, one), add(m, one));
  return add(from_integer(e), mul(ln_m, kLog2E));
}

// e^y - 1 for |y| <= 1 by the series y + y^2/2! + ...
Wide expm1_series(const Wide& y) {
  if (is_zero(y)) return y;
  Wide term = y;
  Wide sum = y;
  for (uint64_t n = 2; n < 60; ++n) {
    term = div_small(mul(term, y), n);
    sum = add(sum, term);
    if (is_zero(term) || term.exp < sum.exp - 130) break;
  }
  return sum;
}

Float80 infinity(bool sign) { return make(sign, 0x7FFF, 0x8000000000000000); }

bool special_operands(Float80 a, Float80 b, Env& env, Float80& result, bool check_denormal = true) {
  const Class ca = classify(a);
  const Class cb = classify(b);
  if (ca == Class::Unsupported || cb == Class::Unsupported) {
    result = invalid(env);
    return true;
  }
  if (is_nan(a) || is_nan(b)) {
    result = propagate_nan(a, b, env);
    return true;
  }
  if (check_denormal && (ca == Class::Denormal || cb == Class::Denormal)) env.raise(kDenormal);
  if (env.stopped()) {
    result = kIndefinite;
    return true;
  }
  return false;
}

// Reduces x (|x| < 2^63) modulo pi/2 as the x87 does, against a 66-bit pi: x = k pi/2 + r.
// Returns r and the quadrant k mod 4.
Wide reduce_half_pi(Float80 x, unsigned& quadrant) {
  quadrant = 0;
  const Wide w = from_float(x);
  if (is_zero(w) || w.exp < -1) return w;  // |x| < 1/2 < pi/4
  // pi/2 rounded to 66 bits: P / 2^65.
  constexpr U128 kP = u128(0x3, 0x243F6A8885A308D3);
  const Unpacked u = unpack(x);
  // |x| = sig * 2^(e - 63) = X / 2^65 with X = sig << (e + 2).
  const U128 X = U128{u.sig} << (u.exp + 2);
  U128 k = X / kP;
  U128 r = X % kP;
  bool flip = false;
  if (r > kP / 2 || (r == kP / 2 && (k & 1))) {
    ++k;
    r = kP - r;
    flip = true;
  }
  quadrant = static_cast<unsigned>(k & 3);
  if (u.sign) quadrant = (4 - quadrant) & 3;
  Wide out = normalize(Wide{u.sign != flip, 127 - 65, r});
  return out;
}

}  // namespace

Float80 constant(Constant c, Rounding rounding) {
  Env env;
  env.rounding = rounding;
  env.masks = 0x3F;
  const auto round = [&](const Wide& w) { return to_float(w, 64, env); };
  switch (c) {
    case Constant::One:
      return kOne;
    case Constant::L2T:
      return round(kL2T);
    case Constant::L2E:
      return round(kLog2E);
    case Constant::Pi:
      return round(kPi);
    case Constant::Lg2:
      return round(kLg2);
    case Constant::Ln2:
      return round(kLn2);
    case Constant::Zero:
      return kPositiveZero;
  }
  return kPositiveZero;
}

Remainder remainder(Float80 a, Float80 b, bool nearest, Env& env) {
  Remainder out;
  const Class ca = classify(a);
  const Class cb = classify(b);
  if (ca == Class::Unsupported || cb == Class::Unsupported) {
    out.value = invalid(env);
    return out;
  }
  if (is_nan(a) || is_nan(b)) {
    out.value = propagate_nan(a, b, env);
    return out;
  }
  if (ca == Class::Infinity || cb == Class::Zero) {
    out.value = invalid(env);
    return out;
  }
  if (ca == Class::Denormal || cb == Class::Denormal) env.raise(kDenormal);
  out.value = a;
  if (env.stopped() || cb == Class::Infinity || ca == Class::Zero) return out;
  const Unpacked x = unpack(a);
  const Unpacked y = unpack(b);
  const int32_t d = x.exp - y.exp;
  if (d < 0) {
    if (nearest && d == -1 && x.sig > y.sig) {
      // |a| > |b| / 2: the quotient rounds to 1.
      const U128 r = (U128{y.sig} << 1) - x.sig;
      out.value = round_pack(!x.sign, x.exp, r << 64, 64, env);
      out.quotient = 1;
    } else if (ca == Class::Denormal) {
      out.value = round_pack(x.sign, x.exp, U128{x.sig} << 64, 64, env);
    }
    return out;
  }
  // Beyond 63 the reduction is partial: the exponent difference drops to 32..63.
  int32_t shift = 0;
  int32_t dp = d;
  if (d >= 64) {
    dp = 32 + d % 32;
    shift = d - dp;
    out.partial = true;
  }
  const U128 numerator = U128{x.sig} << dp;
  U128 q = numerator / y.sig;
  uint64_t r = static_cast<uint64_t>(numerator % y.sig);
  bool sign = x.sign;
  if (nearest && !out.partial) {
    const U128 twice = U128{r} << 1;
    if (twice > y.sig || (twice == y.sig && (q & 1))) {
      ++q;
      r = y.sig - r;
      sign = !sign;
    }
  }
  out.quotient = static_cast<unsigned>(q & 7);
  if (r == 0) {
    out.value = make(x.sign, 0, 0);
    return out;
  }
  out.value = round_pack(sign, y.exp + shift, U128{r} << 64, 64, env);
  return out;
}

Extracted extract(Float80 a, Env& env) {
  Float80 special;
  if (special_operands(a, a, env, special)) return {special, special};
  switch (classify(a)) {
    case Class::Zero:
      env.raise(kZeroDivide);
      return {infinity(true), a};
    case Class::Infinity:
      return {infinity(false), a};
    default:
      break;
  }
  const Unpacked u = unpack(a);
  return {from_int(u.exp), make(u.sign, kBias, u.sig)};
}

Float80 f2xm1(Float80 x, Env& env) {
  Float80 special;
  if (special_operands(x, x, env, special)) return special;
  switch (classify(x)) {
    case Class::Zero:
      return x;
    case Class::Infinity:
      return sign_of(x) ? make(true, kBias, 0x8000000000000000) : x;
    default:
      break;
  }
  const Wide w = from_float(x);
  if (w.exp >= 0) {
    // |x| >= 1: outside the documented range. 2^x - 1 with 2^x = 2^n * 2^f, |f| < 1.
    if (w.exp > 14) return sign_of(x) ? make(true, kBias, 0x8000000000000000) : infinity(false);
    const int32_t shift = 127 - w.exp;
    const int64_t n = static_cast<int64_t>(w.sig >> shift) * (w.sign ? -1 : 1);
    const Wide f = sub(w, from_integer(n));
    Wide p = add(expm1_series(mul(f, kLn2)), from_integer(1));
    p.exp += static_cast<int32_t>(n);
    return to_float(sub(p, from_integer(1)), 64, env);
  }
  return to_float(expm1_series(mul(w, kLn2)), 64, env);
}

Float80 yl2x(Float80 x, Float80 y, Env& env) {
  Float80 special;
  if (special_operands(x, y, env, special, false)) return special;
  const Class cx = classify(x);
  const Class cy = classify(y);
  const bool sy = sign_of(y);
  // A negative x is invalid, and a zero x divides by zero, before a denormal is reported.
  if (sign_of(x) && cx != Class::Zero) return invalid(env);
  if (cx == Class::Zero) {
    if (cy == Class::Zero) return invalid(env);
    if (cy != Class::Infinity) env.raise(kZeroDivide);
    return infinity(!sy);
  }
  if (cx == Class::Denormal || cy == Class::Denormal) env.raise(kDenormal);
  if (env.stopped()) return kIndefinite;
  if (cx == Class::Infinity) {
    if (cy == Class::Zero) return invalid(env);
    return infinity(sy);
  }
  const Wide l = log2_positive(from_float(x));
  if (is_zero(l)) {  // x == 1
    if (cy == Class::Infinity) return invalid(env);
    return make(sy, 0, 0);
  }
  if (cy == Class::Infinity) return infinity(sy != l.sign);
  if (cy == Class::Zero) return make(sy != l.sign, 0, 0);
  return to_float(mul(l, from_float(y)), 64, env);
}

Float80 yl2xp1(Float80 x, Float80 y, Env& env) {
  Float80 special;
  if (special_operands(x, y, env, special, false)) return special;
  const Class cx = classify(x);
  const Class cy = classify(y);
  const bool sy = sign_of(y);
  if (cx == Class::Infinity && sign_of(x)) return invalid(env);
  if (cx == Class::Denormal || cy == Class::Denormal) env.raise(kDenormal);
  if (env.stopped()) return kIndefinite;
  if (cx == Class::Zero) {
    if (cy == Class::Infinity) return invalid(env);
    return make(sy != sign_of(x), 0, 0);
  }
  if (cx == Class::Infinity) {
    if (sign_of(x) || cy == Class::Zero) return invalid(env);
    return infinity(sy);
  }
  const Wide w = from_float(x);
  const Wide one = from_integer(1);
  Wide l;
  if (w.exp < -2) {
    // |x| < 1/4: log2(1 + x) = ln((1 + x) / 1) through atanh(x / (2 + x)), exact in x.
    l = mul(ln_near_one(w, add(w, from_integer(2))), kLog2E);
  } else {
    const Wide sum = add(one, w);
    if (sum.sign || is_zero(sum)) return invalid(env);
    l = log2_positive(sum);
  }
  if (cy == Class::Infinity) return infinity(sy != l.sign);
  if (cy == Class::Zero) return make(sy != l.sign, 0, 0);
  return to_float(mul(l, from_float(y)), 64, env);
}

Float80 atan2(Float80 y, Float80 x, Env& env) {
  Float80 special;
  if (special_operands(x, y, env, special)) return special;
  const Class cx = classify(x);
  const Class cy = classify(y);
  const bool sx = sign_of(x);
  const bool sy = sign_of(y);
  Wide angle;
  if (cy == Class::Zero) {
    if (!sx) return y;
    angle = kPi;
  } else if (cx == Class::Zero) {
    angle = kHalfPi;
  } else if (cy == Class::Infinity) {
    if (cx == Class::Infinity) {
      angle = kAtanEighths[7];  // pi/4
      if (sx) angle = sub(kPi, angle);
    } else {
      angle = kHalfPi;
    }
  } else if (cx == Class::Infinity) {
    if (!sx) return make(sy, 0, 0);
    angle = kPi;
  } else {
    Wide ay = from_float(y);
    Wide ax = from_float(x);
    ay.sign = false;
    ax.sign = false;
    const bool swap = magnitude_less(ax, ay);
    const Wide t = swap ? div(ax, ay) : div(ay, ax);
    angle = atan_unit(t);
    if (swap) angle = sub(kHalfPi, angle);
    if (sx) angle = sub(kPi, angle);
  }
  angle.sign = sy;
  return to_float(angle, 64, env);
}

bool sin_cos(Float80 x, Float80* sin, Float80* cos, Env& env) {
  const Class cx = classify(x);
  if (cx == Class::Normal && unpack(x).exp >= 63) return false;
  Float80 special;
  if (special_operands(x, x, env, special)) {
    if (sin) *sin = special;
    if (cos) *cos = special;
    return true;
  }
  if (cx == Class::Infinity) {
    if (sin) *sin = invalid(env);
    if (cos) *cos = invalid(env);
    return true;
  }
  if (cx == Class::Zero) {
    if (sin) *sin = x;
    if (cos) *cos = kOne;
    return true;
  }
  unsigned quadrant = 0;
  const Wide r = reduce_half_pi(x, quadrant);
  const Wide s = sin_series(r);
  const Wide c = cos_series(r);
  const Wide sines[4] = {s, c, neg(s), neg(c)};
  const Wide cosines[4] = {c, neg(s), neg(c), s};
  // Both results are rounded with the same environment; C1 reflects the last one (cos).
  if (sin) *sin = to_float(sines[quadrant], 64, env);
  if (cos) *cos = to_float(cosines[quadrant], 64, env);
  return true;
}

bool tan(Float80 x, Float80& result, Env& env) {
  const Class cx = classify(x);
  if (cx == Class::Normal && unpack(x).exp >= 63) return false;
  Float80 special;
  if (special_operands(x, x, env, special)) {
    result = special;
    return true;
  }
  if (cx == Class::Infinity) {
    result = invalid(env);
    return true;
  }
  if (cx == Class::Zero) {
    result = x;
    return true;
  }
  unsigned quadrant = 0;
  const Wide r = reduce_half_pi(x, quadrant);
  const Wide s = sin_series(r);
  const Wide c = cos_series(r);
  result = to_float((quadrant & 1) ? neg(div(c, s)) : div(s, c), 64, env);
  return true;
}

}  // namespace x86lab::cpu::f80
