// What the monitor and the gdb stub share: a machine to run and stop, memory access that
// neither faults nor fires watchpoints, and the stepping and resuming rules.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "bus/physical_memory.hpp"
#include "cpu/cpu.hpp"
#include "frontend/debug_options.hpp"
#include "machine/bare_machine.hpp"

namespace x86lab::frontend {

// A machine as the debugger sees it.
class DebugTarget {
 public:
  virtual ~DebugTarget() = default;
  virtual cpu::Cpu& cpu() = 0;
  virtual bus::PhysicalMemory& memory() = 0;
  // Runs until the guest ends the run or the CPU stops for the debugger (Reason::DebugStop).
  virtual machine::RunResult run() = 0;
};

template <typename Machine>
class MachineTarget final : public DebugTarget {
 public:
  explicit MachineTarget(Machine& machine) : machine_(machine) {}
  cpu::Cpu& cpu() override { return machine_.cpu(); }
  bus::PhysicalMemory& memory() override { return machine_.memory(); }
  machine::RunResult run() override { return machine_.run(); }

 private:
  Machine& machine_;
};

class DebugSession {
 public:
  explicit DebugSession(DebugTarget& target) : target_(target) {}

  cpu::Cpu& cpu() { return target_.cpu(); }
  bus::PhysicalMemory& memory() { return target_.memory(); }

  // Debugger memory access: linear addresses through the guest's page tables (no fault, no
  // A/D update, no watchpoint). Returns false when a page is not mapped.
  bool read_linear(uint32_t linear, std::span<uint8_t> out);
  bool write_linear(uint32_t linear, std::span<const uint8_t> in);
  void read_physical(uint32_t physical, std::span<uint8_t> out);
  void write_physical(uint32_t physical, std::span<const uint8_t> in);
  // CS.base + EIP, and whether the code is 32-bit.
  uint32_t pc_linear();
  bool code32();
  // The linear address of selector:offset: a loaded segment register with that selector, the
  // real-mode rule, or the descriptor in the GDT/LDT.
  uint32_t segment_linear(uint16_t selector, uint32_t offset);

  // After a stop, what happened.
  struct Stop {
    bool exited = false;  // the guest ended the run; result says how
    machine::RunResult result;
    cpu::DebugEvent event;
  };
  // Continues from the current CS:EIP (past a breakpoint there) until a stop or the end.
  Stop resume();
  // One instruction; interrupts are masked while stepping unless step_interrupts.
  Stop step();
  bool step_interrupts = false;
  bool exited() const { return exited_; }
  const machine::RunResult& final_result() const { return final_; }
  // One line saying why the CPU stopped and where.
  std::string describe(const Stop& stop);

  // Installs --trace: one line per instruction into file (owned by the caller).
  void start_trace(std::FILE* file, bool att);
  std::string trace_line(bool att);

 private:
  DebugTarget& target_;
  bool exited_ = false;
  machine::RunResult final_;
};

// SIGINT (Ctrl-C) stops a running guest into the debugger while installed.
class InterruptOnSigint {
 public:
  explicit InterruptOnSigint(cpu::Cpu& cpu);
  ~InterruptOnSigint();
  InterruptOnSigint(const InterruptOnSigint&) = delete;
  InterruptOnSigint& operator=(const InterruptOnSigint&) = delete;
};

std::string hex32(uint32_t value);

}  // namespace x86lab::frontend
