#include "machine/bare_machine.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "firmware/rom_image.hpp"

namespace x86lab::machine {

namespace {

uint64_t checked_memory_size(uint64_t bytes) {
  if (bytes < kMinMemoryBytes || bytes > kMaxMemoryBytes) {
    throw std::runtime_error("memory size of " + std::to_string(bytes >> 20) +
                             " MiB is out of range; give between 1 and 3584 MiB");
  }
  return bytes;
}

std::vector<uint8_t> load_bios(const MachineConfig& config) {
  if (config.bios_path.empty()) {
    const auto demo = firmware::demo_rom();
    return {demo.begin(), demo.end()};
  }
  return firmware::load_rom_image(config.bios_path, "BIOS image");
}

// Instructions a slice of the run loop may retire before the loop looks at the outside
// world again. Large enough that the loop costs nothing.
constexpr uint64_t kSlice = 1u << 20;

// A CPU that shuts down again this soon after a reset is in a reset loop.
constexpr uint64_t kResetProgress = 1u << 16;

}  // namespace

BareMachine::BareMachine(const MachineConfig& config) : BareMachine(config, load_bios(config)) {}

BareMachine::BareMachine(const MachineConfig& config, std::span<const uint8_t> rom)
    : config_(config),
      memory_(checked_memory_size(config.memory_bytes)),
      cpu_(config.cpu_model, memory_, io_),
      debugcon_(config.debugcon) {
  if (rom.empty() || rom.size() > (size_t{1} << 20)) {
    throw std::runtime_error("the bare machine takes a ROM image of 1 byte to 1 MiB");
  }
  map_rom(rom);
  debug_port_.register_ports(io_);
  debug_port_.set_console_output([this](uint8_t byte) { debugcon_.put(byte); });
  debug_exit_.attach(io_, [this] {
    cpu_.request_stop();
    cpu_.request_block_exit();
  });
  cpu_.reset();
}

void BareMachine::map_rom(std::span<const uint8_t> rom) {
  const auto size = static_cast<uint32_t>(rom.size());
  // Below 1 MiB: the last 128 KiB at most, ending at 0xFFFFF, where real-mode code runs.
  const uint32_t low = std::min(size, kLowRomWindow);
  memory_.map_rom(0x100000 - low, rom.subspan(size - low), "bios (below 1 MiB)");
  // The 286 fetches its reset vector at 0xFFFFF0: its address bus has 24 lines.
  if (config_.cpu_model == cpu::CpuModel::I80286) {
    memory_.map_rom(0x1000000 - size, rom, "bios (top of 16 MiB)");
  }
  // The 386 and later start at 0xFFFFFFF0.
  memory_.map_rom(static_cast<uint32_t>(0x100000000ull - size), rom, "bios (top of 4 GiB)");
}

std::string BareMachine::where() const {
  char buf[32];
  const auto& regs = cpu_.regs();
  std::snprintf(buf, sizeof buf, "%04X:%08X", regs.seg[cpu::kCs].selector, regs.eip);
  return buf;
}

RunResult BareMachine::run() {
  RunResult result;
  const uint64_t start = cpu_.instructions_retired();
  const uint64_t limit = config_.max_instructions;
  for (;;) {
    const uint64_t done = cpu_.instructions_retired() - start;
    uint64_t slice = kSlice;
    if (limit) {
      if (done >= limit) {
        result.reason = RunResult::Reason::InstructionLimit;
        result.exit_code = 2;
        result.message = "stopped after " + std::to_string(done) +
                         " instructions (--max-instructions) at " + where();
        break;
      }
      slice = std::min(slice, limit - done);
    }
    cpu_.run(slice);
    if (cpu_.last_stop() >= cpu::StopReason::Breakpoint) {
      result.reason = RunResult::Reason::DebugStop;  // the debugger takes over
      break;
    }

    if (auto code = debug_exit_.exit_code()) {
      result.reason = RunResult::Reason::DebugExit;
      result.exit_code = *code;
      break;
    }
    if (cpu_.shutdown()) {
      const std::string what =
          "CPU shut down (triple fault, or a protected-mode path not "
          "implemented yet) at " +
          where();
      const uint64_t since_reset = cpu_.instructions_retired() - retired_at_reset_;
      resets_without_progress_ = since_reset < kResetProgress ? resets_without_progress_ + 1 : 0;
      const bool looping = resets_without_progress_ >= 3;
      if (config_.no_reboot || looping) {
        result.reason = RunResult::Reason::Shutdown;
        result.exit_code = 1;
        result.message = looping ? what + "; it keeps shutting down after resets, stopping" : what;
        break;
      }
      std::fprintf(stderr, "x86lab: %s; resetting the CPU (--no-reboot stops instead)\n",
                   what.c_str());
      retired_at_reset_ = cpu_.instructions_retired();
      cpu_.reset();
      continue;
    }
    if (cpu_.halted()) {
      // Nothing on the bare machine raises an interrupt, so a halt is final either way.
      result.reason = RunResult::Reason::Halted;
      result.exit_code = 0;
      result.message = (cpu_.eflags() & cpu::flag::kIf)
                           ? "guest halted; the bare machine has no interrupt to wake it"
                           : "guest halted with interrupts disabled";
      break;
    }
  }
  debugcon_.flush();
  result.instructions = cpu_.instructions_retired() - start;
  return result;
}

}  // namespace x86lab::machine
