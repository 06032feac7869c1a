// The processor: registers, the run loop over cached decoded blocks, and the memory, stack
// and flag helpers that instruction handlers use. It knows the bus (memory, I/O ports) and an
// interrupt line, never a device.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>

#include "bus/interrupt_controller.hpp"
#include "bus/io_space.hpp"
#include "bus/physical_memory.hpp"
#include "cpu/block_cache.hpp"
#include "cpu/cpu_model.hpp"
#include "cpu/debug_hooks.hpp"
#include "cpu/decoder.hpp"
#include "cpu/descriptor.hpp"
#include "cpu/fault.hpp"
#include "cpu/insn.hpp"
#include "cpu/lazy_flags.hpp"
#include "cpu/registers.hpp"
#include "cpu/x87.hpp"
#include "mmu/mmu.hpp"

namespace x86lab::cpu {

using bus::InterruptController;

// Breakpoint: stopped before an instruction with a code breakpoint (EIP is its address).
// Watchpoint: a memory or I/O watchpoint fired; stopped after the accessing instruction.
// Debug: the magic breakpoint, or request_async_stop() (a debugger's interrupt).
enum class StopReason : uint8_t {
  Budget,
  Halted,
  Requested,
  Shutdown,
  Breakpoint,
  Watchpoint,
  Debug
};
// Where an interrupt comes from: software INT n checks the gate's DPL; hardware ones set the
// EXT bit of an error code the delivery itself raises.
enum class InterruptSource : uint8_t { Software, Exception, External };
enum class TaskSwitchReason : uint8_t { Jump, Call, Interrupt, Iret };

class Cpu final : public bus::CodeWriteObserver {
 public:
  Cpu(CpuModel model, bus::PhysicalMemory& memory, bus::IoSpace& io);
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;
  ~Cpu() override;

  // Power-on state: the reset vector at F000:FFF0 (FFFF:0000 on the 8086).
  void reset();

  CpuModel model() const { return model_; }
  Registers& regs() { return regs_; }
  const Registers& regs() const { return regs_; }

  uint32_t eflags() const;
  void set_eflags(uint32_t value);  // writes every bit the model implements (no privilege checks)

  // Real-mode (and V86) segment load: base = selector * 16.
  void load_segment_real(unsigned seg, uint16_t selector);
  // Loads LDTR or TR from the GDT (LLDT, LTR).
  void load_ldt(uint16_t selector);
  void load_task_register(uint16_t selector);

  // Runs until max_instructions have retired, the CPU halts, or stop() is called. Returns how
  // many instructions retired. An exception delivered in place of an instruction (a fault, not
  // a trap) counts as one, here and in instructions_retired(): a guest that only faults must
  // use up its budget like any other.
  uint64_t run(uint64_t max_instructions);
  // Runs one instruction (a REP string instruction runs to completion); delivers a fault it
  // raises. Returns false when the CPU was halted and nothing ran.
  bool step();
  // Stops the run after the current instruction (from an I/O or MMIO callback too).
  void request_stop() {
    stop_requested_ = true;
    chain_.exit_block = true;
  }
  StopReason last_stop() const { return last_stop_; }

  bool halted() const { return halted_; }
  void set_halted(bool h) { halted_ = h; }
  bool shutdown() const { return shutdown_; }
  // Exact inside a block too (an I/O callback timing the PIT, RDTSC): the block's
  // instructions before the running one have retired, though retired_ counts them only when
  // the block ends.
  uint64_t instructions_retired() const {
    return in_block_ ? retired_ + static_cast<uint64_t>(current_insn_ - chain_block_->insns.data())
                     : retired_;
  }

  void set_interrupt_controller(InterruptController* pic) { pic_ = pic; }
  // What RDTSC counts: retired instructions by default, or the ticks of a clock the machine
  // keeps (the pc machine in real time: guest nanoseconds / 10). RDTSC is not a hot
  // instruction, so a call through a plain function pointer costs nothing that matters. The
  // count stays continuous across the switch; WRMSR 0x10 still sets it.
  using TscSource = uint64_t (*)(void* context);
  void set_tsc_source(TscSource source, void* context) {
    const uint64_t current = time_stamp_counter();
    tsc_source_ = source;
    tsc_context_ = context;
    tsc_offset_ = current - tsc_reference();
  }
  void set_a20(bool enabled);
  bool a20() const { return mmu_.a20_mask() & (1u << 20); }

