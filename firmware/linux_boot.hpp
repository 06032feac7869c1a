// Direct kernel boot: loads a Linux bzImage, an optional initrd and a command line into guest
// memory by the x86 boot protocol (Documentation/arch/x86/boot.rst, "32-bit boot protocol"),
// and describes the CPU state the kernel's 32-bit entry point expects. No BIOS code runs: the
// loader fills the "zero page" (struct boot_params) that the kernel's real-mode setup would
// have filled from BIOS calls, including the e820 memory map.
//
// Guest memory layout (physical addresses):
//   0x010000  boot_params, the zero page (4 KiB); ESI points here at entry
//   0x011000  a 4-entry GDT: null, null, 0x10 flat 4 GiB code, 0x18 flat 4 GiB data
//   0x020000  the command line, NUL-terminated (at most the kernel's cmdline_size bytes)
//   0x100000  the protected-mode kernel (the bzImage after its setup sectors); EIP
//   top       the initrd, page aligned, as high as RAM, the e820 map and initrd_addr_max allow
// Everything below 0x9FC00 is usable RAM in the e820 map: the kernel copies boot_params and
// the command line before it allocates memory, and keeps the first 1 MiB for itself.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "firmware/rom_image.hpp"  // FirmwareError: a file the user named cannot be used

namespace x86lab::bus {
class PhysicalMemory;
}
namespace x86lab::cpu {
class Cpu;
}

