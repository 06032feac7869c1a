#include "devices/ata.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace x86lab::devices {
namespace {

// Command opcodes.
enum : uint8_t {
  kCmdDeviceReset = 0x08,
  kCmdReadSectors = 0x20,
  kCmdReadSectorsNoRetry = 0x21,
  kCmdReadSectorsExt = 0x24,
  kCmdReadMultipleExt = 0x29,
  kCmdWriteSectors = 0x30,
  kCmdWriteSectorsNoRetry = 0x31,
  kCmdWriteSectorsExt = 0x34,
  kCmdWriteMultipleExt = 0x39,
  kCmdReadVerify = 0x40,
  kCmdReadVerifyNoRetry = 0x41,
  kCmdReadVerifyExt = 0x42,
  kCmdSeek = 0x70,
  kCmdExecuteDiagnostic = 0x90,
  kCmdInitializeParameters = 0x91,
  kCmdPacket = 0xA0,
  kCmdIdentifyPacket = 0xA1,
  kCmdReadMultiple = 0xC4,
  kCmdWriteMultiple = 0xC5,
  kCmdSetMultiple = 0xC6,
  kCmdStandbyImmediate = 0xE0,
  kCmdIdleImmediate = 0xE1,
  kCmdStandby = 0xE2,
  kCmdIdle = 0xE3,
  kCmdCheckPowerMode = 0xE5,
  kCmdFlushCache = 0xE7,
  kCmdFlushCacheExt = 0xEA,
  kCmdIdentify = 0xEC,
  kCmdSetFeatures = 0xEF,
};

constexpr uint8_t kDiskReady = AtaChannel::kStatusDrdy | AtaChannel::kStatusDsc;
// Interrupt reason (sector count register) of a packet device: CoD and IO.
constexpr uint8_t kReasonCommand = 0x01, kReasonToHost = 0x02, kReasonStatus = 0x03;
constexpr uint16_t kDefaultByteCountLimit = 0xFFFE;
constexpr uint8_t kDiagnosticPassed = 0x01;

// Puts text into IDENTIFY words as ATA strings: two characters a word, the first in the high
// byte, padded with spaces.
void put_string(std::array<uint16_t, 256>& w, unsigned first_word, unsigned chars,
                const std::string& text) {
  for (unsigned i = 0; i < chars; i += 2) {
    const auto at = [&](unsigned k) -> uint8_t {
      return k < text.size() ? static_cast<uint8_t>(text[k]) : uint8_t{' '};
    };
    w[first_word + i / 2] = static_cast<uint16_t>(at(i) << 8 | at(i + 1));
  }
}

void put_u32(std::array<uint16_t, 256>& w, unsigned first_word, uint32_t value) {
  w[first_word] = static_cast<uint16_t>(value);
  w[first_word + 1] = static_cast<uint16_t>(value >> 16);
}

}  // namespace

AtaChannel::AtaChannel(bus::Clock& clock, uint16_t command_base, uint16_t control_port,
                       std::string name)
    : clock_(clock),
      command_base_(command_base),
      control_port_(control_port),
      name_(std::move(name)) {
  reset();
}

AtaChannel::~AtaChannel() {
  for (auto& e : events_) clock_.cancel(e);
}

void AtaChannel::register_ports(bus::IoSpace& io) {
  io.register_ports(
      command_base_, 1, name_, bus::kIoWord | bus::kIoDword,
      [this](uint16_t, unsigned size) -> uint32_t { return read(kData, size); },
      [this](uint16_t, unsigned size, uint32_t value) { write(kData, size, value); });
  io.register_ports(
      static_cast<uint16_t>(command_base_ + 1), 7, name_, bus::kIoByte,
      [this](uint16_t port, unsigned) -> uint32_t {
        return read(static_cast<uint8_t>(port - command_base_), 1);
      },
      [this](uint16_t port, unsigned, uint32_t value) {
        write(static_cast<uint8_t>(port - command_base_), 1, value);
      });
  io.register_ports(
      control_port_, 1, name_, bus::kIoByte,
      [this](uint16_t, unsigned) -> uint32_t { return read_alternate_status(); },
      [this](uint16_t, unsigned, uint32_t value) {
        write_device_control(static_cast<uint8_t>(value));
      });
}

