// libFuzzer target: the CPU on the bare machine (RAM, a ROM at the top of 4 GiB, the debug
// console and isa-debug-exit, no host I/O) runs guest code and machine state taken from the
// input, in real mode, in 16- or 32-bit protected mode with paging, at CPL 0 or 3, or in V86
// mode, for a bounded number of instructions.
//
// Input layout (missing bytes read as zero; docs/security.md says what the fuzzers check):
//   0      mode: 0 real, 1 protected 32-bit with paging, 2 protected 16-bit, 3 V86 (mod 4)
//   1      CPU model: 0 8086, 1 286, 2 386, 3 Pentium Pro (mod 4; protected mode needs a 286,
//          paging and V86 a 386)
//   2      bit 0 CPL 3 (protected modes), bit 1 CR0.WP, bit 2 CR4.PSE, bit 3 CR4.PGE,
//          bit 4 gates are DPL 3, bit 5 trap gates instead of interrupt gates,
//          bit 6 IOPL 3, bit 7 the I/O bitmap denies every port
//   3      instruction budget: 16 + 2 * this byte (up to 526; a fault costs ~20 us under
//          ASan, and random code faults often)
//   4-7    EFLAGS (arithmetic flags, TF, IF, DF, AC; IOPL from byte 2)
//   8-39   EAX..EDI (ESP only in real mode; the protected modes use their stacks)
//   40-47  pages 0-63 not present (bit n: page n, 0x0000-0x3FFFF)
//   48-55  pages 0-63 supervisor-only
//   56-63  pages 0-63 read-only
//   64-71  DS, ES, FS, GS selectors (V86 and real mode only: protected modes start flat)
//   72-73  code length (the rest of the input after the code is patches)
//   74...  code, loaded at 0x10000; each handler of the IVT and IDT points into it
//   then   patches of 3 bytes: a 16-bit address in the first 64 KiB (the system tables)
//          and the byte to put there, so descriptors, gates, the TSS and page tables vary
//
// Invariants checked after every run: the run stops within its budget; CPL agrees with the
// mode and CS.RPL; EFLAGS' fixed bits are as the model defines them; V86 segments are
// selector * 16 with a 64 KiB limit; CR0.PG implies CR0.PE; and running the same input on a
// second fresh machine ends in the same registers, flags, instruction count and memory.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "cpu/cpu.hpp"
#include "cpu/fault.hpp"
#include "machine/bare_machine.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

using namespace x86lab;
using cpu::CpuModel;

constexpr uint32_t kRamBytes = 2u << 20;  // paging maps 4 MiB: the top half is a hole
constexpr uint32_t kGdt = 0x0800;
constexpr uint32_t kIdt = 0x1000;
constexpr uint32_t kTaskGateTss = 0x2000;
constexpr uint32_t kTss = 0x3000;
constexpr uint32_t kIoBitmap = kTss + 0x68;  // 8 KiB of bits and the closing 0xFF byte
constexpr uint32_t kLdt = 0x6000;
constexpr uint32_t kPageDirectory = 0x7000;
constexpr uint32_t kPageTableLow = 0x8000;
constexpr uint32_t kPageTableTop = 0x9000;
constexpr uint32_t kEntryStub = 0xF000;  // IRETD into the target context
constexpr uint32_t kCode = 0x10000;
constexpr uint32_t kMaxCode = 0x1000;
constexpr uint32_t kRing0Stack = 0x9F000;
constexpr uint32_t kRing3Stack = 0x8F000;
constexpr uint32_t kTaskStack = 0x9E000;
constexpr size_t kMaxPatches = 256;

// GDT selectors.
enum : uint16_t {
  kCode32 = 0x08,
  kData32 = 0x10,
  kCode16 = 0x18,
  kData16 = 0x20,
  kUserCode32 = 0x28 | 3,
  kUserData32 = 0x30 | 3,
  kTssSelector = 0x38,
  kLdtSelector = 0x40,
  kCallGate = 0x48,
  kConformingCode = 0x50,
  kExpandDownData = 0x58,
  kTaskGateTssSelector = 0x60,
  kSmallData = 0x68,
  kUserCode16 = 0x70 | 3,
  kUserReadOnly = 0x78 | 3,
};
constexpr uint16_t kGdtEntries = 16;

uint64_t segment(uint32_t base, uint32_t limit, uint8_t access, bool big, bool granular) {
  const uint32_t raw_limit = granular ? limit >> 12 : limit;
  const uint32_t low = (raw_limit & 0xFFFF) | (base << 16);
  const uint32_t high = ((base >> 16) & 0xFF) | (uint32_t{access} << 8) | (raw_limit & 0xF0000) |
                        (big ? 1u << 22 : 0) | (granular ? 1u << 23 : 0) | (base & 0xFF000000);
  return (uint64_t{high} << 32) | low;
}

