#include "devices/cmos_rtc.hpp"

#include <algorithm>
#include <chrono>

namespace x86lab::devices {
namespace {

constexpr uint64_t kTimeBaseHz = 32768;
constexpr uint64_t kHalfSecondNs = bus::kNanosPerSecond / 2;

uint8_t to_bcd(unsigned v) { return static_cast<uint8_t>((v / 10) << 4 | (v % 10)); }
unsigned from_bcd(uint8_t v) { return (v >> 4) * 10u + (v & 0xF); }

struct CivilTime {
  unsigned year, month, day, hour, minute, second, day_of_week;  // day_of_week: 1 = Sunday
};

// Proleptic Gregorian date of a Unix time (days-from-civil inverted, valid for any int64).
CivilTime civil_from_unix(int64_t t) {
  int64_t days = t / 86400;
  int64_t secs = t % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  CivilTime c{};
  c.hour = static_cast<unsigned>(secs / 3600);
  c.minute = static_cast<unsigned>(secs / 60 % 60);
  c.second = static_cast<unsigned>(secs % 60);
  c.day_of_week = static_cast<unsigned>(((days % 7 + 7 + 4) % 7) + 1);  // 1970-01-01: Thursday
  const int64_t z = days + 719468;                                      // days since 0000-03-01
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t day_of_era = z - era * 146097;
  const int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t mp = (5 * day_of_year + 2) / 153;  // month from March = 0
  c.day = static_cast<unsigned>(day_of_year - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  c.year = static_cast<unsigned>(year_of_era + era * 400 + (c.month <= 2 ? 1 : 0));
  return c;
}

}  // namespace

int64_t CmosRtc::host_unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

CmosRtc::CmosRtc(bus::Clock& clock, int64_t start_unix_seconds) : clock_(clock) {
  set_time(start_unix_seconds);
}

void CmosRtc::register_ports(bus::IoSpace& io) {
  io.register_ports(
      kIndexPort, 2, "cmos rtc", bus::kIoByte,
      [this](uint16_t port, unsigned) -> uint32_t { return read(port); },
      [this](uint16_t port, unsigned, uint32_t value) {
        write(port, static_cast<uint8_t>(value));
      });
}

void CmosRtc::set_time(int64_t unix_seconds) {
  auto& r = state_.cmos;
  r[kRegA] = 0x26;  // 32.768 kHz time base, 1024 Hz periodic rate
  r[kRegB] = kHours24;
  r[kRegC] = 0;
  r[kRegD] = kValidRam;
  const CivilTime c = civil_from_unix(unix_seconds);
  r[kSeconds] = to_bcd(c.second);
  r[kMinutes] = to_bcd(c.minute);
  r[kHours] = to_bcd(c.hour);
  r[kDayOfWeek] = to_bcd(c.day_of_week);
  r[kDayOfMonth] = to_bcd(c.day);
  r[kMonth] = to_bcd(c.month);
  r[kYear] = to_bcd(c.year % 100);
  r[kCentury] = to_bcd(c.year / 100 % 100);
  // The registers show the start time for a whole second from now.
  start_divider(clock_.now() + bus::kNanosPerSecond);
  update_irq();
}

void CmosRtc::reset() {
  state_.cmos[kRegB] &= static_cast<uint8_t>(~(kPie | kAie | kUie | 0x08));
  state_.cmos[kRegC] = 0;
  update_irq();
  schedule_periodic();
}

void CmosRtc::connect_irq(bus::IrqLine line) {
  irq_ = line;
  update_irq();
}

uint8_t CmosRtc::read(uint16_t port) {
  if (port == kIndexPort) return 0xFF;  // the index register is write-only on the AT
  return read_register(state_.index);
}

void CmosRtc::write(uint16_t port, uint8_t value) {
  if (port == kIndexPort) {
    state_.index = value & 0x7F;
    state_.nmi_masked = value & 0x80;
  } else {
    write_register(state_.index, value);
  }
}

void CmosRtc::set_byte(uint8_t index, uint8_t value) {
  index &= 0x7F;
  state_.cmos[index] = value;
  if (index >= 0x10 && index <= 0x2D) update_checksum();
}

void CmosRtc::update_checksum() {
  unsigned sum = 0;
  for (unsigned i = 0x10; i <= 0x2D; ++i) sum += state_.cmos[i];
  state_.cmos[kChecksumHigh] = static_cast<uint8_t>(sum >> 8);
  state_.cmos[kChecksumLow] = static_cast<uint8_t>(sum);
}

void CmosRtc::set_memory_size(uint64_t ram_below_4g, uint64_t ram_above_4g) {
  constexpr uint64_t kKiB = 1024, kMiB = 1024 * kKiB;
  auto& r = state_.cmos;
  const auto put16 = [&](uint8_t low, uint64_t value) {
    r[low] = static_cast<uint8_t>(value);
    r[low + 1] = static_cast<uint8_t>(value >> 8);
  };
  put16(kBaseMemLow, std::min<uint64_t>(640, ram_below_4g / kKiB));
  const uint64_t extended_kib = ram_below_4g > kMiB ? (ram_below_4g - kMiB) / kKiB : 0;
  put16(kExtMemLow, std::min<uint64_t>(extended_kib, 63 * 1024));
  put16(kExtMem2Low, std::min<uint64_t>(extended_kib, 63 * 1024));
  const uint64_t above_16m =
      ram_below_4g > 16 * kMiB ? (ram_below_4g - 16 * kMiB) / (64 * kKiB) : 0;
  put16(kMemAbove16MLow, std::min<uint64_t>(above_16m, 0xFFFF));
  const uint64_t above_4g = std::min<uint64_t>(ram_above_4g / (64 * kKiB), 0xFFFFFF);
  r[kMemAbove4GLow] = static_cast<uint8_t>(above_4g);
  r[kMemAbove4GMid] = static_cast<uint8_t>(above_4g >> 8);
  r[kMemAbove4GHigh] = static_cast<uint8_t>(above_4g >> 16);
  update_checksum();
}

// Periodic interrupt period in time-base ticks for RS3-RS0 (32.768 kHz: rates 1 and 2 repeat
// rates 8 and 9; rate n >= 3 divides by 2^(n-1)).
uint64_t CmosRtc::periodic_ticks() const {
  const unsigned rs = state_.cmos[kRegA] & 0x0F;
  if (rs == 0) return 0;
  if (rs <= 2) return uint64_t{1} << (rs + 6);
  return uint64_t{1} << (rs - 1);
}

uint64_t CmosRtc::tick_since_origin(uint64_t ns) const {
  const uint64_t d = ns - state_.divider_origin_ns;
  const uint64_t q = d / bus::kNanosPerSecond, r = d % bus::kNanosPerSecond;
  return q * kTimeBaseHz + r * kTimeBaseHz / bus::kNanosPerSecond;
}

uint64_t CmosRtc::time_of_tick(uint64_t tick) const {
  const uint64_t q = tick / kTimeBaseHz, r = tick % kTimeBaseHz;
  return state_.divider_origin_ns + q * bus::kNanosPerSecond +
         (r * bus::kNanosPerSecond + kTimeBaseHz - 1) / kTimeBaseHz;
}

// PF is set by every periodic edge, enabled or not; edges since the last look are folded in
// lazily so a disabled periodic interrupt costs no events.
void CmosRtc::fold_periodic_flag() {
  const uint64_t period = periodic_ticks();
  if (!divider_running()) return;
  const uint64_t now_tick = tick_since_origin(clock_.now());
  if (period && now_tick / period > state_.periodic_seen_tick / period) {
    state_.cmos[kRegC] |= kPf;
  }
  state_.periodic_seen_tick = now_tick;
}

void CmosRtc::update_irq() {
  fold_periodic_flag();
  uint8_t& c = state_.cmos[kRegC];
  const bool irqf = (c & state_.cmos[kRegB] & (kPf | kAf | kUf)) != 0;
  c = static_cast<uint8_t>((c & (kPf | kAf | kUf)) | (irqf ? kIrqf : 0));
  irq_.set_level(irqf);
}

void CmosRtc::start_divider(uint64_t first_update_ns) {
  state_.divider_origin_ns = clock_.now();
  state_.periodic_seen_tick = 0;
  state_.next_update_ns = first_update_ns;
  schedule_update();
  schedule_periodic();
}

void CmosRtc::schedule_update() {
  clock_.cancel(update_event_);
  if (!divider_running()) return;
  update_event_ = clock_.schedule(state_.next_update_ns, [this](uint64_t) {
    update_event_ = {};
    on_update();
  });
}

void CmosRtc::schedule_periodic() {
  clock_.cancel(periodic_event_);
  const uint64_t period = periodic_ticks();
  if (!(state_.cmos[kRegB] & kPie) || period == 0 || !divider_running()) return;
  const uint64_t next = (tick_since_origin(clock_.now()) / period + 1) * period;
  periodic_event_ = clock_.schedule(time_of_tick(next), [this](uint64_t) {
    periodic_event_ = {};
    update_irq();
    schedule_periodic();
  });
}

void CmosRtc::on_update() {
  if (updating()) {
    advance_one_second();
    auto& r = state_.cmos;
    const auto matches = [&](uint8_t alarm, uint8_t time) {
      return r[alarm] >= 0xC0 || r[alarm] == r[time];
    };
    r[kRegC] |= kUf;
    if (matches(kSecondsAlarm, kSeconds) && matches(kMinutesAlarm, kMinutes) &&
        matches(kHoursAlarm, kHours)) {
      r[kRegC] |= kAf;
    }
  }
  state_.next_update_ns += bus::kNanosPerSecond;
  schedule_update();
  update_irq();
}

// One update cycle: seconds up to the century, in the register B format of the moment.
void CmosRtc::advance_one_second() {
  auto& r = state_.cmos;
  const bool binary = r[kRegB] & kBinary;
  const bool hours24 = r[kRegB] & kHours24;
  const auto get = [&](uint8_t i) -> unsigned { return binary ? r[i] : from_bcd(r[i]); };
  const auto put = [&](uint8_t i, unsigned v) {
    r[i] = binary ? static_cast<uint8_t>(v) : to_bcd(v);
  };
  unsigned second = get(kSeconds) + 1;
  if (second < 60) return put(kSeconds, second);
  put(kSeconds, 0);
  unsigned minute = get(kMinutes) + 1;
  if (minute < 60) return put(kMinutes, minute);
  put(kMinutes, 0);
  // Hours through a 24-hour value; in 12-hour mode bit 7 is PM and 12 stands for 0.
  unsigned hour;
  if (hours24) {
    hour = get(kHours);
  } else {
    const unsigned h12 = binary ? (r[kHours] & 0x7F) : from_bcd(r[kHours] & 0x7F);
    hour = h12 % 12 + ((r[kHours] & 0x80) ? 12 : 0);
  }
  hour = (hour + 1) % 24;
  if (hours24) {
    put(kHours, hour);
  } else {
    const unsigned h12 = hour % 12 == 0 ? 12 : hour % 12;
    r[kHours] = static_cast<uint8_t>((binary ? h12 : to_bcd(h12)) | (hour >= 12 ? 0x80 : 0));
  }
  if (hour != 0) return;
  put(kDayOfWeek, get(kDayOfWeek) % 7 + 1);
  const unsigned year = get(kYear);
  const unsigned month = get(kMonth);
  static constexpr std::array<unsigned, 13> kDays = {0,  31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  // The chip's leap rule: every fourth year (right from 1901 to 2099).
  const unsigned month_days = month == 2 && year % 4 == 0 ? 29 : kDays[month <= 12 ? month : 1];
  const unsigned day = get(kDayOfMonth) + 1;
  if (day <= month_days) return put(kDayOfMonth, day);
  put(kDayOfMonth, 1);
  if (month < 12) return put(kMonth, month + 1);
  put(kMonth, 1);
  if (year < 99) return put(kYear, year + 1);
  put(kYear, 0);
  put(kCentury, get(kCentury) + 1);
}

uint8_t CmosRtc::read_register(uint8_t index) {
  switch (index) {
    case kRegA: {
      const uint64_t now = clock_.now();
      const bool uip = updating() && now + kUipLeadNs >= state_.next_update_ns;
      return static_cast<uint8_t>((state_.cmos[kRegA] & 0x7F) | (uip ? kUip : 0));
    }
    case kRegC: {
      fold_periodic_flag();
      update_irq();
      const uint8_t value = state_.cmos[kRegC];
      state_.cmos[kRegC] = 0;  // every flag clears on read
      update_irq();
      return value;
    }
    case kRegD:
      return kValidRam;
    default:
      return state_.cmos[index];
  }
}

void CmosRtc::write_register(uint8_t index, uint8_t value) {
  auto& r = state_.cmos;
  switch (index) {
    case kRegA: {
      const bool was_running = divider_running();
      r[kRegA] = value & 0x7F;  // UIP is read-only
      if (divider_running() && !was_running) {
        start_divider(clock_.now() + kHalfSecondNs);  // first update half a second later
      } else {
        schedule_update();
        schedule_periodic();
      }
      update_irq();
      break;
    }
    case kRegB:
      // Setting SET stops updates and clears UIE.
      if ((value & kSet) && !(r[kRegB] & kSet)) value &= static_cast<uint8_t>(~kUie);
      r[kRegB] = value;
      schedule_periodic();
      update_irq();
      break;
    case kRegC:
    case kRegD:
      break;  // read-only
    default:
      r[index] = value;
      break;
  }
}

}  // namespace x86lab::devices