void AtaChannel::connect_irq(bus::IrqLine line) {
  irq_ = line;
  update_irq();
}

void AtaChannel::reset() {
  state_.device_control = 0;
  for (unsigned unit = 0; unit < 2; ++unit) {
    Device& d = state_.devices[unit];
    d.current_cylinders = d.cylinders;
    d.current_heads = d.heads;
    d.current_sectors_per_track = d.sectors_per_track;
    d.multiple = 0;
    d.cdrom.reset();
    reset_device(unit);
  }
  update_irq();
}

void AtaChannel::attach_hard_disk(unsigned unit, DiskImage& image) {
  if (unit > 1 || image.medium() != DiskMedium::HardDisk) {
    throw std::logic_error(name_ + ": a hard disk needs unit 0 or 1 and a hard disk image");
  }
  Device& d = state_.devices[unit];
  d.kind = DeviceKind::HardDisk;
  d.image = &image;
  d.buffer.assign(kMaxMultiple * kSectorSize, 0);
  // The default translation: 16 heads and 63 sectors as far as 16383 cylinders reach.
  const uint64_t total = image.sector_count(kSectorSize);
  if (total >= 16383ull * 16 * 63) {
    d.cylinders = 16383, d.heads = 16, d.sectors_per_track = 63;
  } else if (total >= 16 * 63) {
    d.cylinders = static_cast<uint16_t>(total / (16 * 63)), d.heads = 16, d.sectors_per_track = 63;
  } else {
    d.heads = 1;
    d.sectors_per_track = static_cast<uint16_t>(std::min<uint64_t>(total, 63));
    d.cylinders = static_cast<uint16_t>(total / d.sectors_per_track);
  }
  d.current_cylinders = d.cylinders;
  d.current_heads = d.heads;
  d.current_sectors_per_track = d.sectors_per_track;
  reset_device(unit);
}

void AtaChannel::attach_cdrom(unsigned unit, DiskImage* disc) {
  if (unit > 1 || (disc && disc->medium() != DiskMedium::CdRom)) {
    throw std::logic_error(name_ + ": a CD-ROM needs unit 0 or 1 and a CD-ROM image");
  }
  Device& d = state_.devices[unit];
  d.kind = DeviceKind::Cdrom;
  d.image = nullptr;
  d.cdrom = AtapiCdrom(disc);
  d.buffer.assign(kDefaultByteCountLimit, 0);
  reset_device(unit);
}

void AtaChannel::insert_disc(unsigned unit, DiskImage* disc) {
  if (unit > 1 || state_.devices[unit].kind != DeviceKind::Cdrom) return;
  state_.devices[unit].cdrom.insert(disc);
}

bool AtaChannel::any_device() const {
  return state_.devices[0].kind != DeviceKind::None || state_.devices[1].kind != DeviceKind::None;
}

void AtaChannel::set_signature(Device& d) {
  Registers& r = d.regs;
  r = Registers{};
  r.count = 1;
  r.lba_low = 1;
  if (d.kind == DeviceKind::Cdrom) {
    r.lba_mid = 0x14;
    r.lba_high = 0xEB;
  }
}

void AtaChannel::reset_device(unsigned unit) {
  Device& d = state_.devices[unit];
  clock_.cancel(events_[unit]);
  d.transfer = Transfer::None;
  d.interrupt_pending = false;
  set_signature(d);
  d.error = kDiagnosticPassed;
  d.status = d.kind == DeviceKind::HardDisk ? kDiskReady : 0;
}

uint8_t AtaChannel::visible_status(unsigned unit) const {
  const Device& d = state_.devices[unit];
  return d.kind == DeviceKind::None ? 0 : d.status;
}

void AtaChannel::update_irq() {
  const Device& d = state_.devices[selected()];
  irq_.set_level(d.interrupt_pending && !(state_.device_control & kControlNien));
}

void AtaChannel::raise_interrupt(Device& d) {
  d.interrupt_pending = true;
  update_irq();
}

uint8_t AtaChannel::read_alternate_status() {
  if (!any_device()) return 0xFF;
  return visible_status(selected());
}