  // Decoder statistics, for tests and --stats.
  uint64_t decode_count() const { return decoder_.decode_count(); }
  size_t block_count() const { return blocks_.block_count(); }
  // Drops all decoded code (after a mode change that the block key does not cover).
  void flush_decoded_code();
  // The physical memory map changed (a ROM shadowed to RAM, a region mapped or unmapped):
  // drops decoded code and every cached translation, since both hold host pointers.
  void memory_map_changed() {
    flush_decoded_code();
    mmu_.flush_all();
  }

  void code_written(uint32_t physical, unsigned size) override;
  // Every map change drops what holds host pointers into the old map (a freed ROM's bytes).
  void map_changed() override { memory_map_changed(); }

  // ---- Debugger support (cpu/debug_hooks.hpp, cpu/debug_hooks.cpp) ----------------------
  // Nothing is allocated or checked until first used. Each change drops the decoded code it
  // concerns; run() then stops with StopReason::Breakpoint/Watchpoint/Debug and
  // debug_hooks()->event says why.
  DebugHooks& debug();
  const DebugHooks* debug_hooks() const { return debug_.get(); }
  int add_breakpoint(CodeBreakpoint breakpoint);  // returns its id
  bool remove_breakpoint(int id);
  int add_watch(mmu::Watch watch);  // memory; returns its id
  bool remove_watch(int id);
  int add_io_watch(IoWatch watch);
  bool remove_io_watch(int id);
  void set_trace(std::function<void(Cpu&)> trace);
  void set_magic_break(bool enabled);
  // From another thread or a signal handler: the run stops soon (StopReason::Debug).
  void request_async_stop() { async_stop_.store(true, std::memory_order_relaxed); }
  // The next run or step passes a breakpoint at the current CS:EIP once.
  void resume_from_breakpoint();
  // One instruction, past a breakpoint at CS:EIP. With allow_interrupts, a pending external
  // interrupt is delivered instead (the step stops at its handler); otherwise interrupts stay
  // masked while stepping, as in QEMU. Returns false when halted and nothing ran.
  bool debug_step(bool allow_interrupts);
  // Port accesses of IN/OUT/INS/OUTS: the I/O watchpoint check costs one branch.
  uint32_t port_read(uint16_t port, unsigned size) {
    const uint32_t value = io_.read(port, size);
    if (io_watch_active_) [[unlikely]]
      io_watch_check(port, size, false, value);
    return value;
  }
  void port_write(uint16_t port, unsigned size, uint32_t value) {
    if (io_watch_active_) [[unlikely]]
      io_watch_check(port, size, true, value);
    io_.write(port, size, value);
  }
  // Handlers of the records the block builder inserts.
  void debug_record_reached();
  // Whether an enabled DR execute breakpoint matches (and RF is clear); sets DR6's B bits.
  bool instruction_breakpoint_reached(uint32_t linear);
  void magic_break_reached();

  // ---- Used by instruction handlers ----------------------------------------------------

  uint32_t& gpr(unsigned index) { return regs_.gpr[index]; }
  template <typename T>
  T reg(unsigned index) const;
  template <typename T>
  void set_reg(unsigned index, T value);

  uint32_t effective_address(const Insn& insn) const {
    return (regs_.gpr[insn.base] + (regs_.gpr[insn.index] << insn.scale) + insn.disp) &
           (0xFFFFFFFFu >> insn.ea_shift);
  }

