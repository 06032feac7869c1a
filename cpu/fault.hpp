// The CPU raises and handles the exceptions the MMU defines (the MMU raises #PF and #GP).
#pragma once

#include "mmu/fault.hpp"

namespace x86lab::cpu {
using mmu::CpuFault;
using mmu::raise_fault;
using mmu::Vector;
}  // namespace x86lab::cpu