void AtaChannel::write_device_control(uint8_t value) {
  const uint8_t before = state_.device_control;
  state_.device_control = value;
  if ((value & kControlSrst) && !(before & kControlSrst)) {
    for (unsigned unit = 0; unit < 2; ++unit) {
      Device& d = state_.devices[unit];
      clock_.cancel(events_[unit]);
      d.transfer = Transfer::None;
      d.interrupt_pending = false;
      if (d.kind != DeviceKind::None) d.status = kStatusBsy;
    }
  } else if (!(value & kControlSrst) && (before & kControlSrst)) {
    for (unsigned unit = 0; unit < 2; ++unit) {
      state_.devices[unit].cdrom.reset();
      reset_device(unit);
    }
  }
  update_irq();
}

uint32_t AtaChannel::read(uint8_t reg, unsigned size) {
  if (!any_device()) return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
  if (reg == kData) return read_data(size);
  const unsigned unit = selected();
  Device& d = state_.devices[unit];
  const Registers& r = d.regs;
  const bool hob = state_.device_control & kControlHob;
  switch (reg) {
    case kError:
      return d.kind == DeviceKind::None ? 0 : d.error;
    case kSectorCount:
      return hob ? r.hob_count : r.count;
    case kLbaLow:
      return hob ? r.hob_lba_low : r.lba_low;
    case kLbaMid:
      return hob ? r.hob_lba_mid : r.lba_mid;
    case kLbaHigh:
      return hob ? r.hob_lba_high : r.lba_high;
    case kDevice:
      return r.device;
    case kStatus: {
      const uint8_t status = visible_status(unit);
      d.interrupt_pending = false;
      update_irq();
      return status;
    }
    default:
      return 0xFF;
  }
}

void AtaChannel::write(uint8_t reg, unsigned size, uint32_t value) {
  if (reg == kData) {
    write_data(size, value);
    return;
  }
  const auto v = static_cast<uint8_t>(value);
  state_.device_control &= static_cast<uint8_t>(~kControlHob);
  if (reg == kCommand) {
    const unsigned unit = selected();
    Device& d = state_.devices[unit];
    if (d.kind == DeviceKind::None) return;
    const bool device_reset = d.kind == DeviceKind::Cdrom && v == kCmdDeviceReset;
    if ((d.status & kStatusBsy) && !device_reset) return;  // busy: the command is lost
    start_command(unit, v);
    return;
  }
  // Both devices latch the command block; the previous value becomes the HOB byte.
  for (Device& d : state_.devices) {
    Registers& r = d.regs;
    switch (reg) {
      case kFeatures:
        r.hob_features = std::exchange(r.features, v);
        break;
      case kSectorCount:
        r.hob_count = std::exchange(r.count, v);
        break;
      case kLbaLow:
        r.hob_lba_low = std::exchange(r.lba_low, v);
        break;
      case kLbaMid:
        r.hob_lba_mid = std::exchange(r.lba_mid, v);
        break;
      case kLbaHigh:
        r.hob_lba_high = std::exchange(r.lba_high, v);
        break;
      case kDevice:
        r.device = v;
        break;
      default:
        break;
    }
  }
  if (reg == kDevice) update_irq();  // INTRQ follows the selected device
}

void AtaChannel::start_command(unsigned unit, uint8_t command) {
  Device& d = state_.devices[unit];
  clock_.cancel(events_[unit]);
  d.command = command;
  d.interrupt_pending = false;
  d.transfer = Transfer::None;
  update_irq();
  if (d.kind == DeviceKind::Cdrom && command == kCmdDeviceReset) {
    d.cdrom.reset();
    reset_device(unit);  // at once, without an interrupt
    return;
  }
  d.status = kStatusBsy;
  d.error = 0;
  schedule(unit, &AtaChannel::execute);
}

void AtaChannel::schedule(unsigned unit, void (AtaChannel::*step)(unsigned)) {
  Device& d = state_.devices[unit];
  d.status = static_cast<uint8_t>((d.status & ~(kStatusDrq | kStatusErr)) | kStatusBsy);
  clock_.cancel(events_[unit]);
  pending_step_[unit] = step;
  events_[unit] = clock_.schedule(clock_.now() + command_delay_ns_, [this, unit](uint64_t) {
    events_[unit] = {};
    (this->*pending_step_[unit])(unit);
  });
}