uint64_t gate(uint16_t selector, uint32_t offset, uint8_t access, uint8_t parameters = 0) {
  const uint32_t low = (offset & 0xFFFF) | (uint32_t{selector} << 16);
  const uint32_t high = (offset & 0xFFFF0000) | (uint32_t{access} << 8) | (parameters & 0x1F);
  return (uint64_t{high} << 32) | low;
}

struct Setup {
  uint8_t mode = 0;
  CpuModel model = CpuModel::PentiumPro;
  uint8_t options = 0;
  uint64_t budget = 16;
  uint32_t eflags = 0;
  std::array<uint32_t, 8> gpr{};
  uint64_t not_present = 0, supervisor = 0, read_only = 0;
  std::array<uint16_t, 4> data_selectors{};
  std::vector<uint8_t> code;
  std::vector<std::pair<uint16_t, uint8_t>> patches;
};

Setup parse(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  Setup s;
  s.mode = in.take<uint8_t>() % 4;
  s.model = static_cast<CpuModel>(in.take<uint8_t>() % 4);
  s.options = in.take<uint8_t>();
  s.budget = 16 + uint64_t{in.take<uint8_t>()} * 2;
  s.eflags = in.take<uint32_t>();
  for (auto& r : s.gpr) r = in.take<uint32_t>();
  s.not_present = in.take<uint64_t>();
  s.supervisor = in.take<uint64_t>();
  s.read_only = in.take<uint64_t>();
  for (auto& sel : s.data_selectors) sel = in.take<uint16_t>();
  const uint16_t code_length = in.take<uint16_t>();
  const auto code = in.take_bytes(code_length % (kMaxCode + 1));
  s.code.assign(code.begin(), code.end());
  while (in.remaining() >= 3 && s.patches.size() < kMaxPatches) {
    const auto address = in.take<uint16_t>();
    s.patches.emplace_back(address, in.take<uint8_t>());
  }
  // Protected mode exists from the 286 on; paging and V86 from the 386 on.
  if (s.mode != 0 && s.model == CpuModel::I8086) s.model = CpuModel::I80286;
  if ((s.mode == 1 || s.mode == 3) && s.model == CpuModel::I80286) s.model = CpuModel::I80386;
  return s;
}

// Where the handler of a vector starts: spread over the code, so a fault runs more of it.
uint32_t handler_offset(unsigned vector, size_t code_length) {
  return code_length == 0 ? 0 : static_cast<uint32_t>((vector * 13u) % code_length);
}

