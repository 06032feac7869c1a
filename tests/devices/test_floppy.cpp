#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "bus/irq.hpp"
#include "bus/physical_memory.hpp"
#include "devices/disk_image.hpp"
#include "devices/dma8237.hpp"
#include "devices/floppy82077.hpp"

using namespace x86lab;
using devices::DiskAccess;
using devices::DiskImage;
using devices::DiskMedium;
using devices::Floppy82077;

namespace {

constexpr uint32_t k144 = 1'474'560;

// Byte i of sector lba (CHS 80/2/18): (lba * 3 + i) & 0xFF, with the LBA in the first two.
uint8_t pattern(uint32_t lba, uint32_t i) {
  if (i == 0) return static_cast<uint8_t>(lba);
  if (i == 1) return static_cast<uint8_t>(lba >> 8);
  return static_cast<uint8_t>(lba * 3 + i);
}

struct TempImage {
  std::string path;
  explicit TempImage(uint32_t bytes) {
    char name[] = "/tmp/x86lab-fd-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    path = name;
    std::vector<uint8_t> data(bytes);
    for (uint32_t i = 0; i < bytes; ++i) data[i] = pattern(i / 512, i % 512);
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
  TempImage file{k144};
  std::unique_ptr<DiskImage> image;
  bus::Clock clock;
  bus::IoSpace io;
  bus::PhysicalMemory memory{1 << 20};
  devices::Dma8237 dma{memory};
  Floppy82077 fdc{clock, dma};
  LevelSink irq6;

  explicit Bench(DiskAccess access = DiskAccess::ReadWrite, uint32_t bytes = k144) : file(bytes) {
    image = std::make_unique<DiskImage>(file.path, DiskMedium::Floppy, access);
    dma.register_ports(io);
    fdc.register_ports(io);
    fdc.connect_irq(bus::IrqLine(irq6, 6));
    fdc.insert_disk(0, image.get());
    io.write(0xD6, 1, 0xC0);  // DMA cascade as the BIOS sets it
    io.write(0xD4, 1, 0x00);
  }
  void out(uint16_t port, uint8_t v) { io.write(port, 1, v); }
  uint8_t in(uint16_t port) { return static_cast<uint8_t>(io.read(port, 1)); }
  void settle() { clock.advance_by(1'000'000); }

  // Takes the controller out of reset and drains the four polling statuses.
  void start() {
    out(0x3F2, 0x00);
    out(0x3F2, 0x1C);  // motor A, DMA gate, not in reset, drive 0
    settle();
    REQUIRE(irq6.level);
    for (int i = 0; i < 4; ++i) sense_interrupt();
  }
  void command(std::initializer_list<uint8_t> bytes) {
    for (uint8_t b : bytes) {
      REQUIRE((in(0x3F4) & 0xC0) == 0x80);  // RQM, host to controller
      out(0x3F5, b);
    }
  }
  std::vector<uint8_t> results() {
    std::vector<uint8_t> r;
    while ((in(0x3F4) & 0xD0) == 0xD0) r.push_back(in(0x3F5));
    return r;
  }
  std::vector<uint8_t> sense_interrupt() {
    command({0x08});
    return results();
  }
  void seek(uint8_t head, uint8_t cylinder) {
    command({0x0F, static_cast<uint8_t>(head << 2), cylinder});
    settle();
    REQUIRE(irq6.level);
    const auto r = sense_interrupt();
    REQUIRE(r.size() == 2);
    CHECK(r[0] == (0x20 | head << 2));
    CHECK(r[1] == cylinder);
  }
  // DMA channel 2 for count bytes at address; mode 0x46 writes memory, 0x4A reads it.
  void program_dma(uint8_t mode, uint32_t address, uint32_t count) {
    out(0x0A, 0x06);
    out(0x0C, 0);
    out(0x0B, mode);
    out(0x04, static_cast<uint8_t>(address));
    out(0x04, static_cast<uint8_t>(address >> 8));
    out(0x81, static_cast<uint8_t>(address >> 16));
    out(0x05, static_cast<uint8_t>(count - 1));
    out(0x05, static_cast<uint8_t>((count - 1) >> 8));
    out(0x0A, 0x02);
  }
  std::vector<uint8_t> read_data(uint8_t op, uint8_t head, uint8_t c, uint8_t h, uint8_t r,
                                 uint8_t eot) {
    command({op, static_cast<uint8_t>(head << 2), c, h, r, 2, eot, 0x1B, 0xFF});
    CHECK((in(0x3F4) & 0x10) == 0x10);  // busy during execution
    settle();
    CHECK(irq6.level);
    auto res = results();
    CHECK_FALSE(irq6.level);  // reading the result cleared the interrupt
    return res;
  }
  bool memory_holds_sector(uint32_t address, uint32_t lba) {
    for (uint32_t i = 0; i < 512; ++i) {
      if (memory.read<uint8_t>(address + i) != pattern(lba, i)) return false;
    }
    return true;
  }
};

uint32_t lba_of(uint32_t c, uint32_t h, uint32_t r) { return (c * 2 + h) * 18 + r - 1; }

}  // namespace

TEST_CASE("fdc leaves reset with IRQ6 and four polling statuses for SENSE INTERRUPT") {
  Bench b;
  CHECK(b.in(0x3F4) == 0x00);  // held in reset after power-on
  b.out(0x3F2, 0x0C);
  CHECK_FALSE(b.irq6.level);
  b.settle();
  CHECK(b.irq6.level);
  CHECK(b.in(0x3F4) == 0x80);
  for (uint8_t d = 0; d < 4; ++d) {
    const auto r = b.sense_interrupt();
    REQUIRE(r.size() == 2);
    CHECK(r[0] == (0xC0 | d));
    CHECK(r[1] == 0);
    CHECK_FALSE(b.irq6.level);  // SENSE INTERRUPT STATUS clears the interrupt
  }
  CHECK_FALSE(b.irq6.level);
  CHECK(b.sense_interrupt() == std::vector<uint8_t>{0x80});  // nothing pending: invalid
}

TEST_CASE("fdc VERSION, invalid opcodes, SPECIFY/CONFIGURE/LOCK through DUMPREG") {
  Bench b;
  b.start();
  b.command({0x10});
  CHECK(b.results() == std::vector<uint8_t>{0x90});
  b.command({0x1F});
  CHECK(b.results() == std::vector<uint8_t>{0x80});
  CHECK_FALSE(b.irq6.level);
  b.command({0x03, 0xDF, 0x02});        // SRT 0xD, HUT 0xF, HLT 1, DMA
  b.command({0x13, 0x00, 0x57, 0x05});  // EIS, no FIFO... EFIFO=0, POLL=1, FIFOTHR=7
  b.command({0x12, 0x80 | 0x04});       // perpendicular: OW, drive 0
  b.command({0x94});
  CHECK(b.results() == std::vector<uint8_t>{0x10});
  b.command({0x0E});
  const auto r = b.results();
  REQUIRE(r.size() == 10);
  CHECK(r[4] == 0xDF);
  CHECK(r[5] == 0x02);
  CHECK(r[7] == (0x80 | 0x04));  // LOCK, D0
  CHECK(r[8] == 0x57);
  CHECK(r[9] == 0x05);
  // A locked CONFIGURE survives a software reset.
  b.out(0x3F4, 0x80);
  b.settle();
  b.command({0x0E});
  const auto after = b.results();
  REQUIRE(after.size() == 10);
  CHECK(after[8] == 0x57);
  CHECK(after[9] == 0x05);
}

TEST_CASE("fdc recalibrate and seek report SE with the new cylinder") {
  Bench b;
  b.start();
  b.command({0x0F, 0x04, 10});          // seek head 1 to cylinder 10
  CHECK((b.in(0x3F4) & 0x01) == 0x01);  // drive 0 busy
  b.settle();
  CHECK(b.irq6.level);
  auto r = b.sense_interrupt();
  CHECK(r == std::vector<uint8_t>{0x24, 10});
  CHECK_FALSE(b.irq6.level);
  CHECK((b.in(0x3F4) & 0x01) == 0x00);
  b.command({0x04, 0x00});  // SENSE DRIVE STATUS: not at track 0
  CHECK(b.results() == std::vector<uint8_t>{0x28});
  b.command({0x07, 0x00});
  b.settle();
  r = b.sense_interrupt();
  CHECK(r == std::vector<uint8_t>{0x20, 0});
  b.command({0x04, 0x04});
  CHECK(b.results() == std::vector<uint8_t>{0x28 | 0x10 | 0x04});  // T0, head 1
  // Drive 2 is not cabled: recalibrate ends with equipment check.
  b.command({0x07, 0x02});
  b.settle();
  CHECK(b.sense_interrupt() == std::vector<uint8_t>{0x72, 0});
}

TEST_CASE("fdc reads a sector by DMA into memory") {
  Bench b;
  b.start();
  b.seek(1, 2);
  b.program_dma(0x46, 0x10000, 512);
  const auto r = b.read_data(0xE6, 1, 2, 1, 3, 18);
  CHECK(r == std::vector<uint8_t>{0x04, 0x00, 0x00, 2, 1, 4, 2});
  CHECK(b.memory_holds_sector(0x10000, lba_of(2, 1, 3)));
  CHECK(b.memory.read<uint8_t>(0x10200) == 0);  // terminal count stopped it
}

TEST_CASE("fdc multi-track read continues from head 0 to head 1") {
  Bench b;
  b.start();
  b.seek(0, 0);
  b.program_dma(0x46, 0x20000, 3 * 512);
  const auto r = b.read_data(0xC6, 0, 0, 0, 17, 18);  // MT: sectors 17, 18, then 1 on head 1
  CHECK(r == std::vector<uint8_t>{0x04, 0x00, 0x00, 0, 1, 2, 2});
  CHECK(b.memory_holds_sector(0x20000, lba_of(0, 0, 17)));
  CHECK(b.memory_holds_sector(0x20200, lba_of(0, 0, 18)));
  CHECK(b.memory_holds_sector(0x20400, lba_of(0, 1, 1)));
}

TEST_CASE("fdc read past EOT without terminal count ends with end of cylinder") {
  Bench b;
  b.start();
  b.seek(0, 5);
  b.program_dma(0x46, 0x30000, 8 * 512);
  const auto r = b.read_data(0x46, 0, 5, 0, 17, 18);
  CHECK(r == std::vector<uint8_t>{0x40, 0x80, 0x00, 6, 0, 1, 2});
  CHECK(b.memory_holds_sector(0x30200, lba_of(5, 0, 18)));
}

TEST_CASE("fdc writes a sector from memory and reads it back") {
  Bench b;
  b.start();
  b.seek(0, 79);
  for (uint32_t i = 0; i < 512; ++i) b.memory.write<uint8_t>(0x40000 + i, static_cast<uint8_t>(~i));
  b.program_dma(0x4A, 0x40000, 512);
  auto r = b.read_data(0xC5, 0, 79, 0, 18, 18);  // the last sector of head 0, MT: next is H1
  CHECK(r == std::vector<uint8_t>{0x00, 0x00, 0x00, 79, 1, 1, 2});
  std::vector<uint8_t> on_disk(512);
  REQUIRE(b.image->read_sectors(lba_of(79, 0, 18), 512, on_disk) == devices::DiskStatus::Ok);
  CHECK(on_disk[0] == 0xFF);
  CHECK(on_disk[511] == static_cast<uint8_t>(~511u));
  b.program_dma(0x46, 0x50000, 512);
  r = b.read_data(0xE6, 0, 79, 0, 18, 18);
  CHECK(r[0] == 0x00);
  CHECK(b.memory.read<uint8_t>(0x50000) == 0xFF);
  CHECK(b.memory.read<uint8_t>(0x50000 + 300) == static_cast<uint8_t>(~300u));
}

TEST_CASE("fdc refuses writes to a read-only image: ST1 NW and ST3 WP") {
  Bench b(DiskAccess::ReadOnly);
  b.start();
  b.command({0x04, 0x00});
  CHECK(b.results() == std::vector<uint8_t>{0x28 | 0x40 | 0x10});
  b.program_dma(0x4A, 0x40000, 512);
  const auto r = b.read_data(0xC5, 0, 0, 0, 1, 18);
  CHECK(r == std::vector<uint8_t>{0x40, 0x02, 0x00, 0, 0, 1, 2});
  std::vector<uint8_t> first(512);
  REQUIRE(b.image->read_sectors(0, 512, first) == devices::DiskStatus::Ok);
  CHECK(first[2] == pattern(0, 2));
}

TEST_CASE("fdc never reaches past the image: wrong sector, wrong cylinder, far track") {
  Bench b;
  b.start();
  b.seek(0, 3);
  b.program_dma(0x46, 0x10000, 512);
  auto r = b.read_data(0xE6, 0, 3, 0, 19, 19);  // a 1.44M track has 18 sectors
  CHECK(r[0] == 0x40);
  CHECK(r[1] == 0x04);                    // no data
  r = b.read_data(0xE6, 0, 4, 0, 1, 18);  // the head is on cylinder 3
  CHECK(r[0] == 0x40);
  CHECK(r[1] == 0x04);
  CHECK(r[2] == 0x10);  // wrong cylinder
  r = b.read_data(0xE6, 0, 3, 0, 1, 18);
  CHECK(r[1] == 0x00);  // the DMA channel still had its count
  b.seek(0, 200);       // beyond the last cylinder: no IDs there
  b.program_dma(0x46, 0x10000, 512);
  r = b.read_data(0xE6, 0, 200, 0, 1, 18);
  CHECK(r[0] == 0x40);
  CHECK(r[1] == 0x01);  // missing address mark
  b.command({0x4A, 0x00});
  b.settle();
  CHECK(b.results()[1] == 0x01);
}

TEST_CASE("fdc with seek-on-transfer (as Bochs and QEMU) reads another cylinder without SEEK") {
  Bench b;
  b.fdc.set_seek_on_transfer(true);
  b.start();
  b.seek(0, 3);
  b.program_dma(0x46, 0x10000, 512);
  const auto r = b.read_data(0xE6, 1, 5, 1, 2, 18);  // the head is on cylinder 3
  CHECK(r[0] == (0x20 | 0x04));                      // seek end, head 1, normal termination
  CHECK(r[1] == 0x00);
  CHECK(r[2] == 0x00);
  CHECK(b.fdc.state().drives[0].cylinder == 5);
  // C5 H1 R2 of a 1.44M disk (18 sectors, 2 heads) is LBA (5 * 2 + 1) * 18 + 1.
  CHECK(b.memory.read<uint8_t>(0x10000 + 7) == pattern((5 * 2 + 1) * 18 + 1, 7));
}

TEST_CASE("fdc 2.88M disk: 36 sectors a track, the last sector of the last cylinder") {
  Bench b(DiskAccess::ReadWrite, 2'949'120);
  b.start();
  b.out(0x3F7, 0x03);  // CCR: 1 Mbit/s, the 2.88M rate
  b.seek(1, 79);
  b.program_dma(0x46, 0x10000, 512);
  auto r = b.read_data(0xE6, 1, 79, 1, 36, 36);
  CHECK(r[0] == 0x04);  // normal termination, head 1
  CHECK(r[1] == 0x00);
  const uint32_t last = (79 * 2 + 1) * 36 + 35;  // LBA 5759, the image's last sector
  CHECK(b.memory.read<uint8_t>(0x10000) == pattern(last, 0));
  CHECK(b.memory.read<uint8_t>(0x10001) == pattern(last, 1));
  CHECK(b.memory.read<uint8_t>(0x10000 + 511) == pattern(last, 511));
  b.program_dma(0x46, 0x10000, 512);
  r = b.read_data(0xE6, 1, 79, 1, 37, 37);  // no sector 37
  CHECK(r[0] == (0x40 | 0x04));
  CHECK(r[1] == 0x04);
}

TEST_CASE("fdc READ ID reports the track under the head") {
  Bench b;
  b.start();
  b.seek(1, 7);
  b.command({0x4A, 0x04});
  b.settle();
  CHECK(b.irq6.level);
  CHECK(b.results() == std::vector<uint8_t>{0x04, 0, 0, 7, 1, 1, 2});
}

TEST_CASE("fdc format track fills the sectors named by the DMA'd IDs") {
  Bench b;
  b.start();
  b.seek(1, 1);
  // Three IDs (C, H, R, N) for sectors 1-3 of cylinder 1, head 1.
  const uint8_t ids[] = {1, 1, 1, 2, 1, 1, 2, 2, 1, 1, 3, 2};
  for (uint32_t i = 0; i < sizeof ids; ++i) b.memory.write<uint8_t>(0x6000 + i, ids[i]);
  b.program_dma(0x4A, 0x6000, sizeof ids);
  b.command({0x4D, 0x04, 2, 3, 0x54, 0xE5});
  b.settle();
  CHECK(b.irq6.level);
  const auto r = b.results();
  REQUIRE(r.size() == 7);
  CHECK(r[0] == 0x04);
  std::vector<uint8_t> sector(512);
  REQUIRE(b.image->read_sectors(lba_of(1, 1, 3), 512, sector) == devices::DiskStatus::Ok);
  CHECK(sector[0] == 0xE5);
  CHECK(sector[511] == 0xE5);
  REQUIRE(b.image->read_sectors(lba_of(1, 1, 4), 512, sector) == devices::DiskStatus::Ok);
  CHECK(sector[2] == pattern(lba_of(1, 1, 4), 2));
}

TEST_CASE("fdc disk change line: set on insert, cleared by a seek with a disk in") {
  Bench b;
  b.start();
  CHECK((b.in(0x3F7) & 0x80) == 0x80);
  b.seek(0, 1);
  CHECK((b.in(0x3F7) & 0x80) == 0x00);
  b.fdc.insert_disk(0, nullptr);
  CHECK((b.in(0x3F7) & 0x80) == 0x80);
  b.seek(0, 0);
  CHECK((b.in(0x3F7) & 0x80) == 0x80);  // no disk: the line stays
}

TEST_CASE("fdc interrupt output is gated by the DOR DMA bit") {
  Bench b;
  b.start();
  b.out(0x3F2, 0x14);  // DMA gate off
  b.command({0x07, 0x00});
  b.settle();
  CHECK_FALSE(b.irq6.level);
  b.out(0x3F2, 0x1C);
  CHECK(b.irq6.level);
  CHECK(b.sense_interrupt() == std::vector<uint8_t>{0x20, 0});
}
