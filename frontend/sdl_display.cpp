#include "frontend/sdl_display.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "frontend/display_scaling.hpp"
#include "frontend/keymap.hpp"
#include "frontend/screenshot.hpp"

namespace x86lab::frontend {

namespace {

constexpr int kPausedWaitMs = 100;

bool env_set(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0';
}

// A character of the test-key string as a key on a US keyboard.
struct TypedKey {
  SDL_Scancode scancode = SDL_SCANCODE_UNKNOWN;
  bool shift = false;
};

TypedKey typed_key(char c) {
  if (c >= 'a' && c <= 'z') return {static_cast<SDL_Scancode>(SDL_SCANCODE_A + (c - 'a')), false};
  if (c >= 'A' && c <= 'Z') return {static_cast<SDL_Scancode>(SDL_SCANCODE_A + (c - 'A')), true};
  if (c >= '1' && c <= '9') return {static_cast<SDL_Scancode>(SDL_SCANCODE_1 + (c - '1')), false};
  switch (c) {
    case '0':
      return {SDL_SCANCODE_0, false};
    case ' ':
      return {SDL_SCANCODE_SPACE, false};
    case '\r':
    case '\n':
      return {SDL_SCANCODE_RETURN, false};
    case '\t':
      return {SDL_SCANCODE_TAB, false};
    case '\b':
      return {SDL_SCANCODE_BACKSPACE, false};
    case '.':
      return {SDL_SCANCODE_PERIOD, false};
    case '>':
      return {SDL_SCANCODE_PERIOD, true};
    case ',':
      return {SDL_SCANCODE_COMMA, false};
    case '<':
      return {SDL_SCANCODE_COMMA, true};
    case '/':
      return {SDL_SCANCODE_SLASH, false};
    case '?':
      return {SDL_SCANCODE_SLASH, true};
    case '\\':
      return {SDL_SCANCODE_BACKSLASH, false};
    case '|':
      return {SDL_SCANCODE_BACKSLASH, true};
    case ';':
      return {SDL_SCANCODE_SEMICOLON, false};
    case ':':
      return {SDL_SCANCODE_SEMICOLON, true};
    case '\'':
      return {SDL_SCANCODE_APOSTROPHE, false};
    case '"':
      return {SDL_SCANCODE_APOSTROPHE, true};
    case '-':
      return {SDL_SCANCODE_MINUS, false};
    case '_':
      return {SDL_SCANCODE_MINUS, true};
    case '=':
      return {SDL_SCANCODE_EQUALS, false};
    case '+':
      return {SDL_SCANCODE_EQUALS, true};
    case '*':
      return {SDL_SCANCODE_8, true};
    default:
      return {};
  }
}

// --sdl-test-keys escapes: \r and \n Enter, \t Tab, \b Backspace, \\ a backslash.
std::string unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out.push_back(text[i]);
      continue;
    }
    switch (text[++i]) {
      case 'r':
      case 'n':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'b':
        out.push_back('\b');
        break;
      default:
        out.push_back(text[i]);
        break;
    }
  }
  return out;
}

void push_key(SDL_Scancode scancode, bool pressed, uint16_t mod) {
  SDL_Event event{};
  event.type = pressed ? SDL_KEYDOWN : SDL_KEYUP;
  event.key.state = pressed ? SDL_PRESSED : SDL_RELEASED;
  event.key.keysym.scancode = scancode;
  event.key.keysym.sym = SDL_GetKeyFromScancode(scancode);
  event.key.keysym.mod = mod;
  SDL_PushEvent(&event);
}

}  // namespace

std::unique_ptr<SdlDisplay> SdlDisplay::open(const SdlDisplayOptions& options, devices::Vga& vga,
                                             devices::I8042& keyboard, MachineLink link,
                                             std::string& why_not) {
  if (!env_set("DISPLAY") && !env_set("WAYLAND_DISPLAY")) {
    why_not = "neither DISPLAY nor WAYLAND_DISPLAY is set";
    return nullptr;
  }
  // x86lab handles SIGINT/SIGTERM itself (the run ends through the normal exit path).
  SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
  // The guest owns Alt-Tab and friends only while the mouse is grabbed.
  SDL_SetHint(SDL_HINT_GRAB_KEYBOARD, "1");
  if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
    why_not = std::string("SDL_Init(SDL_INIT_VIDEO) failed: ") + SDL_GetError();
    return nullptr;
  }
  std::unique_ptr<SdlDisplay> display(new SdlDisplay(options, vga, keyboard, std::move(link)));
  if (!display->create_window(why_not)) return nullptr;
  return display;
}

