// Host-differential tests of the software x87 arithmetic: random operands go through the host's
// own x87 (inline assembly, 80-bit values, the control word set for each case) and through
// f80::; the results and the exception flags must be bit-identical. Skipped on non-x86 hosts.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>

#include "cpu/x87_float80.hpp"
#include "cpu/x87_math.hpp"

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

enum class Op {
  Add,
  Sub,
  Mul,
  Div,
  Sqrt,
  Rndint,
  Scale,
  Prem,
  Prem1,
  Sin,
  Cos,
  Tan,
  Patan,
  Yl2x,
  Yl2xp1,
  F2xm1,
  Xtract,
  Com,
  Ucom,
};

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
  // clang-format off
  switch (op) {
    case Op::Add: X87_CASE(".byte 0xD8, 0xC1"); break;     // fadd st0, st1
    case Op::Sub: X87_CASE(".byte 0xD8, 0xE1"); break;     // fsub st0, st1
    case Op::Mul: X87_CASE(".byte 0xD8, 0xC9"); break;     // fmul st0, st1
    case Op::Div: X87_CASE(".byte 0xD8, 0xF1"); break;     // fdiv st0, st1
    case Op::Sqrt: X87_CASE(".byte 0xD9, 0xFA"); break;    // fsqrt
    case Op::Rndint: X87_CASE(".byte 0xD9, 0xFC"); break;  // frndint
    case Op::Scale: X87_CASE(".byte 0xD9, 0xFD"); break;   // fscale
    case Op::Prem: X87_CASE(".byte 0xD9, 0xF8"); break;    // fprem
    case Op::Prem1: X87_CASE(".byte 0xD9, 0xF5"); break;   // fprem1
    case Op::Sin: X87_CASE(".byte 0xD9, 0xFE"); break;     // fsin
    case Op::Cos: X87_CASE(".byte 0xD9, 0xFF"); break;     // fcos
    case Op::Tan: X87_CASE(".byte 0xD9, 0xF2, 0xDD, 0xD8"); break;  // fptan, fstp st0
    case Op::Patan: X87_CASE(".byte 0xD9, 0xF3"); break;   // fpatan
    case Op::Yl2x: X87_CASE(".byte 0xD9, 0xF1"); break;    // fyl2x
    case Op::Yl2xp1: X87_CASE(".byte 0xD9, 0xF9"); break;  // fyl2xp1
    case Op::F2xm1: X87_CASE(".byte 0xD9, 0xF0"); break;   // f2xm1
    case Op::Xtract: X87_CASE(".byte 0xD9, 0xF4"); break;  // fxtract
    case Op::Com: X87_CASE(".byte 0xD8, 0xD1"); break;     // fcom st1
    case Op::Ucom: X87_CASE(".byte 0xDD, 0xE1"); break;    // fucom st1
  }
    // clang-format on
#undef X87_CASE
  return {load80(out), sw};
}

constexpr uint16_t kC0 = 0x100, kC1 = 0x200, kC2 = 0x400, kC3 = 0x4000;

// The operation in software; cc receives the condition codes it defines besides C1.
Float80 soft_run(Op op, Float80 a, Float80 b, f80::Env& env, uint16_t& cc) {
  cc = 0;
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
    case Op::Prem:
    case Op::Prem1: {
      const f80::Remainder r = f80::remainder(a, b, op == Op::Prem1, env);
      if (r.partial) cc = kC2;
      if (!r.partial && !(env.flags & f80::kInvalid)) {
        cc = static_cast<uint16_t>(((r.quotient & 4) ? kC0 : 0) | ((r.quotient & 2) ? kC3 : 0) |
                                   ((r.quotient & 1) ? kC1 : 0));
      }
      return r.value;
    }
    case Op::Sin: {
      Float80 r = a;
      if (!f80::sin_cos(a, &r, nullptr, env)) cc = kC2;
      return r;
    }
    case Op::Cos: {
      Float80 r = a;
      if (!f80::sin_cos(a, nullptr, &r, env)) cc = kC2;
      return r;
    }
    case Op::Tan: {
      Float80 r = a;
      if (!f80::tan(a, r, env)) {
        cc = kC2;
        return b;  // nothing was pushed: the host test's FSTP ST(0) leaves b on top
      }
      return r;
    }
    case Op::Patan:
      return f80::atan2(b, a, env);
    case Op::Yl2x:
      return f80::yl2x(a, b, env);
    case Op::Yl2xp1:
      return f80::yl2xp1(a, b, env);
    case Op::F2xm1:
      return f80::f2xm1(a, env);
    case Op::Xtract:
      return f80::extract(a, env).significand;
    case Op::Com:
    case Op::Ucom: {
      switch (f80::compare(a, b, env, op == Op::Ucom)) {
        case f80::Order::Less:
          cc = kC0;
          break;
        case f80::Order::Equal:
          cc = kC3;
          break;
        case f80::Order::Unordered:
          cc = kC0 | kC2 | kC3;
          break;
        default:
          break;
      }
      return a;
    }
  }
  return a;
}

