#include "frontend/cli.hpp"
#include "frontend/debug_cli.hpp"

#include "machine/key_typer.hpp"
#include "machine/pc_drives.hpp"
#include "machine/pc_machine.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cctype>
#include <charconv>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

namespace x86lab::frontend {

namespace po = boost::program_options;

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string valid_cpu_models() { return "8086, 286, 386, pentium-pro"; }

machine::MachineKind parse_machine(std::string_view text) {
  const std::string name = lower(text);
  if (name == "bare") return machine::MachineKind::Bare;
  if (name == "pc") return machine::MachineKind::Pc;
  throw UsageError("unknown machine '" + std::string(text) + "'; valid: pc, bare");
}

// An output target given as stdio, none, file:PATH (debug console, SeaBIOS log, serial).
machine::DebugconTarget parse_output_target(std::string_view option, std::string_view text) {
  using Kind = machine::DebugconTarget::Kind;
  if (text == "stdio") return {Kind::Stdio, {}};
  if (text == "none" || text == "null") return {Kind::None, {}};
  if (text.starts_with("file:") && text.size() > 5) {
    return {Kind::File, std::string(text.substr(5))};
  }
  throw UsageError("invalid " + std::string(option) + " '" + std::string(text) +
                   "'; valid: stdio, none, file:PATH");
}

}  // namespace

uint64_t parse_count(std::string_view option, std::string_view text) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value == 0) {
    throw UsageError("invalid value '" + std::string(text) + "' for " + std::string(option) +
                     "; give a positive whole number");
  }
  return value;
}

uint64_t parse_memory_size(std::string_view text) {
  const std::string bad = "invalid memory size '" + std::string(text) +
                          "'; give MiB between 1 and 3584, e.g. 32, 64M, 1G";
  uint64_t value = 0;
  const char* const first = text.data();
  const char* const last = first + text.size();
  const auto [end, ec] = std::from_chars(first, last, value);
  if (end == first || ec != std::errc{}) throw UsageError(bad);
  const std::string suffix = lower(std::string_view(end, static_cast<size_t>(last - end)));
  uint64_t unit;
  if (suffix.empty() || suffix == "m" || suffix == "mb" || suffix == "mib") {
    unit = machine::kMiB;
  } else if (suffix == "g" || suffix == "gb" || suffix == "gib") {
    unit = 1024 * machine::kMiB;
  } else {
    throw UsageError(bad);
  }
  if (value > machine::kMaxMemoryBytes / unit) throw UsageError(bad);
  const uint64_t bytes = value * unit;
  if (bytes < machine::kMinMemoryBytes) throw UsageError(bad);
  return bytes;
}

machine::DebugconTarget parse_debugcon(std::string_view text) {
  using Kind = machine::DebugconTarget::Kind;
  if (text == "stdio") return {Kind::Stdio, {}};
  if (text == "none" || text == "null") return {Kind::None, {}};
  if (text.starts_with("file:") && text.size() > 5) {
    return {Kind::File, std::string(text.substr(5))};
  }
  throw UsageError("invalid --debugcon '" + std::string(text) + "'; valid: stdio, none, file:PATH");
}

std::string parse_boot(std::string_view text) {
  std::string order = lower(text);
  if (order.starts_with("order=")) order.erase(0, 6);
  if (!machine::parse_boot_order(order)) {
    throw UsageError("invalid --boot '" + std::string(text) +
                     "'; give up to three different letters of a (floppy), c (hard disk), "
                     "d (CD-ROM), e.g. a, c, dc");
  }
  return order;
}

