#include "cpu/decoder.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "cpu/handlers.hpp"
#include "cpu/registers.hpp"

namespace x86lab::cpu {
namespace {

struct Operand {
  Kind kind = Kind::None;
  ZydisRegisterClass reg_class = ZYDIS_REGCLASS_INVALID;
  uint8_t reg = 0;    // register number within its class
  unsigned size = 0;  // bytes
};

// What the model-specific pre-pass found out about the bytes.
struct Prepass {
  std::array<uint8_t, 16> bytes{};
  size_t opcode_at = 0;      // index of the opcode byte after the prefixes
  Handler forced = nullptr;  // the instruction is settled without Zydis
  uint8_t forced_length = 0;
  bool escape = false;        // a coprocessor instruction decoded for its length only
  bool set_mo = false;        // 8086 D0-D3 /6
  bool mov_to_cs = false;     // 8086 8E /1
  uint8_t removed_locks = 0;  // LOCK prefixes taken out before Zydis (8086/286)
};

bool is_legacy_prefix(uint8_t b, CpuModel model) {
  switch (b) {
    case 0x26:
    case 0x2E:
    case 0x36:
    case 0x3E:
    case 0xF0:
    case 0xF2:
    case 0xF3:
      return true;
    case 0xF1:
      return model == CpuModel::I8086;  // an alias of LOCK on the 8086
    case 0x64:
    case 0x65:
    case 0x66:
    case 0x67:
      return at_least(model, CpuModel::I80386);
    default:
      return false;
  }
}

uint8_t modrm_reg(uint8_t modrm) { return (modrm >> 3) & 7; }

// Rewrites the bytes that an 8086 or 286 decodes differently from the 386+ that Zydis knows.
void model_prepass(CpuModel model, Prepass& p, size_t available) {
  size_t i = 0;
  while (i < available && i < 15 && is_legacy_prefix(p.bytes[i], model)) {
    if (p.bytes[i] == 0xF1) p.bytes[i] = 0xF0;
    if (p.bytes[i] == 0xF0 && !at_least(model, CpuModel::I80386)) {
      // Before the 386, LOCK is accepted on any instruction. Zydis would reject it where a
      // 386 raises #UD, so it is taken out here and counted back into the length.
      std::memmove(&p.bytes[i], &p.bytes[i + 1], p.bytes.size() - i - 1);
      p.bytes.back() = 0;
      ++p.removed_locks;
      --available;
      continue;
    }
    ++i;
  }
  p.opcode_at = i;
  if (i >= available) return;
  uint8_t& op = p.bytes[i];
  uint8_t* modrm = i + 1 < 16 ? &p.bytes[i + 1] : nullptr;

  if (op >= 0xD8 && op <= 0xDF && model != CpuModel::PentiumPro) {
    // No coprocessor: decode as MOV r16, r/m16, which has the same ModRM layout, for length.
    op = 0x8B;
    p.escape = true;
    return;
  }
  if (model == CpuModel::I8086) {
    if (op >= 0x60 && op <= 0x6F)
      op = static_cast<uint8_t>(op + 0x10);  // Jcc aliases
    else if (op == 0xC0 || op == 0xC1)
      op = static_cast<uint8_t>(op + 2);  // RET imm / RET
    else if (op == 0xC8 || op == 0xC9)
      op = static_cast<uint8_t>(op + 2);  // RETF imm / RETF
    else if (op == 0x0F) {
      p.forced = kPopCs8086;
      p.forced_length = static_cast<uint8_t>(i + 1);
    } else if ((op == 0x8C || op == 0x8E) && modrm) {
      *modrm &= 0xDF;  // only two bits select the segment register
      if (op == 0x8E && modrm_reg(*modrm) == kCs) {
        p.mov_to_cs = true;
        *modrm = static_cast<uint8_t>((*modrm & 0xC7) | (kDs << 3));
      }
    } else if (op == 0xFF && modrm && modrm_reg(*modrm) == 7) {
      *modrm = static_cast<uint8_t>(*modrm & ~0x08);  // FF /7 is PUSH, like /6
    } else if (op >= 0xD0 && op <= 0xD3 && modrm && modrm_reg(*modrm) == 6) {
      p.set_mo = true;
    }
  } else if (model == CpuModel::I80286) {
    if (op == 0x0F && i + 1 < available) {
      const uint8_t second = p.bytes[i + 1];
      if (second > 0x06 || second == 0x04) {
        p.forced = kInvalidOpcode;
        p.forced_length = static_cast<uint8_t>(i + 2);
      }
    } else if (op >= 0x64 && op <= 0x67) {
      p.forced = kInvalidOpcode;
      p.forced_length = static_cast<uint8_t>(i + 1);
    } else if ((op == 0x8C || op == 0x8E) && modrm && modrm_reg(*modrm) > 3) {
      p.forced = kInvalidOpcode;
      p.forced_length = static_cast<uint8_t>(i + 2);
    }
  }
}

Operand convert_register(ZydisRegister r, unsigned size_bits) {
  Operand o;
  o.kind = Kind::Reg;
  o.reg_class = ZydisRegisterGetClass(r);
  o.reg = static_cast<uint8_t>(ZydisRegisterGetId(r));
  o.size = size_bits / 8;
  return o;
}

uint8_t gpr_or_none(ZydisRegister r) {
  if (r == ZYDIS_REGISTER_NONE) return kNoReg;
  return static_cast<uint8_t>(ZydisRegisterGetId(r));
}

uint8_t segment_id(ZydisRegister r) {
  return r == ZYDIS_REGISTER_NONE ? uint8_t{kDs} : static_cast<uint8_t>(ZydisRegisterGetId(r));
}

uint8_t scale_shift(uint8_t scale) {
  switch (scale) {
    case 2:
      return 1;
    case 4:
      return 2;
    case 8:
      return 3;
    default:
      return 0;
  }
}

// Mnemonics a 386 does not have (486 and P6 additions).
bool is_post_386(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_CPUID:
    case ZYDIS_MNEMONIC_RDTSC:
    case ZYDIS_MNEMONIC_RDMSR:
    case ZYDIS_MNEMONIC_WRMSR:
    case ZYDIS_MNEMONIC_CMPXCHG8B:
    case ZYDIS_MNEMONIC_BSWAP:
    case ZYDIS_MNEMONIC_XADD:
    case ZYDIS_MNEMONIC_CMPXCHG:
    case ZYDIS_MNEMONIC_INVD:
    case ZYDIS_MNEMONIC_WBINVD:
    case ZYDIS_MNEMONIC_INVLPG:
    case ZYDIS_MNEMONIC_RDPMC:
    case ZYDIS_MNEMONIC_SYSENTER:
    case ZYDIS_MNEMONIC_SYSEXIT:
      return true;
    default:
      return false;
  }
}

class Selector {
 public:
  Selector(CpuModel model, const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
           const Prepass& pre, Insn& insn, DecodeResult& result)
      : model_(model), in_(in), ops_(ops), pre_(pre), insn_(insn), result_(result) {}

