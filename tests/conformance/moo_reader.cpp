#include "tests/conformance/moo_reader.hpp"

#include <zlib.h>

#include <cstring>
#include <stdexcept>

namespace x86lab::tests {
namespace {

std::vector<uint8_t> read_gzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error("cannot open " + path);
  std::vector<uint8_t> data;
  uint8_t buffer[1 << 16];
  int n;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0) data.insert(data.end(), buffer, buffer + n);
  const bool failed = n < 0;
  gzclose(file);
  if (failed) throw std::runtime_error("corrupt gzip data in " + path);
  return data;
}

class Cursor {
 public:
  Cursor(const uint8_t* begin, const uint8_t* end) : p_(begin), end_(end) {}
  bool done() const { return p_ >= end_; }
  size_t left() const { return static_cast<size_t>(end_ - p_); }
  void need(size_t n) const {
    if (left() < n) throw std::runtime_error("truncated MOO chunk");
  }
  uint8_t u8() {
    need(1);
    return *p_++;
  }
  uint16_t u16() {
    need(2);
    const uint16_t v = static_cast<uint16_t>(p_[0] | (p_[1] << 8));
    p_ += 2;
    return v;
  }
  uint32_t u32() {
    need(4);
    const uint32_t v = uint32_t{p_[0]} | (uint32_t{p_[1]} << 8) | (uint32_t{p_[2]} << 16) |
                       (uint32_t{p_[3]} << 24);
    p_ += 4;
    return v;
  }
  std::string tag() {
    need(4);
    std::string t(reinterpret_cast<const char*>(p_), 4);
    p_ += 4;
    return t;
  }
  Cursor sub(size_t n) {
    need(n);
    Cursor c(p_, p_ + n);
    p_ += n;
    return c;
  }
  const uint8_t* here() const { return p_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

MooState read_state(Cursor c) {
  MooState state;
  while (!c.done()) {
    const std::string tag = c.tag();
    Cursor body = c.sub(c.u32());
    if (tag == "REGS") {
      state.mask = body.u16();
      for (unsigned r = 0; r < kMooRegCount; ++r) {
        if (state.mask & (1u << r)) state.regs[r] = body.u16();
      }
    } else if (tag == "RAM ") {
      const uint32_t count = body.u32();
      for (uint32_t i = 0; i < count; ++i) {
        const uint32_t address = body.u32();
        state.ram.emplace_back(address, body.u8());
      }
    }
  }
  return state;
}

MooTest read_test(Cursor c) {
  MooTest test;
  test.index = c.u32();
  while (!c.done()) {
    const std::string tag = c.tag();
    Cursor body = c.sub(c.u32());
    if (tag == "NAME") {
      const uint32_t n = body.u32();
      body.need(n);
      test.name.assign(reinterpret_cast<const char*>(body.here()), n);
    } else if (tag == "BYTS") {
      const uint32_t n = body.u32();
      for (uint32_t i = 0; i < n; ++i) test.bytes.push_back(body.u8());
    } else if (tag == "INIT") {
      test.initial = read_state(body);
    } else if (tag == "FINA") {
      test.final_state = read_state(body);
    } else if (tag == "EXCP") {
      const uint8_t vector = body.u8();
      test.exception = MooException{vector, body.u32()};
    } else if (tag == "HASH") {
      static const char* kHex = "0123456789abcdef";
      for (int i = 0; i < 20; ++i) {
        const uint8_t b = body.u8();
        test.hash += kHex[b >> 4];
        test.hash += kHex[b & 15];
      }
    }
  }
  return test;
}

}  // namespace

std::vector<MooTest> read_moo_file(const std::string& path) {
  const std::vector<uint8_t> data = read_gzip(path);
  Cursor c(data.data(), data.data() + data.size());
  std::vector<MooTest> tests;
  while (!c.done()) {
    const std::string tag = c.tag();
    Cursor body = c.sub(c.u32());
    if (tag == "TEST") tests.push_back(read_test(body));
  }
  return tests;
}

}  // namespace x86lab::tests
