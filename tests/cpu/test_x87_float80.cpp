// The software extended-precision arithmetic against exact values: every expected bit pattern
// was computed with Python's fractions (exact rational arithmetic, correctly rounded by hand) or
// mpmath at 400 bits, never with host floating point.
#include <doctest/doctest.h>

#include "cpu/x87_float80.hpp"
#include "cpu/x87_math.hpp"

using namespace x86lab::cpu;
using f80::Env;
using f80::make;

namespace {

constexpr uint16_t kPc24 = 0x0000, kPc53 = 0x0200, kPc64 = 0x0300;
constexpr uint16_t kNearest = 0x0000, kDown = 0x0400, kUp = 0x0800, kZero = 0x0C00;

Env env_for(uint16_t precision, uint16_t rounding, uint16_t masks = 0x3F) {
  return Env::from_control(static_cast<uint16_t>(precision | rounding | masks));
}

Float80 ext(uint16_t se, uint64_t sig) { return Float80{sig, se}; }

const Float80 kThree = f80::from_int(3);
const Float80 kTwo = f80::from_int(2);
const Float80 kTen = f80::from_int(10);
const Float80 kMaxNormal = ext(0x7FFE, 0xFFFFFFFFFFFFFFFF);
const Float80 kMinNormal = ext(0x0001, 0x8000000000000000);

}  // namespace

TEST_CASE("1/3 in every precision and rounding mode, with the round-up bit") {
  struct Case {
    uint16_t precision, rounding;
    uint64_t significand;
    bool up;
  };
  const Case cases[] = {
      {kPc24, kNearest, 0xAAAAAB0000000000, true},  {kPc24, kDown, 0xAAAAAA0000000000, false},
      {kPc24, kZero, 0xAAAAAA0000000000, false},    {kPc24, kUp, 0xAAAAAB0000000000, true},
      {kPc53, kNearest, 0xAAAAAAAAAAAAA800, false}, {kPc53, kDown, 0xAAAAAAAAAAAAA800, false},
      {kPc53, kZero, 0xAAAAAAAAAAAAA800, false},    {kPc53, kUp, 0xAAAAAAAAAAAAB000, true},
      {kPc64, kNearest, 0xAAAAAAAAAAAAAAAB, true},  {kPc64, kDown, 0xAAAAAAAAAAAAAAAA, false},
      {kPc64, kZero, 0xAAAAAAAAAAAAAAAA, false},    {kPc64, kUp, 0xAAAAAAAAAAAAAAAB, true},
  };
  for (const Case& c : cases) {
    Env env = env_for(c.precision, c.rounding);
    const Float80 r = f80::div(f80::kOne, kThree, env);
    CAPTURE(c.precision);
    CAPTURE(c.rounding);
    CHECK(r == ext(0x3FFD, c.significand));
    CHECK(env.flags == f80::kPrecision);
    CHECK(env.rounded_up == c.up);
  }
  // The negative quotient rounds the other way under the directed modes.
  Env down = env_for(kPc64, kDown);
  CHECK(f80::div(f80::negate(f80::kOne), kThree, down) == ext(0xBFFD, 0xAAAAAAAAAAAAAAAB));
}

TEST_CASE("sqrt(2) in each precision, and the square root of negative numbers") {
  Env e24 = env_for(kPc24, kNearest), e53 = env_for(kPc53, kNearest), e64 = env_for(kPc64, 0);
  CHECK(f80::sqrt(kTwo, e24) == ext(0x3FFF, 0xB504F30000000000));
  CHECK(f80::sqrt(kTwo, e53) == ext(0x3FFF, 0xB504F333F9DE6800));
  CHECK(f80::sqrt(kTwo, e64) == ext(0x3FFF, 0xB504F333F9DE6484));
  CHECK(e53.rounded_up);
  CHECK_FALSE(e64.rounded_up);
  Env env = env_for(kPc64, kNearest);
  CHECK(f80::sqrt(f80::negate(kTwo), env) == f80::kIndefinite);
  CHECK(env.flags == f80::kInvalid);
  Env zero_env = env_for(kPc64, kNearest);
  CHECK(f80::sqrt(make(true, 0, 0), zero_env) == make(true, 0, 0));  // sqrt(-0) = -0
  CHECK(zero_env.flags == 0);
}

