// Screenshots: a rendered VGA picture (0xAARRGGBB words) written as an 8-bit RGB PNG with
// libpng, and the signal handling that lets --screenshot be written when the run is ended by
// SIGINT or SIGTERM (the handler only sets a flag; the run loop's host hook sees it and ends
// the run through the machine's normal exit path).
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace x86lab::frontend {

// Writes width x height pixels (row-major 0xAARRGGBB, alpha ignored) as an RGB PNG. Throws
// std::runtime_error naming the file when it cannot be written.
void write_png(const std::string& path, uint32_t width, uint32_t height,
               std::span<const uint32_t> pixels);

// A PNG read back as 0xFFRRGGBB words (tests). Throws std::runtime_error.
struct PngImage {
  uint32_t width = 0;
  uint32_t height = 0;
  std::vector<uint32_t> pixels;
};
PngImage read_png(const std::string& path);

// SIGINT/SIGTERM set a flag instead of killing the process. stop_signal() is the signal
// that arrived (0: none).
void install_stop_signal_handlers();
int stop_signal();

}  // namespace x86lab::frontend
