// The SDL window itself, in a real X server (run under xvfb-run by xvfb_unit.py): the window
// follows the guest's mode (any VBE resolution, narrow modes doubled), the host keys
// (Ctrl-Alt-G grab shown in the title, released on focus loss; Ctrl-Alt-End sends
// Ctrl-Alt-Del; Ctrl-Alt-P pauses until pressed again; Ctrl-Alt-S saves a PNG), keys reach
// the 8042 and are released when the window loses focus, and closing the window ends the
// run. Events are pushed into SDL's queue as the X server would deliver them.
#include <SDL2/SDL.h>
#include <doctest/doctest.h>

#include <unistd.h>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bus/clock.hpp"
#include "bus/io_space.hpp"
#include "bus/physical_memory.hpp"
#include "devices/bochs_vbe.hpp"
#include "devices/i8042.hpp"
#include "devices/vga.hpp"
#include "frontend/display_scaling.hpp"
#include "frontend/keymap.hpp"
#include "frontend/sdl_display.hpp"

using namespace x86lab;
using frontend::SdlDisplay;

namespace {

struct Bench {
  bus::Clock clock;
  bus::IoSpace io;
  bus::PhysicalMemory memory{4u << 20};
  devices::Vga vga{clock};
  devices::I8042 keyboard;
  std::chrono::nanoseconds paused{0};
  std::unique_ptr<SdlDisplay> display;

  explicit Bench(frontend::SdlDisplayOptions options = {}) {
    vga.register_ports(io);
    vga.map_memory(memory);
    keyboard.register_ports(io);
    SdlDisplay::MachineLink link;
    link.instructions_retired = [] { return uint64_t{0}; };
    link.paused_for = [this](std::chrono::nanoseconds p) { paused += p; };
    std::string why_not;
    display = SdlDisplay::open(options, vga, keyboard, std::move(link), why_not);
    REQUIRE_MESSAGE(display, why_not);
  }
  void dispi(uint16_t index, uint16_t value) {
    io.write(devices::bochs_vbe::kIndexPort, 2, index);
    io.write(devices::bochs_vbe::kDataPort, 2, value);
  }
  void vbe_mode(uint16_t width, uint16_t height, uint16_t bpp) {
    dispi(4, 0);  // ENABLE off while changing
    dispi(1, width);
    dispi(2, height);
    dispi(3, bpp);
    dispi(4, 0x41);  // enabled, linear framebuffer
  }
  frontend::Size window_size() const {
    frontend::Size s;
    SDL_GetWindowSize(display->window(), &s.width, &s.height);
    return s;
  }
  // What the guest reads from port 0x60, byte by byte, until the 8042 has nothing more.
  std::vector<uint8_t> guest_reads() {
    std::vector<uint8_t> bytes;
    while (io.read(0x64, 1) & 0x01) bytes.push_back(static_cast<uint8_t>(io.read(0x60, 1)));
    return bytes;
  }
};

void push_key(SDL_Scancode key, bool down, uint16_t mod) {
  SDL_Event e{};
  e.type = down ? SDL_KEYDOWN : SDL_KEYUP;
  e.key.state = down ? SDL_PRESSED : SDL_RELEASED;
  e.key.keysym.scancode = key;
  e.key.keysym.sym = SDL_GetKeyFromScancode(key);
  e.key.keysym.mod = mod;
  SDL_PushEvent(&e);
}

// A host key: Ctrl and Alt held, the key pressed and released.
void push_host_key(SDL_Scancode key) {
  const uint16_t mods = KMOD_LCTRL | KMOD_LALT;
  push_key(key, true, mods);
  push_key(key, false, mods);
}

void push_window_event(SDL_WindowEventID id, SDL_Window* window) {
  SDL_Event e{};
  e.type = SDL_WINDOWEVENT;
  e.window.event = static_cast<uint8_t>(id);
  e.window.windowID = SDL_GetWindowID(window);
  SDL_PushEvent(&e);
}

}  // namespace

TEST_CASE("sdl window: follows the guest's mode, any VBE resolution, narrow modes doubled") {
  Bench b;
  b.vbe_mode(800, 600, 32);
  CHECK(b.display->refresh());
  CHECK(b.display->frame().width == 800);
  CHECK(b.window_size() == frontend::Size{800, 600});
  b.vbe_mode(1000, 700, 16);  // not in any mode list: DISPI takes any size
  CHECK(b.display->refresh());
  CHECK(b.window_size() == frontend::Size{1000, 700});
  b.vbe_mode(320, 200, 8);
  CHECK(b.display->refresh());
  CHECK(b.window_size() == frontend::Size{640, 400});
}