const char* op_name(Op op) {
  static const char* const kNames[] = {"fadd",    "fsub",    "fmul",   "fdiv",   "fsqrt",
                                       "frndint", "fscale",  "fprem",  "fprem1", "fsin",
                                       "fcos",    "fptan",   "fpatan", "fyl2x",  "fyl2xp1",
                                       "f2xm1",   "fxtract", "fcom",   "fucom"};
  return kNames[static_cast<int>(op)];
}

uint16_t status_mask(Op op) {
  switch (op) {
    case Op::Prem:
    case Op::Prem1:
    case Op::Com:
    case Op::Ucom:
      return 0x473F;
    case Op::Sin:
    case Op::Cos:
      return 0x063F;
    case Op::Tan:
      return 0x043F;
    default:
      return 0x023F;
  }
}

bool transcendental(Op op) {
  switch (op) {
    case Op::Sin:
    case Op::Cos:
    case Op::Tan:
    case Op::Patan:
    case Op::Yl2x:
    case Op::Yl2xp1:
    case Op::F2xm1:
      return true;
    default:
      return false;
  }
}

// A key that orders finite values by magnitude and sign, one unit a ulp.
__extension__ typedef __int128 Key;
Key ulp_key(Float80 v) {
  const Key exp = v.sign_exponent & 0x7FFF;
  const Key fraction = static_cast<Key>(v.significand & 0x7FFFFFFFFFFFFFFF);
  const Key key = exp == 0 ? static_cast<Key>(v.significand) : (exp << 63) + fraction;
  return (v.sign_exponent & 0x8000) ? -key : key;
}

// Operands in the range where each function is defined and interesting.
void operands_for(Op op, Rng& rng, Float80& a, Float80& b) {
  int center = 1 + static_cast<int>(rng.next() % 0x7FFD);
  if (transcendental(op) || op == Op::Prem || op == Op::Prem1) {
    center = 16383 - 20 + static_cast<int>(rng.next() % 60);
  }
  a = random_operand(rng, center);
  b = random_operand(rng, center);
  if (op == Op::Scale) b = f80::from_int(static_cast<int64_t>(rng.next() % 40000) - 20000);
  if (op == Op::Yl2x && (rng.next() & 3)) a.sign_exponent &= 0x7FFF;
  if (op == Op::F2xm1 || op == Op::Yl2xp1) {
    const uint16_t e = a.sign_exponent & 0x7FFF;
    const uint16_t limit = op == Op::F2xm1 ? 0x3FFE : 0x3FFC;
    if (e > limit && e != 0x7FFF)
      a.sign_exponent =
          static_cast<uint16_t>((a.sign_exponent & 0x8000) | (limit - (rng.next() % 70)));
  }
}

struct Stats {
  int mismatches = 0;  // different flags or (exact ops) different bits
  int one_ulp = 0;     // transcendental results one ulp away
  int far = 0;         // transcendental results more than one ulp away
};

