#include "machine/pc_machine.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "firmware/linux_boot.hpp"
#include "firmware/rom_image.hpp"
#include "machine/vga_text_setup.hpp"

namespace x86lab::machine {

namespace {

// The most instructions a slice runs before the loop brings the clock up to date. Devices
// read the clock when the guest polls them, so this bounds how stale that reading can be (160
// us in deterministic mode); the PIT and port 0x61, which guests time the TSC against, catch
// up at each access instead (catch_up_clock), and a slice never runs past the clock's next
// deadline. Each slice ends a chain of blocks and costs the loop below, a clock read and a
// block lookup: at 2048 instructions the Linux boot spent 7% of its time there.
constexpr uint64_t kMaxSlice = 16384;

// How often (in slices of at most kMaxSlice instructions) a running CPU looks for console
// input and flushes the serial sinks: every 256K instructions or more, about every 0.5 ms of
// host time at 500 MIPS. Each look is a poll() system call, which costs a few microseconds in
// a virtual machine: every 32K instructions it took 3% of a Linux boot.
constexpr unsigned kConsolePollSlices = 16;

// A CPU that shuts down again this soon after a reset is in a reset loop.
constexpr uint64_t kResetProgress = 1u << 16;

// The longest a halted CPU sleeps on the host before the loop looks around again.
constexpr auto kMaxSleep = std::chrono::milliseconds(10);

// The TSC's rate: 100 MHz, one tick per 10 ns of guest time, in both time modes.
constexpr uint64_t kNanosPerTscTick = 10;

// Real time steers the guest ns an instruction is worth so that guest time follows host time:
// re-aimed every kSteerInterval of host time, from the last interval's instruction rate, so it
// is constant over the tens of milliseconds a kernel calibrates over. Between kMinPeriodNs
// (the guest sees a 1000 MIPS CPU) and kMaxPeriodNs (20 MIPS): catching up by making the
// guest's CPU look slower than that would cost it timer ticks (Linux's HZ=250 handler must
// finish within 4 ms of guest time), and a jiffies count behind the TSC is what the kernel's
// clocksource watchdog punishes.
constexpr auto kSteerInterval = std::chrono::milliseconds(10);
constexpr double kMinPeriodNs = 1.0;
constexpr double kMaxPeriodNs = 50.0;
// Lag behind host time beyond this is dropped rather than caught up.
constexpr auto kMaxLag = std::chrono::milliseconds(100);

uint64_t checked_memory_size(uint64_t bytes) {
  if (bytes < kMinMemoryBytes || bytes > kMaxMemoryBytes) {
    throw std::runtime_error("memory size of " + std::to_string(bytes >> 20) +
                             " MiB is out of range; give between 1 and 3584 MiB");
  }
  return bytes;
}

std::vector<uint8_t> load_bios(const MachineConfig& config) {
  if (!config.bios_path.empty()) {
    return firmware::load_rom_image(config.bios_path, "BIOS image");
  }
  const std::string path = find_seabios();
  if (path.empty()) {
    throw firmware::FirmwareError(
        "SeaBIOS not found at /usr/share/seabios/bios-256k.bin or bios.bin; install it with "
        "'apt-get install seabios', or give --bios FILE");
  }
  return firmware::load_rom_image(path, "SeaBIOS image");
}

}  // namespace

bool is_seabios_image(std::span<const uint8_t> bios) {
  static constexpr std::string_view kSignature = "SeaBIOS";
  return std::search(bios.begin(), bios.end(), kSignature.begin(), kSignature.end()) != bios.end();
}

std::string find_seabios() {
  for (const char* path : kSeabiosPaths) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path;
  }
  return {};
}

PcMachine::PcMachine(const MachineConfig& config) : PcMachine(config, load_bios(config)) {}

