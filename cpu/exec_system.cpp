// Flag instructions, PUSHF/POPF, port I/O, HLT/WAIT/NOP, the no-coprocessor escape, and the
// system instructions (descriptor-table registers, control and debug registers, CPUID,
// RDTSC, MSRs).
#include "cpu/handlers.hpp"

namespace x86lab::cpu {
namespace {

void require_cpl0(Cpu& cpu) {
  if (cpu.protected_mode() && (cpu.v86_mode() || cpu.cpl() != 0)) {
    raise_fault(Vector::GeneralProtection, 0);
  }
}

unsigned iopl(Cpu& cpu) { return (cpu.stored_flags() & flag::kIopl) >> 12; }

// CLI/STI in protected mode need CPL <= IOPL (and IOPL 3 in V86 mode).
void require_iopl(Cpu& cpu) {
  if (cpu.protected_mode() && (cpu.v86_mode() ? iopl(cpu) < 3 : cpu.cpl() > iopl(cpu))) {
    raise_fault(Vector::GeneralProtection, 0);
  }
}

void clc(Cpu& cpu, const Insn&) {
  cpu.materialize_flags();
  cpu.set_flag(flag::kCf, false);
}
void stc(Cpu& cpu, const Insn&) {
  cpu.materialize_flags();
  cpu.set_flag(flag::kCf, true);
}
void cmc(Cpu& cpu, const Insn&) {
  const bool carry = cpu.cf();
  cpu.materialize_flags();
  cpu.set_flag(flag::kCf, !carry);
}
void cld(Cpu& cpu, const Insn&) { cpu.set_flag(flag::kDf, false); }
void std_(Cpu& cpu, const Insn&) { cpu.set_flag(flag::kDf, true); }
void cli(Cpu& cpu, const Insn&) {
  require_iopl(cpu);
  cpu.set_flag(flag::kIf, false);
}
void sti(Cpu& cpu, const Insn&) {
  require_iopl(cpu);
  // Interrupts stay off for one more instruction after STI.
  if (!(cpu.stored_flags() & flag::kIf)) cpu.inhibit_interrupts();
  cpu.set_flag(flag::kIf, true);
  cpu.request_block_exit();
}

template <typename T>
void pushf(Cpu& cpu, const Insn&) {
  if (cpu.v86_mode() && iopl(cpu) < 3) raise_fault(Vector::GeneralProtection, 0);
  // The image never shows VM or RF.
  cpu.push<T>(static_cast<T>(cpu.eflags() & ~(flag::kVm | flag::kRf)));
}

template <typename T>
void popf(Cpu& cpu, const Insn&) {
  if (cpu.v86_mode() && iopl(cpu) < 3) raise_fault(Vector::GeneralProtection, 0);
  const uint32_t value = cpu.peek_stack<T>(0);
  uint32_t changeable =
      sizeof(T) == 2 ? 0xFFFFu : ~(flag::kVm | flag::kRf | flag::kVif | flag::kVip);
  if (cpu.protected_mode()) {
    if (cpu.v86_mode() || cpu.cpl() > 0) changeable &= ~flag::kIopl;
    if (!cpu.v86_mode() && cpu.cpl() > iopl(cpu)) changeable &= ~flag::kIf;
  }
  cpu.adjust_sp(sizeof(T));
  cpu.set_eflags((cpu.eflags() & ~changeable) | (value & changeable));
  cpu.request_block_exit();  // TF or IF may have changed
}

template <typename T, bool PortInDx>
void in(Cpu& cpu, const Insn& insn) {
  const uint16_t port = PortInDx ? cpu.reg<uint16_t>(kEdx) : static_cast<uint16_t>(insn.imm & 0xFF);
  cpu.check_io_permission(port, sizeof(T));
  cpu.set_reg<T>(kEax, static_cast<T>(cpu.port_read(port, sizeof(T))));
}

template <typename T, bool PortInDx>
void out(Cpu& cpu, const Insn& insn) {
  const uint16_t port = PortInDx ? cpu.reg<uint16_t>(kEdx) : static_cast<uint16_t>(insn.imm & 0xFF);
  cpu.check_io_permission(port, sizeof(T));
  cpu.port_write(port, sizeof(T), cpu.reg<T>(kEax));
  cpu.request_block_exit();  // a device may have raised an interrupt or stopped the machine
}

template <bool PortInDx>
Handler in_for(unsigned size) {
  switch (size) {
    case 1:
      return &in<uint8_t, PortInDx>;
    case 2:
      return &in<uint16_t, PortInDx>;
    default:
      return &in<uint32_t, PortInDx>;
  }
}

template <bool PortInDx>
Handler out_for(unsigned size) {
  switch (size) {
    case 1:
      return &out<uint8_t, PortInDx>;
    case 2:
      return &out<uint16_t, PortInDx>;
    default:
      return &out<uint32_t, PortInDx>;
  }
}

void nop(Cpu&, const Insn&) {}

void hlt(Cpu& cpu, const Insn&) {
  require_cpl0(cpu);
  cpu.halt();
}

void wait(Cpu& cpu, const Insn&) {
  const uint32_t cr0 = cpu.regs().cr0;
  if ((cr0 & 0x2) && (cr0 & 0x8)) raise_fault(Vector::DeviceNotAvailable);  // MP and TS
  if (cpu.model() == CpuModel::PentiumPro) x87_check_pending(cpu);          // a pending #MF
}

// A coprocessor instruction with no coprocessor present: the CPU computes the address and
// does nothing else, unless CR0.EM or CR0.TS asks for a trap.
// The 286 still runs the operand's bus cycles, so an operand past the segment limit faults.
void escape(Cpu& cpu, const Insn& insn) {
  const uint32_t cr0 = cpu.regs().cr0;
  if (cr0 & 0xC) raise_fault(Vector::DeviceNotAvailable);  // EM or TS
  if (insn.aux && cpu.model() == CpuModel::I80286) {
    (void)cpu.read_mem<uint16_t>(insn.seg, cpu.effective_address(insn));
  }
}

void invalid_opcode(Cpu&, const Insn&) { raise_fault(Vector::InvalidOpcode); }

void general_protection0(Cpu&, const Insn&) { raise_fault(Vector::GeneralProtection, 0); }

// 8086 opcode 0F: POP CS.
void pop_cs_8086(Cpu& cpu, const Insn&) {
  const uint16_t selector = cpu.pop<uint16_t>();
  cpu.load_segment_real(kCs, selector);
  cpu.request_block_exit();
}

// CPUID.1:EDX, exactly what is implemented (docs/cpu.md lists why each bit is or is not
// claimed). Not claimed: VME (no virtual-interrupt extensions), MCE/MCA (no machine-check
// architecture), PAE, APIC (the machine has no local APIC), MTRR, PAT, PSE-36, MMX.
namespace cpuid_bit {
constexpr uint32_t kFpu = 1u << 0;
constexpr uint32_t kDe = 1u << 2;    // debug extensions: CR4.DE, I/O breakpoints, DR4/DR5 #UD
constexpr uint32_t kPse = 1u << 3;   // 4 MiB pages, CR4.PSE
constexpr uint32_t kTsc = 1u << 4;   // RDTSC, CR4.TSD
constexpr uint32_t kMsr = 1u << 5;   // RDMSR/WRMSR
constexpr uint32_t kCx8 = 1u << 8;   // CMPXCHG8B
constexpr uint32_t kSep = 1u << 11;  // SYSENTER/SYSEXIT and their MSRs
constexpr uint32_t kPge = 1u << 13;  // global pages, CR4.PGE
constexpr uint32_t kCmov = 1u << 15;
constexpr uint32_t kFxsr = 1u << 24;  // FXSAVE/FXRSTOR, CR4.OSFXSR (no SSE: docs/cpu.md)  // CMOVcc
                                      // (and FCMOVcc/FCOMI with the FPU)
}  // namespace cpuid_bit
constexpr uint32_t kCpuidFeatures =
    cpuid_bit::kFpu | cpuid_bit::kDe | cpuid_bit::kPse | cpuid_bit::kTsc | cpuid_bit::kMsr |
    cpuid_bit::kCx8 | cpuid_bit::kSep | cpuid_bit::kPge | cpuid_bit::kCmov | cpuid_bit::kFxsr;

void cpuid(Cpu& cpu, const Insn&) {
  uint32_t a = 0, b = 0, c = 0, d = 0;
  switch (cpu.gpr(kEax)) {
    case 0:
      a = 1;
      b = 0x756E6547;  // "GenuineIntel"
      d = 0x49656E69;
      c = 0x6C65746E;
      break;
    case 1:
      a = 0x0619;  // family 6, model 1, stepping 9: a Pentium Pro
      d = kCpuidFeatures;
      break;
    default:
      break;
  }
  cpu.gpr(kEax) = a;
  cpu.gpr(kEbx) = b;
  cpu.gpr(kEcx) = c;
  cpu.gpr(kEdx) = d;
}

void rdtsc(Cpu& cpu, const Insn&) {
  if ((cpu.regs().cr4 & 0x4) && cpu.protected_mode() && cpu.cpl() != 0) {
    raise_fault(Vector::GeneralProtection, 0);  // CR4.TSD
  }
  const uint64_t tsc = cpu.time_stamp_counter();
  cpu.gpr(kEax) = static_cast<uint32_t>(tsc);
  cpu.gpr(kEdx) = static_cast<uint32_t>(tsc >> 32);
}

void rdmsr(Cpu& cpu, const Insn&) {
  require_cpl0(cpu);
  uint64_t value;
  if (!cpu.read_msr(cpu.gpr(kEcx), value)) raise_fault(Vector::GeneralProtection, 0);
  cpu.gpr(kEax) = static_cast<uint32_t>(value);
  cpu.gpr(kEdx) = static_cast<uint32_t>(value >> 32);
}

void wrmsr(Cpu& cpu, const Insn&) {
  require_cpl0(cpu);
  const uint64_t value = (uint64_t{cpu.gpr(kEdx)} << 32) | cpu.gpr(kEax);
  if (!cpu.write_msr(cpu.gpr(kEcx), value)) raise_fault(Vector::GeneralProtection, 0);
}

void cache_flush(Cpu& cpu, const Insn&) { require_cpl0(cpu); }  // INVD, WBINVD: no cache

void sysenter(Cpu& cpu, const Insn&) { cpu.sysenter(); }
void sysexit(Cpu& cpu, const Insn&) { cpu.sysexit(); }

void rdpmc(Cpu& cpu, const Insn&) {
  if (!(cpu.regs().cr4 & 0x100) && cpu.protected_mode() && (cpu.v86_mode() || cpu.cpl() != 0)) {
    raise_fault(Vector::GeneralProtection, 0);  // CR4.PCE
  }
  uint64_t value;
  if (!cpu.read_performance_counter(cpu.gpr(kEcx), value))
    raise_fault(Vector::GeneralProtection, 0);
  cpu.gpr(kEax) = static_cast<uint32_t>(value);
  cpu.gpr(kEdx) = static_cast<uint32_t>(value >> 32) & 0xFF;
}

void invlpg(Cpu& cpu, const Insn& insn) {
  require_cpl0(cpu);
  cpu.mmu().invalidate_page(cpu.regs().seg[insn.seg].base + cpu.effective_address(insn));
}

// LGDT/LIDT take a 6-byte operand; with a 16-bit operand size only 24 bits of base load.
template <bool Idt>
void load_descriptor_table(Cpu& cpu, const Insn& insn) {
  require_cpl0(cpu);
  const uint32_t offset = cpu.effective_address(insn);
  const uint16_t limit = cpu.read_mem<uint16_t>(insn.seg, offset);
  uint32_t base = cpu.read_mem<uint32_t>(insn.seg, (offset + 2) & (0xFFFFFFFFu >> insn.ea_shift));
  if (!(insn.prefixes & prefix::kO32)) base &= 0x00FFFFFF;
  DescriptorTable& table = Idt ? cpu.regs().idtr : cpu.regs().gdtr;
  table.base = base;
  table.limit = limit;
}

template <bool Idt>
void store_descriptor_table(Cpu& cpu, const Insn& insn) {
  const DescriptorTable& table = Idt ? cpu.regs().idtr : cpu.regs().gdtr;
  const uint32_t offset = cpu.effective_address(insn);
  uint32_t base = table.base;
  // A 286 stores 0xFF in the unused top byte; later CPUs store 0 with a 16-bit operand.
  if (!(insn.prefixes & prefix::kO32)) {
    base = (base & 0x00FFFFFF) | (cpu.model() == CpuModel::I80286 ? 0xFF000000u : 0);
  }
  cpu.write_mem<uint16_t>(insn.seg, offset, table.limit);
  cpu.write_mem<uint32_t>(insn.seg, (offset + 2) & (0xFFFFFFFFu >> insn.ea_shift), base);
}

// LMSW, SMSW and MOV to/from CRn with a register operand keep the register in insn.rm;
// aux bit 7 says the operand is in memory.
constexpr uint8_t kMemoryOperand = 0x80;

void lmsw(Cpu& cpu, const Insn& insn) {
  require_cpl0(cpu);
  const uint16_t value = (insn.aux & kMemoryOperand)
                             ? cpu.read_mem<uint16_t>(insn.seg, cpu.effective_address(insn))
                             : cpu.reg<uint16_t>(insn.rm);
  // LMSW sets PE but cannot clear it; it touches only PE, MP, EM, TS.
  const uint32_t cr0 = cpu.regs().cr0;
  cpu.write_cr0((cr0 & ~0xEu) | (value & 0xF) | (cr0 & 1));
}

void smsw(Cpu& cpu, const Insn& insn) {
  uint32_t msw = cpu.regs().cr0;
  if (cpu.model() == CpuModel::I80286) msw |= 0xFFF0;
  if (insn.aux & kMemoryOperand) {
    cpu.write_mem<uint16_t>(insn.seg, cpu.effective_address(insn), static_cast<uint16_t>(msw));
  } else if (insn.prefixes & prefix::kO32) {
    cpu.gpr(insn.rm) = msw;
  } else {
    cpu.set_reg<uint16_t>(insn.rm, static_cast<uint16_t>(msw));
  }
}

void clts(Cpu& cpu, const Insn&) {
  require_cpl0(cpu);
  cpu.regs().cr0 &= ~0x8u;
}

void mov_to_cr(Cpu& cpu, const Insn& insn) {
  require_cpl0(cpu);
  const uint32_t value = cpu.gpr(insn.reg);
  switch (insn.aux) {
    case 0:
      cpu.write_cr0(value);
      break;
    case 2:
      cpu.regs().cr2 = value;
      break;
    case 3:
      cpu.write_cr3(value);
      break;
    case 4:
      if (cpu.model() != CpuModel::PentiumPro) raise_fault(Vector::InvalidOpcode);  // no CR4
      cpu.write_cr4(value);
      break;
    default:
      raise_fault(Vector::InvalidOpcode);
  }
}

void mov_from_cr(Cpu& cpu, const Insn& insn) {
  require_cpl0(cpu);
  const Registers& r = cpu.regs();
  uint32_t value;
  switch (insn.aux) {
    case 0:
      value = r.cr0;
      break;
    case 2:
      value = r.cr2;
      break;
    case 3:
      value = r.cr3;
      break;
    case 4:
      if (cpu.model() != CpuModel::PentiumPro) raise_fault(Vector::InvalidOpcode);
      value = r.cr4;
      break;
    default:
      raise_fault(Vector::InvalidOpcode);
  }
  cpu.gpr(insn.rm) = value;
}

void mov_to_dr(Cpu& cpu, const Insn& insn) {
  require_cpl0(cpu);
  cpu.write_debug_register(insn.aux, cpu.gpr(insn.reg));
}

void mov_from_dr(Cpu& cpu, const Insn& insn) {
  require_cpl0(cpu);
  cpu.gpr(insn.rm) = cpu.read_debug_register(insn.aux);
}

}  // namespace

Handler select_in(unsigned size, bool port_in_dx) {
  return port_in_dx ? in_for<true>(size) : in_for<false>(size);
}
Handler select_out(unsigned size, bool port_in_dx) {
  return port_in_dx ? out_for<true>(size) : out_for<false>(size);
}
Handler select_pushf(unsigned size) { return size == 2 ? &pushf<uint16_t> : &pushf<uint32_t>; }
Handler select_popf(unsigned size) { return size == 2 ? &popf<uint16_t> : &popf<uint32_t>; }
Handler select_flag_op(unsigned opcode) {
  switch (opcode) {
    case 0xF5:
      return &cmc;
    case 0xF8:
      return &clc;
    case 0xF9:
      return &stc;
    case 0xFA:
      return &cli;
    case 0xFB:
      return &sti;
    case 0xFC:
      return &cld;
    case 0xFD:
      return &std_;
    default:
      return nullptr;
  }
}

const Handler kNop = &nop;
const Handler kHlt = &hlt;
const Handler kWait = &wait;
const Handler kEscape = &escape;
const Handler kInvalidOpcode = &invalid_opcode;
const Handler kPopCs8086 = &pop_cs_8086;
const Handler kCpuid = &cpuid;
const Handler kRdtsc = &rdtsc;
const Handler kRdmsr = &rdmsr;
const Handler kWrmsr = &wrmsr;
const Handler kCacheFlush = &cache_flush;
const Handler kInvlpg = &invlpg;
const Handler kSysenter = &sysenter;
const Handler kSysexit = &sysexit;
const Handler kRdpmc = &rdpmc;
const Handler kLgdt = &load_descriptor_table<false>;
const Handler kLidt = &load_descriptor_table<true>;
const Handler kSgdt = &store_descriptor_table<false>;
const Handler kSidt = &store_descriptor_table<true>;
const Handler kLmsw = &lmsw;
const Handler kSmsw = &smsw;
const Handler kClts = &clts;
const Handler kMovToCr = &mov_to_cr;
const Handler kMovFromCr = &mov_from_cr;
const Handler kMovToDr = &mov_to_dr;
const Handler kMovFromDr = &mov_from_dr;
const Handler kGeneralProtection0 = &general_protection0;

}  // namespace x86lab::cpu
