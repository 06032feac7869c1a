#include "cpu/cpu_model.hpp"

namespace x86lab::cpu {

namespace {
struct ModelName {
  std::string_view name;
  CpuModel model;
};
constexpr ModelName kModelNames[] = {
    {"8086", CpuModel::I8086},
    {"8088", CpuModel::I8086},
    {"286", CpuModel::I80286},
    {"80286", CpuModel::I80286},
    {"386", CpuModel::I80386},
    {"80386", CpuModel::I80386},
    {"pentium-pro", CpuModel::PentiumPro},
    {"p6", CpuModel::PentiumPro},
};
}  // namespace

std::optional<CpuModel> parse_cpu_model(std::string_view name) {
  for (const auto& entry : kModelNames) {
    if (entry.name == name) return entry.model;
  }
  return std::nullopt;
}

std::string_view cpu_model_name(CpuModel model) {
  switch (model) {
    case CpuModel::I8086:
      return "8086";
    case CpuModel::I80286:
      return "286";
    case CpuModel::I80386:
      return "386";
    case CpuModel::PentiumPro:
      return "pentium-pro";
  }
  return "?";
}

}  // namespace x86lab::cpu
