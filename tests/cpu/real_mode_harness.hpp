// A CPU with 1 MiB of RAM and code loaded at 0100:0000, for unit tests.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "bus/io_space.hpp"
#include "bus/physical_memory.hpp"
#include "cpu/cpu.hpp"

namespace x86lab::tests {

struct RealModeHarness {
  static constexpr uint16_t kCodeSegment = 0x0100;

  explicit RealModeHarness(cpu::CpuModel model = cpu::CpuModel::PentiumPro)
      : memory(1 << 20), cpu(model, memory, io) {
    cpu.load_segment_real(cpu::kCs, kCodeSegment);
    cpu.load_segment_real(cpu::kDs, kCodeSegment);
    cpu.load_segment_real(cpu::kEs, kCodeSegment);
    cpu.load_segment_real(cpu::kSs, 0x9000);
    cpu.regs().gpr[cpu::kEsp] = 0xFFFE;
    cpu.regs().eip = 0;
  }

  void load(std::initializer_list<uint8_t> code, uint32_t offset = 0) {
    uint32_t at = (uint32_t{kCodeSegment} << 4) + offset;
    for (uint8_t b : code) memory.poke(at++, b);
  }

  // Runs until HLT; fails the test if it takes more than max instructions.
  uint64_t run_to_halt(uint64_t max = 1'000'000) { return cpu.run(max); }

  bus::PhysicalMemory memory;
  bus::IoSpace io;
  cpu::Cpu cpu;
};

}  // namespace x86lab::tests