  void run();

 private:
  void collect_operands();
  Handler select();
  Handler select_jump_family();
  Handler select_string_family();
  unsigned size() const { return in_.operand_width / 8; }
  Kind k(unsigned i) const { return i < count_ ? op_[i].kind : Kind::None; }
  void end_block() { result_.ends_block = true; }
  // A control transfer: the handler sets EIP itself, and the block ends after it.
  void transfers_control() {
    result_.ends_block = true;
    insn_.flags |= insn_flags::kSetsEip;
  }
  // Some handlers read a single register operand through insn.reg (the "second" slot).
  void first_register_to_second() { insn_.reg = insn_.rm; }

  CpuModel model_;
  const ZydisDecodedInstruction& in_;
  const ZydisDecodedOperand* ops_;
  const Prepass& pre_;
  Insn& insn_;
  DecodeResult& result_;
  uint8_t memory_segment(const ZydisDecodedOperand& z) const {
    return segment_override_ != 0xFF ? segment_override_ : segment_id(z.mem.segment);
  }

  Operand op_[4];
  unsigned count_ = 0;
  uint8_t segment_override_ = 0xFF;
  unsigned immediates_ = 0;
};

void Selector::collect_operands() {
  for (unsigned i = 0; i < in_.operand_count && count_ < 4; ++i) {
    const ZydisDecodedOperand& z = ops_[i];
    if (z.visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN) continue;
    Operand o;
    switch (z.type) {
      case ZYDIS_OPERAND_TYPE_REGISTER:
        o = convert_register(z.reg.value, z.size);
        if (count_ == 0) insn_.rm = o.reg;
        if (count_ == 1) insn_.reg = o.reg;
        break;
      case ZYDIS_OPERAND_TYPE_MEMORY:
        o.kind = Kind::Mem;
        o.size = z.size / 8;
        insn_.seg = memory_segment(z);
        insn_.base = gpr_or_none(z.mem.base);
        insn_.index = gpr_or_none(z.mem.index);
        insn_.scale = scale_shift(z.mem.scale);
        insn_.disp = static_cast<uint32_t>(z.mem.disp.value);
        break;
      case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        o.kind = Kind::Imm;
        o.size = z.size / 8;
        if (z.imm.is_relative) {
          insn_.disp = static_cast<uint32_t>(z.imm.value.s);
        } else if (immediates_++ == 0) {
          insn_.imm = static_cast<uint32_t>(z.imm.value.u);
        } else {
          insn_.imm2 = static_cast<uint16_t>(z.imm.value.u);
        }
        break;
      case ZYDIS_OPERAND_TYPE_POINTER:
        o.kind = Kind::Imm;
        insn_.imm = z.ptr.offset;
        insn_.imm2 = z.ptr.segment;
        break;
      default:
        continue;
    }
    op_[count_++] = o;
  }
}

void Selector::run() {
  insn_.length = in_.length;
  insn_.ea_shift = in_.address_width == 32 ? 0 : 16;
  insn_.base = kNoReg;
  insn_.index = kNoReg;
  insn_.seg = kDs;
  if (in_.operand_width == 32) insn_.prefixes |= prefix::kO32;
  if (in_.address_width == 32) insn_.prefixes |= prefix::kA32;
  if (in_.attributes & ZYDIS_ATTRIB_HAS_LOCK) insn_.prefixes |= prefix::kLock;
  // The last of F2/F3 decides the repeat kind.
  for (unsigned i = 0; i < in_.raw.prefix_count; ++i) {
    const uint8_t value = in_.raw.prefixes[i].value;
    if (value == 0xF3) insn_.prefixes = (insn_.prefixes & ~prefix::kRepne) | prefix::kRep;
    if (value == 0xF2) insn_.prefixes = (insn_.prefixes & ~prefix::kRep) | prefix::kRepne;
    // Zydis reads 2E/3E before a branch as hints; to the CPU they are segment overrides,
    // and the last one wins.
    switch (value) {
      case 0x26:
        segment_override_ = kEs;
        break;
      case 0x2E:
        segment_override_ = kCs;
        break;
      case 0x36:
        segment_override_ = kSs;
        break;
      case 0x3E:
        segment_override_ = kDs;
        break;
      case 0x64:
        segment_override_ = kFs;
        break;
      case 0x65:
        segment_override_ = kGs;
        break;
      default:
        break;
    }
  }
  collect_operands();
  Handler h = nullptr;
  if (pre_.escape) {
    h = kEscape;
    insn_.aux = k(1) == Kind::Mem ? 1 : 0;
  } else if (model_ != CpuModel::PentiumPro && is_post_386(in_.mnemonic)) {
    h = nullptr;
  } else {
    h = select();
  }
  if (!h) {
    h = kInvalidOpcode;
    end_block();
  } else if (in_.address_width == 32) {
    // A memory operand's 32-bit address form, settled here: the fast twin (when the family has
    // them) computes it without the general form's index and 16-bit mask.
    for (unsigned i = 0; i < count_; ++i) {
      if (op_[i].kind == Kind::Mem) {
        h = address_form_twin(
            h, insn_.index == kNoReg ? AddressForm::Base32 : AddressForm::BaseIndex32);
        break;
      }
    }
  }
  insn_.fn = h;
}

Handler Selector::select_string_family() {
  const uint8_t op = in_.opcode;
  const unsigned sz = (op & 1) ? size() : 1;
  // The source segment (DS unless overridden) comes from the operand addressed by (E)SI.
  for (unsigned i = 0; i < in_.operand_count; ++i) {
    const ZydisDecodedOperand& z = ops_[i];
    if (z.type == ZYDIS_OPERAND_TYPE_MEMORY &&
        (z.mem.base == ZYDIS_REGISTER_SI || z.mem.base == ZYDIS_REGISTER_ESI)) {
      insn_.seg = memory_segment(z);
    }
  }
  const bool a32 = in_.address_width == 32;
  const uint8_t rep = insn_.prefixes & (prefix::kRep | prefix::kRepne);
  switch (op & 0xFE) {
    case 0xA4:
      return select_string(StringOp::Movs, sz, a32, rep);
    case 0xA6:
      return select_string(StringOp::Cmps, sz, a32, rep);
    case 0xAA:
      return select_string(StringOp::Stos, sz, a32, rep);
    case 0xAC:
      return select_string(StringOp::Lods, sz, a32, rep);
    case 0xAE:
      return select_string(StringOp::Scas, sz, a32, rep);
    case 0x6C:
      return select_string(StringOp::Ins, sz, a32, rep);
    case 0x6E:
      return select_string(StringOp::Outs, sz, a32, rep);
    default:
      return nullptr;
  }
}

Handler Selector::select_jump_family() {
  transfers_control();
  const bool far_modrm = in_.opcode == 0xFF && (in_.raw.modrm.reg == 3 || in_.raw.modrm.reg == 5);
  const bool is_call = in_.mnemonic == ZYDIS_MNEMONIC_CALL;
  if (op_[0].kind == Kind::Imm && in_.opcode != 0xEA && in_.opcode != 0x9A) {
    return is_call ? select_call_rel(size()) : select_jmp_rel(size());
  }
  if (in_.opcode == 0xEA || in_.opcode == 0x9A) {
    return is_call ? select_call_far_direct(size()) : select_jmp_far_direct(size());
  }
  if (far_modrm) {
    if (k(0) != Kind::Mem) return nullptr;
    return is_call ? select_call_far_indirect(size()) : select_jmp_far_indirect(size());
  }
  first_register_to_second();
  return is_call ? select_call_near_indirect(size(), k(0)) : select_jmp_near_indirect(size(), k(0));
}

Handler Selector::select() {
  const unsigned sz = size();
  const bool default_map = in_.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT;
  const uint8_t op = in_.opcode;

  if (default_map &&
      ((op >= 0xA4 && op <= 0xA7) || (op >= 0xAA && op <= 0xAF) || (op >= 0x6C && op <= 0x6F))) {
    return select_string_family();
  }
  if ((default_map && op >= 0x70 && op <= 0x7F) ||
      (in_.opcode_map == ZYDIS_OPCODE_MAP_0F && op >= 0x80 && op <= 0x8F)) {
    insn_.aux = op & 0xF;
    transfers_control();
    return select_jcc(sz, insn_.aux);
  }

  switch (in_.mnemonic) {
    case ZYDIS_MNEMONIC_ADD:
      return select_alu(AluOp::Add, sz, k(0), k(1));
    case ZYDIS_MNEMONIC_OR:
      return select_alu(AluOp::Or, sz, k(0), k(1));
    case ZYDIS_MNEMONIC_ADC:
      return select_alu(AluOp::Adc, sz, k(0), k(1));
    case ZYDIS_MNEMONIC_SBB:
      return select_alu(AluOp::Sbb, sz, k(0), k(1));
    case ZYDIS_MNEMONIC_AND:
      return select_alu(AluOp::And, sz, k(0), k(1));
    case ZYDIS_MNEMONIC_SUB:
      return select_alu(AluOp::Sub, sz, k(0), k(1));
    case ZYDIS_MNEMONIC_XOR:
      return select_alu(AluOp::Xor, sz, k(0), k(1));
    case ZYDIS_MNEMONIC_CMP:
      return select_alu(AluOp::Cmp, sz, k(0), k(1));
    case ZYDIS_MNEMONIC_TEST:
      return select_alu(AluOp::Test, sz, k(0), k(1));
    case ZYDIS_MNEMONIC_INC:
      return select_unary(UnaryOp::Inc, sz, k(0));
    case ZYDIS_MNEMONIC_DEC:
      return select_unary(UnaryOp::Dec, sz, k(0));
    case ZYDIS_MNEMONIC_NOT:
      return select_unary(UnaryOp::Not, sz, k(0));
    case ZYDIS_MNEMONIC_NEG:
      return select_unary(UnaryOp::Neg, sz, k(0));

    case ZYDIS_MNEMONIC_ROL:
    case ZYDIS_MNEMONIC_ROR:
    case ZYDIS_MNEMONIC_RCL:
    case ZYDIS_MNEMONIC_RCR:
    case ZYDIS_MNEMONIC_SHL:
    case ZYDIS_MNEMONIC_SHR:
    case ZYDIS_MNEMONIC_SAR: {
      // /6 is SAL (= SHL) on every CPU but the 8086, where it sets the operand to all ones.
      ShiftOp shift = static_cast<ShiftOp>(in_.raw.modrm.reg);
      if (shift == ShiftOp::SetMo && !pre_.set_mo) shift = ShiftOp::Shl;
      const Kind count = k(1) == Kind::Reg ? Kind::Reg : Kind::Imm;
      return select_shift(shift, sz, k(0), count);
    }
    case ZYDIS_MNEMONIC_SHLD:
    case ZYDIS_MNEMONIC_SHRD:
      return select_shift_double(in_.mnemonic == ZYDIS_MNEMONIC_SHLD, sz, k(0),
                                 k(2) == Kind::Reg ? Kind::Reg : Kind::Imm);

    case ZYDIS_MNEMONIC_MUL:
      return select_muldiv(MulDivOp::Mul, sz, k(0));
    case ZYDIS_MNEMONIC_DIV:
      return select_muldiv(MulDivOp::Div, sz, k(0));
    case ZYDIS_MNEMONIC_IDIV:
      return select_muldiv(MulDivOp::Idiv, sz, k(0));
    case ZYDIS_MNEMONIC_IMUL:
      if (count_ == 1) return select_muldiv(MulDivOp::Imul, sz, k(0));
      if (count_ == 2) return select_imul2(sz, k(1));
      return select_imul3(sz, k(1));

    case ZYDIS_MNEMONIC_BT:
      return select_bit_test(BitOp::Bt, sz, k(0), k(1));
    case ZYDIS_MNEMONIC_BTS:
      return select_bit_test(BitOp::Bts, sz, k(0), k(1));
    case ZYDIS_MNEMONIC_BTR:
      return select_bit_test(BitOp::Btr, sz, k(0), k(1));
    case ZYDIS_MNEMONIC_BTC:
      return select_bit_test(BitOp::Btc, sz, k(0), k(1));
    case ZYDIS_MNEMONIC_BSF:
      return select_bit_scan(false, sz, k(1));
    // F3 0F BC/BD: TZCNT/LZCNT on BMI CPUs; ours predate them and ignore the REP prefix,
    // running BSF/BSR (Linux relies on that in its find-bit helpers).
    case ZYDIS_MNEMONIC_TZCNT:
      return select_bit_scan(false, sz, k(1));
    case ZYDIS_MNEMONIC_LZCNT:
      return select_bit_scan(true, sz, k(1));
    case ZYDIS_MNEMONIC_BSR:
      return select_bit_scan(true, sz, k(1));
    case ZYDIS_MNEMONIC_XADD:
      return select_xadd(sz, k(0));
    case ZYDIS_MNEMONIC_CMPXCHG:
      return select_cmpxchg(sz, k(0));
    case ZYDIS_MNEMONIC_CMPXCHG8B:
      return kCmpxchg8b;

    case ZYDIS_MNEMONIC_MOV: {
      const Operand& a = op_[0];
      const Operand& b = op_[1];
      if (a.kind == Kind::Reg && a.reg_class == ZYDIS_REGCLASS_SEGMENT) {
        insn_.aux = pre_.mov_to_cs ? static_cast<uint8_t>(kCs) : a.reg;
        if (insn_.aux == kCs && model_ != CpuModel::I8086) return nullptr;
        end_block();
        return select_mov_to_sreg(b.kind);
      }
      if (b.kind == Kind::Reg && b.reg_class == ZYDIS_REGCLASS_SEGMENT) {
        insn_.aux = b.reg;
        return select_mov_from_sreg(sz, a.kind);
      }
      if (a.reg_class == ZYDIS_REGCLASS_CONTROL) {
        insn_.aux = a.reg;
        end_block();
        return kMovToCr;
      }
      if (b.reg_class == ZYDIS_REGCLASS_CONTROL) {
        insn_.aux = b.reg;
        return kMovFromCr;
      }
      if (a.reg_class == ZYDIS_REGCLASS_DEBUG) {
        insn_.aux = a.reg;
        return kMovToDr;
      }
      if (b.reg_class == ZYDIS_REGCLASS_DEBUG) {
        insn_.aux = b.reg;
        return kMovFromDr;
      }
      return select_mov(sz, a.kind, b.kind);
    }
    case ZYDIS_MNEMONIC_XCHG:
      if (k(0) == Kind::Reg && k(1) == Kind::Mem) {
        // Memory second: swap the slots so the memory operand is the "first".
        insn_.reg = insn_.rm;
        return select_xchg(sz, Kind::Mem);
      }
      return select_xchg(sz, k(0));
    case ZYDIS_MNEMONIC_LEA:
      return select_lea(sz);
    case ZYDIS_MNEMONIC_MOVZX:
      return select_movx(false, sz, op_[1].size, k(1));
    case ZYDIS_MNEMONIC_MOVSX:
      return select_movx(true, sz, op_[1].size, k(1));
    case ZYDIS_MNEMONIC_PUSH:
      if (op_[0].kind == Kind::Reg && op_[0].reg_class == ZYDIS_REGCLASS_SEGMENT) {
        insn_.aux = op_[0].reg;
        return select_push_sreg(sz);
      }
      if (op_[0].kind == Kind::Imm) insn_.imm = sz == 2 ? insn_.imm & 0xFFFF : insn_.imm;
      first_register_to_second();
      return select_push(sz, k(0));
    case ZYDIS_MNEMONIC_POP:
      if (op_[0].kind == Kind::Reg && op_[0].reg_class == ZYDIS_REGCLASS_SEGMENT) {
        insn_.aux = op_[0].reg;
        end_block();
        return select_pop_sreg(sz);
      }
      return select_pop(sz, k(0));
    case ZYDIS_MNEMONIC_PUSHA:
    case ZYDIS_MNEMONIC_PUSHAD:
      return select_pusha(sz);
    case ZYDIS_MNEMONIC_POPA:
    case ZYDIS_MNEMONIC_POPAD:
      return select_popa(sz);
    case ZYDIS_MNEMONIC_PUSHF:
    case ZYDIS_MNEMONIC_PUSHFD:
      return select_pushf(sz);
    case ZYDIS_MNEMONIC_POPF:
    case ZYDIS_MNEMONIC_POPFD:
      end_block();
      return select_popf(sz);
    case ZYDIS_MNEMONIC_LDS:
      insn_.aux = kDs;
      return select_load_far_pointer(sz);
    case ZYDIS_MNEMONIC_LES:
      insn_.aux = kEs;
      return select_load_far_pointer(sz);
    case ZYDIS_MNEMONIC_LFS:
      insn_.aux = kFs;
      return select_load_far_pointer(sz);
    case ZYDIS_MNEMONIC_LGS:
      insn_.aux = kGs;
      return select_load_far_pointer(sz);
    case ZYDIS_MNEMONIC_LSS:
      insn_.aux = kSs;
      end_block();
      return select_load_far_pointer(sz);
    case ZYDIS_MNEMONIC_CBW:
    case ZYDIS_MNEMONIC_CWDE:
      return select_convert_acc(sz);
    case ZYDIS_MNEMONIC_CWD:
    case ZYDIS_MNEMONIC_CDQ:
      return select_convert_dx(sz);
    case ZYDIS_MNEMONIC_XLAT: {
      for (unsigned i = 0; i < in_.operand_count; ++i) {
        if (ops_[i].type == ZYDIS_OPERAND_TYPE_MEMORY) insn_.seg = memory_segment(ops_[i]);
      }
      return kXlat;
    }
    case ZYDIS_MNEMONIC_LAHF:
      return kLahf;
    case ZYDIS_MNEMONIC_SAHF:
      return kSahf;
    case ZYDIS_MNEMONIC_SALC:
      return kSalc;
    case ZYDIS_MNEMONIC_BSWAP:
      return select_bswap();

    case ZYDIS_MNEMONIC_SETO:
    case ZYDIS_MNEMONIC_SETNO:
    case ZYDIS_MNEMONIC_SETB:
    case ZYDIS_MNEMONIC_SETNB:
    case ZYDIS_MNEMONIC_SETZ:
    case ZYDIS_MNEMONIC_SETNZ:
    case ZYDIS_MNEMONIC_SETBE:
    case ZYDIS_MNEMONIC_SETNBE:
    case ZYDIS_MNEMONIC_SETS:
    case ZYDIS_MNEMONIC_SETNS:
    case ZYDIS_MNEMONIC_SETP:
    case ZYDIS_MNEMONIC_SETNP:
    case ZYDIS_MNEMONIC_SETL:
    case ZYDIS_MNEMONIC_SETNL:
    case ZYDIS_MNEMONIC_SETLE:
    case ZYDIS_MNEMONIC_SETNLE:
      insn_.aux = op & 0xF;
      return select_setcc(k(0), insn_.aux);
    case ZYDIS_MNEMONIC_CMOVO:
    case ZYDIS_MNEMONIC_CMOVNO:
    case ZYDIS_MNEMONIC_CMOVB:
    case ZYDIS_MNEMONIC_CMOVNB:
    case ZYDIS_MNEMONIC_CMOVZ:
    case ZYDIS_MNEMONIC_CMOVNZ:
    case ZYDIS_MNEMONIC_CMOVBE:
    case ZYDIS_MNEMONIC_CMOVNBE:
    case ZYDIS_MNEMONIC_CMOVS:
    case ZYDIS_MNEMONIC_CMOVNS:
    case ZYDIS_MNEMONIC_CMOVP:
    case ZYDIS_MNEMONIC_CMOVNP:
    case ZYDIS_MNEMONIC_CMOVL:
    case ZYDIS_MNEMONIC_CMOVNL:
    case ZYDIS_MNEMONIC_CMOVLE:
    case ZYDIS_MNEMONIC_CMOVNLE:
      if (model_ != CpuModel::PentiumPro) return nullptr;
      insn_.aux = op & 0xF;
      return select_cmov(sz, k(1), insn_.aux);

    case ZYDIS_MNEMONIC_JMP:
    case ZYDIS_MNEMONIC_CALL:
      return select_jump_family();
    case ZYDIS_MNEMONIC_RET:
      transfers_control();
      if (k(0) != Kind::Imm) insn_.imm = 0;
      return (op == 0xCA || op == 0xCB) ? select_ret_far(sz) : select_ret_near(sz);
    case ZYDIS_MNEMONIC_LOOP:
    case ZYDIS_MNEMONIC_LOOPE:
    case ZYDIS_MNEMONIC_LOOPNE:
    case ZYDIS_MNEMONIC_JCXZ:
    case ZYDIS_MNEMONIC_JECXZ: {
      transfers_control();
      const LoopOp loop_op = static_cast<LoopOp>(op - 0xE0);
      return select_loop(loop_op, sz, in_.address_width == 32);
    }
    case ZYDIS_MNEMONIC_INT:
      transfers_control();
      return kInt;
    case ZYDIS_MNEMONIC_INT3:
      transfers_control();
      return kInt3;
    case ZYDIS_MNEMONIC_INTO:
      transfers_control();
      return kInto;
    case ZYDIS_MNEMONIC_INT1:
      transfers_control();
      return kInt1;
    case ZYDIS_MNEMONIC_IRET:
    case ZYDIS_MNEMONIC_IRETD:
      transfers_control();
      return select_iret(sz);
    case ZYDIS_MNEMONIC_ENTER:
      return select_enter(sz);
    case ZYDIS_MNEMONIC_LEAVE:
      return select_leave(sz);
    case ZYDIS_MNEMONIC_BOUND:
      return k(1) == Kind::Mem ? select_bound(sz) : nullptr;

    case ZYDIS_MNEMONIC_DAA:
      return kDaa;
    case ZYDIS_MNEMONIC_DAS:
      return kDas;
    case ZYDIS_MNEMONIC_AAA:
      return kAaa;
    case ZYDIS_MNEMONIC_AAS:
      return kAas;
    case ZYDIS_MNEMONIC_AAM:
      return kAam;
    case ZYDIS_MNEMONIC_AAD:
      return kAad;

    case ZYDIS_MNEMONIC_CLC:
    case ZYDIS_MNEMONIC_STC:
    case ZYDIS_MNEMONIC_CMC:
    case ZYDIS_MNEMONIC_CLD:
    case ZYDIS_MNEMONIC_STD:
    case ZYDIS_MNEMONIC_CLI:
      return select_flag_op(op);
    case ZYDIS_MNEMONIC_STI:
      end_block();
      return select_flag_op(op);
    case ZYDIS_MNEMONIC_IN:
      return select_in(op_[0].size, k(1) == Kind::Reg);
    case ZYDIS_MNEMONIC_OUT:
      end_block();
      return select_out(op_[1].size, k(0) == Kind::Reg);
    case ZYDIS_MNEMONIC_HLT:
      end_block();
      return kHlt;
    case ZYDIS_MNEMONIC_NOP:
    case ZYDIS_MNEMONIC_PAUSE:
      return kNop;
    case ZYDIS_MNEMONIC_FWAIT:
      return kWait;
    case ZYDIS_MNEMONIC_UD0:
    case ZYDIS_MNEMONIC_UD1:
    case ZYDIS_MNEMONIC_UD2:
      return nullptr;

    case ZYDIS_MNEMONIC_LGDT:
      return kLgdt;
    case ZYDIS_MNEMONIC_LIDT:
      return kLidt;
    case ZYDIS_MNEMONIC_SGDT:
      return kSgdt;
    case ZYDIS_MNEMONIC_SIDT:
      return kSidt;
    case ZYDIS_MNEMONIC_LMSW:
      if (k(0) == Kind::Mem) insn_.aux = 0x80;
      end_block();
      return kLmsw;
    case ZYDIS_MNEMONIC_SMSW:
      if (k(0) == Kind::Mem) insn_.aux = 0x80;
      return kSmsw;
    case ZYDIS_MNEMONIC_CLTS:
      return kClts;
    case ZYDIS_MNEMONIC_SLDT:
      insn_.aux = 0;
      return select_store_system_selector(sz, k(0));
    case ZYDIS_MNEMONIC_STR:
      insn_.aux = 1;
      return select_store_system_selector(sz, k(0));
    case ZYDIS_MNEMONIC_LLDT:
      insn_.aux = 0;
      return select_load_system_selector(k(0));
    case ZYDIS_MNEMONIC_LTR:
      insn_.aux = 1;
      return select_load_system_selector(k(0));
    case ZYDIS_MNEMONIC_LAR:
      insn_.aux = 0;
      return select_load_access_or_limit(sz, k(1));
    case ZYDIS_MNEMONIC_LSL:
      insn_.aux = 1;
      return select_load_access_or_limit(sz, k(1));
    case ZYDIS_MNEMONIC_VERR:
      insn_.aux = 0;
      return select_verify_segment(k(0));
    case ZYDIS_MNEMONIC_VERW:
      insn_.aux = 1;
      return select_verify_segment(k(0));
    case ZYDIS_MNEMONIC_ARPL:
      return select_arpl(k(0));
    case ZYDIS_MNEMONIC_CPUID:
      return kCpuid;
    case ZYDIS_MNEMONIC_RDTSC:
      return kRdtsc;
    case ZYDIS_MNEMONIC_RDMSR:
      return kRdmsr;
    case ZYDIS_MNEMONIC_WRMSR:
      end_block();
      return kWrmsr;
    case ZYDIS_MNEMONIC_INVD:
    case ZYDIS_MNEMONIC_WBINVD:
      return kCacheFlush;
    case ZYDIS_MNEMONIC_INVLPG:
      return k(0) == Kind::Mem ? kInvlpg : nullptr;
    case ZYDIS_MNEMONIC_SYSENTER:
      transfers_control();
      return kSysenter;
    case ZYDIS_MNEMONIC_SYSEXIT:
      transfers_control();
      return kSysexit;
    case ZYDIS_MNEMONIC_RDPMC:
      return kRdpmc;
    default:
      break;
  }
  // x87 instructions on the P6; where no x87 handler exists they behave as with no
  // coprocessor present (and CPUID does not claim an FPU).
  const bool fxsave_group = model_ == CpuModel::PentiumPro &&
                            in_.opcode_map == ZYDIS_OPCODE_MAP_0F && op == 0xAE &&
                            in_.raw.modrm.mod != 3 && in_.raw.modrm.reg <= 1;
  if ((default_map && op >= 0xD8 && op <= 0xDF) || fxsave_group) {
    unsigned memory_size = 0;
    for (unsigned i = 0; i < count_; ++i) {
      if (op_[i].kind == Kind::Mem) memory_size = op_[i].size;
    }
    const X87Form form{op,
                       static_cast<uint8_t>((in_.raw.modrm.mod << 6) | (in_.raw.modrm.reg << 3) |
                                            in_.raw.modrm.rm),
                       in_.raw.modrm.mod != 3, memory_size, in_.operand_width == 32};
    // The x87 records the opcode's ModRM in FOP.
    insn_.aux = form.modrm;
    if (Handler h = select_x87(form)) return h;
    return fxsave_group ? nullptr : kEscape;
  }
  return nullptr;
}

// The instructions whose handlers have no hidden effects when their operands are registers and
// immediates: no fault, no end of block, flags exactly as Zydis lists them.
bool plain_mnemonic(ZydisMnemonic m) {
  switch (m) {
    case ZYDIS_MNEMONIC_ADD:
    case ZYDIS_MNEMONIC_OR:
    case ZYDIS_MNEMONIC_ADC:
    case ZYDIS_MNEMONIC_SBB:
    case ZYDIS_MNEMONIC_AND:
    case ZYDIS_MNEMONIC_SUB:
    case ZYDIS_MNEMONIC_XOR:
    case ZYDIS_MNEMONIC_CMP:
    case ZYDIS_MNEMONIC_TEST:
    case ZYDIS_MNEMONIC_INC:
    case ZYDIS_MNEMONIC_DEC:
    case ZYDIS_MNEMONIC_NOT:
    case ZYDIS_MNEMONIC_NEG:
    case ZYDIS_MNEMONIC_MOV:
    case ZYDIS_MNEMONIC_LEA:
    case ZYDIS_MNEMONIC_MOVZX:
    case ZYDIS_MNEMONIC_MOVSX:
    case ZYDIS_MNEMONIC_XCHG:
    case ZYDIS_MNEMONIC_NOP:
    case ZYDIS_MNEMONIC_ROL:
    case ZYDIS_MNEMONIC_ROR:
    case ZYDIS_MNEMONIC_SHL:
    case ZYDIS_MNEMONIC_SHR:
    case ZYDIS_MNEMONIC_SAR:
      return true;
    default:
      return false;
  }
}

bool is_shift(ZydisMnemonic m) {
  return m == ZYDIS_MNEMONIC_ROL || m == ZYDIS_MNEMONIC_ROR || m == ZYDIS_MNEMONIC_RCL ||
         m == ZYDIS_MNEMONIC_RCR || m == ZYDIS_MNEMONIC_SHL || m == ZYDIS_MNEMONIC_SHR ||
         m == ZYDIS_MNEMONIC_SAR || m == ZYDIS_MNEMONIC_SHLD || m == ZYDIS_MNEMONIC_SHRD;
}

void note_flag_use(const ZydisDecodedInstruction& in, const ZydisDecodedOperand* ops,
                   const Insn& out, DecodeResult& result) {
  constexpr uint16_t kArith = 0x8D5;
  if (!in.cpu_flags) return;
  result.flags_read = static_cast<uint16_t>(in.cpu_flags->tested & kArith);
  // Undefined flags do not count as written: a later reader would see what we leave.
  uint32_t written = in.cpu_flags->modified | in.cpu_flags->set_0 | in.cpu_flags->set_1;
  if (is_shift(in.mnemonic)) {
    // A count of zero writes nothing; a count in CL is not known at decode.
    const ZydisDecodedOperand& count = ops[in.operand_count_visible - 1];
    if (count.type != ZYDIS_OPERAND_TYPE_IMMEDIATE || (count.imm.value.u & 31) == 0) written = 0;
  }
  result.flags_written = static_cast<uint16_t>(written & kArith);
  if (result.ends_block || (out.prefixes & prefix::kLock) || !plain_mnemonic(in.mnemonic)) return;
  for (unsigned i = 0; i < in.operand_count; ++i) {
    const ZydisDecodedOperand& op = ops[i];
    if (op.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) continue;
    if (op.type == ZYDIS_OPERAND_TYPE_MEMORY && op.mem.type == ZYDIS_MEMOP_TYPE_AGEN) continue;
    if (op.type != ZYDIS_OPERAND_TYPE_REGISTER) return;
    const ZydisRegisterClass c = ZydisRegisterGetClass(op.reg.value);
    if (c != ZYDIS_REGCLASS_GPR8 && c != ZYDIS_REGCLASS_GPR16 && c != ZYDIS_REGCLASS_GPR32 &&
        c != ZYDIS_REGCLASS_FLAGS) {
      return;
    }
  }
  result.plain = true;
}

}  // namespace