void AtaChannel::complete(Device& d, bool interrupt) {
  d.transfer = Transfer::None;
  d.status = d.kind == DeviceKind::HardDisk ? kDiskReady : kStatusDrdy;
  if (interrupt) raise_interrupt(d);
}

void AtaChannel::abort(Device& d, uint8_t error) {
  d.transfer = Transfer::None;
  d.error = error;
  d.status = static_cast<uint8_t>((d.kind == DeviceKind::HardDisk ? kDiskReady : kStatusDrdy) |
                                  kStatusErr);
  raise_interrupt(d);
}

void AtaChannel::execute(unsigned unit) {
  Device& d = state_.devices[unit];
  if (d.command == kCmdExecuteDiagnostic) {
    execute_diagnostic();
  } else if (d.kind == DeviceKind::HardDisk) {
    execute_disk_command(unit);
  } else {
    execute_packet_device_command(unit);
  }
}

// Both devices run their diagnostics and leave their signatures; device 0 interrupts.
void AtaChannel::execute_diagnostic() {
  for (unsigned unit = 0; unit < 2; ++unit) reset_device(unit);
  raise_interrupt(state_.devices[0]);
}

bool AtaChannel::set_features(Device& d) {
  switch (d.regs.features) {
    case 0x03: {  // set transfer mode: PIO only (no DMA engine)
      const uint8_t mode = d.regs.count;
      return mode <= 0x01 || (mode >= 0x08 && mode <= 0x0C);
    }
    case 0x02:  // write cache on / off: writes reach the file either way
    case 0x82:
    case 0x55:  // read look-ahead off / on
    case 0xAA:
    case 0x66:  // keep / revert to power-on defaults
    case 0xCC:
      return true;
    default:
      return false;
  }
}

void AtaChannel::execute_disk_command(unsigned unit) {
  Device& d = state_.devices[unit];
  d.lba48 = false;
  switch (d.command) {
    case kCmdIdentify: {
      const auto words = identify_words(unit);
      for (unsigned i = 0; i < 256; ++i) {
        d.buffer[2 * i] = static_cast<uint8_t>(words[i]);
        d.buffer[2 * i + 1] = static_cast<uint8_t>(words[i] >> 8);
      }
      d.sectors_left = 0;
      d.buffer_size = kSectorSize;
      d.buffer_position = 0;
      d.transfer = Transfer::PioIn;
      d.status = kDiskReady | kStatusDrq;
      raise_interrupt(d);
      return;
    }
    case kCmdReadSectors:
    case kCmdReadSectorsNoRetry:
      return begin_sector_transfer(unit, false, 1);
    case kCmdReadSectorsExt:
      d.lba48 = true;
      return begin_sector_transfer(unit, false, 1);
    case kCmdWriteSectors:
    case kCmdWriteSectorsNoRetry:
      return begin_sector_transfer(unit, true, 1);
    case kCmdWriteSectorsExt:
      d.lba48 = true;
      return begin_sector_transfer(unit, true, 1);
    case kCmdReadMultiple:
    case kCmdReadMultipleExt:
    case kCmdWriteMultiple:
    case kCmdWriteMultipleExt: {
      if (d.multiple == 0) return abort(d);
      d.lba48 = d.command == kCmdReadMultipleExt || d.command == kCmdWriteMultipleExt;
      const bool write = d.command == kCmdWriteMultiple || d.command == kCmdWriteMultipleExt;
      return begin_sector_transfer(unit, write, d.multiple);
    }
    case kCmdReadVerify:
    case kCmdReadVerifyNoRetry:
    case kCmdReadVerifyExt: {
      d.lba48 = d.command == kCmdReadVerifyExt;
      uint64_t lba = 0;
      uint32_t count = 0;
      if (!address_of_command(d, lba, count)) return abort(d, kErrorIdnf);
      report_address(d, lba + count - 1);
      return complete(d);
    }
    case kCmdSetMultiple: {
      const uint8_t n = d.regs.count;
      if (n > kMaxMultiple || (n & (n - 1)) != 0) return abort(d);
      d.multiple = n;
      return complete(d);
    }
    case kCmdInitializeParameters: {
      const uint16_t sectors = d.regs.count;
      const uint16_t heads = static_cast<uint16_t>((d.regs.device & 0x0F) + 1);
      if (sectors == 0) return abort(d);
      const uint64_t cylinders = d.image->sector_count(kSectorSize) / (heads * sectors);
      d.current_heads = heads;
      d.current_sectors_per_track = sectors;
      d.current_cylinders = static_cast<uint16_t>(std::min<uint64_t>(cylinders, 65535));
      return complete(d);
    }
    case kCmdSeek:
    case kCmdStandbyImmediate:
    case kCmdIdleImmediate:
    case kCmdStandby:
    case kCmdIdle:
      return complete(d);
    case kCmdCheckPowerMode:
      d.regs.count = 0xFF;  // active or idle
      return complete(d);
    case kCmdFlushCache:
    case kCmdFlushCacheExt:
      if (d.image->flush() != DiskStatus::Ok) return abort(d);
      return complete(d);
    case kCmdSetFeatures:
      return set_features(d) ? complete(d) : abort(d);
    default:
      if (d.command >= 0x10 && d.command <= 0x1F) return complete(d);  // RECALIBRATE
      return abort(d);  // includes PACKET, IDENTIFY PACKET DEVICE and DMA commands
  }
}

