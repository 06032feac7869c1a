// The PC's drives: the 8237 DMA pair, the 82077 floppy controller (IRQ6, DMA channel 2) with
// drives A: and B:, the two IDE channels (primary 0x1F0/0x3F6 IRQ14 with hda as master and
// hdb as slave, secondary 0x170/0x376 IRQ15 with the CD-ROM as master, as QEMU's -hda, -hdb
// and -cdrom place them), the disk images behind them, and the CMOS bytes SeaBIOS reads to
// find them and to choose the boot device.
//
// CMOS, as QEMU and Bochs fill it for SeaBIOS (CONFIG_QEMU; our fw_cfg has no bootorder
// file: SeaBIOS's boot_init then takes the boot order from CMOS 0x3D/0x38 and floppy_setup
// the drive types from 0x10; the ATA driver probes the channels itself and reads the CHS
// translation of each disk from 0x39):
//   0x10        floppy drive types: drive 0 in bits 7-4, drive 1 in bits 3-0 (0 none,
//               1 360K, 2 1.2M, 3 720K, 4 1.44M, 5 2.88M)
//   0x12        hard disk types: 0xF (see 0x19/0x1A) for each primary-channel disk
//   0x14        equipment byte: bit 0 floppy drives present, bits 7-6 their count - 1
//   0x19, 0x1A  extended type 47 (user-defined) for hda, hdb
//   0x1B-0x23   hda geometry: cylinders (16 bits), heads, write precompensation 0xFFFF,
//               control byte (0xC0, | 0x08 with more than 8 heads), landing zone, sectors
//   0x24-0x2C   the same for hdb
//   0x38        bits 7-4: third boot device; bit 0: skip the floppy boot-signature check (0)
//   0x39        BIOS CHS translation, 2 bits an ATA drive (0 none, 1 LBA): LBA for a disk
//               whose geometry does not fit 1024/16/63, as QEMU chooses
//   0x3D        bits 3-0 first boot device, bits 7-4 second (1 floppy, 2 hard disk, 3 CD-ROM)
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "bus/physical_memory.hpp"
#include "devices/ata.hpp"
#include "devices/cmos_rtc.hpp"
#include "devices/disk_image.hpp"
#include "devices/dma8237.hpp"
#include "devices/floppy82077.hpp"
#include "devices/pic8259.hpp"
#include "machine/machine_config.hpp"

namespace x86lab::machine {

// SeaBIOS's boot-device codes in CMOS 0x3D/0x38.
enum class BootDevice : uint8_t { Floppy = 1, HardDisk = 2, CdRom = 3 };

// QEMU's boot letters: a (floppy), c (hard disk), d (CD-ROM), up to three, each once (b is
// taken as a, as QEMU does). nullopt for anything else.
std::optional<std::vector<BootDevice>> parse_boot_order(std::string_view letters);

// CMOS 0x10 code of a floppy format (0 for none).
uint8_t cmos_floppy_type(const devices::FloppyGeometry* format);

// What the CMOS says about the drives.
struct DriveCmos {
  struct Disk {
    uint16_t cylinders = 0, heads = 0, sectors_per_track = 0;
  };
  std::array<const devices::FloppyGeometry*, 2> floppies{};  // null: no drive
  std::array<std::optional<Disk>, 4> disks{};  // by ATA id: 0 hda, 1 hdb, 2-3 secondary
  std::vector<BootDevice> boot_order{BootDevice::HardDisk, BootDevice::Floppy, BootDevice::CdRom};
};
// Writes the bytes listed at the top of this file (and the checksum).
void write_drive_cmos(devices::CmosRtc& rtc, const DriveCmos& drives);

class PcDrives {
 public:
  PcDrives(bus::Clock& clock, bus::PhysicalMemory& memory);
  PcDrives(const PcDrives&) = delete;
  PcDrives& operator=(const PcDrives&) = delete;

  // Opens the images config names (fda/fdb, hda/hdb, cdrom; snapshot or read-write) and puts
  // them in their drives. Throws devices::DiskImageError naming the file.
  void open(const MachineConfig& config);
  // Claims the ports and connects IRQ6, IRQ14 and IRQ15.
  void wire(bus::IoSpace& io, devices::Pic8259& pic);
  void reset();
  // What write_drive_cmos needs, from the open images and the disks' IDENTIFY geometry.
  DriveCmos cmos(const std::vector<BootDevice>& boot_order) const;
  // Makes completed writes durable (fdatasync of read-write images).
  void flush();

  devices::Dma8237& dma() { return dma_; }
  devices::Floppy82077& floppy_controller() { return fdc_; }
  devices::AtaChannel& primary() { return primary_; }
  devices::AtaChannel& secondary() { return secondary_; }

 private:
  devices::Dma8237 dma_;
  devices::Floppy82077 fdc_;
  devices::AtaChannel primary_;
  devices::AtaChannel secondary_;
  std::array<std::unique_ptr<devices::DiskImage>, 2> floppies_;
  std::array<std::unique_ptr<devices::DiskImage>, 2> disks_;
  std::unique_ptr<devices::DiskImage> cdrom_;
};

}  // namespace x86lab::machine
