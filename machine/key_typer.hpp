// Typing into the guest from the command line (--send-keys): text becomes keystrokes of a US
// keyboard (set-1 make and break codes, with left Shift around shifted characters), which go
// to the 8042 one keystroke at a time once the guest's text screen shows a pattern.
//
// The text's escapes: \n and \r Enter, \t Tab, \b Backspace, \e Escape, \\ a backslash.
// Every other character must be printable ASCII (0x20-0x7E).
//
// When to type: with an empty pattern, from the start; otherwise once the last non-blank row
// of the text screen ends with the pattern (a prompt waiting for input), looked at every
// millisecond of guest time. Then delay_ns of guest time passes, and each keystroke goes in
// when the keyboard has nothing queued and kKeyGapNs after the last one, so a guest reading
// the keyboard at its own pace sees every key. Guest time only: deterministic with
// --deterministic.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "devices/i8042.hpp"

namespace x86lab::machine {

// One key pressed and released: set-1 codes in the order the keyboard sends them.
using Keystroke = std::vector<uint8_t>;

// The keystrokes of text, or nullopt with error set to a one-line reason.
std::optional<std::vector<Keystroke>> keystrokes_for_text(std::string_view text,
                                                          std::string* error = nullptr);

// Whether the last non-blank row of a screen (rows joined by '\n') ends with pattern.
bool prompt_shows(std::string_view screen, std::string_view pattern);

class KeyTyper {
 public:
  static constexpr uint64_t kScreenCheckNs = 1'000'000;  // 1 ms
  static constexpr uint64_t kKeyGapNs = 10'000'000;      // 10 ms

  KeyTyper() = default;
  KeyTyper(std::vector<Keystroke> keys, std::string pattern, uint64_t delay_ns);

  bool done() const { return next_ >= keys_.size(); }
  // Called by the run loop with guest time; screen() gives the text screen when asked.
  void poll(uint64_t now_ns, const std::function<std::string()>& screen, devices::I8042& kbc);

 private:
  enum class Phase : uint8_t { Waiting, Delaying, Typing };
  std::vector<Keystroke> keys_;
  std::string pattern_;
  uint64_t delay_ns_ = 0;
  Phase phase_ = Phase::Waiting;
  uint64_t next_check_ns_ = 0;
  uint64_t type_at_ns_ = 0;
  size_t next_ = 0;
};

}  // namespace x86lab::machine
