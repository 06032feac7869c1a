// The command line: Boost.Program_options declarations, QEMU-style names where QEMU has one,
// turned into a MachineConfig plus what the frontend itself does (help, version, stats).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "frontend/debug_options.hpp"
#include "frontend/display_options.hpp"
#include "machine/machine_config.hpp"

namespace x86lab::frontend {

// Exit codes: 0 success, 1 a runtime error (a file, the guest), 2 a command-line error.
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitUsage = 2;

// A command line the user must fix. what() is one line naming the option or value.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CommandLine {
  enum class Action : uint8_t { Run, Help, Version };
  Action action = Action::Run;
  machine::MachineConfig config;
  bool stats = false;
  DebugOptions debug;        // --monitor, --gdb, -s, -S, --trace, --magic-break
  DisplayOptions display;    // --display, --screenshot, the SDL window's test hooks
  bool screen_dump = false;  // print the VGA text screen when the run ends
  std::string help_text;     // for Action::Help
};

// Throws UsageError.
CommandLine parse_command_line(int argc, const char* const argv[]);

// Value parsers, exposed for the tests. Each throws UsageError naming the value.
uint64_t parse_memory_size(std::string_view text);
machine::DebugconTarget parse_debugcon(std::string_view text);
uint64_t parse_count(std::string_view option, std::string_view text);
// --boot: QEMU's letters (or order=LETTERS), lower-cased; see machine::parse_boot_order.
std::string parse_boot(std::string_view text);

}  // namespace x86lab::frontend
