// Linear to physical translation: two-level paging with 4 KiB and 4 MiB (PSE) pages, global
// pages (PGE), accessed/dirty bits, U/S and R/W with CR0.WP, #PF with its error code and CR2,
// and a software TLB whose fast path is one compare.
//
// TLB tags hold the linear page address. A tag equal to the page is the fast case: plain
// memory with a host pointer. Low tag bits mark entries that translate but must take the slow
// path (MMIO, ROM writes, pages holding decoded code); kInvalid never matches.
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <vector>

#include "bus/byte_order.hpp"
#include "bus/physical_memory.hpp"
#include "mmu/fault.hpp"

namespace x86lab::mmu {

enum class Access : uint8_t { Read, Write, Fetch };

// A debugger's memory watchpoint: accesses overlapping [address, address + length) of the
// kinds given (1 read, 2 write) are reported. Pages holding one take the TLB's slow path, so
// only their accesses pay for the check.
struct Watch {
  int id = 0;
  uint32_t address = 0;
  uint32_t length = 1;
  uint8_t kinds = 2;
  bool physical = false;  // address is physical rather than linear
};

struct WatchHit {
  int id = 0;
  uint32_t linear = 0;
  uint32_t physical = 0;
  unsigned size = 0;
  bool write = false;
  uint32_t value = 0;
};

struct PagingConfig {
  bool enabled = false;        // CR0.PG
  bool write_protect = false;  // CR0.WP
  bool pse = false;            // CR4.PSE
  bool pge = false;            // CR4.PGE
  uint32_t cr3 = 0;
};

class Mmu {
 public:
  Mmu(bus::PhysicalMemory& memory, uint32_t& cr2) : memory_(memory), cr2_(cr2) {
    if (!fetched_page_generation_) throw std::bad_alloc();
    flush_all();
  }

  void configure(const PagingConfig& config);
  void set_config_keep_tlb(const PagingConfig& config) { config_ = config; }
  // Alignment checking (CR0.AM and EFLAGS.AC): user accesses then all take the slow path,
  // which raises #AC(0) for a misaligned one; the fast path stays one compare.
  void set_alignment_check(bool on) {
    if (on == alignment_check_) return;
    alignment_check_ = on;
    flush_all();
  }
  void set_a20_mask(uint32_t mask);
  uint32_t a20_mask() const { return a20_mask_; }
  bool paging() const { return config_.enabled; }
  // Counts every flush or invalidation: a translation remembered elsewhere (the CPU's jump
  // cache) is valid only while the generation it was taken at is current.
  uint64_t generation() const { return generation_; }
  // Another counter that moves with the generation (the CPU's block-link epoch, one compare
  // where the sum of several generations took three loads), or nullptr.
  void count_generations_in(uint64_t* counter) { generation_listener_ = counter; }

  void flush_all();
  void flush_non_global();  // a CR3 load with CR4.PGE
  void invalidate_page(uint32_t linear);
  // A physical page now holds decoded code: writes to it must take the slow path.
  void protect_code_page(uint32_t physical_page_number);

  // The fast paths compare one tag: the entry of the access's first byte against the page of
  // its last byte. An access that crosses a page asks the entry of one page for the next
  // page, which an entry never holds (neighbouring pages have neighbouring entries), so it
  // takes the slow path without a separate test.
  template <typename T>
  T read(uint32_t linear, bool user) {
    const Entry& e = entry(linear);
    if (e.read_tag[user] == ((linear + (sizeof(T) - 1)) & kPageMask)) [[likely]] {
      return bus::load_le<T>(e.host + (linear & ~kPageMask));
    }
    return static_cast<T>(read_slow(linear, sizeof(T), user));
  }

  template <typename T>
  void write(uint32_t linear, T value, bool user) {
    const Entry& e = entry(linear);
    if (e.write_tag[user] == ((linear + (sizeof(T) - 1)) & kPageMask)) [[likely]] {
      bus::store_le<T>(e.host + (linear & ~kPageMask), value);
      return;
    }
    write_slow(linear, sizeof(T), value, user);
  }

  // The host bytes of an access that can take the fast path, or nullptr: for callers that
  // must choose their own slow path (the CPU's flat-segment accesses, whose slow path checks
  // the segment limit first). A read-modify-write needs both tags: a read watchpoint slows
  // only the read tag.
  template <typename T>
  uint8_t* read_pointer(uint32_t linear, unsigned user) {
    Entry& e = entry(linear);
    return e.read_tag[user] == ((linear + (sizeof(T) - 1)) & kPageMask) ? host_bytes(e, linear)
                                                                        : nullptr;
  }
  template <typename T>
  uint8_t* write_pointer(uint32_t linear, unsigned user) {
    Entry& e = entry(linear);
    return e.write_tag[user] == ((linear + (sizeof(T) - 1)) & kPageMask) ? host_bytes(e, linear)
                                                                         : nullptr;
  }
  template <typename T>
  uint8_t* modify_pointer(uint32_t linear, unsigned user) {
    Entry& e = entry(linear);
    const uint32_t page = (linear + (sizeof(T) - 1)) & kPageMask;
    return ((e.read_tag[user] ^ page) | (e.write_tag[user] ^ page)) == 0 ? host_bytes(e, linear)
                                                                         : nullptr;
  }

