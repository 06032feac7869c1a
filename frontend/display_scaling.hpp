// Where the guest's picture goes in the SDL window, as plain arithmetic the tests can check
// without a window (frontend/sdl_display.cpp applies it).
//
// Window size (points) for a new mode: the mode's size times the largest whole factor that
// fits the desktop's usable area (at most 2, and 2 only for modes narrower than 640 pixels
// such as 320x200), or with aspect=on the VGA's own modes 4:3 at that height; VBE modes keep
// square pixels. Never larger than the usable area.
//
// Picture placement (drawable pixels, which on a HiDPI screen are more than the window's
// points): centred; the largest whole multiple of the picture that fits (integer scaling,
// the default), shrunk keeping its shape when even 1x does not fit; with aspect=on stretched
// to the largest 4:3 rectangle (VGA modes) or the picture's own shape (VBE modes).
#pragma once

#include <cstdint>

namespace x86lab::frontend {

struct Size {
  int width = 0;
  int height = 0;
  bool operator==(const Size&) const = default;
};

struct Rect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  bool operator==(const Rect&) const = default;
};

Size window_size_for_mode(uint32_t width, uint32_t height, bool aspect, bool vbe, Size usable);

Rect picture_rect(Size drawable, uint32_t width, uint32_t height, bool aspect, bool vbe);

}  // namespace x86lab::frontend
