#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "bus/irq.hpp"
#include "devices/ata.hpp"
#include "devices/disk_image.hpp"

using namespace x86lab;
using devices::AtaChannel;
using devices::DiskAccess;
using devices::DiskImage;
using devices::DiskMedium;

namespace {

constexpr uint32_t kDiskSectors = 8192;  // 4 MiB: CHS 8/16/63
constexpr uint32_t kCdSectors = 100;

// Byte i of a sector: the sector number in the first four bytes, then (sector * 5 + i).
uint8_t pattern(uint32_t sector, uint32_t i) {
  if (i < 4) return static_cast<uint8_t>(sector >> (8 * i));
  return static_cast<uint8_t>(sector * 5 + i);
}

struct TempImage {
  std::string path;
  TempImage(uint32_t sectors, uint32_t sector_size) {
    char name[] = "/tmp/x86lab-ata-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    path = name;
    std::vector<uint8_t> data(std::size_t{sectors} * sector_size);
    for (std::size_t i = 0; i < data.size(); ++i) {
      data[i] = pattern(static_cast<uint32_t>(i / sector_size), i % sector_size);
    }
    REQUIRE(::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    ::close(fd);
  }
  ~TempImage() { std::remove(path.c_str()); }
};

struct LevelSink : bus::IrqSink {
  bool level = false;
  unsigned rises = 0;
  void set_irq_level(unsigned, bool high) override {
    if (high && !level) ++rises;
    level = high;
  }
};

struct Bench {
  TempImage disk_file{kDiskSectors, 512};
  TempImage cd_file{kCdSectors, 2048};
  std::unique_ptr<DiskImage> disk;
  std::unique_ptr<DiskImage> cd;
  bus::Clock clock;
  bus::IoSpace io;
  AtaChannel primary{clock, AtaChannel::kPrimaryBase, AtaChannel::kPrimaryControl, "ide0"};
  AtaChannel secondary{clock, AtaChannel::kSecondaryBase, AtaChannel::kSecondaryControl, "ide1"};
  LevelSink irq14, irq15;