namespace {

// --fda ... --send-keys-delay: disks, boot order, display (display_options.hpp), screen
// dump, typing.
void parse_drive_options(const po::variables_map& vm, CommandLine& cl) {
  machine::MachineConfig& config = cl.config;
  const bool pc = config.kind == machine::MachineKind::Pc;
  const auto file = [&](const char* option, std::string& out) {
    if (!vm.count(option)) return;
    if (!pc) throw UsageError("--" + std::string(option) + " needs the pc machine (-M pc)");
    out = vm[option].as<std::string>();
    if (out.empty()) throw UsageError("--" + std::string(option) + " needs a file name");
  };
  // FILE,readonly=on (QEMU's drive property): write-protected for the guest, opened read-only.
  const auto writable_file = [&](const char* option, std::string& out, bool& read_only) {
    file(option, out);
    for (const auto& [suffix, value] :
         {std::pair{",readonly=on", true}, {",readonly=off", false}}) {
      const std::string_view tail(suffix);
      if (out.size() > tail.size() && out.ends_with(tail)) {
        out.resize(out.size() - tail.size());
        read_only = value;
      }
    }
  };
  writable_file("fda", config.floppy[0], config.floppy_read_only[0]);
  writable_file("fdb", config.floppy[1], config.floppy_read_only[1]);
  writable_file("hda", config.hard_disk[0], config.hard_disk_read_only[0]);
  writable_file("hdb", config.hard_disk[1], config.hard_disk_read_only[1]);
  file("cdrom", config.cdrom);
  if (vm.count("boot")) config.boot_order = parse_boot(vm["boot"].as<std::string>());
  read_display_options(vm, cl.display);
  if (vm.count("nographic")) {
    config.serial = {machine::DebugconTarget::Kind::Stdio, {}};
    cl.display.kind = DisplayOptions::Kind::None;
  }
  for (const char* option : {"snapshot", "screen-dump", "send-keys", "send-keys-after",
                             "send-keys-delay", "boot", "boot-menu"}) {
    if (vm.count(option) && !pc) {
      throw UsageError("--" + std::string(option) + " needs the pc machine (-M pc)");
    }
  }
  config.snapshot = vm.count("snapshot") != 0;
  config.boot_menu = vm.count("boot-menu") != 0;
  cl.screen_dump = vm.count("screen-dump") != 0;
  if (vm.count("send-keys")) {
    config.send_keys = vm["send-keys"].as<std::string>();
    std::string error;
    if (!machine::keystrokes_for_text(config.send_keys, &error)) {
      throw UsageError("invalid --send-keys '" + config.send_keys + "': " + error);
    }
  }
  for (const char* option : {"send-keys-after", "send-keys-delay"}) {
    if (vm.count(option) && !vm.count("send-keys")) {
      throw UsageError("--" + std::string(option) + " needs --send-keys");
    }
  }
  if (vm.count("send-keys-after")) {
    config.send_keys_after = vm["send-keys-after"].as<std::string>();
  }
  if (vm.count("send-keys-delay")) {
    const std::string text = vm["send-keys-delay"].as<std::string>();
    config.send_keys_delay_ms = text == "0" ? 0 : parse_count("--send-keys-delay", text);
  }
}

}  // namespace