void write_tables(bus::PhysicalMemory& m, const Setup& s) {
  auto put64 = [&](uint32_t at, uint64_t value) {
    m.write<uint32_t>(at, static_cast<uint32_t>(value));
    m.write<uint32_t>(at + 4, static_cast<uint32_t>(value >> 32));
  };
  const size_t code_length = s.code.size();

  // Real-mode IVT: every vector into the code at 1000:xxxx.
  for (unsigned v = 0; v < 256; ++v) {
    m.write<uint16_t>(v * 4, static_cast<uint16_t>(handler_offset(v, code_length)));
    m.write<uint16_t>(v * 4 + 2, kCode >> 4);
  }

  // GDT.
  const std::array<uint64_t, kGdtEntries> gdt = {
      0,
      segment(0, 0xFFFFFFFF, 0x9B, true, true),         // kCode32
      segment(0, 0xFFFFFFFF, 0x93, true, true),         // kData32
      segment(kCode, 0xFFFF, 0x9B, false, false),       // kCode16
      segment(0, 0xFFFF, 0x93, false, false),           // kData16
      segment(0, 0xFFFFFFFF, 0xFB, true, true),         // kUserCode32
      segment(0, 0xFFFFFFFF, 0xF3, true, true),         // kUserData32
      segment(kTss, 0x68 + 8192, 0x89, false, false),   // kTssSelector
      segment(kLdt, 0xFF, 0x82, false, false),          // kLdtSelector
      gate(kCode32, kCode + 0x40, 0xEC, 2),             // kCallGate (DPL 3, 2 params)
      segment(0, 0xFFFFFFFF, 0x9F, true, true),         // kConformingCode
      segment(0, 0x0FFF, 0x97, false, false),           // kExpandDownData
      segment(kTaskGateTss, 0x67, 0x89, false, false),  // kTaskGateTssSelector
      segment(kCode, 0x00FF, 0x93, false, false),       // kSmallData
      segment(kCode, 0xFFFF, 0xFB, false, false),       // kUserCode16
      segment(0, 0xFFFFF, 0xF1, false, false),          // kUserReadOnly
  };
  for (unsigned i = 0; i < kGdtEntries; ++i) put64(kGdt + i * 8, gdt[i]);

  // LDT: a data and a code segment, and a 16-bit call gate.
  put64(kLdt + 0, segment(0x20000, 0xFFFF, 0xF3, false, false));
  put64(kLdt + 8, segment(kCode, 0xFFFF, 0xFB, true, false));
  put64(kLdt + 16, gate(kCode16, 0x80, 0xE4, 1));

  // IDT: gates into the code; #DF through a task gate.
  const bool code32 = s.mode == 1 || s.mode == 3;
  const uint8_t dpl = (s.options & 0x10) ? 0x60 : 0;
  const uint8_t type =
      code32 ? ((s.options & 0x20) ? 0x8F : 0x8E) : ((s.options & 0x20) ? 0x87 : 0x86);
  for (unsigned v = 0; v < 256; ++v) {
    const uint32_t offset = handler_offset(v, code_length);
    put64(kIdt + v * 8,
          code32 ? gate(kCode32, kCode + offset, type | dpl) : gate(kCode16, offset, type | dpl));
  }
  put64(kIdt + 8 * 8, gate(kTaskGateTssSelector, 0, 0x85));

  // The current TSS: ring 0 stack, CR3, I/O bitmap; and the #DF task's TSS.
  m.write<uint32_t>(kTss + 4, kRing0Stack);
  m.write<uint32_t>(kTss + 8, kData32);
  m.write<uint32_t>(kTss + 0x1C, kPageDirectory);
  m.write<uint16_t>(kTss + 0x66, 0x68);
  const uint8_t bitmap = (s.options & 0x80) ? 0xFF : 0x00;
  for (uint32_t i = 0; i < 8192; ++i) m.write<uint8_t>(kIoBitmap + i, bitmap);
  m.write<uint8_t>(kIoBitmap + 8192, 0xFF);
  m.write<uint32_t>(kTaskGateTss + 0x1C, kPageDirectory);
  m.write<uint32_t>(kTaskGateTss + 0x20, kCode + handler_offset(8, code_length));
  m.write<uint32_t>(kTaskGateTss + 0x24, 2);
  m.write<uint32_t>(kTaskGateTss + 0x38, kTaskStack);
  m.write<uint16_t>(kTaskGateTss + 0x4C, kCode32);
  for (uint32_t seg : {0x48u, 0x50u, 0x54u, 0x58u, 0x5Cu})
    m.write<uint16_t>(kTaskGateTss + seg, kData32);

  // Paging: the first 4 MiB identity-mapped (pages 0-63 as the input says), the next 4 MiB a
  // large page when PSE is on, and the top 4 MiB (the ROM) identity-mapped.
  m.write<uint32_t>(kPageDirectory + 0, kPageTableLow | 0x7);
  m.write<uint32_t>(kPageDirectory + 4, (s.options & 0x04) ? 0x00400000 | 0x87 : 0);
  m.write<uint32_t>(kPageDirectory + 0x3FF * 4, kPageTableTop | 0x7);
  for (uint32_t page = 0; page < 1024; ++page) {
    uint32_t flags = 0x7 | ((s.options & 0x08) && page < 16 ? 0x100 : 0);
    if (page < 64) {
      if ((s.not_present >> page) & 1) flags &= ~0x1u;
      if ((s.supervisor >> page) & 1) flags &= ~0x4u;
      if ((s.read_only >> page) & 1) flags &= ~0x2u;
    }
    m.write<uint32_t>(kPageTableLow + page * 4, (page << 12) | flags);
    m.write<uint32_t>(kPageTableTop + page * 4, (0xFFC00000u + (page << 12)) | 0x5);
  }

  // The code, and the patches over the tables.
  for (size_t i = 0; i < code_length; ++i)
    m.write<uint8_t>(kCode + static_cast<uint32_t>(i), s.code[i]);
  for (const auto& [address, value] : s.patches) m.write<uint8_t>(address, value);
}

uint32_t initial_eflags(const Setup& s) {
  uint32_t flags = s.eflags & (cpu::flag::kArith | cpu::flag::kTf | cpu::flag::kIf |
                               cpu::flag::kDf | cpu::flag::kAc);
  if (s.options & 0x40) flags |= cpu::flag::kIopl;
  return flags | 2;
}

