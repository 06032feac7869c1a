// The host side of the ports test programs talk to, as on Bochs and QEMU:
//  - DebugconSink: where the bytes of the debug console (devices::DebugPort, port 0xE9) go:
//    stdout, a file, or nowhere;
//  - DebugExit: QEMU's isa-debug-exit at 0xF4: writing v ends the emulator with exit code
//    (v << 1) | 1. It ends the process, so it belongs to the machine, not to devices/.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>

#include "bus/io_space.hpp"
#include "machine/machine_config.hpp"

namespace x86lab::machine {

inline constexpr uint16_t kDebugExitPort = 0xF4;

class DebugconSink {
 public:
  // Opens the target (a file is created or truncated). Throws std::runtime_error naming the
  // file when it cannot be opened.
  explicit DebugconSink(const DebugconTarget& target);
  DebugconSink(const DebugconSink&) = delete;
  DebugconSink& operator=(const DebugconSink&) = delete;
  ~DebugconSink();

  // Flushes at each newline; flush() writes out the rest (a prompt), cheaply when there is none.
  void put(uint8_t byte);
  void flush();

 private:
  std::FILE* out_ = nullptr;
  bool owns_file_ = false;
  bool unflushed_ = false;  // bytes put since the last flush
};

class DebugExit {
 public:
  // on_exit is called on the write (the machine uses it to stop the CPU at once).
  template <typename Fn>
  void attach(bus::IoSpace& io, Fn on_exit) {
    io.register_ports(kDebugExitPort, 1, "isa-debug-exit", bus::kIoByte | bus::kIoWord, nullptr,
                      [this, on_exit](uint16_t, unsigned size, uint32_t value) {
                        const uint32_t v = size == 1 ? (value & 0xFF) : (value & 0xFFFF);
                        exit_code_ = static_cast<int>((v << 1) | 1);
                        on_exit();
                      });
  }
  // The exit code the guest asked for, once it wrote the port.
  std::optional<int> exit_code() const { return exit_code_; }

 private:
  std::optional<int> exit_code_;
};

}  // namespace x86lab::machine
