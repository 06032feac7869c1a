// Zydis decodes; this turns its result into our Insn record with the handler for the exact
// form chosen. A small per-model table in front of Zydis rewrites the bytes that older CPUs
// decode differently (the 8086's aliases, the 286's missing 386 prefixes).
#pragma once

#include <Zydis/Zydis.h>

#include <cstddef>
#include <cstdint>

#include "cpu/cpu_model.hpp"
#include "cpu/insn.hpp"

namespace x86lab::cpu {

struct DecodeMode {
  bool code32 = false;    // CS.D in protected mode
  bool real_mode = true;  // real or virtual-8086 mode
};

enum class DecodeStatus : uint8_t {
  Ok,         // insn is filled (an invalid encoding gets the #UD handler)
  Truncated,  // the bytes ended before the instruction did
};

struct DecodeResult {
  DecodeStatus status = DecodeStatus::Ok;
  bool ends_block = false;  // control transfer, or it may change how later bytes decode
  // For flag liveness (docs/cpu.md): the arithmetic flags (flag:: bits) the instruction
  // reads and surely writes, and whether it is plain: register and immediate operands only,
  // it cannot fault and does not end its block, so nothing can observe the flags before it.
  // The defaults suit an instruction we know nothing about: it reads every flag.
  uint16_t flags_read = 0x8D5;
  uint16_t flags_written = 0;
  bool plain = false;
};

class Decoder {
 public:
  explicit Decoder(CpuModel model);

  DecodeResult decode(const uint8_t* bytes, size_t available, DecodeMode mode, Insn& out);
  // How many times Zydis ran: the block cache's tests count it.
  uint64_t decode_count() const { return decode_count_; }

 private:
  CpuModel model_;
  ZydisDecoder real16_;
  ZydisDecoder legacy16_;
  ZydisDecoder legacy32_;
  uint64_t decode_count_ = 0;
};

}  // namespace x86lab::cpu
