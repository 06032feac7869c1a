// What to build and how to run it: the frontend fills this in from the command line, the tests
// fill it in directly. Plain data; the machine validates what it cannot take.
#pragma once

#include <cstdint>
#include <string>

#include "cpu/cpu_model.hpp"

namespace x86lab::machine {

enum class MachineKind : uint8_t {
  Bare,  // CPU, RAM, a raw ROM, the debug console and isa-debug-exit; no devices, no interrupts
  Pc,    // the PC (PIC, PIT, CMOS, VGA, disks, SeaBIOS): not implemented yet
};

// Where bytes written to the debug console (port 0xE9) go.
struct DebugconTarget {
  enum class Kind : uint8_t { None, Stdio, File };
  Kind kind = Kind::Stdio;
  std::string path;  // for Kind::File
};

inline constexpr uint64_t kMiB = uint64_t{1} << 20;
// RAM below the 4 GiB ROM/MMIO hole, as on a PC with 32-bit addressing.
inline constexpr uint64_t kMinMemoryBytes = 1 * kMiB;
inline constexpr uint64_t kMaxMemoryBytes = 3584 * kMiB;

struct MachineConfig {
  MachineKind kind = MachineKind::Bare;
  cpu::CpuModel cpu_model = cpu::CpuModel::PentiumPro;
  uint64_t memory_bytes = 32 * kMiB;
  std::string bios_path;  // empty on the bare machine: the built-in demo ROM
  DebugconTarget debugcon;
  uint64_t max_instructions = 0;  // 0: no limit
  bool no_reboot = false;         // a CPU shutdown ends the run instead of resetting the CPU
  bool deterministic = false;     // guest time from the instruction count only
};

}  // namespace x86lab::machine
