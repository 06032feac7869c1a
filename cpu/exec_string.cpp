// String instructions with their REP forms. Each iteration commits its register updates, so a
// fault in the middle leaves the state a real CPU leaves: the completed iterations done, EIP
// at the instruction, ready to resume.
#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <type_traits>

#include "cpu/handlers.hpp"

namespace x86lab::cpu {
namespace {

enum class Rep : uint8_t { None, Rep, Repe, Repne };

// REP MOVS and REP STOS forward with 32-bit addresses on flat memory: the elements up to the
// end of the page (of either operand) at once, through the host bytes, when the accesses need
// no check (flat segments, TLB hits; a page with decoded code or a watchpoint takes the slow
// path, as do MMIO and ROM). Returns how many elements it did, 0 when the caller must do the
// next one itself. Elements are copied as the CPU copies them, one after the other: a copy onto
// an overlapping destination above the source repeats the pattern, which memmove would not.
template <StringOp Op, typename T>
uint32_t bulk_chunk(Cpu& cpu, const Insn& insn, uint32_t count) {
  constexpr uint32_t kOffsetMask = bus::kPageSize - 1;
  const uint32_t di = cpu.gpr(kEdi);
  uint32_t n = std::min<uint32_t>(count, (bus::kPageSize - (di & kOffsetMask)) / sizeof(T));
  if (n == 0) return 0;
  uint8_t* const dst = cpu.fast_write_pointer<T>(kEs, di);
  if (!dst) return 0;
  if constexpr (Op == StringOp::Stos) {
    const T value = cpu.reg<T>(kEax);
    if constexpr (sizeof(T) == 1) {
      std::memset(dst, value, n);
    } else {
      for (uint32_t k = 0; k < n; ++k) bus::store_le<T>(dst + k * sizeof(T), value);
    }
  } else {
    const uint32_t si = cpu.gpr(kEsi);
    n = std::min<uint32_t>(n, (bus::kPageSize - (si & kOffsetMask)) / sizeof(T));
    if (n == 0) return 0;
    const uint8_t* const src = cpu.fast_read_pointer<T>(insn.seg, si);
    if (!src) return 0;
    const size_t bytes = size_t{n} * sizeof(T);
    if (dst > src && dst < src + bytes) {
      for (uint32_t k = 0; k < n; ++k) {
        bus::store_le<T>(dst + k * sizeof(T), bus::load_le<T>(src + k * sizeof(T)));
      }
    } else {
      std::memmove(dst, src, bytes);
    }
    cpu.gpr(kEsi) = si + n * sizeof(T);
  }
  cpu.gpr(kEdi) = di + n * sizeof(T);
  cpu.gpr(kEcx) -= n;
  return n;
}

template <StringOp Op, typename T, typename A, Rep R>
void string_op(Cpu& cpu, const Insn& insn) {
  const uint32_t step = cpu.df() ? static_cast<uint32_t>(-static_cast<int32_t>(sizeof(T)))
                                 : static_cast<uint32_t>(sizeof(T));
  auto advance = [&](unsigned index) {
    cpu.set_reg<A>(index, static_cast<A>(cpu.reg<A>(index) + step));
  };
  // The 286 steps an index register even when the access through it faults (its microcode
  // updates the pointer in parallel); later CPUs leave the registers for a clean restart.
  const bool steps_on_fault = cpu.model() == CpuModel::I80286;
  // Under REP it also counts CX down: once when a read faults, twice for a write, and for
  // CMPS not at all on its first read (all measured on a Harris 80C286).
  auto guarded = [&](auto&& access, std::initializer_list<unsigned> step_on_fault,
                     unsigned cx_steps = 1) {
    if (!steps_on_fault) return access();
    try {
      return access();
    } catch (const CpuFault&) {
      for (unsigned index : step_on_fault) advance(index);
      if constexpr (R != Rep::None)
        cpu.set_reg<A>(kEcx, static_cast<A>(cpu.reg<A>(kEcx) - cx_steps));
      throw;
    }
  };
  auto once = [&]() {
    const A si = cpu.reg<A>(kEsi);
    const A di = cpu.reg<A>(kEdi);
    switch (Op) {
      case StringOp::Movs: {
        const T value = guarded([&] { return cpu.read_mem<T>(insn.seg, si); }, {kEsi});
        guarded([&] { cpu.write_mem<T>(kEs, di, value); }, {kEsi, kEdi}, 2);
        advance(kEsi);
        advance(kEdi);
        break;
      }
      case StringOp::Cmps: {
        // The 286 reads ES:DI first; later CPUs fault on DS:SI first.
        T a, b;
        if (steps_on_fault) {
          b = guarded([&] { return cpu.read_mem<T>(kEs, di); }, {kEdi}, 0);
          a = guarded([&] { return cpu.read_mem<T>(insn.seg, si); }, {kEdi, kEsi});
        } else {
          a = cpu.read_mem<T>(insn.seg, si);
          b = cpu.read_mem<T>(kEs, di);
        }
        cpu.set_lazy<T>(FlagOp::Sub, static_cast<T>(a - b), a, b);
        advance(kEsi);
        advance(kEdi);
        break;
      }
      case StringOp::Stos:
        guarded([&] { cpu.write_mem<T>(kEs, di, cpu.reg<T>(kEax)); }, {kEdi}, 2);
        advance(kEdi);
        break;
      case StringOp::Lods:
        cpu.set_reg<T>(kEax, guarded([&] { return cpu.read_mem<T>(insn.seg, si); }, {kEsi}));
        advance(kEsi);
        break;
      case StringOp::Scas: {
        const T a = cpu.reg<T>(kEax);
        const T b = guarded([&] { return cpu.read_mem<T>(kEs, di); }, {kEdi});
        cpu.set_lazy<T>(FlagOp::Sub, static_cast<T>(a - b), a, b);
        advance(kEdi);
        break;
      }
      case StringOp::Ins: {
        const uint16_t port = cpu.reg<uint16_t>(kEdx);
        cpu.check_io_permission(port, sizeof(T));
        // Probe the destination first: a fault must not lose the port's data.
        guarded([&] { (void)cpu.read_mem<T>(kEs, di); }, {kEdi}, 2);
        cpu.write_mem<T>(kEs, di, static_cast<T>(cpu.port_read(port, sizeof(T))));
        advance(kEdi);
        break;
      }
      case StringOp::Outs: {
        const uint16_t port = cpu.reg<uint16_t>(kEdx);
        cpu.check_io_permission(port, sizeof(T));
        const T value = guarded([&] { return cpu.read_mem<T>(insn.seg, si); }, {kEsi});
        cpu.port_write(port, sizeof(T), value);
        advance(kEsi);
        break;
      }
    }
  };
  if constexpr (R == Rep::None) {
    once();
  } else {
    while (cpu.reg<A>(kEcx) != 0) {
      if constexpr ((Op == StringOp::Movs || Op == StringOp::Stos) && std::is_same_v<A, uint32_t>) {
        if (!cpu.df() && bulk_chunk<Op, T>(cpu, insn, cpu.gpr(kEcx)) != 0) continue;
      }
      once();
      cpu.set_reg<A>(kEcx, static_cast<A>(cpu.reg<A>(kEcx) - 1));
      if constexpr (Op == StringOp::Cmps || Op == StringOp::Scas) {
        if (R == Rep::Repe && !cpu.zf()) break;
        if (R == Rep::Repne && cpu.zf()) break;
      }
    }
  }
}

template <StringOp Op, typename T, typename A>
Handler for_rep(uint8_t rep_prefixes) {
  const bool compares = Op == StringOp::Cmps || Op == StringOp::Scas;
  if (rep_prefixes & prefix::kRepne) {
    return compares ? &string_op<Op, T, A, Rep::Repne> : &string_op<Op, T, A, Rep::Rep>;
  }
  if (rep_prefixes & prefix::kRep) {
    return compares ? &string_op<Op, T, A, Rep::Repe> : &string_op<Op, T, A, Rep::Rep>;
  }
  return &string_op<Op, T, A, Rep::None>;
}

template <StringOp Op, typename T>
Handler for_address(bool address32, uint8_t rep_prefixes) {
  return address32 ? for_rep<Op, T, uint32_t>(rep_prefixes)
                   : for_rep<Op, T, uint16_t>(rep_prefixes);
}

template <StringOp Op>
Handler for_size(unsigned size, bool address32, uint8_t rep_prefixes) {
  switch (size) {
    case 1:
      return for_address<Op, uint8_t>(address32, rep_prefixes);
    case 2:
      return for_address<Op, uint16_t>(address32, rep_prefixes);
    default:
      return for_address<Op, uint32_t>(address32, rep_prefixes);
  }
}

}  // namespace

Handler select_string(StringOp op, unsigned size, bool address32, uint8_t rep_prefixes) {
  switch (op) {
    case StringOp::Movs:
      return for_size<StringOp::Movs>(size, address32, rep_prefixes);
    case StringOp::Cmps:
      return for_size<StringOp::Cmps>(size, address32, rep_prefixes);
    case StringOp::Stos:
      return for_size<StringOp::Stos>(size, address32, rep_prefixes);
    case StringOp::Lods:
      return for_size<StringOp::Lods>(size, address32, rep_prefixes);
    case StringOp::Scas:
      return for_size<StringOp::Scas>(size, address32, rep_prefixes);
    case StringOp::Ins:
      return for_size<StringOp::Ins>(size, address32, rep_prefixes);
    case StringOp::Outs:
      return for_size<StringOp::Outs>(size, address32, rep_prefixes);
  }
  return nullptr;
}

}  // namespace x86lab::cpu
