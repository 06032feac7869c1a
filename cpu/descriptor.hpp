// A segment or gate descriptor as it sits in the GDT, LDT or IDT (two little-endian dwords).
#pragma once

#include <cstdint>

namespace x86lab::cpu {

namespace segment_rights {
inline constexpr uint8_t kRead = 1;
inline constexpr uint8_t kWrite = 2;
inline constexpr uint8_t kExpandDown = 4;
}  // namespace segment_rights

namespace descriptor_type {
inline constexpr uint8_t kAvailableTss16 = 0x1;
inline constexpr uint8_t kLdt = 0x2;
inline constexpr uint8_t kBusyTss16 = 0x3;
inline constexpr uint8_t kCallGate16 = 0x4;
inline constexpr uint8_t kTaskGate = 0x5;
inline constexpr uint8_t kInterruptGate16 = 0x6;
inline constexpr uint8_t kTrapGate16 = 0x7;
inline constexpr uint8_t kAvailableTss32 = 0x9;
inline constexpr uint8_t kBusyTss32 = 0xB;
inline constexpr uint8_t kCallGate32 = 0xC;
inline constexpr uint8_t kInterruptGate32 = 0xE;
inline constexpr uint8_t kTrapGate32 = 0xF;
}  // namespace descriptor_type

struct Descriptor {
  uint32_t low = 0;
  uint32_t high = 0;

  uint32_t base() const { return (low >> 16) | ((high & 0xFF) << 16) | (high & 0xFF000000); }
  bool granular() const { return high & (1u << 23); }
  uint32_t limit() const {
    const uint32_t raw = (low & 0xFFFF) | (high & 0x000F0000);
    return granular() ? (raw << 12) | 0xFFF : raw;
  }
  uint8_t access() const { return static_cast<uint8_t>(high >> 8); }
  uint8_t type() const { return access() & 0xF; }
  bool is_segment() const { return access() & 0x10; }  // code or data, not system
  bool is_code() const { return is_segment() && (type() & 0x8); }
  bool is_data() const { return is_segment() && !(type() & 0x8); }
  bool conforming() const { return is_code() && (type() & 0x4); }
  bool readable() const { return is_data() || (type() & 0x2); }
  bool writable_data() const { return is_data() && (type() & 0x2); }
  bool expand_down() const { return is_data() && (type() & 0x4); }
  unsigned dpl() const { return (access() >> 5) & 3; }
  bool present() const { return access() & 0x80; }
  bool big() const { return high & (1u << 22); }
  // Gates.
  uint16_t gate_selector() const { return static_cast<uint16_t>(low >> 16); }
  uint32_t gate_offset() const { return (low & 0xFFFF) | (high & 0xFFFF0000); }
  unsigned gate_parameter_count() const { return high & 0x1F; }
  bool gate_is_32bit() const { return type() & 0x8; }

  uint8_t rights() const {
    using namespace segment_rights;
    if (is_code()) return readable() ? kRead : 0;
    return static_cast<uint8_t>(kRead | (writable_data() ? kWrite : 0) |
                                (expand_down() ? kExpandDown : 0));
  }
};

}  // namespace x86lab::cpu
