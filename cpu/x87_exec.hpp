// The x87 instruction handlers, as two families that decode settles once: the register forms
// (mod == 3), one instance a (opcode, ModRM) pair, and the memory forms, one instance a
// (opcode, reg field) pair. x87_select.cpp maps an X87Form to one of them.
#pragma once

#include <cstdint>

#include "cpu/insn.hpp"

namespace x86lab::cpu {

// fop: the 11-bit x87 opcode, (first byte & 7) << 8 | ModRM, with mod == 3.
Handler x87_register_handler(uint16_t fop);
// op_reg: (first byte & 7) << 3 | ModRM.reg, for a memory operand.
Handler x87_memory_handler(uint8_t op_reg);

}  // namespace x86lab::cpu
