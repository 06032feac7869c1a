// The SDL frontend's pure parts: the keymap (SDL scancodes -> set 1 and set 2), the PNG writer
// (written with libpng, read back with libpng), --display parsing and the window's scaling
// arithmetic.
#include <SDL2/SDL_keyboard.h>
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <vector>

#include "frontend/cli.hpp"
#include "frontend/display_options.hpp"
#include "frontend/display_scaling.hpp"
#include "frontend/keymap.hpp"
#include "frontend/screenshot.hpp"

using namespace x86lab::frontend;
using Bytes = std::vector<uint8_t>;

TEST_CASE("keymap: ordinary keys in set 1 and set 2") {
  struct Case {
    SDL_Scancode key;
    uint8_t set1;
    uint8_t set2;
  };
  const Case cases[] = {
      {SDL_SCANCODE_ESCAPE, 0x01, 0x76},
      {SDL_SCANCODE_1, 0x02, 0x16},
      {SDL_SCANCODE_0, 0x0B, 0x45},
      {SDL_SCANCODE_A, 0x1E, 0x1C},
      {SDL_SCANCODE_Q, 0x10, 0x15},
      {SDL_SCANCODE_Z, 0x2C, 0x1A},
      {SDL_SCANCODE_M, 0x32, 0x3A},
      {SDL_SCANCODE_RETURN, 0x1C, 0x5A},
      {SDL_SCANCODE_SPACE, 0x39, 0x29},
      {SDL_SCANCODE_LSHIFT, 0x2A, 0x12},
      {SDL_SCANCODE_RSHIFT, 0x36, 0x59},
      {SDL_SCANCODE_LCTRL, 0x1D, 0x14},
      {SDL_SCANCODE_LALT, 0x38, 0x11},
      {SDL_SCANCODE_CAPSLOCK, 0x3A, 0x58},
      {SDL_SCANCODE_F1, 0x3B, 0x05},
      {SDL_SCANCODE_F10, 0x44, 0x09},
      {SDL_SCANCODE_F7, 0x41, 0x83},
      {SDL_SCANCODE_F8, 0x42, 0x0A},
      {SDL_SCANCODE_F11, 0x57, 0x78},
      {SDL_SCANCODE_F12, 0x58, 0x07},
      {SDL_SCANCODE_NUMLOCKCLEAR, 0x45, 0x77},
      {SDL_SCANCODE_SCROLLLOCK, 0x46, 0x7E},
      {SDL_SCANCODE_KP_7, 0x47, 0x6C},
      {SDL_SCANCODE_KP_PERIOD, 0x53, 0x71},
      {SDL_SCANCODE_KP_MULTIPLY, 0x37, 0x7C},
      {SDL_SCANCODE_KP_MINUS, 0x4A, 0x7B},
      {SDL_SCANCODE_KP_PLUS, 0x4E, 0x79},
      {SDL_SCANCODE_GRAVE, 0x29, 0x0E},
      {SDL_SCANCODE_BACKSLASH, 0x2B, 0x5D},
      {SDL_SCANCODE_NONUSBACKSLASH, 0x56, 0x61},
      {SDL_SCANCODE_BACKSPACE, 0x0E, 0x66},
      {SDL_SCANCODE_TAB, 0x0F, 0x0D},
  };
  for (const Case& c : cases) {
    CAPTURE(SDL_GetScancodeName(c.key));
    const Bytes make = set1_codes(c.key, true);
    const Bytes brk = set1_codes(c.key, false);
    CHECK(make == Bytes{c.set1});
    CHECK(brk == Bytes{static_cast<uint8_t>(c.set1 | 0x80)});
    CHECK(set2_codes(make) == Bytes{c.set2});
    CHECK(set2_codes(brk) == Bytes{0xF0, c.set2});
  }
}