void AtaChannel::execute_packet_device_command(unsigned unit) {
  Device& d = state_.devices[unit];
  switch (d.command) {
    case kCmdPacket: {
      if (d.regs.features & 0x01) return abort(d);  // DMA requested: there is no DMA engine
      uint16_t limit = static_cast<uint16_t>(d.regs.lba_high << 8 | d.regs.lba_mid);
      if (limit == 0 || limit == 0xFFFF) limit = kDefaultByteCountLimit;
      limit = static_cast<uint16_t>(std::max<uint16_t>(limit & ~1u, 2));
      d.byte_count_limit = limit;
      d.buffer_size = AtapiCdrom::kPacketSize;
      d.buffer_position = 0;
      d.transfer = Transfer::PacketCommand;
      d.regs.count = static_cast<uint8_t>((d.regs.count & 0xF8) | kReasonCommand);
      d.status = kStatusDrdy | kStatusDrq;  // no interrupt: the host polls for DRQ
      return;
    }
    case kCmdIdentifyPacket: {
      const auto words = identify_words(unit);
      for (unsigned i = 0; i < 256; ++i) {
        d.buffer[2 * i] = static_cast<uint8_t>(words[i]);
        d.buffer[2 * i + 1] = static_cast<uint8_t>(words[i] >> 8);
      }
      d.sectors_left = 0;
      d.buffer_size = kSectorSize;
      d.buffer_position = 0;
      d.transfer = Transfer::PioIn;
      d.status = kStatusDrdy | kStatusDrq;
      raise_interrupt(d);
      return;
    }
    case kCmdSetFeatures:
      return set_features(d) ? complete(d) : abort(d);
    case kCmdCheckPowerMode:
      d.regs.count = 0xFF;
      return complete(d);
    case kCmdStandbyImmediate:
    case kCmdIdleImmediate:
    case kCmdStandby:
    case kCmdIdle:
      return complete(d);
    default:
      // IDENTIFY DEVICE and the disk commands: abort, leaving the packet signature so the
      // host learns what it talks to.
      set_signature(d);
      return abort(d);
  }
}