SdlDisplay::SdlDisplay(const SdlDisplayOptions& options, devices::Vga& vga,
                       devices::I8042& keyboard, MachineLink link)
    : options_(options), vga_(vga), keyboard_(keyboard), link_(std::move(link)) {
  options_.test_keys = unescape(options_.test_keys);
  title_time_ = test_clock_ = std::chrono::steady_clock::now();
  if (link_.instructions_retired) title_instructions_ = link_.instructions_retired();
}

SdlDisplay::~SdlDisplay() {
  if (texture_) SDL_DestroyTexture(texture_);
  if (renderer_) SDL_DestroyRenderer(renderer_);
  if (window_) SDL_DestroyWindow(window_);
  SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

bool SdlDisplay::create_window(std::string& why_not) {
  const auto [width, height] = vga_.display_size();
  window_ = SDL_CreateWindow("x86lab", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                             static_cast<int>(std::max<uint32_t>(width, 640)),
                             static_cast<int>(std::max<uint32_t>(height, 400)),
                             SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
  if (!window_) {
    why_not = std::string("SDL_CreateWindow failed: ") + SDL_GetError();
    return false;
  }
  // No PRESENTVSYNC: presenting must never make the CPU wait for the monitor.
  renderer_ = SDL_CreateRenderer(window_, -1, 0);
  if (!renderer_) renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_SOFTWARE);
  if (!renderer_) {
    why_not = std::string("SDL_CreateRenderer failed: ") + SDL_GetError();
    return false;
  }
  update_title(true);
  return true;
}

bool SdlDisplay::refresh() {
  SDL_Event event;
  while (SDL_PollEvent(&event)) handle_event(event);
  if (paused_) {
    const auto start = std::chrono::steady_clock::now();
    while (paused_ && !quit_) {
      if (SDL_WaitEventTimeout(&event, kPausedWaitMs)) handle_event(event);
      while (SDL_PollEvent(&event)) handle_event(event);
      if (need_present_) present();
    }
    const auto paused_for = std::chrono::steady_clock::now() - start;
    if (link_.paused_for) link_.paused_for(paused_for);
    title_time_ += paused_for;
  }
  if (quit_) return false;
  draw();
  update_title(false);
  type_test_keys();
  return !quit_;
}

void SdlDisplay::handle_event(const SDL_Event& event) {
  switch (event.type) {
    case SDL_QUIT:
      quit_ = true;
      stop_reason_ = test_quit_sent_ ? "window closed (test done)" : "window closed";
      break;
    case SDL_KEYDOWN:
    case SDL_KEYUP:
      handle_key(event.key);
      break;
    case SDL_MOUSEMOTION:
      if (grabbed_) keyboard_.mouse_event(event.motion.xrel, event.motion.yrel, mouse_buttons());
      break;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP: {
      if (!grabbed_) break;
      uint8_t bit = 0;
      if (event.button.button == SDL_BUTTON_LEFT) bit = 1;
      if (event.button.button == SDL_BUTTON_RIGHT) bit = 2;
      if (event.button.button == SDL_BUTTON_MIDDLE) bit = 4;
      if (event.type == SDL_MOUSEBUTTONDOWN) {
        buttons_ |= bit;
      } else {
        buttons_ &= static_cast<uint8_t>(~bit);
      }
      keyboard_.mouse_event(0, 0, mouse_buttons());
      break;
    }
    case SDL_WINDOWEVENT:
      switch (event.window.event) {
        case SDL_WINDOWEVENT_FOCUS_LOST:
          set_grab(false);
          release_all_keys();
          break;
        case SDL_WINDOWEVENT_EXPOSED:
        case SDL_WINDOWEVENT_SIZE_CHANGED:
        case SDL_WINDOWEVENT_RESIZED:
          need_present_ = true;
          break;
        default:
          break;
      }
      break;
    default:
      break;
  }
}

uint8_t SdlDisplay::mouse_buttons() const { return buttons_; }

void SdlDisplay::handle_key(const SDL_KeyboardEvent& key) {
  const SDL_Scancode scancode = key.keysym.scancode;
  const bool pressed = key.type == SDL_KEYDOWN;
  if (pressed && key.repeat) return;  // typematic repeat is the guest keyboard's business
  if (!pressed && swallowed_.erase(scancode)) return;
  const bool ctrl_alt = (key.keysym.mod & KMOD_CTRL) && (key.keysym.mod & KMOD_ALT);
  if (pressed && ctrl_alt && host_key(scancode)) {
    swallowed_.insert(scancode);
    return;
  }
  if (paused_) return;
  KeyModifiers mods;
  mods.ctrl = (key.keysym.mod & KMOD_CTRL) != 0;
  mods.shift = (key.keysym.mod & KMOD_SHIFT) != 0;
  mods.alt = (key.keysym.mod & KMOD_ALT) != 0;
  const std::vector<uint8_t> codes = set1_codes(scancode, pressed, mods);
  if (codes.empty()) return;
  if (pressed) {
    keys_down_.insert(scancode);
  } else {
    keys_down_.erase(scancode);
  }
  keyboard_.send_set1(codes);
}

bool SdlDisplay::host_key(SDL_Scancode scancode) {
  switch (scancode) {
    case SDL_SCANCODE_G:
      set_grab(!grabbed_);
      return true;
    case SDL_SCANCODE_P:
      set_paused(!paused_);
      return true;
    case SDL_SCANCODE_S:
      save_screenshot();
      return true;
    case SDL_SCANCODE_END: {
      const std::vector<uint8_t> codes = ctrl_alt_del_codes();
      keyboard_.send_set1(codes);
      keys_down_.erase(SDL_SCANCODE_LCTRL);
      keys_down_.erase(SDL_SCANCODE_RCTRL);
      keys_down_.erase(SDL_SCANCODE_LALT);
      keys_down_.erase(SDL_SCANCODE_RALT);
      return true;
    }
    default:
      return false;
  }
}

void SdlDisplay::release_all_keys() {
  // The guest must not keep a key down whose release went to another window.
  for (SDL_Scancode scancode : keys_down_) {
    const std::vector<uint8_t> codes = set1_codes(scancode, false);
    keyboard_.send_set1(codes);
  }
  keys_down_.clear();
  if (buttons_) {
    buttons_ = 0;
    keyboard_.mouse_event(0, 0, 0);
  }
}

void SdlDisplay::set_grab(bool grab) {
  if (grab == grabbed_) return;
  grabbed_ = grab;
  SDL_SetRelativeMouseMode(grab ? SDL_TRUE : SDL_FALSE);
  SDL_SetWindowGrab(window_, grab ? SDL_TRUE : SDL_FALSE);
  if (!grab && buttons_) {
    buttons_ = 0;
    keyboard_.mouse_event(0, 0, 0);
  }
  update_title(true);
}

void SdlDisplay::set_paused(bool paused) {
  if (paused == paused_) return;
  paused_ = paused;
  if (paused) release_all_keys();
  update_title(true);
}

void SdlDisplay::resize_for_mode() {
  SDL_Rect usable{0, 0, 1 << 14, 1 << 14};
  const int index = SDL_GetWindowDisplayIndex(window_);
  if (index >= 0) SDL_GetDisplayUsableBounds(index, &usable);
  const Size size = window_size_for_mode(frame_.width, frame_.height, options_.aspect, vbe_,
                                         {usable.w, usable.h});
  SDL_SetWindowSize(window_, size.width, size.height);
}

void SdlDisplay::draw() {
  vga_.render(frame_);
  if (frame_.width == 0 || frame_.height == 0) return;
  if (!texture_ || texture_width_ != frame_.width || texture_height_ != frame_.height) {
    if (texture_) SDL_DestroyTexture(texture_);
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, options_.aspect ? "linear" : "nearest");
    texture_ = SDL_CreateTexture(renderer_, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING,
                                 static_cast<int>(frame_.width), static_cast<int>(frame_.height));
    if (!texture_) {
      std::fprintf(stderr, "x86lab: SDL_CreateTexture(%ux%u) failed: %s\n", frame_.width,
                   frame_.height, SDL_GetError());
      return;
    }
    texture_width_ = frame_.width;
    texture_height_ = frame_.height;
    vbe_ = vga_.state().vbe.enabled();
    resize_for_mode();
    frame_.changed_begin = 0;
    frame_.changed_end = frame_.height;
  }
  if (frame_.changed_end > frame_.changed_begin) {
    const SDL_Rect rows{0, static_cast<int>(frame_.changed_begin), static_cast<int>(frame_.width),
                        static_cast<int>(frame_.changed_end - frame_.changed_begin)};
    SDL_UpdateTexture(texture_, &rows, &frame_.pixels[size_t{frame_.changed_begin} * frame_.width],
                      static_cast<int>(frame_.width * 4));
    need_present_ = true;
  }
  if (need_present_) present();
}