TEST_CASE("keymap: extended keys carry E0 in both sets") {
  struct Case {
    SDL_Scancode key;
    uint8_t set1;
    uint8_t set2;
  };
  const Case cases[] = {
      {SDL_SCANCODE_RCTRL, 0x1D, 0x14},       {SDL_SCANCODE_RALT, 0x38, 0x11},
      {SDL_SCANCODE_KP_ENTER, 0x1C, 0x5A},    {SDL_SCANCODE_KP_DIVIDE, 0x35, 0x4A},
      {SDL_SCANCODE_INSERT, 0x52, 0x70},      {SDL_SCANCODE_DELETE, 0x53, 0x71},
      {SDL_SCANCODE_HOME, 0x47, 0x6C},        {SDL_SCANCODE_END, 0x4F, 0x69},
      {SDL_SCANCODE_PAGEUP, 0x49, 0x7D},      {SDL_SCANCODE_PAGEDOWN, 0x51, 0x7A},
      {SDL_SCANCODE_UP, 0x48, 0x75},          {SDL_SCANCODE_DOWN, 0x50, 0x72},
      {SDL_SCANCODE_LEFT, 0x4B, 0x6B},        {SDL_SCANCODE_RIGHT, 0x4D, 0x74},
      {SDL_SCANCODE_LGUI, 0x5B, 0x1F},        {SDL_SCANCODE_RGUI, 0x5C, 0x27},
      {SDL_SCANCODE_APPLICATION, 0x5D, 0x2F},
  };
  for (const Case& c : cases) {
    CAPTURE(SDL_GetScancodeName(c.key));
    const Bytes make = set1_codes(c.key, true);
    const Bytes brk = set1_codes(c.key, false);
    CHECK(make == Bytes{0xE0, c.set1});
    CHECK(brk == Bytes{0xE0, static_cast<uint8_t>(c.set1 | 0x80)});
    CHECK(set2_codes(make) == Bytes{0xE0, c.set2});
    CHECK(set2_codes(brk) == Bytes{0xE0, 0xF0, c.set2});
  }
}

TEST_CASE("keymap: Pause, Ctrl-Break, Print Screen and SysRq") {
  const Bytes pause = set1_codes(SDL_SCANCODE_PAUSE, true);
  CHECK(pause == Bytes{0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5});
  CHECK(set2_codes(pause) == Bytes{0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77});
  CHECK(set1_codes(SDL_SCANCODE_PAUSE, false).empty());  // Pause has no break code
  const KeyModifiers ctrl{.ctrl = true};
  CHECK(set1_codes(SDL_SCANCODE_PAUSE, true, ctrl) == Bytes{0xE0, 0x46, 0xE0, 0xC6});

  const Bytes print = set1_codes(SDL_SCANCODE_PRINTSCREEN, true);
  CHECK(print == Bytes{0xE0, 0x2A, 0xE0, 0x37});
  CHECK(set2_codes(print) == Bytes{0xE0, 0x12, 0xE0, 0x7C});
  const Bytes print_up = set1_codes(SDL_SCANCODE_PRINTSCREEN, false);
  CHECK(print_up == Bytes{0xE0, 0xB7, 0xE0, 0xAA});
  CHECK(set2_codes(print_up) == Bytes{0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12});
  const KeyModifiers alt{.alt = true};
  CHECK(set1_codes(SDL_SCANCODE_PRINTSCREEN, true, alt) == Bytes{0x54});
  CHECK(set2_codes(Bytes{0x54}) == Bytes{0x84});
  const KeyModifiers shift{.shift = true};
  CHECK(set1_codes(SDL_SCANCODE_PRINTSCREEN, true, shift) == Bytes{0xE0, 0x37});
}

TEST_CASE("keymap: every key of a 105-key keyboard is mapped, unknown keys are not") {
  int mapped = 0;
  for (int k = 0; k < SDL_NUM_SCANCODES; ++k) {
    if (!set1_codes(static_cast<SDL_Scancode>(k), true).empty()) ++mapped;
  }
  CHECK(mapped >= 105);
  CHECK(set1_codes(SDL_SCANCODE_UNKNOWN, true).empty());
  CHECK(set1_codes(SDL_SCANCODE_F13, true) == Bytes{0x64});
  CHECK(set1_codes(SDL_SCANCODE_F24, true) == Bytes{0x76});
  CHECK(set1_codes(SDL_SCANCODE_VOLUMEUP, true) == Bytes{0xE0, 0x30});
  CHECK(ctrl_alt_del_codes() == Bytes{0x1D, 0x38, 0xE0, 0x53, 0xE0, 0xD3, 0xB8, 0x9D});
}

TEST_CASE("png: written with libpng and read back pixel for pixel") {
  const uint32_t w = 37, h = 23;  // odd sizes: no row padding assumptions
  std::vector<uint32_t> pixels(size_t{w} * h);
  for (uint32_t y = 0; y < h; ++y) {
    for (uint32_t x = 0; x < w; ++x) {
      pixels[size_t{y} * w + x] = 0xFF000000u | (x * 7u << 16) | (y * 11u << 8) | ((x ^ y) & 0xFF);
    }
  }
  const auto path = std::filesystem::temp_directory_path() / "x86lab_test_png.png";
  write_png(path.string(), w, h, pixels);
  const PngImage back = read_png(path.string());
  std::filesystem::remove(path);
  CHECK(back.width == w);
  CHECK(back.height == h);
  CHECK(back.pixels == pixels);
}

