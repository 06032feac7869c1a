// --display, --screenshot and the SDL window's test hooks: plain data the command line fills
// in (frontend/sdl_display.hpp does the rest), so the CLI library needs no SDL.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace x86lab::frontend {

struct SdlDisplayOptions {
  bool aspect = false;  // stretch VGA modes to 4:3 instead of whole-number scaling
  // Test hooks: type test_keys (through SDL's event queue, one key a refresh) once the text
  // screen shows test_keys_after (empty: at once); end the run test_quit_after_ms of host
  // time after the last key (or after start without keys); 0: never.
  std::string test_keys;
  std::string test_keys_after;
  uint64_t test_quit_after_ms = 0;
};

struct DisplayOptions {
  enum class Kind : uint8_t {
    Auto,  // the SDL window when a display is available, else headless
    Sdl,   // the SDL window; headless with a notice when it cannot be opened
    None,  // headless: serial, debug console and SeaBIOS log on the console only
  };
  Kind kind = Kind::Auto;
  SdlDisplayOptions sdl;
  std::string screenshot;  // --screenshot FILE: a PNG of the screen when the run ends
};

// "sdl", "sdl,aspect=on|off", "none". Throws UsageError.
DisplayOptions::Kind parse_display_spec(std::string_view text, SdlDisplayOptions& sdl);

// The option group for --help, and reading it back.
boost::program_options::options_description display_option_group();
void read_display_options(const boost::program_options::variables_map& vm, DisplayOptions& display);

}  // namespace x86lab::frontend
