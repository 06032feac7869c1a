#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bus/clock.hpp"
#include "bus/physical_memory.hpp"
#include "devices/cmos_rtc.hpp"
#include "machine/pc_drives.hpp"

using namespace x86lab;
using machine::BootDevice;
using machine::DriveCmos;
using machine::parse_boot_order;

namespace {

const devices::FloppyGeometry* format(uint64_t bytes) {
  return devices::floppy_geometry_for(bytes);
}

struct Cmos {
  bus::Clock clock;
  devices::CmosRtc rtc{clock, devices::CmosRtc::kDeterministicStart};
  uint8_t operator[](uint8_t index) const { return rtc.byte(index); }
};

// A temporary file of the given size, removed at the end of the test.
struct TempImage {
  std::string path;
  explicit TempImage(uint64_t bytes, const char* name) {
    path = (std::filesystem::temp_directory_path() /
            (std::string("x86lab_test_pc_drives_") + name + "_" + std::to_string(::getpid())))
               .string();
    std::ofstream(path, std::ios::binary).close();
    std::filesystem::resize_file(path, bytes);
  }
  ~TempImage() { std::filesystem::remove(path); }
};

}  // namespace

TEST_CASE("boot order: QEMU's letters, at most three, each device once") {
  CHECK(parse_boot_order("a") == std::vector{BootDevice::Floppy});
  CHECK(parse_boot_order("b") == std::vector{BootDevice::Floppy});
  CHECK(parse_boot_order("cad") ==
        std::vector{BootDevice::HardDisk, BootDevice::Floppy, BootDevice::CdRom});
  CHECK(parse_boot_order("dc") == std::vector{BootDevice::CdRom, BootDevice::HardDisk});
  CHECK_FALSE(parse_boot_order(""));
  CHECK_FALSE(parse_boot_order("n"));
  CHECK_FALSE(parse_boot_order("aa"));
  CHECK_FALSE(parse_boot_order("ab"));  // b is the floppy again
  CHECK_FALSE(parse_boot_order("cadc"));
  CHECK_FALSE(parse_boot_order("A"));  // the CLI lower-cases first
}

