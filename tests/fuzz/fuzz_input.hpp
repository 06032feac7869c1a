// Reading a fuzzer's input as a little-endian byte stream: every read past the end yields
// zero, so any input, however short, decodes to some machine state and an operation list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

namespace x86lab::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data, size) {}

  bool empty() const { return pos_ >= data_.size(); }
  size_t remaining() const { return empty() ? 0 : data_.size() - pos_; }

  template <typename T>
  T take() {
    uint64_t value = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      const uint64_t byte = pos_ < data_.size() ? data_[pos_] : 0;
      value |= byte << (8 * i);
      ++pos_;
    }
    return static_cast<T>(value);
  }

  // Up to count bytes (fewer at the end of the input).
  std::span<const uint8_t> take_bytes(size_t count) {
    if (empty()) return {};
    const size_t n = count < remaining() ? count : remaining();
    const auto bytes = data_.subspan(pos_, n);
    pos_ += n;
    return bytes;
  }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

// Stops the fuzzer with a message when an invariant does not hold: libFuzzer saves the input.
[[noreturn]] inline void invariant_failed(const char* what) {
  std::fprintf(stderr, "x86lab fuzz: invariant violated: %s\n", what);
  std::abort();
}

}  // namespace x86lab::fuzz
