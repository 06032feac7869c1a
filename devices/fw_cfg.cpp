#include "devices/fw_cfg.hpp"

namespace x86lab::devices {

FwCfg::FwCfg() {
  items_[kSignature] = {'Q', 'E', 'M', 'U'};
  items_[kId] = {1, 0, 0, 0};       // little-endian: the traditional interface, no DMA
  items_[kFileDir] = {0, 0, 0, 0};  // big-endian file count: none
  set_boot_menu(false);
  reset();
}

void FwCfg::set_boot_menu(bool on) { items_[kBootMenu] = {static_cast<uint8_t>(on), 0}; }

void FwCfg::reset() { select(kSignature); }

void FwCfg::select(uint16_t key) {
  const auto it = items_.find(key);
  selected_ = it == items_.end() ? nullptr : &it->second;
  offset_ = 0;
}

uint8_t FwCfg::read_data() {
  if (!selected_ || offset_ >= selected_->size()) return 0;
  return (*selected_)[offset_++];
}

void FwCfg::register_ports(bus::IoSpace& io) {
  // As QEMU's: a word write selects; a byte read at either port reads data; byte writes (the
  // old, removed write interface) are ignored.
  io.register_ports(
      kSelectorPort, 2, "fw_cfg", bus::kIoByte | bus::kIoWord,
      [this](uint16_t, unsigned size) -> uint32_t {
        uint32_t value = 0;
        for (unsigned i = 0; i < size; ++i) value |= uint32_t{read_data()} << (8 * i);
        return value;
      },
      [this](uint16_t port, unsigned size, uint32_t value) {
        if (port == kSelectorPort && size == 2) select(static_cast<uint16_t>(value));
      });
}

}  // namespace x86lab::devices