  template <typename T>
  T read_mem(unsigned seg, uint32_t offset);
  template <typename T>
  void write_mem(unsigned seg, uint32_t offset, T value);
  // Faults as a write of size bytes at seg:offset would (segment rights and limit, then #PF with
  // the write bit), without writing: for checks such as ENTER's on its final stack pointer.
  void probe_write(unsigned seg, uint32_t offset, unsigned size) {
    (void)mmu_.translate(linear_for(seg, offset, size, true), mmu::Access::Write, cpl_ == 3);
  }
  // Read-modify-write: one translation on the fast path; f runs once.
  template <typename T, typename F>
  void modify_mem(unsigned seg, uint32_t offset, F&& f);
  // The host bytes of an access that needs no check at all (a flat segment and a TLB hit), or
  // nullptr. For the fast twins of memory handlers (exec_common.hpp), whose slow path is the
  // whole general handler: they make no call, so they need no stack frame.
  template <typename T>
  const uint8_t* fast_read_pointer(unsigned seg, uint32_t offset) {
    return (flat_segments_ & (1u << seg)) ? mmu_.read_pointer<T>(offset, user_) : nullptr;
  }
  template <typename T>
  uint8_t* fast_write_pointer(unsigned seg, uint32_t offset) {
    return (flat_segments_ & (1u << seg)) ? mmu_.write_pointer<T>(offset, user_) : nullptr;
  }
  template <typename T>
  uint8_t* fast_modify_pointer(unsigned seg, uint32_t offset) {
    return (flat_segments_ & (1u << seg)) ? mmu_.modify_pointer<T>(offset, user_) : nullptr;
  }
  // The same for PUSH and POP: a flat 32-bit stack and a TLB hit at the new or current ESP.
  template <typename T>
  uint8_t* fast_push_pointer() {
    return flat_stack_ ? mmu_.write_pointer<T>(regs_.gpr[kEsp] - sizeof(T), user_) : nullptr;
  }
  template <typename T>
  const uint8_t* fast_pop_pointer() {
    return flat_stack_ ? mmu_.read_pointer<T>(regs_.gpr[kEsp], user_) : nullptr;
  }
  // Linear accesses with the current privilege (user at CPL 3), and the implicit supervisor
  // accesses of descriptor tables, the IDT and the TSS.
  template <typename T>
  T read_linear(uint32_t linear) {
    return mmu_.read<T>(linear, user_);
  }
  template <typename T>
  void write_linear(uint32_t linear, T value) {
    mmu_.write<T>(linear, value, user_);
  }
  template <typename T>
  T read_system(uint32_t linear) {
    return mmu_.read<T>(linear, false);
  }
  template <typename T>
  void write_system(uint32_t linear, T value) {
    mmu_.write<T>(linear, value, false);
  }
  mmu::Mmu& mmu() { return mmu_; }

  // Stack, by the SS size (16- or 32-bit stack pointer).
  template <typename T>
  void push(T value);
  template <typename T>
  T pop();
  // Reads the value at SP + offset without popping (for IRET/RETF that must check first).
  template <typename T>
  T peek_stack(uint32_t offset);
  uint32_t stack_pointer_mask() const { return regs_.seg[kSs].big ? 0xFFFFFFFFu : 0xFFFFu; }
  void adjust_sp(uint32_t delta) {
    const uint32_t mask = stack_pointer_mask();
    regs_.gpr[kEsp] = (regs_.gpr[kEsp] & ~mask) | ((regs_.gpr[kEsp] + delta) & mask);
  }

  // Flags.
  LazyFlags& lazy() { return lazy_; }
  X87State& x87() { return x87_; }
  template <typename T>
  void set_lazy(FlagOp op, T result, T src1, T src2) {
    lazy_.op = op;
    lazy_.result = result;
    lazy_.src1 = src1;
    lazy_.src2 = src2;
    lazy_.mask = static_cast<T>(~T{0});
  }
  // Records INC/DEC, which keep CF: the current CF is saved into the stored flags first.
  template <typename T>
  void set_lazy_keep_cf(FlagOp op, T result, T src1) {
    // After INC/DEC (or with no lazy operation) the stored CF is already current; after a
    // logic operation it is 0. Only the others need the lazy state's switch.
    const FlagOp previous = lazy_.op;
    if (previous == FlagOp::Logic) {
      eflags_ &= ~flag::kCf;
    } else if (previous != FlagOp::None && previous != FlagOp::Inc && previous != FlagOp::Dec) {
      const bool carry = cf();
      eflags_ = (eflags_ & ~flag::kCf) | (carry ? flag::kCf : 0);
    }
    set_lazy<T>(op, result, src1, T{1});
  }
  [[gnu::always_inline]] bool cf() const { return lazy_.cf(eflags_); }
  bool zf() const { return lazy_.zf(eflags_); }
  bool sf() const { return lazy_.sf(eflags_); }
  bool of() const { return lazy_.of(eflags_); }
  bool af() const { return lazy_.af(eflags_); }
  bool pf() const { return lazy_.pf(eflags_); }
  bool df() const { return eflags_ & flag::kDf; }
  bool condition(unsigned cc) const { return lazy_.condition(cc, eflags_); }
  template <unsigned Cc>
  [[gnu::always_inline]] bool condition() const {
    return lazy_.condition<Cc>(eflags_);
  }
  // Folds the lazy state into the stored flags so single bits can be edited.
  void materialize_flags();
  // Sets the six arithmetic flags eagerly from a mask of flag:: bits.
  void set_arith_flags(uint32_t bits) {
    lazy_.op = FlagOp::None;
    eflags_ = (eflags_ & ~flag::kArith) | (bits & flag::kArith);
  }
  void set_flag(uint32_t bit, bool on);
  uint32_t stored_flags() const { return eflags_; }

