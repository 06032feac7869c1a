// x86lab: parse the command line, build the machine, run it, report how it ended.
#include <chrono>
#include <cstdio>
#include <exception>

#include "firmware/rom_image.hpp"
#include "frontend/cli.hpp"
#include "frontend/debugger.hpp"
#include "machine/bare_machine.hpp"
#include "machine/pc_machine.hpp"

namespace {

using x86lab::frontend::kExitRuntimeError;
using x86lab::frontend::kExitUsage;

void print_stats(uint64_t instructions, double seconds, uint64_t blocks_decoded) {
  const double mips = seconds > 0 ? static_cast<double>(instructions) / seconds / 1e6 : 0.0;
  std::fprintf(stderr,
               "x86lab: %llu instructions retired in %.3f s (%.2f MIPS), %llu blocks decoded\n",
               static_cast<unsigned long long>(instructions), seconds, mips,
               static_cast<unsigned long long>(blocks_decoded));
}

template <typename Machine>
int run(const x86lab::frontend::CommandLine& cl) {
  Machine machine(cl.config);
  const auto started = std::chrono::steady_clock::now();
  const x86lab::machine::RunResult result =
      cl.debug.active() ? x86lab::frontend::run_debugger(machine, cl.debug) : machine.run();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
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
