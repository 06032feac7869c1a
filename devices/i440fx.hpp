// The Intel 440FX host bridge (PMC), 8086:1237 at 00:00.0, as SeaBIOS and the OSes find it on
// QEMU and Bochs.
//
// PAM (0x59-0x5F) decides for each segment of 0xC0000-0xFFFFF (F0000-FFFFF as one 64 KiB
// segment, C0000-EFFFF as twelve of 16 KiB) whether reads and writes reach DRAM or the
// PCI/ISA bus, where the BIOS and option ROMs answer. SeaBIOS turns on "read and write DRAM",
// copies itself from the 4 GiB alias, and later makes the area "read DRAM, write bus"
// (read-only shadow RAM). Each mode is one mapping of the physical memory map:
//   0 bus only        the ROM image (or open bus, 0xFF) the bus shows
//   1 read DRAM       a read-only copy of the RAM below (writes go to the bus and vanish)
//   2 write DRAM      reads from the bus, writes into the RAM below
//   3 DRAM            plain RAM
// The machine is told after every change (set_memory_map_changed) because decoded code from
// the old mapping must go.
//
// SMRAM (0x72) is kept as written (default 0x02); nothing here runs in SMM, so it maps nothing.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "bus/physical_memory.hpp"
#include "devices/pci_bus.hpp"

namespace x86lab::devices {

class I440fx final : public PciFunction {
 public:
  static constexpr uint8_t kPam0 = 0x59;
  static constexpr uint8_t kSmram = 0x72;
  static constexpr uint32_t kLegacyBase = 0xC0000;
  static constexpr uint32_t kLegacySize = 0x40000;
  static constexpr unsigned kSegments = 13;  // [0] F0000-FFFFF, [1..12] C0000 + 16 KiB steps

  explicit I440fx(bus::PhysicalMemory& memory);
  ~I440fx() override;

  // Places a ROM image where the bus shows it between 0xC0000 and 0xFFFFF (the BIOS's last
  // 128 KiB at 0xE0000, an ISA option ROM). Takes effect for segments in bus mode.
  void set_legacy_rom(uint32_t base, std::span<const uint8_t> image);
  void set_memory_map_changed(std::function<void()> handler) {
    on_map_changed_ = std::move(handler);
  }

  void reset() override;

  // Mode (0-3, see above) of a segment as the registers say.
  unsigned pam_mode(unsigned segment) const;
  static uint32_t segment_base(unsigned segment);
  static uint32_t segment_size(unsigned segment);

 protected:
  void config_written(uint8_t offset, unsigned size) override;

 private:
  class WriteThrough;  // mode 2
  void apply(unsigned segment, bool force);

  bus::PhysicalMemory& memory_;
  std::vector<uint8_t> bus_image_;  // what the bus shows at 0xC0000-0xFFFFF
  std::array<int, kSegments> applied_{};
  std::array<std::unique_ptr<WriteThrough>, kSegments> write_through_;
  std::function<void()> on_map_changed_;
};

}  // namespace x86lab::devices
