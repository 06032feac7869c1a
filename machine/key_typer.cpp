#include "machine/key_typer.hpp"

#include <array>
#include <cstdio>

namespace x86lab::machine {

namespace {

constexpr uint8_t kLeftShift = 0x2A;
constexpr uint8_t kBreak = 0x80;

// Set-1 make code of each printable ASCII character on a US keyboard, and whether Shift is
// held for it.
struct KeyCode {
  uint8_t code = 0;
  bool shift = false;
};

constexpr std::array<KeyCode, 128> build_table() {
  std::array<KeyCode, 128> t{};
  const auto row = [&t](const char* plain, const char* shifted, uint8_t first) {
    for (uint8_t i = 0; plain[i]; ++i) {
      t[static_cast<uint8_t>(plain[i])] = {static_cast<uint8_t>(first + i), false};
      t[static_cast<uint8_t>(shifted[i])] = {static_cast<uint8_t>(first + i), true};
    }
  };
  row("1234567890-=", "!@#$%^&*()_+", 0x02);
  row("qwertyuiop[]", "QWERTYUIOP{}", 0x10);
  row("asdfghjkl;'`", "ASDFGHJKL:\"~", 0x1E);
  row("\\", "|", 0x2B);
  row("zxcvbnm,./", "ZXCVBNM<>?", 0x2C);
  t[' '] = {0x39, false};
  return t;
}
constexpr std::array<KeyCode, 128> kKeys = build_table();

Keystroke stroke(uint8_t code, bool shift) {
  if (shift) return {kLeftShift, code, static_cast<uint8_t>(code | kBreak), kLeftShift | kBreak};
  return {code, static_cast<uint8_t>(code | kBreak)};
}

}  // namespace

std::optional<std::vector<Keystroke>> keystrokes_for_text(std::string_view text,
                                                          std::string* error) {
  std::vector<Keystroke> keys;
  const auto fail = [&](std::string why) -> std::optional<std::vector<Keystroke>> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      if (i + 1 == text.size()) return fail("a lone backslash at the end; write \\\\ for one");
      switch (text[++i]) {
        case 'n':
        case 'r':
          keys.push_back(stroke(0x1C, false));
          break;
        case 't':
          keys.push_back(stroke(0x0F, false));
          break;
        case 'b':
          keys.push_back(stroke(0x0E, false));
          break;
        case 'e':
          keys.push_back(stroke(0x01, false));
          break;
        case '\\':
          keys.push_back(stroke(0x2B, false));
          break;
        default:
          return fail(std::string("unknown escape \\") + text[i] +
                      "; valid: \\n \\r \\t \\b \\e \\\\");
      }
      continue;
    }
    if (c == '\n' || c == '\r') {
      keys.push_back(stroke(0x1C, false));
      continue;
    }
    if (c < 0x20 || c > 0x7E) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "character 0x%02X has no key; give printable ASCII", c);
      return fail(buf);
    }
    keys.push_back(stroke(kKeys[c].code, kKeys[c].shift));
  }
  return keys;
}

bool prompt_shows(std::string_view screen, std::string_view pattern) {
  size_t end = screen.size();
  // Skip blank rows at the bottom (rows have no trailing blanks, so a blank row is empty).
  while (end > 0 && (screen[end - 1] == '\n' || screen[end - 1] == ' ')) --end;
  const size_t start = screen.rfind('\n', end == 0 ? 0 : end - 1);
  const std::string_view last =
      screen.substr(start == std::string_view::npos ? 0 : start + 1,
                    end - (start == std::string_view::npos ? 0 : start + 1));
  return last.ends_with(pattern);
}

KeyTyper::KeyTyper(std::vector<Keystroke> keys, std::string pattern, uint64_t delay_ns)
    : keys_(std::move(keys)), pattern_(std::move(pattern)), delay_ns_(delay_ns) {
  if (pattern_.empty()) {
    phase_ = Phase::Delaying;
    type_at_ns_ = delay_ns_;
  }
}

void KeyTyper::poll(uint64_t now_ns, const std::function<std::string()>& screen,
                    devices::I8042& kbc) {
  if (done()) return;
  if (phase_ == Phase::Waiting) {
    if (now_ns < next_check_ns_) return;
    next_check_ns_ = now_ns + kScreenCheckNs;
    if (!prompt_shows(screen(), pattern_)) return;
    phase_ = Phase::Delaying;
    type_at_ns_ = now_ns + delay_ns_;
  }
  if (phase_ == Phase::Delaying) {
    if (now_ns < type_at_ns_) return;
    phase_ = Phase::Typing;
  }
  if (now_ns < type_at_ns_) return;
  const auto& state = kbc.state();
  if (!state.keyboard.queue.empty() || (state.output_full && !state.output_from_aux)) return;
  kbc.send_set1(keys_[next_++]);
  type_at_ns_ = now_ns + kKeyGapNs;
}

}  // namespace x86lab::machine