TEST_CASE("sdl window: Ctrl-Alt-G grabs, the title says so, focus loss releases grab and keys") {
  Bench b;
  b.vbe_mode(640, 480, 32);
  CHECK(b.display->refresh());
  CHECK(b.display->title().find("Ctrl-Alt-G grabs") != std::string::npos);
  CHECK(b.display->title().find("running") != std::string::npos);
  CHECK(b.display->title().find("MIPS") != std::string::npos);
  push_host_key(SDL_SCANCODE_G);
  CHECK(b.display->refresh());
  CHECK(b.display->grabbed());
  CHECK(b.display->title().find("mouse grabbed, Ctrl-Alt-G releases") != std::string::npos);
  CHECK(std::string(SDL_GetWindowTitle(b.display->window())) == b.display->title());
  CHECK(b.guest_reads().empty());  // host keys never reach the guest

  push_key(SDL_SCANCODE_A, true, KMOD_NONE);  // the guest sees A go down...
  CHECK(b.display->refresh());
  CHECK(b.guest_reads() == std::vector<uint8_t>{0x1E});
  push_window_event(SDL_WINDOWEVENT_FOCUS_LOST, b.display->window());
  CHECK(b.display->refresh());
  CHECK_FALSE(b.display->grabbed());
  CHECK(b.display->title().find("Ctrl-Alt-G grabs") != std::string::npos);
  CHECK(b.guest_reads() == std::vector<uint8_t>{0x9E});  // ...and up when focus goes
}

TEST_CASE("sdl window: relative mouse motion and buttons reach the PS/2 mouse while grabbed") {
  Bench b;
  b.io.write(0x64, 1, 0xA8);  // enable the auxiliary port
  b.io.write(0x64, 1, 0xD4);  // next byte to the mouse:
  b.io.write(0x60, 1, 0xF4);  // enable data reporting
  CHECK(b.guest_reads() == std::vector<uint8_t>{0xFA});
  SDL_Event motion{};
  motion.type = SDL_MOUSEMOTION;
  motion.motion.xrel = 5;
  motion.motion.yrel = 3;  // down on the screen: negative Y for PS/2
  SDL_PushEvent(&motion);
  CHECK(b.display->refresh());
  CHECK(b.guest_reads().empty());  // not grabbed: the host keeps the mouse
  push_host_key(SDL_SCANCODE_G);
  CHECK(b.display->refresh());  // grabbing flushes SDL's queued motion: move after it
  SDL_PushEvent(&motion);
  SDL_Event button{};
  button.type = SDL_MOUSEBUTTONDOWN;
  button.button.button = SDL_BUTTON_LEFT;
  SDL_PushEvent(&button);
  CHECK(b.display->refresh());
  REQUIRE(b.display->grabbed());
  // Two packets: the motion (Y sign bit 0x20, dy = -3) and the left button going down.
  CHECK(b.guest_reads() == std::vector<uint8_t>{0x28, 0x05, 0xFD, 0x09, 0x00, 0x00});
}

TEST_CASE("sdl window: Ctrl-Alt-End sends Ctrl-Alt-Del to the guest") {
  Bench b;
  push_host_key(SDL_SCANCODE_END);
  CHECK(b.display->refresh());
  const std::vector<uint8_t> expected = frontend::ctrl_alt_del_codes();
  CHECK(b.guest_reads() == expected);
  CHECK(expected == std::vector<uint8_t>{0x1D, 0x38, 0xE0, 0x53, 0xE0, 0xD3, 0xB8, 0x9D});
}

TEST_CASE("sdl window: Ctrl-Alt-P pauses until pressed again; guest time is told the pause") {
  Bench b;
  std::thread resume([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    push_host_key(SDL_SCANCODE_P);  // SDL_PushEvent is thread-safe
  });
  push_host_key(SDL_SCANCODE_P);
  const auto start = std::chrono::steady_clock::now();
  CHECK(b.display->refresh());  // returns once resumed
  resume.join();
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(250));
  CHECK(b.paused >= std::chrono::milliseconds(250));
  CHECK_FALSE(b.display->paused());
  CHECK(b.guest_reads().empty());
}

TEST_CASE("sdl window: Ctrl-Alt-S saves a PNG of the picture in the current directory") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("x86lab-sdl-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path before = fs::current_path();
  fs::current_path(dir);
  {
    Bench b;
    b.vbe_mode(640, 480, 32);
    CHECK(b.display->refresh());
    push_host_key(SDL_SCANCODE_S);
    CHECK(b.display->refresh());
  }
  fs::current_path(before);
  std::vector<fs::path> pngs;
  for (const auto& entry : fs::directory_iterator(dir)) pngs.push_back(entry.path());
  fs::remove_all(dir);
  REQUIRE(pngs.size() == 1);
  CHECK(pngs[0].filename().string().starts_with("x86lab-"));
  CHECK(pngs[0].extension() == ".png");
}

TEST_CASE("sdl window: closing it ends the run with 'window closed'") {
  Bench b;
  SDL_Event quit{};
  quit.type = SDL_QUIT;
  SDL_PushEvent(&quit);
  CHECK_FALSE(b.display->refresh());
  CHECK(b.display->stop_reason() == "window closed");
}
