#include "devices/pci_bus.hpp"

#include <stdexcept>

namespace x86lab::devices {

// ---- PciFunction ---------------------------------------------------------------------------

PciFunction::PciFunction(uint16_t vendor, uint16_t device, uint8_t class_code, uint8_t subclass,
                         uint8_t prog_if, uint8_t revision, std::string name)
    : vendor_(vendor),
      device_(device),
      class_code_(class_code),
      subclass_(subclass),
      prog_if_(prog_if),
      revision_(revision),
      name_(std::move(name)) {}

uint16_t PciFunction::config_word(uint8_t offset) const {
  return static_cast<uint16_t>(config_[offset] | (config_[(offset + 1) & 0xFF] << 8));
}

uint32_t PciFunction::config_dword(uint8_t offset) const {
  return uint32_t{config_word(offset)} |
         (uint32_t{config_word(static_cast<uint8_t>(offset + 2))} << 16);
}

void PciFunction::set_config_word(uint8_t offset, uint16_t value) {
  config_[offset] = static_cast<uint8_t>(value);
  config_[(offset + 1) & 0xFF] = static_cast<uint8_t>(value >> 8);
}

void PciFunction::set_config_dword(uint8_t offset, uint32_t value) {
  set_config_word(offset, static_cast<uint16_t>(value));
  set_config_word(static_cast<uint8_t>(offset + 2), static_cast<uint16_t>(value >> 16));
}

void PciFunction::set_writable(uint8_t offset, unsigned size, uint32_t mask) {
  for (unsigned i = 0; i < size; ++i) {
    // Ranges longer than a dword repeat the mask's four bytes.
    writable_[(offset + i) & 0xFF] = static_cast<uint8_t>(mask >> (8 * (i % 4)));
  }
}

void PciFunction::reset() {
  config_.fill(0);
  writable_.fill(0);
  set_config_word(kVendorId, vendor_);
  set_config_word(kDeviceId, device_);
  set_config_byte(kRevision, revision_);
  set_config_byte(kProgIf, prog_if_);
  set_config_byte(kSubclass, subclass_);
  set_config_byte(kClass, class_code_);
  set_config_byte(kHeaderType, header_type_);
  set_config_byte(kInterruptPin, interrupt_pin_);
  set_writable(kCommand, 2, 0x0547);  // I/O, memory, master, parity, SERR, fast back-to-back
  set_writable(kInterruptLine, 1, 0xFF);
  set_writable(0x0C, 1, 0xFF);  // cache line size
  set_writable(0x0D, 1, 0xFF);  // latency timer
  for (unsigned i = 0; i < bars_.size(); ++i) {
    const Bar& b = bars_[i];
    if (b.size == 0) continue;
    const auto offset = static_cast<uint8_t>(kBar0 + 4 * i);
    set_config_dword(offset, b.io ? 1u : 0u);
    set_writable(offset, 4, ~(b.size - 1) & (b.io ? 0xFFFFFFFCu : 0xFFFFFFF0u));
  }
  if (rom_size_) set_writable(kRomBar, 4, (~(rom_size_ - 1) & 0xFFFFF800u) | 1u);
  update_rom_mapping();
}

void PciFunction::declare_bar(unsigned index, uint32_t size, bool io) {
  bars_[index] = Bar{size, io};
}

void PciFunction::declare_rom(uint32_t size) {
  uint32_t rounded = 2048;
  while (rounded < size) rounded <<= 1;
  rom_size_ = rounded;
}

void PciFunction::set_expansion_rom(bus::PhysicalMemory& memory, std::vector<uint8_t> image,
                                    std::function<void()> map_changed) {
  declare_rom(static_cast<uint32_t>(image.size()));
  image.resize(rom_size_, 0xFF);
  rom_memory_ = &memory;
  rom_image_ = std::move(image);
  rom_map_changed_ = std::move(map_changed);
  set_writable(kRomBar, 4, (~(rom_size_ - 1) & 0xFFFFF800u) | 1u);
}

void PciFunction::update_rom_mapping() {
  if (!rom_memory_) return;
  const uint32_t bar = config_dword(kRomBar);
  const bool on = (bar & 1) && (config_word(kCommand) & kCommandMemory);
  const uint32_t address = on ? (bar & ~(rom_size_ - 1) & 0xFFFFF800u) : 0;
  if (address == rom_mapped_at_) return;
  if (rom_mapped_at_) rom_memory_->unmap(rom_mapped_at_, rom_size_);
  rom_mapped_at_ = 0;
  // A ROM BAR left at 0 or wrapping past 4 GiB decodes nothing.
  if (address && uint64_t{address} + rom_size_ <= 0x100000000ull) {
    rom_memory_->map_rom(address, rom_image_, name_ + " expansion rom");
    rom_mapped_at_ = address;
  }
  if (rom_map_changed_) rom_map_changed_();
}

uint32_t PciFunction::bar_address(unsigned index) const {
  const Bar& b = bars_[index];
  if (b.size == 0) return 0;
  const uint16_t command = config_word(kCommand);
  if (!(command & (b.io ? kCommandIo : kCommandMemory))) return 0;
  const uint32_t raw = config_dword(static_cast<uint8_t>(kBar0 + 4 * index));
  return raw & (b.io ? 0xFFFFFFFCu : 0xFFFFFFF0u);
}

uint32_t PciFunction::config_read(uint8_t offset, unsigned size) {
  uint32_t value = 0;
  for (unsigned i = 0; i < size; ++i) {
    value |= uint32_t{config_[(offset + i) & 0xFF]} << (8 * i);
  }
  return value;
}

void PciFunction::config_write(uint8_t offset, unsigned size, uint32_t value) {
  for (unsigned i = 0; i < size; ++i) {
    const auto at = static_cast<uint8_t>(offset + i);
    const auto byte = static_cast<uint8_t>(value >> (8 * i));
    if (at == kStatus || at == kStatus + 1) {
      config_[at] = static_cast<uint8_t>(config_[at] & ~(byte & 0xF9));  // write-1-to-clear
      continue;
    }
    config_[at] = static_cast<uint8_t>((config_[at] & ~writable_[at]) | (byte & writable_[at]));
  }
  const bool touches_rom = offset < kRomBar + 4 && offset + size > kRomBar;
  const bool touches_command = offset < kCommand + 2 && offset + size > kCommand;
  if (touches_rom || touches_command) update_rom_mapping();
  config_written(offset, size);
}

// ---- PciBus --------------------------------------------------------------------------------

void PciBus::register_ports(bus::IoSpace& io) {
  io.register_ports(
      kAddressPort, 4, "pci config address", bus::kIoByte | bus::kIoDword,
      [this](uint16_t port, unsigned size) -> uint32_t { return read_port(port, size); },
      [this](uint16_t port, unsigned size, uint32_t value) { write_port(port, size, value); });
  io.register_ports(
      kDataPort, 4, "pci config data", bus::kIoByte | bus::kIoWord | bus::kIoDword,
      [this](uint16_t port, unsigned size) -> uint32_t { return read_port(port, size); },
      [this](uint16_t port, unsigned size, uint32_t value) { write_port(port, size, value); });
}

void PciBus::attach(uint8_t devfn, PciFunction& function) {
  if (functions_[devfn]) {
    throw std::logic_error("PCI slot " + std::to_string(devfn >> 3) + "." +
                           std::to_string(devfn & 7) + " is taken by " + functions_[devfn]->name() +
                           "; cannot attach " + function.name());
  }
  functions_[devfn] = &function;
}

void PciBus::reset() {
  address_ = 0;
  for (PciFunction* f : functions_) {
    if (f) f->reset();
  }
}

uint32_t PciBus::read_port(uint16_t port, unsigned size) {
  if (port >= kDataPort) {
    if (!(address_ & 0x80000000u)) return 0xFFFFFFFFu >> (32 - 8 * size);
    const uint32_t bus_number = (address_ >> 16) & 0xFF;
    if (bus_number != 0) return 0xFFFFFFFFu >> (32 - 8 * size);
    const auto offset = static_cast<uint8_t>((address_ & 0xFC) | (port & 3));
    return config_read(static_cast<uint8_t>(address_ >> 8), offset, size);
  }
  if (size == 4 && port == kAddressPort) return address_;
  if (size == 1 && port == kResetControlPort) return rcr_read_ ? rcr_read_() : 0;
  return 0xFFFFFFFFu >> (32 - 8 * size);
}

void PciBus::write_port(uint16_t port, unsigned size, uint32_t value) {
  if (port >= kDataPort) {
    if (!(address_ & 0x80000000u) || ((address_ >> 16) & 0xFF) != 0) return;
    const auto offset = static_cast<uint8_t>((address_ & 0xFC) | (port & 3));
    config_write(static_cast<uint8_t>(address_ >> 8), offset, size, value);
    return;
  }
  if (size == 4 && port == kAddressPort) {
    address_ = value & 0x80FFFFFCu;
  } else if (size == 1 && port == kResetControlPort) {
    if (rcr_write_) rcr_write_(static_cast<uint8_t>(value));
  }
}

uint32_t PciBus::config_read(uint8_t devfn, uint8_t offset, unsigned size) {
  PciFunction* f = functions_[devfn];
  // Functions 1-7 exist only behind a multi-function function 0.
  if (f && (devfn & 7)) {
    const PciFunction* f0 = functions_[devfn & ~7u];
    if (!f0 || !(f0->config_byte(PciFunction::kHeaderType) & 0x80)) f = nullptr;
  }
  if (!f) return 0xFFFFFFFFu >> (32 - 8 * size);
  return f->config_read(offset, size);
}

void PciBus::config_write(uint8_t devfn, uint8_t offset, unsigned size, uint32_t value) {
  if (PciFunction* f = functions_[devfn]) f->config_write(offset, size, value);
}

}  // namespace x86lab::devices