// Runs n random cases of op; prints the first few mismatches.
Stats differential(Op op, int n, uint64_t seed) {
  Rng rng;
  rng.s ^= seed;
  Stats stats;
  static const uint16_t kPrecision[] = {0x0000, 0x0200, 0x0300};
  const bool approximate = transcendental(op);
  for (int i = 0; i < n; ++i) {
    Float80 a, b;
    operands_for(op, rng, a, b);
    uint16_t control =
        static_cast<uint16_t>(0x3F | kPrecision[rng.next() % 3] | ((rng.next() & 3) << 10));
    if (approximate) control |= 0x300;
    const HostResult host = host_run(op, a, b, control);
    f80::Env env = f80::Env::from_control(control);
    uint16_t cc = 0;
    const Float80 soft = soft_run(op, a, b, env, cc);
    const uint16_t mask = status_mask(op);
    uint16_t soft_status =
        static_cast<uint16_t>((env.flags | (env.rounded_up ? kC1 : 0) | cc) & mask);
    uint16_t host_status = host.status & mask;
    bool bad = false;
    if (approximate) {
      // C1 reports the direction of the last rounding of an internal result, which for the
      // transcendental functions is not the exact value on either side: it is not compared.
      soft_status &= static_cast<uint16_t>(~kC1);
      host_status &= static_cast<uint16_t>(~kC1);
    }
    if (approximate && !(soft == host.value)) {
      const Key d = ulp_key(soft) - ulp_key(host.value);
      const bool finite = (soft.sign_exponent & 0x7FFF) != 0x7FFF;
      if (finite && (d == 1 || d == -1)) {
        ++stats.one_ulp;
        // The rounding direction follows the result, so C1 may differ with it.
        soft_status &= static_cast<uint16_t>(~kC1);
        host_status &= static_cast<uint16_t>(~kC1);
      } else {
        ++stats.far;
        bad = true;
      }
    } else if (!(soft == host.value)) {
      bad = true;
    }
    if (soft_status != host_status) bad = true;
    if (bad && ++stats.mismatches <= 8) {
      std::printf(
          "%s cw=%04x a=%04x:%016llx b=%04x:%016llx host=%04x:%016llx sw=%04x "
          "soft=%04x:%016llx sw=%04x\n",
          op_name(op), control, a.sign_exponent, static_cast<unsigned long long>(a.significand),
          b.sign_exponent, static_cast<unsigned long long>(b.significand), host.value.sign_exponent,
          static_cast<unsigned long long>(host.value.significand), host_status, soft.sign_exponent,
          static_cast<unsigned long long>(soft.significand), soft_status);
    }
  }
  if (approximate) {
    std::printf("%s: %d cases, %d one ulp away, %d further, %d mismatches\n", op_name(op), n,
                stats.one_ulp, stats.far, stats.mismatches);
  }
  return stats;
}

// Stores of st(0) to memory: float32/64, int16/32/64 and packed BCD, with the status word.
enum class Store { F32, F64, I16, I32, I64, Bcd };

struct StoreResult {
  uint64_t low = 0;
  uint16_t high = 0;  // BCD bytes 8..9
  uint16_t status = 0;
};

StoreResult host_store(Store kind, Float80 a, uint16_t control) {
  unsigned char ma[10];
  store80(ma, a);
  unsigned char out[10] = {};
  uint16_t sw = 0;
#define X87_STORE(INSN)                                                                          \
  asm volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" INSN " %[out]\n\tfnstsw %[sw]\n\tfninit" \
               : [out] "=m"(out), [sw] "=m"(sw)                                                  \
               : [a] "m"(ma), [cw] "m"(control)                                                  \
               : "memory", "st")
  // clang-format off
  switch (kind) {
    case Store::F32: X87_STORE("fstps"); break;
    case Store::F64: X87_STORE("fstpl"); break;
    case Store::I16: X87_STORE("fistps"); break;
    case Store::I32: X87_STORE("fistpl"); break;
    case Store::I64: X87_STORE("fistpll"); break;
    case Store::Bcd: X87_STORE("fbstp"); break;
  }
    // clang-format on
#undef X87_STORE
  StoreResult r;
  std::memcpy(&r.low, out, 8);
  std::memcpy(&r.high, out + 8, 2);
  r.status = sw;
  return r;
}

