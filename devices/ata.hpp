// One IDE/ATA channel: the command block (8 ports), the control block (alternate status /
// device control, one port), an IRQ, and two device slots (0 master, 1 slave) each holding a
// hard disk, an ATAPI CD-ROM (devices/atapi.hpp) or nothing. A PC has two channels:
// primary 0x1F0-0x1F7 + 0x3F6 on IRQ14, secondary 0x170-0x177 + 0x376 on IRQ15 (0x3F7 and
// 0x377 are left alone: 0x3F7 is the floppy controller's DIR).
//
// Hard disk commands: IDENTIFY DEVICE, READ/WRITE SECTORS (LBA28 and CHS), READ/WRITE
// SECTORS EXT (LBA48), READ/WRITE MULTIPLE (+EXT), SET MULTIPLE MODE, READ VERIFY SECTORS
// (+EXT), INITIALIZE DEVICE PARAMETERS, RECALIBRATE, SEEK, FLUSH CACHE (+EXT, an fdatasync
// of the image), SET FEATURES (PIO transfer modes, write cache and look-ahead switches),
// EXECUTE DEVICE DIAGNOSTIC, CHECK POWER MODE, the IDLE/STANDBY commands. CD-ROM: PACKET,
// IDENTIFY PACKET DEVICE, DEVICE RESET, and the same diagnostic/power/features commands; an
// ATA command for disks aborts leaving the packet signature. Anything else aborts (ERR,
// error ABRT). A transfer past the end of the medium fails with IDNF before any data moves,
// so the guest can never reach outside the image.
//
// Status follows the ATA-6 protocol: a command sets BSY for command_delay_ns on the clock,
// then either DRQ with an interrupt for each block a PIO-in command delivers, or DRQ without
// an interrupt for the first block of a PIO-out command and an interrupt after each block is
// written. Reading the status register (not the alternate status) or writing a command
// clears the pending interrupt; device control nIEN masks INTRQ, SRST resets both devices
// and leaves their signatures. The LBA48 "previous" register contents are read back with
// device control HOB. The data port takes 16- and 32-bit accesses.
//
// Not implemented: DMA (no bus master; IDENTIFY advertises none), the PIIX IDE PCI function
// (the machine's), host protected area, power states (power commands succeed and do nothing),
// overlapped/queued commands, PACKET commands that send data to the device (they fail with
// ILLEGAL REQUEST).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "bus/irq.hpp"
#include "devices/atapi.hpp"
#include "devices/disk_image.hpp"

namespace x86lab::devices {

class AtaChannel {
 public:
  static constexpr uint16_t kPrimaryBase = 0x1F0, kPrimaryControl = 0x3F6;
  static constexpr uint16_t kSecondaryBase = 0x170, kSecondaryControl = 0x376;
  static constexpr unsigned kPrimaryIrq = 14, kSecondaryIrq = 15;
  static constexpr uint32_t kSectorSize = 512;
  static constexpr unsigned kMaxMultiple = 16;  // sectors per block for READ/WRITE MULTIPLE
  static constexpr uint64_t kDefaultCommandDelayNs = 2'000;

  // Command block register offsets.
  enum : uint8_t {
    kData = 0,
    kError = 1,
    kFeatures = 1,
    kSectorCount = 2,
    kLbaLow = 3,
    kLbaMid = 4,
    kLbaHigh = 5,
    kDevice = 6,
    kStatus = 7,
    kCommand = 7
  };
  static constexpr uint8_t kStatusBsy = 0x80, kStatusDrdy = 0x40, kStatusDf = 0x20,
                           kStatusDsc = 0x10, kStatusDrq = 0x08, kStatusErr = 0x01;
  static constexpr uint8_t kErrorUnc = 0x40, kErrorIdnf = 0x10, kErrorAbrt = 0x04;
  static constexpr uint8_t kControlHob = 0x80, kControlSrst = 0x04, kControlNien = 0x02;

  enum class DeviceKind : uint8_t { None, HardDisk, Cdrom };
  enum class Transfer : uint8_t { None, PioIn, PioOut, PacketIn, PacketCommand };

  // A device's copy of the command block; both devices latch every host write.
  struct Registers {
    uint8_t features = 0, count = 0, lba_low = 0, lba_mid = 0, lba_high = 0;
    uint8_t hob_features = 0, hob_count = 0, hob_lba_low = 0, hob_lba_mid = 0, hob_lba_high = 0;
    uint8_t device = 0;
  };

