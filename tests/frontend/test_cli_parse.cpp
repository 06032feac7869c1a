#include <doctest/doctest.h>

#include <vector>

#include "frontend/cli.hpp"
#include "machine/pc_machine.hpp"

using namespace x86lab;
using frontend::CommandLine;
using frontend::parse_command_line;
using frontend::parse_memory_size;
using frontend::UsageError;

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

CommandLine parse(std::vector<const char*> args) {
  args.insert(args.begin(), "x86lab");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

}  // namespace

TEST_CASE("memory sizes are MiB, with an optional M or G suffix") {
  CHECK(parse_memory_size("32") == 32 * kMiB);
  CHECK(parse_memory_size("64M") == 64 * kMiB);
  CHECK(parse_memory_size("64m") == 64 * kMiB);
  CHECK(parse_memory_size("128MiB") == 128 * kMiB);
  CHECK(parse_memory_size("1G") == 1024 * kMiB);
  CHECK(parse_memory_size("3584") == 3584 * kMiB);
  for (const char* bad : {"", "0", "3585", "4G", "16E", "12K", "-1", "1.5G", "M", "99999999999G"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_memory_size(bad), UsageError);
  }
}

TEST_CASE("debugcon targets: stdio, none, file:PATH") {
  using Kind = machine::DebugconTarget::Kind;
  CHECK(frontend::parse_debugcon("stdio").kind == Kind::Stdio);
  CHECK(frontend::parse_debugcon("none").kind == Kind::None);
  const auto file = frontend::parse_debugcon("file:/tmp/out.txt");
  CHECK(file.kind == Kind::File);
  CHECK(file.path == "/tmp/out.txt");
  CHECK_THROWS_AS(frontend::parse_debugcon("file:"), UsageError);
  CHECK_THROWS_AS(frontend::parse_debugcon("vc"), UsageError);
}

TEST_CASE("no arguments boot the pc when SeaBIOS is installed, else the demo on the bare machine") {
  const CommandLine cl = parse({});
  CHECK(cl.action == CommandLine::Action::Run);
  if (machine::find_seabios().empty()) {
    CHECK(cl.config.kind == machine::MachineKind::Bare);
    CHECK(cl.config.memory_bytes == 32 * kMiB);
  } else {
    CHECK(cl.config.kind == machine::MachineKind::Pc);
    CHECK(cl.config.memory_bytes == 128 * kMiB);
  }
  CHECK(cl.config.cpu_model == cpu::CpuModel::PentiumPro);
  CHECK(cl.config.bios_path.empty());
  CHECK(cl.config.debugcon.kind == machine::DebugconTarget::Kind::Stdio);
  CHECK(cl.config.max_instructions == 0);
  CHECK_FALSE(cl.config.no_reboot);
  CHECK_FALSE(cl.config.deterministic);
  CHECK_FALSE(cl.stats);
}

TEST_CASE("options fill in the machine configuration") {
  const CommandLine cl =
      parse({"-M", "bare", "--cpu", "286", "-m", "16M", "--bios", "rom.bin", "--debugcon", "none",
             "--max-instructions", "1000", "--no-reboot", "--deterministic", "--stats"});
  CHECK(cl.config.cpu_model == cpu::CpuModel::I80286);
  CHECK(cl.config.memory_bytes == 16 * kMiB);
  CHECK(cl.config.bios_path == "rom.bin");
  CHECK(cl.config.debugcon.kind == machine::DebugconTarget::Kind::None);
  CHECK(cl.config.max_instructions == 1000);
  CHECK(cl.config.no_reboot);
  CHECK(cl.config.deterministic);
  CHECK(cl.stats);
}

TEST_CASE("a raw ROM or a pre-386 CPU keeps the bare machine as the default") {
  CHECK(parse({"--bios", "rom.bin"}).config.kind == machine::MachineKind::Bare);
  CHECK(parse({"--cpu", "286"}).config.kind == machine::MachineKind::Bare);
}