// The LBA and sector count the command registers name, checked against the disk.
bool AtaChannel::address_of_command(Device& d, uint64_t& lba, uint32_t& count) {
  const Registers& r = d.regs;
  d.chs = false;
  if (d.lba48) {
    lba = uint64_t{r.hob_lba_high} << 40 | uint64_t{r.hob_lba_mid} << 32 |
          uint64_t{r.hob_lba_low} << 24 | uint64_t{r.lba_high} << 16 | uint64_t{r.lba_mid} << 8 |
          r.lba_low;
    count = uint32_t{r.hob_count} << 8 | r.count;
    if (count == 0) count = 65536;
  } else {
    count = r.count ? r.count : 256;
    if (r.device & 0x40) {
      lba = uint64_t{r.device & 0x0Fu} << 24 | uint64_t{r.lba_high} << 16 |
            uint64_t{r.lba_mid} << 8 | r.lba_low;
    } else {
      d.chs = true;
      const uint32_t cylinder = uint32_t{r.lba_high} << 8 | r.lba_mid;
      const uint32_t head = r.device & 0x0F;
      const uint32_t sector = r.lba_low;
      if (sector == 0 || sector > d.current_sectors_per_track || head >= d.current_heads ||
          cylinder >= d.current_cylinders) {
        return false;
      }
      lba = (uint64_t{cylinder} * d.current_heads + head) * d.current_sectors_per_track +
            (sector - 1);
    }
  }
  const uint64_t total = d.image->sector_count(kSectorSize);
  return lba < total && count <= total - lba;
}

// Leaves the address of a sector in the command block, in the form the command used.
void AtaChannel::report_address(Device& d, uint64_t lba) {
  Registers& r = d.regs;
  if (d.chs) {
    const uint32_t per_cylinder = uint32_t{d.current_heads} * d.current_sectors_per_track;
    const auto cylinder = static_cast<uint32_t>(lba / per_cylinder);
    const auto head = static_cast<uint8_t>((lba / d.current_sectors_per_track) % d.current_heads);
    r.lba_low = static_cast<uint8_t>(lba % d.current_sectors_per_track + 1);
    r.lba_mid = static_cast<uint8_t>(cylinder);
    r.lba_high = static_cast<uint8_t>(cylinder >> 8);
    r.device = static_cast<uint8_t>((r.device & 0xF0) | head);
    return;
  }
  r.lba_low = static_cast<uint8_t>(lba);
  r.lba_mid = static_cast<uint8_t>(lba >> 8);
  r.lba_high = static_cast<uint8_t>(lba >> 16);
  if (d.lba48) {
    r.hob_lba_low = static_cast<uint8_t>(lba >> 24);
    r.hob_lba_mid = static_cast<uint8_t>(lba >> 32);
    r.hob_lba_high = static_cast<uint8_t>(lba >> 40);
  } else {
    r.device = static_cast<uint8_t>((r.device & 0xF0) | ((lba >> 24) & 0x0F));
  }
}

void AtaChannel::begin_sector_transfer(unsigned unit, bool write, unsigned block_sectors) {
  Device& d = state_.devices[unit];
  uint64_t lba = 0;
  uint32_t count = 0;
  if (!address_of_command(d, lba, count)) return abort(d, kErrorIdnf);
  if (write && !d.image->writable()) return abort(d);
  d.lba = lba;
  d.sectors_left = count;
  d.block_sectors = block_sectors;
  if (write) {
    prepare_write_block(d);  // DRQ for the first block, without an interrupt
  } else {
    load_read_block(unit);
  }
}

void AtaChannel::load_read_block(unsigned unit) {
  Device& d = state_.devices[unit];
  const uint32_t n = std::min(d.sectors_left, d.block_sectors);
  const std::span<uint8_t> block(d.buffer.data(), std::size_t{n} * kSectorSize);
  if (d.image->read_sectors(d.lba, kSectorSize, block) != DiskStatus::Ok) {
    report_address(d, d.lba);
    return abort(d, kErrorUnc);
  }
  report_address(d, d.lba + n - 1);
  d.lba += n;
  d.sectors_left -= n;
  d.regs.count = static_cast<uint8_t>(d.sectors_left);
  if (d.lba48) d.regs.hob_count = static_cast<uint8_t>(d.sectors_left >> 8);
  d.buffer_size = block.size();
  d.buffer_position = 0;
  d.transfer = Transfer::PioIn;
  d.status = kDiskReady | kStatusDrq;
  raise_interrupt(d);
}

void AtaChannel::prepare_write_block(Device& d) {
  const uint32_t n = std::min(d.sectors_left, d.block_sectors);
  d.buffer_size = std::size_t{n} * kSectorSize;
  d.buffer_position = 0;
  d.transfer = Transfer::PioOut;
  d.status = kDiskReady | kStatusDrq;
}

