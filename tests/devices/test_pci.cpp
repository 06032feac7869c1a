#include <doctest/doctest.h>

#include "bus/io_space.hpp"
#include "bus/physical_memory.hpp"
#include "devices/i440fx.hpp"
#include "devices/pci_bus.hpp"
#include "devices/piix3.hpp"

using namespace x86lab;
using devices::PciBus;

namespace {

struct Chipset {
  bus::PhysicalMemory memory{16u << 20};
  bus::IoSpace io;
  PciBus pci;
  devices::I440fx host{memory};
  devices::Piix3Isa isa;
  devices::Piix3Ide ide;
  unsigned map_changes = 0;
  unsigned resets = 0;
  Chipset() {
    pci.register_ports(io);
    pci.attach(PciBus::devfn(0, 0), host);
    pci.attach(PciBus::devfn(1, 0), isa);
    pci.attach(PciBus::devfn(1, 1), ide);
    isa.attach_reset_control(pci);
    isa.set_reset_handler([this] { ++resets; });
    host.set_memory_map_changed([this] { ++map_changes; });
  }
  // Mechanism #1: the address at 0xCF8, the data at 0xCFC + (offset & 3).
  uint32_t read(unsigned dev, unsigned fn, uint8_t offset, unsigned size) {
    io.write(0xCF8, 4, 0x80000000u | (dev << 11) | (fn << 8) | (offset & 0xFCu));
    return io.read(static_cast<uint16_t>(0xCFC + (offset & 3)), size);
  }
  void write(unsigned dev, unsigned fn, uint8_t offset, unsigned size, uint32_t value) {
    io.write(0xCF8, 4, 0x80000000u | (dev << 11) | (fn << 8) | (offset & 0xFCu));
    io.write(static_cast<uint16_t>(0xCFC + (offset & 3)), size, value);
  }
};

}  // namespace

TEST_CASE("pci config reads give the 440FX, PIIX3 and IDE vendor and device IDs") {
  Chipset c;
  CHECK(c.read(0, 0, 0x00, 4) == 0x12378086u);
  CHECK(c.read(1, 0, 0x00, 4) == 0x70008086u);
  CHECK(c.read(1, 1, 0x00, 4) == 0x70108086u);
  CHECK(c.read(1, 0, 0x02, 2) == 0x7000);
  CHECK(c.read(0, 0, 0x00, 1) == 0x86);
  CHECK(c.read(0, 0, 0x0B, 1) == 0x06);             // bridge class
  CHECK((c.read(1, 1, 0x08, 4) >> 8) == 0x010180);  // IDE, legacy mode with bus mastering
  CHECK(c.read(1, 0, 0x0E, 1) == 0x80);             // multi-function
}

TEST_CASE("an empty slot or function reads as all-ones") {
  Chipset c;
  CHECK(c.read(2, 0, 0x00, 4) == 0xFFFFFFFFu);
  CHECK(c.read(0, 1, 0x00, 4) == 0xFFFFFFFFu);  // the host bridge is single-function
  CHECK(c.read(31, 7, 0x00, 2) == 0xFFFF);
  // With the enable bit clear no configuration cycle happens.
  c.io.write(0xCF8, 4, 0x00000000u);
  CHECK(c.io.read(0xCFC, 4) == 0xFFFFFFFFu);
}

TEST_CASE("the config address register reads back as a dword") {
  Chipset c;
  c.io.write(0xCF8, 4, 0x80000810u);
  CHECK(c.io.read(0xCF8, 4) == 0x80000810u);
}

TEST_CASE("writing all-ones to a BAR reads back its size mask; unimplemented BARs stay 0") {
  Chipset c;
  // IDE bus-master BAR 4: 16 bytes of I/O.
  CHECK(c.read(1, 1, 0x20, 4) == 0x00000001u);
  c.write(1, 1, 0x20, 4, 0xFFFFFFFFu);
  CHECK(c.read(1, 1, 0x20, 4) == 0xFFFFFFF1u);
  c.write(1, 1, 0x20, 4, 0xC000);
  CHECK(c.read(1, 1, 0x20, 4) == 0x0000C001u);
  CHECK(c.ide.bar_address(4) == 0);  // I/O decoding still off
  c.write(1, 1, 0x04, 2, 0x0001);
  CHECK(c.ide.bar_address(4) == 0xC000);
  // Legacy mode: BAR 0 is not implemented.
  c.write(1, 1, 0x10, 4, 0xFFFFFFFFu);
  CHECK(c.read(1, 1, 0x10, 4) == 0);
}

TEST_CASE("read-only registers ignore writes; the IDs stay") {
  Chipset c;
  c.write(0, 0, 0x00, 4, 0);
  CHECK(c.read(0, 0, 0x00, 4) == 0x12378086u);
}