PcMachine::PcMachine(const MachineConfig& config, std::span<const uint8_t> bios)
    : config_(config),
      memory_(checked_memory_size(config.memory_bytes)),
      cpu_(config.cpu_model, memory_, io_),
      pit_(clock_),
      port_b_(pit_, clock_),
      rtc_(clock_, config.deterministic ? devices::CmosRtc::kDeterministicStart
                                        : devices::CmosRtc::host_unix_seconds()),
      com1_(clock_, devices::Uart16550::kComPorts[0].base, "com1"),
      host_bridge_(memory_),
      debugcon_(config.debugcon),
      firmware_log_(config.firmware_log),
      serial_(config.serial),
      vga_(clock_),
      vga_pci_(vga_, memory_),
      drives_(clock_, memory_),
      host_start_(std::chrono::steady_clock::now()),
      steer_host_(host_start_),
      next_steer_(host_start_) {
  if (!cpu::at_least(config.cpu_model, cpu::CpuModel::I80386)) {
    throw std::runtime_error("the pc machine needs a 386 or later CPU (--cpu 386 or pentium-pro)");
  }
  if (bios.empty() || bios.size() > (size_t{1} << 20)) {
    throw std::runtime_error("the pc machine takes a BIOS image of 1 byte to 1 MiB");
  }

  // Interrupts and timers.
  pic_.register_ports(io_);
  cpu_.set_interrupt_controller(&pic_);
  // The clock moves only between slices, so a guest that times the TSC against the PIT
  // (Linux's calibration, SeaBIOS's) must see the PIT at the present instant.
  io_.register_ports(
      devices::Pit8254::kBasePort, 4, "pit", bus::kIoByte,
      [this](uint16_t port, unsigned) -> uint32_t {
        catch_up_clock();
        return pit_.read(port);
      },
      [this](uint16_t port, unsigned, uint32_t value) {
        catch_up_clock();
        pit_.write(port, static_cast<uint8_t>(value));
      });
  io_.register_ports(
      devices::SystemControlPort::kPort, 1, "system control port", bus::kIoByte,
      [this](uint16_t, unsigned) -> uint32_t {
        catch_up_clock();
        return port_b_.read();
      },
      [this](uint16_t, unsigned, uint32_t value) {
        catch_up_clock();
        port_b_.write(static_cast<uint8_t>(value));
      });
  cpu_.set_tsc_source(&PcMachine::time_stamp_ticks, this);
  clock_.set_early_event_hook([this] { cpu_.request_stop(); });
  pit_.connect_output(0, pic_.line(0));
  rtc_.register_ports(io_);
  rtc_.connect_irq(pic_.line(8));
  rtc_.set_memory_size(memory_.ram_size(), 0);

  // Serial, keyboard, debug ports.
  wire_serial_ports();
  i8042_.register_ports(io_);
  i8042_.connect_irqs(pic_.line(1), pic_.line(12));
  i8042_.set_a20_handler([this](bool enabled) { set_a20(enabled); });
  i8042_.set_reset_handler([this] { request_reset(); });
  port_a_.register_ports(io_);
  port_a_.set_a20_handler([this](bool enabled) { set_a20(enabled); });
  port_a_.set_reset_handler([this] { request_reset(); });
  debug_port_.register_ports(io_);
  fw_cfg_.register_ports(io_);
  fw_cfg_.set_boot_menu(config.boot_menu);
  debug_port_.set_console_output([this](uint8_t byte) { debugcon_.put(byte); });
  debug_port_.set_firmware_log_output([this](uint8_t byte) { firmware_log_.put(byte); });
  debug_exit_.attach(io_, [this] {
    cpu_.request_stop();
    cpu_.request_block_exit();
  });

  // PCI.
  pci_.register_ports(io_);
  pci_.attach(devices::PciBus::devfn(0, 0), host_bridge_);
  pci_.attach(devices::PciBus::devfn(1, 0), isa_bridge_);
  pci_.attach(devices::PciBus::devfn(1, 1), ide_);
  isa_bridge_.attach_reset_control(pci_);
  isa_bridge_.set_reset_handler([this] { request_reset(); });
  // A PAM change remaps pages: decoded code and TLB host pointers from the old map must go.
  host_bridge_.set_memory_map_changed([this] { cpu_.memory_map_changed(); });

  // Display: the VGA's registers and legacy window; VgaPci maps the framebuffer at BAR0.
  vga_.register_ports(io_);
  vga_.map_memory(memory_, 0);
  attach_display(bios);

  // Drives, and what the CMOS tells SeaBIOS about them and the boot order.
  const auto boot_order = parse_boot_order(config.boot_order);
  if (!boot_order) {
    throw std::runtime_error("invalid boot order '" + config.boot_order +
                             "'; give up to three of a, c, d");
  }
  drives_.open(config);
  drives_.wire(io_, pic_);
  write_drive_cmos(rtc_, drives_.cmos(*boot_order));

  // --send-keys.
  if (!config.send_keys.empty()) {
    std::string error;
    auto keys = keystrokes_for_text(config.send_keys, &error);
    if (!keys) throw std::runtime_error("--send-keys: " + error);
    typer_ =
        KeyTyper(std::move(*keys), config.send_keys_after, config.send_keys_delay_ms * 1'000'000);
  }

  if (config.serial_input) {
    // stdin feeds the port that prints on stdout (COM1 unless another one was given stdio).
    devices::Uart16550* uart = &com1_;
    for (size_t i = 0; i < config.more_serial.size() && i < more_com_.size(); ++i) {
      if (config.serial.kind != DebugconTarget::Kind::Stdio &&
          config.more_serial[i].kind == DebugconTarget::Kind::Stdio) {
        uart = more_com_[i].get();
        break;
      }
    }
    console_ = std::make_unique<HostConsole>(
        0, [uart](uint8_t byte) { return uart->receive_space() > 0 && uart->receive(byte); });
  }

  map_bios(bios);
  bios_size_ = static_cast<uint32_t>(bios.size());
  reset();
  resets_ = 0;
}

