#include "devices/disk_image.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace x86lab::devices {
namespace {

std::string medium_name(DiskMedium medium) {
  switch (medium) {
    case DiskMedium::Floppy:
      return "floppy";
    case DiskMedium::HardDisk:
      return "hard disk";
    case DiskMedium::CdRom:
      return "CD-ROM";
  }
  return "disk";
}

}  // namespace

const FloppyGeometry* floppy_geometry_for(uint64_t bytes) {
  for (const auto& format : kFloppyFormats) {
    if (format.bytes == bytes) return &format;
  }
  return nullptr;
}

const FloppyGeometry* floppy_geometry_holding(uint64_t bytes) {
  if (bytes == 0 || bytes % DiskImage::kBlockSize != 0) return nullptr;
  for (const auto& format : kFloppyFormats) {
    if (format.bytes >= bytes) return &format;
  }
  return nullptr;
}

void DiskImage::check_size(const std::string& path, DiskMedium medium, uint64_t bytes) {
  const std::string size = std::to_string(bytes) + " bytes";
  switch (medium) {
    case DiskMedium::Floppy:
      if (!floppy_geometry_for(bytes) && !floppy_geometry_holding(bytes)) {
        std::string expected;
        for (const auto& format : kFloppyFormats) {
          if (!expected.empty()) expected += ", ";
          expected += std::string(format.name) + " (" + std::to_string(format.bytes) + ")";
        }
        throw DiskImageError("floppy image '" + path + "' is " + size +
                             "; a floppy image must be one of " + expected +
                             " bytes, or a multiple of 512 bytes smaller than 2949120");
      }
      return;
    case DiskMedium::HardDisk:
      if (bytes == 0 || bytes % kBlockSize != 0) {
        throw DiskImageError("hard disk image '" + path + "' is " + size +
                             "; it must be a non-empty multiple of 512 bytes");
      }
      return;
    case DiskMedium::CdRom:
      if (bytes == 0 || bytes % kCdSectorSize != 0) {
        throw DiskImageError("CD-ROM image '" + path + "' is " + size +
                             "; it must be a non-empty multiple of 2048 bytes");
      }
      return;
  }
}

DiskImage::DiskImage(const std::string& path, DiskMedium medium, DiskAccess access)
    : path_(path), medium_(medium), access_(access) {
  const int flags = (access == DiskAccess::ReadWrite ? O_RDWR : O_RDONLY) | O_CLOEXEC;
  fd_ = ::open(path.c_str(), flags);
  if (fd_ < 0) {
    const int err = errno;
    std::string hint = access == DiskAccess::ReadWrite && (err == EACCES || err == EROFS)
                           ? " (use read-only or --snapshot for a file you cannot write)"
                           : "";
    throw DiskImageError("cannot open " + medium_name(medium) + " image '" + path +
                         "': " + std::strerror(err) + hint);
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw DiskImageError(medium_name(medium) + " image '" + path + "' is not a regular file");
  }
  size_ = static_cast<uint64_t>(st.st_size);
  try {
    check_size(path, medium, size_);
  } catch (...) {
    ::close(fd_);
    throw;
  }
  file_size_ = size_;
  if (medium == DiskMedium::Floppy) {
    floppy_ = floppy_geometry_for(size_);
    if (!floppy_) floppy_ = floppy_geometry_holding(size_);
    size_ = floppy_->bytes;  // a short image: the drive sees the whole format
  }

  // A writer excludes everyone; readers (read-only, snapshot) only exclude a writer.
  const int lock = access == DiskAccess::ReadWrite ? LOCK_EX : LOCK_SH;
  if (::flock(fd_, lock | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    if (err == EWOULDBLOCK) {
      throw DiskImageError(medium_name(medium) + " image '" + path +
                           "' is in use by another process (it holds the file's lock); "
                           "close it there, or open this one with --snapshot or read-only");
    }
    throw DiskImageError("cannot lock " + medium_name(medium) + " image '" + path +
                         "': " + std::strerror(err));
  }
}

DiskImage::~DiskImage() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the lock
}

