#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <vector>

#include "machine/bare_machine.hpp"

using namespace x86lab;
using machine::BareMachine;
using machine::MachineConfig;
using machine::RunResult;

namespace {

// A 512-byte ROM whose last 16 bytes (the reset vector, F000:FFF0) hold `code`; the rest is HLT.
std::vector<uint8_t> rom_with_reset_code(std::initializer_list<uint8_t> code) {
  std::vector<uint8_t> rom(512, 0xF4);
  REQUIRE(code.size() <= 16);
  std::copy(code.begin(), code.end(), rom.end() - 16);
  return rom;
}

MachineConfig quiet_config(cpu::CpuModel model = cpu::CpuModel::PentiumPro) {
  MachineConfig config;
  config.cpu_model = model;
  config.debugcon.kind = machine::DebugconTarget::Kind::None;
  config.max_instructions = 1000;
  return config;
}

}  // namespace

TEST_CASE("a word written to isa-debug-exit ends the run with (v << 1) | 1 at once") {
  // mov ax, 0x0010; out 0xF4, ax; mov bx, 1; hlt
  BareMachine m(quiet_config(),
                rom_with_reset_code({0xB8, 0x10, 0x00, 0xE7, 0xF4, 0xBB, 0x01, 0x00, 0xF4}));
  const RunResult r = m.run();
  CHECK(r.reason == RunResult::Reason::DebugExit);
  CHECK(r.exit_code == 0x21);
  CHECK(r.instructions == 2);
  CHECK((m.cpu().regs().gpr[cpu::kEbx] & 0xFFFF) == 0);  // nothing after the OUT ran
}

TEST_CASE("the debug console port reads back 0xE9") {
  // in al, 0xE9; out 0xF4, al
  BareMachine m(quiet_config(), rom_with_reset_code({0xE4, 0xE9, 0xE6, 0xF4}));
  const RunResult r = m.run();
  CHECK(r.reason == RunResult::Reason::DebugExit);
  CHECK(r.exit_code == ((0xE9 << 1) | 1));
}

TEST_CASE("HLT with IF=0 ends the run with exit code 0") {
  BareMachine m(quiet_config(), rom_with_reset_code({0xFA, 0xF4}));  // cli; hlt
  const RunResult r = m.run();
  CHECK(r.reason == RunResult::Reason::Halted);
  CHECK(r.exit_code == 0);
  CHECK(r.message == "guest halted with interrupts disabled");
}

TEST_CASE("HLT with IF=1 also ends the run: nothing on the bare machine interrupts") {
  BareMachine m(quiet_config(), rom_with_reset_code({0xFB, 0xF4}));  // sti; hlt
  const RunResult r = m.run();
  CHECK(r.reason == RunResult::Reason::Halted);
  CHECK(r.exit_code == 0);
  CHECK(r.message.find("no interrupt") != std::string::npos);
}

TEST_CASE("the instruction limit stops an endless loop with exit code 2") {
  BareMachine m(quiet_config(), rom_with_reset_code({0xEB, 0xFE}));  // jmp $
  const RunResult r = m.run();
  CHECK(r.reason == RunResult::Reason::InstructionLimit);
  CHECK(r.exit_code == 2);
  CHECK(r.instructions == 1000);
}

TEST_CASE("the ROM ends at 1 MiB and at 4 GiB; at 16 MiB too on the 286") {
  std::vector<uint8_t> rom(256 * 1024, 0x00);
  rom.back() = 0xA5;
  rom[rom.size() - 128 * 1024] = 0x5A;  // first byte of the low 128 KiB window
  rom.front() = 0x77;
  BareMachine pentium(quiet_config(), rom);
  auto& mem = pentium.memory();
  CHECK(mem.read<uint8_t>(0xFFFFF) == 0xA5);
  CHECK(mem.read<uint8_t>(0xE0000) == 0x5A);
  CHECK(mem.read<uint8_t>(0xDFFFF) == 0x00);  // RAM below the window
  CHECK(mem.read<uint8_t>(0xFFFFFFFFu) == 0xA5);
  CHECK(mem.read<uint8_t>(0xFFFC0000u) == 0x77);
  CHECK(mem.read<uint8_t>(0xFFFFFF) == 0x00);  // RAM: no 16 MiB copy beyond the 286

  BareMachine at(quiet_config(cpu::CpuModel::I80286), rom);
  CHECK(at.memory().read<uint8_t>(0xFFFFFF) == 0xA5);
  CHECK(at.memory().read<uint8_t>(0xFC0000) == 0x77);
}

TEST_CASE("every CPU model starts at its reset vector in the ROM") {
  for (auto model : {cpu::CpuModel::I8086, cpu::CpuModel::I80286, cpu::CpuModel::I80386,
                     cpu::CpuModel::PentiumPro}) {
    CAPTURE(cpu::cpu_model_name(model));
    // mov al, 0x05; out 0xF4, al
    BareMachine m(quiet_config(model), rom_with_reset_code({0xB0, 0x05, 0xE6, 0xF4}));
    const RunResult r = m.run();
    CHECK(r.reason == RunResult::Reason::DebugExit);
    CHECK(r.exit_code == 11);
  }
}

TEST_CASE("two machines in one process do not share state") {
  BareMachine a(quiet_config(), rom_with_reset_code({0xB0, 0x01, 0xE6, 0xF4}));
  BareMachine b(quiet_config(), rom_with_reset_code({0xB0, 0x02, 0xE6, 0xF4}));
  a.memory().write<uint8_t>(0x1000, 0x11);
  CHECK(b.memory().read<uint8_t>(0x1000) == 0x00);
  CHECK(b.run().exit_code == 5);
  CHECK(a.run().exit_code == 3);
}

TEST_CASE("memory sizes the machine cannot have are rejected") {
  MachineConfig config = quiet_config();
  config.memory_bytes = 0;
  CHECK_THROWS_AS(BareMachine(config, rom_with_reset_code({0xF4})), std::runtime_error);
  config.memory_bytes = uint64_t{4} << 30;
  CHECK_THROWS_AS(BareMachine(config, rom_with_reset_code({0xF4})), std::runtime_error);
}
