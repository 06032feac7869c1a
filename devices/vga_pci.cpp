#include "devices/vga_pci.hpp"

namespace x86lab::devices {

namespace {

constexpr uint32_t kPrefetchable = 0x08;

bool overlaps(uint8_t offset, unsigned size, uint8_t first, unsigned count) {
  return offset < first + count && first < offset + size;
}

}  // namespace

VgaPci::VgaPci(Vga& vga, bus::PhysicalMemory& memory)
    : PciFunction(kPciIdentity.vendor_id, kPciIdentity.device_id,
                  static_cast<uint8_t>(kPciIdentity.class_code >> 16),
                  static_cast<uint8_t>(kPciIdentity.class_code >> 8),
                  static_cast<uint8_t>(kPciIdentity.class_code), kPciIdentity.revision, "vga"),
      vga_(vga),
      memory_(memory) {
  declare_bar(0, kPciIdentity.bar0_size, false);
  reset();
}

void VgaPci::set_rom(std::vector<uint8_t> image) {
  rom_ = std::move(image);
  declare_rom(static_cast<uint32_t>(rom_.size()));
  reset();
}

void VgaPci::reset() {
  PciFunction::reset();
  set_config_dword(kBar0, kPrefetchable);  // read-only type bits: the address bits are zero
  set_config_word(kSubsystemVendorId, 0x1AF4);
  set_config_word(kSubsystemId, 0x1100);
  update_mappings();
}

void VgaPci::config_written(uint8_t offset, unsigned size) {
  if (overlaps(offset, size, kCommand, 2) || overlaps(offset, size, kBar0, 4) ||
      overlaps(offset, size, kRomBar, 4)) {
    update_mappings();
  }
}

// Maps the framebuffer and ROM where the BARs say, or nowhere while decoding is off or a BAR
// holds the all-ones pattern of a size probe (mapping there would cover the BIOS at 4 GiB).
void VgaPci::update_mappings() {
  const bool memory_on = config_word(kCommand) & kCommandMemory;
  uint32_t lfb = bar_address(0);
  if (lfb == (~(kPciIdentity.bar0_size - 1) & 0xFFFFFFF0u)) lfb = 0;
  if (lfb != lfb_mapped_) {
    if (lfb_mapped_) memory_.unmap(lfb_mapped_, Vga::kLfbSize);
    if (lfb) memory_.map_mmio(lfb, Vga::kLfbSize, vga_.linear_framebuffer(), "vga framebuffer");
    lfb_mapped_ = lfb;
  }

  uint32_t rom = 0;
  const uint32_t rom_bar = config_dword(kRomBar);
  if (!rom_.empty() && memory_on && (rom_bar & 1)) {
    rom = rom_bar & 0xFFFFF800u;
    uint32_t rom_size = 2048;
    while (rom_size < rom_.size()) rom_size <<= 1;
    if (rom == (~(rom_size - 1) & 0xFFFFF800u)) rom = 0;
  }
  if (rom != rom_mapped_) {
    if (rom_mapped_) memory_.unmap(rom_mapped_, static_cast<uint32_t>(rom_.size()));
    if (rom) memory_.map_rom(rom, rom_, "vga rom");
    rom_mapped_ = rom;
  }
}

}  // namespace x86lab::devices
