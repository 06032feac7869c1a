// The 82077AA floppy disk controller in PC/AT mode: registers at 0x3F0-0x3F5 and 0x3F7
// (0x3F6 belongs to the primary IDE channel), IRQ6, DMA channel 2, two drives (A: and B:).
//
// Registers: SRA/SRB read as 0xFF (PS/2 mode only), DOR (drive select, reset, DMA gate,
// motors), TDR, MSR (RQM/DIO/NDMA/CB and the drive-busy bits), DSR (software reset, data
// rate), the data FIFO, DIR (bit 7 disk change of the selected drive) and CCR.
//
// Commands: READ DATA (multi-sector, multi-track, implied seek with CONFIGURE EIS or
// set_seek_on_transfer), WRITE
// DATA, READ ID, FORMAT TRACK, SPECIFY, SENSE DRIVE STATUS, SENSE INTERRUPT STATUS,
// RECALIBRATE, SEEK, VERSION (0x90), CONFIGURE, LOCK, DUMPREG, PERPENDICULAR MODE. Any other
// opcode is invalid: a one-byte result, ST0 = 0x80. Results carry ST0-ST3 as the datasheet
// defines them, including end of cylinder (ST1 EN) when a transfer runs past EOT without
// terminal count, and the C/H/R/N of the next sector after a normal termination.
//
// The disk in a drive has the PC format its image size gives (kFloppyFormats); every ID on
// a track is C = the cylinder, H = the head, R = 1..sectors, N = 2 (512 bytes). A command
// whose C/H/R/N names a sector that is not there ends with "no data" (ST1 ND, ST2 WC for a
// wrong cylinder), so the guest can never reach outside the image. A read-only image is
// write-protected (ST1 NW, ST3 WP). Leaving reset raises IRQ6 with four polling statuses
// (ST0 0xC0-0xC3) for SENSE INTERRUPT STATUS. The disk-change line (DIR bit 7) is set when
// a disk is inserted or removed and cleared by a SEEK or RECALIBRATE with a disk present.
//
// Execution takes execution_delay_ns on the clock (a seek too), during which MSR shows the
// controller (or the drive) busy. Not implemented: non-DMA (PIO) transfers (SPECIFY ND is
// stored but data always moves by DMA), READ/WRITE DELETED, READ TRACK, VERIFY, SCAN,
// relative seek, data-rate mismatch (any rate reads any disk), FIFO thresholds.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "bus/irq.hpp"
#include "devices/disk_image.hpp"
#include "devices/dma8237.hpp"

namespace x86lab::devices {

class Floppy82077 {
 public:
  static constexpr uint16_t kBasePort = 0x3F0;
  static constexpr unsigned kIrq = 6;
  static constexpr unsigned kDmaChannel = 2;
  static constexpr unsigned kDrives = 2;
  static constexpr uint8_t kVersion = 0x90;
  static constexpr uint64_t kDefaultExecutionDelayNs = 20'000;

  // Register offsets from the base port.
  enum : uint8_t {
    kSra = 0,
    kSrb = 1,
    kDor = 2,
    kTdr = 3,
    kMsr = 4,
    kDsr = 4,
    kFifo = 5,
    kDir = 7,
    kCcr = 7
  };
  static constexpr uint8_t kDorReset = 0x04, kDorDmaGate = 0x08;
  static constexpr uint8_t kMsrRqm = 0x80, kMsrDio = 0x40, kMsrNonDma = 0x20, kMsrBusy = 0x10;

  enum class Phase : uint8_t { Command, Execution, Result };

  struct Drive {
    uint8_t cylinder = 0;  // where the head is (the PCN)
    bool disk_changed = true;
    DiskImage* image = nullptr;
  };
  struct State {
    uint8_t dor = 0;  // in reset after power-on
    uint8_t tdr = 0;
    uint8_t data_rate = 0;  // DSR/CCR bits 1-0
    uint8_t precompensation = 0;
    Phase phase = Phase::Command;
    std::vector<uint8_t> command;  // bytes received so far
    std::size_t command_length = 0;
    std::vector<uint8_t> result;
    std::size_t result_index = 0;
    bool interrupt_pending = false;
    bool result_clears_interrupt = false;
    uint8_t drive_busy = 0;                               // MSR bits 3-0: seeking drives
    std::deque<std::array<uint8_t, 2>> interrupt_status;  // (ST0, PCN) for SENSE INTERRUPT
    // SPECIFY
    uint8_t step_rate_head_unload = 0;
    uint8_t head_load_non_dma = 0;
    // CONFIGURE, LOCK, PERPENDICULAR MODE, and the last EOT (DUMPREG)
    uint8_t config = 0x20;  // EIS, EFIFO (1 = FIFO disabled), POLL, FIFOTHR
    uint8_t pretrack = 0;
    bool locked = false;
    uint8_t perpendicular = 0;
    uint8_t last_eot = 0;
    std::array<Drive, kDrives> drives{};
  };

  Floppy82077(bus::Clock& clock, Dma8237& dma);
  ~Floppy82077();
  Floppy82077(const Floppy82077&) = delete;
  Floppy82077& operator=(const Floppy82077&) = delete;

  // Claims base..base+5 and base+7.
  void register_ports(bus::IoSpace& io, uint16_t base = kBasePort);
  void connect_irq(bus::IrqLine line);
  // Power-on / hardware reset: DOR 0 (controller held in reset), drives keep their disks.
  void reset();

  // Puts a floppy image (DiskMedium::Floppy, owned by the caller, alive while inserted) in a
  // drive, or empties it (nullptr). Either sets the drive's disk-change line.
  void insert_disk(unsigned drive, DiskImage* image);
  void set_execution_delay_ns(uint64_t ns) { execution_delay_ns_ = ns; }
  // Seek to the command's cylinder on every READ/WRITE DATA, whatever CONFIGURE's EIS says, as
  // Bochs' and QEMU's controllers do: Bochs' BIOS issues no SEEK before a read and depends on
  // it. Off (the datasheet: "no data", ST2 wrong cylinder) until the machine turns it on.
  void set_seek_on_transfer(bool on) { seek_on_transfer_ = on; }

  uint8_t read(uint8_t offset);
  void write(uint8_t offset, uint8_t value);

  const State& state() const { return state_; }

 private:
  uint8_t main_status() const;
  void write_dor(uint8_t value);
  void enter_reset();
  void leave_reset();
  void write_fifo(uint8_t value);
  uint8_t read_fifo();
  void start_command();
  void execute_command();
  void finish_with_result(std::vector<uint8_t> result, bool interrupt);
  void set_interrupt(bool pending);
  void update_irq();
  void schedule_execution();
  void seek(unsigned drive, uint8_t head, uint8_t cylinder, bool recalibrate);

  void read_write_data(bool write);
  void read_id();
  void format_track();

  bus::Clock& clock_;
  Dma8237& dma_;
  State state_;
  bus::IrqLine irq_;
  bus::EventHandle execution_event_;
  std::array<bus::EventHandle, 4> seek_events_{};  // one a drive select, cabled or not
  bus::EventHandle reset_event_;
  uint64_t execution_delay_ns_ = kDefaultExecutionDelayNs;
  bool seek_on_transfer_ = false;
};

}  // namespace x86lab::devices
