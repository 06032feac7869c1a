#include "cpu/block_cache.hpp"

#include <algorithm>

namespace x86lab::cpu {

namespace {
constexpr uint32_t kPageOffsetMask = 0xFFF;
}  // namespace

BlockCache::BlockCache() = default;

uint64_t BlockCache::lines_of(uint32_t offset_in_page, uint32_t length) {
  if (length == 0) return 0;
  const uint32_t first = offset_in_page >> kLineShift;
  const uint32_t last =
      std::min<uint32_t>(offset_in_page + length - 1, kPageOffsetMask) >> kLineShift;
  const uint64_t upto_last = last >= 63 ? ~uint64_t{0} : (uint64_t{2} << last) - 1;
  return upto_last & ~((uint64_t{1} << first) - 1);
}

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
  raw->lines = lines_of(raw->phys & kPageOffsetMask, raw->byte_length);
  PageCode& page = pages_[raw->phys >> 12];
  page.blocks.push_back(raw);
  page.lines |= raw->lines;
  by_address_[raw->phys] = std::move(block);
  direct_[slot(raw->phys)] = raw;
  return *raw;
}

void BlockCache::retire(Block* block) {
  next_generation();
  block->valid = false;
  if (direct_[slot(block->phys)] == block) direct_[slot(block->phys)] = nullptr;
  const auto page = pages_.find(block->phys >> 12);
  if (page != pages_.end()) std::erase(page->second.blocks, block);
  auto owner = by_address_.find(block->phys);
  if (owner != by_address_.end() && owner->second.get() == block) {
    graveyard_.push_back(std::move(owner->second));
    by_address_.erase(owner);
  }
}

const DecodedInsn* BlockCache::find_insn(uint32_t phys, uint32_t key) const {
  const auto page = pages_.find(phys >> 12);
  if (page == pages_.end()) return nullptr;
  const auto it = page->second.insns.find(((phys & kPageOffsetMask) << 2) | (key & 3));
  return it == page->second.insns.end() ? nullptr : &it->second;
}

void BlockCache::remember_insn(uint32_t phys, uint32_t key, const DecodedInsn& decoded) {
  PageCode& page = pages_[phys >> 12];
  page.insns[((phys & kPageOffsetMask) << 2) | (key & 3)] = decoded;
  page.lines |= lines_of(phys & kPageOffsetMask, decoded.insn.length);
}

bool BlockCache::invalidate_range(uint32_t phys, unsigned size, bool& page_holds_code) {
  const auto it = pages_.find(phys >> 12);
  if (it == pages_.end()) {
    page_holds_code = false;
    return false;
  }
  PageCode& page = it->second;
  const uint32_t offset = phys & kPageOffsetMask;
  const uint64_t touched = lines_of(offset, size);
  page_holds_code = true;
  if (!(page.lines & touched)) return false;

  const std::vector<Block*> blocks = page.blocks;
  for (Block* b : blocks) {
    if (b->lines & touched) retire(b);
  }
  const uint32_t end = offset + size;
  std::erase_if(page.insns, [&](const auto& entry) {
    const uint32_t start = entry.first >> 2;
    return start < end && start + entry.second.insn.length > offset;
  });
  next_generation();
  page.lines = 0;
  for (const Block* b : page.blocks) page.lines |= b->lines;
  for (const auto& [where, decoded] : page.insns) {
    page.lines |= lines_of(where >> 2, decoded.insn.length);
  }
  if (page.lines == 0 && page.blocks.empty()) {
    pages_.erase(it);
    page_holds_code = false;
  }
  return true;
}

void BlockCache::invalidate_page(uint32_t page_number) {
  const auto it = pages_.find(page_number);
  if (it == pages_.end()) return;
  const std::vector<Block*> blocks = it->second.blocks;
  for (Block* b : blocks) retire(b);
  pages_.erase(page_number);
  next_generation();
}

void BlockCache::invalidate_all() {
  next_generation();
  for (auto& [addr, block] : by_address_) {
    block->valid = false;
    graveyard_.push_back(std::move(block));
  }
  by_address_.clear();
  pages_.clear();
  direct_.fill(nullptr);
}

}  // namespace x86lab::cpu
