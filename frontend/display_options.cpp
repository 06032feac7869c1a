#include "frontend/display_options.hpp"

#include "frontend/cli.hpp"

namespace x86lab::frontend {

namespace po = boost::program_options;

DisplayOptions::Kind parse_display_spec(std::string_view text, SdlDisplayOptions& sdl) {
  const std::string bad = "invalid --display '" + std::string(text) +
                          "'; valid: sdl, sdl,aspect=on, sdl,aspect=off, none";
  const size_t comma = text.find(',');
  const std::string_view name = text.substr(0, comma);
  if (name == "none") {
    if (comma != std::string_view::npos) throw UsageError(bad);
    return DisplayOptions::Kind::None;
  }
  if (name != "sdl") throw UsageError(bad);
  std::string_view rest = comma == std::string_view::npos ? "" : text.substr(comma + 1);
  while (!rest.empty()) {
    const size_t next = rest.find(',');
    const std::string_view item = rest.substr(0, next);
    if (item == "aspect=on" || item == "aspect") {
      sdl.aspect = true;
    } else if (item == "aspect=off") {
      sdl.aspect = false;
    } else {
      throw UsageError(bad);
    }
    rest = next == std::string_view::npos ? "" : rest.substr(next + 1);
  }
  return DisplayOptions::Kind::Sdl;
}

po::options_description display_option_group() {
  po::options_description group("Screen (pc machine)");
  group.add_options()  //
      ("screenshot", po::value<std::string>()->value_name("FILE"),
       "pc: write a PNG of the screen to FILE when the run ends (also on SIGINT/SIGTERM)")  //
      ("sdl-test-keys", po::value<std::string>()->value_name("TEXT"),
       "testing: type TEXT into the SDL window through SDL's event queue")  //
      ("sdl-test-keys-after", po::value<std::string>()->value_name("TEXT"),
       "testing: type --sdl-test-keys once the text screen shows TEXT")  //
      ("sdl-test-quit-after", po::value<std::string>()->value_name("MS"),
       "testing: close the SDL window MS host milliseconds after the last test key");
  return group;
}

void read_display_options(const po::variables_map& vm, DisplayOptions& display) {
  if (vm.count("display")) {
    display.kind = parse_display_spec(vm["display"].as<std::string>(), display.sdl);
  }
  if (vm.count("screenshot")) {
    display.screenshot = vm["screenshot"].as<std::string>();
    if (display.screenshot.empty()) throw UsageError("--screenshot needs a file name");
  }
  if (vm.count("sdl-test-keys")) display.sdl.test_keys = vm["sdl-test-keys"].as<std::string>();
  if (vm.count("sdl-test-keys-after")) {
    display.sdl.test_keys_after = vm["sdl-test-keys-after"].as<std::string>();
  }
  if (vm.count("sdl-test-quit-after")) {
    display.sdl.test_quit_after_ms =
        parse_count("--sdl-test-quit-after", vm["sdl-test-quit-after"].as<std::string>());
  }
  const bool test_hooks = vm.count("sdl-test-keys") || vm.count("sdl-test-keys-after") ||
                          vm.count("sdl-test-quit-after");
  if (test_hooks && display.kind == DisplayOptions::Kind::None) {
    throw UsageError("--sdl-test-keys and friends need the SDL window, not --display none");
  }
}

}  // namespace x86lab::frontend
