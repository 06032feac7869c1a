// The PC: an i440FX/PIIX3 machine as QEMU's `pc` and Bochs model it, running SeaBIOS.
//
//   RAM          config.memory_bytes from 0 (default 128 MiB); CMOS 0x15-0x18, 0x30-0x35 and
//                0x5B-0x5D tell the BIOS its size
//   BIOS         Debian's SeaBIOS (/usr/share/seabios/bios-256k.bin, else bios.bin) or --bios:
//                the whole image ends at 4 GiB; its last 128 KiB end at 1 MiB behind the
//                440FX's PAM registers (SeaBIOS shadows itself into RAM there)
//   0x20, 0xA0   PIC pair (ELCR 0x4D0) - the CPU's interrupt controller
//   0x40, 0x61   PIT (IRQ0), port B
//   0x60, 0x64   8042 with keyboard (IRQ1) and mouse (IRQ12); A20 and reset through callbacks
//   0x70         CMOS/RTC (IRQ8)
//   0x92         port A: fast A20, fast reset
//   0x3F8        COM1 (IRQ4) to config.serial; COM2 0x2F8 (IRQ3), COM3 0x3E8 (IRQ4), COM4 0x2E8
//                (IRQ3) to config.more_serial when given; ports on one IRQ share it (the PIC
//                ORs its inputs; each UART drives its IRQ only with MCR OUT2 set)
//   0xCF8-0xCFF  PCI: 00:00.0 i440FX, 00:01.0 PIIX3 ISA, 00:01.1 PIIX3 IDE; 0xCF9 reset
//   0xE9, 0x402  debug console (config.debugcon), SeaBIOS log (config.firmware_log)
//   0xF4         isa-debug-exit, as on the bare machine
//   0x3B0-0x3DF  VGA (Bochs/QEMU standard VGA, PCI 00:02.0, SeaBIOS's VGA BIOS in its ROM
//                BAR), 0xA0000-0xBFFFF window, linear framebuffer where the guest puts BAR0;
//                with a --bios that is not SeaBIOS (or --vgabios) also a VGA BIOS at 0xC0000
//                on the ISA side, for BIOSes that scan for option ROMs there (Bochs' rombios)
//   0x00, 0xC0   8237 DMA pair, page registers 0x80-0x8F
//   0x3F0        82077 floppy controller (IRQ6, DMA 2): --fda, --fdb
//   0x1F0, 0x170 IDE channels (IRQ14, IRQ15): --hda/--hdb primary, --cdrom secondary master;
//                CMOS drive and boot-order bytes as machine/pc_drives.hpp lists them
//
// Time: the clock runs in guest nanoseconds, and guest time is the instructions retired times
// a period. With config.deterministic the period is 10 ns (100 per microsecond) and a halted
// CPU jumps to the next event, so a run depends on its inputs only. In real time the period
// is steered every 10 ms so that guest time follows host time, and a halted CPU sleeps on the
// host until the next event; time the host withholds (x86lab descheduled, a debugger stop)
// is made up slowly or, past 200 ms, dropped, so the guest never sees a jump. The TSC is
// guest time x 100 MHz, and PIT and port 0x61 accesses first bring the clock up to the
// present instruction, so a kernel that calibrates one against the other gets 100 MHz
// exactly, and its clocksource watchdog finds them in step.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "bus/physical_memory.hpp"
#include "cpu/cpu.hpp"
#include "devices/cmos_rtc.hpp"
#include "devices/debug_port.hpp"
#include "devices/fw_cfg.hpp"
#include "devices/i440fx.hpp"
#include "devices/i8042.hpp"
#include "devices/pci_bus.hpp"
#include "devices/pic8259.hpp"
#include "devices/piix3.hpp"
#include "devices/pit8254.hpp"
#include "devices/system_control_port.hpp"
#include "devices/system_control_port_a.hpp"
#include "devices/uart16550.hpp"
#include "devices/vga.hpp"
#include "devices/vga_pci.hpp"
#include "machine/bare_machine.hpp"
#include "machine/debug_ports.hpp"
#include "machine/host_console.hpp"
#include "machine/key_typer.hpp"
#include "machine/machine_config.hpp"
#include "machine/pc_drives.hpp"

namespace x86lab::machine {

// Where Debian's seabios package puts its images (apt-get install seabios).
inline constexpr const char* kSeabiosPaths[] = {"/usr/share/seabios/bios-256k.bin",
                                                "/usr/share/seabios/bios.bin"};
inline constexpr const char* kSeabiosVgaBiosPath = "/usr/share/seabios/vgabios-stdvga.bin";
// The VGA BIOS an ISA-scanning BIOS (Bochs' rombios) gets at 0xC0000 when --vgabios is not
// given: the LGPL VGABIOS from Debian's vgabios package (what Bochs pairs with its BIOS), else
// SeaBIOS's.
inline constexpr const char* kIsaVgaBiosPaths[] = {"/usr/share/vgabios/vgabios.bin",
                                                   kSeabiosVgaBiosPath};
inline constexpr uint32_t kIsaVgaBiosBase = 0xC0000;
inline constexpr size_t kMaxVgaBiosBytes = 128 * 1024;  // 0xC0000-0xDFFFF

// Whether a BIOS image is SeaBIOS (its version string is in every build).
bool is_seabios_image(std::span<const uint8_t> bios);

// The SeaBIOS image a PC machine uses when --bios is not given: the first of kSeabiosPaths
// that exists, or empty.
std::string find_seabios();

class PcMachine {
 public:
  // Guest nanoseconds an instruction takes in deterministic mode.
  static constexpr uint64_t kNanosPerInstruction = 10;