  // Control transfer and interrupts.
  // EIP is not stored per instruction: inside a block it is the block's start EIP plus the
  // decoded offset. A handler that needs EIP (a call pushing its return address, a software
  // interrupt) asks for it, or sync_eip()s it into the register first.
  uint32_t next_eip(const Insn& insn) const {
    return (block_eip_ + insn.next_offset) & code_eip_mask_;
  }
  void sync_eip(const Insn& insn) { regs_.eip = next_eip(insn); }
  uint32_t insn_start_eip() const {
    return (block_eip_ + current_insn_->next_offset - current_insn_->length) & code_eip_mask_;
  }
  void interrupt(uint8_t vector, uint32_t return_eip,
                 InterruptSource source = InterruptSource::Exception, bool has_error = false,
                 uint32_t error = 0);
  // INT n, INT3, INTO: IOPL-sensitive in virtual-8086 mode.
  void software_interrupt(uint8_t vector);
  void request_block_exit() { chain_.exit_block = true; }
  // For threaded handlers (exec_common.hpp): whether the next instruction may be called
  // directly, and the instruction being run (a fault is recovered from it).
  bool chain_stopped() const {
    uint16_t both;  // exit_block and one_at_a_time with one load
    std::memcpy(&both, &chain_, sizeof both);
    return both != 0;
  }
  void set_current_insn(const Insn* insn) { current_insn_ = insn; }
  // The marker after a block's last instruction: goes on to the block its exit is linked to
  // (direct block chaining, cpu.cpp) or stops the block loop. One instance for blocks whose
  // last instruction set EIP (a jump), one for blocks that fall through.
  template <bool AfterJump>
  static void block_end_handler(Cpu& cpu, const Insn& marker);
  void link_exit(const Block& block, uint32_t eip, const Block& next);
  [[gnu::noinline]] static void chain_through_jump_cache(Cpu& cpu, const Insn& marker,
                                                         uint32_t eip);
  // A taken Jcc inside a superblock (exec_control.cpp's jcc_side_exit), EIP already at its
  // target: goes on to the block its link (side_link(jcc), block_cache.hpp) leads to, as the end
  // marker does, or stops the block loop after the Jcc.
  static void side_exit(Cpu& cpu, const Insn& jcc);
  [[gnu::noinline]] static void side_exit_through_jump_cache(Cpu& cpu, const Insn& jcc,
                                                             uint32_t eip, uint32_t done);
  static void enter_next_block(Cpu& cpu, uint32_t eip, const Block* next, const Insn* first,
                               uint32_t next_count, uint32_t done);
  // The block the jump cache holds for EIP eip in the present chain, if the running block may
  // chain to it within the chain budget, or nullptr.
  const Block* chainable_from_jump_cache(uint32_t eip) const;
  void halt() {
    halted_ = true;
    chain_.exit_block = true;
  }

  // Segment loads by mode: real/V86 (base = selector * 16) or a protected-mode descriptor.
  void load_segment(unsigned seg, uint16_t selector);
  void check_code_limit(uint32_t target) const {
    if (model_ != CpuModel::I8086 && target > regs_.seg[kCs].limit) [[unlikely]] {
      raise_fault(Vector::GeneralProtection, 0);
    }
  }
  void jump_near(uint32_t target, unsigned /*operand_size*/) {
    check_code_limit(target);
    regs_.eip = target;
  }
  void jump_far(uint16_t selector, uint32_t offset, unsigned operand_size);
  void call_far(uint16_t selector, uint32_t offset, unsigned operand_size);
  void return_far(unsigned operand_size, uint32_t release);
  void interrupt_return(unsigned operand_size);
  void inhibit_interrupts() { interrupt_shadow_ = true; }
  // MOV SS and POP SS also hold back a single-step trap for one instruction.
  void inhibit_interrupts_and_traps() {
    interrupt_shadow_ = true;
    ss_shadow_ = true;
  }
  // ---- Debug registers (cpu/debug_registers.cpp) ----------------------------------------
  // MOV from/to DRn (the caller checked privilege): DR4/DR5 alias DR6/DR7 (#UD with CR4.DE),
  // DR7.GD makes the access a #DB fault.
  uint32_t read_debug_register(unsigned n);
  void write_debug_register(unsigned n, uint32_t value);
  // A #DB trap after the current instruction with these DR6 bits (BT after a task switch).
  void request_debug_trap(uint32_t dr6_bits);
  void check_io_permission(uint16_t port, unsigned size);
  // #AC(0) for an operand whose natural alignment is more than its accesses' (8-byte x87 and
  // CMPXCHG8B operands): one branch in those handlers only. Word and dword accesses are
  // checked by the MMU's slow path.
  void check_alignment(unsigned seg, uint32_t offset, uint32_t alignment) {
    if (alignment_check_ && cpl_ == 3 && ((regs_.seg[seg].base + offset) & (alignment - 1)))
        [[unlikely]] {
      raise_fault(Vector::AlignmentCheck, 0);
    }
  }
  uint64_t tsc_reference() const {
    return tsc_source_ ? tsc_source_(tsc_context_) : instructions_retired();
  }
  uint64_t time_stamp_counter() const { return tsc_reference() + tsc_offset_; }
  bool read_msr(uint32_t index, uint64_t& value);
  bool write_msr(uint32_t index, uint64_t value);
  void write_cr0(uint32_t value);
  void sysenter();
  void sysexit();
  // Loads a flat 4 GiB segment (SYSENTER/SYSEXIT and boot loaders).
  void set_flat_segment(unsigned seg, uint16_t selector, uint8_t access);
  bool read_performance_counter(uint32_t index, uint64_t& value);
  void write_cr3(uint32_t value);
  void write_cr4(uint32_t value);