TEST_CASE("png: errors name the file") {
  const std::vector<uint32_t> one{0xFF112233};
  CHECK_THROWS_WITH_AS(write_png("/nonexistent-dir/x.png", 1, 1, one),
                       doctest::Contains("/nonexistent-dir/x.png"), std::runtime_error);
  CHECK_THROWS_AS(write_png("/tmp/x86lab-empty.png", 0, 0, {}), std::runtime_error);
}

TEST_CASE("--display parsing") {
  SdlDisplayOptions sdl;
  CHECK(parse_display_spec("sdl", sdl) == DisplayOptions::Kind::Sdl);
  CHECK_FALSE(sdl.aspect);
  CHECK(parse_display_spec("sdl,aspect=on", sdl) == DisplayOptions::Kind::Sdl);
  CHECK(sdl.aspect);
  CHECK(parse_display_spec("sdl,aspect=off", sdl) == DisplayOptions::Kind::Sdl);
  CHECK_FALSE(sdl.aspect);
  CHECK(parse_display_spec("none", sdl) == DisplayOptions::Kind::None);
  CHECK_THROWS_AS(parse_display_spec("gtk", sdl), UsageError);
  CHECK_THROWS_AS(parse_display_spec("sdl,zoom=2", sdl), UsageError);
  CHECK_THROWS_AS(parse_display_spec("none,aspect=on", sdl), UsageError);
}

TEST_CASE("scaling: the window takes the mode's size, doubled for narrow modes, 4:3 with aspect") {
  const Size desktop{1920, 1080};
  CHECK(window_size_for_mode(720, 400, false, false, desktop) == Size{720, 400});
  CHECK(window_size_for_mode(320, 200, false, false, desktop) == Size{640, 400});
  CHECK(window_size_for_mode(640, 480, false, false, desktop) == Size{640, 480});
  CHECK(window_size_for_mode(1000, 700, false, true, desktop) == Size{1000, 700});  // any VBE size
  CHECK(window_size_for_mode(720, 400, true, false, desktop) == Size{533, 400});    // 4:3
  CHECK(window_size_for_mode(320, 200, true, false, desktop) == Size{533, 400});
  CHECK(window_size_for_mode(800, 600, true, true, desktop) == Size{800, 600});  // VBE: square
  // Never larger than the desktop: the doubling goes first, then the window is clipped.
  CHECK(window_size_for_mode(320, 200, false, false, {600, 400}) == Size{320, 200});
  CHECK(window_size_for_mode(1600, 1200, false, true, {1280, 1024}) == Size{1280, 1024});
}

TEST_CASE("scaling: integer factors by default, centred; shrinking keeps the shape") {
  // 80x25 text in a 1920x1080 drawable (a HiDPI window of 960x540 points): 2x, centred.
  CHECK(picture_rect({1920, 1080}, 720, 400, false, false) == Rect{240, 140, 1440, 800});
  // One pixel short of 3x stays at 2x: whole factors only.
  CHECK(picture_rect({2159, 1199}, 720, 400, false, false) == Rect{359, 199, 1440, 800});
  CHECK(picture_rect({2160, 1200}, 720, 400, false, false) == Rect{0, 0, 2160, 1200});
  CHECK(picture_rect({640, 400}, 320, 200, false, false) == Rect{0, 0, 640, 400});
  // Smaller than the picture: shrunk to fit, same shape.
  CHECK(picture_rect({400, 400}, 800, 600, false, true) == Rect{0, 50, 400, 300});
  CHECK(picture_rect({0, 0}, 720, 400, false, false) == Rect{});
}

TEST_CASE("scaling: aspect=on stretches VGA modes to 4:3 and keeps VBE pictures' shape") {
  CHECK(picture_rect({1000, 600}, 720, 400, true, false) == Rect{100, 0, 800, 600});
  CHECK(picture_rect({800, 800}, 320, 200, true, false) == Rect{0, 100, 800, 600});
  CHECK(picture_rect({1000, 600}, 1000, 500, true, true) == Rect{0, 50, 1000, 500});
}