TEST_CASE("overflow: masked results by rounding mode, unmasked result biased by 24576") {
  Env nearest = env_for(kPc64, kNearest);
  CHECK(f80::mul(kMaxNormal, kTwo, nearest) == ext(0x7FFF, 0x8000000000000000));
  CHECK(nearest.flags == (f80::kOverflow | f80::kPrecision));
  CHECK(nearest.rounded_up);
  Env zero = env_for(kPc64, kZero);
  CHECK(f80::mul(kMaxNormal, kTwo, zero) == kMaxNormal);
  Env down = env_for(kPc24, kDown);
  CHECK(f80::mul(f80::negate(kMaxNormal), kTwo, down) == ext(0xFFFF, 0x8000000000000000));
  Env up24 = env_for(kPc24, kUp);
  // Toward +infinity a negative overflow gives the largest 24-bit magnitude.
  CHECK(f80::mul(f80::negate(kMaxNormal), kTwo, up24) == ext(0xFFFE, 0xFFFFFF0000000000));
  Env unmasked = env_for(kPc64, kNearest, 0x37);  // OM clear
  CHECK(f80::mul(kMaxNormal, kTwo, unmasked) == ext(0x7FFF - 24576, 0xFFFFFFFFFFFFFFFF));
  CHECK(unmasked.flags == f80::kOverflow);
}

TEST_CASE("underflow: denormal results, UE only when inexact, biased result when unmasked") {
  Env exact = env_for(kPc64, kNearest);
  CHECK(f80::div(kMinNormal, kTwo, exact) == ext(0x0000, 0x4000000000000000));
  CHECK(exact.flags == 0);  // tiny but exact: no underflow while masked
  Env inexact = env_for(kPc64, kNearest);
  // (1 + 2^-63) * 2^-16382 / 4 loses its last bit: tiny and inexact.
  CHECK(f80::div(ext(0x0001, 0x8000000000000001), f80::from_int(4), inexact) ==
        ext(0x0000, 0x2000000000000000));
  CHECK(inexact.flags == (f80::kUnderflow | f80::kPrecision));
  Env unmasked = env_for(kPc64, kNearest, 0x2F);  // UM clear
  CHECK(f80::div(kMinNormal, kTwo, unmasked) == ext(24576, 0x8000000000000000));
  CHECK(unmasked.flags == f80::kUnderflow);
  // A denormal operand raises DE.
  Env denormal = env_for(kPc64, kNearest);
  CHECK(f80::add(ext(0x0000, 1), ext(0x0000, 1), denormal) == ext(0x0000, 2));
  CHECK(denormal.flags == f80::kDenormal);
}

TEST_CASE("NaNs: SNaN operands raise IE and are quieted; 0/0 gives the real indefinite") {
  const Float80 snan = ext(0x7FFF, 0x8000000000000001);
  const Float80 qnan = ext(0xFFFF, 0xC000000000000005);
  Env env = env_for(kPc64, kNearest);
  CHECK(f80::add(snan, f80::kOne, env) == ext(0x7FFF, 0xC000000000000001));
  CHECK(env.flags == f80::kInvalid);
  Env both = env_for(kPc64, kNearest);
  CHECK(f80::mul(snan, qnan, both) == qnan);  // the QNaN wins over the SNaN
  Env zero = env_for(kPc64, kNearest);
  CHECK(f80::div(f80::kPositiveZero, f80::kPositiveZero, zero) == f80::kIndefinite);
  CHECK(zero.flags == f80::kInvalid);
  Env divide = env_for(kPc64, kNearest);
  CHECK(f80::div(f80::kOne, make(true, 0, 0), divide) == ext(0xFFFF, 0x8000000000000000));
  CHECK(divide.flags == f80::kZeroDivide);
  Env unsupported = env_for(kPc64, kNearest);
  CHECK(f80::add(ext(0x4000, 0x4000000000000000), f80::kOne, unsupported) == f80::kIndefinite);
  CHECK(unsupported.flags == f80::kInvalid);
}

