// What the frontend hangs on a PC machine's run: the SDL window (or the headless console when
// there is no display), SIGINT/SIGTERM ending the run through the machine's normal exit path
// (disk images flushed, logs closed), and --screenshot written when the run ends.
#pragma once

#include <memory>

#include "frontend/display_options.hpp"
#include "machine/pc_machine.hpp"

namespace x86lab::frontend {

class SdlDisplay;

class DisplaySession {
 public:
  // Without a window the hook only looks for signals; with one it runs once a frame of the
  // host's display (SdlDisplay::refresh_period()).
  static constexpr std::chrono::nanoseconds kHeadlessPeriod{50'000'000};

  // Opens the window for Kind::Sdl and Kind::Auto when a display is available (a one-line
  // notice on stderr when it cannot be opened), installs the host hook and signal handlers.
  DisplaySession(const DisplayOptions& options, machine::PcMachine& machine);
  ~DisplaySession();
  DisplaySession(const DisplaySession&) = delete;
  DisplaySession& operator=(const DisplaySession&) = delete;

  bool has_window() const { return window_ != nullptr; }

  // After run(): writes --screenshot, and for a run the hook stopped, sets the message and
  // exit code (0 for a closed window, 128 + signal for SIGINT/SIGTERM). Returns false when
  // the screenshot could not be written (the message is printed).
  bool finish(machine::RunResult& result);

 private:
  bool hook();

  DisplayOptions options_;
  machine::PcMachine& machine_;
  std::unique_ptr<SdlDisplay> window_;
};

}  // namespace x86lab::frontend