void AtaChannel::store_write_block(unsigned unit) {
  Device& d = state_.devices[unit];
  const auto n = static_cast<uint32_t>(d.buffer_size / kSectorSize);
  if (d.image->write_sectors(d.lba, kSectorSize, {d.buffer.data(), d.buffer_size}) !=
      DiskStatus::Ok) {
    report_address(d, d.lba);
    return abort(d);
  }
  report_address(d, d.lba + n - 1);
  d.lba += n;
  d.sectors_left -= n;
  d.regs.count = static_cast<uint8_t>(d.sectors_left);
  if (d.lba48) d.regs.hob_count = static_cast<uint8_t>(d.sectors_left >> 8);
  if (d.sectors_left > 0) {
    prepare_write_block(d);
    raise_interrupt(d);
  } else {
    complete(d);
  }
}

// The host has read or written the whole buffer.
void AtaChannel::buffer_consumed(unsigned unit) {
  Device& d = state_.devices[unit];
  switch (d.transfer) {
    case Transfer::PioIn:
      if (d.sectors_left > 0) {
        d.transfer = Transfer::None;
        schedule(unit, &AtaChannel::load_read_block);
      } else {
        complete(d, false);  // the last block of a PIO-in command raises no interrupt
      }
      break;
    case Transfer::PioOut:
      d.transfer = Transfer::None;
      schedule(unit, &AtaChannel::store_write_block);
      break;
    case Transfer::PacketCommand:
      d.transfer = Transfer::None;
      schedule(unit, &AtaChannel::run_packet);
      break;
    case Transfer::PacketIn:
      d.transfer = Transfer::None;
      if (d.reply_position < d.reply.size()) {
        schedule(unit, &AtaChannel::send_packet_chunk);
      } else {
        finish_packet(d);
      }
      break;
    case Transfer::None:
      break;
  }
}

uint32_t AtaChannel::read_data(unsigned size) {
  const unsigned unit = selected();
  Device& d = state_.devices[unit];
  const bool in = d.transfer == Transfer::PioIn || d.transfer == Transfer::PacketIn;
  if (!in || !(d.status & kStatusDrq)) return size == 4 ? 0xFFFFFFFFu : 0xFFFFu;
  uint32_t value = 0;
  for (unsigned i = 0; i < size; ++i) {
    const uint8_t b = d.buffer_position < d.buffer_size ? d.buffer[d.buffer_position] : 0;
    ++d.buffer_position;
    value |= uint32_t{b} << (8 * i);
  }
  if (d.buffer_position >= d.buffer_size) buffer_consumed(unit);
  return value;
}

void AtaChannel::write_data(unsigned size, uint32_t value) {
  const unsigned unit = selected();
  Device& d = state_.devices[unit];
  const bool out = d.transfer == Transfer::PioOut || d.transfer == Transfer::PacketCommand;
  if (!out || !(d.status & kStatusDrq)) return;
  for (unsigned i = 0; i < size && d.buffer_position < d.buffer_size; ++i) {
    d.buffer[d.buffer_position++] = static_cast<uint8_t>(value >> (8 * i));
  }
  if (d.buffer_position >= d.buffer_size) buffer_consumed(unit);
}

void AtaChannel::run_packet(unsigned unit) {
  Device& d = state_.devices[unit];
  std::array<uint8_t, AtapiCdrom::kPacketSize> packet{};
  std::memcpy(packet.data(), d.buffer.data(), packet.size());
  if (!d.cdrom.execute(packet, d.reply)) {
    const AtapiCdrom::Sense& sense = d.cdrom.sense();
    const uint8_t abrt = sense.key == AtapiCdrom::kIllegalRequest ? kErrorAbrt : 0;
    d.regs.count = static_cast<uint8_t>((d.regs.count & 0xF8) | kReasonStatus);
    return abort(d, static_cast<uint8_t>(sense.key << 4 | abrt));
  }
  d.reply_position = 0;
  if (d.reply.size() == 0) return finish_packet(d);
  send_packet_chunk(unit);
}

