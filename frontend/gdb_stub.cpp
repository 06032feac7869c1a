#include "frontend/gdb_stub.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

namespace x86lab::frontend {

namespace {

// gdb's i386 core feature (gdb/features/i386/32bit-core.xml): 16 general and segment
// registers, then the x87 stack and its control registers.
const char kTargetXml[] = R"(<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
  <architecture>i386</architecture>
  <feature name="org.gnu.gdb.i386.core">
    <flags id="i386_eflags" size="4">
      <field name="CF" start="0" end="0"/>
      <field name="" start="1" end="1"/>
      <field name="PF" start="2" end="2"/>
      <field name="AF" start="4" end="4"/>
      <field name="ZF" start="6" end="6"/>
      <field name="SF" start="7" end="7"/>
      <field name="TF" start="8" end="8"/>
      <field name="IF" start="9" end="9"/>
      <field name="DF" start="10" end="10"/>
      <field name="OF" start="11" end="11"/>
      <field name="NT" start="14" end="14"/>
      <field name="RF" start="16" end="16"/>
      <field name="VM" start="17" end="17"/>
      <field name="AC" start="18" end="18"/>
      <field name="VIF" start="19" end="19"/>
      <field name="VIP" start="20" end="20"/>
      <field name="ID" start="21" end="21"/>
    </flags>
    <reg name="eax" bitsize="32" type="int32" regnum="0"/>
    <reg name="ecx" bitsize="32" type="int32"/>
    <reg name="edx" bitsize="32" type="int32"/>
    <reg name="ebx" bitsize="32" type="int32"/>
    <reg name="esp" bitsize="32" type="data_ptr"/>
    <reg name="ebp" bitsize="32" type="data_ptr"/>
    <reg name="esi" bitsize="32" type="int32"/>
    <reg name="edi" bitsize="32" type="int32"/>
    <reg name="eip" bitsize="32" type="code_ptr"/>
    <reg name="eflags" bitsize="32" type="i386_eflags"/>
    <reg name="cs" bitsize="32" type="int32"/>
    <reg name="ss" bitsize="32" type="int32"/>
    <reg name="ds" bitsize="32" type="int32"/>
    <reg name="es" bitsize="32" type="int32"/>
    <reg name="fs" bitsize="32" type="int32"/>
    <reg name="gs" bitsize="32" type="int32"/>
    <reg name="st0" bitsize="80" type="i387_ext"/>
    <reg name="st1" bitsize="80" type="i387_ext"/>
    <reg name="st2" bitsize="80" type="i387_ext"/>
    <reg name="st3" bitsize="80" type="i387_ext"/>
    <reg name="st4" bitsize="80" type="i387_ext"/>
    <reg name="st5" bitsize="80" type="i387_ext"/>
    <reg name="st6" bitsize="80" type="i387_ext"/>
    <reg name="st7" bitsize="80" type="i387_ext"/>
    <reg name="fctrl" bitsize="32" type="int" group="float"/>
    <reg name="fstat" bitsize="32" type="int" group="float"/>
    <reg name="ftag" bitsize="32" type="int" group="float"/>
    <reg name="fiseg" bitsize="32" type="int" group="float"/>
    <reg name="fioff" bitsize="32" type="int" group="float"/>
    <reg name="foseg" bitsize="32" type="int" group="float"/>
    <reg name="fooff" bitsize="32" type="int" group="float"/>
    <reg name="fop" bitsize="32" type="int" group="float"/>
  </feature>
</target>
)";

constexpr unsigned kRegisterCount = 32;
// gdb's segment register order (cs ss ds es fs gs) in our numbering.
constexpr unsigned kGdbSegments[] = {cpu::kCs, cpu::kSs, cpu::kDs, cpu::kEs, cpu::kFs, cpu::kGs};

std::string to_hex(const uint8_t* bytes, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<uint8_t> from_hex(std::string_view text) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < text.size(); i += 2) {
    const int hi = hex_digit(text[i]);
    const int lo = hex_digit(text[i + 1]);
    if (hi < 0 || lo < 0) break;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

uint32_t parse_hex(std::string_view text) {
  uint32_t v = 0;
  for (char c : text) {
    const int d = hex_digit(c);
    if (d < 0) break;
    v = v << 4 | static_cast<uint32_t>(d);
  }
  return v;
}

std::string le32(uint32_t v) {
  const uint8_t b[4] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
                        static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 24)};
  return to_hex(b, 4);
}

