#include "machine/debug_ports.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace x86lab::machine {

DebugconSink::DebugconSink(const DebugconTarget& target) {
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

DebugconSink::~DebugconSink() {
  flush();
  if (owns_file_) std::fclose(out_);
}

void DebugconSink::put(uint8_t byte) {
  if (!out_) return;
  std::fputc(byte, out_);
  unflushed_ = byte != '\n';
  if (!unflushed_) std::fflush(out_);
}

void DebugconSink::flush() {
  if (out_ && unflushed_) std::fflush(out_);
  unflushed_ = false;
}

}  // namespace x86lab::machine
