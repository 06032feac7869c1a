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

TEST_CASE("option names are not guessed from prefixes") {
  CHECK_THROWS_AS(parse({"--mem", "64"}), UsageError);
}

TEST_CASE("options of later issues are refused, never ignored") {
  CHECK_THROWS_WITH_AS(parse({"--hda", "disk.img"}), "option '--hda' is not implemented yet",
                       UsageError);
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
