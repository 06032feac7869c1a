// Host-differential tests of the software x87 arithmetic: random operands go through the host's
// own x87 (inline assembly, 80-bit values, the control word set for each case) and through
// f80::; the results and the exception flags must be bit-identical. Skipped on non-x86 hosts.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "cpu/x87_float80.hpp"

using namespace x86lab::cpu;

#if defined(__x86_64__) || defined(__i386__)
#define X86LAB_HOST_X87 1
#endif

namespace {

struct Rng {
  uint64_t s = 0x9E3779B97F4A7C15;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

// Operands that exercise rounding, cancellation, the exponent extremes and special values.
Float80 random_operand(Rng& rng, int exp_center) {
  const uint64_t r = rng.next();
  const bool sign = r & 1;
  const unsigned kind = (r >> 1) & 31;
  uint64_t sig = rng.next() | 0x8000000000000000;
  if (((r >> 8) & 7) == 0) sig = 0xFFFFFFFFFFFFFFFF << ((r >> 11) & 63);
  if (((r >> 8) & 7) == 1) sig = 0x8000000000000000 | (uint64_t{1} << ((r >> 11) & 63));
  int exp = exp_center + static_cast<int>((r >> 20) & 127) - 64;
  switch (kind) {
    case 0:
      return f80::make(sign, 0, 0);
    case 1:
      return f80::make(sign, 0x7FFF, 0x8000000000000000);
    case 2:
      return f80::make(sign, 0x7FFF, sig | 0xC000000000000000);  // QNaN
    case 3:
      return f80::make(sign, 0x7FFF, (sig & ~0x4000000000000000) | 1);  // SNaN
    case 4:
      return f80::make(sign, 0, sig >> ((r >> 30) & 63));  // denormal
    case 5:
      exp = static_cast<int>((r >> 20) & 63) + 1;
      break;  // near the bottom
    case 6:
      exp = 0x7FFE - static_cast<int>((r >> 20) & 63);
      break;  // near the top
    case 7:
      exp = static_cast<int>((r >> 20) & 0x7FFF);
      if (exp == 0x7FFF || exp == 0) exp = 1;
      break;
    default:
      break;
  }
  if (exp < 1) exp = 1;
  if (exp > 0x7FFE) exp = 0x7FFE;
  return f80::make(sign, static_cast<uint16_t>(exp), sig);
}

#ifdef X86LAB_HOST_X87
struct HostResult {
  Float80 value;
  uint16_t status;
};

void store80(unsigned char (&m)[10], Float80 v) {
  std::memcpy(m, &v.significand, 8);
  std::memcpy(m + 8, &v.sign_exponent, 2);
}
Float80 load80(const unsigned char (&m)[10]) {
  Float80 v;
  std::memcpy(&v.significand, m, 8);
  std::memcpy(&v.sign_exponent, m + 8, 2);
  return v;
}

enum class Op { Add, Sub, Mul, Div, Sqrt, Rndint, Scale, Prem, Prem1 };

HostResult host_run(Op op, Float80 a, Float80 b, uint16_t control) {
  unsigned char ma[10], mb[10], out[10];
  store80(ma, a);
  store80(mb, b);
  uint16_t sw = 0;
  // st0 = a, st1 = b; the operation leaves its result in st0.
#define X87_CASE(BYTES)                                                     \
  asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" BYTES  \
               "\n\tfnstsw %[sw]\n\tfstpt %[out]\n\tfstp %%st(0)\n\tfninit" \
               : [out] "=m"(out), [sw] "=m"(sw)                             \
               : [a] "m"(ma), [b] "m"(mb), [cw] "m"(control)                \
               : "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)")
  switch (op) {
    case Op::Add:
      X87_CASE(".byte 0xD8, 0xC1");
      break;  // fadd st0, st1
    case Op::Sub:
      X87_CASE(".byte 0xD8, 0xE1");
      break;  // fsub st0, st1
    case Op::Mul:
      X87_CASE(".byte 0xD8, 0xC9");
      break;  // fmul st0, st1
    case Op::Div:
      X87_CASE(".byte 0xD8, 0xF1");
      break;  // fdiv st0, st1
    case Op::Sqrt:
      X87_CASE(".byte 0xD9, 0xFA");
      break;  // fsqrt
    case Op::Rndint:
      X87_CASE(".byte 0xD9, 0xFC");
      break;  // frndint
    case Op::Scale:
      X87_CASE(".byte 0xD9, 0xFD");
      break;  // fscale
    case Op::Prem:
      X87_CASE(".byte 0xD9, 0xF8");
      break;  // fprem
    case Op::Prem1:
      X87_CASE(".byte 0xD9, 0xF5");
      break;  // fprem1
  }
#undef X87_CASE
  return {load80(out), sw};
}

Float80 soft_run(Op op, Float80 a, Float80 b, f80::Env& env) {
  switch (op) {
    case Op::Add:
      return f80::add(a, b, env);
    case Op::Sub:
      return f80::sub(a, b, env);
    case Op::Mul:
      return f80::mul(a, b, env);
    case Op::Div:
      return f80::div(a, b, env);
    case Op::Sqrt:
      return f80::sqrt(a, env);
    case Op::Rndint:
      return f80::round_to_integer(a, env);
    case Op::Scale:
      return f80::scale(a, b, env);
    default:
      return a;
  }
}

const char* op_name(Op op) {
  static const char* const kNames[] = {"fadd",    "fsub",   "fmul",  "fdiv",  "fsqrt",
                                       "frndint", "fscale", "fprem", "fprem1"};
  return kNames[static_cast<int>(op)];
}

// Runs n random cases of op; returns the number of mismatches (printing the first few).
int differential(Op op, int n, uint64_t seed) {
  Rng rng;
  rng.s ^= seed;
  int failures = 0;
  static const uint16_t kPrecision[] = {0x0000, 0x0200, 0x0300};
  for (int i = 0; i < n; ++i) {
    const int center = 1 + static_cast<int>(rng.next() % 0x7FFD);
    const Float80 a = random_operand(rng, center);
    Float80 b = random_operand(rng, center);
    if (op == Op::Scale) b = f80::from_int(static_cast<int64_t>(rng.next() % 40000) - 20000);
    const uint16_t control =
        static_cast<uint16_t>(0x3F | kPrecision[rng.next() % 3] | ((rng.next() & 3) << 10));
    const HostResult host = host_run(op, a, b, control);
    f80::Env env = f80::Env::from_control(control);
    const Float80 soft = soft_run(op, a, b, env);
    const uint16_t soft_status = static_cast<uint16_t>(env.flags | (env.rounded_up ? 0x200 : 0));
    const uint16_t host_status = host.status & 0x23F;
    if (!(soft == host.value) || soft_status != host_status) {
      if (++failures <= 8) {
        std::printf(
            "%s cw=%04x a=%04x:%016llx b=%04x:%016llx host=%04x:%016llx sw=%03x "
            "soft=%04x:%016llx sw=%03x\n",
            op_name(op), control, a.sign_exponent, static_cast<unsigned long long>(a.significand),
            b.sign_exponent, static_cast<unsigned long long>(b.significand),
            host.value.sign_exponent, static_cast<unsigned long long>(host.value.significand),
            host_status, soft.sign_exponent, static_cast<unsigned long long>(soft.significand),
            soft_status);
      }
    }
  }
  return failures;
}
#endif

}  // namespace

#ifdef X86LAB_HOST_X87
TEST_CASE("soft-float add, sub, mul, div and sqrt match the host x87 bit for bit") {
  CHECK(differential(Op::Add, 200000, 1) == 0);
  CHECK(differential(Op::Sub, 200000, 2) == 0);
  CHECK(differential(Op::Mul, 200000, 3) == 0);
  CHECK(differential(Op::Div, 200000, 4) == 0);
  CHECK(differential(Op::Sqrt, 100000, 5) == 0);
}

TEST_CASE("soft-float frndint and fscale match the host x87 bit for bit") {
  CHECK(differential(Op::Rndint, 100000, 6) == 0);
  CHECK(differential(Op::Scale, 100000, 7) == 0);
}
#else
TEST_CASE("host-differential x87 tests need an x86 host") {
  MESSAGE("not an x86 host: the host-differential x87 tests are skipped");
}
#endif