TEST_CASE("compare orders -0 equal to +0, and NaNs unordered (FUCOM quiet on QNaN)") {
  Env env = env_for(kPc64, kNearest);
  CHECK(f80::compare(make(true, 0, 0), f80::kPositiveZero, env, false) == f80::Order::Equal);
  CHECK(f80::compare(f80::negate(kTwo), f80::kOne, env, false) == f80::Order::Less);
  CHECK(f80::compare(ext(0x7FFF, 0x8000000000000000), kMaxNormal, env, false) ==
        f80::Order::Greater);
  CHECK(env.flags == 0);
  const Float80 qnan = ext(0x7FFF, 0xC000000000000000);
  CHECK(f80::compare(qnan, f80::kOne, env, true) == f80::Order::Unordered);
  CHECK(env.flags == 0);
  CHECK(f80::compare(qnan, f80::kOne, env, false) == f80::Order::Unordered);
  CHECK(env.flags == f80::kInvalid);
}

TEST_CASE("conversions to and from integers, float32 and float64") {
  Env env = env_for(kPc64, kNearest);
  CHECK(f80::from_int(-1) == ext(0xBFFF, 0x8000000000000000));
  CHECK(f80::from_int(INT64_MIN) == ext(0xC03E, 0x8000000000000000));
  const Float80 two_and_half = ext(0x4000, 0xA000000000000000);
  CHECK(f80::to_int(two_and_half, 16, env) == 2);  // ties to even
  CHECK(f80::to_int(f80::negate(two_and_half), 32, env) == -2);
  Env up = env_for(kPc64, kUp);
  CHECK(f80::to_int(two_and_half, 32, up) == 3);
  CHECK(up.rounded_up);
  Env range = env_for(kPc64, kNearest);
  CHECK(f80::to_int(f80::from_int(40000), 16, range) == -32768);  // integer indefinite
  CHECK(range.flags == f80::kInvalid);
  Env big = env_for(kPc64, kNearest);
  CHECK(f80::to_int(ext(0x403E, 0x8000000000000000), 64, big) == INT64_MIN);  // 2^63
  CHECK(big.flags == f80::kInvalid);

  // 0.1 (extended, rounded up) to float32 and float64.
  const Float80 tenth = ext(0x3FFB, 0xCCCCCCCCCCCCCCCD);
  Env f = env_for(kPc64, kNearest);
  CHECK(f80::to_f32(tenth, f) == 0x3DCCCCCD);
  CHECK(f80::to_f64(tenth, f) == 0x3FB999999999999A);
  CHECK(f.flags == f80::kPrecision);
  Env over = env_for(kPc64, kNearest);
  CHECK(f80::to_f32(f80::from_int(INT64_MAX), over) == 0x5F000000);
  CHECK(f80::to_f32(ext(0x4100, 0x8000000000000000), over) == 0x7F800000);
  CHECK(over.flags == (f80::kOverflow | f80::kPrecision));
  Env under = env_for(kPc64, kNearest);
  // 2^-149 * 1.5 rounds to the float32 denormal 2^-148 (tie to even).
  CHECK(f80::to_f32(ext(0x3FFF - 149, 0xC000000000000000), under) == 0x00000002);
  CHECK(under.flags == (f80::kUnderflow | f80::kPrecision));

  Env load = env_for(kPc64, kNearest);
  CHECK(f80::from_f64(0x0000000000000001, load) == ext(0x3FFF - 1074, 0x8000000000000000));
  CHECK(load.flags == f80::kDenormal);
  CHECK(f80::from_f32(0x7F800001, load) == ext(0x7FFF, 0xC000010000000000));  // SNaN quieted
  CHECK((load.flags & f80::kInvalid) != 0);
  Env exact = env_for(kPc64, kNearest);
  CHECK(f80::from_f32(0xC0490FDB, exact) == ext(0xC000, 0xC90FDB0000000000));
  CHECK(exact.flags == 0);
}