  bus::IoSpace& io() { return io_; }
  bus::PhysicalMemory& memory() { return memory_; }
  bool protected_mode() const { return regs_.cr0 & 1; }
  bool v86_mode() const { return eflags_ & flag::kVm; }
  unsigned cpl() const { return cpl_; }
  // Protected mode (protected_mode.cpp).
  Descriptor read_descriptor(uint16_t selector, Vector fault = Vector::GeneralProtection);
  void set_accessed(uint16_t selector, Descriptor& d);
  void load_segment_protected(unsigned seg, uint16_t selector);
  void load_code_segment(uint16_t selector, const Descriptor& d, unsigned new_cpl);
  void load_null_segment(unsigned seg, uint16_t selector);
  void jump_far_protected(uint16_t selector, uint32_t offset, unsigned operand_size, bool call);
  void call_gate(uint16_t gate_selector, const Descriptor& gate, bool call, unsigned operand_size);
  void return_far_protected(unsigned operand_size, uint32_t release);
  void interrupt_protected(uint8_t vector, uint32_t return_eip, InterruptSource source,
                           bool has_error, uint32_t error);
  void interrupt_return_protected(unsigned operand_size);
  void stack_for_privilege(unsigned dpl, uint16_t& ss, uint32_t& esp);
  void drop_inaccessible_data_segments();
  void task_switch(uint16_t selector, const Descriptor& tss, TaskSwitchReason reason,
                   uint32_t return_eip);

  // The decode-mode key: what the meaning of instruction bytes depends on.
  uint32_t mode_key() const {
    const bool real = !protected_mode() || v86_mode();
    return (real ? 0u : 2u) | (regs_.seg[kCs].big && !real ? 1u : 0u);
  }

 private:
  struct JumpCacheEntry {
    uint32_t linear = 1;  // never a block's address with a valid key below
    uint32_t key = ~0u;
    uint64_t generation = 0;
    const Block* block = nullptr;
  };
  uint32_t linear_for(unsigned seg, uint32_t offset, unsigned size, bool write);
  // The accesses through a segment that is not flat, or that missed the TLB's fast path.
  template <typename T>
  [[gnu::noinline]] T read_mem_checked(unsigned seg, uint32_t offset);
  template <typename T>
  [[gnu::noinline]] void write_mem_checked(unsigned seg, uint32_t offset, T value);
  template <typename T>
  [[gnu::noinline]] void push_checked(T value);
  template <typename T>
  [[gnu::noinline]] T pop_checked();
  template <typename T>
  [[gnu::noinline]] T read_mem_slow(unsigned seg, uint32_t offset);
  template <typename T>
  [[gnu::noinline]] void write_mem_slow(unsigned seg, uint32_t offset, T value);
  template <typename T>
  T read_wrapped_8086(unsigned seg, uint32_t offset);
  template <typename T>
  void write_wrapped_8086(unsigned seg, uint32_t offset, T value);
  [[noreturn]] void segment_limit_fault(unsigned seg);
  // Null, read-only or execute-only segments, and expand-down limits.
  void check_unusual_segment_access(unsigned seg, uint32_t offset, unsigned size, bool write);

  void set_cpl(unsigned cpl) {
    cpl_ = cpl;
    user_ = cpl == 3 ? 1 : 0;
  }
  // Recomputes flat_segments_ and flat_stack_; called wherever a segment cache changes.
  void sync_flat_segments();
  void fill_cache(SegmentCache& s, uint16_t selector, const Descriptor& d);

