// COM1-COM4 on the pc machine: where --serial puts each port, what SeaBIOS finds of them in
// the BIOS data area, and two ports sharing one IRQ.
#include <doctest/doctest.h>

#include <unistd.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "machine/pc_machine.hpp"

namespace x86lab {
namespace {

namespace fs = std::filesystem;
using devices::Uart16550;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("x86lab-serial-" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

machine::MachineConfig four_ports(const TempDir& dir) {
  machine::MachineConfig config;
  config.kind = machine::MachineKind::Pc;
  config.memory_bytes = 16 * machine::kMiB;
  config.deterministic = true;
  config.debugcon = {machine::DebugconTarget::Kind::None, {}};
  config.serial = {machine::DebugconTarget::Kind::File, (dir.path / "com1").string()};
  for (const char* name : {"com2", "com3", "com4"}) {
    config.more_serial.push_back({machine::DebugconTarget::Kind::File, (dir.path / name).string()});
  }
  return config;
}

// A BIOS that does nothing but halt: the tests drive the ports from the host side.
std::vector<uint8_t> halting_bios() {
  std::vector<uint8_t> rom(64 * 1024, 0xF4);  // HLT everywhere, the reset vector included
  return rom;
}

TEST_CASE("pc serial: each COM port transmits to its own --serial target") {
  TempDir dir;
  {
    const auto bios = halting_bios();
    machine::PcMachine pc(four_ports(dir), bios);
    for (unsigned i = 0; i < 4; ++i) {
      Uart16550* uart = pc.com(i);
      REQUIRE(uart != nullptr);
      const uint16_t base = Uart16550::kComPorts[i].base;
      pc.io().write(static_cast<uint16_t>(base + Uart16550::kLcr), 1, 0x03);  // 8N1
      pc.io().write(base, 1, static_cast<uint32_t>('1' + i));
    }
    CHECK(pc.com(4) == nullptr);
    pc.run();  // the BIOS halts with interrupts off; the run flushes the targets
  }
  CHECK(slurp(dir.path / "com1") == "1");
  CHECK(slurp(dir.path / "com2") == "2");
  CHECK(slurp(dir.path / "com3") == "3");
  CHECK(slurp(dir.path / "com4") == "4");
}

TEST_CASE("pc serial: without more --serial only COM1 answers") {
  TempDir dir;
  auto config = four_ports(dir);
  config.more_serial.clear();
  const auto bios = halting_bios();
  machine::PcMachine pc(config, bios);
  CHECK(pc.com(1) == nullptr);
  CHECK(pc.io().read(0x2F8 + Uart16550::kLcr, 1) == 0xFF);  // nothing decodes COM2
  CHECK(pc.io().read(0x3F8 + Uart16550::kLcr, 1) != 0xFF);
}

// A prompt ends without a newline, and the sinks flush at newlines: the machine must flush
// them while the guest runs, or a script waiting for "login: " in the file waits until the
// guest happens to print a line (a Linux boot waited 70 s for its shell prompt that way).
TEST_CASE("pc serial: a prompt without a newline reaches the file while the guest runs") {
  TempDir dir;
  auto config = four_ports(dir);
  config.more_serial.clear();
  std::vector<uint8_t> bios(64 * 1024, 0x90);
  bios[0xFFF0] = 0xEB;  // the reset vector: jmp $, a guest busy forever
  bios[0xFFF1] = 0xFE;
  machine::PcMachine pc(config, bios);
  const uint16_t base = Uart16550::kComPorts[0].base;
  pc.io().write(static_cast<uint16_t>(base + Uart16550::kLcr), 1, 0x03);
  for (const char c : std::string("login: ")) pc.io().write(base, 1, static_cast<uint8_t>(c));
  std::string seen;
  int looks = 0;
  pc.set_host_hook(std::chrono::milliseconds(2), [&] {
    seen = slurp(dir.path / "com1");
    return ++looks < 3;  // the first look comes before any instruction ran
  });
  pc.run();
  CHECK(looks == 3);
  CHECK(seen == "login: ");
}

TEST_CASE("pc serial: COM2 and COM4 share IRQ3; one port lowering it leaves the other's request") {
  TempDir dir;
  const auto bios = halting_bios();
  machine::PcMachine pc(four_ports(dir), bios);
  // Transmitter-empty interrupts with OUT2 on both ports: each drives IRQ3.
  for (uint16_t base : {uint16_t{0x2F8}, uint16_t{0x2E8}}) {
    pc.io().write(base + Uart16550::kMcr, 1, Uart16550::kMcrOut2);
    pc.io().write(base + Uart16550::kIer, 1, 0x02);
  }
  CHECK(pc.pic().state().sources_high[3] == 2);
  pc.io().write(0x2E8 + Uart16550::kIer, 1, 0x00);  // COM4 stops requesting
  CHECK(pc.pic().state().sources_high[3] == 1);
  CHECK((pc.pic().state().chips[0].line_level & 0x08) != 0);
  pc.io().write(0x2F8 + Uart16550::kMcr, 1, 0x00);  // COM2's OUT2 off: the line falls
  CHECK((pc.pic().state().chips[0].line_level & 0x08) == 0);
  CHECK(pc.pic().state().sources_high[4] == 0);  // COM1/COM3 untouched
}

TEST_CASE("pc serial: SeaBIOS lists COM1-COM4 in the BIOS data area") {
  if (machine::find_seabios().empty()) {
    MESSAGE("SKIPPED: SeaBIOS is not installed (apt-get install seabios)");
    return;
  }
  TempDir dir;
  auto config = four_ports(dir);
  config.max_instructions = 5'000'000;  // POST is done after about 3 million
  machine::PcMachine pc(config);
  pc.run();
  const auto word = [&](uint32_t address) {
    return static_cast<unsigned>(pc.memory().read<uint16_t>(address));
  };
  CHECK(word(0x400) == 0x3F8);
  CHECK(word(0x402) == 0x2F8);
  CHECK(word(0x404) == 0x3E8);
  CHECK(word(0x406) == 0x2E8);
  CHECK(((word(0x410) >> 9) & 7) == 4);  // equipment word: four serial ports

  // And with COM1 alone, one.
  config.more_serial.clear();
  machine::PcMachine one(config);
  one.run();
  CHECK(static_cast<unsigned>(one.memory().read<uint16_t>(0x402)) == 0);
  CHECK(((one.memory().read<uint16_t>(0x410) >> 9) & 7) == 1);
}

}  // namespace
}  // namespace x86lab