CommandLine parse_command_line(int argc, const char* const argv[]) {
  po::options_description general("General");
  general.add_options()                          //
      ("help,h", "print this help and exit")     //
      ("version", "print the version and exit")  //
      ("stats", "print instructions retired and MIPS on stderr at exit");

  po::options_description machine_opts("Machine");
  machine_opts.add_options()  //
      ("machine,M", po::value<std::string>()->value_name("NAME"),
       "machine: pc (i440FX PC with SeaBIOS; the default when SeaBIOS is installed and "
       "--bios is not given) or bare (CPU, RAM, ROM, debug ports)")  //
      ("cpu", po::value<std::string>()->value_name("MODEL"),
       "CPU model: 8086, 286, 386, pentium-pro (default)")  //
      ("memory,m", po::value<std::string>()->value_name("SIZE"),
       "RAM in MiB, suffix M or G allowed (default 128M on pc, 32M on bare)")  //
      ("bios", po::value<std::string>()->value_name("FILE"),
       "raw ROM image mapped to end at 1 MiB and at 4 GiB (default: SeaBIOS from Debian's "
       "seabios package on pc, the built-in demo on bare)")  //
      ("vgabios", po::value<std::string>()->value_name("FILE"),
       "pc: VGA BIOS image, behind the VGA's PCI ROM BAR and at 0xC0000 (default: SeaBIOS's "
       "vgabios-stdvga.bin; at 0xC0000, for a --bios that is not SeaBIOS, Debian vgabios's "
       "vgabios.bin)")  //
      ("kernel", po::value<std::string>()->value_name("FILE"),
       "pc: boot this Linux bzImage directly (32-bit boot protocol, no BIOS code runs)")  //
      ("initrd", po::value<std::string>()->value_name("FILE"),
       "initial ramdisk for --kernel")  //
      ("append", po::value<std::string>()->value_name("CMDLINE"),
       "kernel command line for --kernel")                                          //
      ("no-reboot", "end the run when the CPU shuts down instead of resetting it")  //
      ("deterministic", "derive guest time from the instruction count only");

  po::options_description drive_opts("Drives and display (pc machine)");
  drive_opts.add_options()  //
      ("fda", po::value<std::string>()->value_name("FILE"),
       "floppy image in drive A: (raw 360K, 720K, 1.2M, 1.44M or 2.88M); FILE,readonly=on "
       "write-protects it (also for --fdb, --hda, --hdb)")                               //
      ("fdb", po::value<std::string>()->value_name("FILE"), "floppy image in drive B:")  //
      ("hda", po::value<std::string>()->value_name("FILE"),
       "hard disk image, primary master (raw, a multiple of 512 bytes)")  //
      ("hdb", po::value<std::string>()->value_name("FILE"),
       "hard disk image, primary slave")  //
      ("cdrom", po::value<std::string>()->value_name("FILE"),
       "CD-ROM image (ISO, read-only), secondary master")  //
      ("boot", po::value<std::string>()->value_name("ORDER"),
       "boot order in QEMU's letters: a floppy, c hard disk, d CD-ROM, e.g. a or dc "
       "(default cad); order=ORDER is accepted too")                                  //
      ("snapshot", "keep disk writes in memory: the image files are never modified")  //
      ("boot-menu",
       "SeaBIOS shows \"Press ESC for boot menu\" and waits 2.5 s for it (off by default, "
       "as QEMU's -boot menu=off)")  //
      ("display", po::value<std::string>()->value_name("TYPE"),
       "sdl (a window; the default when a display is available), sdl,aspect=on (4:3 "
       "instead of whole-number scaling), none (headless). In the window Ctrl-Alt-G grabs "
       "the mouse, Ctrl-Alt-P pauses, Ctrl-Alt-S saves a PNG, Ctrl-Alt-End sends "
       "Ctrl-Alt-Del")                                                                  //
      ("nographic", "no window, COM1 on the terminal (--display none --serial stdio)")  //
      ("screen-dump",
       "print the VGA text screen on stdout when the run ends (also on SIGINT/SIGTERM)")  //
      ("send-keys", po::value<std::string>()->value_name("TEXT"),
       "type TEXT on the PS/2 keyboard (US layout; escapes \\n Enter, \\t Tab, \\b Backspace, "
       "\\e Esc, \\\\ backslash)")  //
      ("send-keys-after", po::value<std::string>()->value_name("TEXT"),
       "type only once the last non-blank row of the text screen ends with TEXT, taken "
       "literally (e.g. 'A:\\>'); checked every guest millisecond")  //
      ("send-keys-delay", po::value<std::string>()->value_name("MS"),
       "guest milliseconds to wait before typing (default 0); keys then go in 10 ms apart");

  po::options_description debug_opts("Debugging and testing");
  debug_opts.add_options()  //
      ("debugcon", po::value<std::string>()->value_name("TARGET"),
       "port 0xE9 output: stdio (default), file:PATH, none")  //
      ("seabios-log", po::value<std::string>()->value_name("TARGET"),
       "pc: SeaBIOS's log (port 0x402): none (default), stdio, file:PATH")         //
      ("no-serial-input", "pc: do not read stdin into COM1 (stdin stays cooked)")  //
      ("serial", po::value<std::vector<std::string>>()->value_name("TARGET"),
       "pc: what COM1 transmits: stdio (default), none, file:PATH; given again, COM2 "
       "(0x2F8, IRQ3), COM3 (0x3E8, IRQ4), COM4 (0x2E8, IRQ3) in order, as QEMU's -serial; "
       "stdin feeds the port on stdio (at most one)")  //
      ("max-instructions", po::value<std::string>()->value_name("N"),
       "stop with exit code 2 after N instructions");

  po::options_description hidden;
  hidden.add_options()("positional", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("positional", -1);

  add_debug_cli_options(debug_opts);
  po::options_description visible;
  visible.add(general).add(machine_opts).add(drive_opts).add(display_option_group());
  visible.add(debug_opts);
  po::options_description all;
  all.add(visible).add(hidden);

  po::variables_map vm;
  try {
    const int style =
        po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::store(
        po::command_line_parser(argc, argv).options(all).positional(positional).style(style).run(),
        vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + "; x86lab --help lists the options");
  }

  CommandLine cl;
  if (vm.count("help")) {
    std::ostringstream text;
    text << "usage: x86lab [options]\n"
            "With no options, boots SeaBIOS on the pc machine when Debian's seabios package\n"
            "is installed (else runs the built-in demo ROM on the bare machine).\n"
            "Exit codes: 0 halted, (v << 1) | 1 when the guest writes v to port 0xF4,\n"
            "1 runtime error or CPU shutdown, 2 command-line error or instruction limit.\n"
         << visible << '\n';
    cl.action = CommandLine::Action::Help;
    cl.help_text = text.str();
    return cl;
  }
  if (vm.count("version")) {
    cl.action = CommandLine::Action::Version;
    return cl;
  }
  if (vm.count("positional")) {
    throw UsageError("unexpected argument '" +
                     vm["positional"].as<std::vector<std::string>>().front() +
                     "'; x86lab takes options only (--bios FILE, ...)");
  }

  machine::MachineConfig& config = cl.config;
  if (vm.count("cpu")) {
    const std::string name = vm["cpu"].as<std::string>();
    const auto model = cpu::parse_cpu_model(lower(name));
    if (!model) {
      throw UsageError("unknown CPU model '" + name + "'; valid: " + valid_cpu_models());
    }
    config.cpu_model = *model;
  }
  if (vm.count("machine")) {
    config.kind = parse_machine(vm["machine"].as<std::string>());
  } else if (!vm.count("bios") && cpu::at_least(config.cpu_model, cpu::CpuModel::I80386) &&
             !machine::find_seabios().empty()) {
    // The PC is the default where it can run: SeaBIOS installed, no raw ROM, a 386 or later.
    config.kind = machine::MachineKind::Pc;
  }
  if (config.kind == machine::MachineKind::Pc) {
    config.memory_bytes = machine::kPcDefaultMemoryBytes;
    if (!cpu::at_least(config.cpu_model, cpu::CpuModel::I80386)) {
      throw UsageError("machine 'pc' needs a 386 or later CPU; use --cpu 386 or pentium-pro");
    }
  }
  if (vm.count("memory")) config.memory_bytes = parse_memory_size(vm["memory"].as<std::string>());
  if (vm.count("bios")) {
    config.bios_path = vm["bios"].as<std::string>();
    if (config.bios_path.empty()) throw UsageError("--bios needs a file name");
  }
  if (vm.count("vgabios")) {
    if (config.kind != machine::MachineKind::Pc) throw UsageError("--vgabios needs the pc machine");
    config.vga_bios_path = vm["vgabios"].as<std::string>();
    if (config.vga_bios_path.empty()) throw UsageError("--vgabios needs a file name");
  }
  if (vm.count("kernel")) {
    if (config.kind != machine::MachineKind::Pc) {
      throw UsageError("--kernel needs the pc machine (-M pc and Debian's seabios package)");
    }
    config.kernel_path = vm["kernel"].as<std::string>();
    if (config.kernel_path.empty()) throw UsageError("--kernel needs a file name");
  }
  for (const char* option : {"initrd", "append"}) {
    if (vm.count(option) && config.kernel_path.empty()) {
      throw UsageError("--" + std::string(option) + " needs --kernel");
    }
  }
  if (vm.count("initrd")) {
    config.initrd_path = vm["initrd"].as<std::string>();
    if (config.initrd_path.empty()) throw UsageError("--initrd needs a file name");
  }
  if (vm.count("append")) config.kernel_cmdline = vm["append"].as<std::string>();
  if (vm.count("debugcon")) config.debugcon = parse_debugcon(vm["debugcon"].as<std::string>());
  if (vm.count("seabios-log")) {
    config.firmware_log = parse_output_target("--seabios-log", vm["seabios-log"].as<std::string>());
  }
  if (vm.count("serial")) {
    const auto& targets = vm["serial"].as<std::vector<std::string>>();
    if (targets.size() > 4) {
      throw UsageError("--serial given " + std::to_string(targets.size()) +
                       " times; the pc machine has COM1-COM4");
    }
    if (targets.size() > 1 && config.kind != machine::MachineKind::Pc) {
      throw UsageError("a second --serial (COM2-COM4) needs the pc machine (-M pc)");
    }
    config.serial = parse_output_target("--serial", targets[0]);
    for (size_t i = 1; i < targets.size(); ++i) {
      config.more_serial.push_back(parse_output_target("--serial", targets[i]));
    }
  }
  if (vm.count("max-instructions")) {
    config.max_instructions =
        parse_count("--max-instructions", vm["max-instructions"].as<std::string>());
  }
  parse_drive_options(vm, cl);
  // A COM port on the terminal is a console both ways: stdin feeds its receiver (raw mode on a
  // terminal, Ctrl-A X quits), as QEMU's -nographic and -serial stdio.
  const auto on_stdio = [](const machine::DebugconTarget& target) {
    return target.kind == machine::DebugconTarget::Kind::Stdio;
  };
  const size_t stdio_ports =
      on_stdio(config.serial) +
      std::count_if(config.more_serial.begin(), config.more_serial.end(), on_stdio);
  if (stdio_ports > 1) {
    throw UsageError(
        "only one COM port can be on stdio (--serial stdio"
        "; --nographic puts COM1 there)");
  }
  config.serial_input =
      config.kind == machine::MachineKind::Pc && stdio_ports == 1 && !vm.count("no-serial-input");
  config.no_reboot = vm.count("no-reboot") != 0;
  config.deterministic = vm.count("deterministic") != 0;
  cl.stats = vm.count("stats") != 0;
  cl.debug = parse_debug_cli_options(vm);
  return cl;
}

}  // namespace x86lab::frontend