uint32_t from_le32(const std::vector<uint8_t>& b, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4 && at + i < b.size(); ++i) v |= uint32_t{b[at + i]} << (8 * i);
  return v;
}

unsigned register_size(unsigned index) { return index >= 16 && index < 24 ? 10 : 4; }

// Watches a socket for readability while the guest runs; asks the CPU to stop when it is.
class SocketWatcher {
 public:
  SocketWatcher(int fd, cpu::Cpu& cpu, bool consume_interrupt)
      : thread_([this, fd, &cpu, consume_interrupt] {
          while (!done_.load()) {
            pollfd p{fd, POLLIN, 0};
            if (poll(&p, 1, 20) <= 0) continue;
            if (consume_interrupt) {
              char c = 0;
              const ssize_t n = recv(fd, &c, 1, MSG_PEEK);
              if (n == 1 && c == 0x03) (void)recv(fd, &c, 1, 0);
            }
            cpu.request_async_stop();
            return;
          }
        }) {}
  ~SocketWatcher() {
    done_.store(true);
    thread_.join();
  }
  SocketWatcher(const SocketWatcher&) = delete;
  SocketWatcher& operator=(const SocketWatcher&) = delete;

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

GdbStub::GdbStub(DebugSession& session, uint16_t port)
    : session_(session), monitor_(session), port_(port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("gdb stub: socket: " + std::string(strerror(errno)));
  const int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // never reachable from other hosts
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 1) != 0) {
    const std::string why = strerror(errno);
    close(listen_fd_);
    throw std::runtime_error("gdb stub: cannot listen on 127.0.0.1:" + std::to_string(port) + ": " +
                             why);
  }
}

GdbStub::~GdbStub() {
  if (client_fd_ >= 0) close(client_fd_);
  if (listen_fd_ >= 0) close(listen_fd_);
}

