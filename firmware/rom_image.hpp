// Loading firmware images (BIOS ROMs) from files, with the checks a user needs to hear about
// in one line, and the demo ROM built into the binary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace x86lab::firmware {

// A firmware file the user named cannot be used. what() is one line naming the file and what
// to do about it.
class FirmwareError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RomLimits {
  size_t max_bytes = size_t{1} << 20;  // 1 MiB
  size_t granularity = 512;            // ROM images come in whole 512-byte blocks
};

// The Debian package that installs firmware at `path` (by its directory: /usr/share/seabios/
// is seabios, /usr/share/bochs/ bochsbios, /usr/share/vgabios/ vgabios, ...), or empty.
std::string debian_package_for(const std::string& path);

// Reads a ROM image. `what` names the image in messages ("BIOS image"). Throws FirmwareError
// when the file is missing (naming the Debian package that installs it, when the path is one
// of theirs), a directory, unreadable, empty, too large or not a whole number
// of blocks.
std::vector<uint8_t> load_rom_image(const std::string& path, const std::string& what,
                                    RomLimits limits = {});

// The built-in demo: a 4 KiB real-mode ROM that prints a greeting on the debug console
// (port 0xE9) and halts with interrupts disabled. Source: firmware/demo_rom.asm.
std::span<const uint8_t> demo_rom();

}  // namespace x86lab::firmware
