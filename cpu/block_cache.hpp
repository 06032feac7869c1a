// Decoded blocks, found by the physical address of their first byte and the decode-mode key.
// A block is a straight run of decoded instructions ending at a control transfer, an
// instruction that may change how later bytes decode, or a page boundary; a kept block lies
// within one physical page. Each page knows which of its 64-byte lines hold decoded bytes, so
// a write drops only the blocks and instructions on the lines it touches: data next to code
// (a stack, a DOS program's variables) costs a line check, not a re-decode.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "cpu/insn.hpp"

namespace x86lab::cpu {

struct Block;

struct Insn;

// Where a block's exit led: the block at EIP eip, valid while the CPU's link epoch is epoch.
// The end marker chains through it: it keeps copies of what the marker needs of the next block
// (its first instruction, and its count, or ~0 when a debugger record starts it and the marker
// must leave it to the run loop), so the marker does not wait for a load from the block.
struct BlockLink {
  uint32_t eip = 0;
  uint32_t chain_count = ~0u;
  uint64_t epoch = 0;
  const Block* block = nullptr;
  const Insn* first = nullptr;
};

struct Block {
  uint32_t phys = 0;         // physical address of the first byte
  uint32_t key = 0;          // decode-mode key it was decoded under
  uint32_t byte_length = 0;  // bytes from the first instruction's start to the last one's end
  bool valid = true;
  bool starts_with_record = false;  // a debugger record (cpu/debug_hooks.hpp) comes first
  uint64_t lines = 0;               // 64-byte lines of its page that its bytes cover
  uint32_t count = 0;               // instructions; insns holds one more, the end marker
  mutable BlockLink links[2];       // direct chaining (Cpu::run)
  // The instructions, the end marker, and then one slot for the link of each side exit (a Jcc
  // inside the block, a block-ending direct CALL or JMP: where it leads when taken,
  // Cpu::side_exit; side_link below). Next to the instructions, so that following a side link
  // needs no load from the Block.
  std::vector<Insn> insns;
  std::vector<Handler> precise;  // the handlers before flag liveness, when it changed any
  std::vector<uint32_t> pages;   // physical page numbers the bytes come from
};

// A side exit's link lives in its block's insns, exit.imm2 slots after the exit itself, in the
// bytes of an Insn (both are 32 bytes and trivially copyable; memcpy keeps that legal).
static_assert(sizeof(BlockLink) == sizeof(Insn));
static_assert(std::is_trivially_copyable_v<BlockLink> && std::is_trivially_copyable_v<Insn>);
// Its fields, each read on its own (a whole-struct copy went through XMM registers and the
// stack).
struct SideLinkView {
  const unsigned char* bytes;
  template <typename T>
  T field(size_t offset) const {
    T value;
    std::memcpy(&value, bytes + offset, sizeof value);
    return value;
  }
  uint32_t eip() const { return field<uint32_t>(offsetof(BlockLink, eip)); }
  uint32_t chain_count() const { return field<uint32_t>(offsetof(BlockLink, chain_count)); }
  uint64_t epoch() const { return field<uint64_t>(offsetof(BlockLink, epoch)); }
  const Block* block() const { return field<const Block*>(offsetof(BlockLink, block)); }
  const Insn* first() const { return field<const Insn*>(offsetof(BlockLink, first)); }
};
inline SideLinkView side_link(const Insn& exit) {
  return SideLinkView{reinterpret_cast<const unsigned char*>(&exit + exit.imm2)};
}
// The block's insns are its own (Block objects are never const), a link is written as the
// block runs.
inline void set_side_link(const Insn& exit, const BlockLink& link) {
  std::memcpy(static_cast<void*>(const_cast<Insn*>(&exit + exit.imm2)), &link, sizeof link);
}

// One decoded instruction remembered by physical address, so that blocks that overlap (a
// loop body entered at its top and at a branch target) share one decode per instruction.
struct DecodedInsn {
  Insn insn;
  bool ends_block;
  uint16_t flags_read;  // DecodeResult's flag liveness facts
  uint16_t flags_written;
  bool plain;
};

class BlockCache {
 public:
  static constexpr unsigned kLineShift = 6;  // 64-byte lines, 64 a page

  BlockCache();

  const Block* find(uint32_t phys, uint32_t key) const {
    const Block* b = direct_[slot(phys)];
    if (b && b->phys == phys && b->key == key) [[likely]]
      return b;
    return find_slow(phys, key);
  }
  // Keeps a block that lies within one page.
  const Block& insert(std::unique_ptr<Block> block);

  // A write of size bytes at phys (within one page). Drops the blocks and remembered
  // instructions on the lines it touches; returns true when something was dropped. Sets
  // page_holds_code to whether decoded bytes remain on the page.
  bool invalidate_range(uint32_t phys, unsigned size, bool& page_holds_code);
  // Drops everything on a page, or everywhere. Blocks stay allocated until
  // collect_garbage(), because the run loop may be inside one of them.
  void invalidate_page(uint32_t page_number);
  void invalidate_all();

  // Instructions that lie within one page are remembered until their bytes are written.
  const DecodedInsn* find_insn(uint32_t phys, uint32_t key) const;
  void remember_insn(uint32_t phys, uint32_t key, const DecodedInsn& decoded);

  void collect_garbage() {
    if (!graveyard_.empty()) graveyard_.clear();
  }
  size_t block_count() const { return by_address_.size(); }
  // Counts every change that drops a block; a cached pointer to a block is valid only while
  // the generation it was taken at is current.
  uint64_t generation() const { return generation_; }
  // Another counter that moves with the generation (the CPU's block-link epoch), or nullptr.
  void count_generations_in(uint64_t* counter) { generation_listener_ = counter; }

  static uint64_t lines_of(uint32_t offset_in_page, uint32_t length);

 private:
  static constexpr unsigned kDirectSlots = 1u << 14;
  static unsigned slot(uint32_t phys) { return (phys ^ (phys >> 14)) & (kDirectSlots - 1); }
  const Block* find_slow(uint32_t phys, uint32_t key) const;
  void retire(Block* block);

  struct PageCode {
    uint64_t lines = 0;  // lines holding bytes of a block or a remembered instruction
    std::vector<Block*> blocks;
    std::unordered_map<uint32_t, DecodedInsn> insns;  // (offset in page << 2 | key)
  };

  std::array<const Block*, kDirectSlots> direct_{};
  std::unordered_map<uint32_t, std::unique_ptr<Block>> by_address_;  // one block per address
  std::unordered_map<uint32_t, PageCode> pages_;
  std::vector<std::unique_ptr<Block>> graveyard_;
  void next_generation() {
    ++generation_;
    if (generation_listener_) ++*generation_listener_;
  }
  uint64_t generation_ = 1;
  uint64_t* generation_listener_ = nullptr;
};

}  // namespace x86lab::cpu