void PcMachine::wire_serial_ports() {
  using devices::Uart16550;
  if (config_.more_serial.size() > more_com_.size()) {
    throw std::runtime_error("the pc machine has four COM ports; --serial was given " +
                             std::to_string(config_.more_serial.size() + 1) + " times");
  }
  // COM1/COM3 share IRQ4 and COM2/COM4 IRQ3: the PIC counts the sources holding a line high.
  const auto irq_for = [this](unsigned index) {
    return pic_.line(Uart16550::kComPorts[index].irq);
  };
  com1_.register_ports(io_);
  com1_.connect_irq(irq_for(0));
  com1_.set_transmit_handler([this](uint8_t byte) { serial_.put(byte); });
  // Every COM port transmits at once in both time modes (as QEMU's do). At 115200 baud Linux's
  // serial console spends 87 us a character polling with interrupts off, so a boot message
  // costs timer ticks; with jiffies behind, the clocksource watchdog (the PIT is all it has to
  // compare with) marks the TSC unstable.
  com1_.set_immediate(true);
  for (size_t i = 0; i < config_.more_serial.size(); ++i) {
    const unsigned index = static_cast<unsigned>(i + 1);
    more_serial_[i] = std::make_unique<DebugconSink>(config_.more_serial[i]);
    more_com_[i] = std::make_unique<Uart16550>(clock_, Uart16550::kComPorts[index].base,
                                               "com" + std::to_string(index + 1));
    Uart16550& uart = *more_com_[i];
    DebugconSink& sink = *more_serial_[i];
    uart.register_ports(io_);
    uart.connect_irq(irq_for(index));
    uart.set_transmit_handler([&sink](uint8_t byte) { sink.put(byte); });
    uart.set_immediate(true);
  }
}

void PcMachine::flush_serial() {
  serial_.flush();
  debugcon_.flush();
  for (auto& sink : more_serial_) {
    if (sink) sink->flush();
  }
}

devices::Uart16550* PcMachine::com(unsigned index) {
  if (index == 0) return &com1_;
  return index <= more_com_.size() ? more_com_[index - 1].get() : nullptr;
}

void PcMachine::boot_linux() {
  firmware::LinuxBootConfig boot;
  boot.kernel_path = config_.kernel_path;
  boot.initrd_path = config_.initrd_path;
  boot.cmdline = config_.kernel_cmdline;
  boot.ram_bytes = memory_.ram_size();
  // Not RAM: the BIOS ROM at the top of 4 GiB (the legacy window below 1 MiB is reserved by
  // the loader's map anyway).
  boot.reserved.push_back({0x100000000ull - bios_size_, bios_size_});
  // No VGA BIOS runs: leave the screen as its mode 3 would, so console=tty0 shows.
  if (const auto font = find_vga_font(vga_bios_)) {
    set_vga_text_mode(io_, memory_, *font);
    boot.vga_text_mode = true;
  }
  // Nor does a BIOS enable the IDE channels: without this the kernel's ata_piix finds no
  // disk (it honours the decode bits a BIOS sets), and a root file system on --hda is lost.
  ide_.enable_legacy_decode();
  const firmware::LinuxBootInfo info = firmware::load_linux(memory_, boot);
  firmware::apply_linux_entry_state(cpu_, info.entry);
  cpu_.memory_map_changed();
}