  struct Device {
    DeviceKind kind = DeviceKind::None;
    DiskImage* image = nullptr;  // hard disk image (a CD's disc lives in cdrom)
    AtapiCdrom cdrom;
    Registers regs;
    uint8_t status = 0;
    uint8_t error = 0;
    bool interrupt_pending = false;
    // Geometry: the default the disk reports and the current one (INITIALIZE DEVICE PARAMETERS).
    uint16_t cylinders = 0, heads = 0, sectors_per_track = 0;
    uint16_t current_cylinders = 0, current_heads = 0, current_sectors_per_track = 0;
    uint8_t multiple = 0;  // sectors per block for READ/WRITE MULTIPLE; 0: not set
    // The command in progress.
    uint8_t command = 0;
    Transfer transfer = Transfer::None;
    std::vector<uint8_t> buffer;
    std::size_t buffer_position = 0;
    std::size_t buffer_size = 0;
    uint64_t lba = 0;            // next sector to move
    uint32_t sectors_left = 0;   // sectors not yet moved
    uint32_t block_sectors = 1;  // sectors per DRQ block
    bool lba48 = false;
    bool chs = false;
    AtapiCdrom::Reply reply;  // packet command data still to send
    uint64_t reply_position = 0;
    uint16_t byte_count_limit = 0;
  };

  struct State {
    std::array<Device, 2> devices{};
    uint8_t device_control = 0;
  };

  AtaChannel(bus::Clock& clock, uint16_t command_base, uint16_t control_port, std::string name);
  ~AtaChannel();
  AtaChannel(const AtaChannel&) = delete;
  AtaChannel& operator=(const AtaChannel&) = delete;

  // Claims command_base..+7 (data port 16/32-bit) and control_port, under the channel's name.
  void register_ports(bus::IoSpace& io);
  void connect_irq(bus::IrqLine line);
  // Hardware reset: both devices reset, signatures set, device 0 selected.
  void reset();

  // Devices, before the guest runs. unit 0 = master, 1 = slave. The image (owned by the
  // caller) must outlive the channel: a HardDisk image for a disk; a CdRom image or null (an
  // empty drive) for a CD-ROM.
  void attach_hard_disk(unsigned unit, DiskImage& image);
  void attach_cdrom(unsigned unit, DiskImage* disc);
  // Changes the disc of an attached CD-ROM at run time (null: eject).
  void insert_disc(unsigned unit, DiskImage* disc);
  void set_command_delay_ns(uint64_t ns) { command_delay_ns_ = ns; }

  uint32_t read(uint8_t reg, unsigned size);
  void write(uint8_t reg, unsigned size, uint32_t value);
  uint8_t read_alternate_status();
  void write_device_control(uint8_t value);

  // The 256 IDENTIFY (PACKET) DEVICE words the device would send.
  std::array<uint16_t, 256> identify_words(unsigned unit) const;

  const State& state() const { return state_; }
  const std::string& name() const { return name_; }

 private:
  unsigned selected() const { return (state_.devices[0].regs.device >> 4) & 1; }
  bool any_device() const;
  uint8_t visible_status(unsigned unit) const;
  void update_irq();
  void raise_interrupt(Device& d);
  void reset_device(unsigned unit);
  void set_signature(Device& d);

  void start_command(unsigned unit, uint8_t command);
  void execute(unsigned unit);
  void execute_disk_command(unsigned unit);
  void execute_packet_device_command(unsigned unit);
  void execute_diagnostic();
  void complete(Device& d, bool interrupt = true);
  void abort(Device& d, uint8_t error = kErrorAbrt);
  void schedule(unsigned unit, void (AtaChannel::*step)(unsigned));
  bool set_features(Device& d);

  // Sector transfers.
  bool address_of_command(Device& d, uint64_t& lba, uint32_t& count);
  void begin_sector_transfer(unsigned unit, bool write, unsigned block_sectors);
  void load_read_block(unsigned unit);
  void store_write_block(unsigned unit);
  void prepare_write_block(Device& d);
  void report_address(Device& d, uint64_t lba);
  void buffer_consumed(unsigned unit);

  // ATAPI.
  void run_packet(unsigned unit);
  void send_packet_chunk(unsigned unit);
  void finish_packet(Device& d);

  uint32_t read_data(unsigned size);
  void write_data(unsigned size, uint32_t value);

  bus::Clock& clock_;
  uint16_t command_base_;
  uint16_t control_port_;
  std::string name_;
  State state_;
  bus::IrqLine irq_;
  std::array<bus::EventHandle, 2> events_{};
  std::array<void (AtaChannel::*)(unsigned), 2> pending_step_{};  // what each event runs
  uint64_t command_delay_ns_ = kDefaultCommandDelayNs;
};

}  // namespace x86lab::devices
