// Decimal adjust and ASCII adjust instructions. The 8086 adjusts AL and AH separately in
// AAA/AAS; the 286 and later add to AX as a whole.
#include <bit>

#include "cpu/handlers.hpp"

namespace x86lab::cpu {
namespace {

uint32_t szp8(uint8_t r) {
  return (r == 0 ? flag::kZf : 0) | ((r & 0x80) ? flag::kSf : 0) |
         ((std::popcount(unsigned{r}) & 1) ? 0 : flag::kPf);
}

void daa(Cpu& cpu, const Insn&) {
  const uint8_t old_al = cpu.reg<uint8_t>(0);
  const bool old_cf = cpu.cf();
  const bool old_af = cpu.af();
  uint8_t al = old_al;
  bool carry = false;
  bool aux = false;
  if ((al & 0x0F) > 9 || old_af) {
    carry = old_cf || al > 0xF9;
    al = static_cast<uint8_t>(al + 6);
    aux = true;
  }
  // The 8086 compares against 0x9F when AF was set (it tests AL after the low adjustment).
  const uint8_t threshold = (cpu.model() == CpuModel::I8086 && old_af) ? 0x9F : 0x99;
  if (old_al > threshold || old_cf) {
    al = static_cast<uint8_t>(al + 0x60);
    carry = true;
  }
  cpu.set_reg<uint8_t>(0, al);
  const bool overflow = !(old_al & 0x80) && (al & 0x80);
  cpu.set_arith_flags(szp8(al) | (carry ? flag::kCf : 0) | (aux ? flag::kAf : 0) |
                      (overflow ? flag::kOf : 0));
}

void das(Cpu& cpu, const Insn&) {
  const uint8_t old_al = cpu.reg<uint8_t>(0);
  const bool old_cf = cpu.cf();
  const bool old_af = cpu.af();
  uint8_t al = old_al;
  bool carry = false;
  bool aux = false;
  if ((al & 0x0F) > 9 || old_af) {
    // Later CPUs carry the borrow of this step into CF; the 8086 does not.
    carry = old_cf || (al < 6 && cpu.model() != CpuModel::I8086);
    al = static_cast<uint8_t>(al - 6);
    aux = true;
  }
  const uint8_t threshold = (cpu.model() == CpuModel::I8086 && old_af) ? 0x9F : 0x99;
  if (old_al > threshold || old_cf) {
    al = static_cast<uint8_t>(al - 0x60);
    carry = true;
  }
  cpu.set_reg<uint8_t>(0, al);
  const bool overflow = (old_al & 0x80) && !(al & 0x80);
  cpu.set_arith_flags(szp8(al) | (carry ? flag::kCf : 0) | (aux ? flag::kAf : 0) |
                      (overflow ? flag::kOf : 0));
}

template <bool Add>
void ascii_adjust(Cpu& cpu, const Insn&) {
  uint8_t al = cpu.reg<uint8_t>(0);
  uint8_t ah = cpu.reg<uint8_t>(4);
  const bool adjust = (al & 0x0F) > 9 || cpu.af();
  if (adjust) {
    if (cpu.model() == CpuModel::I8086) {
      al = static_cast<uint8_t>(Add ? al + 6 : al - 6);
      ah = static_cast<uint8_t>(Add ? ah + 1 : ah - 1);
    } else {
      uint16_t ax = static_cast<uint16_t>((ah << 8) | al);
      ax = static_cast<uint16_t>(Add ? ax + 0x106 : ax - 6);
      al = static_cast<uint8_t>(ax);
      ah = static_cast<uint8_t>(Add ? ax >> 8 : (ax >> 8) - 1);
    }
  }
  const uint8_t result = static_cast<uint8_t>(al & 0x0F);
  cpu.set_reg<uint8_t>(0, result);
  cpu.set_reg<uint8_t>(4, ah);
  cpu.set_arith_flags(szp8(al) | (adjust ? flag::kAf | flag::kCf : 0));
}

void aam(Cpu& cpu, const Insn& insn) {
  const uint8_t base = static_cast<uint8_t>(insn.imm);
  if (base == 0) {
    // The 8086 has already set the flags as for a zero result when it finds the divisor zero.
    // The 286 leaves SF and ZF clear and PF set (measured on a Harris 80C286).
    if (cpu.model() == CpuModel::I8086) {
      cpu.set_arith_flags((cpu.eflags() & (flag::kCf | flag::kAf | flag::kOf)) | szp8(0));
    } else if (cpu.model() == CpuModel::I80286) {
      cpu.set_arith_flags((cpu.eflags() & (flag::kCf | flag::kAf | flag::kOf)) | flag::kPf);
    }
    throw CpuFault{static_cast<uint8_t>(Vector::DivideError), false, 0,
                   cpu.model() == CpuModel::I8086};
  }
  const uint8_t al = cpu.reg<uint8_t>(0);
  const uint8_t quotient = static_cast<uint8_t>(al / base);
  const uint8_t remainder = static_cast<uint8_t>(al % base);
  cpu.set_reg<uint8_t>(4, quotient);
  cpu.set_reg<uint8_t>(0, remainder);
  cpu.set_arith_flags(szp8(remainder));
}

void aad(Cpu& cpu, const Insn& insn) {
  const uint8_t base = static_cast<uint8_t>(insn.imm);
  const uint8_t al = cpu.reg<uint8_t>(0);
  const uint8_t product = static_cast<uint8_t>(cpu.reg<uint8_t>(4) * base);
  const uint8_t result = static_cast<uint8_t>(al + product);
  cpu.set_reg<uint16_t>(kEax, result);
  // The undefined flags come out as those of the final 8-bit addition.
  cpu.set_lazy<uint8_t>(FlagOp::Add, result, al, product);
}

}  // namespace

const Handler kDaa = &daa;
const Handler kDas = &das;
const Handler kAaa = &ascii_adjust<true>;
const Handler kAas = &ascii_adjust<false>;
const Handler kAam = &aam;
const Handler kAad = &aad;

}  // namespace x86lab::cpu