void SdlDisplay::present() {
  need_present_ = false;
  SDL_SetRenderDrawColor(renderer_, 0, 0, 0, 255);
  SDL_RenderClear(renderer_);
  if (texture_) {
    Size drawable;  // drawable pixels (HiDPI: more than the window's points)
    SDL_GetRendererOutputSize(renderer_, &drawable.width, &drawable.height);
    const Rect r = picture_rect(drawable, texture_width_, texture_height_, options_.aspect, vbe_);
    const SDL_Rect dest{r.x, r.y, r.width, r.height};
    SDL_RenderCopy(renderer_, texture_, nullptr, &dest);
  }
  SDL_RenderPresent(renderer_);
}

void SdlDisplay::update_title(bool force) {
  const auto now = std::chrono::steady_clock::now();
  const std::chrono::duration<double> elapsed = now - title_time_;
  if (elapsed.count() >= 1.0 && link_.instructions_retired) {
    const uint64_t retired = link_.instructions_retired();
    mips_ = static_cast<double>(retired - title_instructions_) / elapsed.count() / 1e6;
    title_instructions_ = retired;
    title_time_ = now;
    force = true;
  }
  if (!force) return;
  char mips[32];
  std::snprintf(mips, sizeof mips, "%.0f MIPS", paused_ ? 0.0 : mips_);
  std::string title = std::string("x86lab \u2014 ") + (paused_ ? "paused" : "running") +
                      " \u2014 " + mips + " \u2014 " +
                      (grabbed_ ? "mouse grabbed, Ctrl-Alt-G releases" : "Ctrl-Alt-G grabs");
  if (title != title_) {
    title_ = title;
    SDL_SetWindowTitle(window_, title_.c_str());
  }
}

