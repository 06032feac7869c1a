// The MC146818 real-time clock and its CMOS RAM: index port 0x70 (bit 7 masks NMI), data
// port 0x71, 128 bytes. The time registers keep the format the guest chose (BCD or binary,
// 12 or 24 hours: register B) and advance once a second on a clock event, as the chip's
// update cycle does; register A's UIP bit reads 1 for the 244 us before an update plus the
// 1984 us update cycle. Periodic, alarm and update-ended interrupts set register C's flags
// (cleared by reading C) and drive IRQ8 while IRQF is set.
//
// Also here: helpers that fill the bytes the BIOS reads (memory sizes, equipment, checksum).
// The century lives at 0x32 and advances when the year wraps (the bare chip would not).
// Not implemented: daylight saving (register B DSE), the square-wave pin, the second bank.
#pragma once

#include <array>
#include <cstdint>

#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "bus/irq.hpp"

namespace x86lab::devices {

class CmosRtc {
 public:
  static constexpr uint16_t kIndexPort = 0x70;
  static constexpr uint16_t kDataPort = 0x71;
  // 2000-01-01 00:00:00 UTC: the start time of a deterministic machine.
  static constexpr int64_t kDeterministicStart = 946'684'800;

  // Register indices.
  enum : uint8_t {
    kSeconds = 0x00,
    kSecondsAlarm = 0x01,
    kMinutes = 0x02,
    kMinutesAlarm = 0x03,
    kHours = 0x04,
    kHoursAlarm = 0x05,
    kDayOfWeek = 0x06,
    kDayOfMonth = 0x07,
    kMonth = 0x08,
    kYear = 0x09,
    kRegA = 0x0A,
    kRegB = 0x0B,
    kRegC = 0x0C,
    kRegD = 0x0D,
    kEquipment = 0x14,
    kBaseMemLow = 0x15,
    kBaseMemHigh = 0x16,
    kExtMemLow = 0x17,
    kExtMemHigh = 0x18,
    kChecksumHigh = 0x2E,
    kChecksumLow = 0x2F,
    kExtMem2Low = 0x30,
    kExtMem2High = 0x31,
    kCentury = 0x32,
    kMemAbove16MLow = 0x34,
    kMemAbove16MHigh = 0x35,
    kMemAbove4GLow = 0x5B,
    kMemAbove4GMid = 0x5C,
    kMemAbove4GHigh = 0x5D,
  };

  // Register bits.
  static constexpr uint8_t kUip = 0x80;
  static constexpr uint8_t kSet = 0x80, kPie = 0x40, kAie = 0x20, kUie = 0x10, kBinary = 0x04,
                           kHours24 = 0x02;
  static constexpr uint8_t kIrqf = 0x80, kPf = 0x40, kAf = 0x20, kUf = 0x10;
  static constexpr uint8_t kValidRam = 0x80;

  // Update-in-progress window before each update, from the datasheet (32.768 kHz time base).
  static constexpr uint64_t kUipLeadNs = 244'000 + 1'984'000;

  struct State {
    std::array<uint8_t, 128> cmos{};
    uint8_t index = 0;
    bool nmi_masked = false;
    uint64_t divider_origin_ns = 0;   // when the divider chain last started
    uint64_t next_update_ns = 0;      // the next update cycle's end (time registers change)
    uint64_t periodic_seen_tick = 0;  // 32.768 kHz ticks since origin already folded into PF
  };

  // start_unix_seconds is the wall time the registers show at the clock's current time.
  static int64_t host_unix_seconds();
  explicit CmosRtc(bus::Clock& clock, int64_t start_unix_seconds = host_unix_seconds());
  CmosRtc(const CmosRtc&) = delete;
  CmosRtc& operator=(const CmosRtc&) = delete;

  void register_ports(bus::IoSpace& io);
  // The RESET pin: clears the interrupt enables and flags; time and RAM survive (battery).
  void reset();
  // Battery insertion: the time registers from start_unix_seconds, registers A-D to the
  // values a BIOS leaves (32.768 kHz, 1024 Hz rate, 24-hour BCD), the divider running.
  void set_time(int64_t unix_seconds);
  void connect_irq(bus::IrqLine line);

  uint8_t read(uint16_t port);
  void write(uint16_t port, uint8_t value);
  bool nmi_masked() const { return state_.nmi_masked; }

  // CMOS RAM access for the machine; writes inside 0x10-0x2D refresh the checksum.
  uint8_t byte(uint8_t index) const { return state_.cmos[index & 0x7F]; }
  void set_byte(uint8_t index, uint8_t value);
  // Fills 0x15-0x18, 0x30-0x31, 0x34-0x35 and 0x5B-0x5D from the RAM sizes.
  void set_memory_size(uint64_t ram_below_4g, uint64_t ram_above_4g = 0);
  void update_checksum();

  const State& state() const { return state_; }

 private:
  bool divider_running() const { return (state_.cmos[kRegA] & 0x70) == 0x20; }
  bool updating() const { return divider_running() && !(state_.cmos[kRegB] & kSet); }
  uint64_t periodic_ticks() const;  // period in 32.768 kHz ticks, 0 = off
  uint64_t tick_since_origin(uint64_t ns) const;
  uint64_t time_of_tick(uint64_t tick) const;
  void fold_periodic_flag();
  void update_irq();
  void start_divider(uint64_t first_update_ns);
  void schedule_update();
  void schedule_periodic();
  void on_update();
  void advance_one_second();
  uint8_t read_register(uint8_t index);
  void write_register(uint8_t index, uint8_t value);

  bus::Clock& clock_;
  State state_;
  bus::IrqLine irq_;
  bus::EventHandle update_event_;
  bus::EventHandle periodic_event_;
};

}  // namespace x86lab::devices
