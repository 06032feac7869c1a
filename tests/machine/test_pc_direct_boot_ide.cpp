// A direct kernel boot (--kernel) runs no BIOS, so the machine itself must leave the PIIX3
// IDE channels decoding their legacy ports as a BIOS would: Debian's ata_piix skips a channel
// whose IDETIM decode bit (config 0x40/0x42 bit 15) is off and then finds no root disk. The
// "kernel" here is a tiny bzImage whose 32-bit entry reads IDETIM through port 0xCF8/0xCFC
// and reports on the debug-exit port.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "machine/pc_machine.hpp"

namespace x86lab {
namespace {

void put16(std::vector<uint8_t>& f, size_t at, uint16_t v) {
  for (int i = 0; i < 2; ++i) f[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put32(std::vector<uint8_t>& f, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) f[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// Boot protocol 2.15 header, 4 setup sectors, then the 32-bit code at its entry (1 MiB).
std::vector<uint8_t> bzimage_with(const std::vector<uint8_t>& code) {
  std::vector<uint8_t> f(5 * 512, 0);
  std::vector<uint8_t> payload = code;
  payload.resize(4096, 0xF4);
  f[0x1F1] = 4;
  put32(f, 0x1F4, static_cast<uint32_t>(payload.size() / 16));
  put16(f, 0x1FE, 0xAA55);
  f[0x200] = 0xEB;
  f[0x201] = 0x6A;
  put32(f, 0x202, 0x53726448);  // "HdrS"
  put16(f, 0x206, 0x020F);
  f[0x211] = 0x01;  // LOADED_HIGH
  put32(f, 0x214, 0x100000);
  put32(f, 0x22C, 0x7FFFFFFF);
  put32(f, 0x230, 0x200000);
  f[0x234] = 1;
  put32(f, 0x238, 2047);
  put32(f, 0x258, 0x1000000);
  put32(f, 0x260, 0x800000);
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

// Reads the IDE function's (bus 0, device 1, function 1) dword at 0x40 and writes 2 to port
// 0xF4 when both channels' decode bits are set, 1 when not.
const std::vector<uint8_t> kReadIdeTiming = {
    0x66, 0xBA, 0xF8, 0x0C,        // mov dx, 0xCF8
    0xB8, 0x40, 0x09, 0x00, 0x80,  // mov eax, 0x80000940
    0xEF,                          // out dx, eax
    0x66, 0xBA, 0xFC, 0x0C,        // mov dx, 0xCFC
    0xED,                          // in eax, dx
    0x25, 0x00, 0x80, 0x00, 0x80,  // and eax, 0x80008000
    0x3D, 0x00, 0x80, 0x00, 0x80,  // cmp eax, 0x80008000
    0x0F, 0x94, 0xC0,              // sete al
    0x04, 0x01,                    // add al, 1
    0xE6, 0xF4,                    // out 0xF4, al
    0xFA, 0xF4,                    // cli; hlt
};

}  // namespace

TEST_CASE("direct kernel boot: the IDE channels decode their ports, as after a BIOS") {
  const std::string path =
      (std::filesystem::temp_directory_path() /
       ("x86lab_test_direct_boot_ide_" + std::to_string(::getpid()) + ".bzImage"))
          .string();
  {
    const auto image = bzimage_with(kReadIdeTiming);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(image.data()),
               static_cast<std::streamsize>(image.size()));
  }
  machine::MachineConfig config;
  config.kind = machine::MachineKind::Pc;
  config.memory_bytes = 64 * machine::kMiB;
  config.deterministic = true;
  config.max_instructions = 100'000;
  config.debugcon = {machine::DebugconTarget::Kind::None, {}};
  config.serial = {machine::DebugconTarget::Kind::None, {}};
  config.kernel_path = path;
  std::vector<uint8_t> bios(64 * 1024, 0xF4);  // never runs: the kernel starts at its entry
  machine::PcMachine pc(config, bios);
  const machine::RunResult result = pc.run();
  std::filesystem::remove(path);
  CHECK(result.exit_code == ((2 << 1) | 1));
}

}  // namespace x86lab
