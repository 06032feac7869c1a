// One-instruction disassembly for the monitor, the trace and the gdb stub's monitor commands:
// Zydis's formatter, Intel syntax by default, AT&T on request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace x86lab::frontend {

struct Disassembly {
  std::string text;     // "(bad)" when the bytes do not decode
  unsigned length = 1;  // bytes the instruction takes (1 when bad)
  bool is_call = false;
};

Disassembly disassemble(const uint8_t* bytes, size_t available, uint32_t address, bool code32,
                        bool att = false);

}  // namespace x86lab::frontend
