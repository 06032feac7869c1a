// The monitor: a line-oriented command interpreter over a DebugSession. `--monitor stdio`
// reads commands from standard input; the gdb stub passes `monitor ...` (qRcmd) here too.
// `help` lists the commands; docs/debugging.md describes them.
#pragma once

#include <istream>
#include <ostream>
#include <string>

#include "frontend/debug_session.hpp"

namespace x86lab::frontend {

class Monitor {
 public:
  explicit Monitor(DebugSession& session) : session_(session) {}

  // Runs one command line, appending its output. Returns false for quit.
  bool execute(const std::string& line, std::string& out);
  // Reads commands until quit, end of input or the guest ending the run. Returns the exit code
  // the process should end with.
  int run(std::istream& in, std::ostream& out, bool start_paused);

  bool att_syntax() const { return att_; }

 private:
  void report(const DebugSession::Stop& stop, std::string& out);
  std::string registers();
  std::string dump(uint32_t address, uint32_t count, bool physical);
  std::string disassembly(uint32_t linear, unsigned count);
  std::string translate(uint32_t linear);
  std::string descriptor_table(bool idt);
  std::string task_state();
  std::string list_breakpoints();
  uint32_t parse_address(const std::string& text);

  DebugSession& session_;
  bool att_ = false;
  uint32_t next_dump_ = 0;
};

}  // namespace x86lab::frontend