// Puts the CPU into the input's state. Returns false when the state cannot be reached (a
// patch broke a table the setup itself loads): the input is not interesting then.
bool enter(cpu::Cpu& c, const Setup& s) {
  auto& regs = c.regs();
  for (unsigned i = 0; i < 8; ++i) regs.gpr[i] = s.gpr[i];
  if (s.mode == 0) {
    c.load_segment_real(cpu::kCs, kCode >> 4);
    c.load_segment_real(cpu::kSs, 0x8000);
    const unsigned data[] = {cpu::kDs, cpu::kEs, cpu::kFs, cpu::kGs};
    for (unsigned i = 0; i < 4; ++i) c.load_segment_real(data[i], s.data_selectors[i]);
    regs.eip = 0;
    c.set_eflags(initial_eflags(s));
    return true;
  }
  try {
    regs.gdtr = {kGdt, kGdtEntries * 8 - 1};
    regs.idtr = {kIdt, 256 * 8 - 1};
    const bool paging = s.mode == 1 || s.mode == 3;
    if (paging) {
      c.write_cr3(kPageDirectory);
      if (s.model == CpuModel::PentiumPro)
        c.write_cr4((s.options & 0x04 ? 0x10 : 0) | (s.options & 0x08 ? 0x80 : 0));
      c.write_cr0(0x80000001u | (s.options & 0x02 ? 0x10000u : 0));
    } else {
      c.write_cr0(1);
    }
    if (s.model != CpuModel::I80286) {
      c.load_task_register(kTssSelector);
      c.load_ldt(kLdtSelector);
    }
    // Start at CPL 0 on the ring 0 stack; an IRETD there enters CPL 3 or V86.
    const bool code32 = s.mode != 2;
    const uint16_t cs = code32 ? kCode32 : kCode16;
    c.load_code_segment(cs, c.read_descriptor(cs), 0);
    const uint16_t data = code32 ? kData32 : kData16;
    for (unsigned seg : {cpu::kSs, cpu::kDs, cpu::kEs, cpu::kFs, cpu::kGs}) {
      c.load_segment_protected(seg, data);
    }
    regs.gpr[cpu::kEsp] = code32 ? kRing0Stack : 0xEF00;
    // CPL 3 needs a TSS for the way back to ring 0, and the 286 has no 32-bit one here.
    const bool user = s.mode == 3 || ((s.options & 0x01) && s.model != CpuModel::I80286);
    if (!user) {
      regs.eip = code32 ? kCode : 0;
      c.set_eflags(initial_eflags(s));
      return true;
    }
    if (!code32) {
      // 16-bit CPL 3: a 16-bit IRET (66 CF in the 32-bit stub segment) from a 16-bit frame.
      uint32_t sp = regs.gpr[cpu::kEsp];
      for (uint16_t v :
           {uint16_t{kUserData32}, uint16_t{0xEF00}, static_cast<uint16_t>(initial_eflags(s)),
            uint16_t{kUserCode16}, uint16_t{0}}) {
        sp -= 2;
        c.memory().write<uint16_t>(sp, v);
      }
      regs.gpr[cpu::kEsp] = sp;
      c.load_code_segment(kCode32, c.read_descriptor(kCode32), 0);
      c.memory().write<uint8_t>(kEntryStub, 0x66);
      c.memory().write<uint8_t>(kEntryStub + 1, 0xCF);
      regs.eip = kEntryStub;
      c.set_eflags(2);
      return true;
    }
    uint32_t esp = kRing0Stack;
    auto push32 = [&](uint32_t v) {
      esp -= 4;
      c.memory().write<uint32_t>(esp, v);
    };
    if (s.mode == 3) {
      for (int i = 3; i >= 0; --i) push32(s.data_selectors[i]);  // GS, FS, DS, ES
      push32(0x8000);
      push32(0xF000);
      push32(initial_eflags(s) | cpu::flag::kVm);
      push32(kCode >> 4);
      push32(0);
    } else {
      push32(kUserData32);
      push32(kRing3Stack);
      push32(initial_eflags(s));
      push32(kUserCode32);
      push32(kCode);
    }
    regs.gpr[cpu::kEsp] = esp;
    c.memory().write<uint8_t>(kEntryStub, 0xCF);  // IRETD
    regs.eip = kEntryStub;
    c.set_eflags(2);
    return true;
  } catch (const cpu::CpuFault&) {
    return false;
  }
}

// What a run ends in, for the determinism check.
struct Outcome {
  cpu::Registers regs;
  uint32_t eflags = 0;
  uint64_t retired = 0;
  unsigned cpl = 0;
  bool halted = false, shutdown = false;
  uint64_t memory_hash = 0;  // the tables, code and data (0-128 KiB) and the stacks

