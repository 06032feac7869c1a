// A guest exception raised while executing an instruction. Thrown from deep inside an access
// and caught once by the run loop, which rewinds to the instruction's start (for faults) and
// delivers the vector through the IVT or IDT.
#pragma once

#include <cstdint>

namespace x86lab::mmu {

enum class Vector : uint8_t {
  DivideError = 0,
  Debug = 1,
  Nmi = 2,
  Breakpoint = 3,
  Overflow = 4,
  BoundRange = 5,
  InvalidOpcode = 6,
  DeviceNotAvailable = 7,
  DoubleFault = 8,
  InvalidTss = 10,
  SegmentNotPresent = 11,
  StackFault = 12,
  GeneralProtection = 13,
  PageFault = 14,
  FpuError = 16,
  AlignmentCheck = 17,
};

struct CpuFault {
  uint8_t vector;
  bool has_error_code = false;
  uint32_t error_code = 0;
  // A trap leaves EIP after the instruction (the 8086's divide error, INT n is not a fault).
  bool is_trap = false;
};

[[noreturn]] inline void raise_fault(Vector v) { throw CpuFault{static_cast<uint8_t>(v)}; }
[[noreturn]] inline void raise_fault(Vector v, uint32_t error_code) {
  throw CpuFault{static_cast<uint8_t>(v), true, error_code};
}

}  // namespace x86lab::mmu
