// Reader for the SingleStepTests MOO format (see ../shared/testdata/sst/README.md): a gzip
// file of chunks, each test an initial and a final CPU state.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace x86lab::tests {

// Register order of the REGS chunk's bit mask.
namespace moo {
enum Reg : unsigned { kAx, kBx, kCx, kDx, kCs, kSs, kDs, kEs, kSp, kBp, kSi, kDi, kIp, kFlags };
}
inline constexpr unsigned kMooRegCount = 14;

struct MooState {
  uint16_t mask = 0;  // which registers are present
  std::array<uint16_t, kMooRegCount> regs{};
  std::vector<std::pair<uint32_t, uint8_t>> ram;
};

struct MooException {
  uint8_t vector;
  uint32_t flag_address;
};

struct MooTest {
  uint32_t index = 0;
  std::string name;
  std::vector<uint8_t> bytes;
  MooState initial;
  MooState final_state;
  std::optional<MooException> exception;
  std::string hash;  // hex SHA-1
};

// Reads every test of a .MOO.gz file. Throws std::runtime_error on a malformed file.
std::vector<MooTest> read_moo_file(const std::string& path);

}  // namespace x86lab::tests
