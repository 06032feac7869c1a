#include "machine/host_console.hpp"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace x86lab::machine {

namespace {

constexpr uint8_t kEscape = 0x01;  // Ctrl-A, as in QEMU

// The terminal as it was, for the signal handlers and atexit (one console per process).
struct termios g_saved;
volatile std::sig_atomic_t g_raw_fd = -1;

void restore_terminal() {
  const int fd = g_raw_fd;
  if (fd >= 0) {
    tcsetattr(fd, TCSANOW, &g_saved);
    g_raw_fd = -1;
  }
}

extern "C" void restore_and_reraise(int sig) {
  restore_terminal();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

constexpr int kFatalSignals[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS};

}  // namespace

HostConsole::HostConsole(int fd, std::function<bool(uint8_t)> deliver)
    : fd_(fd), deliver_(std::move(deliver)) {
  if (isatty(fd_) && tcgetattr(fd_, &g_saved) == 0) {
    struct termios raw = g_saved;
    cfmakeraw(&raw);
    // Keep output post-processing so the guest's "\n" still starts a new line on the host.
    raw.c_oflag |= OPOST;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    static bool handlers_installed = false;
    if (!handlers_installed) {
      for (int sig : kFatalSignals) std::signal(sig, restore_and_reraise);
      std::atexit(restore_terminal);
      handlers_installed = true;
    }
    if (tcsetattr(fd_, TCSANOW, &raw) == 0) {
      g_raw_fd = fd_;
      raw_ = true;
      std::fprintf(stderr,
                   "x86lab: serial console on this terminal; Ctrl-A X quits, Ctrl-A H "
                   "lists the keys\r\n");
    }
  }
}

HostConsole::~HostConsole() {
  if (raw_) restore_terminal();
}

void HostConsole::read_available() {
  if (eof_) return;
  for (;;) {
    struct pollfd pfd = {fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 0) <= 0) return;
    if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR))) return;
    uint8_t buf[256];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) {
      eof_ = true;  // end of the pipe or file (or an error): no more input
      return;
    }
    for (ssize_t i = 0; i < n; ++i) take(buf[i]);
    if (static_cast<size_t>(n) < sizeof buf) return;
  }
}

void HostConsole::take(uint8_t byte) {
  if (!raw_) {
    pending_.push_back(byte);
    return;
  }
  if (!escape_) {
    if (byte == kEscape) {
      escape_ = true;
    } else {
      pending_.push_back(byte);
    }
    return;
  }
  escape_ = false;
  switch (byte) {
    case 'x':
    case 'X':
      quit_ = true;
      break;
    case kEscape:
      pending_.push_back(kEscape);
      break;
    case 'h':
    case 'H':
    case '?':
      std::fprintf(stderr,
                   "\r\nx86lab: Ctrl-A X  quit\r\n"
                   "x86lab: Ctrl-A Ctrl-A  send Ctrl-A to the guest\r\n"
                   "x86lab: Ctrl-A H  this help\r\n");
      break;
    default:
      break;  // as QEMU: an unknown escape is dropped
  }
}

void HostConsole::deliver_pending() {
  while (!pending_.empty() && deliver_(pending_.front())) pending_.pop_front();
}

void HostConsole::poll() {
  read_available();
  deliver_pending();
}

void HostConsole::wait(std::chrono::nanoseconds timeout) {
  if (eof_ || !pending_.empty()) {
    // Nothing to wait for on the host (or the guest still has to drain its receiver).
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
    nanosleep(&ts, nullptr);
  } else {
    struct pollfd pfd = {fd_, POLLIN, 0};
    struct timespec ts;
    ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
    ppoll(&pfd, 1, &ts, nullptr);
  }
  poll();
}

}  // namespace x86lab::machine
