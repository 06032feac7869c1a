#include "bus/physical_memory.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <stdexcept>

namespace x86lab::bus {

void RamDeleter::operator()(uint8_t* p) const {
  if (p) munmap(p, size);
}

PhysicalMemory::PhysicalMemory(uint64_t ram_bytes) {
  const uint64_t rounded = (ram_bytes + kPageSize - 1) & ~uint64_t{kPageSize - 1};
  if (rounded == 0 || rounded > 0xFFF00000ull) {
    throw std::invalid_argument("RAM size must be between 4 KiB and 4095 MiB");
  }
  ram_size_ = static_cast<uint32_t>(rounded);
  // Anonymous pages are zero and mapped lazily: untouched guest RAM costs no host memory
  // (calloc would too, until a debugging malloc fills every byte).
  void* p = mmap(nullptr, ram_size_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error("cannot allocate guest RAM");
  ram_ = std::unique_ptr<uint8_t[], RamDeleter>(static_cast<uint8_t*>(p), RamDeleter(ram_size_));
  page_flags_.assign(ram_size_ >> kPageShift, 0);
}

void PhysicalMemory::map_rom(uint32_t base, std::span<const uint8_t> image, std::string name) {
  if (image.empty() || uint64_t{base} + image.size() > 0x100000000ull) {
    throw std::invalid_argument("ROM '" + name + "' does not fit in the address space");
  }
  regions_.push_back(Region{base, static_cast<uint32_t>(image.size()), RegionKind::Rom,
                            std::vector<uint8_t>(image.begin(), image.end()), nullptr,
                            std::move(name)});
  refresh_overlay_flags();
}

void PhysicalMemory::map_mmio(uint32_t base, uint32_t size, MmioHandler& handler,
                              std::string name) {
  if (size == 0 || uint64_t{base} + size > 0x100000000ull) {
    throw std::invalid_argument("MMIO region '" + name + "' does not fit in the address space");
  }
  regions_.push_back(Region{base, size, RegionKind::Mmio, {}, &handler, std::move(name)});
  refresh_overlay_flags();
}

void PhysicalMemory::unmap(uint32_t base, uint32_t size) {
  std::erase_if(regions_, [&](const Region& r) {
    return r.base >= base && uint64_t{r.base} + r.size <= uint64_t{base} + size;
  });
  refresh_overlay_flags();
}

void PhysicalMemory::refresh_overlay_flags() {
  for (auto& flags : page_flags_) flags &= static_cast<uint8_t>(~kOverlay);
  for (const Region& r : regions_) {
    const uint64_t end = uint64_t{r.base} + r.size;
    for (uint64_t page = r.base >> kPageShift; (page << kPageShift) < end; ++page) {
      if (page < page_flags_.size()) page_flags_[page] |= kOverlay;
    }
  }
  if (code_observer_) code_observer_->map_changed();
}

const PhysicalMemory::Region* PhysicalMemory::find_region(uint32_t addr) const {
  // The newest mapping wins; there are only a handful of regions.
  for (auto it = regions_.rbegin(); it != regions_.rend(); ++it) {
    if (it->contains(addr)) return &*it;
  }
  return nullptr;
}

uint8_t PhysicalMemory::read_byte(uint32_t addr) {
  if (const Region* r = find_region(addr)) {
    if (r->kind == RegionKind::Rom) return r->rom[addr - r->base];
    return static_cast<uint8_t>(r->mmio->mmio_read(addr - r->base, 1));
  }
  if (addr < ram_size_) return ram_[addr];
  return 0xFF;
}

void PhysicalMemory::write_byte(uint32_t addr, uint8_t value) {
  if (const Region* r = find_region(addr)) {
    if (r->kind == RegionKind::Mmio) r->mmio->mmio_write(addr - r->base, 1, value);
    return;  // ROM ignores writes
  }
  if (addr < ram_size_) {
    const uint32_t page = addr >> kPageShift;
    if ((page_flags_[page] & kCodePage) && code_observer_) code_observer_->code_written(addr, 1);
    ram_[addr] = value;
  }
}

uint32_t PhysicalMemory::read_slow(uint32_t addr, unsigned size) {
  const Region* r = find_region(addr);
  if (r && r->kind == RegionKind::Mmio && r->contains(addr + size - 1)) {
    return r->mmio->mmio_read(addr - r->base, size);
  }
  uint32_t value = 0;
  for (unsigned i = 0; i < size; ++i) value |= uint32_t{read_byte(addr + i)} << (8 * i);
  return value;
}

void PhysicalMemory::write_slow(uint32_t addr, unsigned size, uint32_t value) {
  const Region* r = find_region(addr);
  if (r && r->kind == RegionKind::Mmio && r->contains(addr + size - 1)) {
    r->mmio->mmio_write(addr - r->base, size, value);
    return;
  }
  // Plain RAM within one page that holds decoded code: one report, then the store.
  if (!r && addr < ram_size_ && (addr & (kPageSize - 1)) <= kPageSize - size &&
      !(page_flags_[addr >> kPageShift] & kOverlay)) {
    if ((page_flags_[addr >> kPageShift] & kCodePage) && code_observer_) {
      code_observer_->code_written(addr, size);
    }
    for (unsigned i = 0; i < size; ++i) ram_[addr + i] = static_cast<uint8_t>(value >> (8 * i));
    return;
  }
  for (unsigned i = 0; i < size; ++i) write_byte(addr + i, static_cast<uint8_t>(value >> (8 * i)));
}

void PhysicalMemory::read_block(uint32_t addr, std::span<uint8_t> out) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = read<uint8_t>(addr + static_cast<uint32_t>(i));
}

void PhysicalMemory::write_block(uint32_t addr, std::span<const uint8_t> in) {
  for (size_t i = 0; i < in.size(); ++i) write<uint8_t>(addr + static_cast<uint32_t>(i), in[i]);
}

void PhysicalMemory::poke(uint32_t addr, uint8_t value) {
  for (auto it = regions_.rbegin(); it != regions_.rend(); ++it) {
    if (it->contains(addr) && it->kind == RegionKind::Rom) {
      it->rom[addr - it->base] = value;
      return;
    }
  }
  write_byte(addr, value);
}

PageView PhysicalMemory::page_view(uint32_t addr) {
  const uint32_t page_base = addr & ~(kPageSize - 1);
  const Region* r = find_region(page_base);
  if (r) {
    if (r->kind == RegionKind::Rom && r->contains(page_base + kPageSize - 1)) {
      return {const_cast<uint8_t*>(r->rom.data()) + (page_base - r->base), false};
    }
    return {};
  }
  if (page_base < ram_size_ && !(page_flags_[page_base >> kPageShift] & kOverlay)) {
    return {ram_.get() + page_base, !(page_flags_[page_base >> kPageShift] & kCodePage)};
  }
  return {};
}

void PhysicalMemory::mark_code_page(uint32_t addr) {
  if (addr < ram_size_) page_flags_[addr >> kPageShift] |= kCodePage;
}

void PhysicalMemory::clear_code_page(uint32_t page_number) {
  if (page_number < page_flags_.size())
    page_flags_[page_number] &= static_cast<uint8_t>(~kCodePage);
}

bool PhysicalMemory::is_code_page(uint32_t addr) const {
  return addr < ram_size_ && (page_flags_[addr >> kPageShift] & kCodePage);
}

}  // namespace x86lab::bus
