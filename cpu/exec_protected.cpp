// The protected-mode system instructions: LLDT/SLDT, LTR/STR, LAR/LSL, VERR/VERW and ARPL.
// All of them are invalid (#UD) in real and virtual-8086 mode.
#include "cpu/handlers.hpp"

namespace x86lab::cpu {
namespace {

void require_protected(Cpu& cpu) {
  if (!cpu.protected_mode() || cpu.v86_mode()) raise_fault(Vector::InvalidOpcode);
}

void require_cpl0(Cpu& cpu) {
  if (cpu.cpl() != 0) raise_fault(Vector::GeneralProtection, 0);
}

// Reads a descriptor for LAR/LSL/VERR/VERW, which report a bad selector in ZF instead of
// faulting. Faults of the memory access itself (a page fault) still happen.
bool probe_descriptor(Cpu& cpu, uint16_t selector, Descriptor& out) {
  if ((selector & 0xFFFC) == 0) return false;
  const Registers& r = cpu.regs();
  const uint32_t limit = (selector & 4) ? (r.ldtr.rights ? r.ldtr.limit : 0) : r.gdtr.limit;
  if ((selector & 4) && r.ldtr.rights == 0) return false;
  if ((selector & 0xFFF8u) + 7 > limit) return false;
  out = cpu.read_descriptor(selector);
  return true;
}

// Visible to LAR/LSL/VERx at this CPL and RPL (conforming code always is).
bool visible(const Cpu& cpu, uint16_t selector, const Descriptor& d) {
  if (d.conforming()) return true;
  return d.dpl() >= cpu.cpl() && d.dpl() >= (selector & 3u);
}

void set_zf(Cpu& cpu, bool value) {
  cpu.materialize_flags();
  cpu.set_flag(flag::kZf, value);
}

template <typename T, Kind F, Kind>
struct StoreSystemSelector {  // SLDT (aux 0), STR (aux 1)
  static void run(Cpu& cpu, const Insn& insn) {
    require_protected(cpu);
    const uint16_t selector = insn.aux ? cpu.regs().tr.selector : cpu.regs().ldtr.selector;
    if constexpr (F == Kind::Mem) {
      cpu.write_mem<uint16_t>(insn.seg, cpu.effective_address(insn), selector);
    } else {
      cpu.set_reg<T>(insn.rm, static_cast<T>(selector));
    }
  }
};

template <typename T, Kind F, Kind>
struct LoadSystemSelector {  // LLDT (aux 0), LTR (aux 1)
  static void run(Cpu& cpu, const Insn& insn) {
    require_protected(cpu);
    require_cpl0(cpu);
    const uint16_t selector = read_first<uint16_t, F>(cpu, insn);
    if (insn.aux)
      cpu.load_task_register(selector);
    else
      cpu.load_ldt(selector);
  }
};

template <typename T, Kind F, Kind S>
struct LoadAccessOrLimit {  // LAR (aux 0), LSL (aux 1)
  static void run(Cpu& cpu, const Insn& insn) {
    require_protected(cpu);
    const uint16_t selector = read_second<uint16_t, S>(cpu, insn);
    Descriptor d;
    bool ok = probe_descriptor(cpu, selector, d) && visible(cpu, selector, d);
    if (ok && !d.is_segment()) {
      const uint8_t t = d.type();
      const bool tss_or_ldt = t == 1 || t == 2 || t == 3 || t == 9 || t == 0xB;
      const bool gate = t == 4 || t == 5 || t == 0xC;
      ok = insn.aux ? tss_or_ldt : (tss_or_ldt || gate);
    }
    set_zf(cpu, ok);
    if (!ok) return;
    const uint32_t value = insn.aux ? d.limit() : (d.high & 0x00F0FF00u);
    cpu.set_reg<T>(insn.rm, static_cast<T>(value));
  }
};

template <typename T, Kind F, Kind>
struct VerifySegment {  // VERR (aux 0), VERW (aux 1)
  static void run(Cpu& cpu, const Insn& insn) {
    require_protected(cpu);
    const uint16_t selector = read_first<uint16_t, F>(cpu, insn);
    Descriptor d;
    bool ok = probe_descriptor(cpu, selector, d) && d.is_segment() && visible(cpu, selector, d);
    if (ok) ok = insn.aux ? d.writable_data() : d.readable();
    set_zf(cpu, ok);
  }
};

template <typename T, Kind F, Kind>
struct AdjustRpl {
  static void run(Cpu& cpu, const Insn& insn) {
    require_protected(cpu);
    const uint16_t source = cpu.reg<uint16_t>(insn.reg);
    // The destination is written only when its RPL changes: real CPUs do not fault on an
    // unchanged selector in a read-only segment (test386.asm relies on it; Bochs differs).
    const uint32_t offset = F == Kind::Mem ? cpu.effective_address(insn) : 0;
    const uint16_t dest =
        F == Kind::Mem ? cpu.read_mem<uint16_t>(insn.seg, offset) : cpu.reg<uint16_t>(insn.rm);
    const bool adjusted = (dest & 3) < (source & 3);
    if (adjusted) {
      const uint16_t value = static_cast<uint16_t>((dest & ~3u) | (source & 3));
      if constexpr (F == Kind::Mem) {
        cpu.write_mem<uint16_t>(insn.seg, offset, value);
      } else {
        cpu.set_reg<uint16_t>(insn.rm, value);
      }
    }
    set_zf(cpu, adjusted);
  }
};

}  // namespace

Handler select_store_system_selector(unsigned size, Kind first) {
  return select_handler_wide<StoreSystemSelector>(size, first, Kind::None);
}
Handler select_load_system_selector(Kind first) {
  return select_handler_wide<LoadSystemSelector>(2, first, Kind::None);
}
Handler select_load_access_or_limit(unsigned size, Kind source) {
  return select_handler_wide<LoadAccessOrLimit>(size, Kind::Reg, source);
}
Handler select_verify_segment(Kind first) {
  return select_handler_wide<VerifySegment>(2, first, Kind::None);
}
Handler select_arpl(Kind first) { return select_handler_wide<AdjustRpl>(2, first, Kind::Reg); }

}  // namespace x86lab::cpu