TEST_CASE("PIIX3 PIRQ routing registers start disabled and route when written") {
  Chipset c;
  CHECK(c.read(1, 0, 0x60, 4) == 0x80808080u);
  CHECK(c.isa.pirq_route(0) == -1);
  c.write(1, 0, 0x60, 4, 0x0B0B0A0Au);
  CHECK(c.isa.pirq_route(0) == 10);
  CHECK(c.isa.pirq_route(3) == 11);
}

TEST_CASE("0xCF9 resets on a 0->1 edge of bit 2") {
  Chipset c;
  c.io.write(0xCF9, 1, 0x02);
  CHECK(c.resets == 0);
  c.io.write(0xCF9, 1, 0x06);
  CHECK(c.resets == 1);
  CHECK(c.io.read(0xCF9, 1) == 0x02);
}

TEST_CASE("PAM: the BIOS segment reads from ROM, then RAM once shadowed, and can go read-only") {
  Chipset c;
  std::vector<uint8_t> bios(0x10000, 0xAB);
  c.host.set_legacy_rom(0xF0000, bios);
  const unsigned changes_before = c.map_changes;
  CHECK(c.memory.read<uint8_t>(0xF1234) == 0xAB);
  c.memory.write<uint8_t>(0xF1234, 0x11);  // the bus drops it
  CHECK(c.memory.read<uint8_t>(0xF1234) == 0xAB);

  // Write-only DRAM (mode 2): reads still see the ROM, writes land in RAM.
  c.write(0, 0, 0x59, 1, 0x20);
  c.memory.write<uint8_t>(0xF1234, 0x22);
  CHECK(c.memory.read<uint8_t>(0xF1234) == 0xAB);
  // Read/write DRAM (mode 3): the byte written through is there.
  c.write(0, 0, 0x59, 1, 0x30);
  CHECK(c.memory.read<uint8_t>(0xF1234) == 0x22);
  c.memory.write<uint8_t>(0xF1234, 0x33);
  CHECK(c.memory.read<uint8_t>(0xF1234) == 0x33);
  // Read-only DRAM (mode 1): reads RAM, writes vanish.
  c.write(0, 0, 0x59, 1, 0x10);
  c.memory.write<uint8_t>(0xF1234, 0x44);
  CHECK(c.memory.read<uint8_t>(0xF1234) == 0x33);
  CHECK(c.map_changes == changes_before + 3);  // the machine hears of each remap
  // A reset puts the ROM back.
  c.pci.reset();
  CHECK(c.read(0, 0, 0x59, 1) == 0x00);
  CHECK(c.memory.read<uint8_t>(0xF1234) == 0xAB);
}

TEST_CASE("PAM registers for 0xC0000-0xEFFFF switch 16 KiB segments independently") {
  Chipset c;
  c.write(0, 0, 0x5A, 1, 0x03);  // C0000-C3FFF RAM, C4000-C7FFF bus
  c.memory.write<uint8_t>(0xC0010, 0x5A);
  c.memory.write<uint8_t>(0xC4010, 0x5A);
  CHECK(c.memory.read<uint8_t>(0xC0010) == 0x5A);
  CHECK(c.memory.read<uint8_t>(0xC4010) == 0xFF);  // open bus
  CHECK(c.host.pam_mode(1) == 3);
  CHECK(c.host.pam_mode(2) == 0);
}

TEST_CASE("an expansion ROM maps where the ROM BAR points while enabled and memory decodes") {
  Chipset c;
  devices::PciFunction vga(0x1234, 0x1111, 0x03, 0x00, 0x00, 0x02, "stdvga");
  std::vector<uint8_t> rom(40000, 0x00);
  rom[0] = 0x55;
  rom[1] = 0xAA;
  vga.set_expansion_rom(c.memory, rom);
  vga.reset();
  c.pci.attach(PciBus::devfn(2, 0), vga);
  c.write(2, 0, 0x30, 4, 0xFFFFFFFEu);  // size it: 64 KiB, enable bit writable
  CHECK(c.read(2, 0, 0x30, 4) == 0xFFFF0000u);
  c.write(2, 0, 0x30, 4, 0x00C00001u);
  CHECK(vga.rom_address() == 0);  // memory decoding is still off
  CHECK(c.memory.read<uint16_t>(0xC00000) == 0x0000);
  c.write(2, 0, 0x04, 2, 0x0002);
  CHECK(vga.rom_address() == 0xC00000);
  CHECK(c.memory.read<uint16_t>(0xC00000) == 0xAA55);
  c.write(2, 0, 0x30, 4, 0x00C00000u);  // disabled again: the RAM shows through
  CHECK(vga.rom_address() == 0);
  CHECK(c.memory.read<uint16_t>(0xC00000) == 0x0000);
}