StoreResult soft_store(Store kind, Float80 a, f80::Env& env) {
  StoreResult r;
  switch (kind) {
    case Store::F32:
      r.low = f80::to_f32(a, env);
      break;
    case Store::F64:
      r.low = f80::to_f64(a, env);
      break;
    case Store::I16:
      r.low = static_cast<uint16_t>(f80::to_int(a, 16, env));
      break;
    case Store::I32:
      r.low = static_cast<uint32_t>(f80::to_int(a, 32, env));
      break;
    case Store::I64:
      r.low = static_cast<uint64_t>(f80::to_int(a, 64, env));
      break;
    case Store::Bcd: {
      uint8_t bcd[10];
      f80::to_bcd(a, env, bcd);
      std::memcpy(&r.low, bcd, 8);
      std::memcpy(&r.high, bcd + 8, 2);
      break;
    }
  }
  r.status = static_cast<uint16_t>(env.flags | (env.rounded_up ? 0x200 : 0));
  return r;
}

int store_differential(Store kind, int n, uint64_t seed) {
  Rng rng;
  rng.s ^= seed;
  int failures = 0;
  for (int i = 0; i < n; ++i) {
    // Exponents around each destination's range: integers, float32 and float64 extremes.
    static const int kCenters[] = {16383 + 8,   16383 + 30,   16383 + 60,   16383 - 126,
                                   16383 + 127, 16383 - 1022, 16383 + 1023, 16383};
    const int center = kCenters[rng.next() % 8];
    const Float80 a = random_operand(rng, center);
    const uint16_t control = static_cast<uint16_t>(0x33F | ((rng.next() & 3) << 10));
    const StoreResult host = host_store(kind, a, control);
    f80::Env env = f80::Env::from_control(control);
    const StoreResult soft = soft_store(kind, a, env);
    const bool bcd = kind == Store::Bcd;
    const uint16_t host_status = host.status & 0x23F;
    if (soft.low != host.low || (bcd && soft.high != host.high) || soft.status != host_status) {
      if (++failures <= 8) {
        std::printf(
            "store %d cw=%04x a=%04x:%016llx host=%04x:%016llx sw=%03x soft=%04x:%016llx "
            "sw=%03x\n",
            static_cast<int>(kind), control, a.sign_exponent,
            static_cast<unsigned long long>(a.significand), host.high,
            static_cast<unsigned long long>(host.low), host_status, soft.high,
            static_cast<unsigned long long>(soft.low), soft.status);
      }
    }
  }
  return failures;
}
#endif

}  // namespace

#ifdef X86LAB_HOST_X87
TEST_CASE("soft-float add, sub, mul, div and sqrt match the host x87 bit for bit") {
  CHECK(differential(Op::Add, 200000, 1).mismatches == 0);
  CHECK(differential(Op::Sub, 200000, 2).mismatches == 0);
  CHECK(differential(Op::Mul, 200000, 3).mismatches == 0);
  CHECK(differential(Op::Div, 200000, 4).mismatches == 0);
  CHECK(differential(Op::Sqrt, 100000, 5).mismatches == 0);
}

TEST_CASE("soft-float frndint, fscale, fprem, fprem1, fxtract and compares match the host x87") {
  CHECK(differential(Op::Rndint, 100000, 6).mismatches == 0);
  CHECK(differential(Op::Scale, 100000, 7).mismatches == 0);
  CHECK(differential(Op::Prem, 100000, 8).mismatches == 0);
  CHECK(differential(Op::Prem1, 100000, 9).mismatches == 0);
  CHECK(differential(Op::Xtract, 50000, 10).mismatches == 0);
  CHECK(differential(Op::Com, 50000, 11).mismatches == 0);
  CHECK(differential(Op::Ucom, 50000, 12).mismatches == 0);
}

