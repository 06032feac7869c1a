// The x87 floating-point unit: its register state, and the decode hook that picks a handler
// for an x87 instruction (opcodes D8-DF, and FXSAVE/FXRSTOR).
#pragma once

#include <cstdint>

#include "cpu/insn.hpp"

namespace x86lab::cpu {

// An 80-bit extended-precision value as stored in an x87 register: 64-bit significand with
// an explicit integer bit, 15-bit biased exponent and sign.
struct Float80 {
  uint64_t significand = 0;
  uint16_t sign_exponent = 0;
  friend constexpr bool operator==(const Float80&, const Float80&) = default;
};

struct X87State {
  Float80 st[8];  // physical registers R0..R7
  uint16_t control = 0x037F;
  uint16_t status = 0;    // TOP lives in bits 11..13
  uint16_t tag = 0xFFFF;  // two bits a register; 11 = empty
  uint16_t last_opcode = 0;
  uint32_t last_ip = 0;
  uint16_t last_cs = 0;
  uint32_t last_data = 0;
  uint16_t last_ds = 0;
  // FERR#: with CR0.NE clear, an unmasked exception is reported on this line (IRQ 13 on a PC)
  // when it is recorded, instead of #MF at the next waiting instruction. The machine connects
  // the line; FNINIT, FNCLEX and loads that clear the error deassert it.
  bool ferr = false;
  void (*ferr_line)(void* context, bool asserted) = nullptr;
  void* ferr_context = nullptr;
};

// What decode knows of an x87 instruction. The memory operand, when there is one, is the
// Insn's effective-address recipe.
struct X87Form {
  uint8_t opcode;  // D8..DF, or 0xAE for 0F AE (FXSAVE/FXRSTOR)
  uint8_t modrm;
  bool memory;           // the r/m operand is memory
  unsigned memory_size;  // bytes of the memory operand as Zydis reports it (0 when none)
  bool operand32;        // 32-bit operand size (FSTENV/FSAVE layouts)
};

// Returns the handler for the form: every D8-DF encoding has one (reserved encodings raise #NM
// or #UD), and so do FXSAVE/FXRSTOR with a memory operand.
Handler select_x87(const X87Form& form);

class Cpu;
// What a waiting instruction (FWAIT, and every x87 instruction except FNINIT, FNCLEX, FNSTSW,
// FNSTCW, FNSTENV and FNSAVE) does about a pending unmasked exception: #MF (vector 16) when
// CR0.NE is set. The FWAIT handler calls it after its CR0.MP/TS check.
void x87_check_pending(Cpu& cpu);

}  // namespace x86lab::cpu