bool GdbStub::accept_client() {
  std::fprintf(stderr, "x86lab: waiting for gdb on 127.0.0.1:%u\n", port_);
  client_fd_ = accept(listen_fd_, nullptr, nullptr);
  if (client_fd_ < 0) return false;
  const int one = 1;
  setsockopt(client_fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  buffer_.clear();
  buffer_pos_ = 0;
  no_ack_ = false;
  return true;
}

int GdbStub::get_byte() {
  if (buffer_pos_ == buffer_.size()) {
    char chunk[4096];
    const ssize_t n = recv(client_fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return -1;
    buffer_.assign(chunk, static_cast<size_t>(n));
    buffer_pos_ = 0;
  }
  return static_cast<unsigned char>(buffer_[buffer_pos_++]);
}

bool GdbStub::read_packet(std::string& packet) {
  for (;;) {
    int c = get_byte();
    if (c < 0) return false;
    if (c == 0x03) {
      packet.assign(1, static_cast<char>(0x03));
      return true;
    }
    if (c != '$') continue;  // acks and noise
    packet.clear();
    while ((c = get_byte()) >= 0 && c != '#') packet += static_cast<char>(c);
    if (c < 0 || get_byte() < 0 || get_byte() < 0) return false;
    if (!no_ack_) (void)!write(client_fd_, "+", 1);
    return true;
  }
}

void GdbStub::send_packet(const std::string& payload) {
  uint8_t sum = 0;
  for (char c : payload) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
  char tail[4];
  std::snprintf(tail, sizeof tail, "#%02x", sum);
  std::string frame;
  frame.reserve(payload.size() + 4);
  frame.push_back('$');
  frame.append(payload);
  frame.append(tail);
  size_t sent = 0;
  while (sent < frame.size()) {
    const ssize_t n = write(client_fd_, frame.data() + sent, frame.size() - sent);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

std::string GdbStub::register_hex(unsigned index) {
  cpu::Cpu& c = session_.cpu();
  const cpu::Registers& r = c.regs();
  if (index < 8) return le32(r.gpr[index]);
  if (index == 8) return le32(r.eip);
  if (index == 9) return le32(c.eflags());
  if (index < 16) return le32(r.seg[kGdbSegments[index - 10]].selector);
  const cpu::X87State& x = c.x87();
  if (index < 24) {
    const unsigned phys = (((x.status >> 11) & 7) + (index - 16)) & 7;
    uint8_t b[10];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(x.st[phys].significand >> (8 * i));
    b[8] = static_cast<uint8_t>(x.st[phys].sign_exponent);
    b[9] = static_cast<uint8_t>(x.st[phys].sign_exponent >> 8);
    return to_hex(b, 10);
  }
  switch (index) {
    case 24:
      return le32(x.control);
    case 25:
      return le32(x.status);
    case 26:
      return le32(x.tag);
    case 27:
      return le32(x.last_cs);
    case 28:
      return le32(x.last_ip);
    case 29:
      return le32(x.last_ds);
    case 30:
      return le32(x.last_data);
    default:
      return le32(x.last_opcode);
  }
}

std::string GdbStub::read_registers() {
  std::string out;
  for (unsigned i = 0; i < kRegisterCount; ++i) out += register_hex(i);
  return out;
}

bool GdbStub::write_register(unsigned index, const std::string& hex) {
  cpu::Cpu& c = session_.cpu();
  cpu::Registers& r = c.regs();
  const std::vector<uint8_t> b = from_hex(hex);
  if (b.size() < register_size(index)) return false;
  const uint32_t v = from_le32(b, 0);
  if (index < 8) {
    r.gpr[index] = v;
  } else if (index == 8) {
    r.eip = v;
  } else if (index == 9) {
    c.set_eflags(v);
  } else if (index < 16) {
    const unsigned seg = kGdbSegments[index - 10];
    if (r.seg[seg].selector == static_cast<uint16_t>(v)) return true;
    try {
      c.load_segment(seg, static_cast<uint16_t>(v));
    } catch (const cpu::CpuFault&) {
      return false;
    }
    c.flush_decoded_code();
  } else if (index < 24) {
    cpu::X87State& x = c.x87();
    const unsigned phys = (((x.status >> 11) & 7) + (index - 16)) & 7;
    uint64_t sig = 0;
    for (int i = 0; i < 8; ++i) sig |= uint64_t{b[static_cast<size_t>(i)]} << (8 * i);
    x.st[phys].significand = sig;
    x.st[phys].sign_exponent = static_cast<uint16_t>(b[8] | (b[9] << 8));
  } else {
    cpu::X87State& x = c.x87();
    switch (index) {
      case 24:
        x.control = static_cast<uint16_t>(v);
        break;
      case 25:
        x.status = static_cast<uint16_t>(v);
        break;
      case 26:
        x.tag = static_cast<uint16_t>(v);
        break;
      case 27:
        x.last_cs = static_cast<uint16_t>(v);
        break;
      case 28:
        x.last_ip = v;
        break;
      case 29:
        x.last_ds = static_cast<uint16_t>(v);
        break;
      case 30:
        x.last_data = v;
        break;
      default:
        x.last_opcode = static_cast<uint16_t>(v);
        break;
    }
  }
  return true;
}

std::string GdbStub::stop_reply(const DebugSession::Stop& stop) {
  if (stop.exited) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "W%02x", stop.result.exit_code & 0xFF);
    return buf;
  }
  using Kind = cpu::DebugEvent::Kind;
  const cpu::DebugEvent& e = stop.event;
  if (e.kind == Kind::Interrupt) return "T02thread:01;";
  if (e.kind == Kind::MemoryWatch) {
    for (const mmu::Watch& w : session_.cpu().mmu().watches()) {
      if (w.id != e.id) continue;
      const char* name = w.kinds == cpu::watch_kind::kWrite  ? "watch"
                         : w.kinds == cpu::watch_kind::kRead ? "rwatch"
                                                             : "awatch";
      char buf[48];
      std::snprintf(buf, sizeof buf, "T05%s:%x;thread:01;", name,
                    std::max(w.address, w.physical ? w.address : e.address));
      return buf;
    }
  }
  if (e.kind == Kind::Breakpoint) return "T05swbreak:;thread:01;";
  return "T05thread:01;";
}

DebugSession::Stop GdbStub::run_watched(bool step) {
  if (step) return session_.step();
  SocketWatcher watcher(client_fd_, session_.cpu(), true);
  return session_.resume();
}

std::string GdbStub::handle(const std::string& packet, bool& resume, bool& step, bool& detach) {
  cpu::Cpu& c = session_.cpu();
  if (packet == "\x03") return "T02thread:01;";
  if (packet.empty()) return "";
  const char kind = packet[0];
  const std::string_view body = std::string_view(packet).substr(1);
  if (packet.starts_with("qSupported")) {
    return "PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;"
           "vContSupported+";
  }
  if (packet == "QStartNoAckMode") {
    send_packet("OK");
    no_ack_ = true;
    return "\x01";  // already answered
  }
  if (packet.starts_with("qXfer:features:read:target.xml:")) {
    const std::string_view range = std::string_view(packet).substr(32);
    const size_t comma = range.find(',');
    const uint32_t offset = parse_hex(range.substr(0, comma));
    const uint32_t length = parse_hex(range.substr(comma + 1));
    const std::string_view xml(kTargetXml, sizeof kTargetXml - 1);
    if (offset >= xml.size()) return "l";
    const std::string_view part = xml.substr(offset, length);
    std::string reply(1, offset + part.size() >= xml.size() ? 'l' : 'm');
    reply.append(part);
    return reply;
  }
  if (packet.starts_with("qRcmd,")) {
    const std::vector<uint8_t> bytes = from_hex(std::string_view(packet).substr(6));
    std::string output;
    monitor_.execute(std::string(bytes.begin(), bytes.end()), output);
    if (!output.empty()) {
      std::string reply(1, 'O');
      reply.append(to_hex(reinterpret_cast<const uint8_t*>(output.data()), output.size()));
      send_packet(reply);
    }
    return "OK";
  }
  if (packet == "qAttached") return "1";
  if (packet == "qC") return "QC01";
  if (packet == "qfThreadInfo") return "m01";
  if (packet == "qsThreadInfo") return "l";
  if (packet == "vCont?") return "vCont;c;C;s;S";
  if (packet.starts_with("vCont;")) {
    const char action = packet[6];
    if (action == 's' || action == 'S') step = true;
    resume = true;
    return "";
  }
  switch (kind) {
    case '?':
      return "T05thread:01;";
    case 'H':
    case 'T':
      return "OK";
    case 'g':
      return read_registers();
    case 'G': {
      for (unsigned i = 0, at = 0; i < kRegisterCount && at < body.size(); ++i) {
        const unsigned n = 2 * register_size(i);
        write_register(i, std::string(body.substr(at, n)));
        at += n;
      }
      return "OK";
    }
    case 'p': {
      const uint32_t index = parse_hex(body);
      return index < kRegisterCount ? register_hex(index) : "E00";
    }
    case 'P': {
      const size_t eq = body.find('=');
      const uint32_t index = parse_hex(body.substr(0, eq));
      if (index >= kRegisterCount || eq == std::string_view::npos) return "E00";
      return write_register(index, std::string(body.substr(eq + 1))) ? "OK" : "E01";
    }
    case 'm': {
      const size_t comma = body.find(',');
      const uint32_t address = parse_hex(body.substr(0, comma));
      const uint32_t length = std::min<uint32_t>(parse_hex(body.substr(comma + 1)), 0x1000);
      std::vector<uint8_t> bytes(length);
      if (!session_.read_linear(address, bytes)) return "E14";
      return to_hex(bytes.data(), bytes.size());
    }
    case 'M':
    case 'X': {
      const size_t comma = body.find(',');
      const size_t colon = body.find(':');
      const uint32_t address = parse_hex(body.substr(0, comma));
      const uint32_t length = parse_hex(body.substr(comma + 1, colon - comma - 1));
      std::vector<uint8_t> bytes;
      if (kind == 'M') {
        bytes = from_hex(body.substr(colon + 1));
      } else {
        const std::string_view data = body.substr(colon + 1);
        for (size_t i = 0; i < data.size(); ++i) {
          if (data[i] == 0x7D && i + 1 < data.size()) {
            bytes.push_back(static_cast<uint8_t>(data[++i] ^ 0x20));
          } else {
            bytes.push_back(static_cast<uint8_t>(data[i]));
          }
        }
      }
      bytes.resize(length);
      if (length == 0) return "OK";
      return session_.write_linear(address, bytes) ? "OK" : "E14";
    }
    case 'c':
    case 's':
      if (!body.empty()) c.regs().eip = parse_hex(body);
      resume = true;
      step = kind == 's';
      return "";
    case 'C':
    case 'S':
      resume = true;
      step = kind == 'S';
      return "";
    case 'Z':
    case 'z': {
      const bool insert = kind == 'Z';
      const char type = body.empty() ? '?' : body[0];
      const size_t comma1 = body.find(',');
      const size_t comma2 = body.find(',', comma1 + 1);
      const uint32_t address = parse_hex(body.substr(comma1 + 1, comma2 - comma1 - 1));
      const uint32_t length = parse_hex(body.substr(comma2 + 1));
      if (type == '0' || type == '1') {
        if (insert) {
          c.add_breakpoint({0, cpu::BreakpointKind::Linear, 0, address, {}, 0});
          return "OK";
        }
        if (const cpu::DebugHooks* hooks = c.debug_hooks()) {
          for (const cpu::CodeBreakpoint& b : hooks->breakpoints) {
            if (b.kind == cpu::BreakpointKind::Linear && b.address == address && !b.condition) {
              c.remove_breakpoint(b.id);
              break;
            }
          }
        }
        return "OK";
      }
      if (type >= '2' && type <= '4') {
        const uint8_t kinds = type == '2'   ? cpu::watch_kind::kWrite
                              : type == '3' ? cpu::watch_kind::kRead
                                            : cpu::watch_kind::kAccess;
        if (insert) {
          c.add_watch(mmu::Watch{0, address, length ? length : 1, kinds, false});
          return "OK";
        }
        for (const mmu::Watch& w : c.mmu().watches()) {
          if (!w.physical && w.address == address && w.kinds == kinds) {
            c.remove_watch(w.id);
            break;
          }
        }
        return "OK";
      }
      return "";
    }
    case 'D':
      detach = true;
      return "OK";
    default:
      return "";
  }
}

int GdbStub::serve(bool start_paused) {
  if (!start_paused) {
    // Run until gdb connects (or the guest ends first).
    std::fprintf(stderr, "x86lab: gdb stub listening on 127.0.0.1:%u\n", port_);
    for (;;) {
      DebugSession::Stop stop;
      {
        SocketWatcher watcher(listen_fd_, session_.cpu(), false);
        stop = session_.resume();
      }
      if (stop.exited) return stop.result.exit_code;
      if (stop.event.kind == cpu::DebugEvent::Kind::Interrupt) break;
    }
  }
  if (!accept_client()) return 1;
  std::string packet;
  while (read_packet(packet)) {
    if (packet[0] == 'k') return session_.exited() ? session_.final_result().exit_code : 0;
    bool resume = false;
    bool step = false;
    bool detach = false;
    const std::string reply = handle(packet, resume, step, detach);
    if (reply != "\x01" && !resume) send_packet(reply);
    if (detach) break;
    if (resume) {
      const DebugSession::Stop stop = run_watched(step);
      send_packet(stop_reply(stop));
    }
  }
  // gdb detached or went away: the guest runs on to its end.
  close(client_fd_);
  client_fd_ = -1;
  while (!session_.exited()) session_.resume();
  return session_.final_result().exit_code;
}

}  // namespace x86lab::frontend
