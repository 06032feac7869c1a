#include "machine/debug_ports.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace x86lab::machine {

DebugConsole::DebugConsole(const DebugconTarget& target) {
  switch (target.kind) {
    case DebugconTarget::Kind::None:
      break;
    case DebugconTarget::Kind::Stdio:
      out_ = stdout;
      break;
    case DebugconTarget::Kind::File:
      out_ = std::fopen(target.path.c_str(), "wb");
      if (!out_) {
        throw std::runtime_error("cannot open debug console file '" + target.path +
                                 "': " + std::strerror(errno));
      }
      owns_file_ = true;
      break;
  }
}

DebugConsole::~DebugConsole() {
  flush();
  if (owns_file_) std::fclose(out_);
}

void DebugConsole::attach(bus::IoSpace& io) {
  io.register_ports(
      kDebugconPort, 1, "debugcon", bus::kIoByte,
      [](uint16_t, unsigned) -> uint32_t { return kDebugconPort; },
      [this](uint16_t, unsigned, uint32_t value) { put(static_cast<uint8_t>(value)); });
}

void DebugConsole::put(uint8_t byte) {
  if (!out_) return;
  std::fputc(byte, out_);
  if (byte == '\n') std::fflush(out_);
}

void DebugConsole::flush() {
  if (out_) std::fflush(out_);
}

}  // namespace x86lab::machine