TEST_CASE("stores to float32/64, int16/32/64 and BCD match the host x87 bit for bit") {
  CHECK(store_differential(Store::F32, 100000, 20) == 0);
  CHECK(store_differential(Store::F64, 100000, 21) == 0);
  CHECK(store_differential(Store::I16, 50000, 22) == 0);
  CHECK(store_differential(Store::I32, 50000, 23) == 0);
  CHECK(store_differential(Store::I64, 50000, 24) == 0);
  CHECK(store_differential(Store::Bcd, 50000, 25) == 0);
}

TEST_CASE("transcendental functions stay within one ulp of the host x87") {
  CHECK(differential(Op::Sin, 20000, 13).mismatches == 0);
  CHECK(differential(Op::Cos, 20000, 14).mismatches == 0);
  CHECK(differential(Op::Tan, 20000, 15).mismatches == 0);
  CHECK(differential(Op::Patan, 20000, 16).mismatches == 0);
  CHECK(differential(Op::Yl2x, 20000, 17).mismatches == 0);
  CHECK(differential(Op::Yl2xp1, 20000, 18).mismatches == 0);
  CHECK(differential(Op::F2xm1, 20000, 19).mismatches == 0);
}
#else
TEST_CASE("host-differential x87 tests need an x86 host") {
  MESSAGE("not an x86 host: the host-differential x87 tests are skipped");
}
#endif

// Random sequences of x87 register instructions run natively and through the emulated CPU; the
// FNSAVE images (control, status, tags and every non-empty register) must be identical.
#if defined(__x86_64__) && defined(__linux__)
#include <sys/mman.h>

#include <vector>

#include "tests/cpu/real_mode_harness.hpp"

namespace {

// Two-byte register forms whose results are exact (no transcendentals). FCMOV reads the flags
// that an FCOMI after the initial loads has set.
std::vector<uint16_t> exact_register_forms() {
  std::vector<uint16_t> forms;
  for (unsigned m = 0xC0; m <= 0xFF; ++m) forms.push_back(static_cast<uint16_t>(0xD800 | m));
  for (unsigned i = 0; i < 8; ++i) {
    for (unsigned base : {0xD9C0u, 0xD9C8u, 0xDCC0u, 0xDCC8u, 0xDCE0u, 0xDCE8u, 0xDCF0u, 0xDCF8u,
                          0xDDC0u, 0xDDD0u, 0xDDD8u, 0xDDE0u, 0xDDE8u, 0xDEC0u, 0xDEC8u, 0xDEE0u,
                          0xDEE8u, 0xDEF0u, 0xDEF8u, 0xDBE8u, 0xDBF0u, 0xDFE8u, 0xDFF0u}) {
      forms.push_back(static_cast<uint16_t>(base + i));
    }
  }
  for (unsigned m = 0xC0; m <= 0xDF; ++m) {
    forms.push_back(static_cast<uint16_t>(0xDA00 | m));  // FCMOVB/E/BE/U
    forms.push_back(static_cast<uint16_t>(0xDB00 | m));  // FCMOVNB/NE/NBE/NU
  }
  for (uint16_t f : {0xD9E0, 0xD9E1, 0xD9E4, 0xD9E5, 0xD9E8, 0xD9E9, 0xD9EA, 0xD9EB,
                     0xD9EC, 0xD9ED, 0xD9EE, 0xD9F4, 0xD9F5, 0xD9F6, 0xD9F7, 0xD9F8,
                     0xD9FA, 0xD9FC, 0xD9FD, 0xDAE9, 0xDBE2, 0xDED9, 0xD9D0}) {
    forms.push_back(f);
  }
  return forms;
}

}  // namespace

// The FNSAVE image and the data area that memory operands address ([rdi + disp8] natively,
// [bx + disp8] in 16-bit code: the same ModRM bytes). The control word is its first word.
constexpr size_t kDataSize = 128;
struct SaveImage {
  uint8_t bytes[108] = {};
  uint8_t data[kDataSize] = {};
};

