#include "firmware/rom_image.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace x86lab::firmware {

std::string debian_package_for(const std::string& path) {
  // Where Debian's firmware packages put their images (dpkg -L).
  static constexpr struct {
    const char* directory;
    const char* package;
  } kPackages[] = {
      {"/usr/share/seabios/", "seabios"}, {"/usr/share/bochs/", "bochsbios"},
      {"/usr/share/vgabios/", "vgabios"}, {"/usr/share/qemu/", "qemu-system-data"},
      {"/usr/share/ovmf/", "ovmf"},
  };
  for (const auto& entry : kPackages) {
    if (path.starts_with(entry.directory)) return entry.package;
  }
  return {};
}

std::vector<uint8_t> load_rom_image(const std::string& path, const std::string& what,
                                    RomLimits limits) {
  namespace fs = std::filesystem;
  const std::string named = what + " '" + path + "'";
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) {
    const std::string package = debian_package_for(path);
    if (!package.empty()) {
      throw FirmwareError(named + " not found; it comes with Debian's " + package +
                          " package: apt-get install " + package);
    }
    throw FirmwareError(named + " not found; check the path");
  }
  if (status.type() == fs::file_type::directory) {
    throw FirmwareError(named + " is a directory; give the path of a ROM image file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw FirmwareError("cannot open " + named + ": " + std::strerror(errno));
  }
  std::vector<uint8_t> image;
  // Read at most one byte past the limit, so a huge file (or a device) costs nothing.
  image.reserve(limits.max_bytes + 1);
  char c;
  while (image.size() <= limits.max_bytes && in.get(c)) image.push_back(static_cast<uint8_t>(c));
  if (in.bad()) throw FirmwareError("cannot read " + named + ": " + std::strerror(errno));
  if (image.empty()) throw FirmwareError(named + " is empty; give a ROM image");
  if (image.size() > limits.max_bytes) {
    throw FirmwareError(named + " is larger than " + std::to_string(limits.max_bytes >> 10) +
                        " KiB; this machine maps at most that much ROM");
  }
  if (limits.granularity && image.size() % limits.granularity != 0) {
    throw FirmwareError(named + " is " + std::to_string(image.size()) +
                        " bytes, not a multiple of " + std::to_string(limits.granularity) +
                        "; pad the image to whole " + std::to_string(limits.granularity) +
                        "-byte blocks");
  }
  return image;
}

}  // namespace x86lab::firmware
