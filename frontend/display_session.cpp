#include "frontend/display_session.hpp"

#include <csignal>
#include <cstdio>
#include <cstring>

#include "frontend/screenshot.hpp"
#include "frontend/sdl_display.hpp"

namespace x86lab::frontend {

DisplaySession::DisplaySession(const DisplayOptions& options, machine::PcMachine& machine)
    : options_(options), machine_(machine) {
  install_stop_signal_handlers();
  if (options_.kind != DisplayOptions::Kind::None) {
    SdlDisplay::MachineLink link;
    link.instructions_retired = [this] { return machine_.cpu().instructions_retired(); };
    link.paused_for = [this](std::chrono::nanoseconds paused) {
      machine_.discount_host_time(paused);
    };
    std::string why_not;
    window_ = SdlDisplay::open(options_.sdl, machine_.vga(), machine_.keyboard_controller(),
                               std::move(link), why_not);
    if (!window_) {
      // One line, also what `make run` shows on a machine without a display.
      std::fprintf(stderr, "x86lab: no SDL window (%s); running headless (--display none)%s\n",
                   why_not.c_str(),
                   machine_.config().serial_input
                       ? ", serial console on this terminal (Ctrl-A X quits)"
                       : "");
    }
  }
  machine_.set_host_hook(window_ ? kRefreshPeriod : kHeadlessPeriod, [this] { return hook(); });
}

DisplaySession::~DisplaySession() = default;

bool DisplaySession::hook() {
  if (stop_signal() != 0) return false;
  return window_ ? window_->refresh() : true;
}

bool DisplaySession::finish(machine::RunResult& result) {
  if (result.reason == machine::RunResult::Reason::Stopped) {
    if (const int sig = stop_signal()) {
      result.exit_code = 128 + sig;
      result.message = std::string("stopped by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM");
    } else if (window_) {
      result.message = window_->stop_reason();
    }
  }
  if (options_.screenshot.empty()) return true;
  try {
    if (window_) {
      window_->refresh_picture();
      const devices::VgaFrame& frame = window_->frame();
      write_png(options_.screenshot, frame.width, frame.height, frame.pixels);
    } else {
      devices::VgaFrame frame;
      machine_.vga().render(frame);
      write_png(options_.screenshot, frame.width, frame.height, frame.pixels);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "x86lab: %s\n", e.what());
    return false;
  }
  return true;
}

}  // namespace x86lab::frontend
