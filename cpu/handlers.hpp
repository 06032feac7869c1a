// The instruction handlers, by family. Each family file holds the templates and a selection
// function that returns the instance for one exact form (operand size, register or memory
// operand); the decoder calls these once per decoded instruction.
#pragma once

#include <cstdint>
#include <vector>

#include "cpu/exec_common.hpp"
#include "cpu/insn.hpp"

namespace x86lab::cpu {

enum class AluOp : uint8_t { Add, Or, Adc, Sbb, And, Sub, Xor, Cmp, Test };
enum class UnaryOp : uint8_t { Inc, Dec, Not, Neg };
enum class ShiftOp : uint8_t { Rol, Ror, Rcl, Rcr, Shl, Shr, SetMo, Sar };
enum class MulDivOp : uint8_t { Mul, Imul, Div, Idiv };
enum class BitOp : uint8_t { Bt, Bts, Btr, Btc };
enum class StringOp : uint8_t { Movs, Cmps, Stos, Lods, Scas, Ins, Outs };
enum class LoopOp : uint8_t { Loopne, Loope, Loop, Jcxz };

// handler_twins.cpp: the fast twin of a memory-operand instance for a 32-bit address form,
// or general itself when it has none; the lean twin of an instance (exec_common.hpp's
// threaded_lean), or nullptr; and whether an instance places itself (current_insn) before it
// may need its place, so that the instruction before it may be lean. Each family adds its
// twins (exec_alu.cpp, exec_data.cpp).
Handler address_form_twin(Handler general, AddressForm form);
Handler lean_twin(Handler h);
bool placed_on_entry(Handler h);
void add_alu_twins(HandlerTwins& twins);
void add_data_twins(HandlerTwins& twins);

// exec_alu.cpp: the fused handler for an instruction and the Jcc after it, or nullptr.
Handler fused_with_jcc(Handler first, Handler jcc);
std::vector<Handler> fused_jcc_handlers();  // all of them

// exec_alu.cpp
Handler select_alu(AluOp op, unsigned size, Kind first, Kind second);
// The instance of the same operation that records no flags (register destination forms of
// the ALU operations, INC/DEC/NEG and shifts by an immediate), or nullptr.
Handler flagless_twin(Handler full);
Handler select_unary(UnaryOp op, unsigned size, Kind first);
// count: Kind::Imm (insn.imm; the "by 1" forms have imm 1) or Kind::Reg (CL).
Handler select_shift(ShiftOp op, unsigned size, Kind first, Kind count);
Handler select_shift_double(bool left, unsigned size, Kind first, Kind count);
Handler select_muldiv(MulDivOp op, unsigned size, Kind source);
Handler select_imul2(unsigned size, Kind source);  // r = r * r/m
Handler select_imul3(unsigned size, Kind source);  // r = r/m * imm
Handler select_bit_test(BitOp op, unsigned size, Kind first, Kind second);
Handler select_bit_scan(bool reverse, unsigned size, Kind source);
Handler select_xadd(unsigned size, Kind first);
Handler select_cmpxchg(unsigned size, Kind first);
extern const Handler kCmpxchg8b;

// exec_data.cpp
Handler select_mov(unsigned size, Kind first, Kind second);
// Two fast MOV r32, m32 or MOV m32, r32 in a row (either threading, either 32-bit address
// form): the handler that runs both in the first's slot, lean when the instruction after them
// places itself; or nullptr.
Handler fused_mov_pair(Handler first, Handler second, bool lean);
std::vector<Handler> mov_pair_handlers();  // all of them
// Runs of PUSH r32 or of POP r32 (fast twins, no ESP operand) at insns: how many of the
// available instructions form one (at most kMaxStackRun; 0 or 1: none), and whether they push.
inline constexpr unsigned kMaxStackRun = 4;
unsigned stack_run_length(const Insn* insns, size_t available, bool& pushes);
// The handler that runs such a run of length 2..kMaxStackRun in its first's slot, lean when the
// instruction after it places itself; or nullptr.
Handler stack_run_handler(bool pushes, unsigned length, bool lean);
std::vector<Handler> stack_run_handlers();  // all of them
Handler select_xchg(unsigned size, Kind first);
Handler select_lea(unsigned size);
Handler select_movx(bool sign_extend, unsigned size, unsigned source_size, Kind source);
Handler select_push(unsigned size, Kind source);
Handler select_pop(unsigned size, Kind first);
Handler select_push_sreg(unsigned size);                              // aux = segment
Handler select_pop_sreg(unsigned size);                               // aux = segment
Handler select_mov_from_sreg(unsigned size, Kind first);              // aux = segment
Handler select_mov_to_sreg(Kind source);                              // aux = segment
Handler select_load_far_pointer(unsigned size);                       // aux = segment
Handler select_setcc(Kind first, unsigned condition);                 // aux = condition
Handler select_cmov(unsigned size, Kind source, unsigned condition);  // aux = condition
Handler select_bswap();
Handler select_pusha(unsigned size);
Handler select_popa(unsigned size);
Handler select_convert_acc(unsigned size);  // CBW/CWDE
Handler select_convert_dx(unsigned size);   // CWD/CDQ
extern const Handler kXlat;
extern const Handler kLahf;
extern const Handler kSahf;
extern const Handler kSalc;

// exec_control.cpp
Handler select_jcc(unsigned size, unsigned condition);  // aux = condition, disp = relative offset
// A Jcc inside a superblock: the twin that leaves through its own link when taken and goes on
// in the block when not, and the one for runs that stop inside the block. Both null when jcc
// is not a Jcc instance of select_jcc.
struct SideExitTwins {
  Handler fast = nullptr;
  Handler precise = nullptr;
};
SideExitTwins side_exit_twins(Handler jcc);
std::vector<Handler> side_exit_handlers();  // every fast twin
// A CALL or JMP rel that ends a block: the twin that leaves through a side link of its own
// (imm = the block's count, imm2 = the link), or nullptr when last is not one.
Handler jump_exit_twin(Handler last);
std::vector<Handler> jump_exit_handlers();  // all of them
// A RET or near indirect JMP/CALL that ends a block: the twin that goes on to the end
// marker's code itself (it must be followed by a block_end_handler<true> marker), or nullptr.
Handler end_marker_twin(Handler last);
std::vector<Handler> end_marker_twin_handlers();  // all of them
Handler select_jmp_rel(unsigned size);
Handler select_call_rel(unsigned size);
Handler select_jmp_near_indirect(unsigned size, Kind source);
Handler select_call_near_indirect(unsigned size, Kind source);
Handler select_jmp_far_direct(unsigned size);  // imm = offset, imm2 = selector
Handler select_call_far_direct(unsigned size);
Handler select_jmp_far_indirect(unsigned size);
Handler select_call_far_indirect(unsigned size);
Handler select_ret_near(unsigned size);  // imm = bytes to release
Handler select_ret_far(unsigned size);
Handler select_loop(LoopOp op, unsigned size, bool address32);
Handler select_iret(unsigned size);
Handler select_enter(unsigned size);  // imm = frame size, imm2 = nesting level
Handler select_leave(unsigned size);
Handler select_bound(unsigned size);
extern const Handler kInt;  // imm = vector
extern const Handler kInt3;
extern const Handler kInto;
extern const Handler kInt1;

// exec_string.cpp
Handler select_string(StringOp op, unsigned size, bool address32, uint8_t rep_prefixes);

// exec_bcd.cpp
extern const Handler kDaa, kDas, kAaa, kAas, kAam, kAad;

// exec_system.cpp
Handler select_in(unsigned size, bool port_in_dx);  // imm = port
Handler select_out(unsigned size, bool port_in_dx);
Handler select_pushf(unsigned size);
Handler select_popf(unsigned size);
Handler select_flag_op(unsigned opcode);  // CLC STC CMC CLD STD CLI STI by opcode byte
extern const Handler kNop, kHlt, kWait, kEscape, kInvalidOpcode, kPopCs8086;
extern const Handler kCpuid, kRdtsc, kRdmsr, kWrmsr, kCacheFlush, kInvlpg;
extern const Handler kSysenter, kSysexit, kRdpmc;
extern const Handler kLgdt, kLidt, kSgdt, kSidt, kLmsw, kSmsw, kClts;
extern const Handler kMovToCr, kMovFromCr, kMovToDr, kMovFromDr;  // aux = register number
extern const Handler kGeneralProtection0;  // an instruction that runs past the code limit

// exec_protected.cpp (aux picks the variant: 0 = LDT/LAR/VERR, 1 = TR/LSL/VERW)
Handler select_store_system_selector(unsigned size, Kind first);
Handler select_load_system_selector(Kind first);
Handler select_load_access_or_limit(unsigned size, Kind source);
Handler select_verify_segment(Kind first);
Handler select_arpl(Kind first);

}  // namespace x86lab::cpu