  uint64_t execute_block(const Block& block, uint64_t budget);
  uint64_t single_step_with_trap();
  bool fits_code_limit(const Block& block) const {
    return model_ == CpuModel::I8086 ? regs_.eip + block.byte_length <= 0x10000
                                     : regs_.eip + block.byte_length - 1 <= regs_.seg[kCs].limit;
  }
  // The block at CS:EIP. The jump cache maps a linear address straight to its block while no
  // block was dropped and no translation changed since it was filled; the CS limit is
  // checked every time.
  const Block& block_at_eip() { return block_at_eip(mode_key() | (cpl_ == 3 ? 4u : 0u)); }
  const Block& block_at_eip(uint32_t key) {
    const uint32_t linear = regs_.seg[kCs].base + regs_.eip;
    JumpCacheEntry& jump = jump_cache_[(linear ^ (linear >> 12)) & (kJumpCacheSize - 1)];
    if (jump.linear == linear && jump.key == key && jump.generation == code_generation() &&
        fits_code_limit(*jump.block)) [[likely]] {
      return *jump.block;
    }
    return block_at_eip_slow(linear, key, jump);
  }
  [[gnu::noinline]] const Block& block_at_eip_slow(uint32_t linear, uint32_t key,
                                                   JumpCacheEntry& jump);
  uint64_t code_generation() const { return blocks_.generation() + mmu_.generation(); }
  // Every counter here only grows, so the sum changes whenever one of them does.
  // Block links are valid while it is the one they were made in (Cpu::block_end_handler): it
  // moves with either generation (they count in it) and with the chain context (run()).
  uint64_t link_epoch() const { return link_epoch_; }
  std::unique_ptr<Block> build_block(uint32_t phys, uint32_t key);
  void handle_fault(const CpuFault& fault);
  void deliver_external_interrupt();
  uint32_t code_linear_to_physical(uint32_t linear) {
    return mmu_.translate_fetch(linear, cpl_ == 3);
  }
  void sync_paging();
  void flush_for_breakpoint(const CodeBreakpoint& breakpoint);
  void io_watch_check(uint16_t port, unsigned size, bool write, uint32_t value);
  unsigned debug_register_alias(unsigned n);
  // Rebuilds the breakpoints DR7 enables (records, watched pages, I/O ports).
  void sync_debug_registers();
  void data_breakpoint_hit(unsigned n);
  void io_breakpoint_check(uint16_t port, unsigned size);
  void deliver_debug_trap(uint32_t dr6_bits);
  void deliver_pending_debug_trap();
  void note_fault_resume_flag(const CpuFault& fault);
  // CR0.AM and EFLAGS.AC changed (CR0 writes, EFLAGS loads, real-mode interrupts).
  void sync_alignment_check() {
    const bool on =
        model_ == CpuModel::PentiumPro && (regs_.cr0 & (1u << 18)) && (eflags_ & flag::kAc);
    if (on == alignment_check_) return;
    alignment_check_ = on;
    mmu_.set_alignment_check(on);
  }
  void debug_stop(StopReason reason);
  bool starts_with_record(const Block& block) const;

  CpuModel model_;
  bus::PhysicalMemory& memory_;
  bus::IoSpace& io_;
  InterruptController* pic_ = nullptr;
  Decoder decoder_;
  BlockCache blocks_;