TEST_CASE("packed BCD loads and stores, and the BCD indefinite") {
  const uint8_t digits[10] = {0x78, 0x56, 0x34, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12, 0x80};
  CHECK(f80::from_bcd(digits) == f80::negate(f80::from_int(123456789012345678)));
  Env env = env_for(kPc64, kNearest);
  uint8_t out[10];
  f80::to_bcd(f80::from_int(-987654321), env, out);
  const uint8_t expected[10] = {0x21, 0x43, 0x65, 0x87, 0x09, 0, 0, 0, 0, 0x80};
  for (int i = 0; i < 10; ++i) CHECK(out[i] == expected[i]);
  Env too_big = env_for(kPc64, kNearest);
  f80::to_bcd(f80::from_int(1000000000000000000), too_big, out);
  CHECK(too_big.flags == f80::kInvalid);
  CHECK(out[9] == 0xFF);
  CHECK(out[8] == 0xFF);
  CHECK(out[7] == 0xC0);
}

TEST_CASE("FLD constants are the true constants rounded by the rounding mode") {
  using f80::Constant;
  using f80::Rounding;
  CHECK(f80::constant(Constant::Pi, Rounding::Nearest) == ext(0x4000, 0xC90FDAA22168C235));
  CHECK(f80::constant(Constant::Pi, Rounding::Down) == ext(0x4000, 0xC90FDAA22168C234));
  CHECK(f80::constant(Constant::Pi, Rounding::Up) == ext(0x4000, 0xC90FDAA22168C235));
  CHECK(f80::constant(Constant::L2T, Rounding::Nearest) == ext(0x4000, 0xD49A784BCD1B8AFE));
  CHECK(f80::constant(Constant::L2T, Rounding::Up) == ext(0x4000, 0xD49A784BCD1B8AFF));
  CHECK(f80::constant(Constant::L2E, Rounding::Nearest) == ext(0x3FFF, 0xB8AA3B295C17F0BC));
  CHECK(f80::constant(Constant::L2E, Rounding::Zero) == ext(0x3FFF, 0xB8AA3B295C17F0BB));
  CHECK(f80::constant(Constant::Lg2, Rounding::Nearest) == ext(0x3FFD, 0x9A209A84FBCFF799));
  CHECK(f80::constant(Constant::Lg2, Rounding::Down) == ext(0x3FFD, 0x9A209A84FBCFF798));
  CHECK(f80::constant(Constant::Ln2, Rounding::Nearest) == ext(0x3FFE, 0xB17217F7D1CF79AC));
  CHECK(f80::constant(Constant::One, Rounding::Down) == f80::kOne);
  CHECK(f80::constant(Constant::Zero, Rounding::Up) == f80::kPositiveZero);
}

TEST_CASE("FPREM and FPREM1: complete remainders with quotient bits, partial ones with C2") {
  Env env = env_for(kPc64, kNearest);
  f80::Remainder r = f80::remainder(kTen, kThree, false, env);
  CHECK(r.value == f80::kOne);
  CHECK(r.quotient == 3);
  CHECK_FALSE(r.partial);
  r = f80::remainder(f80::from_int(11), kThree, false, env);
  CHECK(r.value == kTwo);
  r = f80::remainder(f80::from_int(11), kThree, true, env);  // 11 = 4 * 3 - 1
  CHECK(r.value == f80::negate(f80::kOne));
  CHECK(r.quotient == 4);
  // 2^200 mod 3: D = 199, reduced by 2^(D - N) with N = 32 + D mod 32 = 39; the partial
  // remainder is exactly 2^160.
  r = f80::remainder(ext(0x3FFF + 200, 0x8000000000000000), kThree, false, env);
  CHECK(r.partial);
  CHECK(r.value == ext(0x3FFF + 160, 0x8000000000000000));
  CHECK(env.flags == 0);
  Env invalid = env_for(kPc64, kNearest);
  CHECK(f80::remainder(kTen, f80::kPositiveZero, false, invalid).value == f80::kIndefinite);
  CHECK(invalid.flags == f80::kInvalid);
}

