#include "frontend/debug_session.hpp"

#include <csignal>
#include <vector>

#include "frontend/disasm.hpp"

namespace x86lab::frontend {

std::string hex32(uint32_t value) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08X", value);
  return buf;
}

bool DebugSession::read_linear(uint32_t linear, std::span<uint8_t> out) {
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t physical;
    if (!cpu().mmu().peek_translation(linear + static_cast<uint32_t>(i), physical)) return false;
    out[i] = memory().read<uint8_t>(physical);
  }
  return true;
}

bool DebugSession::write_linear(uint32_t linear, std::span<const uint8_t> in) {
  std::vector<uint32_t> physical(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (!cpu().mmu().peek_translation(linear + static_cast<uint32_t>(i), physical[i])) {
      return false;
    }
  }
  for (size_t i = 0; i < in.size(); ++i) memory().poke(physical[i], in[i]);
  cpu().memory_map_changed();  // the bytes may be decoded code, or behind a cached translation
  return true;
}

void DebugSession::read_physical(uint32_t physical, std::span<uint8_t> out) {
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = memory().read<uint8_t>(physical + static_cast<uint32_t>(i));
  }
}

void DebugSession::write_physical(uint32_t physical, std::span<const uint8_t> in) {
  for (size_t i = 0; i < in.size(); ++i) memory().poke(physical + static_cast<uint32_t>(i), in[i]);
  cpu().memory_map_changed();
}

uint32_t DebugSession::pc_linear() { return cpu().regs().seg[cpu::kCs].base + cpu().regs().eip; }

bool DebugSession::code32() {
  return cpu().regs().seg[cpu::kCs].big && cpu().protected_mode() && !cpu().v86_mode();
}

uint32_t DebugSession::segment_linear(uint16_t selector, uint32_t offset) {
  const cpu::Registers& r = cpu().regs();
  for (const cpu::SegmentCache& s : r.seg) {
    if (s.selector == selector) return s.base + offset;
  }
  if (!cpu().protected_mode() || cpu().v86_mode()) return (uint32_t{selector} << 4) + offset;
  const bool ldt = selector & 4;
  const uint32_t table = ldt ? r.ldtr.base : r.gdtr.base;
  uint8_t d[8];
  if (!read_linear(table + (selector & ~7u), d)) return offset;
  const uint32_t base = d[2] | (d[3] << 8) | (d[4] << 16) | (uint32_t{d[7]} << 24);
  return base + offset;
}

DebugSession::Stop DebugSession::resume() {
  Stop stop;
  if (exited_) {
    stop.exited = true;
    stop.result = final_;
    return stop;
  }
  cpu().resume_from_breakpoint();
  stop.result = target_.run();
  if (stop.result.reason != machine::RunResult::Reason::DebugStop) {
    exited_ = true;
    final_ = stop.result;
    stop.exited = true;
    return stop;
  }
  if (const cpu::DebugHooks* hooks = cpu().debug_hooks()) stop.event = hooks->event;
  return stop;
}

DebugSession::Stop DebugSession::step() {
  Stop stop;
  if (exited_) {
    stop.exited = true;
    stop.result = final_;
    return stop;
  }
  cpu().debug().event = cpu::DebugEvent{};
  cpu().debug_step(step_interrupts);
  stop.result.reason = machine::RunResult::Reason::DebugStop;
  stop.event = cpu().debug().event;
  return stop;
}

std::string DebugSession::describe(const Stop& stop) {
  if (stop.exited) {
    std::string text =
        "guest ended the run (exit code " + std::to_string(stop.result.exit_code) + ")";
    if (!stop.result.message.empty()) text += ": " + stop.result.message;
    return text;
  }
  const cpu::Registers& r = cpu().regs();
  char where[48];
  std::snprintf(where, sizeof where, "%04X:%08X (linear %08X)", r.seg[cpu::kCs].selector, r.eip,
                pc_linear());
  const cpu::DebugEvent& e = stop.event;
  using Kind = cpu::DebugEvent::Kind;
  switch (e.kind) {
    case Kind::Breakpoint:
      return "breakpoint " + std::to_string(e.id) + " at " + where;
    case Kind::MemoryWatch:
      return "watchpoint " + std::to_string(e.id) + ": " + (e.write ? "write" : "read") + " of " +
             std::to_string(e.size) + " bytes at " + hex32(e.address) + " (physical " +
             hex32(e.physical) + ") value " + hex32(e.value) + "; stopped at " + where;
    case Kind::IoWatch:
      return "iowatch " + std::to_string(e.id) + ": " + (e.write ? "out" : "in") + " port " +
             hex32(e.address).substr(4) + " size " + std::to_string(e.size) + " value " +
             hex32(e.value) + "; stopped at " + where;
    case Kind::MagicBreak:
      return std::string("magic breakpoint (xchg bx,bx); stopped at ") + where;
    case Kind::Interrupt:
      return std::string("interrupted at ") + where;
    case Kind::None:
      break;
  }
  return std::string("stopped at ") + where;
}

std::string DebugSession::trace_line(bool att) {
  cpu::Cpu& c = cpu();
  const cpu::Registers& r = c.regs();
  uint8_t bytes[15] = {};
  size_t available = 0;
  for (; available < sizeof bytes; ++available) {
    if (!read_linear(pc_linear() + static_cast<uint32_t>(available),
                     std::span<uint8_t>(bytes + available, 1))) {
      break;
    }
  }
  const Disassembly d = disassemble(bytes, available, r.eip, code32(), att);
  std::string hex;
  char buf[8];
  for (unsigned i = 0; i < d.length && i < available; ++i) {
    std::snprintf(buf, sizeof buf, "%02X", bytes[i]);
    hex += buf;
  }
  char line[320];
  std::snprintf(line, sizeof line,
                "%04X:%08X %-16s %-32s EAX=%08X EBX=%08X ECX=%08X EDX=%08X ESI=%08X EDI=%08X "
                "EBP=%08X ESP=%08X EFL=%08X DS=%04X ES=%04X SS=%04X",
                r.seg[cpu::kCs].selector, r.eip, hex.c_str(), d.text.c_str(), r.gpr[cpu::kEax],
                r.gpr[cpu::kEbx], r.gpr[cpu::kEcx], r.gpr[cpu::kEdx], r.gpr[cpu::kEsi],
                r.gpr[cpu::kEdi], r.gpr[cpu::kEbp], r.gpr[cpu::kEsp], c.eflags(),
                r.seg[cpu::kDs].selector, r.seg[cpu::kEs].selector, r.seg[cpu::kSs].selector);
  return line;
}

void DebugSession::start_trace(std::FILE* file, bool att) {
  cpu().set_trace([this, file, att](cpu::Cpu&) {
    const std::string line = trace_line(att);
    std::fputs(line.c_str(), file);
    std::fputc('\n', file);
  });
}

namespace {
std::atomic<cpu::Cpu*> g_sigint_cpu{nullptr};
void on_sigint(int) {
  if (cpu::Cpu* c = g_sigint_cpu.load()) c->request_async_stop();
}
}  // namespace

InterruptOnSigint::InterruptOnSigint(cpu::Cpu& cpu) {
  g_sigint_cpu.store(&cpu);
  std::signal(SIGINT, on_sigint);
}

InterruptOnSigint::~InterruptOnSigint() {
  std::signal(SIGINT, SIG_DFL);
  g_sigint_cpu.store(nullptr);
}

}  // namespace x86lab::frontend
