#include "frontend/disasm.hpp"

#include <Zydis/Zydis.h>

namespace x86lab::frontend {

Disassembly disassemble(const uint8_t* bytes, size_t available, uint32_t address, bool code32,
                        bool att) {
  Disassembly out;
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, code32 ? ZYDIS_MACHINE_MODE_LEGACY_32 : ZYDIS_MACHINE_MODE_LEGACY_16,
                   code32 ? ZYDIS_STACK_WIDTH_32 : ZYDIS_STACK_WIDTH_16);
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, bytes, available, &insn, operands))) {
    out.text = "(bad)";
    return out;
  }
  ZydisFormatter formatter;
  ZydisFormatterInit(&formatter, att ? ZYDIS_FORMATTER_STYLE_ATT : ZYDIS_FORMATTER_STYLE_INTEL);
  char buffer[256];
  if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&formatter, &insn, operands,
                                                    insn.operand_count_visible, buffer,
                                                    sizeof buffer, address, ZYAN_NULL))) {
    out.text = "(bad)";
    return out;
  }
  out.text = buffer;
  out.length = insn.length;
  out.is_call = insn.mnemonic == ZYDIS_MNEMONIC_CALL;
  return out;
}

}  // namespace x86lab::frontend