  // Loads config.bios_path, or SeaBIOS when it is empty. Throws firmware::FirmwareError when
  // the image is missing or unusable (naming `apt-get install seabios` when SeaBIOS is not
  // installed) and std::runtime_error for other configuration a user can get wrong.
  explicit PcMachine(const MachineConfig& config);
  // Runs a BIOS image given as bytes (tests).
  PcMachine(const MachineConfig& config, std::span<const uint8_t> bios);
  PcMachine(const PcMachine&) = delete;
  PcMachine& operator=(const PcMachine&) = delete;

  // Runs until the guest ends the run (isa-debug-exit, a halt nothing can end, a shutdown
  // with --no-reboot) or the instruction limit. Each call continues where the last stopped.
  RunResult run();
  // Resets the whole machine as the reset button does: CPU, devices, PAM (RAM survives).
  void reset();

  // The frontend's host hook (display refresh, input, signals): run() calls it between
  // slices on the machine's thread, about every `period` of host time. Returning false ends
  // the run (RunResult::Reason::Stopped, exit code 0).
  void set_host_hook(std::chrono::nanoseconds period, std::function<bool()> hook);
  // Host time the machine spent paused (inside the hook): guest time does not count it.
  void discount_host_time(std::chrono::nanoseconds paused);

  cpu::Cpu& cpu() { return cpu_; }
  bus::PhysicalMemory& memory() { return memory_; }
  bus::IoSpace& io() { return io_; }
  bus::Clock& clock() { return clock_; }
  devices::Pic8259& pic() { return pic_; }
  devices::I8042& keyboard_controller() { return i8042_; }
  devices::PciBus& pci() { return pci_; }
  devices::CmosRtc& rtc() { return rtc_; }
  devices::Uart16550& com1() { return com1_; }
  // COM1-COM4 (index 0-3); nullptr for a port the configuration left out.
  devices::Uart16550* com(unsigned index);
  const MachineConfig& config() const { return config_; }
  uint64_t resets() const { return resets_; }
  devices::Vga& vga() { return vga_; }
  PcDrives& drives() { return drives_; }

 private:
  void map_bios(std::span<const uint8_t> bios);
  void wire_serial_ports();
  void flush_serial();
  // The VGA at 00:02.0 (Bochs/QEMU standard VGA, 1234:1111) and its VGA BIOS: for SeaBIOS
  // behind the expansion ROM BAR, for other BIOSes at 0xC0000 (see kIsaVgaBiosPaths).
  // Throws FirmwareError when the VGA BIOS file is missing.
  void attach_display(std::span<const uint8_t> bios);
  std::vector<uint8_t> load_vga_bios(bool seabios) const;
  void boot_linux();
  void set_a20(bool enabled);
  void request_reset();
  uint64_t guest_now_ns() const;
  uint64_t host_now_ns() const;
  void rebase_time(uint64_t guest_ns);
  void steer_clock();
  void resync_host_time();
  static uint64_t time_stamp_ticks(void* machine);
  void catch_up_clock();
  void wait_for_event(uint64_t deadline);
  std::string where() const;

  MachineConfig config_;
  bus::PhysicalMemory memory_;
  bus::IoSpace io_;
  bus::Clock clock_;
  cpu::Cpu cpu_;
  devices::Pic8259 pic_;
  devices::Pit8254 pit_;
  devices::SystemControlPort port_b_;
  devices::SystemControlPortA port_a_;
  devices::CmosRtc rtc_;
  devices::Uart16550 com1_;
  // COM2-COM4 when configured, and where each transmits.
  std::array<std::unique_ptr<devices::Uart16550>, 3> more_com_;
  std::array<std::unique_ptr<DebugconSink>, 3> more_serial_;
  devices::I8042 i8042_;
  devices::DebugPort debug_port_;
  devices::FwCfg fw_cfg_;
  devices::PciBus pci_;
  devices::I440fx host_bridge_;
  devices::Piix3Isa isa_bridge_;
  devices::Piix3Ide ide_;
  DebugconSink debugcon_;
  DebugconSink firmware_log_;
  DebugconSink serial_;
  DebugExit debug_exit_;
  devices::Vga vga_;
  devices::VgaPci vga_pci_;
  PcDrives drives_;
  KeyTyper typer_;

  std::vector<uint8_t> vga_bios_;  // the VGA BIOS image, for its font (boot_linux)
  uint32_t bios_size_ = 0;
  bool reset_pending_ = false;
  uint64_t resets_ = 0;
  uint64_t retired_at_reset_ = 0;
  unsigned resets_without_progress_ = 0;
  // Guest ns = time_base_ns_ + (retired - retired_base_) * period_q16_ / 2^16.
  static constexpr unsigned kPeriodShift = 16;
  uint64_t time_base_ns_ = 0;
  uint64_t retired_base_ = 0;
  uint64_t period_q16_ = kNanosPerInstruction << kPeriodShift;
  std::chrono::steady_clock::time_point host_start_;
  // Real time: the steering interval that is running (its start, the instructions retired
  // then, host time slept in it) and when the next begins.
  std::chrono::steady_clock::time_point steer_host_;
  std::chrono::steady_clock::time_point next_steer_;
  std::chrono::nanoseconds steer_idle_{};
  uint64_t steer_retired_ = 0;
  std::function<bool()> host_hook_;
  std::unique_ptr<HostConsole> console_;  // config.serial_input
  unsigned console_countdown_ = 0;
  std::chrono::nanoseconds host_hook_period_{};
  std::chrono::steady_clock::time_point next_host_hook_{};
};

}  // namespace x86lab::machine
