// The loader on the real Debian i386 kernel and initrd that scripts/build-linux-guest.sh
// builds. Skipped (exit code 77) with a loud message when that script has not run here.
// Looks in $X86LAB_GUEST_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/x86lab/guests, as the
// script does.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bus/physical_memory.hpp"
#include "firmware/linux_boot.hpp"

using namespace x86lab;
namespace fs = std::filesystem;

namespace {

fs::path guest_dir() {
  if (const char* dir = std::getenv("X86LAB_GUEST_DIR"); dir && *dir)
    return fs::path(dir) / "linux";
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache) {
    return fs::path(cache) / "x86lab" / "guests" / "linux";
  }
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "/nonexistent") / ".cache" / "x86lab" / "guests" / "linux";
}

std::map<std::string, std::string> read_manifest(const fs::path& path) {
  std::map<std::string, std::string> fields;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (const auto eq = line.find('='); eq != std::string::npos) {
      fields[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  return fields;
}

std::vector<uint8_t> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("linux boot: the Debian 686 kernel's setup header parses") {
  const fs::path dir = guest_dir();
  const auto manifest = read_manifest(dir / "manifest.txt");
  const auto image = read_file(dir / "vmlinuz");
  const auto h = firmware::parse_bzimage(image, (dir / "vmlinuz").string());
  MESSAGE("kernel " << h.version << ", boot protocol " << (h.protocol >> 8) << "."
                    << (h.protocol & 0xFF) << ", " << image.size() << " bytes, init_size "
                    << h.init_size);
  CHECK(h.protocol >= 0x020F);  // 6.1 speaks 2.15
  CHECK((h.loadflags & 1) == 1);
  CHECK(h.code32_start == 0x100000);
  CHECK(h.relocatable);
  CHECK(h.cmdline_size >= 2047);
  CHECK(h.pref_address == 0x1000000);  // Debian's i386 LOAD_PHYSICAL_ADDR
  CHECK(h.init_size > h.kernel_bytes);
  CHECK(h.setup_bytes + h.kernel_bytes == image.size());
  // "vmlinuz-6.1.0-50-686" from the package names the version the header carries.
  const std::string file = manifest.count("kernel_file") ? manifest.at("kernel_file") : "";
  REQUIRE(file.starts_with("vmlinuz-"));
  CHECK(h.version.starts_with(file.substr(8) + " "));
}

TEST_CASE("linux boot: the Debian kernel and the busybox initrd load into 128 MiB") {
  const fs::path dir = guest_dir();
  constexpr uint64_t kRam = 128 << 20;
  firmware::LinuxBootConfig config;
  config.kernel_path = (dir / "vmlinuz").string();
  config.initrd_path = (dir / "initrd.img").string();
  config.cmdline = "console=ttyS0,115200 earlyprintk=serial";
  config.ram_bytes = kRam;
  config.reserved = {{0xFFFC0000, 0x40000}};
  bus::PhysicalMemory memory(kRam);
  const auto info = firmware::load_linux(memory, config);

  const auto image = read_file(config.kernel_path);
  const auto initrd = read_file(config.initrd_path);
  std::vector<uint8_t> loaded(info.kernel_size);
  memory.read_block(0x100000, loaded);
  CHECK(std::equal(loaded.begin(), loaded.end(), image.begin() + info.header.setup_bytes));
  CHECK(info.initrd_size == initrd.size());
  CHECK(info.initrd_address % 4096 == 0);
  CHECK(info.initrd_address >= info.header.decompress_end());
  CHECK(info.initrd_address + info.initrd_size <= kRam);
  CHECK(info.initrd_address + info.initrd_size > kRam - 4096);
  std::vector<uint8_t> loaded_initrd(initrd.size());
  memory.read_block(info.initrd_address, loaded_initrd);
  CHECK(loaded_initrd == initrd);
  CHECK(memory.read<uint16_t>(info.initrd_address) == 0x8B1F);  // gzip
  CHECK(memory.read<uint32_t>(firmware::kBootParamsAddress + 0x202) == 0x53726448);
  CHECK(memory.read<uint8_t>(firmware::kBootParamsAddress + 0x1E8) == 4);  // e820 entries
}

int main(int argc, char** argv) {
  const fs::path vmlinuz = guest_dir() / "vmlinuz";
  if (!fs::exists(vmlinuz) || !fs::exists(guest_dir() / "initrd.img")) {
    const std::string message =
        "SKIPPED: no Linux guest at " + guest_dir().string() +
        "; run scripts/build-linux-guest.sh to download the Debian i386 kernel and build it";
    std::fprintf(stderr, "\n*** %s ***\n\n", message.c_str());
    std::printf("%s\n", message.c_str());
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
