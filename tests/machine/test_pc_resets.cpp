// The pc machine's reset paths and A20 gate, end to end through the machine's wiring: port
// 0x92 bit 0, a 0->1 edge of 0xCF9 bit 2, the 8042's pulse command 0xFE and a triple fault
// each reset the whole machine (RAM survives); --no-reboot turns the triple fault into the end
// of the run; port 0x92 bit 1 and the 8042 output port gate A20.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "machine/pc_machine.hpp"

namespace x86lab {
namespace {

// A 64 KiB BIOS whose reset vector jumps to F000:FF00, where the code looks at a marker byte
// in RAM (0:0500): the first time it sets the marker and runs `reset` (which must reset the
// machine); after the reset it finds the marker and halts with interrupts off, ending the run.
// If the reset never comes, the HLT after `reset` ends the run instead, with no reset counted.
std::vector<uint8_t> bios_that_resets_by(std::initializer_list<uint8_t> reset) {
  std::vector<uint8_t> rom(64 * 1024, 0xF4);
  std::vector<uint8_t> code = {
      0x31, 0xC0,                    // xor ax, ax
      0x8E, 0xD8,                    // mov ds, ax
      0x80, 0x3E, 0x00, 0x05, 0x42,  // cmp byte [0x500], 0x42
      0x74, 0x00,                    // je second (patched below)
      0xC6, 0x06, 0x00, 0x05, 0x42,  // mov byte [0x500], 0x42
  };
  const size_t je_offset = 10;
  code.insert(code.end(), reset);
  code.insert(code.end(), {0xFA, 0xF4, 0xEB, 0xFD});  // cli; hlt; jmp $-1: no reset happened
  code[je_offset] = static_cast<uint8_t>(code.size() - (je_offset + 1));
  code.insert(code.end(), {0xFA, 0xF4});  // second: cli; hlt
  std::copy(code.begin(), code.end(), rom.begin() + 0xFF00);
  const uint8_t jump[] = {0xEA, 0x00, 0xFF, 0x00, 0xF0};  // jmp F000:FF00
  std::copy(std::begin(jump), std::end(jump), rom.begin() + 0xFFF0);
  return rom;
}

machine::MachineConfig pc_config() {
  machine::MachineConfig config;
  config.kind = machine::MachineKind::Pc;
  config.memory_bytes = 4 * machine::kMiB;
  config.deterministic = true;
  config.max_instructions = 100'000;
  config.debugcon = {machine::DebugconTarget::Kind::None, {}};
  config.serial = {machine::DebugconTarget::Kind::None, {}};
  return config;
}

void check_one_reset(std::initializer_list<uint8_t> reset) {
  const auto bios = bios_that_resets_by(reset);
  machine::PcMachine pc(pc_config(), bios);
  const machine::RunResult result = pc.run();
  CHECK(result.reason == machine::RunResult::Reason::Halted);
  CHECK(result.exit_code == 0);
  CHECK(pc.resets() == 1);
  CHECK(pc.memory().read<uint8_t>(0x500) == 0x42);  // RAM survived the reset
}

TEST_CASE("pc reset: port 0x92 bit 0 (fast reset)") {
  check_one_reset({0xB0, 0x01, 0xE6, 0x92});  // mov al, 1; out 0x92, al
}

TEST_CASE("pc reset: 0xCF9 bit 2 going from 0 to 1") {
  // mov dx, 0xCF9; mov al, 2; out dx, al; mov al, 6; out dx, al
  check_one_reset({0xBA, 0xF9, 0x0C, 0xB0, 0x02, 0xEE, 0xB0, 0x06, 0xEE});
}

TEST_CASE("pc reset: 0xCF9 without the 0->1 edge of bit 2 does not reset") {
  const auto bios = bios_that_resets_by({0xBA, 0xF9, 0x0C, 0xB0, 0x02, 0xEE});
  machine::PcMachine pc(pc_config(), bios);
  CHECK(pc.run().reason == machine::RunResult::Reason::Halted);
  CHECK(pc.resets() == 0);
}

TEST_CASE("pc reset: the 8042's pulse-output command 0xFE") {
  check_one_reset({0xB0, 0xFE, 0xE6, 0x64});  // mov al, 0xFE; out 0x64, al
}

// lidt [0x600] (a zero limit: RAM is zero there), then INT 3: no IDT entry, #GP, #DF, shutdown.
const std::initializer_list<uint8_t> kTripleFault = {0x0F, 0x01, 0x1E, 0x00, 0x06, 0xCC};

TEST_CASE("pc reset: a triple fault resets the machine") { check_one_reset(kTripleFault); }

TEST_CASE("pc reset: with --no-reboot a triple fault ends the run with exit code 1") {
  const auto bios = bios_that_resets_by(kTripleFault);
  auto config = pc_config();
  config.no_reboot = true;
  machine::PcMachine pc(config, bios);
  const machine::RunResult result = pc.run();
  CHECK(result.reason == machine::RunResult::Reason::Shutdown);
  CHECK(result.exit_code == 1);
  CHECK(result.message.find("triple fault") != std::string::npos);
  CHECK(pc.resets() == 0);
}

TEST_CASE("pc A20: port 0x92 bit 1 and the 8042 output port gate address line 20") {
  const auto bios = bios_that_resets_by({});
  machine::PcMachine pc(pc_config(), bios);
  CHECK(pc.cpu().a20());  // on after reset, as SeaBIOS expects
  CHECK((pc.io().read(0x92, 1) & 0x02) != 0);
  pc.io().write(0x92, 1, 0x00);
  CHECK_FALSE(pc.cpu().a20());
  CHECK((pc.io().read(0x92, 1) & 0x02) == 0);
  pc.io().write(0x92, 1, 0x02);
  CHECK(pc.cpu().a20());
  // 8042: write output port (0xD1) with bit 1 clear, then set.
  const auto kbc_output_port = [&](uint8_t value) {
    pc.io().write(0x64, 1, 0xD1);
    pc.io().write(0x60, 1, value);
  };
  kbc_output_port(0xDD);
  CHECK_FALSE(pc.cpu().a20());
  CHECK((pc.io().read(0x92, 1) & 0x02) == 0);  // port 0x92 reads the gate's state
  kbc_output_port(0xDF);
  CHECK(pc.cpu().a20());
  // A reset turns A20 back on.
  pc.io().write(0x92, 1, 0x00);
  pc.reset();
  CHECK(pc.cpu().a20());
}

}  // namespace
}  // namespace x86lab
