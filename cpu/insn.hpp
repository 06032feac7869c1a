// The decoded form of one instruction: what decode settled once, so that execution never
// looks at instruction bytes again. 32 bytes; a block is an array of these.
#pragma once

#include <cstdint>

namespace x86lab::cpu {

class Cpu;
struct Insn;
using Handler = void (*)(Cpu& cpu, const Insn& insn);

namespace prefix {
inline constexpr uint8_t kRep = 1;    // F3: REP / REPE
inline constexpr uint8_t kRepne = 2;  // F2: REPNE
inline constexpr uint8_t kLock = 4;
inline constexpr uint8_t kA32 = 8;   // 32-bit addressing
inline constexpr uint8_t kO32 = 16;  // 32-bit operand size
inline constexpr uint8_t kSegOverride = 32;
}  // namespace prefix

namespace insn_flags {
// The handler sets EIP itself (taken or not): control transfers. For every other
// instruction the run loop derives EIP from next_offset when it needs it.
inline constexpr uint8_t kSetsEip = 1;
}  // namespace insn_flags

struct Insn {
  Handler fn;
  uint32_t disp;         // address displacement, relative branch offset, or memory offset
  uint32_t imm;          // immediate (already extended to the operand size), far offset
  uint16_t imm2;         // second immediate: far selector, ENTER nesting level
  uint8_t length;        // bytes, prefixes included
  uint8_t rm;            // register of the first operand (when it is a register)
  uint8_t reg;           // register of the second operand (when it is a register)
  uint8_t seg;           // segment of the memory operand, overrides applied
  uint8_t base;          // effective-address base register or kNoReg
  uint8_t index;         // effective-address index register or kNoReg
  uint8_t scale;         // index shift, 0..3
  uint8_t ea_shift;      // 16 for 16-bit addressing (offset masked to 16 bits), 0 for 32-bit
  uint8_t prefixes;      // prefix:: bits
  uint8_t aux;           // condition code, ALU operation, segment register: handler-specific
  uint8_t flags;         // insn_flags::
  uint16_t next_offset;  // offset of the next instruction from the block's first one
};
static_assert(sizeof(Insn) <= 32);

}  // namespace x86lab::cpu