  explicit Bench(DiskAccess access = DiskAccess::ReadWrite) {
    disk = std::make_unique<DiskImage>(disk_file.path, DiskMedium::HardDisk, access);
    cd = std::make_unique<DiskImage>(cd_file.path, DiskMedium::CdRom, DiskAccess::ReadOnly);
    primary.attach_hard_disk(0, *disk);
    secondary.attach_cdrom(0, cd.get());
    primary.register_ports(io);
    secondary.register_ports(io);
    primary.connect_irq(bus::IrqLine(irq14, 14));
    secondary.connect_irq(bus::IrqLine(irq15, 15));
  }
  void out(uint16_t port, uint8_t v) { io.write(port, 1, v); }
  uint8_t in(uint16_t port) { return static_cast<uint8_t>(io.read(port, 1)); }
  uint16_t in16(uint16_t port) { return static_cast<uint16_t>(io.read(port, 2)); }
  // Waits (on the clock) until BSY clears; returns the alternate status.
  uint8_t wait(uint16_t base = 0x1F0) {
    const uint16_t control = base == 0x1F0 ? 0x3F6 : 0x376;
    for (int i = 0; i < 100 && (in(control)&0x80); ++i) clock.advance_by(1'000);
    return in(control);
  }
  void lba28(uint8_t command, uint32_t lba, uint8_t count) {
    out(0x1F6, static_cast<uint8_t>(0xE0 | (lba >> 24)));
    out(0x1F2, count);
    out(0x1F3, static_cast<uint8_t>(lba));
    out(0x1F4, static_cast<uint8_t>(lba >> 8));
    out(0x1F5, static_cast<uint8_t>(lba >> 16));
    out(0x1F7, command);
  }
  void lba48(uint8_t command, uint64_t lba, uint16_t count) {
    out(0x1F6, 0x40);
    out(0x1F2, static_cast<uint8_t>(count >> 8));
    out(0x1F3, static_cast<uint8_t>(lba >> 24));
    out(0x1F4, static_cast<uint8_t>(lba >> 32));
    out(0x1F5, static_cast<uint8_t>(lba >> 40));
    out(0x1F2, static_cast<uint8_t>(count));
    out(0x1F3, static_cast<uint8_t>(lba));
    out(0x1F4, static_cast<uint8_t>(lba >> 8));
    out(0x1F5, static_cast<uint8_t>(lba >> 16));
    out(0x1F7, command);
  }
  std::vector<uint8_t> read_block(uint16_t base, std::size_t bytes) {
    std::vector<uint8_t> v;
    for (std::size_t i = 0; i < bytes; i += 2) {
      const uint16_t w = in16(base);
      v.push_back(static_cast<uint8_t>(w));
      v.push_back(static_cast<uint8_t>(w >> 8));
    }
    return v;
  }
  // Reads `sectors` sectors of PIO data, DRQ block by DRQ block, counting interrupts.
  std::vector<uint8_t> pio_in(unsigned sectors, unsigned per_block) {
    std::vector<uint8_t> all;
    for (unsigned done = 0; done < sectors; done += per_block) {
      const uint8_t status = wait();
      REQUIRE((status & 0x89) == 0x08);  // DRQ, not BSY, no ERR
      CHECK(irq14.level);
      in(0x1F7);  // acknowledge
      const auto block = read_block(0x1F0, 512u * std::min(per_block, sectors - done));
      all.insert(all.end(), block.begin(), block.end());
    }
    CHECK((wait() & 0xF9) == 0x50);
    return all;
  }
  void pio_out(const std::vector<uint8_t>& data, unsigned per_block) {
    const std::size_t block = 512u * per_block;
    for (std::size_t at = 0; at < data.size(); at += block) {
      const uint8_t status = wait();
      REQUIRE((status & 0x89) == 0x08);
      for (std::size_t i = at; i < std::min(data.size(), at + block); i += 2) {
        io.write(0x1F0, 2, static_cast<uint32_t>(data[i] | data[i + 1] << 8));
      }
      wait();
      CHECK(irq14.level);
      in(0x1F7);
    }
    CHECK((wait() & 0xF9) == 0x50);
  }
  bool holds(const std::vector<uint8_t>& data, uint32_t first_sector) {
    for (std::size_t i = 0; i < data.size(); ++i) {
      if (data[i] != pattern(first_sector + static_cast<uint32_t>(i / 512), i % 512)) return false;
    }
    return true;
  }
  std::vector<uint16_t> identify(uint16_t base, uint8_t command) {
    out(static_cast<uint16_t>(base + 7), command);
    wait(base);
    std::vector<uint16_t> w;
    for (int i = 0; i < 256; ++i) w.push_back(in16(base));
    return w;
  }

  // ATAPI: sends a packet on the secondary channel and collects the data it returns.
  struct PacketResult {
    std::vector<uint8_t> data;
    unsigned blocks = 0;
    uint8_t status = 0, error = 0, reason = 0;
  };
  PacketResult packet(std::vector<uint8_t> cdb, uint16_t byte_limit = 0xFFFE) {
    cdb.resize(12, 0);
    out(0x176, 0x00);
    out(0x171, 0x00);  // PIO
    out(0x174, static_cast<uint8_t>(byte_limit));
    out(0x175, static_cast<uint8_t>(byte_limit >> 8));
    out(0x177, 0xA0);
    CHECK((wait(0x170) & 0x88) == 0x08);
    CHECK((in(0x172) & 3) == 1);  // CoD: the device wants the packet
    for (int i = 0; i < 12; i += 2)
      io.write(0x170, 2, static_cast<uint32_t>(cdb[i] | cdb[i + 1] << 8));
    PacketResult r;
    for (;;) {
      const uint8_t status = wait(0x170);
      if (!(status & 0x08)) break;
      CHECK(irq15.level);
      in(0x177);
      CHECK((in(0x172) & 3) == 2);  // IO: data to the host
      const unsigned n = in(0x174) | in(0x175) << 8;
      CHECK(n <= byte_limit);
      const auto chunk = read_block(0x170, n);
      r.data.insert(r.data.end(), chunk.begin(), chunk.begin() + n);
      ++r.blocks;
    }
    CHECK(irq15.level);
    r.status = in(0x177);
    r.error = in(0x171);
    r.reason = in(0x172) & 3;
    return r;
  }
};

uint32_t be32(const std::vector<uint8_t>& v, std::size_t at) {
  return uint32_t{v[at]} << 24 | uint32_t{v[at + 1]} << 16 | uint32_t{v[at + 2]} << 8 | v[at + 3];
}

std::string ata_string(const std::vector<uint16_t>& w, unsigned first, unsigned words) {
  std::string s;
  for (unsigned i = 0; i < words; ++i) {
    s += static_cast<char>(w[first + i] >> 8);
    s += static_cast<char>(w[first + i] & 0xFF);
  }
  return s;
}

}  // namespace

TEST_CASE("ata disk leaves reset with the ATA signature and DRDY") {
  Bench b;
  CHECK(b.in(0x1F7) == 0x50);
  CHECK(b.in(0x1F1) == 0x01);
  CHECK(b.in(0x1F2) == 0x01);
  CHECK(b.in(0x1F3) == 0x01);
  CHECK(b.in(0x1F4) == 0x00);
  CHECK(b.in(0x1F5) == 0x00);
  b.out(0x1F6, 0xB0);  // the absent slave reads status 0
  CHECK(b.in(0x1F7) == 0x00);
  b.out(0x1F7, 0xEC);  // and ignores commands
  CHECK(b.in(0x3F6) == 0x00);
}

TEST_CASE("ata IDENTIFY DEVICE: capacity words, geometry and byte-swapped strings") {
  Bench b;
  const auto w = b.identify(0x1F0, 0xEC);
  CHECK(b.irq14.level);
  CHECK((b.in(0x1F7) & 0x08) == 0);  // all 256 words taken
  CHECK(w[1] == 8);                  // 8192 / (16 * 63)
  CHECK(w[3] == 16);
  CHECK(w[6] == 63);
  CHECK(ata_string(w, 27, 20).rfind("x86lab HARDDISK", 0) == 0);
  CHECK(ata_string(w, 27, 20).size() == 40);
  CHECK(ata_string(w, 27, 20).back() == ' ');
  CHECK(w[47] == 0x8010);  // up to 16 sectors a block
  CHECK((w[49] & 0x0200) != 0);
  CHECK(w[60] == kDiskSectors);
  CHECK(w[61] == 0);
  CHECK((w[83] & 0x0400) != 0);  // 48-bit feature set
  CHECK((w[86] & 0x0400) != 0);
  CHECK(w[100] == kDiskSectors);
  CHECK(w[101] == 0);
  CHECK(w[57] == 8 * 16 * 63);
}

TEST_CASE("ata READ SECTORS LBA28: one interrupt per sector") {
  Bench b;
  b.lba28(0x20, 100, 3);
  CHECK((b.in(0x3F6) & 0x80) != 0);  // BSY first
  const auto data = b.pio_in(3, 1);
  CHECK(b.holds(data, 100));
  CHECK(b.irq14.rises == 3);
}

TEST_CASE("ata WRITE SECTORS LBA28 reaches the image and reads back") {
  Bench b;
  std::vector<uint8_t> data(2 * 512);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 13);
  b.lba28(0x30, 4000, 2);
  b.pio_out(data, 1);
  std::vector<uint8_t> on_disk(1024);
  REQUIRE(b.disk->read_sectors(4000, 512, on_disk) == devices::DiskStatus::Ok);
  CHECK(on_disk == data);
  b.lba28(0x20, 4000, 2);
  CHECK(b.pio_in(2, 1) == data);
}

TEST_CASE("ata LBA48 READ/WRITE SECTORS EXT use the high-order bytes") {
  Bench b;
  b.lba48(0x24, 0x1F00, 2);
  CHECK(b.holds(b.pio_in(2, 1), 0x1F00));
  std::vector<uint8_t> data(512, 0x3C);
  b.lba48(0x34, kDiskSectors - 1, 1);
  b.pio_out(data, 1);
  std::vector<uint8_t> last(512);
  REQUIRE(b.disk->read_sectors(kDiskSectors - 1, 512, last) == devices::DiskStatus::Ok);
  CHECK(last == data);
  // HOB reads back the previous bytes of the last sector's address.
  b.out(0x3F6, 0x80);
  CHECK(b.in(0x1F3) == 0x00);
  b.out(0x3F6, 0x00);
  CHECK(b.in(0x1F3) == static_cast<uint8_t>(kDiskSectors - 1));
  CHECK(b.in(0x1F4) == static_cast<uint8_t>((kDiskSectors - 1) >> 8));
}

TEST_CASE("ata READ/WRITE MULTIPLE move SET MULTIPLE's block per interrupt") {
  Bench b;
  b.lba28(0xC4, 0, 8);  // before SET MULTIPLE: aborted
  CHECK(b.wait() == 0x51);
  CHECK(b.in(0x1F1) == 0x04);
  b.out(0x1F2, 3);  // not a power of two
  b.out(0x1F7, 0xC6);
  CHECK(b.wait() == 0x51);
  b.out(0x1F2, 4);
  b.out(0x1F7, 0xC6);
  CHECK(b.wait() == 0x50);
  CHECK(b.identify(0x1F0, 0xEC)[59] == 0x0104);
  b.irq14.rises = 0;
  b.lba28(0xC4, 200, 10);  // 4 + 4 + 2
  CHECK(b.holds(b.pio_in(10, 4), 200));
  CHECK(b.irq14.rises == 3);
  std::vector<uint8_t> data(8 * 512, 0x77);
  b.lba28(0xC5, 300, 8);
  b.pio_out(data, 4);
  std::vector<uint8_t> on_disk(8 * 512);
  REQUIRE(b.disk->read_sectors(300, 512, on_disk) == devices::DiskStatus::Ok);
  CHECK(on_disk == data);
}

TEST_CASE("ata refuses sectors past the end with IDNF and moves nothing") {
  Bench b;
  b.lba28(0x20, kDiskSectors, 1);
  CHECK(b.wait() == 0x51);
  CHECK(b.in(0x1F1) == 0x10);
  CHECK(b.irq14.level);
  b.lba28(0x30, kDiskSectors - 1, 2);  // the second sector is past the end
  CHECK(b.wait() == 0x51);
  CHECK(b.in(0x1F1) == 0x10);
  b.lba48(0x24, uint64_t{1} << 40, 1);
  CHECK(b.wait() == 0x51);
  CHECK(b.in(0x1F1) == 0x10);
  b.lba28(0x20, 0x0FFFFFFF, 0);  // 256 sectors at the top of LBA28
  CHECK(b.wait() == 0x51);
  // CHS beyond the geometry: sector 64 on a 63-sector track.
  b.out(0x1F6, 0xA0);
  b.out(0x1F2, 1);
  b.out(0x1F3, 64);
  b.out(0x1F4, 0);
  b.out(0x1F5, 0);
  b.out(0x1F7, 0x20);
  CHECK(b.wait() == 0x51);
  CHECK(b.in(0x1F1) == 0x10);
}

TEST_CASE("ata CHS addressing and INITIALIZE DEVICE PARAMETERS") {
  Bench b;
  auto chs_read = [&](uint16_t c, uint8_t h, uint8_t s) {
    b.out(0x1F6, static_cast<uint8_t>(0xA0 | h));
    b.out(0x1F2, 1);
    b.out(0x1F3, s);
    b.out(0x1F4, static_cast<uint8_t>(c));
    b.out(0x1F5, static_cast<uint8_t>(c >> 8));
    b.out(0x1F7, 0x20);
    return b.pio_in(1, 1);
  };
  CHECK(b.holds(chs_read(2, 3, 5), (2 * 16 + 3) * 63 + 4));
  b.out(0x1F6, 0xA0 | 7);  // 8 heads
  b.out(0x1F2, 32);        // 32 sectors a track
  b.out(0x1F7, 0x91);
  CHECK(b.wait() == 0x50);
  CHECK(b.holds(chs_read(2, 3, 5), (2 * 8 + 3) * 32 + 4));
  const auto w = b.identify(0x1F0, 0xEC);
  CHECK(w[54] == kDiskSectors / (8 * 32));
  CHECK(w[55] == 8);
  CHECK(w[56] == 32);
}

TEST_CASE("ata data port takes 32-bit reads") {
  Bench b;
  b.lba28(0x20, 7, 1);
  b.wait();
  std::vector<uint8_t> data;
  for (int i = 0; i < 128; ++i) {
    const uint32_t d = b.io.read(0x1F0, 4);
    for (int k = 0; k < 4; ++k) data.push_back(static_cast<uint8_t>(d >> (8 * k)));
  }
  CHECK(b.holds(data, 7));
  CHECK((b.in(0x1F7) & 0x08) == 0);
}

TEST_CASE("ata nIEN masks INTRQ, reading status clears it, SRST resets") {
  Bench b;
  b.out(0x3F6, 0x02);
  b.out(0x1F7, 0xE7);  // FLUSH CACHE
  CHECK(b.wait() == 0x50);
  CHECK_FALSE(b.irq14.level);
  b.out(0x3F6, 0x00);
  CHECK(b.irq14.level);  // the device still holds its interrupt
  b.in(0x3F6);
  CHECK(b.irq14.level);  // the alternate status does not clear it
  b.in(0x1F7);
  CHECK_FALSE(b.irq14.level);
  b.out(0x1F7, 0xFF);  // unknown command: aborted
  CHECK(b.wait() == 0x51);
  CHECK(b.in(0x1F1) == 0x04);
  b.lba28(0x20, 10, 1);
  b.wait();
  b.out(0x3F6, 0x04);
  CHECK((b.in(0x3F6) & 0x80) != 0);
  b.out(0x3F6, 0x00);
  CHECK(b.in(0x1F7) == 0x50);
  CHECK(b.in(0x1F2) == 1);
  CHECK(b.in(0x1F3) == 1);
  CHECK(b.in(0x1F1) == 0x01);
}

TEST_CASE("ata read-only image aborts writes") {
  Bench b(DiskAccess::ReadOnly);
  b.lba28(0x30, 0, 1);
  CHECK(b.wait() == 0x51);
  CHECK(b.in(0x1F1) == 0x04);
}

TEST_CASE("atapi signature, IDENTIFY DEVICE aborted, IDENTIFY PACKET DEVICE") {
  Bench b;
  CHECK(b.in(0x174) == 0x14);
  CHECK(b.in(0x175) == 0xEB);
  b.out(0x177, 0xEC);
  CHECK((b.wait(0x170) & 0x01) == 0x01);
  CHECK(b.in(0x171) == 0x04);
  CHECK(b.in(0x174) == 0x14);
  CHECK(b.in(0x175) == 0xEB);
  const auto w = b.identify(0x170, 0xA1);
  CHECK(w[0] == 0x85C0);
  CHECK((w[0] >> 14) == 2);          // ATAPI
  CHECK(((w[0] >> 8) & 0x1F) == 5);  // CD-ROM
  CHECK(ata_string(w, 27, 20).rfind("x86lab ATAPI CD-ROM", 0) == 0);
}

TEST_CASE("atapi READ CAPACITY and INQUIRY") {
  Bench b;
  auto r = b.packet({0x25});
  CHECK(r.status == 0x40);
  CHECK(r.reason == 3);
  REQUIRE(r.data.size() == 8);
  CHECK(be32(r.data, 0) == kCdSectors - 1);
  CHECK(be32(r.data, 4) == 2048);
  r = b.packet({0x12, 0, 0, 0, 36});
  REQUIRE(r.data.size() == 36);
  CHECK(r.data[0] == 0x05);
  CHECK(r.data[1] == 0x80);
  CHECK(std::string(r.data.begin() + 8, r.data.begin() + 14) == "x86lab");
}

TEST_CASE("atapi READ(10) in byte-count-limited DRQ blocks") {
  Bench b;
  auto r = b.packet({0x28, 0, 0, 0, 0, 10, 0, 0, 3}, 2048);
  CHECK(r.status == 0x40);
  CHECK(r.blocks == 3);
  REQUIRE(r.data.size() == 3 * 2048);
  for (uint32_t s = 0; s < 3; ++s) {
    CHECK(r.data[s * 2048] == 10 + s);
    CHECK(r.data[s * 2048 + 100] == pattern(10 + s, 100));
    CHECK(r.data[s * 2048 + 2047] == pattern(10 + s, 2047));
  }
  r = b.packet({0xA8, 0, 0, 0, 0, 98, 0, 0, 0, 2});  // READ(12), one DRQ block
  CHECK(r.blocks == 1);
  REQUIRE(r.data.size() == 2 * 2048);
  CHECK(r.data[2048] == 99);
}

TEST_CASE("atapi errors: LBA out of range, no disc, REQUEST SENSE, unit attention") {
  Bench b;
  auto r = b.packet({0x28, 0, 0, 0, 0, 99, 0, 0, 2});  // the second sector is past the end
  CHECK(r.status == 0x41);
  CHECK(r.error == (0x50 | 0x04));  // ILLEGAL REQUEST, ABRT
  CHECK(r.data.empty());
  r = b.packet({0x03, 0, 0, 0, 18});
  REQUIRE(r.data.size() == 18);
  CHECK(r.data[0] == 0x70);
  CHECK(r.data[2] == 0x05);
  CHECK(r.data[12] == 0x21);
  b.secondary.insert_disc(0, nullptr);
  r = b.packet({0x00});  // the change is reported once
  CHECK((r.error >> 4) == 0x06);
  r = b.packet({0x00});
  CHECK(r.status == 0x41);
  CHECK((r.error >> 4) == 0x02);
  r = b.packet({0x03, 0, 0, 0, 18});
  CHECK(r.data[2] == 0x02);
  CHECK(r.data[12] == 0x3A);  // medium not present
  r = b.packet({0x99});
  CHECK((r.error >> 4) == 0x05);
}

TEST_CASE("atapi READ TOC, MODE SENSE capabilities, GET CONFIGURATION") {
  Bench b;
  auto r = b.packet({0x43, 0, 0, 0, 0, 0, 0, 0, 100});
  REQUIRE(r.data.size() == 20);
  CHECK(r.data[1] == 18);
  CHECK(r.data[2] == 1);
  CHECK(r.data[3] == 1);
  CHECK(r.data[6] == 1);
  CHECK(r.data[14] == 0xAA);
  CHECK(be32(r.data, 16) == kCdSectors);
  r = b.packet({0x43, 0x02, 0, 0, 0, 0, 0, 0, 100});  // MSF: track 1 at 00:02:00
  CHECK(be32(r.data, 8) == 0x00000200);
  r = b.packet({0x5A, 0, 0x2A, 0, 0, 0, 0, 0, 64});
  REQUIRE(r.data.size() == 8 + 20);
  CHECK(r.data[8] == 0x2A);
  r = b.packet({0x46, 0, 0, 0, 0, 0, 0, 0, 64});
  REQUIRE(r.data.size() >= 8);
  CHECK(be32(r.data, 0) == r.data.size() - 4);
  CHECK(r.data[6] == 0x00);
  CHECK(r.data[7] == 0x08);          // current profile: CD-ROM
  r = b.packet({0x1E, 0, 0, 0, 1});  // prevent removal, then eject is refused
  CHECK(r.status == 0x40);
  r = b.packet({0x1B, 0, 0, 0, 0x02});
  CHECK((r.error >> 4) == 0x05);
  r = b.packet({0x00});
  CHECK(r.status == 0x40);
}
