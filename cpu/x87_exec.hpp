// The x87 instruction handlers, as two families that decode settles once: the register forms
// (mod == 3), one instance a (opcode, ModRM) pair, and the memory forms, one instance a
// (opcode, reg field) pair. x87_select.cpp maps an X87Form to one of them.
#pragma once

#include <cstdint>

#include "cpu/insn.hpp"
#include "cpu/x87.hpp"

namespace x86lab::cpu {

// fop: the 11-bit x87 opcode, (first byte & 7) << 8 | ModRM, with mod == 3.
Handler x87_register_handler(uint16_t fop);
// op_reg: (first byte & 7) << 3 | ModRM.reg, for a memory operand.
Handler x87_memory_handler(uint8_t op_reg);
// FXSAVE (restore false) and FXRSTOR, 0F AE /0 and /1 with a memory operand (x87_fxsave.cpp).
Handler x87_fxsave_handler(bool restore);

// Shared with x87_fxsave.cpp: the 2-bit tag a register's contents give (0 valid, 1 zero,
// 2 special), and ES/B (and FERR#) brought in line with the status and control words.
class Cpu;
uint16_t x87_tag_of(const Float80& value);
void x87_refresh_error_summary(Cpu& cpu);

}  // namespace x86lab::cpu
