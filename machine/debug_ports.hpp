// The two ports test programs talk to, as on Bochs and QEMU:
//  - the debug console at 0xE9: bytes written appear on stdout or in a file; a read returns
//    0xE9, which is how a guest detects the port;
//  - QEMU's isa-debug-exit at 0xF4: writing v ends the emulator with exit code (v << 1) | 1.
// They live in machine/ until devices/ grows a home for them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "bus/io_space.hpp"
#include "machine/machine_config.hpp"

namespace x86lab::machine {

inline constexpr uint16_t kDebugconPort = 0xE9;
inline constexpr uint16_t kDebugExitPort = 0xF4;

class DebugConsole {
 public:
  // Opens the target (a file is created or truncated). Throws std::runtime_error naming the
  // file when it cannot be opened.
  explicit DebugConsole(const DebugconTarget& target);
  DebugConsole(const DebugConsole&) = delete;
  DebugConsole& operator=(const DebugConsole&) = delete;
  ~DebugConsole();

  void attach(bus::IoSpace& io);
  void put(uint8_t byte);
  void flush();

 private:
  std::FILE* out_ = nullptr;
  bool owns_file_ = false;
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
