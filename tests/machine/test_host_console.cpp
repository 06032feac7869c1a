// HostConsole from a pipe (how tests type into COM1): bytes are delivered in order, wait while
// the receiver is full, and end of file stops reading. The terminal (raw mode, Ctrl-A X) needs
// a TTY and is covered by hand (README).
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "machine/host_console.hpp"

using x86lab::machine::HostConsole;

namespace {

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { REQUIRE(pipe(fds) == 0); }
  ~Pipe() {
    for (int fd : fds)
      if (fd >= 0) close(fd);
  }
  void write_all(const std::string& text) {
    REQUIRE(write(fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }
  void close_writer() {
    close(fds[1]);
    fds[1] = -1;
  }
};

}  // namespace

TEST_CASE("host console: a pipe's bytes reach the receiver in order, Ctrl-A included") {
  Pipe pipe;
  std::string received;
  HostConsole console(pipe.fds[0], [&](uint8_t byte) {
    received.push_back(static_cast<char>(byte));
    return true;
  });
  CHECK_FALSE(console.interactive());
  console.poll();
  CHECK(received.empty());
  pipe.write_all("uname -m\n\x01x\x03");
  console.poll();
  // Not a terminal: no escape character, so Ctrl-A X and Ctrl-C are data.
  CHECK(received == "uname -m\n\x01x\x03");
  CHECK_FALSE(console.quit_requested());
}

TEST_CASE("host console: bytes wait while the receiver is full") {
  Pipe pipe;
  std::string received;
  unsigned space = 3;
  HostConsole console(pipe.fds[0], [&](uint8_t byte) {
    if (space == 0) return false;
    --space;
    received.push_back(static_cast<char>(byte));
    return true;
  });
  pipe.write_all("abcdefgh");
  console.poll();
  CHECK(received == "abc");
  CHECK(console.has_pending());
  space = 100;
  console.poll();
  CHECK(received == "abcdefgh");
  CHECK_FALSE(console.has_pending());
}

TEST_CASE("host console: wait() returns early when input arrives, and end of file ends reading") {
  Pipe pipe;
  std::string received;
  HostConsole console(pipe.fds[0], [&](uint8_t byte) {
    received.push_back(static_cast<char>(byte));
    return true;
  });
  pipe.write_all("x");
  const auto start = std::chrono::steady_clock::now();
  console.wait(std::chrono::seconds(5));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  CHECK(received == "x");
  pipe.close_writer();
  console.poll();  // reads end of file
  console.wait(std::chrono::milliseconds(1));
  CHECK(received == "x");
}