TEST_CASE("floppy drive types are the AT CMOS codes") {
  CHECK(machine::cmos_floppy_type(nullptr) == 0);
  CHECK(machine::cmos_floppy_type(format(368'640)) == 1);
  CHECK(machine::cmos_floppy_type(format(1'228'800)) == 2);
  CHECK(machine::cmos_floppy_type(format(737'280)) == 3);
  CHECK(machine::cmos_floppy_type(format(1'474'560)) == 4);
  CHECK(machine::cmos_floppy_type(format(2'949'120)) == 5);
}

TEST_CASE("CMOS: boot order in 0x3D and 0x38 as SeaBIOS's boot_init reads them") {
  Cmos cmos;
  DriveCmos drives;  // default "cad"
  machine::write_drive_cmos(cmos.rtc, drives);
  CHECK(cmos[0x3D] == 0x12);  // first hard disk (2), second floppy (1)
  CHECK(cmos[0x38] == 0x30);  // third CD-ROM (3); bit 0 clear: check the boot signature
  drives.boot_order = {BootDevice::Floppy};
  machine::write_drive_cmos(cmos.rtc, drives);
  CHECK(cmos[0x3D] == 0x01);
  CHECK(cmos[0x38] == 0x00);
  drives.boot_order = {BootDevice::CdRom, BootDevice::HardDisk};
  machine::write_drive_cmos(cmos.rtc, drives);
  CHECK(cmos[0x3D] == 0x23);
  CHECK(cmos[0x38] == 0x00);
}

TEST_CASE("CMOS: floppy types in 0x10 and the equipment byte") {
  Cmos cmos;
  DriveCmos drives;
  machine::write_drive_cmos(cmos.rtc, drives);
  CHECK(cmos[0x10] == 0x00);
  CHECK((cmos[0x14] & 0xC1) == 0x00);

  drives.floppies = {format(1'474'560), nullptr};
  machine::write_drive_cmos(cmos.rtc, drives);
  CHECK(cmos[0x10] == 0x40);
  CHECK((cmos[0x14] & 0xC1) == 0x01);

  drives.floppies = {format(737'280), format(1'228'800)};
  machine::write_drive_cmos(cmos.rtc, drives);
  CHECK(cmos[0x10] == 0x32);
  CHECK((cmos[0x14] & 0xC1) == 0x41);  // two drives: bits 7-6 = 1
}

TEST_CASE("CMOS: hard disks as type 47 with their geometry, and the translation byte") {
  Cmos cmos;
  DriveCmos drives;
  drives.disks[0] = DriveCmos::Disk{1000, 16, 63};  // 504 MiB: fits CHS
  drives.disks[1] = DriveCmos::Disk{4161, 16, 63};  // 2 GiB: needs LBA translation
  machine::write_drive_cmos(cmos.rtc, drives);
  CHECK(cmos[0x12] == 0xFF);
  CHECK(cmos[0x19] == 47);
  CHECK(cmos[0x1A] == 47);
  // hda at 0x1B: cylinders, heads, precompensation, control, landing zone, sectors.
  const std::vector<uint8_t> hda = {0xE8, 0x03, 16, 0xFF, 0xFF, 0xC8, 0xE8, 0x03, 63};
  for (unsigned i = 0; i < hda.size(); ++i) CHECK(cmos[static_cast<uint8_t>(0x1B + i)] == hda[i]);
  CHECK(cmos[0x24] == (4161 & 0xFF));
  CHECK(cmos[0x25] == (4161 >> 8));
  CHECK(cmos[0x2C] == 63);
  CHECK(cmos[0x39] == 0x04);  // ATA id 1: LBA (1) in bits 3-2; id 0: none
  // The checksum over 0x10-0x2D is kept.
  unsigned sum = 0;
  for (unsigned i = 0x10; i <= 0x2D; ++i) sum += cmos[static_cast<uint8_t>(i)];
  CHECK(cmos[0x2E] == ((sum >> 8) & 0xFF));
  CHECK(cmos[0x2F] == (sum & 0xFF));

  drives.disks = {};
  drives.disks[0] = DriveCmos::Disk{100, 4, 17};
  machine::write_drive_cmos(cmos.rtc, drives);
  CHECK(cmos[0x12] == 0xF0);
  CHECK(cmos[0x20] == 0xC0);  // 4 heads: no "more than 8 heads" bit
  CHECK(cmos[0x39] == 0x00);
}

TEST_CASE("PcDrives opens the images, reports them to the CMOS, and refuses bad ones") {
  bus::Clock clock;
  bus::PhysicalMemory memory(1 << 20);
  TempImage floppy(1'474'560, "fd");
  TempImage disk(10 * 16 * 63 * 512, "hd");
  machine::MachineConfig config;
  config.floppy[1] = floppy.path;
  config.hard_disk[0] = disk.path;
  config.snapshot = true;
  machine::PcDrives drives(clock, memory);
  drives.open(config);
  const DriveCmos cmos = drives.cmos({BootDevice::Floppy});
  CHECK(cmos.floppies[0] == nullptr);
  REQUIRE(cmos.floppies[1] != nullptr);
  CHECK(cmos.floppies[1]->bytes == 1'474'560);
  REQUIRE(cmos.disks[0].has_value());
  CHECK(cmos.disks[0]->heads == 16);
  CHECK(cmos.disks[0]->sectors_per_track == 63);
  CHECK(cmos.disks[0]->cylinders == 10);
  CHECK_FALSE(cmos.disks[1].has_value());
  CHECK(cmos.boot_order == std::vector{BootDevice::Floppy});

  // A file without write permission is write-protected, even for root.
  TempImage locked(737'280, "ro");
  std::filesystem::permissions(locked.path, std::filesystem::perms::owner_read);
  machine::MachineConfig ro;
  ro.floppy[0] = locked.path;
  machine::PcDrives protected_drives(clock, memory);
  protected_drives.open(ro);
  const auto* image = protected_drives.floppy_controller().state().drives[0].image;
  REQUIRE(image != nullptr);
  CHECK(image->access() == devices::DiskAccess::ReadOnly);
  CHECK(drives.floppy_controller().state().drives[1].image->access() ==
        devices::DiskAccess::Snapshot);

  machine::MachineConfig bad;
  TempImage odd(1000, "odd");
  bad.floppy[0] = odd.path;
  machine::PcDrives other(clock, memory);
  CHECK_THROWS_AS(other.open(bad), devices::DiskImageError);
  bad.floppy[0] = "/nonexistent/x86lab.img";
  CHECK_THROWS_AS(other.open(bad), devices::DiskImageError);
}
