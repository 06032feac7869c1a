#include "frontend/display_scaling.hpp"

#include <algorithm>

namespace x86lab::frontend {

Size window_size_for_mode(uint32_t width, uint32_t height, bool aspect, bool vbe, Size usable) {
  const int w = static_cast<int>(width), h = static_cast<int>(height);
  int win_w = 0, win_h = 0;
  int scale = w < 640 ? 2 : 1;
  for (; scale >= 1; --scale) {
    win_h = h * scale;
    win_w = aspect && !vbe ? win_h * 4 / 3 : w * scale;
    if (win_w <= usable.width && win_h <= usable.height) break;
  }
  if (scale < 1) {
    win_w = std::min(win_w, usable.width);
    win_h = std::min(win_h, usable.height);
  }
  return {std::max(win_w, 1), std::max(win_h, 1)};
}

Rect picture_rect(Size drawable, uint32_t width, uint32_t height, bool aspect, bool vbe) {
  if (width == 0 || height == 0 || drawable.width <= 0 || drawable.height <= 0) return {};
  const double fw = width, fh = height;
  double w, h;
  if (aspect) {
    const double shape = vbe ? fw / fh : 4.0 / 3.0;
    w = std::min<double>(drawable.width, drawable.height * shape);
    h = w / shape;
  } else {
    const int scale = std::min(drawable.width / static_cast<int>(width),
                               drawable.height / static_cast<int>(height));
    if (scale >= 1) {
      w = fw * scale;
      h = fh * scale;
    } else {  // smaller than the picture: shrink, keeping the shape
      const double shrink = std::min(drawable.width / fw, drawable.height / fh);
      w = fw * shrink;
      h = fh * shrink;
    }
  }
  return {static_cast<int>((drawable.width - w) / 2), static_cast<int>((drawable.height - h) / 2),
          static_cast<int>(w), static_cast<int>(h)};
}

}  // namespace x86lab::frontend
