// The VGA as PCI function 1234:1111 (the Bochs/QEMU "standard VGA"): class 0x030000, BAR0 a
// 16 MiB prefetchable memory BAR holding the linear framebuffer, and optionally an expansion
// ROM with the VGA BIOS (SeaBIOS built for QEMU loads a display's BIOS from its ROM BAR).
// When the guest moves BAR0 or the ROM BAR, or turns memory decoding on or off, the function
// maps the framebuffer (and the ROM) at the new place in physical memory. The legacy ranges
// (0xA0000-0xBFFFF, ports 0x3B0-0x3DF and 0x1CE-0x1D0) stay decoded whatever the command
// register says, as the Vga's own registrations.
//
// SeaBIOS's vgabios reads BAR0 to learn where the framebuffer is (VBE mode info PhysBasePtr).
#pragma once

#include <cstdint>
#include <vector>

#include "bus/physical_memory.hpp"
#include "devices/pci_bus.hpp"
#include "devices/vga.hpp"

namespace x86lab::devices {

class VgaPci final : public PciFunction {
 public:
  VgaPci(Vga& vga, bus::PhysicalMemory& memory);

  // The VGA BIOS offered through the expansion ROM BAR (call before the first reset()).
  void set_rom(std::vector<uint8_t> image);

  void reset() override;

  uint32_t framebuffer_address() const { return lfb_mapped_; }
  uint32_t rom_address() const { return rom_mapped_; }

 protected:
  void config_written(uint8_t offset, unsigned size) override;

 private:
  void update_mappings();

  Vga& vga_;
  bus::PhysicalMemory& memory_;
  std::vector<uint8_t> rom_;
  uint32_t lfb_mapped_ = 0;  // 0: not mapped
  uint32_t rom_mapped_ = 0;
};

}  // namespace x86lab::devices