DiskStatus DiskImage::read_file(uint64_t offset, std::span<uint8_t> out) {
  // Past the end of a short image: blank sectors.
  const uint64_t in_file =
      offset >= file_size_ ? 0 : std::min<uint64_t>(out.size(), file_size_ - offset);
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(in_file), out.end(), uint8_t{0});
  out = out.first(static_cast<std::size_t>(in_file));
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return DiskStatus::IoError;  // a file that shrank under us reads short
    done += static_cast<std::size_t>(n);
  }
  return DiskStatus::Ok;
}

DiskStatus DiskImage::write_file(uint64_t offset, std::span<const uint8_t> in) {
  std::size_t done = 0;
  while (done < in.size()) {
    const ssize_t n =
        ::pwrite(fd_, in.data() + done, in.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return DiskStatus::IoError;
    done += static_cast<std::size_t>(n);
  }
  // A write past the end of a short image extends the file (it stays within the format).
  file_size_ = std::max<uint64_t>(file_size_, offset + in.size());
  return DiskStatus::Ok;
}

DiskStatus DiskImage::read(uint64_t offset, std::span<uint8_t> out) {
  if (!in_range(offset, out.size())) return DiskStatus::OutOfRange;
  if (overlay_.empty()) return read_file(offset, out);
  // Snapshot: block by block, from the overlay where a block was written.
  std::size_t done = 0;
  while (done < out.size()) {
    const uint64_t pos = offset + done;
    const uint64_t block = pos / kBlockSize;
    const uint32_t within = static_cast<uint32_t>(pos % kBlockSize);
    const std::size_t n = std::min<std::size_t>(kBlockSize - within, out.size() - done);
    const auto it = overlay_.find(block);
    if (it != overlay_.end()) {
      std::memcpy(out.data() + done, it->second.data() + within, n);
    } else if (const DiskStatus s = read_file(pos, out.subspan(done, n)); s != DiskStatus::Ok) {
      return s;
    }
    done += n;
  }
  return DiskStatus::Ok;
}

DiskStatus DiskImage::write(uint64_t offset, std::span<const uint8_t> in) {
  if (!in_range(offset, in.size())) return DiskStatus::OutOfRange;
  if (access_ == DiskAccess::ReadOnly) return DiskStatus::ReadOnly;
  if (access_ == DiskAccess::ReadWrite) return write_file(offset, in);
  std::size_t done = 0;
  while (done < in.size()) {
    const uint64_t pos = offset + done;
    const uint64_t block = pos / kBlockSize;
    const uint32_t within = static_cast<uint32_t>(pos % kBlockSize);
    const std::size_t n = std::min<std::size_t>(kBlockSize - within, in.size() - done);
    auto it = overlay_.find(block);
    if (it == overlay_.end()) {
      std::vector<uint8_t> contents(kBlockSize);
      // A partial block starts from what the file holds (the image is a whole number of
      // blocks for every medium, so the block lies inside it).
      if (n != kBlockSize) {
        if (const DiskStatus s = read_file(block * kBlockSize, contents); s != DiskStatus::Ok) {
          return s;
        }
      }
      it = overlay_.emplace(block, std::move(contents)).first;
    }
    std::memcpy(it->second.data() + within, in.data() + done, n);
    done += n;
  }
  return DiskStatus::Ok;
}

DiskStatus DiskImage::read_sectors(uint64_t lba, uint32_t sector_size, std::span<uint8_t> out) {
  if (sector_size == 0 || lba > size_ / sector_size) return DiskStatus::OutOfRange;
  return read(lba * sector_size, out);
}

DiskStatus DiskImage::write_sectors(uint64_t lba, uint32_t sector_size,
                                    std::span<const uint8_t> in) {
  if (sector_size == 0 || lba > size_ / sector_size) return DiskStatus::OutOfRange;
  return write(lba * sector_size, in);
}

DiskStatus DiskImage::flush() {
  if (access_ != DiskAccess::ReadWrite) return DiskStatus::Ok;
  while (::fdatasync(fd_) != 0) {
    if (errno != EINTR) return DiskStatus::IoError;
  }
  return DiskStatus::Ok;
}

}  // namespace x86lab::devices