TEST_CASE("transcendental functions give the correctly rounded value of known arguments") {
  Env env = env_for(kPc64, kNearest);
  Float80 s, c;
  // Arguments beyond pi/4 are reduced against the x87's 66-bit pi, as on a real CPU: sin(1e18)
  // is then -0.99281610405300343656 where the true value is -0.99296932074040507621.
  REQUIRE(f80::sin_cos(f80::kOne, &s, &c, env));
  CHECK(s == ext(0x3FFE, 0xD76AA47848677021));
  CHECK(c == ext(0x3FFE, 0x8A51407DA8345C92));
  REQUIRE(f80::sin_cos(ext(0x3FFE, 0x8000000000000000), &s, &c, env));  // 0.5
  CHECK(s == ext(0x3FFD, 0xF57743A2582F7F44));
  CHECK(c == ext(0x3FFE, 0xE0A94032DBEA7CEE));
  REQUIRE(f80::sin_cos(f80::from_int(100), &s, &c, env));
  CHECK(s == ext(0xBFFE, 0x81A12DBC626DC036));
  CHECK(c == ext(0x3FFE, 0xDCC0EDFB32FEFB21));
  REQUIRE(f80::sin_cos(f80::from_int(1000000000000000000), &s, &c, env));
  CHECK(s == ext(0xBFFE, 0xFE293239D98B5DC4));
  CHECK(c == ext(0x3FFB, 0xF50B31631BCFD88C));
  CHECK_FALSE(f80::sin_cos(ext(0x403E, 0x8000000000000000), &s, &c, env));  // 2^63: C2

  CHECK(f80::atan2(f80::kOne, f80::kOne, env) == ext(0x3FFE, 0xC90FDAA22168C235));
  CHECK(f80::atan2(f80::kOne, f80::negate(kTwo), env) == ext(0x4000, 0xAB63739CBFAD72CC));
  CHECK(f80::yl2x(kTen, f80::kOne, env) == ext(0x4000, 0xD49A784BCD1B8AFE));
  const Float80 tenth = ext(0x3FFB, 0xCCCCCCCCCCCCCCCD);
  CHECK(f80::yl2x(tenth, kThree, env) == ext(0xC002, 0x9F73DA38D9D4A83F));
  CHECK(f80::f2xm1(ext(0x3FFE, 0x8000000000000000), env) == ext(0x3FFD, 0xD413CCCFE7799211));
  CHECK(f80::f2xm1(ext(0xBFFD, 0x8000000000000000), env) == ext(0xBFFC, 0xA2EC0CD4A58A542F));
  CHECK(f80::yl2xp1(ext(0x3FF5, 0x8000000000000000), f80::kOne, env) ==
        ext(0x3FF5, 0xB89329BA1FA2A0FD));
  CHECK(env.flags == f80::kPrecision);
}

TEST_CASE("FXTRACT splits exponent and significand; zero divides by zero") {
  Env env = env_for(kPc64, kNearest);
  const f80::Extracted e = f80::extract(f80::from_int(-12), env);
  CHECK(e.exponent == f80::from_int(3));
  CHECK(e.significand == ext(0xBFFF, 0xC000000000000000));
  CHECK(env.flags == 0);
  const f80::Extracted z = f80::extract(make(true, 0, 0), env);
  CHECK(z.exponent == ext(0xFFFF, 0x8000000000000000));
  CHECK(z.significand == make(true, 0, 0));
  CHECK(env.flags == f80::kZeroDivide);
}
