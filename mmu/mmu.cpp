#include "mmu/mmu.hpp"

namespace x86lab::mmu {
namespace {
constexpr uint32_t kPresent = 1;
constexpr uint32_t kWritable = 2;
constexpr uint32_t kUser = 4;
constexpr uint32_t kAccessed = 0x20;
constexpr uint32_t kDirty = 0x40;
constexpr uint32_t kLargePage = 0x80;
constexpr uint32_t kGlobal = 0x100;
}  // namespace

void Mmu::configure(const PagingConfig& config) {
  config_ = config;
  flush_all();
}

void Mmu::set_a20_mask(uint32_t mask) {
  if (mask == a20_mask_) return;
  a20_mask_ = mask;
  flush_all();
}

void Mmu::flush_all() {
  next_generation();
  ++full_flush_count_;
  for (Entry& e : tlb_)
    e = Entry{{kInvalid, kInvalid}, {kInvalid, kInvalid}, nullptr, 0, false, false};
}

void Mmu::flush_non_global() {
  next_generation();  // global 4 MiB pieces stay, and so do their regions' marks
  for (Entry& e : tlb_) {
    if (!e.global) e = Entry{{kInvalid, kInvalid}, {kInvalid, kInvalid}, nullptr, 0, false, false};
  }
}

void Mmu::invalidate_page(uint32_t linear) {
  if (large_region_generation_[linear >> 22] == full_flush_count_) {
    // INVLPG drops the whole 4 MiB translation, which our TLB holds as 4 KiB entries.
    flush_all();
    return;
  }
  Entry& e = entry(linear);
  const bool cached = (e.read_tag[0] & kPageMask) == (linear & kPageMask) ||
                      (e.read_tag[1] & kPageMask) == (linear & kPageMask);
  const auto now = static_cast<uint32_t>(generation_);
  if (fetched_page_generation_.get()[linear >> bus::kPageShift] == now ||
      fetched_region_generation_[linear >> 22] == now) {
    next_generation();  // block links and the jump cache may have come through this page
  }
  if (cached) e = Entry{{kInvalid, kInvalid}, {kInvalid, kInvalid}, nullptr, 0, false, false};
}

void Mmu::protect_code_page(uint32_t physical_page_number) {
  const uint32_t phys = physical_page_number << bus::kPageShift;
  for (Entry& e : tlb_) {
    if (e.phys_page != phys) continue;
    for (int user = 0; user < 2; ++user) {
      if (e.write_tag[user] != kInvalid)
        e.write_tag[user] = (e.write_tag[user] & kPageMask) | kSlowFlag;
    }
  }
}

void Mmu::page_fault(uint32_t linear, bool present, Access access, bool user) {
  cr2_ = linear;
  const uint32_t error =
      (present ? 1u : 0u) | (access == Access::Write ? 2u : 0u) | (user ? 4u : 0u);
  throw CpuFault{static_cast<uint8_t>(Vector::PageFault), true, error};
}

uint32_t Mmu::physical_for(uint32_t linear, Access access, bool user) {
  const Entry& e = entry(linear);
  const uint32_t page = linear & kPageMask;
  const uint32_t tag = access == Access::Write ? e.write_tag[user] : e.read_tag[user];
  if (tag != kInvalid && (tag & kPageMask) == page) return e.phys_page | (linear & ~kPageMask);
  return translate(linear, access, user);
}

uint32_t Mmu::translate(uint32_t linear, Access access, bool user) {
  const uint32_t page = linear & kPageMask;
  const bool write = access == Access::Write;
  uint32_t phys_page;
  bool user_ok = true;
  bool write_ok = true;  // for supervisor, with WP taken into account
  bool user_write_ok = true;
  bool dirty = true;
  bool global = false;
  bool large = false;
  if (config_.enabled) {
    const uint32_t pde_addr = (config_.cr3 & kPageMask) | ((linear >> 20) & 0xFFC);
    uint32_t pde = memory_.read<uint32_t>(pde_addr & a20_mask_);
    if (!(pde & kPresent)) page_fault(linear, false, access, user);
    if ((pde & kLargePage) && config_.pse) {
      user_ok = pde & kUser;
      const bool writable = pde & kWritable;
      if (user && !user_ok) page_fault(linear, true, access, user);
      if (write && !writable && (user || config_.write_protect))
        page_fault(linear, true, access, user);
      const uint32_t updated = pde | kAccessed | (write ? kDirty : 0);
      if (updated != pde) memory_.write<uint32_t>(pde_addr & a20_mask_, updated);
      dirty = updated & kDirty;
      write_ok = writable || !config_.write_protect;
      user_write_ok = writable && user_ok;
      global = (pde & kGlobal) && config_.pge;
      large = true;
      large_region_generation_[linear >> 22] = full_flush_count_;
      phys_page = (pde & 0xFFC00000u) | (linear & 0x003FF000u);
    } else {
      const uint32_t pte_addr = (pde & kPageMask) | ((linear >> 10) & 0xFFC);
      uint32_t pte = memory_.read<uint32_t>(pte_addr & a20_mask_);
      if (!(pte & kPresent)) page_fault(linear, false, access, user);
      user_ok = (pde & kUser) && (pte & kUser);
      const bool writable = (pde & kWritable) && (pte & kWritable);
      if (user && !user_ok) page_fault(linear, true, access, user);
      if (write && !writable && (user || config_.write_protect))
        page_fault(linear, true, access, user);
      if (!(pde & kAccessed)) memory_.write<uint32_t>(pde_addr & a20_mask_, pde | kAccessed);
      const uint32_t updated = pte | kAccessed | (write ? kDirty : 0);
      if (updated != pte) memory_.write<uint32_t>(pte_addr & a20_mask_, updated);
      dirty = updated & kDirty;
      write_ok = writable || !config_.write_protect;
      user_write_ok = writable && user_ok;
      global = (pte & kGlobal) && config_.pge;
      phys_page = pte & kPageMask;
    }
  } else {
    phys_page = page;
  }
  phys_page &= a20_mask_;

  const bus::PageView view = memory_.page_view(phys_page);
  Entry& e = entry(linear);
  e.host = view.host;
  e.phys_page = phys_page;
  e.global = global;
  e.large = large;
  const uint32_t fast_read = view.host ? page : (page | kSlowFlag);
  const uint32_t fast_write = (view.host && view.writable) ? page : (page | kSlowFlag);
  e.read_tag[0] = fast_read;
  e.read_tag[1] = user_ok ? fast_read : kInvalid;
  // A page whose dirty bit is still clear takes the slow path on its first write, which sets it.
  e.write_tag[0] = (write_ok && dirty) ? fast_write : kInvalid;
  e.write_tag[1] = (user_write_ok && dirty) ? fast_write : kInvalid;
  if (!active_watches_.empty()) [[unlikely]]
    slow_down_watched(e, page, phys_page);
  if (alignment_check_) [[unlikely]] {
    if (e.read_tag[1] != kInvalid) e.read_tag[1] = (e.read_tag[1] & kPageMask) | kSlowFlag;
    if (e.write_tag[1] != kInvalid) e.write_tag[1] = (e.write_tag[1] & kPageMask) | kSlowFlag;
  }
  return phys_page | (linear & ~kPageMask);
}

uint32_t Mmu::read_slow(uint32_t linear, unsigned size, bool user) {
  if (alignment_check_ && user && (linear & (size - 1))) [[unlikely]]
    raise_fault(Vector::AlignmentCheck, 0);
  if ((linear & ~kPageMask) + size > bus::kPageSize) {
    // Crosses a page: translate both pages first so a fault leaves nothing half done.
    const uint32_t first = physical_for(linear, Access::Read, user);
    const uint32_t second = physical_for((linear + size - 1) & kPageMask, Access::Read, user);
    uint32_t value = 0;
    for (unsigned i = 0; i < size; ++i) {
      const uint32_t lin = linear + i;
      const uint32_t phys =
          (lin & kPageMask) == (linear & kPageMask) ? first + i : second + (lin & ~kPageMask);
      value |= uint32_t{memory_.read<uint8_t>(phys)} << (8 * i);
    }
    if (!active_watches_.empty()) [[unlikely]]
      check_watches(linear, first, size, false, value);
    return value;
  }
  const uint32_t phys = physical_for(linear, Access::Read, user);
  uint32_t value;
  switch (size) {
    case 1:
      value = memory_.read<uint8_t>(phys);
      break;
    case 2:
      value = memory_.read<uint16_t>(phys);
      break;
    default:
      value = memory_.read<uint32_t>(phys);
      break;
  }
  if (!active_watches_.empty()) [[unlikely]]
    check_watches(linear, phys, size, false, value);
  return value;
}

void Mmu::write_slow(uint32_t linear, unsigned size, uint32_t value, bool user) {
  if (alignment_check_ && user && (linear & (size - 1))) [[unlikely]]
    raise_fault(Vector::AlignmentCheck, 0);
  if ((linear & ~kPageMask) + size > bus::kPageSize) {
    const uint32_t first = physical_for(linear, Access::Write, user);
    const uint32_t second = physical_for((linear + size - 1) & kPageMask, Access::Write, user);
    for (unsigned i = 0; i < size; ++i) {
      const uint32_t lin = linear + i;
      const uint32_t phys =
          (lin & kPageMask) == (linear & kPageMask) ? first + i : second + (lin & ~kPageMask);
      memory_.write<uint8_t>(phys, static_cast<uint8_t>(value >> (8 * i)));
    }
    if (!active_watches_.empty()) [[unlikely]]
      check_watches(linear, first, size, true, value);
    return;
  }
  const uint32_t phys = physical_for(linear, Access::Write, user);
  if (!active_watches_.empty()) [[unlikely]]
    check_watches(linear, phys, size, true, value);
  switch (size) {
    case 1:
      memory_.write<uint8_t>(phys, static_cast<uint8_t>(value));
      break;
    case 2:
      memory_.write<uint16_t>(phys, static_cast<uint16_t>(value));
      break;
    default:
      memory_.write<uint32_t>(phys, value);
      break;
  }
}

void Mmu::slow_down_watched(Entry& e, uint32_t page, uint32_t phys_page) {
  uint8_t kinds = 0;
  for (const Watch& w : active_watches_) {
    const uint32_t base = w.physical ? phys_page : page;
    const uint32_t last = w.address + (w.length ? w.length - 1 : 0);
    // Overlaps [base, base + 4 KiB)?
    if (last >= base && w.address <= base + (bus::kPageSize - 1)) kinds |= w.kinds;
  }
  for (int user = 0; user < 2; ++user) {
    if ((kinds & 1) && e.read_tag[user] != kInvalid)
      e.read_tag[user] = (e.read_tag[user] & kPageMask) | kSlowFlag;
    if ((kinds & 2) && e.write_tag[user] != kInvalid)
      e.write_tag[user] = (e.write_tag[user] & kPageMask) | kSlowFlag;
  }
}

void Mmu::check_watches(uint32_t linear, uint32_t physical, unsigned size, bool write,
                        uint32_t value) {
  const uint8_t kind = write ? 2 : 1;
  // The first debugger watchpoint that matches is reported, and every guest DR breakpoint
  // (several can hit at once, each setting its B bit).
  bool debugger_reported = false;
  for (const Watch& w : active_watches_) {
    if (!(w.kinds & kind) || (w.id >= 0 && debugger_reported)) continue;
    const uint32_t at = w.physical ? physical : linear;
    const uint32_t last = w.address + (w.length ? w.length - 1 : 0);
    if (at + (size - 1) < w.address || at > last) continue;
    if (watch_listener_) watch_listener_(WatchHit{w.id, linear, physical, size, write, value});
    if (w.id >= 0) debugger_reported = true;
  }
}

bool Mmu::peek_translation(uint32_t linear, uint32_t& physical) {
  if (!config_.enabled) {
    physical = linear & a20_mask_;
    return true;
  }
  const uint32_t pde =
      memory_.read<uint32_t>(((config_.cr3 & kPageMask) | ((linear >> 20) & 0xFFC)) & a20_mask_);
  if (!(pde & kPresent)) return false;
  if ((pde & kLargePage) && config_.pse) {
    physical = ((pde & 0xFFC00000u) | (linear & 0x003FFFFFu)) & a20_mask_;
    return true;
  }
  const uint32_t pte =
      memory_.read<uint32_t>(((pde & kPageMask) | ((linear >> 10) & 0xFFC)) & a20_mask_);
  if (!(pte & kPresent)) return false;
  physical = ((pte & kPageMask) | (linear & ~kPageMask)) & a20_mask_;
  return true;
}

}  // namespace x86lab::mmu