  bool operator==(const Outcome& o) const {
    return std::memcmp(&regs.gpr, &o.regs.gpr, sizeof regs.gpr) == 0 && regs.eip == o.regs.eip &&
           regs.cr0 == o.regs.cr0 && regs.cr2 == o.regs.cr2 && regs.cr3 == o.regs.cr3 &&
           regs.cr4 == o.regs.cr4 && eflags == o.eflags && retired == o.retired && cpl == o.cpl &&
           halted == o.halted && shutdown == o.shutdown && memory_hash == o.memory_hash &&
           same_segments(o);
  }
  bool same_segments(const Outcome& o) const {
    for (unsigned i = 0; i < cpu::kSegCount; ++i) {
      const auto &a = regs.seg[i], &b = o.regs.seg[i];
      if (a.selector != b.selector || a.base != b.base || a.limit != b.limit ||
          a.access != b.access || a.big != b.big || a.rights != b.rights) {
        return false;
      }
    }
    return true;
  }
};

void check_invariants(machine::BareMachine& m, const Setup& s, const machine::RunResult& r) {
  cpu::Cpu& c = m.cpu();
  if (r.instructions > s.budget) fuzz::invariant_failed("the run retired more than its budget");
  const uint32_t flags = c.eflags();
  if (!(flags & 2)) fuzz::invariant_failed("EFLAGS bit 1 is clear");
  if (flags & ((1u << 3) | (1u << 5))) fuzz::invariant_failed("EFLAGS bit 3 or 5 is set");
  if (s.model != CpuModel::I8086 && (flags & 0xFFC08000u)) {
    fuzz::invariant_failed("a reserved EFLAGS bit (15, 22-31) is set");
  }
  const auto& regs = c.regs();
  if ((regs.cr0 & 0x80000000u) && !(regs.cr0 & 1)) fuzz::invariant_failed("CR0.PG without PE");
  if (!c.protected_mode()) {
    if (c.cpl() != 0) fuzz::invariant_failed("CPL is not 0 in real mode");
  } else if (c.v86_mode()) {
    if (c.cpl() != 3) fuzz::invariant_failed("CPL is not 3 in V86 mode");
    for (unsigned i = 0; i < cpu::kSegCount; ++i) {
      const auto& seg = regs.seg[i];
      if (seg.base != uint32_t{seg.selector} << 4 || seg.limit != 0xFFFF) {
        fuzz::invariant_failed("a V86 segment is not selector * 16 with a 64 KiB limit");
      }
    }
  } else if (!c.shutdown() && c.cpl() != (regs.seg[cpu::kCs].selector & 3u)) {
    fuzz::invariant_failed("CPL differs from CS.RPL in protected mode");
  }
}

Outcome run_once(const Setup& s, bool check) {
  machine::MachineConfig config;
  config.kind = machine::MachineKind::Bare;
  config.cpu_model = s.model;
  config.memory_bytes = kRamBytes;
  config.debugcon.kind = machine::DebugconTarget::Kind::None;
  config.no_reboot = true;
  config.max_instructions = s.budget;
  static const std::vector<uint8_t> rom = [] {
    std::vector<uint8_t> bytes(4096, 0xF4);  // HLT everywhere: the reset vector halts
    return bytes;
  }();
  machine::BareMachine m(config, rom);
  Outcome out;
  write_tables(m.memory(), s);
  if (!enter(m.cpu(), s)) return out;
  const machine::RunResult result = m.run();
  if (check) check_invariants(m, s, result);
  out.regs = m.cpu().regs();
  out.eflags = m.cpu().eflags();
  out.retired = m.cpu().instructions_retired();
  out.cpl = m.cpu().cpl();
  out.halted = m.cpu().halted();
  out.shutdown = m.cpu().shutdown();
  // Hashed rather than copied, and only where a short run writes: touching every page of a
  // fresh RAM mapping would cost more than the run.
  const auto ram = m.memory().ram();
  uint64_t hash = 0xCBF29CE484222325ull;
  for (const auto& [begin, end] : {std::pair{0x0u, 0x20000u}, std::pair{0x80000u, 0xA0000u}}) {
    for (uint32_t i = begin; i < end; ++i) hash = (hash ^ ram[i]) * 0x100000001B3ull;
  }
  out.memory_hash = hash;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Setup setup = parse(data, size);
  const Outcome first = run_once(setup, true);
  const Outcome second = run_once(setup, false);
  if (!(first == second)) fuzz::invariant_failed("two runs of the same input ended differently");
  return 0;
}
