// The processor models x86lab emulates. The model decides which opcodes exist, which quirks
// apply (8086 shift counts, PUSH SP, divide-error return address, address wrap) and what
// CPUID reports.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace x86lab::cpu {

enum class CpuModel : uint8_t { I8086, I80286, I80386, PentiumPro };

constexpr bool at_least(CpuModel model, CpuModel floor) {
  return static_cast<uint8_t>(model) >= static_cast<uint8_t>(floor);
}

std::optional<CpuModel> parse_cpu_model(std::string_view name);
std::string_view cpu_model_name(CpuModel model);

}  // namespace x86lab::cpu
