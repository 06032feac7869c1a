#include "machine/pc_drives.hpp"

#include <algorithm>
#include <filesystem>

namespace x86lab::machine {

namespace {

using devices::AtaChannel;
using devices::DiskAccess;
using devices::DiskImage;
using devices::DiskMedium;

// CMOS registers (see pc_drives.hpp).
enum : uint8_t {
  kFloppyTypes = 0x10,
  kDiskTypes = 0x12,
  kEquipment = 0x14,
  kExtendedType0 = 0x19,
  kDiskParams0 = 0x1B,
  kDiskParams1 = 0x24,
  kBootFlag1 = 0x38,
  kTranslation = 0x39,
  kBootFlag2 = 0x3D,
};

// The 47 ("user-defined") type's nine bytes of one disk.
void write_disk_params(devices::CmosRtc& rtc, uint8_t base, const DriveCmos::Disk& disk) {
  const auto put = [&](uint8_t offset, unsigned value) {
    rtc.set_byte(static_cast<uint8_t>(base + offset), static_cast<uint8_t>(value));
  };
  put(0, disk.cylinders);
  put(1, disk.cylinders >> 8);
  put(2, disk.heads);
  put(3, 0xFF);  // write precompensation: none
  put(4, 0xFF);
  put(5, 0xC0 | (disk.heads > 8 ? 0x08 : 0));
  put(6, disk.cylinders);  // landing zone
  put(7, disk.cylinders >> 8);
  put(8, disk.sectors_per_track);
}

std::unique_ptr<DiskImage> open_image(const std::string& path, DiskMedium medium,
                                      const MachineConfig& config) {
  if (path.empty()) return nullptr;
  // A file without any write permission bit is write-protected even for root (who could
  // open it for writing anyway): the guest sees a write-protected floppy or disk.
  std::error_code ec;
  const auto perms = std::filesystem::status(path, ec).permissions();
  constexpr auto kAnyWrite = std::filesystem::perms::owner_write |
                             std::filesystem::perms::group_write |
                             std::filesystem::perms::others_write;
  const bool write_protected = !ec && (perms & kAnyWrite) == std::filesystem::perms::none;
  DiskAccess access = DiskAccess::ReadWrite;
  if (config.snapshot) {
    access = DiskAccess::Snapshot;
  } else if (medium == DiskMedium::CdRom || write_protected) {
    access = DiskAccess::ReadOnly;
  }
  return std::make_unique<DiskImage>(path, medium, access);
}

}  // namespace

std::optional<std::vector<BootDevice>> parse_boot_order(std::string_view letters) {
  if (letters.empty() || letters.size() > 3) return std::nullopt;
  std::vector<BootDevice> order;
  for (const char c : letters) {
    BootDevice device;
    switch (c) {
      case 'a':
      case 'b':
        device = BootDevice::Floppy;
        break;
      case 'c':
        device = BootDevice::HardDisk;
        break;
      case 'd':
        device = BootDevice::CdRom;
        break;
      default:
        return std::nullopt;
    }
    if (std::find(order.begin(), order.end(), device) != order.end()) return std::nullopt;
    order.push_back(device);
  }
  return order;
}

uint8_t cmos_floppy_type(const devices::FloppyGeometry* format) {
  if (!format) return 0;
  switch (format->bytes) {
    case 368'640:
      return 1;
    case 1'228'800:
      return 2;
    case 737'280:
      return 3;
    case 1'474'560:
      return 4;
    case 2'949'120:
      return 5;
    default:
      return 0;
  }
}

void write_drive_cmos(devices::CmosRtc& rtc, const DriveCmos& drives) {
  const uint8_t fd0 = cmos_floppy_type(drives.floppies[0]);
  const uint8_t fd1 = cmos_floppy_type(drives.floppies[1]);
  rtc.set_byte(kFloppyTypes, static_cast<uint8_t>(fd0 << 4 | fd1));
  const unsigned floppy_count = (fd0 != 0) + (fd1 != 0);
  uint8_t equipment = rtc.byte(kEquipment) & 0x3E;
  if (floppy_count) equipment |= static_cast<uint8_t>(0x01 | (floppy_count - 1) << 6);
  rtc.set_byte(kEquipment, equipment);

  uint8_t disk_types = 0;
  uint8_t translation = 0;
  for (unsigned id = 0; id < drives.disks.size(); ++id) {
    const auto& disk = drives.disks[id];
    if (!disk) continue;
    if (id < 2) {
      disk_types |= static_cast<uint8_t>(0xF0 >> (4 * id));
      rtc.set_byte(static_cast<uint8_t>(kExtendedType0 + id), 47);
      write_disk_params(rtc, id == 0 ? kDiskParams0 : kDiskParams1, *disk);
    }
    const bool fits_chs =
        disk->cylinders <= 1024 && disk->heads <= 16 && disk->sectors_per_track <= 63;
    if (!fits_chs) translation |= static_cast<uint8_t>(1u << (2 * id));
  }
  rtc.set_byte(kDiskTypes, disk_types);
  rtc.set_byte(kTranslation, translation);

  std::array<uint8_t, 3> code{};
  for (size_t i = 0; i < std::min<size_t>(3, drives.boot_order.size()); ++i) {
    code[i] = static_cast<uint8_t>(drives.boot_order[i]);
  }
  rtc.set_byte(kBootFlag2, static_cast<uint8_t>(code[1] << 4 | code[0]));
  rtc.set_byte(kBootFlag1, static_cast<uint8_t>(code[2] << 4));  // bit 0 clear: check signatures
  rtc.update_checksum();
}

PcDrives::PcDrives(bus::Clock& clock, bus::PhysicalMemory& memory)
    : dma_(memory),
      fdc_(clock, dma_),
      primary_(clock, AtaChannel::kPrimaryBase, AtaChannel::kPrimaryControl, "ide0"),
      secondary_(clock, AtaChannel::kSecondaryBase, AtaChannel::kSecondaryControl, "ide1") {
  // As on Bochs and QEMU, whose BIOSes (Bochs' rombios reads without seeking) and guests
  // expect it.
  fdc_.set_seek_on_transfer(true);
}

void PcDrives::open(const MachineConfig& config) {
  for (unsigned i = 0; i < 2; ++i) {
    floppies_[i] = open_image(config.floppy[i], DiskMedium::Floppy, config);
    if (floppies_[i]) fdc_.insert_disk(i, floppies_[i].get());
    disks_[i] = open_image(config.hard_disk[i], DiskMedium::HardDisk, config);
    if (disks_[i]) primary_.attach_hard_disk(i, *disks_[i]);
  }
  cdrom_ = open_image(config.cdrom, DiskMedium::CdRom, config);
  if (cdrom_) secondary_.attach_cdrom(0, cdrom_.get());
}

void PcDrives::wire(bus::IoSpace& io, devices::Pic8259& pic) {
  dma_.register_ports(io);
  fdc_.register_ports(io);
  fdc_.connect_irq(pic.line(devices::Floppy82077::kIrq));
  primary_.register_ports(io);
  primary_.connect_irq(pic.line(AtaChannel::kPrimaryIrq));
  secondary_.register_ports(io);
  secondary_.connect_irq(pic.line(AtaChannel::kSecondaryIrq));
}

void PcDrives::reset() {
  dma_.reset();
  fdc_.reset();
  primary_.reset();
  secondary_.reset();
}

DriveCmos PcDrives::cmos(const std::vector<BootDevice>& boot_order) const {
  DriveCmos out;
  out.boot_order = boot_order;
  for (unsigned i = 0; i < 2; ++i) {
    if (floppies_[i]) out.floppies[i] = floppies_[i]->floppy_geometry();
    const auto& device = primary_.state().devices[i];
    if (device.kind == AtaChannel::DeviceKind::HardDisk) {
      out.disks[i] = DriveCmos::Disk{device.cylinders, device.heads, device.sectors_per_track};
    }
  }
  return out;
}

void PcDrives::flush() {
  for (auto* group : {&floppies_, &disks_}) {
    for (auto& image : *group) {
      if (image) image->flush();
    }
  }
}

}  // namespace x86lab::machine
