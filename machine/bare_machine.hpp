// The bare machine: a CPU, RAM, one raw ROM image, the debug console (0xE9) and isa-debug-exit
// (0xF4). No interrupt controller, no timer: a program runs from the reset vector until it
// halts, writes the exit port, shuts the CPU down or uses up its instruction budget. It is
// what the test programs in tests/programs and the built-in demo run on.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bus/io_space.hpp"
#include "bus/physical_memory.hpp"
#include "cpu/cpu.hpp"
#include "devices/debug_port.hpp"
#include "machine/debug_ports.hpp"
#include "machine/machine_config.hpp"

namespace x86lab::machine {

// Why a run ended, and the exit code the process should end with.
struct RunResult {
  enum class Reason : uint8_t {
    Halted,            // HLT with nothing that could wake the CPU: exit 0
    DebugExit,         // the guest wrote isa-debug-exit: exit (v << 1) | 1
    Shutdown,          // triple fault, or a path the CPU does not implement yet: exit 1
    InstructionLimit,  // --max-instructions reached: exit 2
    Stopped,           // the frontend's host hook ended the run (window closed, signal)
    DebugStop,         // a breakpoint, watchpoint or debugger interrupt: exit_code unused
  };
  Reason reason = Reason::Halted;
  int exit_code = 0;
  std::string message;  // one line for stderr; empty for DebugExit
  uint64_t instructions = 0;
};

// Largest ROM mapped below 1 MiB: the last 128 KiB of the image (E0000-FFFFF), as on a PC.
inline constexpr uint32_t kLowRomWindow = 128 * 1024;

class BareMachine {
 public:
  // Loads config.bios_path (or the built-in demo ROM when it is empty). Throws
  // firmware::FirmwareError for an unusable ROM file and std::runtime_error for other
  // configuration a user can get wrong (memory size, debug console file).
  explicit BareMachine(const MachineConfig& config);
  // Runs a ROM image given as bytes (tests).
  BareMachine(const MachineConfig& config, std::span<const uint8_t> rom);
  BareMachine(const BareMachine&) = delete;
  BareMachine& operator=(const BareMachine&) = delete;

  // Runs to the end (see RunResult). Each call continues where the last one stopped.
  RunResult run();

  cpu::Cpu& cpu() { return cpu_; }
  bus::PhysicalMemory& memory() { return memory_; }
  bus::IoSpace& io() { return io_; }
  const MachineConfig& config() const { return config_; }

 private:
  void map_rom(std::span<const uint8_t> rom);
  std::string where() const;

  MachineConfig config_;
  bus::PhysicalMemory memory_;
  bus::IoSpace io_;
  cpu::Cpu cpu_;
  devices::DebugPort debug_port_;
  DebugconSink debugcon_;
  DebugExit debug_exit_;
  uint64_t retired_at_reset_ = 0;
  unsigned resets_without_progress_ = 0;
};

}  // namespace x86lab::machine
