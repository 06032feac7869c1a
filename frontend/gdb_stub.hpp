// The gdb remote serial protocol over TCP (127.0.0.1 only), for `--gdb tcp::PORT` and `-s`.
// Registers follow gdb's i386 target description (general, eip, eflags, segment selectors,
// x87); memory is linear, read through the guest's page tables. Breakpoints (Z0/Z1) and
// watchpoints (Z2-Z4) are the CPU's debug hooks: guest memory is never patched. `monitor CMD`
// (qRcmd) runs a monitor command. docs/debugging.md has a session.
#pragma once

#include <cstdint>
#include <string>

#include "frontend/debug_session.hpp"
#include "frontend/monitor.hpp"

namespace x86lab::frontend {

class GdbStub {
 public:
  GdbStub(DebugSession& session, uint16_t port);
  ~GdbStub();
  GdbStub(const GdbStub&) = delete;
  GdbStub& operator=(const GdbStub&) = delete;

  // Serves gdb until it detaches or kills, or the guest ends the run. Without start_paused the
  // guest runs until gdb connects. Returns the process exit code.
  int serve(bool start_paused);

 private:
  bool accept_client();
  bool read_packet(std::string& packet);  // false when the connection closed
  void send_packet(const std::string& payload);
  int get_byte();
  std::string handle(const std::string& packet, bool& resume, bool& step, bool& detach);
  std::string stop_reply(const DebugSession::Stop& stop);
  // Runs the guest with the connection watched for Ctrl-C.
  DebugSession::Stop run_watched(bool step);
  std::string read_registers();
  bool write_register(unsigned index, const std::string& hex);
  std::string register_hex(unsigned index);

  DebugSession& session_;
  Monitor monitor_;
  uint16_t port_;
  int listen_fd_ = -1;
  int client_fd_ = -1;
  bool no_ack_ = false;
  std::string buffer_;
  size_t buffer_pos_ = 0;
};

}  // namespace x86lab::frontend
