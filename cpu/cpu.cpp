#include "cpu/cpu.hpp"

#include <algorithm>
#include <optional>

#include "cpu/handlers.hpp"

namespace x86lab::cpu {
namespace {

constexpr unsigned kMaxBlockInstructions = 64;

// What flag liveness needs to know of one instruction of a block (DecodeResult's fields).
struct FlagFacts {
  uint16_t read = flag::kArith;
  uint16_t written = 0;
  bool plain = false;
};

// Flag liveness: walking the block backwards, an instruction whose written flags are all
// overwritten by later plain instructions before anything reads them gets its flagless twin.
// Flags are live after the block, and before any instruction that is not plain (it may fault
// or end the block, and then the flags must be exact). The original handlers stay in
// block.precise for runs that stop inside the block (a budget, single steps).
void drop_dead_flags(Block& block, const std::vector<FlagFacts>& facts) {
  uint32_t live = flag::kArith;
  for (size_t i = facts.size(); i-- > 0;) {
    const FlagFacts& f = facts[i];
    if (f.written && !(f.written & live)) {
      if (const Handler twin = flagless_twin(block.insns[i].fn)) {
        if (block.precise.empty()) {
          for (const Insn& insn : block.insns) block.precise.push_back(insn.fn);
        }
        block.insns[i].fn = twin;
      }
    }
    live = f.plain ? (live & ~f.written) | f.read : flag::kArith;
  }
}

// Superblocks: each Jcc at a position in jccs (none of them last) takes its side-exit twin and
// its precise twin in block.precise, which holds the original handlers from here on (the first
// pass that changes handlers). place_side_links gives it its place and its link.
void use_side_exits(Block& block, const std::vector<uint32_t>& jccs) {
  if (jccs.empty()) return;
  for (const Insn& insn : block.insns) block.precise.push_back(insn.fn);
  for (const uint32_t at : jccs) {
    Insn& jcc = block.insns[at];
    const SideExitTwins twins = side_exit_twins(jcc.fn);
    block.precise[at] = twins.precise;
    jcc.fn = twins.fast;
  }
}

// Called last, with the end marker in place: the side exits at the positions exits (Jccs, a
// block-ending CALL or JMP) each get a link slot after the end marker (Block::insns, side_link)
// and their place: imm holds the instructions the block has run when it leaves there (a Jcc has
// no immediate, and a direct CALL or JMP none that its handler reads) and, in its high half,
// the instructions it has not run, which go back to the chain budget.
void place_side_links(Block& block, const std::vector<uint32_t>& exits) {
  for (size_t k = 0; k < exits.size(); ++k) {
    const uint32_t slot = block.count + 1 + static_cast<uint32_t>(k);
    Insn& exit = block.insns[exits[k]];
    const uint32_t done = exits[k] + 1;
    exit.imm = done | ((block.count - done) << 16);
    exit.imm2 = static_cast<uint16_t>(slot - exits[k]);
  }
  block.insns.resize(block.insns.size() + exits.size());
  for (const uint32_t at : exits) set_side_link(block.insns[at], BlockLink{});
}

// A direct CALL or JMP that ends the block leaves through a side link too (exec_control.cpp's
// jump_exit_twin); the plain handler stays in block.precise, and the end marker after it.
// A RET or near indirect JMP/CALL there goes on to the end marker's code itself
// (end_marker_twin).
// Returns whether it is a side exit (for place_side_links).
bool use_jump_exit(Block& block) {
  if (block.insns.empty()) return false;
  Insn& last = block.insns.back();
  const Handler exit = jump_exit_twin(last.fn);
  const Handler to_marker =
      (last.flags & insn_flags::kSetsEip) ? end_marker_twin(last.fn) : nullptr;
  if (!exit && !to_marker) return false;
  if (block.precise.empty()) {
    for (const Insn& insn : block.insns) block.precise.push_back(insn.fn);
  }
  last.fn = to_marker ? to_marker : exit;
  return exit != nullptr;
}

// An operation that sets the flags followed by a 32-bit Jcc becomes one fused handler in the
// operation's slot (exec_common.hpp); the original handlers stay in block.precise.
void fuse_jcc_pairs(Block& block) {
  for (size_t i = 0; i + 1 < block.insns.size(); ++i) {
    if (const Handler fused = fused_with_jcc(block.insns[i].fn, block.insns[i + 1].fn)) {
      if (block.precise.empty()) {
        for (const Insn& insn : block.insns) block.precise.push_back(insn.fn);
      }
      block.insns[i].fn = fused;
    }
  }
}

// Lean twins (exec_common.hpp's threaded_lean): an instruction that can neither fault nor stop
// the chain goes straight on to the next one, without placing it, when the next one places
// itself (or needs no place). Runs that stop inside the block use block.precise. Called with
// the end marker in place, which places itself.
void use_lean_twins(Block& block) {
  for (size_t i = 0; i + 1 < block.insns.size(); ++i) {
    if (!placed_on_entry(block.insns[i + 1].fn)) continue;
    if (const Handler lean = lean_twin(block.insns[i].fn)) {
      if (block.precise.empty()) {
        for (size_t j = 0; j + 1 < block.insns.size(); ++j) {
          block.precise.push_back(block.insns[j].fn);
        }
      }
      block.insns[i].fn = lean;
    }
  }
}

// Two 32-bit loads or stores in a row share one handler (exec_data.cpp's fused_mov_pair) in
// the first's slot; the second keeps its own for the first's slow path. Runs that stop inside
// the block use block.precise. Called last, with the end marker in place and the lean twins
// chosen.
// Runs of two to four PUSH r32 or POP r32 (exec_data.cpp's stack_run_handler) likewise.
void fuse_mov_pairs(Block& block) {
  const auto keep_precise = [&block] {
    if (block.precise.empty()) {
      for (size_t j = 0; j + 1 < block.insns.size(); ++j)
        block.precise.push_back(block.insns[j].fn);
    }
  };
  for (size_t i = 0; i + 2 < block.insns.size(); ++i) {
    bool pushes = false;
    // The end marker is last: a run or pair always has an instruction after it.
    const unsigned run = stack_run_length(&block.insns[i], block.insns.size() - 1 - i, pushes);
    if (run >= 2) {
      keep_precise();
      block.insns[i].fn = stack_run_handler(pushes, run, placed_on_entry(block.insns[i + run].fn));
      i += run - 1;
      continue;
    }
    const bool lean = placed_on_entry(block.insns[i + 2].fn);
    const Handler pair = fused_mov_pair(block.insns[i].fn, block.insns[i + 1].fn, lean);
    if (!pair) continue;
    keep_precise();
    block.insns[i].fn = pair;
    ++i;  // the second is not the first of another pair
  }
}

struct FlagMasks {
  uint32_t writable;
  uint32_t fixed_ones;
};

FlagMasks flag_masks(CpuModel model) {
  switch (model) {
    case CpuModel::I8086:
      return {0x0FD5, 0xF002};
    case CpuModel::I80286:
      return {0x7FD5, 0x0002};
    case CpuModel::I80386:
      return {0x00037FD5, 0x0002};
    case CpuModel::PentiumPro:
      return {0x003F7FD5, 0x0002};
  }
  return {0x0FD5, 0x0002};
}

// XCHG BX,BX (87 DB, or 66 87 DB in 32-bit code): the Bochs magic breakpoint.
bool is_magic_break(bus::PhysicalMemory& memory, uint32_t phys, unsigned length) {
  if ((phys & 0xFFF) + length > bus::kPageSize) return false;
  if (length == 3 && memory.read<uint8_t>(phys) != 0x66) return false;
  if (length != 2 && length != 3) return false;
  const uint32_t at = phys + length - 2;
  return memory.read<uint8_t>(at) == 0x87 && memory.read<uint8_t>(at + 1) == 0xDB;
}

}  // namespace

Cpu::Cpu(CpuModel model, bus::PhysicalMemory& memory, bus::IoSpace& io)
    : model_(model), memory_(memory), io_(io), decoder_(model) {
  const FlagMasks masks = flag_masks(model);
  eflags_writable_ = masks.writable;
  eflags_fixed_ones_ = masks.fixed_ones;
  memory_.set_code_observer(this);
  mmu_.count_generations_in(&link_epoch_);
  blocks_.count_generations_in(&link_epoch_);
  reset();
}

Cpu::~Cpu() { memory_.set_code_observer(nullptr); }

void Cpu::reset() {
  regs_ = Registers{};
  lazy_ = LazyFlags{};
  // The x87's power-on state (SDM table 9-1), not FNINIT's; the FERR# wiring stays.
  const X87State wiring = x87_;
  x87_ = X87State{};
  x87_.control = 0x0040;
  x87_.tag = 0x5555;
  x87_.ferr_line = wiring.ferr_line;
  x87_.ferr_context = wiring.ferr_context;
  eflags_ = eflags_fixed_ones_;
  for (SegmentCache& s : regs_.seg) s = SegmentCache{};
  regs_.ldtr = SegmentCache{};
  regs_.tr = SegmentCache{};
  regs_.tr.access = 0x8B;
  switch (model_) {
    case CpuModel::I8086:
      mmu_.set_a20_mask(0xFFFFF);
      regs_.seg[kCs].selector = 0xFFFF;
      regs_.seg[kCs].base = 0xFFFF0;
      regs_.eip = 0;
      break;
    case CpuModel::I80286:
      mmu_.set_a20_mask(0xFFFFFF);
      regs_.seg[kCs].selector = 0xF000;
      regs_.seg[kCs].base = 0xFF0000;
      regs_.eip = 0xFFF0;
      regs_.cr0 = 0xFFF0;  // the 286's MSW reads with the top bits set
      break;
    case CpuModel::I80386:
    case CpuModel::PentiumPro:
      mmu_.set_a20_mask(0xFFFFFFFF);
      regs_.seg[kCs].selector = 0xF000;
      regs_.seg[kCs].base = 0xFFFF0000;
      regs_.eip = 0xFFF0;
      regs_.gpr[kEdx] = model_ == CpuModel::I80386 ? 0x0308 : 0x0619;
      regs_.cr0 = model_ == CpuModel::PentiumPro ? 0x60000010 : 0x00000010;
      break;
  }
  regs_.seg[kCs].access = 0x9B;
  regs_.dr[6] = 0xFFFF0FF0;
  regs_.dr[7] = 0x400;
  debug_trap_pending_ = false;
  pending_debug_status_ = 0;
  instruction_breakpoint_fault_ = false;
  set_cpl(0);
  sync_flat_segments();
  code_eip_mask_ = 0xFFFF;
  halted_ = false;
  shutdown_ = false;
  chain_.exit_block = true;
  interrupt_shadow_ = false;
  sync_paging();
  flush_decoded_code();
  sync_debug_registers();
  sync_alignment_check();
}

void Cpu::sync_paging() {
  mmu::PagingConfig config;
  config.enabled = at_least(model_, CpuModel::I80386) && (regs_.cr0 & 0x80000000u);
  config.write_protect = regs_.cr0 & 0x10000u;
  config.pse = regs_.cr4 & 0x10u;
  config.pge = regs_.cr4 & 0x80u;
  config.cr3 = regs_.cr3;
  mmu_.configure(config);
}

uint32_t Cpu::eflags() const { return (eflags_ & ~flag::kArith) | lazy_.arith_bits(eflags_); }

void Cpu::set_eflags(uint32_t value) {
  uint32_t writable = eflags_writable_;
  // A 286 in real mode cannot set IOPL or NT: those bits read as zero there.
  if (model_ == CpuModel::I80286 && !protected_mode()) writable &= 0x0FFF;
  const bool was_v86 = v86_mode();
  lazy_.op = FlagOp::None;
  eflags_ = (value & writable) | eflags_fixed_ones_;
  if (was_v86 != v86_mode()) chain_.exit_block = true;
  sync_alignment_check();
}

void Cpu::materialize_flags() {
  eflags_ = eflags();
  lazy_.op = FlagOp::None;
}

void Cpu::set_flag(uint32_t bit, bool on) {
  if (bit & flag::kArith) materialize_flags();
  eflags_ = on ? (eflags_ | bit) : (eflags_ & ~bit);
}

void Cpu::sync_flat_segments() {
  uint8_t flat = 0;
  for (unsigned seg = 0; seg < kSegCount; ++seg) {
    const SegmentCache& s = regs_.seg[seg];
    constexpr uint8_t kRights =
        segment_rights::kRead | segment_rights::kWrite | segment_rights::kExpandDown;
    if (s.base == 0 && s.limit == 0xFFFFFFFFu &&
        (s.rights & kRights) == (segment_rights::kRead | segment_rights::kWrite)) {
      flat = static_cast<uint8_t>(flat | (1u << seg));
    }
  }
  flat_segments_ = flat;
  flat_stack_ = (flat & (1u << kSs)) && regs_.seg[kSs].big;
}

void Cpu::load_segment_real(unsigned seg, uint16_t selector) {
  SegmentCache& s = regs_.seg[seg];
  s.selector = selector;
  s.base = uint32_t{selector} << 4;
  s.rights = segment_rights::kRead | segment_rights::kWrite;
  if (v86_mode()) {
    s.limit = 0xFFFF;
    s.access = seg == kCs ? 0xFB : 0xF3;
    s.big = false;
  }
  if (seg == kCs) {
    code_eip_mask_ = s.big ? 0xFFFFFFFF : 0xFFFF;
    chain_.exit_block = true;
  }
  sync_flat_segments();
}

void Cpu::load_segment(unsigned seg, uint16_t selector) {
  if (!protected_mode() || v86_mode()) {
    load_segment_real(seg, selector);
    return;
  }
  load_segment_protected(seg, selector);
}

void Cpu::check_unusual_segment_access(unsigned seg, uint32_t offset, unsigned size, bool write) {
  const SegmentCache& s = regs_.seg[seg];
  const uint8_t need = write ? segment_rights::kWrite : segment_rights::kRead;
  if (!(s.rights & need)) {
    if (seg == kSs && s.rights != 0) raise_fault(Vector::StackFault, 0);
    raise_fault(Vector::GeneralProtection, 0);
  }
  // Expand-down: valid offsets lie above the limit, up to 64 KiB or 4 GiB by the B bit.
  const uint32_t upper = s.big ? 0xFFFFFFFFu : 0xFFFFu;
  if (offset <= s.limit || offset > upper || upper - offset < size - 1) segment_limit_fault(seg);
}

void Cpu::software_interrupt(uint8_t vector) {
  if (v86_mode() && ((eflags_ & flag::kIopl) >> 12) < 3) raise_fault(Vector::GeneralProtection, 0);
  interrupt(vector, regs_.eip, InterruptSource::Software);
}

void Cpu::segment_limit_fault(unsigned seg) {
  // The 286 reports every real-mode segment overrun as #GP (its "interrupt 13").
  if (seg == kSs && model_ != CpuModel::I80286) raise_fault(Vector::StackFault, 0);
  raise_fault(Vector::GeneralProtection, 0);
}

void Cpu::set_a20(bool enabled) {
  if (!at_least(model_, CpuModel::I80386)) return;
  mmu_.set_a20_mask(enabled ? 0xFFFFFFFF : ~(1u << 20));
  chain_.exit_block = true;
}

void Cpu::flush_decoded_code() {
  blocks_.invalidate_all();
  chain_.exit_block = true;
}

void Cpu::code_written(uint32_t physical, unsigned size) {
  bool page_holds_code;
  if (blocks_.invalidate_range(physical, size, page_holds_code)) chain_.exit_block = true;
  if (!page_holds_code) memory_.clear_code_page(physical >> bus::kPageShift);
}

// ---- the run loop ------------------------------------------------------------------------

std::unique_ptr<Block> Cpu::build_block(uint32_t phys, uint32_t key) {
  auto block = std::make_unique<Block>();
  block->phys = phys;
  block->key = key;
  const SegmentCache& cs = regs_.seg[kCs];
  const bool code32 = cs.big && protected_mode() && !v86_mode();
  const DecodeMode mode{code32, !protected_mode() || v86_mode()};
  const bool wraps_at_64k = model_ == CpuModel::I8086;
  uint32_t offset = regs_.eip;
  bool cacheable = true;
  auto note_page = [&](uint32_t physical) {
    const uint32_t page = physical >> bus::kPageShift;
    if (std::find(block->pages.begin(), block->pages.end(), page) == block->pages.end()) {
      block->pages.push_back(page);
      if (!memory_.is_code_page(physical)) {
        memory_.mark_code_page(physical);
        mmu_.protect_code_page(page);  // writes to it must now reach the bus's check
      }
    }
  };

  const uint32_t wrap_mask = wraps_at_64k ? 0xFFFFu : 0xFFFFFFFFu;
  std::vector<FlagFacts> facts;
  std::vector<uint32_t> side_exit_jccs;
  for (unsigned n = 0; n < kMaxBlockInstructions; ++n) {
    uint32_t insn_phys;
    try {
      insn_phys = code_linear_to_physical(cs.base + (offset & wrap_mask));
    } catch (const CpuFault&) {
      if (n == 0) throw;
      break;  // the fetch fault belongs to that instruction, raised when it is reached
    }
    if (debug_) [[unlikely]] {
      // A breakpoint (or the trace) puts a record before the instruction, always first in its
      // block: a block reaching it from before ends here.
      if (debug_->wants_record(cs.base + (offset & wrap_mask), insn_phys, offset & wrap_mask)) {
        if (n > 0) break;
        Insn record{};
        record.fn = &debug_record_handler;
        block->insns.push_back(record);
        facts.push_back(FlagFacts{});
        block->starts_with_record = true;
      }
    }
    Insn insn;
    DecodeResult result;
    bool crosses = false;
    const DecodedInsn* known = blocks_.find_insn(insn_phys, key);
    if (known && (wraps_at_64k || offset + known->insn.length - 1 <= cs.limit) &&
        (!wraps_at_64k || offset + known->insn.length <= 0x10000)) {
      insn = known->insn;
      result.ends_block = known->ends_block;
      result.flags_read = known->flags_read;
      result.flags_written = known->flags_written;
      result.plain = known->plain;
    } else {
      uint8_t bytes[15];
      size_t available = 0;
      std::optional<CpuFault> fetch_fault;
      for (; available < sizeof bytes; ++available) {
        const uint32_t at = (offset + static_cast<uint32_t>(available)) & wrap_mask;
        if (!wraps_at_64k && at > cs.limit) break;
        const uint32_t linear = cs.base + at;
        uint32_t physical;
        if (((linear ^ (cs.base + (offset & wrap_mask))) & ~(bus::kPageSize - 1)) == 0) {
          physical = insn_phys + (linear - (cs.base + (offset & wrap_mask)));
        } else {
          try {
            physical = code_linear_to_physical(linear);
          } catch (const CpuFault& fault) {
            fetch_fault = fault;  // only raised if the instruction needs these bytes
            break;
          }
        }
        bytes[available] = memory_.read<uint8_t>(physical);
      }
      result = decoder_.decode(bytes, available, mode, insn);
      if (result.status == DecodeStatus::Truncated) {
        if (n > 0) break;  // decode it when it is reached: the fault belongs to that instruction
        if (fetch_fault) throw *fetch_fault;
        insn = Insn{};
        insn.fn = kGeneralProtection0;  // runs past the code segment limit
        insn.length = 1;
        result.ends_block = true;
      }
    }
    // An instruction whose bytes leave its page (or wrap at 64 KiB) depends on more than the
    // physical address the block is found by: it runs alone, in a block that is not kept.
    crosses = ((insn_phys & 0xFFF) + insn.length) > bus::kPageSize ||
              (wraps_at_64k && offset + insn.length > 0x10000);
    if (crosses && n > 0) break;
    if (!crosses && !known && result.status == DecodeStatus::Ok) {
      blocks_.remember_insn(insn_phys, key,
                            DecodedInsn{insn, result.ends_block, result.flags_read,
                                        result.flags_written, result.plain});
    }
    if (debug_ && debug_->magic_break && is_magic_break(memory_, insn_phys, insn.length))
        [[unlikely]] {
      insn.fn = &magic_break_handler;
      result.flags_read = flag::kArith;
      result.plain = false;
    }
    note_page(insn_phys);
    if (crosses) {
      note_page(code_linear_to_physical(cs.base + ((offset + insn.length - 1) & wrap_mask)));
    }
    offset += insn.length;
    insn.next_offset = static_cast<uint16_t>(offset - regs_.eip);
    // A conditional jump need not end the block: the block goes on with the instruction after
    // it (a superblock), which the jump reaches when not taken. Flags are live before it.
    const bool side_exit = result.ends_block && !crosses && side_exit_twins(insn.fn).fast;
    if (side_exit) {
      side_exit_jccs.push_back(static_cast<uint32_t>(block->insns.size()));
      result.plain = false;
    }
    block->insns.push_back(insn);
    facts.push_back(FlagFacts{result.flags_read, result.flags_written, result.plain});
    if (crosses) {
      cacheable = false;
      break;
    }
    if (result.ends_block && !side_exit) break;
    if (debug_ && debug_->trace) [[unlikely]]
      break;  // one instruction a block, each after its trace record
    // Stop at a page boundary so a block's first page decides where it is found.
    if (((cs.base + offset) ^ (cs.base + regs_.eip)) & ~(bus::kPageSize - 1)) break;
  }
  block->byte_length = offset - regs_.eip;
  if (!cacheable) block->key = ~0u;
  block->count = static_cast<uint32_t>(block->insns.size());
  // A Jcc that ended up last (the page, the length limit or a fetch fault ended the block
  // after it) ends the block as usual.
  if (!side_exit_jccs.empty() && side_exit_jccs.back() + 1 == block->count) {
    side_exit_jccs.pop_back();
  }
  use_side_exits(*block, side_exit_jccs);
  if (use_jump_exit(*block)) side_exit_jccs.push_back(block->count - 1);
  drop_dead_flags(*block, facts);
  fuse_jcc_pairs(*block);
  // The end marker stops the run loop without a per-instruction end test, or chains to the
  // next block; it knows where the block's fall-through exit leads.
  Insn end_marker{};
  end_marker.fn = &block_end_handler<false>;
  if (!block->insns.empty()) {
    end_marker.next_offset = block->insns.back().next_offset;
    end_marker.flags = block->insns.back().flags & insn_flags::kSetsEip;
    if (end_marker.flags & insn_flags::kSetsEip) end_marker.fn = &block_end_handler<true>;
  }
  block->insns.push_back(end_marker);
  use_lean_twins(*block);
  fuse_mov_pairs(*block);
  place_side_links(*block, side_exit_jccs);
  return block;
}

const Block& Cpu::block_at_eip_slow(uint32_t linear, uint32_t key, JumpCacheEntry& jump) {
  const uint32_t phys = code_linear_to_physical(linear);
  const Block* block = blocks_.find(phys, key & 3);
  if (block && fits_code_limit(*block)) {
    jump = JumpCacheEntry{linear, key, code_generation(), block};
    return *block;
  }
  std::unique_ptr<Block> fresh = build_block(phys, key & 3);
  if (fresh->key == ~0u || block) {
    // Not cacheable (it crosses a page or wraps), or the cached one runs past this CS limit.
    uncached_block_ = std::move(fresh);
    return *uncached_block_;
  }
  const Block& inserted = blocks_.insert(std::move(fresh));
  jump = JumpCacheEntry{linear, key, code_generation(), &inserted};
  return inserted;
}

namespace {
// Blocks chained by their end markers call each other as tail calls (jumps) in an optimised
// build. Where the compiler may not turn them into jumps (no optimisation, AddressSanitizer),
// every instruction of a chain is a stack frame: the chain is kept short there.
#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
#define X86LAB_CHAIN_MAY_NEED_FRAMES 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define X86LAB_CHAIN_MAY_NEED_FRAMES 1
#endif
#endif
#ifdef X86LAB_CHAIN_MAY_NEED_FRAMES
constexpr uint64_t kChainBudgetLimit = 256;
#else
// Below BlockLink's ~0u "never chain" count, so that one compare covers both.
constexpr uint64_t kChainBudgetLimit = uint64_t{1} << 31;
#endif
}  // namespace

// The last step of every chaining exit (the end marker, a side exit, either through the jump
// cache): the running block ran done instructions, the chain goes on at EIP eip with the block
// next, whose first instruction is first and whose count next_count comes out of the budget.
[[gnu::always_inline]] inline void Cpu::enter_next_block(Cpu& cpu, uint32_t eip, const Block* next,
                                                         const Insn* first, uint32_t next_count,
                                                         uint32_t done) {
  cpu.chain_budget_ -= next_count;
  cpu.retired_ += done;
  cpu.block_eip_ = eip;
  cpu.chain_block_ = next;
  cpu.current_insn_ = first;
  first->fn(cpu, *first);
}

// Direct block chaining from the end marker: the link the run loop would follow (Cpu::run),
// without returning to it, while the run's budget lasts. Anything the run loop must look at
// between blocks (an interrupt window, a stop, a mode change) sets chain_.exit_block instead
// of reaching the marker.
template <bool AfterJump>
void Cpu::block_end_handler(Cpu& cpu, const Insn& marker) {
  const Block& block = *cpu.chain_block_;
  const uint32_t eip =
      AfterJump ? cpu.regs_.eip : (cpu.block_eip_ + marker.next_offset) & cpu.code_eip_mask_;
  // The link is picked by index, not by a branch: a block ending in a conditional jump goes
  // either way, and a branch on which link matched was mispredicted about a third of the time.
  // links[0] wins a tie (the run loop fills links[1] only while links[0] is live).
  const BlockLink* link = &block.links[block.links[0].eip != eip];
#if defined(__GNUC__)
  asm("" : "+r"(link));  // one pointer: GCC otherwise computes the address twice
#endif
  if ((link->eip != eip) | (link->epoch != cpu.link_epoch_) |
      (link->chain_count > cpu.chain_budget_)) [[unlikely]] {
    chain_through_jump_cache(cpu, marker, eip);
    return;
  }
  if constexpr (!AfterJump) cpu.regs_.eip = eip;
  enter_next_block(cpu, eip, link->block, link->first, link->chain_count, block.count);
}
template void Cpu::block_end_handler<true>(Cpu&, const Insn&);
template void Cpu::block_end_handler<false>(Cpu&, const Insn&);

// Links block's exit to EIP eip with next, valid in this link epoch. A stale link is replaced
// first; two live ones (a loop's branch and its exit) stay. A block that starts with a
// debugger record is never chained to (its count is ~0u, over any budget).
void Cpu::link_exit(const Block& block, uint32_t eip, const Block& next) {
  const uint64_t epoch = link_epoch();
  const unsigned slot = block.links[0].epoch == epoch ? 1 : 0;
  const uint32_t chain_count = next.starts_with_record ? ~0u : next.count;
  block.links[slot] = BlockLink{eip, chain_count, epoch, &next, next.insns.data()};
}

const Block* Cpu::chainable_from_jump_cache(uint32_t eip) const {
  const SegmentCache& cs = regs_.seg[kCs];
  const uint32_t linear = cs.base + eip;
  const JumpCacheEntry& jump = jump_cache_[(linear ^ (linear >> 12)) & (kJumpCacheSize - 1)];
  if (jump.linear != linear || jump.key != link_key_ || jump.generation != code_generation() ||
      jump.block->starts_with_record || jump.block->count > chain_budget_ ||
      (model_ == CpuModel::I8086 ? eip + jump.block->byte_length > 0x10000
                                 : eip + jump.block->byte_length - 1 > cs.limit) ||
      chain_block_ == uncached_block_.get()) {
    return nullptr;
  }
  return jump.block;
}

// A block exit with no live link (a return to another caller, an indirect jump, a link made
// before the last code change): the jump cache, as block_at_eip, keeps the chain going and
// links the exit as the run loop would. Anything else (a miss, a block to build, a debugger
// record, the budget) ends the chain, and the run loop does the rest.
void Cpu::chain_through_jump_cache(Cpu& cpu, const Insn& marker, uint32_t eip) {
  const Block& block = *cpu.chain_block_;
  const Block* const next = cpu.chainable_from_jump_cache(eip);
  if (!next) {
    cpu.current_insn_ = &marker;  // the instruction before may have been lean
    cpu.chain_.exit_block = true;
    return;
  }
  cpu.link_exit(block, eip, *next);
  cpu.regs_.eip = eip;
  enter_next_block(cpu, eip, next, next->insns.data(), next->count, block.count);
}

// The block ran the low half of jcc.imm instructions of its count (place_side_links): what it did
// not run goes back to the chain budget, and the side exit's own link is followed as the end
// marker follows the block's. A direct jump leads to the same EIP from the same linear address,
// and the link needs no pick between two; its EIP is still compared, because the block is found
// by its physical address: run from a second linear mapping of its page, the same jump leads
// to another EIP, whose page may hold other code.
void Cpu::side_exit(Cpu& cpu, const Insn& jcc) {
  const uint32_t done = jcc.imm & 0xFFFF;
  cpu.chain_budget_ += jcc.imm >> 16;
  const uint32_t eip = cpu.regs_.eip;
  const SideLinkView link = side_link(jcc);
  const uint32_t next_count = link.chain_count();
  const uint32_t link_eip = link.eip();
  const uint64_t link_epoch = link.epoch();
  if ((link_eip != eip) | (link_epoch != cpu.link_epoch_) | (next_count > cpu.chain_budget_))
      [[unlikely]] {
    side_exit_through_jump_cache(cpu, jcc, eip, done);
    return;
  }
  enter_next_block(cpu, eip, link.block(), link.first(), next_count, done);
}

void Cpu::side_exit_through_jump_cache(Cpu& cpu, const Insn& jcc, uint32_t eip, uint32_t done) {
  const Block* const next = cpu.chainable_from_jump_cache(eip);
  if (!next) {
    cpu.current_insn_ = &jcc;  // the block loop resumes after the Jcc, at EIP
    cpu.chain_.exit_block = true;
    return;
  }
  set_side_link(jcc, BlockLink{eip, next->count, cpu.link_epoch_, next, next->insns.data()});
  enter_next_block(cpu, eip, next, next->insns.data(), next->count, done);
}

uint64_t Cpu::execute_block(const Block& block, uint64_t budget) {
  const uint64_t retired_before = retired_;
  const Insn* first = block.insns.data();
  const Insn* insn = first;
  block_eip_ = regs_.eip;
  block_ended_in_fault_ = false;
  chain_block_ = &block;
  current_insn_ = insn;
  in_block_ = true;
  uint64_t done;
  try {
    if (budget >= block.count) [[likely]] {
      // The block's end marker sets chain_.exit_block like an instruction that ends the block, so
      // the loop tests one byte per instruction; reaching it is not a reason to stop.
      // Threaded handlers run on by themselves; current_insn_ is the last one that ran. The
      // end marker may have moved on to linked blocks: chain_block_ is the one that ran last.
      chain_budget_ = std::min(budget - block.count, kChainBudgetLimit);
      do {
        current_insn_ = insn;
        insn->fn(*this, *insn);
        insn = current_insn_ + 1;
      } while (!chain_.exit_block);
      first = chain_block_->insns.data();
      done = static_cast<uint64_t>(insn - first);
      if (done > chain_block_->count) {
        done = chain_block_->count;
        chain_.exit_block = false;
      }
    } else {
      // Stopping inside the block: the flags must be exact there, so no flagless twins.
      const Insn* const end = first + budget;
      chain_.one_at_a_time = true;
      while (insn != end) {
        current_insn_ = insn;
        const Handler fn = block.precise.empty() ? insn->fn : block.precise[insn - first];
        fn(*this, *insn);
        ++insn;
        if (chain_.exit_block) [[unlikely]]
          break;
      }
      chain_.one_at_a_time = false;
      done = static_cast<uint64_t>(insn - first);
    }
  } catch (const CpuFault& fault) {
    in_block_ = false;
    chain_.one_at_a_time = false;
    // A trap retires its instruction; a fault's delivery takes the faulting instruction's
    // place in the count. Either way the count moves, so a guest that does nothing but fault
    // (a handler that faults again, an IVT pointing at an invalid opcode) still uses up its
    // budget and its guest time instead of holding the host's run loop forever.
    const Insn& faulting = *current_insn_;
    first = chain_block_->insns.data();
    done = static_cast<uint64_t>(&faulting - first) + 1;
    retired_ += done;
    block_ended_in_fault_ = !fault.is_trap;
    insn_eip_ = insn_start_eip();
    if (fault.is_trap) regs_.eip = next_eip(faulting);
    handle_fault(fault);
    return retired_ - retired_before;
  } catch (...) {
    in_block_ = false;  // a host error from a device: the count stays as it was
    chain_.one_at_a_time = false;
    throw;
  }
  in_block_ = false;
  if (done > 0 && !(first[done - 1].flags & insn_flags::kSetsEip)) {
    regs_.eip = next_eip(first[done - 1]);
  }
  retired_ += done;
  return retired_ - retired_before;
}

namespace {
// The SDM's exception classes for double faults (volume 3, table 6-5).
bool contributory(uint8_t vector) { return vector == 0 || (vector >= 10 && vector <= 13); }
}  // namespace

void Cpu::handle_fault(const CpuFault& fault) {
  note_fault_resume_flag(fault);
  if (!fault.is_trap) regs_.eip = insn_eip_;
  chain_.exit_block = true;
  CpuFault current = fault;
  for (;;) {
    try {
      interrupt(current.vector, regs_.eip, InterruptSource::Exception, current.has_error_code,
                current.error_code);
      return;
    } catch (const CpuFault& second) {
      // A fault while delivering: a double fault when both are contributory or a page fault
      // is followed by a contributory fault or another page fault; a fault while delivering
      // a double fault shuts the processor down (a triple fault); anything else is delivered
      // in turn, the first being forgotten.
      const uint8_t first = current.vector;
      const bool first_pf = first == static_cast<uint8_t>(Vector::PageFault);
      const bool second_pf = second.vector == static_cast<uint8_t>(Vector::PageFault);
      if (first == static_cast<uint8_t>(Vector::DoubleFault) ||
          !at_least(model_, CpuModel::I80286)) {
        shutdown_ = true;
        halted_ = true;
        return;
      }
      if ((contributory(first) && contributory(second.vector)) ||
          (first_pf && (contributory(second.vector) || second_pf))) {
        current = CpuFault{static_cast<uint8_t>(Vector::DoubleFault), true, 0};
      } else {
        current = second;
      }
    }
  }
}

void Cpu::deliver_external_interrupt() {
  const uint8_t vector = pic_->acknowledge_interrupt();
  halted_ = false;
  insn_eip_ = regs_.eip;
  try {
    interrupt(vector, regs_.eip, InterruptSource::External);
  } catch (const CpuFault& fault) {
    handle_fault(fault);
  }
}

uint64_t Cpu::run(uint64_t max_instructions) {
  uint64_t executed = 0;
  sync_flat_segments();  // the registers may have been edited (the monitor, a test)
  stop_requested_ = false;
  stop_reason_ = StopReason::Requested;
  last_stop_ = StopReason::Budget;
  while (executed < max_instructions) {
    if (async_stop_.load(std::memory_order_relaxed)) [[unlikely]] {
      async_stop_.store(false, std::memory_order_relaxed);
      debug().event = DebugEvent{DebugEvent::Kind::Interrupt, 0, 0, 0, 0, false, 0};
      last_stop_ = StopReason::Debug;
      break;
    }
    // Everything that can change what this loop checks (an OUT to a device, STI, POPF, IRET,
    // HLT, a mode change, a write to decoded code, a fault) ends the block with chain_.exit_block,
    // so the checks run between such events only, not between every pair of blocks.
    if (shutdown_) {
      last_stop_ = StopReason::Shutdown;
      break;
    }
    // A data, I/O or task-switch debug trap comes before any external interrupt.
    if (debug_trap_pending_ && !stop_requested_) [[unlikely]]
      deliver_pending_debug_trap();
    const bool shadowed = interrupt_shadow_;
    const bool interruptible = (eflags_ & flag::kIf) && !shadowed;
    interrupt_shadow_ = false;
    if (interruptible && pic_ && pic_->interrupt_pending()) deliver_external_interrupt();
    // An interrupt held back by STI (or MOV SS) waits one instruction, not a block: run that
    // one alone and look again. SeaBIOS idles in "sti; nop; cli" loops, which otherwise take
    // their interrupt only when a slice happens to end inside the window.
    const bool one_instruction =
        shadowed && (eflags_ & flag::kIf) && pic_ && pic_->interrupt_pending();
    if (halted_) {
      last_stop_ = StopReason::Halted;
      break;
    }
    if (stop_requested_) {
      last_stop_ = stop_reason_;
      break;
    }
    if (eflags_ & (flag::kTf | flag::kRf)) [[unlikely]] {
      executed += single_step_with_trap();
      continue;
    }
    chain_.exit_block = false;
    // CS, the mode and the CPL change only with chain_.exit_block: the key holds for this chain of
    // blocks, and so do CS's base and limit, which block links depend on.
    const uint32_t key = mode_key() | (cpl_ == 3 ? 4u : 0u);
    const SegmentCache& cs = regs_.seg[kCs];
    if (key != link_key_ || cs.base != link_cs_base_ || cs.limit != link_cs_limit_) {
      link_key_ = key;
      link_cs_base_ = cs.base;
      link_cs_limit_ = cs.limit;
      ++link_epoch_;
    }
    const Block* block;
    try {
      insn_eip_ = regs_.eip;
      block = &block_at_eip(key);
    } catch (const CpuFault& fault) {
      handle_fault(fault);  // a fetch fault counts as a step, as in execute_block
      ++retired_;
      ++executed;
      blocks_.collect_garbage();
      continue;
    }
    for (;;) {
      // A debugger record before an instruction is not one: it neither counts nor uses budget.
      const uint64_t budget =
          (one_instruction ? 1 : max_instructions - executed) + block->starts_with_record;
      const uint64_t before = retired_;
      execute_block(*block, budget);
      block = chain_block_;  // the last of the blocks its end markers chained to
      executed += retired_ - before;
      if (chain_.exit_block || executed >= max_instructions || one_instruction) break;
      // Direct block chaining: the block remembers the blocks its exits led to, valid while
      // no block was dropped, no translation changed and the chain context is the same.
      const uint64_t epoch = link_epoch();
      const uint32_t eip = regs_.eip;
      const BlockLink* links = block->links;
      if (links[0].eip == eip && links[0].epoch == epoch) [[likely]] {
        block = links[0].block;
        continue;
      }
      if (links[1].eip == eip && links[1].epoch == epoch) {
        block = links[1].block;
        continue;
      }
      const Block* next;
      try {
        insn_eip_ = eip;
        next = &block_at_eip(key);
      } catch (const CpuFault& fault) {
        handle_fault(fault);  // counted as a step, as above
        ++retired_;
        ++executed;
        break;
      }
      const Block* uncached = uncached_block_.get();
      if (block != uncached && next != uncached) {
        link_exit(*block, eip, *next);
      }
      block = next;
    }
    blocks_.collect_garbage();
  }
  return executed;
}

bool Cpu::step() {
  if (halted_) return false;
  sync_flat_segments();
  const uint64_t before = retired_;
  chain_.exit_block = false;
  insn_eip_ = regs_.eip;
  try {
    const Block& block = block_at_eip();
    execute_block(block, starts_with_record(block) ? 2 : 1);
  } catch (const CpuFault& fault) {
    handle_fault(fault);
  }
  blocks_.collect_garbage();
  if (retired_ > before) eflags_ &= ~flag::kRf;  // RF lasts one instruction
  if (debug_trap_pending_ && !stop_requested_) deliver_pending_debug_trap();
  return retired_ > before || !halted_;
}

// ---- control transfer and interrupts -------------------------------------------------------

void Cpu::interrupt(uint8_t vector, uint32_t return_eip, InterruptSource source, bool has_error,
                    uint32_t error) {
  chain_.exit_block = true;
  if (protected_mode()) {
    interrupt_protected(vector, return_eip, source, has_error, error);
    return;
  }
  const uint32_t entry = regs_.idtr.base + uint32_t{vector} * 4;
  if (model_ != CpuModel::I8086 && uint32_t{vector} * 4 + 3 > regs_.idtr.limit) {
    raise_fault(Vector::GeneralProtection, uint32_t{vector} * 8 + 2);
  }
  const uint16_t new_ip = read_linear<uint16_t>(entry);
  const uint16_t new_cs = read_linear<uint16_t>(entry + 2);
  const uint16_t flags = static_cast<uint16_t>(eflags());
  push<uint16_t>(flags);
  push<uint16_t>(regs_.seg[kCs].selector);
  push<uint16_t>(static_cast<uint16_t>(return_eip));
  eflags_ &= ~(flag::kIf | flag::kTf | flag::kAc | flag::kRf);
  sync_alignment_check();
  load_segment_real(kCs, new_cs);
  regs_.eip = new_ip;
}

void Cpu::jump_far(uint16_t selector, uint32_t offset, unsigned operand_size) {
  if (protected_mode() && !v86_mode()) {
    jump_far_protected(selector, offset, operand_size, false);
    return;
  }
  check_code_limit(offset);
  load_segment_real(kCs, selector);
  regs_.eip = offset;
}

void Cpu::call_far(uint16_t selector, uint32_t offset, unsigned operand_size) {
  if (protected_mode() && !v86_mode()) {
    jump_far_protected(selector, offset, operand_size, true);
    return;
  }
  check_code_limit(offset);
  const uint32_t old_esp = regs_.gpr[kEsp];
  try {
    if (operand_size == 2) {
      push<uint16_t>(regs_.seg[kCs].selector);
      push<uint16_t>(static_cast<uint16_t>(regs_.eip));
    } else {
      push<uint32_t>(regs_.seg[kCs].selector);
      push<uint32_t>(regs_.eip);
    }
  } catch (...) {
    regs_.gpr[kEsp] = old_esp;
    throw;
  }
  load_segment_real(kCs, selector);
  regs_.eip = offset;
}

void Cpu::return_far(unsigned operand_size, uint32_t release) {
  if (protected_mode() && !v86_mode()) {
    return_far_protected(operand_size, release);
    return;
  }
  uint32_t offset;
  uint16_t selector;
  if (operand_size == 2) {
    offset = peek_stack<uint16_t>(0);
    selector = peek_stack<uint16_t>(2);
  } else {
    offset = peek_stack<uint32_t>(0);
    selector = static_cast<uint16_t>(peek_stack<uint32_t>(4));
  }
  check_code_limit(offset);
  adjust_sp(2 * operand_size + release);
  load_segment_real(kCs, selector);
  regs_.eip = offset;
}

void Cpu::interrupt_return(unsigned operand_size) {
  if (protected_mode()) {
    interrupt_return_protected(operand_size);
    return;
  }
  if (operand_size == 2) {
    const uint16_t offset = peek_stack<uint16_t>(0);
    const uint16_t selector = peek_stack<uint16_t>(2);
    const uint16_t flags = peek_stack<uint16_t>(4);
    check_code_limit(offset);
    adjust_sp(6);
    load_segment_real(kCs, selector);
    regs_.eip = offset;
    set_eflags((eflags() & 0xFFFF0000u) | flags);
  } else {
    const uint32_t offset = peek_stack<uint32_t>(0);
    const uint16_t selector = static_cast<uint16_t>(peek_stack<uint32_t>(4));
    const uint32_t flags = peek_stack<uint32_t>(8);
    check_code_limit(offset);
    adjust_sp(12);
    load_segment_real(kCs, selector);
    regs_.eip = offset;
    const uint32_t keep = flag::kVm | flag::kVif | flag::kVip;
    set_eflags((eflags() & keep) | (flags & ~keep));
  }
  chain_.exit_block = true;
}

void Cpu::check_io_permission(uint16_t port, unsigned size) {
  if (!protected_mode()) return;
  const unsigned iopl = (eflags_ & flag::kIopl) >> 12;
  if (!v86_mode() && cpl_ <= iopl) return;
  // Above IOPL (or in V86 mode) the 32-bit TSS's I/O permission bitmap decides: every bit of
  // the accessed ports must be clear, and bits beyond the TSS limit count as set.
  const SegmentCache& tr = regs_.tr;
  const uint8_t type = tr.access & 0xF;
  const bool tss32 =
      type == descriptor_type::kBusyTss32 || type == descriptor_type::kAvailableTss32;
  if (!tss32 || tr.limit < 0x67) raise_fault(Vector::GeneralProtection, 0);
  const uint32_t bitmap = read_system<uint16_t>(tr.base + 0x66);
  const uint32_t byte = bitmap + port / 8;
  if (byte + 1 > tr.limit) raise_fault(Vector::GeneralProtection, 0);
  const uint16_t bits = read_system<uint16_t>(tr.base + byte);
  const uint16_t mask = static_cast<uint16_t>(((1u << size) - 1) << (port & 7));
  if (bits & mask) raise_fault(Vector::GeneralProtection, 0);
}

bool Cpu::read_msr(uint32_t index, uint64_t& value) {
  if (model_ != CpuModel::PentiumPro) return false;
  switch (index) {
    case 0x10:
      value = time_stamp_counter();
      return true;
    case 0x1B:
      value = msr_.apic_base;
      return true;
    case 0x174:
      value = msr_.sysenter_cs;
      return true;
    case 0x175:
      value = msr_.sysenter_esp;
      return true;
    case 0x176:
      value = msr_.sysenter_eip;
      return true;
    case 0xC1:
    case 0xC2:
      value = msr_.perf_counter[index - 0xC1];
      return true;
    case 0x8B:  // BIOS_SIGN_ID: no microcode update loaded
      value = 0;
      return true;
    case 0x186:
    case 0x187:
      value = msr_.perf_select[index - 0x186];
      return true;
    default:
      return false;
  }
}

bool Cpu::write_msr(uint32_t index, uint64_t value) {
  if (model_ != CpuModel::PentiumPro) return false;
  switch (index) {
    case 0x10:
      tsc_offset_ = value - tsc_reference();
      return true;
    case 0x1B:
      msr_.apic_base = value;
      return true;
    case 0x174:
      msr_.sysenter_cs = static_cast<uint32_t>(value);
      return true;
    case 0x175:
      msr_.sysenter_esp = static_cast<uint32_t>(value);
      return true;
    case 0x176:
      msr_.sysenter_eip = static_cast<uint32_t>(value);
      return true;
    case 0x8B:  // BIOS_SIGN_ID: writes are ignored (no microcode)
      return true;
    // The performance counters keep what is written (40 bits) but count no events.
    case 0xC1:
    case 0xC2:
      msr_.perf_counter[index - 0xC1] = value & 0xFFFFFFFFFFull;
      return true;
    case 0x186:
    case 0x187:
      msr_.perf_select[index - 0x186] = static_cast<uint32_t>(value);
      return true;
    default:
      return false;
  }
}

void Cpu::sysenter() {
  if (!protected_mode() || (msr_.sysenter_cs & 0xFFFC) == 0) {
    raise_fault(Vector::GeneralProtection, 0);
  }
  // Flat ring-0 code and stack segments derived from SYSENTER_CS, as the SDM specifies.
  const uint16_t cs = static_cast<uint16_t>(msr_.sysenter_cs & 0xFFFC);
  eflags_ &= ~(flag::kVm | flag::kIf | flag::kRf);
  set_flat_segment(kCs, cs, 0x9B);
  set_flat_segment(kSs, static_cast<uint16_t>(cs + 8), 0x93);
  set_cpl(0);
  regs_.gpr[kEsp] = msr_.sysenter_esp;
  regs_.eip = msr_.sysenter_eip;
  chain_.exit_block = true;
}

void Cpu::sysexit() {
  if (!protected_mode() || v86_mode() || cpl_ != 0 || (msr_.sysenter_cs & 0xFFFC) == 0) {
    raise_fault(Vector::GeneralProtection, 0);
  }
  const uint16_t cs = static_cast<uint16_t>(msr_.sysenter_cs & 0xFFFC);
  set_flat_segment(kCs, static_cast<uint16_t>((cs + 16) | 3), 0xFB);
  set_flat_segment(kSs, static_cast<uint16_t>((cs + 24) | 3), 0xF3);
  set_cpl(3);
  regs_.gpr[kEsp] = regs_.gpr[kEcx];
  regs_.eip = regs_.gpr[kEdx];
  chain_.exit_block = true;
}

void Cpu::set_flat_segment(unsigned seg, uint16_t selector, uint8_t access) {
  SegmentCache& s = regs_.seg[seg];
  s.selector = selector;
  s.base = 0;
  s.limit = 0xFFFFFFFF;
  s.access = access;
  s.big = true;
  s.granular = true;
  s.rights = seg == kCs ? segment_rights::kRead
                        : static_cast<uint8_t>(segment_rights::kRead | segment_rights::kWrite);
  if (seg == kCs) code_eip_mask_ = 0xFFFFFFFF;
  sync_flat_segments();
}

bool Cpu::read_performance_counter(uint32_t index, uint64_t& value) {
  if (index > 1) return false;
  value = msr_.perf_counter[index];
  return true;
}

void Cpu::write_cr0(uint32_t value) {
  if (model_ == CpuModel::I80286) {
    regs_.cr0 = 0xFFF0 | (value & 0xF) | (regs_.cr0 & 1);  // PE cannot be cleared on a 286
  } else {
    if ((value & 0x80000000u) && !(value & 1)) raise_fault(Vector::GeneralProtection, 0);
    // The 386 has PG, ET, TS, EM, MP and PE only; NE, WP, AM, NW and CD came with the 486.
    regs_.cr0 = model_ == CpuModel::PentiumPro ? (value & 0xE005003F) | 0x10 : value & 0x8000001F;
  }
  if (!protected_mode()) set_cpl(0);
  sync_paging();
  sync_alignment_check();
  chain_.exit_block = true;
}

void Cpu::write_cr3(uint32_t value) {
  regs_.cr3 = value & 0xFFFFF018;
  // A CR3 load keeps global pages when CR4.PGE is set.
  if (regs_.cr4 & 0x80u) {
    mmu::PagingConfig config;
    config.enabled = at_least(model_, CpuModel::I80386) && (regs_.cr0 & 0x80000000u);
    config.write_protect = regs_.cr0 & 0x10000u;
    config.pse = regs_.cr4 & 0x10u;
    config.pge = true;
    config.cr3 = regs_.cr3;
    mmu_.set_config_keep_tlb(config);
    mmu_.flush_non_global();
  } else {
    sync_paging();
  }
  chain_.exit_block = true;
}

void Cpu::write_cr4(uint32_t value) {
  // TSD, DE, PSE, MCE, PGE, PCE, OSFXSR: what is implemented. VME, PVI and PAE are not (CPUID does
  // not claim them), so setting them is a reserved-bit #GP.
  if (value & ~0x3DCu) raise_fault(Vector::GeneralProtection, 0);
  const bool debug_extensions_changed = (regs_.cr4 ^ value) & 0x8u;
  regs_.cr4 = value;
  sync_paging();
  if (debug_extensions_changed) sync_debug_registers();  // I/O breakpoints need CR4.DE
  chain_.exit_block = true;
}

}  // namespace x86lab::cpu