void PcMachine::map_bios(std::span<const uint8_t> bios) {
  const auto size = static_cast<uint32_t>(bios.size());
  const uint32_t low = std::min(size, kLowRomWindow);
  host_bridge_.set_legacy_rom(0x100000 - low, bios.subspan(size - low));
  memory_.map_rom(static_cast<uint32_t>(0x100000000ull - size), bios, "bios (top of 4 GiB)");
}

std::vector<uint8_t> PcMachine::load_vga_bios(bool seabios) const {
  if (!config_.vga_bios_path.empty()) {
    return firmware::load_rom_image(config_.vga_bios_path, "VGA BIOS", {kMaxVgaBiosBytes, 512});
  }
  if (seabios) return firmware::load_rom_image(kSeabiosVgaBiosPath, "VGA BIOS");
  for (const char* candidate : kIsaVgaBiosPaths) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec)) {
      return firmware::load_rom_image(candidate, "VGA BIOS", {kMaxVgaBiosBytes, 512});
    }
  }
  throw firmware::FirmwareError(
      "no VGA BIOS for a --bios that is not SeaBIOS (looked for /usr/share/vgabios/vgabios.bin "
      "and " +
      std::string(kSeabiosVgaBiosPath) +
      "); install one with 'apt-get install vgabios', or give --vgabios FILE");
}

void PcMachine::attach_display(std::span<const uint8_t> bios) {
  pci_.attach(devices::PciBus::devfn(2, 0), vga_pci_);
  const bool seabios = is_seabios_image(bios);
  std::vector<uint8_t> vga_bios = load_vga_bios(seabios);
  vga_bios_ = vga_bios;  // a direct kernel boot takes the font from it
  if (seabios) {
    // SeaBIOS built for QEMU runs VGA BIOSes from PCI expansion ROMs only.
    vga_pci_.set_expansion_rom(memory_, std::move(vga_bios), [this] { cpu_.memory_map_changed(); });
  } else {
    // Older BIOSes (Bochs' rombios) run the VGA BIOS they find at 0xC0000, as on a board with
    // the VGA on the ISA side. No ROM BAR then: rombios32 would copy the BAR's contents over
    // 0xC0000 without enabling it (a real PCI ROM decodes only when enabled), hiding this one.
    host_bridge_.set_legacy_rom(kIsaVgaBiosBase, vga_bios);
  }
  vga_pci_.reset();
}

void PcMachine::reset() {
  pic_.reset();
  pit_.reset();
  port_b_.reset();
  port_a_.reset();
  rtc_.reset();
  com1_.reset();
  for (auto& uart : more_com_) {
    if (uart) uart->reset();
  }
  i8042_.reset();
  fw_cfg_.reset();
  vga_.reset();
  drives_.reset();
  pci_.reset();
  cpu_.reset();
  set_a20(true);
  // Direct kernel boot: the kernel (re)starts at its 32-bit entry point instead of the BIOS
  // after power-on and after every reset, as QEMU's -kernel does.
  if (!config_.kernel_path.empty()) boot_linux();
  reset_pending_ = false;
  retired_at_reset_ = cpu_.instructions_retired();
  ++resets_;
}

void PcMachine::set_a20(bool enabled) {
  cpu_.set_a20(enabled);
  port_a_.set_a20_state(enabled);
}

void PcMachine::request_reset() {
  reset_pending_ = true;
  cpu_.request_stop();
}

std::string PcMachine::where() const {
  char buf[48];
  const auto& regs = cpu_.regs();
  std::snprintf(buf, sizeof buf, "%04X:%08X", regs.seg[cpu::kCs].selector, regs.eip);
  return buf;
}

uint64_t PcMachine::guest_now_ns() const {
  const uint64_t ran = cpu_.instructions_retired() - retired_base_;
  return time_base_ns_ + ((ran * period_q16_) >> kPeriodShift);
}

void PcMachine::rebase_time(uint64_t guest_ns) {
  time_base_ns_ = guest_ns;
  retired_base_ = cpu_.instructions_retired();
}

