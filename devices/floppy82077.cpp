#include "devices/floppy82077.hpp"

#include <utility>

namespace x86lab::devices {
namespace {

enum class Command : uint8_t {
  ReadData,
  WriteData,
  ReadId,
  FormatTrack,
  Specify,
  SenseDriveStatus,
  SenseInterrupt,
  Recalibrate,
  Seek,
  Version,
  Configure,
  Lock,
  Dumpreg,
  Perpendicular,
  Invalid,
};

// The command an opcode byte names; MT, MFM and SK bits are allowed where the command has them.
Command identify(uint8_t op) {
  if ((op & 0x1F) == 0x06) return Command::ReadData;
  if ((op & 0x3F) == 0x05) return Command::WriteData;
  if ((op & 0xBF) == 0x0A) return Command::ReadId;
  if ((op & 0xBF) == 0x0D) return Command::FormatTrack;
  if ((op & 0x7F) == 0x14) return Command::Lock;
  switch (op) {
    case 0x03:
      return Command::Specify;
    case 0x04:
      return Command::SenseDriveStatus;
    case 0x07:
      return Command::Recalibrate;
    case 0x08:
      return Command::SenseInterrupt;
    case 0x0E:
      return Command::Dumpreg;
    case 0x0F:
      return Command::Seek;
    case 0x10:
      return Command::Version;
    case 0x12:
      return Command::Perpendicular;
    case 0x13:
      return Command::Configure;
    default:
      return Command::Invalid;
  }
}

// Bytes in the command phase, opcode included.
std::size_t length_of(Command c) {
  switch (c) {
    case Command::ReadData:
    case Command::WriteData:
      return 9;
    case Command::FormatTrack:
      return 6;
    case Command::Configure:
      return 4;
    case Command::Specify:
    case Command::Seek:
      return 3;
    case Command::ReadId:
    case Command::SenseDriveStatus:
    case Command::Recalibrate:
    case Command::Perpendicular:
      return 2;
    default:
      return 1;
  }
}

// Status register bits.
constexpr uint8_t kSt0Abnormal = 0x40, kSt0Invalid = 0x80, kSt0Polling = 0xC0, kSt0SeekEnd = 0x20,
                  kSt0EquipmentCheck = 0x10;
constexpr uint8_t kSt1EndOfCylinder = 0x80, kSt1DataError = 0x20, kSt1Overrun = 0x10,
                  kSt1NoData = 0x04, kSt1NotWritable = 0x02, kSt1MissingAddressMark = 0x01;
constexpr uint8_t kSt2DataErrorInData = 0x20, kSt2WrongCylinder = 0x10, kSt2BadCylinder = 0x02;
constexpr uint8_t kSt3WriteProtect = 0x40, kSt3Track0 = 0x10, kSt3AlwaysOne = 0x28;
constexpr uint8_t kConfigImpliedSeek = 0x40, kConfigPollingDisabled = 0x10;
constexpr uint32_t kSectorBytes = 512;
constexpr uint8_t kSectorSizeCode = 2;  // N: 128 << 2 = 512

}  // namespace

Floppy82077::Floppy82077(bus::Clock& clock, Dma8237& dma) : clock_(clock), dma_(dma) { reset(); }

Floppy82077::~Floppy82077() {
  clock_.cancel(execution_event_);
  clock_.cancel(reset_event_);
  for (auto& e : seek_events_) clock_.cancel(e);
}

void Floppy82077::register_ports(bus::IoSpace& io, uint16_t base) {
  auto reader = [this, base](uint16_t port, unsigned) -> uint32_t {
    return read(static_cast<uint8_t>(port - base));
  };
  auto writer = [this, base](uint16_t port, unsigned, uint32_t value) {
    write(static_cast<uint8_t>(port - base), static_cast<uint8_t>(value));
  };
  io.register_ports(base, 6, "fdc", bus::kIoByte, reader, writer);
  io.register_ports(static_cast<uint16_t>(base + 7), 1, "fdc", bus::kIoByte, reader, writer);
}

void Floppy82077::connect_irq(bus::IrqLine line) {
  irq_ = line;
  update_irq();
}

void Floppy82077::reset() {
  std::array<Drive, kDrives> drives = state_.drives;
  clock_.cancel(reset_event_);
  state_ = State{};
  for (unsigned i = 0; i < kDrives; ++i) {
    state_.drives[i].image = drives[i].image;
    state_.drives[i].disk_changed = drives[i].disk_changed;
  }
  enter_reset();
}

void Floppy82077::insert_disk(unsigned drive, DiskImage* image) {
  if (drive >= kDrives) return;
  state_.drives[drive].image = image;
  state_.drives[drive].disk_changed = true;
}

void Floppy82077::set_interrupt(bool pending) {
  state_.interrupt_pending = pending;
  update_irq();
}

// In AT mode the DMA gate bit of the DOR also gates the interrupt output.
void Floppy82077::update_irq() {
  irq_.set_level(state_.interrupt_pending && (state_.dor & kDorDmaGate));
}

void Floppy82077::enter_reset() {
  clock_.cancel(execution_event_);
  clock_.cancel(reset_event_);
  for (auto& e : seek_events_) clock_.cancel(e);
  state_.phase = Phase::Command;
  state_.command.clear();
  state_.result.clear();
  state_.result_index = 0;
  state_.drive_busy = 0;
  state_.interrupt_status.clear();
  state_.perpendicular &= 0x3C;  // GAP and WGATE clear; the drive bits survive
  if (!state_.locked) {
    state_.config = 0x20;
    state_.pretrack = 0;
  }
  set_interrupt(false);
}

// Leaving reset, the controller polls the four drives and reports each as "ready changed".
void Floppy82077::leave_reset() {
  if (state_.config & kConfigPollingDisabled) return;
  clock_.cancel(reset_event_);
  reset_event_ = clock_.schedule(clock_.now() + execution_delay_ns_, [this](uint64_t) {
    reset_event_ = {};
    state_.interrupt_status.clear();
    for (uint8_t d = 0; d < 4; ++d) {
      const uint8_t pcn = d < kDrives ? state_.drives[d].cylinder : 0;
      state_.interrupt_status.push_back({static_cast<uint8_t>(kSt0Polling | d), pcn});
    }
    set_interrupt(true);
  });
}

void Floppy82077::write_dor(uint8_t value) {
  const bool was_running = state_.dor & kDorReset;
  state_.dor = value;
  const bool running = value & kDorReset;
  if (was_running && !running) enter_reset();
  if (!was_running && running) leave_reset();
  update_irq();
}

uint8_t Floppy82077::main_status() const {
  if (!(state_.dor & kDorReset)) return 0;
  uint8_t msr = state_.drive_busy;
  switch (state_.phase) {
    case Phase::Command:
      msr |= kMsrRqm;
      if (!state_.command.empty()) msr |= kMsrBusy;
      break;
    case Phase::Execution:
      msr |= kMsrBusy;
      break;
    case Phase::Result:
      msr |= kMsrRqm | kMsrDio | kMsrBusy;
      break;
  }
  return msr;
}

uint8_t Floppy82077::read(uint8_t offset) {
  switch (offset) {
    case kDor:
      return state_.dor;
    case kTdr:
      return state_.tdr;
    case kMsr:
      return main_status();
    case kFifo:
      return read_fifo();
    case kDir: {
      const unsigned selected = state_.dor & 3;
      const bool changed = selected < kDrives && state_.drives[selected].disk_changed;
      return changed ? 0x80 : 0x00;
    }
    default:
      return 0xFF;  // SRA/SRB exist in PS/2 mode only
  }
}

void Floppy82077::write(uint8_t offset, uint8_t value) {
  switch (offset) {
    case kDor:
      write_dor(value);
      break;
    case kTdr:
      state_.tdr = value & 3;
      break;
    case kDsr:
      state_.data_rate = value & 3;
      state_.precompensation = (value >> 2) & 7;
      if (value & 0x80) {  // software reset, clears itself
        enter_reset();
        if (state_.dor & kDorReset) leave_reset();
      }
      break;
    case kFifo:
      write_fifo(value);
      break;
    case kCcr:
      state_.data_rate = value & 3;
      break;
    default:
      break;
  }
}

uint8_t Floppy82077::read_fifo() {
  if (!(state_.dor & kDorReset) || state_.phase != Phase::Result) return 0xFF;
  if (state_.result_index == 0 && state_.result_clears_interrupt) set_interrupt(false);
  const uint8_t value = state_.result[state_.result_index++];
  if (state_.result_index == state_.result.size()) {
    state_.phase = Phase::Command;
    state_.result.clear();
    state_.result_index = 0;
  }
  return value;
}

void Floppy82077::write_fifo(uint8_t value) {
  if (!(state_.dor & kDorReset) || state_.phase != Phase::Command) return;
  if (state_.command.empty()) state_.command_length = length_of(identify(value));
  state_.command.push_back(value);
  if (state_.command.size() == state_.command_length) execute_command();
}

void Floppy82077::finish_with_result(std::vector<uint8_t> result, bool interrupt) {
  state_.command.clear();
  state_.result = std::move(result);
  state_.result_index = 0;
  state_.phase = Phase::Result;
  state_.result_clears_interrupt = interrupt;
  if (interrupt) set_interrupt(true);
}

void Floppy82077::schedule_execution() {
  state_.phase = Phase::Execution;
  clock_.cancel(execution_event_);
  execution_event_ = clock_.schedule(clock_.now() + execution_delay_ns_, [this](uint64_t) {
    execution_event_ = {};
    const Command c = identify(state_.command[0]);
    if (c == Command::ReadData || c == Command::WriteData) {
      read_write_data(c == Command::WriteData);
    } else if (c == Command::ReadId) {
      read_id();
    } else {
      format_track();
    }
  });
}

void Floppy82077::seek(unsigned drive, uint8_t head, uint8_t cylinder, bool recalibrate) {
  state_.drive_busy |= static_cast<uint8_t>(1u << drive);
  state_.command.clear();
  state_.phase = Phase::Command;  // the controller takes new commands while the drive steps
  auto complete = [this, drive, head, cylinder, recalibrate](uint64_t) {
    uint8_t st0 = static_cast<uint8_t>(kSt0SeekEnd | head << 2 | drive);
    uint8_t pcn = cylinder;
    seek_events_[drive] = {};
    if (drive < kDrives) {
      Drive& d = state_.drives[drive];
      d.cylinder = cylinder;
      if (d.image) d.disk_changed = false;  // a step pulse with a disk in resets the line
    } else if (recalibrate) {
      st0 |= kSt0Abnormal | kSt0EquipmentCheck;  // drives 2-3 are not cabled: no track 0
      pcn = 0;
    }
    state_.interrupt_status.push_back({st0, pcn});
    set_interrupt(true);
  };
  clock_.cancel(seek_events_[drive]);
  seek_events_[drive] = clock_.schedule(clock_.now() + execution_delay_ns_, complete);
}

void Floppy82077::execute_command() {
  const std::vector<uint8_t>& cmd = state_.command;
  switch (identify(cmd[0])) {
    case Command::ReadData:
    case Command::WriteData:
    case Command::ReadId:
    case Command::FormatTrack:
      schedule_execution();
      return;
    case Command::Specify:
      state_.step_rate_head_unload = cmd[1];
      state_.head_load_non_dma = cmd[2];
      state_.command.clear();
      return;
    case Command::SenseDriveStatus: {
      const unsigned drive = cmd[1] & 3;
      const uint8_t head = (cmd[1] >> 2) & 1;
      uint8_t st3 = static_cast<uint8_t>(kSt3AlwaysOne | head << 2 | drive);
      if (drive < kDrives) {
        const Drive& d = state_.drives[drive];
        if (!d.image || !d.image->writable()) st3 |= kSt3WriteProtect;
        if (d.cylinder == 0) st3 |= kSt3Track0;
      }
      finish_with_result({st3}, false);
      return;
    }
    case Command::SenseInterrupt: {
      if (state_.interrupt_status.empty()) {
        finish_with_result({kSt0Invalid}, false);
        return;
      }
      const auto [st0, pcn] = state_.interrupt_status.front();
      state_.interrupt_status.pop_front();
      state_.drive_busy &= static_cast<uint8_t>(~(1u << (st0 & 3)));
      set_interrupt(false);  // SENSE INTERRUPT STATUS clears the interrupt
      finish_with_result({st0, pcn}, false);
      return;
    }
    case Command::Recalibrate:
      seek(cmd[1] & 3, 0, 0, true);
      return;
    case Command::Seek:
      seek(cmd[1] & 3, (cmd[1] >> 2) & 1, cmd[2], false);
      return;
    case Command::Version:
      finish_with_result({kVersion}, false);
      return;
    case Command::Configure:
      state_.config = cmd[2] & 0x7F;
      state_.pretrack = cmd[3];
      state_.command.clear();
      return;
    case Command::Lock:
      state_.locked = cmd[0] & 0x80;
      finish_with_result({static_cast<uint8_t>(state_.locked ? 0x10 : 0x00)}, false);
      return;
    case Command::Dumpreg: {
      const auto pcn = [this](unsigned d) -> uint8_t {
        return d < kDrives ? state_.drives[d].cylinder : uint8_t{0};
      };
      finish_with_result(
          {pcn(0), pcn(1), pcn(2), pcn(3), state_.step_rate_head_unload, state_.head_load_non_dma,
           state_.last_eot,
           static_cast<uint8_t>((state_.locked ? 0x80 : 0) | (state_.perpendicular & 0x3F)),
           state_.config, state_.pretrack},
          false);
      return;
    }
    case Command::Perpendicular: {
      const uint8_t v = cmd[1];
      uint8_t p = static_cast<uint8_t>((state_.perpendicular & 0x3C) | (v & 0x03));
      if (v & 0x80) p = static_cast<uint8_t>((v & 0x3C) | (v & 0x03));  // OW: drive bits too
      state_.perpendicular = p;
      state_.command.clear();
      return;
    }
    case Command::Invalid:
      finish_with_result({kSt0Invalid}, false);
      return;
  }
}

// READ DATA / WRITE DATA: sector after sector from (C, H, R) until terminal count, EOT (with
// MT: EOT of head 0 continues on head 1), or an error.
void Floppy82077::read_write_data(bool write) {
  const std::vector<uint8_t> cmd = state_.command;
  const bool multi_track = cmd[0] & 0x80;
  const unsigned drive = cmd[1] & 3;
  uint8_t head = (cmd[1] >> 2) & 1;
  uint8_t c = cmd[2], h = cmd[3], r = cmd[4];
  const uint8_t n = cmd[5], eot = cmd[6];
  state_.last_eot = eot;
  uint8_t seek_end = 0;

  auto finish = [&](uint8_t ic, uint8_t st1, uint8_t st2) {
    const uint8_t st0 = static_cast<uint8_t>(ic | seek_end | head << 2 | drive);
    finish_with_result({st0, st1, st2, c, h, r, n}, true);
  };

  Drive* d = drive < kDrives ? &state_.drives[drive] : nullptr;
  DiskImage* image = d ? d->image : nullptr;
  if (image && ((state_.config & kConfigImpliedSeek) || seek_on_transfer_)) {
    d->cylinder = c;
    d->disk_changed = false;
    seek_end = kSt0SeekEnd;
  }
  if (!image || !image->floppy_geometry()) return finish(kSt0Abnormal, kSt1MissingAddressMark, 0);
  if (write && !image->writable()) return finish(kSt0Abnormal, kSt1NotWritable, 0);
  const FloppyGeometry& g = *image->floppy_geometry();

  std::array<uint8_t, kSectorBytes> buffer{};
  for (;;) {
    // Find the sector's ID on the track under the head.
    if (d->cylinder >= g.cylinders || head >= g.heads) {
      return finish(kSt0Abnormal, kSt1MissingAddressMark, 0);  // unformatted track
    }
    if (c != d->cylinder) {
      return finish(kSt0Abnormal, kSt1NoData,
                    static_cast<uint8_t>(kSt2WrongCylinder | (c == 0xFF ? kSt2BadCylinder : 0)));
    }
    if (h != head || n != kSectorSizeCode || r == 0 || r > g.sectors_per_track) {
      return finish(kSt0Abnormal, kSt1NoData, 0);
    }
    const uint64_t lba = (uint64_t{d->cylinder} * g.heads + head) * g.sectors_per_track + (r - 1u);
    Dma8237::Transfer t;
    if (write) {
      t = dma_.transfer_from_memory(kDmaChannel, buffer);
      if (t.bytes < buffer.size() && !t.terminal_count) {
        return finish(kSt0Abnormal, kSt1Overrun, 0);
      }
      if (image->write_sectors(lba, kSectorBytes, buffer) != DiskStatus::Ok) {
        return finish(kSt0Abnormal | kSt0EquipmentCheck, 0, 0);
      }
    } else {
      if (image->read_sectors(lba, kSectorBytes, buffer) != DiskStatus::Ok) {
        return finish(kSt0Abnormal, kSt1DataError, kSt2DataErrorInData);
      }
      t = dma_.transfer_to_memory(kDmaChannel, buffer);
      if (t.bytes < buffer.size() && !t.terminal_count) {
        return finish(kSt0Abnormal, kSt1Overrun, 0);
      }
    }
    // Step to the next sector; the result names it (datasheet table of C/H/R/N).
    if (r == eot) {
      r = 1;
      if (multi_track && head == 0) {
        h ^= 1;
        if (t.terminal_count) return finish(0, 0, 0);  // ST0 names the head that transferred
        head = 1;
        continue;
      }
      c = static_cast<uint8_t>(c + 1);
      if (multi_track) h ^= 1;
      if (t.terminal_count) return finish(0, 0, 0);
      return finish(kSt0Abnormal, kSt1EndOfCylinder, 0);
    }
    r = static_cast<uint8_t>(r + 1);
    if (t.terminal_count) return finish(0, 0, 0);
  }
}

void Floppy82077::read_id() {
  const unsigned drive = state_.command[1] & 3;
  const uint8_t head = (state_.command[1] >> 2) & 1;
  const uint8_t st0_base = static_cast<uint8_t>(head << 2 | drive);
  const Drive* d = drive < kDrives ? &state_.drives[drive] : nullptr;
  const FloppyGeometry* g = d && d->image ? d->image->floppy_geometry() : nullptr;
  if (!g || d->cylinder >= g->cylinders || head >= g->heads) {
    const uint8_t cyl = d ? d->cylinder : 0;
    finish_with_result({static_cast<uint8_t>(kSt0Abnormal | st0_base), kSt1MissingAddressMark, 0,
                        cyl, head, 1, kSectorSizeCode},
                       true);
    return;
  }
  finish_with_result({st0_base, 0, 0, d->cylinder, head, 1, kSectorSizeCode}, true);
}

// FORMAT TRACK: the guest supplies C, H, R, N for each sector by DMA; every ID that names a
// sector of this image's track gets the filler byte. IDs the image cannot hold are skipped.
void Floppy82077::format_track() {
  const std::vector<uint8_t> cmd = state_.command;
  const unsigned drive = cmd[1] & 3;
  const uint8_t head = (cmd[1] >> 2) & 1;
  const uint8_t sectors = cmd[3], filler = cmd[5];
  std::array<uint8_t, 4> id{};
  auto finish = [&](uint8_t st0, uint8_t st1) {
    finish_with_result(
        {static_cast<uint8_t>(st0 | head << 2 | drive), st1, 0, id[0], id[1], id[2], id[3]}, true);
  };
  Drive* d = drive < kDrives ? &state_.drives[drive] : nullptr;
  DiskImage* image = d ? d->image : nullptr;
  if (!image || !image->floppy_geometry()) return finish(kSt0Abnormal, kSt1MissingAddressMark);
  if (!image->writable()) return finish(kSt0Abnormal, kSt1NotWritable);
  const FloppyGeometry& g = *image->floppy_geometry();
  if (d->cylinder >= g.cylinders || head >= g.heads) {
    return finish(kSt0Abnormal | kSt0EquipmentCheck, 0);  // past the last track of the image
  }
  std::array<uint8_t, kSectorBytes> data;
  data.fill(filler);
  for (unsigned i = 0; i < sectors; ++i) {
    const Dma8237::Transfer t = dma_.transfer_from_memory(kDmaChannel, id);
    if (t.bytes < id.size() && !t.terminal_count) return finish(kSt0Abnormal, kSt1Overrun);
    const uint8_t r = id[2];
    if (id[0] == d->cylinder && id[1] == head && id[3] == kSectorSizeCode && r >= 1 &&
        r <= g.sectors_per_track) {
      const uint64_t lba = (uint64_t{d->cylinder} * g.heads + head) * g.sectors_per_track + r - 1u;
      if (image->write_sectors(lba, kSectorBytes, data) != DiskStatus::Ok) {
        return finish(kSt0Abnormal | kSt0EquipmentCheck, 0);
      }
    }
    if (t.terminal_count) break;
  }
  finish(0, 0);
}

}  // namespace x86lab::devices
