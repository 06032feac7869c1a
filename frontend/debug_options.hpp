// The debugging options of the command line (--monitor, --gdb, -s, -S, --trace, --magic-break).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace x86lab::frontend {

// The debugging options of the command line.
struct DebugOptions {
  bool monitor_stdio = false;        // --monitor stdio
  std::optional<uint16_t> gdb_port;  // --gdb tcp::PORT, -s
  bool start_paused = false;         // -S
  std::string trace_file;            // --trace FILE
  bool magic_break = false;          // --magic-break
  bool active() const {
    return monitor_stdio || gdb_port || start_paused || !trace_file.empty() || magic_break;
  }
};

}  // namespace x86lab::frontend
