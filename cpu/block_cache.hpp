// Decoded blocks, found by the physical address of their first byte and the decode-mode key.
// A block is a straight run of decoded instructions ending at a control transfer, an
// instruction that may change how later bytes decode, or a page boundary. Blocks are indexed
// by every physical page their bytes come from, so a write to any of those pages drops them.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "cpu/insn.hpp"

namespace x86lab::cpu {

struct Block {
  uint32_t phys = 0;         // physical address of the first byte
  uint32_t key = 0;          // decode-mode key it was decoded under
  uint32_t byte_length = 0;  // bytes from the first instruction's start to the last one's end
  bool valid = true;
  std::vector<Insn> insns;
  std::vector<uint32_t> pages;  // physical page numbers the bytes come from
};

// One decoded instruction remembered by physical address, so that blocks that overlap (a
// loop body entered at its top and at a branch target) share one decode per instruction.
struct DecodedInsn {
  Insn insn;
  bool ends_block;
};

class BlockCache {
 public:
  BlockCache();

  const Block* find(uint32_t phys, uint32_t key) const {
    const Block* b = direct_[slot(phys)];
    if (b && b->phys == phys && b->key == key) [[likely]]
      return b;
    return find_slow(phys, key);
  }
  const Block& insert(std::unique_ptr<Block> block);
  // Drops every block with bytes on this physical page. Blocks stay allocated until
  // collect_garbage(), because the run loop may be inside one of them.
  void invalidate_page(uint32_t page_number);
  void invalidate_all();

  // Instructions that lie within one page are remembered until that page is written.
  const DecodedInsn* find_insn(uint32_t phys, uint32_t key) const;
  void remember_insn(uint32_t phys, uint32_t key, const DecodedInsn& decoded);
  void collect_garbage() {
    if (!graveyard_.empty()) graveyard_.clear();
  }
  size_t block_count() const { return by_address_.size(); }
  // Counts every change that drops a block; a cached pointer to a block is valid only while
  // the generation it was taken at is current.
  uint64_t generation() const { return generation_; }

 private:
  static constexpr unsigned kDirectSlots = 1u << 14;
  static unsigned slot(uint32_t phys) { return (phys ^ (phys >> 14)) & (kDirectSlots - 1); }
  const Block* find_slow(uint32_t phys, uint32_t key) const;
  void retire(Block* block);

  std::array<const Block*, kDirectSlots> direct_{};
  std::unordered_map<uint32_t, std::unique_ptr<Block>> by_address_;  // one block per address
  std::unordered_map<uint32_t, std::vector<Block*>> by_page_;
  std::vector<std::unique_ptr<Block>> graveyard_;
  uint64_t generation_ = 1;
  // page number -> (offset in page << 2 | key) -> instruction
  std::unordered_map<uint32_t, std::unordered_map<uint32_t, DecodedInsn>> insns_by_page_;
};

}  // namespace x86lab::cpu