// One DRQ block of a packet command's data: at most the byte count limit.
void AtaChannel::send_packet_chunk(unsigned unit) {
  Device& d = state_.devices[unit];
  const uint64_t remaining = d.reply.size() - d.reply_position;
  const auto n = static_cast<std::size_t>(std::min<uint64_t>(remaining, d.byte_count_limit));
  const std::size_t inline_size = d.reply.inline_data.size();
  std::size_t filled = 0;
  if (d.reply_position < inline_size) {
    filled = std::min(n, inline_size - static_cast<std::size_t>(d.reply_position));
    std::memcpy(d.buffer.data(), d.reply.inline_data.data() + d.reply_position, filled);
  }
  if (filled < n) {
    const uint64_t offset = d.reply.disc_offset + (d.reply_position + filled - inline_size);
    if (d.cdrom.read_disc(offset, {d.buffer.data() + filled, n - filled}) != DiskStatus::Ok) {
      d.regs.count = static_cast<uint8_t>((d.regs.count & 0xF8) | kReasonStatus);
      return abort(d, 0x03 << 4);  // MEDIUM ERROR
    }
  }
  d.reply_position += n;
  d.regs.lba_mid = static_cast<uint8_t>(n);
  d.regs.lba_high = static_cast<uint8_t>(n >> 8);
  d.regs.count = static_cast<uint8_t>((d.regs.count & 0xF8) | kReasonToHost);
  d.buffer_size = n;
  d.buffer_position = 0;
  d.transfer = Transfer::PacketIn;
  d.status = kStatusDrdy | kStatusDrq;
  raise_interrupt(d);
}

void AtaChannel::finish_packet(Device& d) {
  d.regs.count = static_cast<uint8_t>((d.regs.count & 0xF8) | kReasonStatus);
  complete(d);
}

std::array<uint16_t, 256> AtaChannel::identify_words(unsigned unit) const {
  std::array<uint16_t, 256> w{};
  const Device& d = state_.devices[unit & 1];
  const std::string serial = "X86LAB-" + name_ + "-" + std::to_string(unit);
  put_string(w, 23, 8, "0.1.0");
  put_string(w, 10, 20, serial);
  w[49] = 0x0A00;  // LBA, IORDY; no DMA
  w[50] = 0x4000;
  w[53] = 0x0003;  // words 54-58 and 64-70 valid
  w[64] = 0x0003;  // PIO modes 3 and 4
  w[65] = w[66] = w[67] = w[68] = 120;
  w[84] = w[87] = 0x4000;
  if (d.kind == DeviceKind::Cdrom) {
    w[0] = 0x85C0;  // ATAPI, CD-ROM, removable, accelerated DRQ, 12-byte packets
    put_string(w, 27, 40, "x86lab ATAPI CD-ROM");
    w[53] = 0x0002;
    w[80] = 0x0070;          // ATA/ATAPI-4 to -6
    w[82] = w[85] = 0x0210;  // PACKET and DEVICE RESET
    w[83] = 0x4000;
    return w;
  }
  if (d.kind != DeviceKind::HardDisk) return w;
  const uint64_t total = d.image->sector_count(kSectorSize);
  w[0] = 0x0040;  // fixed device
  w[1] = d.cylinders;
  w[3] = d.heads;
  w[6] = d.sectors_per_track;
  put_string(w, 27, 40, "x86lab HARDDISK");
  w[47] = 0x8000 | kMaxMultiple;
  w[51] = 0x0200;  // PIO timing mode 2
  w[54] = d.current_cylinders;
  w[55] = d.current_heads;
  w[56] = d.current_sectors_per_track;
  put_u32(w, 57,
          static_cast<uint32_t>(std::min<uint64_t>(
              uint64_t{d.current_cylinders} * d.current_heads * d.current_sectors_per_track,
              0xFFFFFFFFu)));
  w[59] = d.multiple ? static_cast<uint16_t>(0x0100 | d.multiple) : 0;
  put_u32(w, 60, static_cast<uint32_t>(std::min<uint64_t>(total, 0x0FFFFFFF)));
  w[80] = 0x007E;  // ATA-1 to ATA-6
  w[83] = 0x7400;  // FLUSH CACHE EXT, FLUSH CACHE, 48-bit addresses
  w[86] = 0x3400;
  for (unsigned i = 0; i < 4; ++i) w[100 + i] = static_cast<uint16_t>(total >> (16 * i));
  return w;
}

}  // namespace x86lab::devices
