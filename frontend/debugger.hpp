// Runs a machine under the debugger: --monitor, --gdb/-s/-S, --trace, --magic-break.
#pragma once

#include "frontend/debug_session.hpp"
#include "machine/bare_machine.hpp"

namespace x86lab::frontend {

// Runs the machine until the guest ends the run (its RunResult), or the monitor quits / gdb
// kills it (Reason::Stopped). Throws std::runtime_error for an unusable trace file or port.
machine::RunResult run_debugger_on(DebugTarget& target, const DebugOptions& options);

template <typename Machine>
machine::RunResult run_debugger(Machine& machine, const DebugOptions& options) {
  MachineTarget<Machine> target(machine);
  return run_debugger_on(target, options);
}

}  // namespace x86lab::frontend
