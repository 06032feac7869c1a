// x86lab: parse the command line, build the machine, run it, report how it ended.
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <type_traits>

#include "firmware/rom_image.hpp"
#include "frontend/cli.hpp"
#include "frontend/debugger.hpp"
#include "frontend/display_session.hpp"
#include "machine/bare_machine.hpp"
#include "machine/pc_machine.hpp"

namespace {

using x86lab::frontend::kExitRuntimeError;
using x86lab::frontend::kExitUsage;

// decoded: instructions the decoder decoded (each once, then cached with its block).
void print_stats(uint64_t instructions, double seconds, uint64_t decoded) {
  const double mips = seconds > 0 ? static_cast<double>(instructions) / seconds / 1e6 : 0.0;
  std::fprintf(stderr, "x86lab: %llu instructions retired in %.3f s (%.2f MIPS), %llu decoded\n",
               static_cast<unsigned long long>(instructions), seconds, mips,
               static_cast<unsigned long long>(decoded));
}

// --screen-dump: the text screen between two marker lines, so output before it (COM1, the
// debug console) cannot be mistaken for it.
void print_screen_dump(const x86lab::devices::Vga& vga) {
  std::fflush(stdout);
  if (!vga.text_mode()) {
    const auto [width, height] = vga.display_size();
    std::printf("--- screen dump: graphics mode %ux%u, no text ---\n", width, height);
    return;
  }
  std::printf("--- screen dump ---\n%s\n--- end of screen dump ---\n",
              vga.text_screen_string().c_str());
}

template <typename Machine>
int run(const x86lab::frontend::CommandLine& cl) {
  Machine machine(cl.config);
  // The pc machine's screen: the SDL window or headless, signals, --screenshot.
  std::unique_ptr<x86lab::frontend::DisplaySession> display;
  if constexpr (std::is_same_v<Machine, x86lab::machine::PcMachine>) {
    display = std::make_unique<x86lab::frontend::DisplaySession>(cl.display, machine);
  }
  const auto started = std::chrono::steady_clock::now();
  x86lab::machine::RunResult result =
      cl.debug.active() ? x86lab::frontend::run_debugger(machine, cl.debug) : machine.run();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  if (display && !display->finish(result) && result.exit_code == 0) {
    result.exit_code = kExitRuntimeError;
  }
  if constexpr (std::is_same_v<Machine, x86lab::machine::PcMachine>) {
    if (cl.screen_dump) print_screen_dump(machine.vga());
  }
  std::fflush(stdout);
  if (!result.message.empty()) std::fprintf(stderr, "x86lab: %s\n", result.message.c_str());
  if (cl.stats) print_stats(result.instructions, elapsed.count(), machine.cpu().decode_count());
  return result.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto cl = x86lab::frontend::parse_command_line(argc, argv);
    switch (cl.action) {
      case x86lab::frontend::CommandLine::Action::Help:
        std::fputs(cl.help_text.c_str(), stdout);
        return 0;
      case x86lab::frontend::CommandLine::Action::Version:
        std::printf("x86lab %s\n", X86LAB_VERSION);
        return 0;
      case x86lab::frontend::CommandLine::Action::Run:
        if (cl.config.kind == x86lab::machine::MachineKind::Pc) {
          return run<x86lab::machine::PcMachine>(cl);
        }
        return run<x86lab::machine::BareMachine>(cl);
    }
  } catch (const x86lab::frontend::UsageError& e) {
    std::fprintf(stderr, "x86lab: %s\n", e.what());
    return kExitUsage;
  } catch (const x86lab::firmware::FirmwareError& e) {
    std::fprintf(stderr, "x86lab: %s\n", e.what());
    return kExitRuntimeError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "x86lab: %s\n", e.what());
    return kExitRuntimeError;
  }
  return kExitRuntimeError;
}