namespace x86lab::firmware {

inline constexpr uint32_t kBootParamsAddress = 0x10000;
inline constexpr uint32_t kBootGdtAddress = 0x11000;
inline constexpr uint16_t kBootGdtLimit = 4 * 8 - 1;
inline constexpr uint32_t kCommandLineAddress = 0x20000;
inline constexpr uint32_t kKernelLoadAddress = 0x100000;
inline constexpr uint16_t kBootCodeSelector = 0x10;  // __BOOT_CS
inline constexpr uint16_t kBootDataSelector = 0x18;  // __BOOT_DS
// The oldest boot protocol accepted: 2.06 (Linux 2.6.22) has cmdline_size; every 686 kernel
// Debian ships speaks 2.15.
inline constexpr uint16_t kMinBootProtocol = 0x0206;

// Where the conventional memory ends and the EBDA/VGA/ROM area, reserved up to 1 MiB, starts.
inline constexpr uint32_t kLowMemoryEnd = 0x9FC00;

enum class E820Type : uint32_t { Usable = 1, Reserved = 2, Acpi = 3, Nvs = 4, Unusable = 5 };

struct E820Entry {
  uint64_t base = 0;
  uint64_t size = 0;
  E820Type type = E820Type::Usable;
  bool operator==(const E820Entry&) const = default;
};

// A physical range that is not RAM the kernel may use: a ROM, an MMIO window, firmware tables.
struct MemoryRange {
  uint64_t base = 0;
  uint64_t size = 0;
};

// The e820 map for a PC with ram_bytes of RAM from address 0: usable [0, 0x9FC00), reserved
// [0x9FC00, 1 MiB), usable [1 MiB, ram end), and each range in `reserved` as reserved (cut out
// of the usable RAM where they overlap). Sorted by address, adjacent reserved ranges merged.
std::vector<E820Entry> build_e820_map(uint64_t ram_bytes, std::span<const MemoryRange> reserved);

// What the kernel's setup header says, checked.
struct BzImageHeader {
  uint16_t protocol = 0;      // 0x020F is 2.15
  uint32_t setup_bytes = 0;   // boot sector + setup sectors: the real-mode part of the file
  uint32_t kernel_bytes = 0;  // the protected-mode part that goes to 1 MiB
  uint32_t header_end = 0;    // file offset just past the setup header (0x202 + byte 0x201)
  uint8_t loadflags = 0;
  uint32_t code32_start = 0;
  uint32_t initrd_addr_max = 0;
  uint32_t kernel_alignment = 0;
  bool relocatable = false;
  uint32_t cmdline_size = 0;  // longest command line, without its NUL
  uint64_t pref_address = 0;  // where the kernel decompresses itself (2.10+)
  uint32_t init_size = 0;     // bytes the kernel needs from there to decompress and start
  std::string version;        // the kernel's version string, if it has one ("6.1.0-50-686 ...")
  // The end of the memory the kernel occupies while it decompresses (protocol 2.10+), or the
  // end of the loaded image for older protocols. An initrd must lie above it.
  uint64_t decompress_end() const;
};

// Parses and checks the setup header of a bzImage held in memory. `name` names the file in
// messages. Throws FirmwareError (one line) for a file that is not a bzImage, is truncated, or
// uses a boot protocol older than 2.06.
BzImageHeader parse_bzimage(std::span<const uint8_t> image, const std::string& name);

struct LinuxBootConfig {
  std::string kernel_path;
  std::string initrd_path;  // empty: no initrd
  std::string cmdline;
  uint64_t ram_bytes = 0;             // RAM from address 0
  std::vector<MemoryRange> reserved;  // ROMs and MMIO windows for the e820 map
  // Fill screen_info for an 80x25 VGA text console (mode 3). Off: screen_info stays zero and
  // the kernel runs without a VGA console (the serial console still works).
  bool vga_text_mode = false;
};

// The state the 32-bit boot protocol asks for at the kernel's entry.
struct LinuxEntryState {
  uint32_t eip = kKernelLoadAddress;  // code32_start
  uint32_t esi = kBootParamsAddress;  // boot_params
  uint32_t esp = kBootParamsAddress;  // the protocol needs no stack; this one is free low memory
  uint32_t gdt_base = kBootGdtAddress;
  uint16_t gdt_limit = kBootGdtLimit;
  uint16_t code_selector = kBootCodeSelector;
  uint16_t data_selector = kBootDataSelector;
  uint32_t cr0 = 0x11;    // PE and ET; paging off
  uint32_t eflags = 0x2;  // IF clear
};

struct LinuxBootInfo {
  BzImageHeader header;
  LinuxEntryState entry;
  uint32_t kernel_address = kKernelLoadAddress;
  uint32_t kernel_size = 0;
  uint32_t initrd_address = 0;  // 0 when there is no initrd
  uint32_t initrd_size = 0;
  uint32_t cmdline_address = kCommandLineAddress;
  std::vector<E820Entry> e820;
};

// Loads kernel (and initrd) images held in memory. kernel_name and initrd_name name them in
// messages. Throws FirmwareError when the kernel is not a usable bzImage, or the kernel, the
// initrd or the command line do not fit.
LinuxBootInfo load_linux(bus::PhysicalMemory& memory, std::span<const uint8_t> kernel,
                         const std::string& kernel_name, std::span<const uint8_t> initrd,
                         const std::string& initrd_name, const LinuxBootConfig& config);

// Reads config.kernel_path (and config.initrd_path) and loads them. Throws FirmwareError for a
// missing, unreadable or oversized file too.
LinuxBootInfo load_linux(bus::PhysicalMemory& memory, const LinuxBootConfig& config);

// Puts a CPU (386 or later, fresh from reset()) into the entry state: A20 on, GDTR at the boot
// GDT, an empty IDT, CR0.PE set with paging off, CS = 0x10 and DS/ES/SS/FS/GS = 0x18 loaded
// from that GDT (flat 4 GiB, 32-bit, CPL 0), EFLAGS with IF clear, ESI = boot_params, EBP, EDI
// and EBX (and the other registers) zero, EIP = code32_start. The GDT must be in guest memory
// (load_linux writes it). Throws std::invalid_argument for a CPU model older than the 386.
void apply_linux_entry_state(cpu::Cpu& cpu, const LinuxEntryState& entry);

}  // namespace x86lab::firmware
