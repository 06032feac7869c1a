// The SDL2 window: the guest's screen as devices::Vga renders it, keyboard and mouse input into
// the 8042, and a few host keys. Everything runs on the machine's thread: the machine's host
// hook calls refresh() between CPU slices about 60 times a second, which handles SDL's events,
// renders the VGA's changed rows into a streaming texture and presents it (no vsync, so the
// CPU never waits for the monitor).
//
// Scaling: the window takes the mode's size (times two for modes narrower than 640 pixels)
// and is resizable; the picture is scaled by the largest whole factor that fits the drawable
// (HiDPI aware: SDL_WINDOW_ALLOW_HIGHDPI, scaled in drawable pixels), or with aspect=on
// stretched to 4:3 for the VGA's own modes (VBE modes keep square pixels); the arithmetic is
// frontend/display_scaling.hpp.
//
// Host keys (never sent to the guest):
//   Ctrl-Alt-G     grab / release the mouse (released on focus loss too)
//   Ctrl-Alt-P     pause / resume
//   Ctrl-Alt-S     save a PNG screenshot (x86lab-YYYYMMDD-HHMMSS.png in the current directory)
//   Ctrl-Alt-End   send Ctrl-Alt-Del to the guest (the host may keep Ctrl-Alt-Del for itself)
// The title bar shows "x86lab — running|paused — N MIPS" and the grab state, once a second.
#pragma once

#include <SDL2/SDL.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "devices/i8042.hpp"
#include "devices/vga.hpp"
#include "frontend/display_options.hpp"

namespace x86lab::frontend {

class SdlDisplay {
 public:
  // What the display needs from the machine besides the VGA and the 8042.
  struct MachineLink {
    std::function<uint64_t()> instructions_retired;
    std::function<void(std::chrono::nanoseconds)> paused_for;  // host time spent paused
  };

  // Opens the window. Returns nullptr and sets why_not when there is no display to open one
  // on (no DISPLAY/WAYLAND_DISPLAY, or SDL_Init(SDL_INIT_VIDEO) fails).
  static std::unique_ptr<SdlDisplay> open(const SdlDisplayOptions& options, devices::Vga& vga,
                                          devices::I8042& keyboard, MachineLink link,
                                          std::string& why_not);
  ~SdlDisplay();
  SdlDisplay(const SdlDisplay&) = delete;
  SdlDisplay& operator=(const SdlDisplay&) = delete;

  // The host hook: events, picture, title. Returns false when the run should end (the window
  // was closed, or the test hook's time is up).
  bool refresh();

  // Renders the VGA's picture now without handling events (before a screenshot at exit).
  void refresh_picture() { draw(); }
  // The last picture rendered (what --screenshot saves).
  const devices::VgaFrame& frame() const { return frame_; }
  bool grabbed() const { return grabbed_; }
  // The window and its title as set (tests look at them under Xvfb).
  SDL_Window* window() const { return window_; }
  const std::string& title() const { return title_; }
  bool paused() const { return paused_; }
  // Why refresh() returned false: "window closed", or "window closed (test done)" when the
  // --sdl-test-quit-after hook closed it.
  const std::string& stop_reason() const { return stop_reason_; }

 private:
  SdlDisplay(const SdlDisplayOptions& options, devices::Vga& vga, devices::I8042& keyboard,
             MachineLink link);
  bool create_window(std::string& why_not);
  void handle_event(const SDL_Event& event);
  void handle_key(const SDL_KeyboardEvent& key);
  bool host_key(SDL_Scancode scancode);
  void send_key(SDL_Scancode scancode, bool pressed);
  void release_all_keys();
  void set_grab(bool grab);
  void set_paused(bool paused);
  void draw();
  void resize_for_mode();
  void present();
  void update_title(bool force);
  void save_screenshot();
  void type_test_keys();
  uint8_t mouse_buttons() const;

  SdlDisplayOptions options_;
  devices::Vga& vga_;
  devices::I8042& keyboard_;
  MachineLink link_;

  SDL_Window* window_ = nullptr;
  SDL_Renderer* renderer_ = nullptr;
  SDL_Texture* texture_ = nullptr;
  uint32_t texture_width_ = 0, texture_height_ = 0;
  bool vbe_ = false;  // the picture has square pixels (VBE): aspect=on leaves it alone
  devices::VgaFrame frame_;
  bool need_present_ = true;

  bool grabbed_ = false;
  bool paused_ = false;
  bool quit_ = false;
  std::string stop_reason_;
  std::set<SDL_Scancode> keys_down_;  // keys the guest saw go down and not up yet
  std::set<SDL_Scancode> swallowed_;  // host keys whose release the guest must not see
  uint8_t buttons_ = 0;

  std::chrono::steady_clock::time_point title_time_;
  uint64_t title_instructions_ = 0;
  double mips_ = 0;
  std::string title_;

  // Test hooks.
  size_t test_key_index_ = 0;
  bool test_keys_started_ = false;
  bool test_quit_sent_ = false;
  std::chrono::steady_clock::time_point test_clock_;
};

}  // namespace x86lab::frontend
