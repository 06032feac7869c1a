// QEMU's firmware configuration device (fw_cfg), the legacy I/O interface only: a 16-bit
// write to port 0x510 selects an item, byte reads from 0x511 return its bytes one by one (zeros
// past its end and for items we do not have). Debian's SeaBIOS is built for QEMU and looks for
// it: without one it takes its defaults, among them a 2.5 s wait at "Press ESC for boot menu"
// on every boot, which QEMU turns off through the item etc/show-boot-menu (key 0x0E).
//
// We give SeaBIOS the signature, an ID without the DMA interface, the boot-menu switch and an
// empty file directory. Every other key it asks for (CPU counts, NUMA, e820, ACPI and SMBIOS
// tables) reads as zeros, which SeaBIOS takes as "use your own defaults", as it did before
// the device existed.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "bus/io_space.hpp"

namespace x86lab::devices {

class FwCfg {
 public:
  static constexpr uint16_t kSelectorPort = 0x510;
  static constexpr uint16_t kDataPort = 0x511;
  static constexpr uint16_t kSignature = 0x00;
  static constexpr uint16_t kId = 0x01;
  static constexpr uint16_t kBootMenu = 0x0E;
  static constexpr uint16_t kFileDir = 0x19;

  FwCfg();
  void register_ports(bus::IoSpace& io);
  void reset();

  // Whether SeaBIOS offers its boot menu (and waits for ESC). Off, as in QEMU by default.
  void set_boot_menu(bool on);

 private:
  void select(uint16_t key);
  uint8_t read_data();

  std::map<uint16_t, std::vector<uint8_t>> items_;
  const std::vector<uint8_t>* selected_ = nullptr;  // nullptr: a key we do not have
  uint32_t offset_ = 0;
};

}  // namespace x86lab::devices
