#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "devices/i8042.hpp"
#include "machine/key_typer.hpp"

using namespace x86lab;
using machine::Keystroke;
using machine::keystrokes_for_text;
using machine::KeyTyper;
using machine::prompt_shows;

namespace {

constexpr uint64_t kMs = 1'000'000;

// Reads every byte the guest would see through port 0x60.
std::vector<uint8_t> drain(devices::I8042& kbc) {
  std::vector<uint8_t> out;
  while (kbc.status() & devices::I8042::kStatusOutputFull) out.push_back(kbc.read(0x60));
  return out;
}

}  // namespace

TEST_CASE("text becomes set-1 keystrokes of a US keyboard") {
  const auto keys = keystrokes_for_text("ver\\r");
  REQUIRE(keys);
  CHECK(*keys == std::vector<Keystroke>{{0x2F, 0xAF}, {0x12, 0x92}, {0x13, 0x93}, {0x1C, 0x9C}});
  // Shifted characters are wrapped in left Shift.
  CHECK(*keystrokes_for_text("A:") ==
        std::vector<Keystroke>{{0x2A, 0x1E, 0x9E, 0xAA}, {0x2A, 0x27, 0xA7, 0xAA}});
  CHECK(*keystrokes_for_text("\\\\ |") ==
        std::vector<Keystroke>{{0x2B, 0xAB}, {0x39, 0xB9}, {0x2A, 0x2B, 0xAB, 0xAA}});
  CHECK(*keystrokes_for_text("\\n\\t\\b\\e") ==
        std::vector<Keystroke>{{0x1C, 0x9C}, {0x0F, 0x8F}, {0x0E, 0x8E}, {0x01, 0x81}});
  CHECK(keystrokes_for_text("\n")->size() == 1);  // a real newline is Enter too
  CHECK(keystrokes_for_text("")->empty());
}

TEST_CASE("text without a key is refused with a reason") {
  std::string error;
  CHECK_FALSE(keystrokes_for_text("a\\q", &error));
  CHECK(error.find("\\q") != std::string::npos);
  CHECK_FALSE(keystrokes_for_text("end\\", &error));
  CHECK(error.find("backslash") != std::string::npos);
  CHECK_FALSE(keystrokes_for_text("\xC3\xA9", &error));
  CHECK(error.find("0xC3") != std::string::npos);
}

TEST_CASE("the prompt is the end of the last non-blank row") {
  CHECK(prompt_shows("SeaBIOS\n\nA:\\>", "A:\\>"));
  CHECK(prompt_shows("SeaBIOS\nA:\\>\n\n\n", "A:\\>"));
  CHECK(prompt_shows("A:\\>", "A:\\>"));
  CHECK_FALSE(prompt_shows("A:\\>\nloading...", "A:\\>"));
  CHECK_FALSE(prompt_shows("A:\\>dir", "A:\\>"));
  CHECK_FALSE(prompt_shows("", "A:\\>"));
}

TEST_CASE("keys go in after the prompt and the delay, one keystroke at a time") {
  devices::I8042 kbc;
  kbc.reset();
  KeyTyper typer(*keystrokes_for_text("ab"), "C>", 5 * kMs);
  std::string screen = "booting";
  const auto shown = [&] { return screen; };

  typer.poll(0, shown, kbc);
  CHECK(drain(kbc).empty());
  screen = "booting\nC>";
  typer.poll(kMs / 2, shown, kbc);  // the screen is looked at once a millisecond only
  CHECK(drain(kbc).empty());
  typer.poll(KeyTyper::kScreenCheckNs, shown, kbc);  // prompt seen: the delay starts
  CHECK(drain(kbc).empty());
  typer.poll(KeyTyper::kScreenCheckNs + 5 * kMs - 1, shown, kbc);
  CHECK(drain(kbc).empty());
  const uint64_t t = KeyTyper::kScreenCheckNs + 5 * kMs;
  typer.poll(t, shown, kbc);
  // The keyboard is in set 2 and the controller translates back: the guest sees set 1.
  CHECK(drain(kbc) == std::vector<uint8_t>{0x1E, 0x9E});
  CHECK_FALSE(typer.done());
  typer.poll(t + KeyTyper::kKeyGapNs - 1, shown, kbc);
  CHECK(drain(kbc).empty());
  typer.poll(t + KeyTyper::kKeyGapNs, shown, kbc);
  CHECK(drain(kbc) == std::vector<uint8_t>{0x30, 0xB0});
  CHECK(typer.done());
}

TEST_CASE("a keystroke waits while the guest has not read the last one") {
  devices::I8042 kbc;
  kbc.reset();
  KeyTyper typer(*keystrokes_for_text("xy"), "", 0);
  const auto shown = [] { return std::string(); };
  typer.poll(0, shown, kbc);
  CHECK(kbc.read(0x60) == 0x2D);  // x pressed; its release still queued
  typer.poll(KeyTyper::kKeyGapNs, shown, kbc);
  CHECK(kbc.read(0x60) == 0xAD);
  typer.poll(KeyTyper::kKeyGapNs, shown, kbc);  // now the keyboard is empty
  CHECK(drain(kbc) == std::vector<uint8_t>{0x15, 0x95});
  CHECK(typer.done());
}
