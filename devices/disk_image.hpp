// A raw disk image file behind a floppy drive, a hard disk or a CD-ROM.
//
// Opening checks the size for the kind of medium (a floppy must be one of the PC formats, or a
// whole number of sectors smaller than one: a "short" image such as grub-rescue-floppy.img,
// made to be written onto a blank floppy, which is the smallest format that holds it with the
// missing tail reading as zeros; a hard disk a non-empty multiple of 512 bytes, a CD image a
// non-empty multiple of 2048 bytes)
// and takes an advisory lock (flock) on the file: exclusive for a writable image, shared for a
// read-only or snapshot one, so a second x86lab writing the same image is refused instead of
// corrupting it. Every error the user can cause is a DiskImageError whose message names the
// file and says what is expected.
//
// Access modes:
//   ReadWrite: reads and writes go to the file; a write reaches the file (pwrite) before it
//              completes, and flush() makes it durable (fdatasync), for ATA FLUSH CACHE.
//   ReadOnly:  writes are refused (the devices report write protection).
//   Snapshot:  writes are kept in memory, 512-byte block by block, and never reach the file.
//
// Every read and write checks its byte range against the image: a device cannot touch bytes
// outside it whatever the guest programs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace x86lab::devices {

enum class DiskMedium : uint8_t { Floppy, HardDisk, CdRom };
enum class DiskAccess : uint8_t { ReadWrite, ReadOnly, Snapshot };

class DiskImageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The outcome of a read, write or flush.
enum class DiskStatus : uint8_t {
  Ok,
  OutOfRange,  // the range does not lie inside the image (nothing was transferred)
  ReadOnly,    // a write to a read-only image (nothing was written)
  IoError,     // the host refused the read, write or sync
};

// The floppy formats a PC drive takes, by image size.
struct FloppyGeometry {
  uint64_t bytes;
  uint8_t cylinders;
  uint8_t heads;
  uint8_t sectors_per_track;
  const char* name;
};
inline constexpr FloppyGeometry kFloppyFormats[] = {
    {368'640, 40, 2, 9, "360K"},     {737'280, 80, 2, 9, "720K"},
    {1'228'800, 80, 2, 15, "1.2M"},  {1'474'560, 80, 2, 18, "1.44M"},
    {2'949'120, 80, 2, 36, "2.88M"},
};
// The format of a floppy image of this size, or null.
const FloppyGeometry* floppy_geometry_for(uint64_t bytes);
// The smallest format that holds a short image of this many bytes (a non-empty multiple of
// 512), or null.
const FloppyGeometry* floppy_geometry_holding(uint64_t bytes);

class DiskImage {
 public:
  static constexpr uint32_t kBlockSize = 512;  // the unit of a snapshot's overlay
  static constexpr uint32_t kCdSectorSize = 2048;

  // Opens and locks path. Throws DiskImageError (one line naming the file) when it cannot be
  // opened, its size does not fit the medium, or another process holds the lock.
  DiskImage(const std::string& path, DiskMedium medium, DiskAccess access);
  ~DiskImage();
  DiskImage(const DiskImage&) = delete;
  DiskImage& operator=(const DiskImage&) = delete;

  const std::string& path() const { return path_; }
  DiskMedium medium() const { return medium_; }
  DiskAccess access() const { return access_; }
  bool writable() const { return access_ != DiskAccess::ReadOnly; }
  uint64_t size_bytes() const { return size_; }
  uint64_t sector_count(uint32_t sector_size) const { return size_ / sector_size; }
  // The floppy format (non-null for a Floppy image).
  const FloppyGeometry* floppy_geometry() const { return floppy_; }

  // Byte-addressed transfers, all-or-nothing against the image's bounds.
  DiskStatus read(uint64_t offset, std::span<uint8_t> out);
  DiskStatus write(uint64_t offset, std::span<const uint8_t> in);
  // Sector-addressed helpers: count sectors of sector_size bytes starting at lba.
  DiskStatus read_sectors(uint64_t lba, uint32_t sector_size, std::span<uint8_t> out);
  DiskStatus write_sectors(uint64_t lba, uint32_t sector_size, std::span<const uint8_t> in);
  // Makes completed writes durable (fdatasync); nothing to do for read-only and snapshot.
  DiskStatus flush();

  // Bytes held in memory by a snapshot (for tests and the monitor).
  std::size_t snapshot_blocks() const { return overlay_.size(); }

  // Checks the size of an image for a medium; throws DiskImageError naming path. Public for
  // the command line, which may want to check before starting a machine.
  static void check_size(const std::string& path, DiskMedium medium, uint64_t bytes);

 private:
  bool in_range(uint64_t offset, std::size_t length) const {
    return offset <= size_ && length <= size_ - offset;
  }
  DiskStatus read_file(uint64_t offset, std::span<uint8_t> out);
  DiskStatus write_file(uint64_t offset, std::span<const uint8_t> in);

  std::string path_;
  DiskMedium medium_;
  DiskAccess access_;
  int fd_ = -1;
  uint64_t size_ = 0;       // the medium's size: what the guest sees
  uint64_t file_size_ = 0;  // bytes in the file (less than size_ for a short floppy image)
  const FloppyGeometry* floppy_ = nullptr;
  std::map<uint64_t, std::vector<uint8_t>> overlay_;  // snapshot: block index -> contents
};

}  // namespace x86lab::devices