TEST_CASE("the pc machine takes its own memory default, the SeaBIOS log and the serial target") {
  const CommandLine cl =
      parse({"-M", "pc", "--seabios-log", "file:/tmp/log.txt", "--serial", "none"});
  CHECK(cl.config.kind == machine::MachineKind::Pc);
  CHECK(cl.config.memory_bytes == 128 * kMiB);
  CHECK(cl.config.firmware_log.kind == machine::DebugconTarget::Kind::File);
  CHECK(cl.config.firmware_log.path == "/tmp/log.txt");
  CHECK(cl.config.serial.kind == machine::DebugconTarget::Kind::None);
  CHECK(parse({"-M", "pc", "-m", "64"}).config.memory_bytes == 64 * kMiB);
  CHECK_THROWS_AS(parse({"-M", "pc", "--cpu", "286"}), UsageError);
  CHECK_THROWS_AS(parse({"--seabios-log", "tcp:1"}), UsageError);
}

TEST_CASE("--serial given again names COM2, COM3, COM4; one of them on stdio takes stdin") {
  using Kind = machine::DebugconTarget::Kind;
  const CommandLine one = parse({"-M", "pc", "--serial", "file:/tmp/c1"});
  CHECK(one.config.more_serial.empty());
  CHECK_FALSE(one.config.serial_input);
  const CommandLine four = parse({"-M", "pc", "--serial", "none", "--serial", "file:/tmp/c2",
                                  "--serial", "stdio", "--serial", "none"});
  CHECK(four.config.serial.kind == Kind::None);
  REQUIRE(four.config.more_serial.size() == 3);
  CHECK(four.config.more_serial[0].kind == Kind::File);
  CHECK(four.config.more_serial[0].path == "/tmp/c2");
  CHECK(four.config.more_serial[1].kind == Kind::Stdio);
  CHECK(four.config.more_serial[2].kind == Kind::None);
  CHECK(four.config.serial_input);  // COM3 on stdio
  CHECK_FALSE(parse({"-M", "pc", "--serial", "none", "--serial", "stdio", "--no-serial-input"})
                  .config.serial_input);
  CHECK_THROWS_WITH_AS(parse({"-M", "pc", "--serial", "none", "--serial", "none", "--serial",
                              "none", "--serial", "none", "--serial", "none"}),
                       doctest::Contains("COM1-COM4"), UsageError);
  CHECK_THROWS_WITH_AS(parse({"-M", "pc", "--serial", "stdio", "--serial", "stdio"}),
                       doctest::Contains("only one COM port"), UsageError);
  CHECK_THROWS_AS(parse({"-M", "pc", "--nographic", "--serial", "none", "--serial", "stdio"}),
                  UsageError);  // --nographic puts COM1 on stdio too
  CHECK_THROWS_WITH_AS(parse({"-M", "bare", "--serial", "none", "--serial", "none"}),
                       doctest::Contains("pc machine"), UsageError);
  CHECK_THROWS_AS(parse({"-M", "pc", "--serial", "none", "--serial", "tcp:1"}), UsageError);
}

TEST_CASE("option names are not guessed from prefixes") {
  CHECK_THROWS_AS(parse({"--mem", "64"}), UsageError);
}