uint64_t PcMachine::host_now_ns() const {
  const auto elapsed = std::chrono::steady_clock::now() - host_start_;
  return static_cast<uint64_t>(
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
}

void PcMachine::steer_clock() {
  const auto host_now = std::chrono::steady_clock::now();
  if (host_now < next_steer_) return;
  const auto since =
      std::chrono::duration_cast<std::chrono::nanoseconds>(host_now - steer_host_ - steer_idle_);
  const uint64_t ran = cpu_.instructions_retired() - steer_retired_;
  next_steer_ = host_now + kSteerInterval;
  steer_host_ = host_now;
  steer_idle_ = {};
  steer_retired_ = cpu_.instructions_retired();
  const uint64_t guest = guest_now_ns();
  rebase_time(guest);
  int64_t lag = static_cast<int64_t>(host_now_ns()) - static_cast<int64_t>(guest);
  if (lag > kMaxLag.count()) {
    // Too far behind to catch up (a debugger stop, a starved host): drop the excess.
    host_start_ += std::chrono::nanoseconds(lag - kMaxLag.count());
    lag = kMaxLag.count();
  }
  if (ran == 0 || since.count() <= 0) return;
  // Next interval: as many guest ns as host ns, plus a sixteenth of the lag (minus a
  // sixteenth of the lead), spread over the instructions the last interval's rate predicts.
  const int64_t interval = std::chrono::nanoseconds(kSteerInterval).count();
  const int64_t target = std::max<int64_t>(interval / 2, interval + lag / 16);
  const double per_ns = static_cast<double>(ran) / static_cast<double>(since.count());
  const double period = static_cast<double>(target) / (per_ns * static_cast<double>(interval));
  const double q16 = std::clamp(period, kMinPeriodNs, kMaxPeriodNs) * (1 << kPeriodShift);
  period_q16_ = static_cast<uint64_t>(q16);
}

uint64_t PcMachine::time_stamp_ticks(void* machine) {
  return static_cast<PcMachine*>(machine)->guest_now_ns() / kNanosPerTscTick;
}

void PcMachine::catch_up_clock() {
  // Only up to just before the next event: running events from inside an instruction could
  // change what the CPU is executing. The run loop runs them when the slice ends.
  const uint64_t deadline = clock_.next_deadline();
  const uint64_t target = std::min(guest_now_ns(), deadline - 1);  // kNoDeadline - 1: no limit
  if (deadline > clock_.now() && target > clock_.now()) clock_.advance_to(target);
}

void PcMachine::wait_for_event(uint64_t deadline) {
  // No instruction retires while halted: guest time jumps to the event. In real time, first
  // wait until the host has caught up with it (not at all when the guest is behind).
  flush_serial();  // a halted guest has said what it will say for now (a prompt, say)
  if (!config_.deterministic) {
    const uint64_t host = host_now_ns();
    if (host < deadline) {
      const auto wait =
          std::min<std::chrono::nanoseconds>(std::chrono::nanoseconds(deadline - host), kMaxSleep);
      const auto slept_from = std::chrono::steady_clock::now();
      if (console_) {
        console_->wait(wait);  // typing wakes the guest at once
      } else {
        std::this_thread::sleep_for(wait);
      }
      steer_idle_ += std::chrono::steady_clock::now() - slept_from;
      deadline = std::min(deadline, std::max(host_now_ns(), guest_now_ns()));
    }
  }
  rebase_time(std::max(deadline, guest_now_ns()));
  clock_.advance_to(time_base_ns_);
}

void PcMachine::set_host_hook(std::chrono::nanoseconds period, std::function<bool()> hook) {
  host_hook_period_ = period;
  host_hook_ = std::move(hook);
  next_host_hook_ = std::chrono::steady_clock::now();
}

void PcMachine::discount_host_time(std::chrono::nanoseconds paused) {
  host_start_ += paused;
  steer_idle_ += paused;  // not time the CPU ran in
}

void PcMachine::resync_host_time() {
  // Whatever the host did since the last run (load images, wait for gdb, a debugger stop) is
  // not guest time: host time restarts at the guest's, and a fresh steering interval begins.
  const auto host_now = std::chrono::steady_clock::now();
  host_start_ = host_now - std::chrono::nanoseconds(guest_now_ns());
  steer_host_ = host_now;
  next_steer_ = host_now + kSteerInterval;
  steer_idle_ = {};
  steer_retired_ = cpu_.instructions_retired();
}

RunResult PcMachine::run() {
  RunResult result;
  const uint64_t start = cpu_.instructions_retired();
  if (!config_.deterministic) resync_host_time();
  const uint64_t limit = config_.max_instructions;
  for (;;) {
    const uint64_t done = cpu_.instructions_retired() - start;
    if (limit && done >= limit) {
      result.reason = RunResult::Reason::InstructionLimit;
      result.exit_code = 2;
      result.message = "stopped after " + std::to_string(done) +
                       " instructions (--max-instructions) at " + where();
      break;
    }
    if (host_hook_) {
      const auto host_now = std::chrono::steady_clock::now();
      if (host_now >= next_host_hook_) {
        next_host_hook_ = host_now + host_hook_period_;
        if (!host_hook_()) {
          result.reason = RunResult::Reason::Stopped;
          result.exit_code = 0;
          break;
        }
      }
    }
    if (console_countdown_-- == 0) {
      console_countdown_ = kConsolePollSlices;
      // The sinks flush themselves at newlines, but a prompt has none: a reader of the
      // terminal or the file must see it before answering it, busy guest or not.
      flush_serial();
    }
    if (console_ && console_countdown_ == kConsolePollSlices) {
      console_->poll();
      if (console_->quit_requested()) {
        result.reason = RunResult::Reason::Stopped;
        result.exit_code = 0;
        result.message = "quit (Ctrl-A X)";
        break;
      }
    }
    if (!typer_.done()) {
      typer_.poll(
          clock_.now(), [this] { return vga_.text_screen_string(); }, i8042_);
    }
    if (auto code = debug_exit_.exit_code()) {
      result.reason = RunResult::Reason::DebugExit;
      result.exit_code = *code;
      break;
    }
    if (reset_pending_) {
      reset();
      continue;
    }
    if (cpu_.shutdown()) {
      const std::string what = "CPU shut down (triple fault) at " + where();
      const uint64_t since_reset = cpu_.instructions_retired() - retired_at_reset_;
      resets_without_progress_ = since_reset < kResetProgress ? resets_without_progress_ + 1 : 0;
      const bool looping = resets_without_progress_ >= 3;
      if (config_.no_reboot || looping) {
        result.reason = RunResult::Reason::Shutdown;
        result.exit_code = 1;
        result.message = looping ? what + "; it keeps shutting down after resets, stopping" : what;
        break;
      }
      std::fprintf(stderr, "x86lab: %s; resetting the machine (--no-reboot stops instead)\n",
                   what.c_str());
      reset();
      continue;
    }

    const uint64_t deadline = clock_.next_deadline();
    if (cpu_.halted()) {
      const bool can_wake = (cpu_.eflags() & cpu::flag::kIf) != 0;
      if (can_wake && pic_.interrupt_pending()) {
        cpu_.run(1);  // takes the interrupt
      } else if (!can_wake || deadline == bus::kNoDeadline) {
        result.reason = RunResult::Reason::Halted;
        result.exit_code = 0;
        result.message = can_wake ? "guest halted with nothing scheduled that could wake it"
                                  : "guest halted with interrupts disabled";
        break;
      } else {
        wait_for_event(deadline);
      }
      continue;
    }

    uint64_t slice = kMaxSlice;
    const uint64_t now = clock_.now();
    if (deadline != bus::kNoDeadline) {
      const uint64_t ahead = std::min<uint64_t>(deadline - now, uint64_t{1} << 40);
      slice = deadline <= now ? 1 : std::min(slice, (ahead << kPeriodShift) / period_q16_ + 1);
    }
    if (limit) slice = std::min(slice, limit - done);
    clock_.watch_until(now + ((slice * period_q16_) >> kPeriodShift));
    cpu_.run(slice);
    clock_.watch_until(0);
    if (!config_.deterministic) steer_clock();
    clock_.advance_to(guest_now_ns());
    if (cpu_.last_stop() >= cpu::StopReason::Breakpoint) {
      result.reason = RunResult::Reason::DebugStop;  // the debugger takes over
      break;
    }
  }
  drives_.flush();
  debugcon_.flush();
  firmware_log_.flush();
  flush_serial();
  result.instructions = cpu_.instructions_retired() - start;
  return result;
}

}  // namespace x86lab::machine
