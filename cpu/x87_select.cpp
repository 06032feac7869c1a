// The x87 decode hook: the handler for one exact x87 form, FXSAVE/FXRSTOR (0F AE /0, /1)
// included (docs/cpu.md says why the P6 model has them).
#include "cpu/x87.hpp"
#include "cpu/x87_exec.hpp"

namespace x86lab::cpu {

Handler select_x87(const X87Form& form) {
  if (form.opcode == 0xAE) return form.memory ? x87_fxsave_handler((form.modrm >> 3) & 1) : nullptr;
  if (form.opcode < 0xD8 || form.opcode > 0xDF) return nullptr;
  const unsigned op = form.opcode & 7;
  if (!form.memory) return x87_register_handler(static_cast<uint16_t>((op << 8) | form.modrm));
  return x87_memory_handler(static_cast<uint8_t>((op << 3) | ((form.modrm >> 3) & 7)));
}

}  // namespace x86lab::cpu