Decoder::Decoder(CpuModel model) : model_(model) {
  ZydisDecoderInit(&real16_, ZYDIS_MACHINE_MODE_REAL_16, ZYDIS_STACK_WIDTH_16);
  ZydisDecoderInit(&legacy16_, ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16);
  ZydisDecoderInit(&legacy32_, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
}

DecodeResult Decoder::decode(const uint8_t* bytes, size_t available, DecodeMode mode, Insn& out) {
  DecodeResult result;
  out = Insn{};
  out.base = kNoReg;
  out.index = kNoReg;
  out.seg = kDs;
  out.ea_shift = 16;
  available = std::min<size_t>(available, 15);
  if (available == 0) return {DecodeStatus::Truncated, true};

  Prepass pre;
  std::memcpy(pre.bytes.data(), bytes, available);
  model_prepass(model_, pre, available);
  available -= pre.removed_locks;
  if (pre.forced) {
    if (pre.forced_length > available) return {DecodeStatus::Truncated, true};
    out.fn = pre.forced;
    out.length = static_cast<uint8_t>(pre.forced_length + pre.removed_locks);
    result.ends_block = true;
    return result;
  }

  const ZydisDecoder* decoder = mode.real_mode ? &real16_ : (mode.code32 ? &legacy32_ : &legacy16_);
  ZydisDecodedInstruction in;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  ++decode_count_;
  const ZyanStatus status = ZydisDecoderDecodeFull(decoder, pre.bytes.data(), available, &in, ops);
  if (status == ZYDIS_STATUS_NO_MORE_DATA) {
    // With all 15 bytes available this is an over-long instruction: #GP on real CPUs.
    if (available < 15) return {DecodeStatus::Truncated, true};
    out.fn = kGeneralProtection0;
    out.length = 15;
    result.ends_block = true;
    return result;
  }
  if (!ZYAN_SUCCESS(status)) {
    out.fn = kInvalidOpcode;
    out.length = static_cast<uint8_t>(std::max<size_t>(pre.opcode_at + 1, 1) + pre.removed_locks);
    result.ends_block = true;
    return result;
  }
  Selector(model_, in, ops, pre, out, result).run();
  note_flag_use(in, ops, out, result);
  if (pre.removed_locks) {
    out.length = static_cast<uint8_t>(out.length + pre.removed_locks);
    out.prefixes |= prefix::kLock;
  }
  if (model_ == CpuModel::I80286 && out.length > 10) {
    out.fn = kGeneralProtection0;  // the 286 limits an instruction to 10 bytes
    result.ends_block = true;
  }
  return result;
}

}  // namespace x86lab::cpu
