#include "frontend/debugger.hpp"

#include <cstdio>
#include <iostream>
#include <stdexcept>

#include "frontend/gdb_stub.hpp"
#include "frontend/monitor.hpp"

namespace x86lab::frontend {

machine::RunResult run_debugger_on(DebugTarget& target, const DebugOptions& options) {
  DebugSession session(target);
  std::FILE* trace = nullptr;
  if (!options.trace_file.empty()) {
    trace = options.trace_file == "-" ? stdout : std::fopen(options.trace_file.c_str(), "w");
    if (!trace)
      throw std::runtime_error("cannot write the trace file '" + options.trace_file + "'");
    session.start_trace(trace, false);
  }
  if (options.magic_break) target.cpu().set_magic_break(true);

  int code = 0;
  if (options.gdb_port) {
    GdbStub stub(session, *options.gdb_port);
    code = stub.serve(options.start_paused);
  } else if (options.monitor_stdio) {
    Monitor monitor(session);
    code = monitor.run(std::cin, std::cout, options.start_paused);
  } else {
    // A trace or the magic breakpoint with no monitor: a stop is reported and the run goes on.
    while (!session.exited()) {
      InterruptOnSigint sigint(target.cpu());
      const DebugSession::Stop stop = session.resume();
      if (!stop.exited) std::fprintf(stderr, "x86lab: %s\n", session.describe(stop).c_str());
      if (stop.event.kind == cpu::DebugEvent::Kind::Interrupt) break;
    }
  }
  if (trace && trace != stdout) std::fclose(trace);
  if (session.exited()) return session.final_result();
  machine::RunResult result;
  result.reason = machine::RunResult::Reason::Stopped;
  result.exit_code = code;
  result.instructions = target.cpu().instructions_retired();
  return result;
}

}  // namespace x86lab::frontend
