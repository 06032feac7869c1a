// The physical address space: one RAM allocation, read-only ROM images and MMIO regions.
// RAM below ram_size is reached without a lookup; anything else (ROM, MMIO, a hole, a page
// that holds decoded code when written) takes the slow path. Guest accesses that fall outside
// every region read as all-ones and are dropped on write, as on a PC bus.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bus/byte_order.hpp"

namespace x86lab::bus {

inline constexpr uint32_t kPageShift = 12;
inline constexpr uint32_t kPageSize = 1u << kPageShift;

// A device that answers memory-mapped accesses. Offsets are relative to the region's base;
// size is 1, 2 or 4 bytes.
class MmioHandler {
 public:
  virtual ~MmioHandler() = default;
  virtual uint32_t mmio_read(uint32_t offset, unsigned size) = 0;
  virtual void mmio_write(uint32_t offset, unsigned size, uint32_t value) = 0;
};

// Told when the guest (or DMA) writes to a RAM page that holds decoded code, so the decoded
// code those bytes belong to can be dropped before it runs again. A report never spans two
// pages. The observer clears the page's flag once no decoded code is left on it.
//
// Also told after every change of the map (map_rom, map_mmio, unmap): what it cached from the
// old map (host pointers into RAM or into a ROM region's bytes, decoded code) must go before
// the next access, because an unmapped region's bytes are freed.
class CodeWriteObserver {
 public:
  virtual ~CodeWriteObserver() = default;
  virtual void code_written(uint32_t physical, unsigned size) = 0;
  virtual void map_changed() {}
};

// What a page of the physical address space is, for a TLB fill.
struct PageView {
  uint8_t* host = nullptr;  // null: not plain memory (MMIO, unmapped, or page crossing)
  bool writable = false;    // false for ROM and for RAM pages that hold decoded code
};

// Unmaps the guest RAM mapping.
struct RamDeleter {
  RamDeleter() = default;
  explicit RamDeleter(size_t bytes) : size(bytes) {}
  void operator()(uint8_t* p) const;
  size_t size = 0;
};

class PhysicalMemory {
 public:
  // ram_bytes is rounded up to a whole page. Throws std::invalid_argument when it is zero or
  // does not fit below 4 GiB.
  explicit PhysicalMemory(uint64_t ram_bytes);
  PhysicalMemory(const PhysicalMemory&) = delete;
  PhysicalMemory& operator=(const PhysicalMemory&) = delete;

  uint32_t ram_size() const { return ram_size_; }
  std::span<uint8_t> ram() { return {ram_.get(), ram_size_}; }

  // Maps a copy of image at base (read-only to the guest). Regions mapped later win over
  // earlier ones and over RAM where they overlap.
  void map_rom(uint32_t base, std::span<const uint8_t> image, std::string name);
  void map_mmio(uint32_t base, uint32_t size, MmioHandler& handler, std::string name);
  // Makes [base, base+size) plain RAM again (drops ROM/MMIO regions that lie inside it).
  void unmap(uint32_t base, uint32_t size);

  template <typename T>
  T read(uint32_t addr) {
    if (addr < ram_size_ && page_flags_[addr >> kPageShift] <= kCodePage &&
        (addr & (kPageSize - 1)) <= kPageSize - sizeof(T)) [[likely]] {
      return load_le<T>(ram_.get() + addr);
    }
    return static_cast<T>(read_slow(addr, sizeof(T)));
  }

  template <typename T>
  void write(uint32_t addr, T value) {
    if (addr < ram_size_ && page_flags_[addr >> kPageShift] == 0 &&
        (addr & (kPageSize - 1)) <= kPageSize - sizeof(T)) [[likely]] {
      store_le<T>(ram_.get() + addr, value);
      return;
    }
    write_slow(addr, sizeof(T), value);
  }

  // Bulk transfers for DMA and loaders; they go through the same checks as the CPU.
  void read_block(uint32_t addr, std::span<uint8_t> out);
  void write_block(uint32_t addr, std::span<const uint8_t> in);
  // Loads bytes into RAM or ROM regardless of write protection (firmware and test setup).
  void poke(uint32_t addr, uint8_t value);

  PageView page_view(uint32_t addr);

  // Decoded-code tracking, per 4 KiB page of RAM.
  void set_code_observer(CodeWriteObserver* observer) { code_observer_ = observer; }
  void mark_code_page(uint32_t addr);
  void clear_code_page(uint32_t page_number);
  bool is_code_page(uint32_t addr) const;

 private:
  static constexpr uint8_t kCodePage = 1;  // RAM page holding decoded code
  static constexpr uint8_t kOverlay = 2;   // RAM page covered by a ROM or MMIO region

  enum class RegionKind : uint8_t { Rom, Mmio };
  struct Region {
    uint32_t base;
    uint32_t size;
    RegionKind kind;
    std::vector<uint8_t> rom;
    MmioHandler* mmio;
    std::string name;
    bool contains(uint32_t addr) const { return addr - base < size; }
  };

  const Region* find_region(uint32_t addr) const;
  uint32_t read_slow(uint32_t addr, unsigned size);
  void write_slow(uint32_t addr, unsigned size, uint32_t value);
  uint8_t read_byte(uint32_t addr);
  void write_byte(uint32_t addr, uint8_t value);
  void refresh_overlay_flags();  // and tells the observer that the map changed

  std::unique_ptr<uint8_t[], RamDeleter> ram_;
  uint32_t ram_size_ = 0;
  std::vector<uint8_t> page_flags_;
  std::vector<Region> regions_;
  CodeWriteObserver* code_observer_ = nullptr;
};

}  // namespace x86lab::bus
