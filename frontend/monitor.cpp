#include "frontend/monitor.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "frontend/disasm.hpp"

namespace x86lab::frontend {

namespace {

const char* const kGprNames[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
const char* const kSegNames[] = {"es", "cs", "ss", "ds", "fs", "gs"};

const char* const kHelp =
    "Execution:   c|continue   s|step [N]   n|next (steps over a call)   q|quit\n"
    "Breakpoints: b|break ADDR [if REG OP VALUE]  (ADDR: linear 0x1234, SEL:OFF, p:PHYS;\n"
    "             OP: == != < <= > >=)   delete ID   info breakpoints\n"
    "Watchpoints: watch|rwatch|awatch ADDR [LEN]  (p:PHYS for physical)\n"
    "             iowatch PORT[-LAST] [r|w|rw]   delete ID\n"
    "State:       regs   x ADDR [N]   xp PHYS [N]   u [ADDR] [N]   xlate ADDR\n"
    "             gdt   idt   tss\n"
    "Editing:     set reg NAME VALUE   set mem ADDR BYTE...   set pmem PHYS BYTE...\n"
    "Settings:    set syntax intel|att   set step-interrupts on|off\n";

std::vector<std::string> split(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

uint32_t parse_number(const std::string& text) {
  if (text.empty()) throw std::invalid_argument("missing number");
  size_t used = 0;
  const bool hex = text.starts_with("0x") || text.starts_with("0X");
  const unsigned long long v = std::stoull(hex ? text.substr(2) : text, &used, hex ? 16 : 10);
  if (used != text.size() - (hex ? 2 : 0)) throw std::invalid_argument("bad number '" + text + "'");
  return static_cast<uint32_t>(v);
}

int register_index(const std::string& name) {
  for (int i = 0; i < 8; ++i) {
    if (name == kGprNames[i]) return i;
  }
  if (name == "eip") return 8;
  if (name == "eflags") return 9;
  for (int i = 0; i < 6; ++i) {
    if (name == kSegNames[i]) return 10 + i;
  }
  return -1;
}

std::string format(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

std::string eflags_text(uint32_t f) {
  static const struct {
    uint32_t bit;
    const char* name;
  } kBits[] = {{cpu::flag::kId, "ID"}, {cpu::flag::kVip, "VIP"}, {cpu::flag::kVif, "VIF"},
               {cpu::flag::kAc, "AC"}, {cpu::flag::kVm, "VM"},   {cpu::flag::kRf, "RF"},
               {cpu::flag::kNt, "NT"}, {cpu::flag::kOf, "OF"},   {cpu::flag::kDf, "DF"},
               {cpu::flag::kIf, "IF"}, {cpu::flag::kTf, "TF"},   {cpu::flag::kSf, "SF"},
               {cpu::flag::kZf, "ZF"}, {cpu::flag::kAf, "AF"},   {cpu::flag::kPf, "PF"},
               {cpu::flag::kCf, "CF"}};
  std::string text;
  for (const auto& b : kBits) {
    if (f & b.bit) text += std::string(text.empty() ? "" : " ") + b.name;
  }
  return text + " IOPL=" + std::to_string((f >> 12) & 3);
}

long double float80_value(const cpu::Float80& f) {
  const int exponent = f.sign_exponent & 0x7FFF;
  const bool negative = f.sign_exponent & 0x8000;
  long double v;
  if (exponent == 0x7FFF) {
    v = (f.significand << 1) ? NAN : INFINITY;
  } else {
    v = std::ldexp(static_cast<long double>(f.significand), (exponent ? exponent : 1) - 16383 - 63);
  }
  return negative ? -v : v;
}

}  // namespace

uint32_t Monitor::parse_address(const std::string& text) {
  const size_t colon = text.find(':');
  if (colon != std::string::npos && !text.starts_with("p:")) {
    return session_.segment_linear(static_cast<uint16_t>(parse_number(text.substr(0, colon))),
                                   parse_number(text.substr(colon + 1)));
  }
  return parse_number(text);
}

std::string Monitor::registers() {
  cpu::Cpu& c = session_.cpu();
  const cpu::Registers& r = c.regs();
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out += format("%s=%08X%s", kGprNames[i], r.gpr[i], i % 4 == 3 ? "\n" : "  ");
  }
  const uint32_t f = c.eflags();
  out += format(
      "eip=%08X  eflags=%08X [%s]  cpl=%u  %s\n", r.eip, f, eflags_text(f).c_str(), c.cpl(),
      !c.protected_mode() ? "real mode"
      : c.v86_mode()
          ? "virtual-8086 mode"
          : (r.seg[cpu::kCs].big ? "protected mode, 32-bit code" : "protected mode, 16-bit code"));
  for (int i = 0; i < 6; ++i) {
    const cpu::SegmentCache& s = r.seg[i];
    out += format("%s=%04X base=%08X limit=%08X access=%02X %s\n", kSegNames[i], s.selector, s.base,
                  s.limit, s.access, s.big ? "32-bit" : "16-bit");
  }
  out += format("ldtr=%04X base=%08X limit=%08X   tr=%04X base=%08X limit=%08X access=%02X\n",
                r.ldtr.selector, r.ldtr.base, r.ldtr.limit, r.tr.selector, r.tr.base, r.tr.limit,
                r.tr.access);
  out += format("gdtr=%08X/%04X  idtr=%08X/%04X\n", r.gdtr.base, r.gdtr.limit, r.idtr.base,
                r.idtr.limit);
  out += format("cr0=%08X  cr2=%08X  cr3=%08X  cr4=%08X\n", r.cr0, r.cr2, r.cr3, r.cr4);
  out += format("dr0=%08X dr1=%08X dr2=%08X dr3=%08X dr6=%08X dr7=%08X\n", r.dr[0], r.dr[1],
                r.dr[2], r.dr[3], r.dr[6], r.dr[7]);
  const cpu::X87State& x = c.x87();
  const unsigned top = (x.status >> 11) & 7;
  out += format("fpu: fcw=%04X fsw=%04X (top %u) ftw=%04X fop=%04X fip=%04X:%08X fdp=%04X:%08X\n",
                x.control, x.status, top, x.tag, x.last_opcode, x.last_cs, x.last_ip, x.last_ds,
                x.last_data);
  for (unsigned i = 0; i < 8; ++i) {
    const unsigned phys = (top + i) & 7;
    const unsigned tag = (x.tag >> (2 * phys)) & 3;
    static const char* const kTags[] = {"valid", "zero", "special", "empty"};
    out += format("st%u=%04X:%016llX %-7s %.18Lg\n", i, x.st[phys].sign_exponent,
                  static_cast<unsigned long long>(x.st[phys].significand), kTags[tag],
                  float80_value(x.st[phys]));
  }
  return out;
}

std::string Monitor::dump(uint32_t address, uint32_t count, bool physical) {
  std::string out;
  for (uint32_t row = 0; row < count; row += 16) {
    const uint32_t n = std::min<uint32_t>(16, count - row);
    uint8_t bytes[16];
    const bool ok = physical ? (session_.read_physical(address + row, {bytes, n}), true)
                             : session_.read_linear(address + row, {bytes, n});
    out += format("%08X:", address + row);
    if (!ok) {
      out += " (not mapped)\n";
      continue;
    }
    std::string ascii;
    for (uint32_t i = 0; i < n; ++i) {
      out += format(" %02X", bytes[i]);
      ascii += (bytes[i] >= 0x20 && bytes[i] < 0x7F) ? static_cast<char>(bytes[i]) : '.';
    }
    out += std::string(3 * (16 - n), ' ') + "  " + ascii + "\n";
  }
  next_dump_ = address + count;
  return out;
}

std::string Monitor::disassembly(uint32_t linear, unsigned count) {
  std::string out;
  const bool code32 = session_.code32();
  const uint32_t cs_base = session_.cpu().regs().seg[cpu::kCs].base;
  for (unsigned i = 0; i < count; ++i) {
    uint8_t bytes[15] = {};
    size_t available = 0;
    while (
        available < sizeof bytes &&
        session_.read_linear(linear + static_cast<uint32_t>(available), {bytes + available, 1})) {
      ++available;
    }
    if (available == 0) {
      out += format("%08X: (not mapped)\n", linear);
      break;
    }
    const Disassembly d = disassemble(bytes, available, linear - cs_base, code32, att_);
    std::string hex;
    for (unsigned b = 0; b < d.length; ++b) hex += format("%02X", bytes[b]);
    out += format("%08X: %-16s %s%s\n", linear, hex.c_str(), d.text.c_str(),
                  linear == session_.pc_linear() ? "   <- CS:EIP" : "");
    linear += d.length;
  }
  return out;
}

std::string Monitor::translate(uint32_t linear) {
  cpu::Cpu& c = session_.cpu();
  const cpu::Registers& r = c.regs();
  std::string out;
  if (!c.mmu().paging()) {
    uint32_t phys = 0;
    c.mmu().peek_translation(linear, phys);
    return format("paging off: linear %08X = physical %08X\n", linear, phys);
  }
  const uint32_t pde_addr = (r.cr3 & 0xFFFFF000u) | ((linear >> 20) & 0xFFC);
  uint8_t b[4];
  session_.read_physical(pde_addr, b);
  const uint32_t pde = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t{b[3]} << 24);
  auto bits = [](uint32_t e) {
    return format("%s%s%s%s%s%s", (e & 1) ? "P" : "-", (e & 2) ? "W" : "R", (e & 4) ? "U" : "S",
                  (e & 0x20) ? "A" : "-", (e & 0x40) ? "D" : "-", (e & 0x100) ? "G" : "-");
  };
  out += format("cr3=%08X  PDE[%03X] at %08X = %08X %s\n", r.cr3, linear >> 22, pde_addr, pde,
                bits(pde).c_str());
  if (!(pde & 1)) return out + "not present (the PDE)\n";
  if ((pde & 0x80) && (r.cr4 & 0x10)) {
    return out + format("4 MiB page: physical %08X\n", (pde & 0xFFC00000u) | (linear & 0x3FFFFFu));
  }
  const uint32_t pte_addr = (pde & 0xFFFFF000u) | ((linear >> 10) & 0xFFC);
  session_.read_physical(pte_addr, b);
  const uint32_t pte = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t{b[3]} << 24);
  out += format("PTE[%03X] at %08X = %08X %s\n", (linear >> 12) & 0x3FF, pte_addr, pte,
                bits(pte).c_str());
  if (!(pte & 1)) return out + "not present (the PTE)\n";
  return out + format("physical %08X\n", (pte & 0xFFFFF000u) | (linear & 0xFFF));
}

std::string Monitor::descriptor_table(bool idt) {
  const cpu::Registers& r = session_.cpu().regs();
  const cpu::DescriptorTable& t = idt ? r.idtr : r.gdtr;
  std::string out = format("%s base=%08X limit=%04X\n", idt ? "IDT" : "GDT", t.base, t.limit);
  if (idt && !session_.cpu().protected_mode()) {
    for (uint32_t v = 0; v * 4 + 3 <= t.limit && v < 256; ++v) {
      uint8_t e[4];
      if (!session_.read_linear(t.base + v * 4, e)) break;
      out += format("%02X: %04X:%04X\n", v, e[2] | (e[3] << 8), e[0] | (e[1] << 8));
    }
    return out;
  }
  for (uint32_t off = 0; off + 7 <= t.limit && off < 0x10000; off += 8) {
    uint8_t d[8];
    if (!session_.read_linear(t.base + off, d)) {
      out += "(not mapped)\n";
      break;
    }
    const uint8_t access = d[5];
    if (!(access & 0x80) && off != 0) continue;  // not present
    if (idt) {
      const uint32_t offset = d[0] | (d[1] << 8) | (d[6] << 16) | (uint32_t{d[7]} << 24);
      out += format("%02X: selector=%04X offset=%08X type=%X dpl=%u %s\n", off / 8,
                    d[2] | (d[3] << 8), offset, access & 0xF, (access >> 5) & 3,
                    (access & 0x80) ? "present" : "not present");
    } else {
      const uint32_t base = d[2] | (d[3] << 8) | (d[4] << 16) | (uint32_t{d[7]} << 24);
      uint32_t limit = d[0] | (d[1] << 8) | ((d[6] & 0xF) << 16);
      if (d[6] & 0x80) limit = (limit << 12) | 0xFFF;
      const char* kind = !(access & 0x10) ? "system" : (access & 8) ? "code" : "data";
      out += format("%04X: base=%08X limit=%08X access=%02X %s dpl=%u %s%s\n", off, base, limit,
                    access, kind, (access >> 5) & 3, (d[6] & 0x40) ? "32-bit" : "16-bit",
                    (access & 0x80) ? "" : " (null/not present)");
    }
  }
  return out;
}

std::string Monitor::task_state() {
  const cpu::SegmentCache& tr = session_.cpu().regs().tr;
  std::string out = format("TR=%04X base=%08X limit=%08X access=%02X\n", tr.selector, tr.base,
                           tr.limit, tr.access);
  uint8_t t[0x68] = {};
  if (tr.limit < 0x67 || !session_.read_linear(tr.base, t)) return out + "(no 32-bit TSS)\n";
  auto d = [&](unsigned o) {
    return t[o] | (t[o + 1] << 8) | (t[o + 2] << 16) | (uint32_t{t[o + 3]} << 24);
  };
  out += format("link=%04X esp0=%08X ss0=%04X esp1=%08X ss1=%04X esp2=%08X ss2=%04X\n",
                d(0) & 0xFFFF, d(4), d(8) & 0xFFFF, d(12), d(16) & 0xFFFF, d(20), d(24) & 0xFFFF);
  out += format("cr3=%08X eip=%08X eflags=%08X eax=%08X ecx=%08X edx=%08X ebx=%08X\n", d(28), d(32),
                d(36), d(40), d(44), d(48), d(52));
  out += format("esp=%08X ebp=%08X esi=%08X edi=%08X\n", d(56), d(60), d(64), d(68));
  out += format("es=%04X cs=%04X ss=%04X ds=%04X fs=%04X gs=%04X ldt=%04X iomap=%04X\n",
                d(72) & 0xFFFF, d(76) & 0xFFFF, d(80) & 0xFFFF, d(84) & 0xFFFF, d(88) & 0xFFFF,
                d(92) & 0xFFFF, d(96) & 0xFFFF, d(100) >> 16);
  return out;
}

std::string Monitor::list_breakpoints() {
  const cpu::DebugHooks* hooks = session_.cpu().debug_hooks();
  std::string out;
  if (hooks) {
    for (const cpu::CodeBreakpoint& b : hooks->breakpoints) {
      std::string where = b.kind == cpu::BreakpointKind::Linear ? format("linear %08X", b.address)
                          : b.kind == cpu::BreakpointKind::Physical
                              ? format("physical %08X", b.address)
                              : format("%04X:%08X", b.selector, b.address);
      out += format("%d: breakpoint %s, hit %llu times%s\n", b.id, where.c_str(),
                    static_cast<unsigned long long>(b.hits), b.condition ? " (conditional)" : "");
    }
    for (const cpu::IoWatch& w : hooks->io_watches) {
      out += format("%d: iowatch ports %04X-%04X %s\n", w.id, w.first, w.last,
                    w.kinds == cpu::watch_kind::kRead    ? "r"
                    : w.kinds == cpu::watch_kind::kWrite ? "w"
                                                         : "rw");
    }
  }
  for (const mmu::Watch& w : session_.cpu().mmu().watches()) {
    out += format("%d: %s %s %08X length %u\n", w.id,
                  w.kinds == cpu::watch_kind::kRead    ? "rwatch"
                  : w.kinds == cpu::watch_kind::kWrite ? "watch"
                                                       : "awatch",
                  w.physical ? "physical" : "linear", w.address, w.length);
  }
  return out.empty() ? "no breakpoints or watchpoints\n" : out;
}

void Monitor::report(const DebugSession::Stop& stop, std::string& out) {
  out += session_.describe(stop) + "\n";
  if (!stop.exited) out += disassembly(session_.pc_linear(), 1);
}

bool Monitor::execute(const std::string& line, std::string& out) {
  const std::vector<std::string> w = split(line);
  if (w.empty()) return true;
  const std::string& cmd = w[0];
  auto arg = [&](size_t i) -> const std::string& {
    if (i >= w.size()) throw std::invalid_argument(cmd + ": missing argument");
    return w[i];
  };
  try {
    if (cmd == "q" || cmd == "quit") return false;
    if (cmd == "help" || cmd == "h" || cmd == "?") {
      out += kHelp;
    } else if (cmd == "c" || cmd == "continue" || cmd == "cont") {
      InterruptOnSigint sigint(session_.cpu());
      report(session_.resume(), out);
    } else if (cmd == "s" || cmd == "step" || cmd == "si" || cmd == "stepi") {
      const uint32_t n = w.size() > 1 ? parse_number(w[1]) : 1;
      DebugSession::Stop stop;
      for (uint32_t i = 0; i < n; ++i) {
        stop = session_.step();
        if (stop.event.kind != cpu::DebugEvent::Kind::None) break;
      }
      report(stop, out);
    } else if (cmd == "n" || cmd == "next") {
      uint8_t bytes[15] = {};
      size_t available = 0;
      while (available < sizeof bytes &&
             session_.read_linear(session_.pc_linear() + static_cast<uint32_t>(available),
                                  {bytes + available, 1})) {
        ++available;
      }
      const Disassembly d = disassemble(bytes, available, 0, session_.code32());
      if (!d.is_call) {
        report(session_.step(), out);
      } else {
        const int id = session_.cpu().add_breakpoint(
            {0, cpu::BreakpointKind::Linear, 0, session_.pc_linear() + d.length, {}, 0});
        InterruptOnSigint sigint(session_.cpu());
        const DebugSession::Stop stop = session_.resume();
        session_.cpu().remove_breakpoint(id);
        report(stop, out);
      }
    } else if (cmd == "b" || cmd == "break" || cmd == "pbreak") {
      cpu::CodeBreakpoint b;
      const std::string& where = arg(1);
      if (cmd == "pbreak" || where.starts_with("p:")) {
        b.kind = cpu::BreakpointKind::Physical;
        b.address = parse_number(where.starts_with("p:") ? where.substr(2) : where);
      } else if (const size_t colon = where.find(':'); colon != std::string::npos) {
        b.kind = cpu::BreakpointKind::SegOffset;
        b.selector = static_cast<uint16_t>(parse_number(where.substr(0, colon)));
        b.address = parse_number(where.substr(colon + 1));
      } else {
        b.address = parse_number(where);
      }
      if (w.size() > 2) {
        if (w.size() != 6 || w[2] != "if") {
          throw std::invalid_argument("break ADDR if REG OP VALUE, e.g. break 0x7c00 if eax == 5");
        }
        const int reg = register_index(w[3]);
        if (reg < 0) throw std::invalid_argument("unknown register '" + w[3] + "'");
        cpu::RegisterCondition cond;
        cond.reg = static_cast<uint8_t>(reg);
        const std::string& op = w[4];
        cond.op = op == "=="   ? cpu::CompareOp::Eq
                  : op == "!=" ? cpu::CompareOp::Ne
                  : op == "<"  ? cpu::CompareOp::Lt
                  : op == "<=" ? cpu::CompareOp::Le
                  : op == ">"  ? cpu::CompareOp::Gt
                  : op == ">=" ? cpu::CompareOp::Ge
                               : throw std::invalid_argument("unknown comparison '" + op + "'");
        cond.value = parse_number(w[5]);
        b.condition = cond;
      }
      const int id = session_.cpu().add_breakpoint(b);
      out += format("breakpoint %d set\n", id);
    } else if (cmd == "delete" || cmd == "d") {
      const int id = static_cast<int>(parse_number(arg(1)));
      cpu::Cpu& c = session_.cpu();
      if (!c.remove_breakpoint(id) && !c.remove_watch(id) && !c.remove_io_watch(id)) {
        out += format("no breakpoint or watchpoint %d\n", id);
      } else {
        out += format("deleted %d\n", id);
      }
    } else if (cmd == "info" && w.size() > 1 && w[1].starts_with("b")) {
      out += list_breakpoints();
    } else if (cmd == "regs" || cmd == "r" ||
               (cmd == "info" && w.size() > 1 && w[1].starts_with("r"))) {
      out += registers();
    } else if (cmd == "watch" || cmd == "rwatch" || cmd == "awatch") {
      mmu::Watch watch;
      const std::string& where = arg(1);
      watch.physical = where.starts_with("p:");
      watch.address = watch.physical ? parse_number(where.substr(2)) : parse_address(where);
      watch.length = w.size() > 2 ? parse_number(w[2]) : 1;
      watch.kinds = cmd == "watch"    ? cpu::watch_kind::kWrite
                    : cmd == "rwatch" ? cpu::watch_kind::kRead
                                      : cpu::watch_kind::kAccess;
      const int id = session_.cpu().add_watch(watch);
      out += format("watchpoint %d set\n", id);
    } else if (cmd == "iowatch") {
      cpu::IoWatch watch;
      const std::string& ports = arg(1);
      const size_t dash = ports.find('-');
      watch.first = static_cast<uint16_t>(parse_number(ports.substr(0, dash)));
      watch.last = dash == std::string::npos
                       ? watch.first
                       : static_cast<uint16_t>(parse_number(ports.substr(dash + 1)));
      if (w.size() > 2) {
        watch.kinds = w[2] == "r"   ? cpu::watch_kind::kRead
                      : w[2] == "w" ? cpu::watch_kind::kWrite
                                    : cpu::watch_kind::kAccess;
      }
      const int id = session_.cpu().add_io_watch(watch);
      out += format("iowatch %d set\n", id);
    } else if (cmd == "x" || cmd == "xp") {
      const bool physical = cmd == "xp";
      const uint32_t address =
          w.size() > 1 ? (physical ? parse_number(w[1]) : parse_address(w[1])) : next_dump_;
      const uint32_t count = w.size() > 2 ? parse_number(w[2]) : 64;
      out += dump(address, count, physical);
    } else if (cmd == "u" || cmd == "disas") {
      const uint32_t address = w.size() > 1 ? parse_address(w[1]) : session_.pc_linear();
      const uint32_t count = w.size() > 2 ? parse_number(w[2]) : 10;
      out += disassembly(address, count);
    } else if (cmd == "xlate") {
      out += translate(parse_address(arg(1)));
    } else if (cmd == "gdt" || (cmd == "info" && w.size() > 1 && w[1] == "gdt")) {
      out += descriptor_table(false);
    } else if (cmd == "idt" || (cmd == "info" && w.size() > 1 && w[1] == "idt")) {
      out += descriptor_table(true);
    } else if (cmd == "tss" || (cmd == "info" && w.size() > 1 && w[1] == "tss")) {
      out += task_state();
    } else if (cmd == "set" && arg(1) == "syntax") {
      att_ = arg(2) == "att";
      out += std::string("syntax ") + (att_ ? "att" : "intel") + "\n";
    } else if (cmd == "set" && arg(1) == "step-interrupts") {
      session_.step_interrupts = arg(2) == "on";
      out += std::string("step-interrupts ") + (session_.step_interrupts ? "on" : "off") + "\n";
    } else if (cmd == "set" && arg(1) == "reg") {
      const int reg = register_index(arg(2));
      const uint32_t value = parse_number(arg(3));
      cpu::Cpu& c = session_.cpu();
      if (reg < 0) throw std::invalid_argument("unknown register '" + w[2] + "'");
      if (reg < 8) {
        c.regs().gpr[reg] = value;
      } else if (reg == 8) {
        c.regs().eip = value;
      } else if (reg == 9) {
        c.set_eflags(value);
      } else {
        try {
          c.load_segment(static_cast<unsigned>(reg - 10), static_cast<uint16_t>(value));
        } catch (const cpu::CpuFault&) {
          throw std::invalid_argument("the selector does not load (it would fault)");
        }
      }
      c.flush_decoded_code();  // a CS or mode change alters what decodes
      out += format("%s=%08X\n", w[2].c_str(), value);
    } else if (cmd == "set" && (arg(1) == "mem" || arg(1) == "pmem")) {
      const uint32_t address = parse_address(arg(2));
      std::vector<uint8_t> bytes;
      for (size_t i = 3; i < w.size(); ++i)
        bytes.push_back(static_cast<uint8_t>(parse_number(w[i])));
      if (w[1] == "pmem") {
        session_.write_physical(address, bytes);
      } else if (!session_.write_linear(address, bytes)) {
        throw std::invalid_argument("address not mapped");
      }
      out += format("wrote %zu bytes\n", bytes.size());
    } else {
      out += "unknown command '" + cmd + "'; help lists them\n";
    }
  } catch (const std::invalid_argument& e) {
    out += std::string("error: ") + e.what() + "\n";
  } catch (const std::out_of_range&) {
    out += "error: number out of range\n";
  }
  return true;
}

int Monitor::run(std::istream& in, std::ostream& out, bool start_paused) {
  if (!start_paused) {
    InterruptOnSigint sigint(session_.cpu());
    std::string text;
    report(session_.resume(), text);
    out << text;
  }
  std::string line;
  while (!session_.exited()) {
    out << "(x86lab) " << std::flush;
    if (!std::getline(in, line)) break;
    std::string text;
    const bool go_on = execute(line, text);
    out << text << std::flush;
    if (!go_on) break;
  }
  out << std::flush;
  return session_.exited() ? session_.final_result().exit_code : 0;
}

}  // namespace x86lab::frontend
