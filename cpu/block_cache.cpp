#include "cpu/block_cache.hpp"

#include <algorithm>

namespace x86lab::cpu {

BlockCache::BlockCache() = default;

const Block* BlockCache::find_slow(uint32_t phys, uint32_t key) const {
  const auto it = by_address_.find(phys);
  if (it == by_address_.end() || it->second->key != key) return nullptr;
  const_cast<BlockCache*>(this)->direct_[slot(phys)] = it->second.get();
  return it->second.get();
}

const Block& BlockCache::insert(std::unique_ptr<Block> block) {
  const auto existing = by_address_.find(block->phys);
  if (existing != by_address_.end()) retire(existing->second.get());  // decoded under another key
  Block* raw = block.get();
  for (uint32_t page : raw->pages) by_page_[page].push_back(raw);
  by_address_[raw->phys] = std::move(block);
  direct_[slot(raw->phys)] = raw;
  return *raw;
}

void BlockCache::retire(Block* block) {
  ++generation_;
  block->valid = false;
  if (direct_[slot(block->phys)] == block) direct_[slot(block->phys)] = nullptr;
  for (uint32_t page : block->pages) {
    auto it = by_page_.find(page);
    if (it == by_page_.end()) continue;
    std::erase(it->second, block);
    if (it->second.empty()) by_page_.erase(it);
  }
  auto owner = by_address_.find(block->phys);
  if (owner != by_address_.end() && owner->second.get() == block) {
    graveyard_.push_back(std::move(owner->second));
    by_address_.erase(owner);
  }
}

const DecodedInsn* BlockCache::find_insn(uint32_t phys, uint32_t key) const {
  const auto page = insns_by_page_.find(phys >> 12);
  if (page == insns_by_page_.end()) return nullptr;
  const auto it = page->second.find(((phys & 0xFFF) << 2) | (key & 3));
  return it == page->second.end() ? nullptr : &it->second;
}

void BlockCache::remember_insn(uint32_t phys, uint32_t key, const DecodedInsn& decoded) {
  insns_by_page_[phys >> 12][((phys & 0xFFF) << 2) | (key & 3)] = decoded;
}

void BlockCache::invalidate_page(uint32_t page_number) {
  insns_by_page_.erase(page_number);
  const auto it = by_page_.find(page_number);
  if (it == by_page_.end()) return;
  const std::vector<Block*> victims = it->second;
  for (Block* b : victims) retire(b);
}

void BlockCache::invalidate_all() {
  ++generation_;
  for (auto& [addr, block] : by_address_) {
    block->valid = false;
    graveyard_.push_back(std::move(block));
  }
  by_address_.clear();
  by_page_.clear();
  insns_by_page_.clear();
  direct_.fill(nullptr);
}

}  // namespace x86lab::cpu
