// The host side of an interactive serial console: bytes read from stdin go to the guest's
// COM1 receiver, as with QEMU's -nographic.
//
// On a terminal the console is put into raw mode (no echo, no line editing, no signals from
// Ctrl-C/Ctrl-Z, which go to the guest as bytes) and restored when the object goes away, at
// exit and on fatal signals. QEMU's escape character works: Ctrl-A X quits, Ctrl-A Ctrl-A
// sends one Ctrl-A, Ctrl-A H prints the keys. From a pipe or a file the bytes are passed on as
// they are (no escape) until end of file: that is how tests type into the guest.
//
// Nothing here runs on a thread: the machine calls poll() between CPU slices and wait() while
// the CPU is halted, so typing wakes an idle guest at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>

namespace x86lab::machine {

class HostConsole {
 public:
  // Takes over file descriptor `fd` (stdin). `deliver` gets the guest's bytes; it returns
  // false while the receiver is full, and the byte is offered again on the next poll.
  HostConsole(int fd, std::function<bool(uint8_t)> deliver);
  HostConsole(const HostConsole&) = delete;
  HostConsole& operator=(const HostConsole&) = delete;
  ~HostConsole();

  // Reads what is available without blocking and delivers what the receiver takes.
  void poll();
  // Sleeps up to `timeout` or until input arrives, then polls.
  void wait(std::chrono::nanoseconds timeout);
  // True once the user typed Ctrl-A X.
  bool quit_requested() const { return quit_; }
  bool interactive() const { return raw_; }
  // True while bytes are waiting for the guest's receiver or more input can come.
  bool has_pending() const { return !pending_.empty(); }

 private:
  void read_available();
  void take(uint8_t byte);
  void deliver_pending();

  int fd_;
  std::function<bool(uint8_t)> deliver_;
  bool raw_ = false;
  bool eof_ = false;
  bool escape_ = false;
  bool quit_ = false;
  std::deque<uint8_t> pending_;
};

}  // namespace x86lab::machine
