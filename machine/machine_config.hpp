// What to build and how to run it: the frontend fills this in from the command line, the tests
// fill it in directly. Plain data; the machine validates what it cannot take.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cpu/cpu_model.hpp"

namespace x86lab::machine {

enum class MachineKind : uint8_t {
  Bare,  // CPU, RAM, a raw ROM, the debug console and isa-debug-exit; no devices, no interrupts
  Pc,    // the i440FX PC: PIC, PIT, CMOS, 8042, UART, PCI; SeaBIOS (machine/pc_machine.hpp)
};

// Where bytes written to the debug console (port 0xE9) go.
struct DebugconTarget {
  enum class Kind : uint8_t { None, Stdio, File };
  Kind kind = Kind::Stdio;
  std::string path;  // for Kind::File
};

inline constexpr uint64_t kMiB = uint64_t{1} << 20;
// RAM below the 4 GiB ROM/MMIO hole, as on a PC with 32-bit addressing.
inline constexpr uint64_t kMinMemoryBytes = 1 * kMiB;
inline constexpr uint64_t kMaxMemoryBytes = 3584 * kMiB;
// RAM of the PC machine when -m is not given.
inline constexpr uint64_t kPcDefaultMemoryBytes = 128 * kMiB;

struct MachineConfig {
  MachineKind kind = MachineKind::Bare;
  cpu::CpuModel cpu_model = cpu::CpuModel::PentiumPro;
  uint64_t memory_bytes = 32 * kMiB;
  std::string bios_path;  // empty: the built-in demo ROM (bare) or Debian's SeaBIOS (pc)
  // PC machine: the VGA BIOS (--vgabios). Empty: SeaBIOS's vgabios-stdvga.bin behind the
  // VGA's PCI ROM BAR, and for a --bios that is not SeaBIOS also an ISA option ROM at 0xC0000
  // (machine/pc_machine.hpp says which file).
  std::string vga_bios_path;
  DebugconTarget debugcon;
  // PC machine: SeaBIOS's log (port 0x402), and what COM1 transmits.
  DebugconTarget firmware_log{DebugconTarget::Kind::None, {}};
  DebugconTarget serial;
  // PC machine: COM2, COM3, COM4 in order (--serial given a second, third, fourth time): a
  // port exists when it has a target here; COM1 always exists.
  std::vector<DebugconTarget> more_serial;
  // PC machine: stdin feeds the receiver of the COM port whose target is stdio
  // (machine/host_console.hpp; raw mode on a terminal, Ctrl-A X quits). The frontend sets it
  // with --serial stdio.
  bool serial_input = false;
  // PC machine, direct kernel boot (--kernel/--initrd/--append): when kernel_path is set, the
  // machine loads the bzImage by the Linux boot protocol and starts it in its 32-bit entry
  // state instead of running the BIOS (again after every reset).
  std::string kernel_path;
  std::string initrd_path;
  std::string kernel_cmdline;
  uint64_t max_instructions = 0;  // 0: no limit
  bool no_reboot = false;         // a CPU shutdown ends the run instead of resetting the CPU
  bool deterministic = false;     // guest time from the instruction count only
  // PC machine: disk images (empty: no drive), QEMU's boot letters, --snapshot.
  std::array<std::string, 2> floppy;     // --fda, --fdb
  std::array<std::string, 2> hard_disk;  // --hda, --hdb (primary master, slave)
  std::string cdrom;                     // --cdrom (secondary master)
  std::string boot_order = "cad";        // as QEMU's default: hard disk, floppy, CD-ROM
  bool snapshot = false;                 // disk writes stay in memory
  bool boot_menu = false;                // SeaBIOS offers its boot menu (fw_cfg, as QEMU)
  // --fda FILE,readonly=on (and fdb, hda, hdb): the guest sees a write-protected drive and the
  // file is opened read-only; a file without write permission is read-only anyway.
  std::array<bool, 2> floppy_read_only{};
  std::array<bool, 2> hard_disk_read_only{};
  // PC machine: keys typed into the 8042 (--send-keys), once the text screen shows
  // send_keys_after (empty: at once), send_keys_delay_ms of guest time later.
  std::string send_keys;
  std::string send_keys_after;
  uint64_t send_keys_delay_ms = 0;
};

}  // namespace x86lab::machine
