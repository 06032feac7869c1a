// Little-endian loads and stores of guest data. The guest is little-endian; the host may not
// be. memcpy keeps the access legal for any alignment, and the swap is a no-op on x86 and
// aarch64, so these compile to a single move there.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace x86lab::bus {

template <typename T>
constexpr T byte_swap(T value) {
  T out = 0;
  for (unsigned i = 0; i < sizeof(T); ++i) {
    out = static_cast<T>((out << 8) | ((value >> (8 * i)) & 0xFF));
  }
  return out;
}

template <typename T>
constexpr T to_little_endian(T value) {
  if constexpr (std::endian::native == std::endian::little || sizeof(T) == 1) {
    return value;
  } else {
    return byte_swap(value);
  }
}

template <typename T>
inline T load_le(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return to_little_endian(value);
}

template <typename T>
inline void store_le(uint8_t* p, T value) {
  value = to_little_endian(value);
  std::memcpy(p, &value, sizeof(T));
}

}  // namespace x86lab::bus