  // The physical address of an instruction byte (raises #PF like a fetch).
  // Also notes that code was fetched through this page in the present generation (see
  // invalidate_page). Called when blocks are looked up or built, not per instruction.
  uint32_t translate_fetch(uint32_t linear, bool user) {
    const Entry& e = entry(linear);
    const uint32_t physical =
        (e.read_tag[user] & kPageMask) == (linear & kPageMask) && e.read_tag[user] != kInvalid
            ? e.phys_page | (linear & ~kPageMask)
            : translate(linear, Access::Fetch, user);
    const auto now = static_cast<uint32_t>(generation_);
    fetched_page_generation_.get()[linear >> bus::kPageShift] = now;
    if (entry(linear).large) fetched_region_generation_[linear >> 22] = now;
    return physical;
  }

  // Debugger watchpoints. Setting them flushes the TLB so watched pages refill as slow.
  void set_watches(std::vector<Watch> watches) {
    watches_ = std::move(watches);
    merge_watches();
  }
  const std::vector<Watch>& watches() const { return watches_; }
  // The guest's DR data breakpoints, kept apart from the debugger's list (which the monitor
  // and gdb stub show); same mechanism, negative ids.
  void set_guest_watches(std::vector<Watch> watches) {
    guest_watches_ = std::move(watches);
    merge_watches();
  }
  const std::vector<Watch>& guest_watches() const { return guest_watches_; }
  void set_watch_listener(std::function<void(const WatchHit&)> listener) {
    watch_listener_ = std::move(listener);
  }

  // Walks the page tables (setting A/D bits) and fills the TLB; raises #PF.
  uint32_t translate(uint32_t linear, Access access, bool user);
  // A translation for the debugger: no fault, no A/D update. Returns false if not mapped.
  bool peek_translation(uint32_t linear, uint32_t& physical);

 private:
  static constexpr uint32_t kPageMask = ~(bus::kPageSize - 1);
  static constexpr uint32_t kInvalid = 1;
  static constexpr uint32_t kSlowFlag = 2;  // translation valid, access through the bus
  static constexpr unsigned kEntries = 2048;

  struct Entry {
    uint32_t read_tag[2];  // [supervisor, user]
    uint32_t write_tag[2];
    uint8_t* host;  // host address of the page start, when plain memory
    uint32_t phys_page;
    bool global;
    bool large;  // from a 4 MiB page (PSE)
  };

  Entry& entry(uint32_t linear) { return tlb_[(linear >> bus::kPageShift) & (kEntries - 1)]; }
  // The host bytes of a fast-path entry: never null (a matching tag has a host page), which
  // saves the callers of the *_pointer functions a second test of the result.
  static uint8_t* host_bytes(const Entry& e, uint32_t linear) {
    uint8_t* const p = e.host + (linear & ~kPageMask);
    if (p == nullptr) __builtin_unreachable();
    return p;
  }
  uint32_t read_slow(uint32_t linear, unsigned size, bool user);
  void write_slow(uint32_t linear, unsigned size, uint32_t value, bool user);
  uint32_t physical_for(uint32_t linear, Access access, bool user);
  void slow_down_watched(Entry& e, uint32_t page, uint32_t phys_page);
  void check_watches(uint32_t linear, uint32_t physical, unsigned size, bool write, uint32_t value);
  [[noreturn]] void page_fault(uint32_t linear, bool present, Access access, bool user);
  void merge_watches() {
    active_watches_ = watches_;
    active_watches_.insert(active_watches_.end(), guest_watches_.begin(), guest_watches_.end());
    flush_all();
  }

  bus::PhysicalMemory& memory_;
  uint32_t& cr2_;
  PagingConfig config_;
  uint32_t a20_mask_ = 0xFFFFFFFF;
  bool alignment_check_ = false;
  void next_generation() {
    ++generation_;
    if (generation_listener_) ++*generation_listener_;
  }
  uint64_t generation_ = 1;
  uint64_t* generation_listener_ = nullptr;
  // Counts full TLB flushes: large_region_epoch_ holds it, not the generation, which also
  // moves on INVLPG and non-global flushes that leave 4 MiB pieces in the TLB.
  uint32_t full_flush_count_ = 1;
  // The generation (low 32 bits) in which code was last fetched through each 4 KiB page, and
  // through each 4 MiB region mapped by a large page. An INVLPG of a page no code came
  // through in this generation changes no block link or jump cache entry, so it keeps the
  // generation: Linux invalidates data pages (copy on write, munmap) all the time.
  // calloc, not a vector: its 4 MiB come from the OS already zero and are touched only where
  // code runs, where a vector's zeroing touched them all (the CPU fuzzer, which builds a CPU
  // an input, ran 7x fewer inputs).
  struct FreeDeleter {
    void operator()(uint32_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint32_t, FreeDeleter> fetched_page_generation_{
      static_cast<uint32_t*>(std::calloc(std::size_t{1} << 20, sizeof(uint32_t)))};
  std::vector<uint32_t> fetched_region_generation_ = std::vector<uint32_t>(1u << 10);
  // The full-flush count at which the TLB last took in a 4 KiB piece of a 4 MiB page, per
  // region: while it is current, pieces of a large page may be in the TLB.
  std::vector<uint32_t> large_region_generation_ = std::vector<uint32_t>(1u << 10);
  std::array<Entry, kEntries> tlb_{};
  std::vector<Watch> watches_;
  std::vector<Watch> guest_watches_;
  std::vector<Watch> active_watches_;  // both, as the slow path checks them
  std::function<void(const WatchHit&)> watch_listener_;
};

}  // namespace x86lab::mmu
