// FXSAVE and FXRSTOR (0F AE /0, /1): the x87 state in the 512-byte FXSAVE layout (SDM vol. 2,
// FXSAVE, table "Non-64-bit-Mode Layout of FXSAVE and FXRSTOR Memory Region").
//
// The CPU has no SSE: MXCSR and MXCSR_MASK are stored as zero (no bit of MXCSR exists, and a
// zero mask is what software reads as "no MXCSR"), FXRSTOR ignores them, and the XMM area and
// the reserved bytes 160-511 are neither written nor read. Neither instruction waits for a
// pending x87 exception, and FXSAVE leaves the FPU as it was (unlike FSAVE).
#include "cpu/cpu.hpp"
#include "cpu/x87_exec.hpp"

namespace x86lab::cpu {
namespace {

constexpr uint32_t kCr0Em = 1u << 2;
constexpr uint32_t kCr0Ts = 1u << 3;
constexpr uint32_t kRegisters = 32;  // ST0 at 32, each register in a 16-byte slot

// #NM by CR0.EM or CR0.TS, and #GP(0) for an area not aligned on 16 bytes.
uint32_t checked_area(Cpu& cpu, const Insn& insn) {
  if (cpu.regs().cr0 & (kCr0Em | kCr0Ts)) raise_fault(Vector::DeviceNotAvailable);
  const uint32_t offset = cpu.effective_address(insn);
  if ((cpu.regs().seg[insn.seg].base + offset) & 15) raise_fault(Vector::GeneralProtection, 0);
  return offset;
}

void fxsave(Cpu& cpu, const Insn& insn) {
  const uint32_t offset = checked_area(cpu, insn);
  const uint32_t mask = 0xFFFFFFFFu >> insn.ea_shift;
  const unsigned seg = insn.seg;
  auto at = [&](uint32_t k) { return (offset + k) & mask; };
  const X87State& s = cpu.x87();
  const unsigned top = (s.status >> 11) & 7;
  // The abridged tag: one bit a physical register, set when it is not empty.
  uint8_t abridged = 0;
  for (unsigned p = 0; p < 8; ++p) {
    if (((s.tag >> (2 * p)) & 3) != 3) abridged = static_cast<uint8_t>(abridged | (1u << p));
  }
  // Both ends first: a fault on either page then comes before anything is written.
  cpu.write_mem<uint16_t>(seg, at(0), s.control);
  cpu.write_mem<uint16_t>(seg, at(kRegisters + 7 * 16 + 14), 0);
  cpu.write_mem<uint16_t>(seg, at(2), s.status);
  cpu.write_mem<uint8_t>(seg, at(4), abridged);
  cpu.write_mem<uint8_t>(seg, at(5), 0);
  cpu.write_mem<uint16_t>(seg, at(6), static_cast<uint16_t>(s.last_opcode & 0x7FF));
  cpu.write_mem<uint32_t>(seg, at(8), s.last_ip);
  cpu.write_mem<uint16_t>(seg, at(12), s.last_cs);
  cpu.write_mem<uint16_t>(seg, at(14), 0);
  cpu.write_mem<uint32_t>(seg, at(16), s.last_data);
  cpu.write_mem<uint16_t>(seg, at(20), s.last_ds);
  cpu.write_mem<uint16_t>(seg, at(22), 0);
  cpu.write_mem<uint32_t>(seg, at(24), 0);  // MXCSR: none without SSE
  cpu.write_mem<uint32_t>(seg, at(28), 0);  // MXCSR_MASK
  for (unsigned i = 0; i < 8; ++i) {
    const Float80& v = s.st[(top + i) & 7];
    const uint32_t slot = kRegisters + 16 * i;
    cpu.write_mem<uint32_t>(seg, at(slot), static_cast<uint32_t>(v.significand));
    cpu.write_mem<uint32_t>(seg, at(slot + 4), static_cast<uint32_t>(v.significand >> 32));
    cpu.write_mem<uint16_t>(seg, at(slot + 8), v.sign_exponent);
    cpu.write_mem<uint16_t>(seg, at(slot + 10), 0);
    cpu.write_mem<uint32_t>(seg, at(slot + 12), 0);
  }
}

void fxrstor(Cpu& cpu, const Insn& insn) {
  const uint32_t offset = checked_area(cpu, insn);
  const uint32_t mask = 0xFFFFFFFFu >> insn.ea_shift;
  const unsigned seg = insn.seg;
  auto at = [&](uint32_t k) { return (offset + k) & mask; };
  // Everything is read before anything changes, so a fault leaves the FPU as it was.
  const uint16_t control = cpu.read_mem<uint16_t>(seg, at(0));
  const uint16_t status = cpu.read_mem<uint16_t>(seg, at(2));
  const uint8_t abridged = cpu.read_mem<uint8_t>(seg, at(4));
  const uint16_t opcode = cpu.read_mem<uint16_t>(seg, at(6));
  const uint32_t ip = cpu.read_mem<uint32_t>(seg, at(8));
  const uint16_t cs = cpu.read_mem<uint16_t>(seg, at(12));
  const uint32_t dp = cpu.read_mem<uint32_t>(seg, at(16));
  const uint16_t ds = cpu.read_mem<uint16_t>(seg, at(20));
  Float80 regs[8];
  for (unsigned i = 0; i < 8; ++i) {
    const uint32_t slot = kRegisters + 16 * i;
    regs[i].significand = cpu.read_mem<uint32_t>(seg, at(slot)) |
                          (uint64_t{cpu.read_mem<uint32_t>(seg, at(slot + 4))} << 32);
    regs[i].sign_exponent = cpu.read_mem<uint16_t>(seg, at(slot + 8));
  }
  X87State& s = cpu.x87();
  const unsigned top = (status >> 11) & 7;
  for (unsigned i = 0; i < 8; ++i) s.st[(top + i) & 7] = regs[i];
  // The full tag follows the contents of each non-empty register.
  uint16_t tag = 0;
  for (unsigned p = 0; p < 8; ++p) {
    const unsigned t = ((abridged >> p) & 1) ? x87_tag_of(s.st[p]) : 3;
    tag = static_cast<uint16_t>(tag | (t << (2 * p)));
  }
  s.control = static_cast<uint16_t>((control & 0x1F3F) | 0x0040);
  s.status = status;
  s.tag = tag;
  s.last_opcode = static_cast<uint16_t>(opcode & 0x7FF);
  s.last_ip = ip;
  s.last_cs = cs;
  s.last_data = dp;
  s.last_ds = ds;
  x87_refresh_error_summary(cpu);
}

}  // namespace

Handler x87_fxsave_handler(bool restore) { return restore ? &fxrstor : &fxsave; }

}  // namespace x86lab::cpu