void SdlDisplay::save_screenshot() {
  char stamp[32];
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  std::string path = std::string("x86lab-") + stamp + ".png";
  for (int n = 2; std::filesystem::exists(path); ++n) {
    path = std::string("x86lab-") + stamp + "-" + std::to_string(n) + ".png";
  }
  try {
    write_png(path, frame_.width, frame_.height, frame_.pixels);
    std::fprintf(stderr, "x86lab: screenshot saved to %s\n", path.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "x86lab: %s\n", e.what());
  }
}

void SdlDisplay::type_test_keys() {
  const auto now = std::chrono::steady_clock::now();
  if (!test_keys_started_) {
    if (!options_.test_keys_after.empty()) {
      bool found = false;
      for (const std::string& row : vga_.text_screen()) {
        if (row.find(options_.test_keys_after) != std::string::npos) found = true;
      }
      if (!found) return;
    }
    test_keys_started_ = true;
    test_clock_ = now;
  }
  if (test_key_index_ < options_.test_keys.size()) {
    const TypedKey key = typed_key(options_.test_keys[test_key_index_++]);
    if (key.scancode != SDL_SCANCODE_UNKNOWN) {
      const uint16_t mod = key.shift ? KMOD_LSHIFT : KMOD_NONE;
      if (key.shift) push_key(SDL_SCANCODE_LSHIFT, true, mod);
      push_key(key.scancode, true, mod);
      push_key(key.scancode, false, mod);
      if (key.shift) push_key(SDL_SCANCODE_LSHIFT, false, KMOD_NONE);
    }
    test_clock_ = now;
    return;
  }
  if (options_.test_quit_after_ms && !test_quit_sent_ &&
      now - test_clock_ >= std::chrono::milliseconds(options_.test_quit_after_ms)) {
    // As if the user closed the window: the same SDL_QUIT, handled on the next refresh.
    SDL_Event quit{};
    quit.type = SDL_QUIT;
    SDL_PushEvent(&quit);
    test_quit_sent_ = true;
  }
}

}  // namespace x86lab::frontend