  Registers regs_;
  uint32_t eflags_ = 2;  // non-lazy bits, and arithmetic bits when lazy_.op is None
  LazyFlags lazy_;
  X87State x87_;
  mmu::Mmu mmu_{memory_, regs_.cr2};
  uint32_t insn_eip_ = 0;  // start of the instruction that faulted
  uint32_t block_eip_ = 0;
  const Insn* current_insn_ = nullptr;
  // The block running in execute_block: its end marker moves this along linked blocks while
  // chain_budget_ (instructions) lasts.
  const Block* chain_block_ = nullptr;
  uint64_t chain_budget_ = 0;
  uint32_t eflags_fixed_ones_ = 2;
  uint32_t eflags_writable_ = 0;
  unsigned cpl_ = 0;
  uint8_t user_ = 0;  // cpl_ == 3: the TLB's tag column (set_cpl keeps both)
  // Segments (a bit per SegReg) whose accesses need no segment check: base 0, limit 4 GiB - 1,
  // readable, writable, expand-up. Their accesses go straight to the TLB; a miss takes the
  // checked path, which also catches an access past 4 GiB. flat_stack_: SS is flat and 32-bit.
  uint8_t flat_segments_ = 0;
  bool flat_stack_ = false;
  uint64_t retired_ = 0;
  bool halted_ = false;
  bool shutdown_ = false;
  struct ChainStop {
    bool exit_block = false;
    bool one_at_a_time = false;  // execute_block with a budget inside the block: no chaining
  } chain_;
  static_assert(sizeof(ChainStop) == 2);
  bool block_ended_in_fault_ = false;  // the last execute_block delivered a fault (not a trap)
  bool in_block_ = false;  // execute_block is running handlers: current_insn_ is in chain_block_
  bool stop_requested_ = false;
  bool interrupt_shadow_ = false;
  bool ss_shadow_ = false;
  bool alignment_check_ = false;  // CR0.AM and EFLAGS.AC (checked at CPL 3)
  bool debug_trap_pending_ = false;
  uint32_t pending_debug_status_ = 0;  // DR6 bits of the pending #DB trap
  bool instruction_breakpoint_fault_ = false;
  StopReason last_stop_ = StopReason::Budget;
  StopReason stop_reason_ = StopReason::Requested;  // what a pending stop request reports
  std::unique_ptr<DebugHooks> debug_;
  std::atomic<bool> async_stop_{false};
  bool io_watch_active_ = false;
  uint64_t tsc_offset_ = 0;
  TscSource tsc_source_ = nullptr;
  void* tsc_context_ = nullptr;
  uint32_t code_eip_mask_ = 0xFFFF;  // IP wraps at 64 KiB in 16-bit code
  std::unique_ptr<Block> uncached_block_;
  // The chain context block links were made in (run()): a change moves link_epoch_.
  uint32_t link_key_ = ~0u;
  uint32_t link_cs_base_ = 0;
  uint32_t link_cs_limit_ = 0;
  uint64_t link_epoch_ = 1;
  static constexpr unsigned kJumpCacheSize = 4096;
  std::unique_ptr<JumpCacheEntry[]> jump_cache_{new JumpCacheEntry[kJumpCacheSize]};
  struct ModelSpecificRegisters {
    uint64_t apic_base = 0xFEE00900;
    uint32_t sysenter_cs = 0;
    uint32_t sysenter_esp = 0;
    uint32_t sysenter_eip = 0;
    uint64_t perf_counter[2] = {};
    uint32_t perf_select[2] = {};
  } msr_;
};

// ---- inline definitions -----------------------------------------------------------------

template <typename T>
inline T Cpu::reg(unsigned index) const {
  if constexpr (sizeof(T) == 1) {
    return static_cast<T>(regs_.gpr[index & 3] >> ((index & 4) << 1));
  } else {
    return static_cast<T>(regs_.gpr[index]);
  }
}

template <typename T>
inline void Cpu::set_reg(unsigned index, T value) {
  if constexpr (sizeof(T) == 1) {
    const unsigned shift = (index & 4) << 1;
    uint32_t& r = regs_.gpr[index & 3];
    r = (r & ~(0xFFu << shift)) | (uint32_t{value} << shift);
  } else if constexpr (sizeof(T) == 2) {
    regs_.gpr[index] = (regs_.gpr[index] & 0xFFFF0000u) | value;
  } else {
    regs_.gpr[index] = value;
  }
}

// The common case is one rights compare and one limit compare; everything else (faults,
// expand-down segments, the 8086's wrap at 64 KiB) is on the slow path.
template <typename T>
inline T Cpu::read_mem(unsigned seg, uint32_t offset) {
  if (flat_segments_ & (1u << seg)) [[likely]] {
    if (const uint8_t* p = mmu_.read_pointer<T>(offset, user_)) [[likely]]
      return bus::load_le<T>(p);
  }
  return read_mem_checked<T>(seg, offset);
}

template <typename T>
inline void Cpu::write_mem(unsigned seg, uint32_t offset, T value) {
  if (flat_segments_ & (1u << seg)) [[likely]] {
    if (uint8_t* p = mmu_.write_pointer<T>(offset, user_)) [[likely]] {
      bus::store_le<T>(p, value);
      return;
    }
  }
  write_mem_checked<T>(seg, offset, value);
}

template <typename T, typename F>
inline void Cpu::modify_mem(unsigned seg, uint32_t offset, F&& f) {
  if (flat_segments_ & (1u << seg)) [[likely]] {
    if (uint8_t* p = mmu_.modify_pointer<T>(offset, user_)) [[likely]] {
      bus::store_le<T>(p, f(bus::load_le<T>(p)));
      return;
    }
  }
  const T value = read_mem_checked<T>(seg, offset);
  write_mem_checked<T>(seg, offset, f(value));
}

template <typename T>
T Cpu::read_mem_checked(unsigned seg, uint32_t offset) {
  const SegmentCache& s = regs_.seg[seg];
  if ((s.rights & (segment_rights::kRead | segment_rights::kExpandDown)) == segment_rights::kRead &&
      uint64_t{offset} + (sizeof(T) - 1) <= s.limit) [[likely]] {
    return read_linear<T>(s.base + offset);
  }
  return read_mem_slow<T>(seg, offset);
}

template <typename T>
void Cpu::write_mem_checked(unsigned seg, uint32_t offset, T value) {
  const SegmentCache& s = regs_.seg[seg];
  if ((s.rights & (segment_rights::kWrite | segment_rights::kExpandDown)) ==
          segment_rights::kWrite &&
      uint64_t{offset} + (sizeof(T) - 1) <= s.limit) [[likely]] {
    write_linear<T>(s.base + offset, value);
    return;
  }
  write_mem_slow<T>(seg, offset, value);
}

inline uint32_t Cpu::linear_for(unsigned seg, uint32_t offset, unsigned size, bool write) {
  const SegmentCache& s = regs_.seg[seg];
  const uint8_t need = write ? segment_rights::kWrite : segment_rights::kRead;
  if ((s.rights & (need | segment_rights::kExpandDown)) != need) {
    check_unusual_segment_access(seg, offset, size, write);
  } else if (offset > s.limit || s.limit - offset < size - 1) {
    segment_limit_fault(seg);
  }
  return s.base + offset;
}

template <typename T>
T Cpu::read_mem_slow(unsigned seg, uint32_t offset) {
  if (model_ == CpuModel::I8086) return read_wrapped_8086<T>(seg, offset);
  return read_linear<T>(linear_for(seg, offset, sizeof(T), false));
}

template <typename T>
void Cpu::write_mem_slow(unsigned seg, uint32_t offset, T value) {
  if (model_ == CpuModel::I8086) {
    write_wrapped_8086<T>(seg, offset, value);
    return;
  }
  write_linear<T>(linear_for(seg, offset, sizeof(T), true), value);
}

template <typename T>
inline T Cpu::read_wrapped_8086(unsigned seg, uint32_t offset) {
  T value = 0;
  for (unsigned i = 0; i < sizeof(T); ++i) {
    const uint32_t lin = regs_.seg[seg].base + ((offset + i) & 0xFFFF);
    value |= static_cast<T>(T{read_linear<uint8_t>(lin)} << (8 * i));
  }
  return value;
}

template <typename T>
inline void Cpu::write_wrapped_8086(unsigned seg, uint32_t offset, T value) {
  for (unsigned i = 0; i < sizeof(T); ++i) {
    const uint32_t lin = regs_.seg[seg].base + ((offset + i) & 0xFFFF);
    write_linear<uint8_t>(lin, static_cast<uint8_t>(value >> (8 * i)));
  }
}

// A flat 32-bit stack: no mask, no segment check, one TLB compare.
template <typename T>
inline void Cpu::push(T value) {
  if (flat_stack_) [[likely]] {
    const uint32_t sp = regs_.gpr[kEsp] - sizeof(T);
    if (uint8_t* p = mmu_.write_pointer<T>(sp, user_)) [[likely]] {
      bus::store_le<T>(p, value);
      regs_.gpr[kEsp] = sp;
      return;
    }
  }
  push_checked<T>(value);
}

template <typename T>
inline T Cpu::pop() {
  if (flat_stack_) [[likely]] {
    const uint32_t sp = regs_.gpr[kEsp];
    if (const uint8_t* p = mmu_.read_pointer<T>(sp, user_)) [[likely]] {
      regs_.gpr[kEsp] = sp + sizeof(T);
      return bus::load_le<T>(p);
    }
  }
  return pop_checked<T>();
}

template <typename T>
void Cpu::push_checked(T value) {
  const uint32_t mask = stack_pointer_mask();
  const uint32_t sp = (regs_.gpr[kEsp] - sizeof(T)) & mask;
  write_mem<T>(kSs, sp, value);
  regs_.gpr[kEsp] = (regs_.gpr[kEsp] & ~mask) | sp;
}

template <typename T>
T Cpu::pop_checked() {
  const uint32_t mask = stack_pointer_mask();
  const uint32_t sp = regs_.gpr[kEsp] & mask;
  const T value = read_mem<T>(kSs, sp);
  regs_.gpr[kEsp] = (regs_.gpr[kEsp] & ~mask) | ((sp + sizeof(T)) & mask);
  return value;
}

template <typename T>
inline T Cpu::peek_stack(uint32_t offset) {
  const uint32_t mask = stack_pointer_mask();
  return read_mem<T>(kSs, (regs_.gpr[kEsp] + offset) & mask);
}

}  // namespace x86lab::cpu