SaveImage run_native(void* page, const std::vector<uint8_t>& seq, const uint8_t* data) {
  // fninit; fldz x8; fninit; fldcw [rdi]; seq; fnsave [rsi]; ret. The FLDZs give every
  // register the same stale content, which FXAM of an empty register shows in C1.
  auto* code = static_cast<uint8_t*>(page);
  size_t at = 0;
  code[at++] = 0xDB;
  code[at++] = 0xE3;
  for (int i = 0; i < 8; ++i) {
    code[at++] = 0xD9;
    code[at++] = 0xEE;
  }
  for (uint8_t b : {0xDB, 0xE3, 0xD9, 0x2F}) code[at++] = b;
  for (uint8_t b : seq) code[at++] = b;
  for (uint8_t b : {0xDD, 0x36, 0xC3}) code[at++] = b;
  SaveImage image;
  std::memcpy(image.data, data, kDataSize);
  reinterpret_cast<void (*)(uint8_t*, uint8_t*)>(page)(image.data, image.bytes);
  return image;
}

SaveImage run_emulated(const std::vector<uint8_t>& seq, const uint8_t* data) {
  // The same in real mode; FNSAVE with a 32-bit operand has the same offsets.
  x86lab::tests::RealModeHarness h;
  std::vector<uint8_t> program = {0xDB, 0xE3};
  for (int i = 0; i < 8; ++i) {
    program.push_back(0xD9);
    program.push_back(0xEE);
  }
  for (uint8_t b : {0xDB, 0xE3, 0xD9, 0x2E, 0x00, 0x03}) program.push_back(b);
  program.insert(program.end(), seq.begin(), seq.end());
  for (uint8_t b : {0x66, 0xDD, 0x36, 0x00, 0x04, 0xF4}) program.push_back(b);
  const uint32_t base = uint32_t{x86lab::tests::RealModeHarness::kCodeSegment} << 4;
  for (size_t i = 0; i < program.size(); ++i) {
    h.memory.poke(base + static_cast<uint32_t>(i), program[i]);
  }
  for (uint32_t i = 0; i < kDataSize; ++i) h.memory.poke(base + 0x300 + i, data[i]);
  h.cpu.regs().gpr[x86lab::cpu::kEbx] = 0x300;
  h.run_to_halt();
  SaveImage image;
  for (uint32_t i = 0; i < 108; ++i) image.bytes[i] = h.memory.read<uint8_t>(base + 0x400 + i);
  for (uint32_t i = 0; i < kDataSize; ++i) image.data[i] = h.memory.read<uint8_t>(base + 0x300 + i);
  return image;
}

// Control, status and tag words, and the non-empty registers.
bool same_state(const SaveImage& a, const SaveImage& b) {
  if (std::memcmp(a.data, b.data, kDataSize) != 0) return false;
  for (unsigned k : {0u, 1u, 4u, 5u, 8u, 9u}) {
    if (a.bytes[k] != b.bytes[k]) return false;
  }
  const unsigned tags = a.bytes[8] | (a.bytes[9] << 8);
  const unsigned top = (a.bytes[5] >> 3) & 7;
  for (unsigned i = 0; i < 8; ++i) {
    if (((tags >> (2 * ((top + i) & 7))) & 3) == 3) continue;
    if (std::memcmp(a.bytes + 28 + 10 * i, b.bytes + 28 + 10 * i, 10) != 0) return false;
  }
  return true;
}

// Memory forms as (opcode & 7) << 3 | reg: everything but FLDENV, FLDCW, FNSTENV, FRSTOR,
// FNSAVE (they would unmask exceptions or reinitialise) and FBLD (undefined for invalid digits).
constexpr uint8_t kMemoryForms[] = {000, 001, 002, 003, 004, 005, 006, 007, 010, 012, 013, 017, 020,
                                    021, 022, 023, 024, 025, 026, 027, 030, 032, 033, 035, 037, 040,
                                    041, 042, 043, 044, 045, 046, 047, 050, 052, 053, 057, 060, 061,
                                    062, 063, 064, 065, 066, 067, 070, 072, 073, 075, 076, 077};