TEST_CASE("drive options: images, boot order, snapshot (pc machine only)") {
  const CommandLine cl = parse({"-M", "pc", "--fda", "a.img", "--fdb", "b.img", "--hda", "c.img",
                                "--hdb", "d.img", "--cdrom", "e.iso", "--snapshot"});
  CHECK(cl.config.floppy[0] == "a.img");
  CHECK(cl.config.floppy[1] == "b.img");
  CHECK(cl.config.hard_disk[0] == "c.img");
  CHECK(cl.config.hard_disk[1] == "d.img");
  CHECK(cl.config.cdrom == "e.iso");
  CHECK(cl.config.snapshot);
  CHECK_FALSE(parse({"-M", "pc"}).config.snapshot);
  CHECK(parse({"-M", "pc"}).config.boot_order == "cad");  // QEMU's default
  CHECK(parse({"-M", "pc", "--boot", "a"}).config.boot_order == "a");
  CHECK(parse({"-M", "pc", "--boot", "order=DC"}).config.boot_order == "dc");
  CHECK_THROWS_WITH_AS(parse({"-M", "pc", "--boot", "z"}), doctest::Contains("invalid --boot 'z'"),
                       UsageError);
  CHECK_THROWS_AS(parse({"-M", "pc", "--boot", "aa"}), UsageError);
  CHECK_THROWS_AS(parse({"-M", "pc", "--fda", ""}), UsageError);
  CHECK_THROWS_WITH_AS(parse({"-M", "bare", "--hda", "c.img"}),
                       "--hda needs the pc machine (-M pc)", UsageError);
  CHECK_THROWS_AS(parse({"-M", "bare", "--snapshot"}), UsageError);
}

TEST_CASE("--nographic, --screen-dump and --send-keys") {
  const CommandLine plain = parse({"-M", "pc", "--serial", "none"});
  CHECK_FALSE(plain.screen_dump);
  const CommandLine nographic = parse({"-M", "pc", "--serial", "none", "--nographic"});
  CHECK(nographic.config.serial.kind == machine::DebugconTarget::Kind::Stdio);
  CHECK(nographic.display.kind == frontend::DisplayOptions::Kind::None);
  CHECK(parse({"-M", "pc", "--screen-dump"}).screen_dump);

  const CommandLine keys = parse({"-M", "pc", "--send-keys", "ver\\r", "--send-keys-after", "A:\\>",
                                  "--send-keys-delay", "250"});
  CHECK(keys.config.send_keys == "ver\\r");
  CHECK(keys.config.send_keys_after == "A:\\>");  // taken literally
  CHECK(keys.config.send_keys_delay_ms == 250);
  CHECK(
      parse({"-M", "pc", "--send-keys", "x", "--send-keys-delay", "0"}).config.send_keys_delay_ms ==
      0);
  CHECK_THROWS_WITH_AS(parse({"-M", "pc", "--send-keys", "a\\q"}),
                       doctest::Contains("unknown escape"), UsageError);
  CHECK_THROWS_WITH_AS(parse({"-M", "pc", "--send-keys-after", "A>"}),
                       "--send-keys-after needs --send-keys", UsageError);
  CHECK_THROWS_AS(parse({"-M", "pc", "--send-keys", "x", "--send-keys-delay", "-1"}), UsageError);
}

TEST_CASE("debugging options: monitor, gdb stub, -s, -S, trace, magic breakpoint") {
  CHECK_FALSE(parse({}).debug.active());
  CHECK(parse({"--monitor", "stdio"}).debug.monitor_stdio);
  CHECK(parse({"-s"}).debug.gdb_port == 1234);
  CHECK(parse({"--gdb", "tcp::4321"}).debug.gdb_port == 4321);
  CHECK(parse({"-s", "-S"}).debug.start_paused);
  CHECK(parse({"--trace", "t.txt"}).debug.trace_file == "t.txt");
  CHECK(parse({"--magic-break"}).debug.magic_break);
  CHECK_THROWS_AS(parse({"--gdb", "tcp::99999"}), UsageError);
  CHECK_THROWS_AS(parse({"--monitor", "vc"}), UsageError);
  CHECK_THROWS_AS(parse({"-S"}), UsageError);  // nothing could start the CPU
}

TEST_CASE("help and version are actions, not runs") {
  const CommandLine help = parse({"--help"});
  CHECK(help.action == CommandLine::Action::Help);
  CHECK(help.help_text.find("--max-instructions") != std::string::npos);
  CHECK(parse({"--version"}).action == CommandLine::Action::Version);
}
