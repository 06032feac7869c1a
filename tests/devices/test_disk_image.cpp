#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "devices/disk_image.hpp"

using namespace x86lab;
using devices::DiskAccess;
using devices::DiskImage;
using devices::DiskImageError;
using devices::DiskMedium;
using devices::DiskStatus;

namespace {

// A file in /tmp holding the given bytes, removed at the end of the test.
struct TempFile {
  std::string path;
  explicit TempFile(const std::vector<uint8_t>& bytes) {
    char name[] = "/tmp/x86lab-disk-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    path = name;
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      REQUIRE(n > 0);
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }
  ~TempFile() { std::remove(path.c_str()); }
  std::vector<uint8_t> contents() const {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
};

// Sector s holds bytes (s * 7 + i) & 0xFF.
std::vector<uint8_t> patterned(std::size_t bytes) {
  std::vector<uint8_t> v(bytes);
  for (std::size_t i = 0; i < bytes; ++i) v[i] = static_cast<uint8_t>((i / 512) * 7 + i % 512);
  return v;
}

std::string error_of(const std::string& path, DiskMedium medium, DiskAccess access) {
  try {
    DiskImage image(path, medium, access);
  } catch (const DiskImageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("disk image reads sectors and writes reach the file at once") {
  TempFile file(patterned(64 * 512));
  DiskImage image(file.path, DiskMedium::HardDisk, DiskAccess::ReadWrite);
  CHECK(image.size_bytes() == 64 * 512);
  CHECK(image.sector_count(512) == 64);
  std::vector<uint8_t> sector(512);
  REQUIRE(image.read_sectors(3, 512, sector) == DiskStatus::Ok);
  CHECK(sector[0] == 21);
  CHECK(sector[10] == 31);
  std::vector<uint8_t> data(1024, 0xA5);
  REQUIRE(image.write_sectors(10, 512, data) == DiskStatus::Ok);
  const auto on_disk = file.contents();  // no flush needed: the write completed with pwrite
  CHECK(on_disk[10 * 512] == 0xA5);
  CHECK(on_disk[12 * 512 - 1] == 0xA5);
  CHECK(on_disk[12 * 512] == static_cast<uint8_t>(12 * 7));
  CHECK(image.flush() == DiskStatus::Ok);
}

TEST_CASE("disk image refuses every access outside the image") {
  TempFile file(patterned(8 * 512));
  DiskImage image(file.path, DiskMedium::HardDisk, DiskAccess::ReadWrite);
  std::vector<uint8_t> buf(512);
  CHECK(image.read_sectors(7, 512, buf) == DiskStatus::Ok);
  CHECK(image.read_sectors(8, 512, buf) == DiskStatus::OutOfRange);
  CHECK(image.read(8 * 512 - 511, buf) == DiskStatus::OutOfRange);
  CHECK(image.write_sectors(8, 512, buf) == DiskStatus::OutOfRange);
  CHECK(image.read_sectors(~uint64_t{0} / 512, 512, buf) == DiskStatus::OutOfRange);
  CHECK(image.read(~uint64_t{0} - 10, buf) == DiskStatus::OutOfRange);
  std::vector<uint8_t> two(1024);
  CHECK(image.read_sectors(7, 512, two) == DiskStatus::OutOfRange);
  CHECK(file.contents() == patterned(8 * 512));
}

TEST_CASE("snapshot keeps writes in memory and never writes the file") {
  const auto original = patterned(32 * 512);
  TempFile file(original);
  {
    DiskImage image(file.path, DiskMedium::HardDisk, DiskAccess::Snapshot);
    CHECK(image.writable());
    std::vector<uint8_t> data(512, 0x5A);
    REQUIRE(image.write_sectors(4, 512, data) == DiskStatus::Ok);
    // A write inside a block merges with what the file holds.
    const std::vector<uint8_t> small = {1, 2, 3};
    REQUIRE(image.write(9 * 512 + 100, small) == DiskStatus::Ok);
    CHECK(image.snapshot_blocks() == 2);
    std::vector<uint8_t> back(3 * 512);
    REQUIRE(image.read_sectors(3, 512, back) == DiskStatus::Ok);
    CHECK(back[0] == original[3 * 512]);
    CHECK(back[512] == 0x5A);
    CHECK(back[1023] == 0x5A);
    CHECK(back[1024] == original[5 * 512]);
    std::vector<uint8_t> block(512);
    REQUIRE(image.read_sectors(9, 512, block) == DiskStatus::Ok);
    CHECK(block[99] == original[9 * 512 + 99]);
    CHECK(block[100] == 1);
    CHECK(block[102] == 3);
    CHECK(block[103] == original[9 * 512 + 103]);
    CHECK(image.flush() == DiskStatus::Ok);
  }
  CHECK(file.contents() == original);
}

TEST_CASE("read-only image refuses writes and leaves the file alone") {
  const auto original = patterned(16 * 512);
  TempFile file(original);
  DiskImage image(file.path, DiskMedium::HardDisk, DiskAccess::ReadOnly);
  CHECK_FALSE(image.writable());
  std::vector<uint8_t> data(512, 0xEE);
  CHECK(image.write_sectors(0, 512, data) == DiskStatus::ReadOnly);
  std::vector<uint8_t> back(512);
  REQUIRE(image.read_sectors(0, 512, back) == DiskStatus::Ok);
  CHECK(back[1] == 1);
  CHECK(file.contents() == original);
}

TEST_CASE("a second writer of a locked image is refused with a message naming the file") {
  TempFile file(patterned(16 * 512));
  {
    DiskImage first(file.path, DiskMedium::HardDisk, DiskAccess::ReadWrite);
    const std::string again = error_of(file.path, DiskMedium::HardDisk, DiskAccess::ReadWrite);
    CHECK(again.find(file.path) != std::string::npos);
    CHECK(again.find("in use") != std::string::npos);
    // A reader is refused while a writer holds the image, too.
    CHECK_FALSE(error_of(file.path, DiskMedium::HardDisk, DiskAccess::Snapshot).empty());
  }
  // The lock goes with the image; readers share.
  DiskImage a(file.path, DiskMedium::HardDisk, DiskAccess::ReadOnly);
  DiskImage b(file.path, DiskMedium::HardDisk, DiskAccess::Snapshot);
  CHECK_FALSE(error_of(file.path, DiskMedium::HardDisk, DiskAccess::ReadWrite).empty());
}

TEST_CASE("floppy images must have a PC floppy size") {
  for (uint64_t size : {368'640u, 737'280u, 1'228'800u, 1'474'560u, 2'949'120u}) {
    TempFile file{std::vector<uint8_t>(size)};
    DiskImage image(file.path, DiskMedium::Floppy, DiskAccess::ReadOnly);
    REQUIRE(image.floppy_geometry() != nullptr);
    const auto& g = *image.floppy_geometry();
    CHECK(uint64_t{g.cylinders} * g.heads * g.sectors_per_track * 512 == size);
  }
  TempFile odd{std::vector<uint8_t>(1'000'000)};
  const std::string message = error_of(odd.path, DiskMedium::Floppy, DiskAccess::ReadOnly);
  CHECK(message.find(odd.path) != std::string::npos);
  CHECK(message.find("1000000") != std::string::npos);
  CHECK(message.find("1474560") != std::string::npos);
  CHECK(message.find("737280") != std::string::npos);
}

TEST_CASE("a short floppy image is the smallest format that holds it, its tail blank") {
  // grub-rescue-floppy.img is 1296384 bytes: made to be written onto a 1.44M floppy.
  std::vector<uint8_t> bytes(1'296'384, 0x5A);
  TempFile file{bytes};
  DiskImage image(file.path, DiskMedium::Floppy, DiskAccess::Snapshot);
  REQUIRE(image.floppy_geometry() != nullptr);
  CHECK(image.floppy_geometry()->bytes == 1'474'560);
  CHECK(image.size_bytes() == 1'474'560);
  std::vector<uint8_t> sector(1024, 0xEE);
  // The last sector in the file, then the first past it.
  REQUIRE(image.read(1'296'384 - 512, sector) == DiskStatus::Ok);
  CHECK(sector[0] == 0x5A);
  CHECK(sector[511] == 0x5A);
  CHECK(sector[512] == 0);
  CHECK(sector[1023] == 0);
  // A write past the file's end is read back (snapshot: in memory).
  const std::vector<uint8_t> data(512, 0x77);
  REQUIRE(image.write(1'474'560 - 512, data) == DiskStatus::Ok);
  REQUIRE(image.read(1'474'560 - 1024, sector) == DiskStatus::Ok);
  CHECK(sector[0] == 0);
  CHECK(sector[512] == 0x77);
  CHECK(image.read(1'474'560, std::span(sector).first(512)) == DiskStatus::OutOfRange);
  // Larger than the largest format, or not whole sectors: refused.
  TempFile ragged{std::vector<uint8_t>(1'296'385)};
  CHECK_FALSE(error_of(ragged.path, DiskMedium::Floppy, DiskAccess::ReadOnly).empty());
  TempFile huge{std::vector<uint8_t>(2'949'120 + 512)};
  CHECK_FALSE(error_of(huge.path, DiskMedium::Floppy, DiskAccess::ReadOnly).empty());
}

TEST_CASE("a write past the end of a short floppy image extends the file") {
  TempFile file{std::vector<uint8_t>(368'640 - 1024, 0x11)};
  {
    DiskImage image(file.path, DiskMedium::Floppy, DiskAccess::ReadWrite);
    CHECK(image.size_bytes() == 368'640);
    const std::vector<uint8_t> data(512, 0x22);
    REQUIRE(image.write(368'640 - 512, data) == DiskStatus::Ok);
    std::vector<uint8_t> back(1024);
    REQUIRE(image.read(368'640 - 1024, back) == DiskStatus::Ok);
    CHECK(back[0] == 0);
    CHECK(back[512] == 0x22);
  }
  const auto contents = file.contents();
  REQUIRE(contents.size() == 368'640);
  CHECK(contents[368'640 - 1024] == 0);
  CHECK(contents.back() == 0x22);
}

TEST_CASE("hard disk and CD images must be whole sectors and not empty") {
  TempFile empty(std::vector<uint8_t>{});
  CHECK(error_of(empty.path, DiskMedium::HardDisk, DiskAccess::ReadOnly).find("512") !=
        std::string::npos);
  TempFile ragged{std::vector<uint8_t>(1000)};
  CHECK(error_of(ragged.path, DiskMedium::HardDisk, DiskAccess::ReadOnly).find(ragged.path) !=
        std::string::npos);
  TempFile short_cd{std::vector<uint8_t>(512 * 3)};
  CHECK(error_of(short_cd.path, DiskMedium::CdRom, DiskAccess::ReadOnly).find("2048") !=
        std::string::npos);
  CHECK(error_of("/nonexistent/x86lab.img", DiskMedium::HardDisk, DiskAccess::ReadOnly)
            .find("/nonexistent/x86lab.img") != std::string::npos);
}
