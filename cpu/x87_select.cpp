// The x87 is not implemented yet: every x87 instruction behaves as with no coprocessor
// (CPUID does not claim an FPU). Replaced by the x87 work (issue 3).
#include "cpu/x87.hpp"

namespace x86lab::cpu {

Handler select_x87(const X87Form&) { return nullptr; }

}  // namespace x86lab::cpu
