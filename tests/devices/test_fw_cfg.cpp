#include <doctest/doctest.h>

#include <string>

#include "bus/io_space.hpp"
#include "devices/fw_cfg.hpp"

using namespace x86lab;

namespace {

std::string read_item(bus::IoSpace& io, uint16_t key, unsigned length) {
  io.write(devices::FwCfg::kSelectorPort, 2, key);
  std::string bytes;
  for (unsigned i = 0; i < length; ++i) {
    bytes.push_back(static_cast<char>(io.read(devices::FwCfg::kDataPort, 1)));
  }
  return bytes;
}

}  // namespace

TEST_CASE("fw_cfg: SeaBIOS's probe finds the signature and an ID without DMA") {
  bus::IoSpace io;
  devices::FwCfg fw_cfg;
  fw_cfg.register_ports(io);
  CHECK(read_item(io, devices::FwCfg::kSignature, 4) == "QEMU");
  CHECK(read_item(io, devices::FwCfg::kId, 4) == std::string("\x01\0\0\0", 4));
  CHECK(read_item(io, devices::FwCfg::kFileDir, 4) == std::string(4, '\0'));  // no files
}

TEST_CASE("fw_cfg: the boot menu is off unless asked for, and reads past an item are zero") {
  bus::IoSpace io;
  devices::FwCfg fw_cfg;
  fw_cfg.register_ports(io);
  CHECK(read_item(io, devices::FwCfg::kBootMenu, 4) == std::string(4, '\0'));
  fw_cfg.set_boot_menu(true);
  CHECK(read_item(io, devices::FwCfg::kBootMenu, 4) == std::string("\x01\0\0\0", 4));
}

TEST_CASE("fw_cfg: keys it does not have read as zeros; selecting again restarts an item") {
  bus::IoSpace io;
  devices::FwCfg fw_cfg;
  fw_cfg.register_ports(io);
  CHECK(read_item(io, 0x05, 2) == std::string(2, '\0'));    // CPU count: SeaBIOS uses CMOS
  CHECK(read_item(io, 0x8003, 4) == std::string(4, '\0'));  // e820 table: none
  io.write(devices::FwCfg::kSelectorPort, 2, devices::FwCfg::kSignature);
  CHECK(io.read(devices::FwCfg::kDataPort, 1) == 'Q');
  CHECK(io.read(devices::FwCfg::kDataPort, 1) == 'E');
  io.write(devices::FwCfg::kDataPort, 1, 0x55);  // the old write interface: ignored
  CHECK(read_item(io, devices::FwCfg::kSignature, 4) == "QEMU");
  fw_cfg.reset();
  CHECK(io.read(devices::FwCfg::kDataPort, 1) == 'Q');  // reset selects the signature
}