TEST_CASE("random x87 instruction sequences leave the same state and memory as the host x87") {
  void* page =
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    MESSAGE("no executable memory: the native sequence test is skipped");
    return;
  }
  const std::vector<uint16_t> forms = exact_register_forms();
  Rng rng;
  int failures = 0;
  constexpr int kSequences = 5000;
  for (int n = 0; n < kSequences; ++n) {
    std::vector<uint8_t> seq;
    std::vector<size_t> ends;  // where each instruction ends
    // Start with a few constants so that most operations have operands.
    const unsigned loads = 2 + rng.next() % 5;
    for (unsigned i = 0; i < loads; ++i) {
      seq.push_back(0xD9);
      seq.push_back(static_cast<uint8_t>(0xE8 + rng.next() % 7));
    }
    seq.push_back(0xDB);  // fcomi st0, st1: defined flags for FCMOV
    seq.push_back(0xF1);
    const unsigned length = 4 + rng.next() % 24;
    for (unsigned i = 0; i < length; ++i) {
      if (rng.next() % 3 == 0) {
        // A memory form: [rdi/bx + slot], with a 16-byte slot of the data area.
        const uint8_t op_reg = kMemoryForms[rng.next() % std::size(kMemoryForms)];
        seq.push_back(static_cast<uint8_t>(0xD8 + (op_reg >> 3)));
        seq.push_back(static_cast<uint8_t>(0x47 | ((op_reg & 7) << 3)));
        seq.push_back(static_cast<uint8_t>(0x10 * (1 + rng.next() % 7)));
        ends.push_back(seq.size());
        continue;
      }
      const uint16_t f = forms[rng.next() % forms.size()];
      seq.push_back(static_cast<uint8_t>(f >> 8));
      seq.push_back(static_cast<uint8_t>(f));
      ends.push_back(seq.size());
    }
    // The data: random bytes, now and then a float32/64 or an integer of a likely size.
    uint8_t data[kDataSize];
    for (size_t k = 0; k < kDataSize; k += 8) {
      const uint64_t r = rng.next();
      std::memcpy(data + k, &r, 8);
    }
    for (size_t k = 0x10; k < kDataSize; k += 0x10) {
      switch (rng.next() % 4) {
        case 0:
          data[k + 3] = static_cast<uint8_t>(0x3F + (data[k + 3] & 1));
          break;  // float32
        case 1:
          data[k + 7] = static_cast<uint8_t>(0x3F + (data[k + 7] & 1));
          break;  // float64
        case 2:
          data[k + 2] = data[k + 3] = 0;
          break;  // small int
        default:
          break;
      }
    }
    static const uint16_t kPrecision[] = {0x000, 0x200, 0x300};
    const uint16_t control =
        static_cast<uint16_t>(0x3F | kPrecision[rng.next() % 3] | ((rng.next() & 3) << 10));
    data[0] = static_cast<uint8_t>(control);
    data[1] = static_cast<uint8_t>(control >> 8);
    if (same_state(run_native(page, seq, data), run_emulated(seq, data))) continue;
    if (++failures > 5) continue;
    // Report the first instruction after which the states differ.
    size_t start_at = 0;
    for (size_t end : ends) {
      const std::vector<uint8_t> prefix(seq.begin(), seq.begin() + static_cast<long>(end));
      const SaveImage native = run_native(page, prefix, data);
      const SaveImage emulated = run_emulated(prefix, data);
      if (same_state(native, emulated)) {
        start_at = end;
        continue;
      }
      const std::vector<uint8_t> before(seq.begin(), seq.begin() + static_cast<long>(start_at));
      const SaveImage start = run_native(page, before, data);
      std::printf("cw %04x: after", control);
      for (size_t k = start_at; k < end; ++k) std::printf(" %02x", seq[k]);
      std::printf(
          " (status before %02x%02x): native sw %02x%02x tw %02x%02x, emulated sw %02x%02x "
          "tw %02x%02x, data %s\n",
          start.bytes[5], start.bytes[4], native.bytes[5], native.bytes[4], native.bytes[9],
          native.bytes[8], emulated.bytes[5], emulated.bytes[4], emulated.bytes[9],
          emulated.bytes[8],
          std::memcmp(native.data, emulated.data, kDataSize) ? "differs" : "same");
      break;
    }
  }
  munmap(page, 4096);
  CHECK(failures == 0);
}
#endif
