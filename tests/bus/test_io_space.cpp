#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "bus/io_space.hpp"

using namespace x86lab::bus;

namespace {

struct PortAccess {
  bool write;
  uint16_t port;
  unsigned size;
  uint32_t value;
  bool operator==(const PortAccess&) const = default;
};

// A device that records every access it sees and answers reads with a value made of the port.
struct RecordingDevice {
  std::vector<PortAccess> log;
  void attach(IoSpace& io, uint16_t first, uint32_t count, const std::string& owner,
              uint8_t widths) {
    io.register_ports(
        first, count, owner, widths,
        [this](uint16_t port, unsigned size) -> uint32_t {
          log.push_back({false, port, size, 0});
          return 0x44332200u | (port & 0xFF);
        },
        [this](uint16_t port, unsigned size, uint32_t value) {
          log.push_back({true, port, size, value});
        });
  }
};

}  // namespace

TEST_CASE("unclaimed ports read as all-ones at every width and ignore writes") {
  IoSpace io;
  CHECK(io.read(0x1234, 1) == 0xFFu);
  CHECK(io.read(0x1234, 2) == 0xFFFFu);
  CHECK(io.read(0x1234, 4) == 0xFFFFFFFFu);
  io.write(0x1234, 4, 0);
  CHECK(io.owner_of(0x1234) == nullptr);
}

TEST_CASE("a device sees exactly the widths it declared") {
  IoSpace io;
  RecordingDevice dev;
  dev.attach(io, 0xCF8, 8, "pci", kIoByte | kIoWord | kIoDword);
  CHECK(io.read(0xCF8, 4) == 0x443322F8u);
  io.write(0xCFC, 2, 0xBEEF);
  REQUIRE(dev.log.size() == 2);
  CHECK(dev.log[0] == PortAccess{false, 0xCF8, 4, 0});
  CHECK(dev.log[1] == PortAccess{true, 0xCFC, 2, 0xBEEF});
}

TEST_CASE("a word or dword access to a byte-only device is split into bytes, low first") {
  IoSpace io;
  RecordingDevice dev;
  dev.attach(io, 0x60, 4, "kbd", kIoByte);
  // Each byte read answers 0x00 | low byte of its port: 0x60, 0x61, 0x62, 0x63.
  CHECK(io.read(0x60, 4) == 0x63626160u);
  REQUIRE(dev.log.size() == 4);
  for (unsigned i = 0; i < 4; ++i) {
    CHECK(dev.log[i] == PortAccess{false, static_cast<uint16_t>(0x60 + i), 1, 0});
  }
  dev.log.clear();
  io.write(0x60, 2, 0xBEEF);
  REQUIRE(dev.log.size() == 2);
  CHECK(dev.log[0] == PortAccess{true, 0x60, 1, 0xEF});
  CHECK(dev.log[1] == PortAccess{true, 0x61, 1, 0xBE});
}

TEST_CASE("a split access reaches two devices and unclaimed halves read all-ones") {
  IoSpace io;
  RecordingDevice a, b;
  a.attach(io, 0x70, 1, "cmos index", kIoByte);
  b.attach(io, 0x71, 1, "cmos data", kIoByte);
  CHECK(io.read(0x70, 2) == 0x7170u);
  CHECK(a.log.size() == 1);
  CHECK(b.log.size() == 1);
  // 0x72 and 0x73 are unclaimed: the high word reads 0xFFFF.
  CHECK(io.read(0x70, 4) == 0xFFFF7170u);
}

TEST_CASE("a byte access to a word-only device reads the word and keeps the low byte") {
  IoSpace io;
  RecordingDevice dev;
  dev.attach(io, 0x1F0, 2, "ata data", kIoWord);
  CHECK(io.read(0x1F0, 1) == 0xF0u);
  REQUIRE(dev.log.size() == 1);
  CHECK(dev.log[0].size == 2);
  io.write(0x1F0, 1, 0x1AB);
  REQUIRE(dev.log.size() == 2);
  CHECK(dev.log[1] == PortAccess{true, 0x1F0, 2, 0xAB});
}

TEST_CASE("claiming a taken port is an error that names both owners") {
  IoSpace io;
  RecordingDevice pic, uart;
  pic.attach(io, 0x20, 2, "pic master", kIoByte);
  try {
    uart.attach(io, 0x21, 1, "uart", kIoByte);
    FAIL("expected a conflict");
  } catch (const std::logic_error& e) {
    const std::string message = e.what();
    CHECK(message.find("pic master") != std::string::npos);
    CHECK(message.find("uart") != std::string::npos);
    CHECK(message.find("0021") != std::string::npos);
  }
  // The failed registration claimed nothing.
  REQUIRE(io.owner_of(0x21) != nullptr);
  CHECK(*io.owner_of(0x21) == "pic master");
}

TEST_CASE("a range past port 0xFFFF is rejected") {
  IoSpace io;
  RecordingDevice dev;
  CHECK_THROWS_AS(dev.attach(io, 0xFFFF, 2, "too far", kIoByte), std::logic_error);
}

TEST_CASE("unregistering an owner frees its ports for another device") {
  IoSpace io;
  RecordingDevice first, second;
  first.attach(io, 0x3F8, 8, "com1", kIoByte);
  io.unregister_owner("com1");
  CHECK(io.read(0x3F8, 1) == 0xFFu);
  CHECK(first.log.empty());
  second.attach(io, 0x3F8, 8, "com1 again", kIoByte);
  CHECK(*io.owner_of(0x3FF) == "com1 again");
}
