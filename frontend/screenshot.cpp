#include "frontend/screenshot.hpp"

#include <png.h>

#include <csignal>
#include <cstring>

namespace x86lab::frontend {

void write_png(const std::string& path, uint32_t width, uint32_t height,
               std::span<const uint32_t> pixels) {
  if (width == 0 || height == 0 || pixels.size() < size_t{width} * height) {
    throw std::runtime_error("cannot write screenshot '" + path + "': no picture (" +
                             std::to_string(width) + "x" + std::to_string(height) + ")");
  }
  std::vector<uint8_t> rgb(size_t{width} * height * 3);
  for (size_t i = 0; i < size_t{width} * height; ++i) {
    rgb[i * 3 + 0] = static_cast<uint8_t>(pixels[i] >> 16);
    rgb[i * 3 + 1] = static_cast<uint8_t>(pixels[i] >> 8);
    rgb[i * 3 + 2] = static_cast<uint8_t>(pixels[i]);
  }
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = width;
  image.height = height;
  image.format = PNG_FORMAT_RGB;
  if (!png_image_write_to_file(&image, path.c_str(), 0, rgb.data(),
                               static_cast<png_int_32>(width * 3), nullptr)) {
    const std::string why = image.message;
    png_image_free(&image);
    throw std::runtime_error("cannot write screenshot '" + path + "': " + why);
  }
}

PngImage read_png(const std::string& path) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str())) {
    throw std::runtime_error("cannot read PNG '" + path + "': " + image.message);
  }
  image.format = PNG_FORMAT_RGB;
  std::vector<uint8_t> rgb(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, rgb.data(), 0, nullptr)) {
    const std::string why = image.message;
    png_image_free(&image);
    throw std::runtime_error("cannot read PNG '" + path + "': " + why);
  }
  PngImage out;
  out.width = image.width;
  out.height = image.height;
  out.pixels.resize(size_t{out.width} * out.height);
  for (size_t i = 0; i < out.pixels.size(); ++i) {
    out.pixels[i] = 0xFF000000u | (uint32_t{rgb[i * 3]} << 16) | (uint32_t{rgb[i * 3 + 1]} << 8) |
                    rgb[i * 3 + 2];
  }
  return out;
}

namespace {
volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }
}  // namespace

void install_stop_signal_handlers() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

int stop_signal() { return g_stop_signal; }

}  // namespace x86lab::frontend
