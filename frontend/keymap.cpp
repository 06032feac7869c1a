#include "frontend/keymap.hpp"

#include <array>

#include "devices/i8042.hpp"

namespace x86lab::frontend {

namespace {

constexpr uint16_t kExtended = 0x100;  // the code follows an E0 prefix

// SDL scancode -> set-1 make code (| kExtended), 0 for none.
constexpr std::array<uint16_t, SDL_NUM_SCANCODES> make_table() {
  std::array<uint16_t, SDL_NUM_SCANCODES> t{};
  constexpr uint16_t E = kExtended;
  // Letters, by their place on the keyboard.
  const SDL_Scancode letters[] = {SDL_SCANCODE_Q, SDL_SCANCODE_W, SDL_SCANCODE_E, SDL_SCANCODE_R,
                                  SDL_SCANCODE_T, SDL_SCANCODE_Y, SDL_SCANCODE_U, SDL_SCANCODE_I,
                                  SDL_SCANCODE_O, SDL_SCANCODE_P};
  for (uint16_t i = 0; i < 10; ++i) t[letters[i]] = static_cast<uint16_t>(0x10 + i);
  const SDL_Scancode home_row[] = {SDL_SCANCODE_A, SDL_SCANCODE_S, SDL_SCANCODE_D,
                                   SDL_SCANCODE_F, SDL_SCANCODE_G, SDL_SCANCODE_H,
                                   SDL_SCANCODE_J, SDL_SCANCODE_K, SDL_SCANCODE_L};
  for (uint16_t i = 0; i < 9; ++i) t[home_row[i]] = static_cast<uint16_t>(0x1E + i);
  const SDL_Scancode bottom_row[] = {SDL_SCANCODE_Z, SDL_SCANCODE_X, SDL_SCANCODE_C, SDL_SCANCODE_V,
                                     SDL_SCANCODE_B, SDL_SCANCODE_N, SDL_SCANCODE_M};
  for (uint16_t i = 0; i < 7; ++i) t[bottom_row[i]] = static_cast<uint16_t>(0x2C + i);
  // SDL numbers 1..9, 0 in a row, as set 1 does (02-0B).
  for (uint16_t i = 0; i < 10; ++i) t[SDL_SCANCODE_1 + i] = static_cast<uint16_t>(0x02 + i);
  // F1-F10 are 3B-44, F11 57, F12 58; F13-F24 as Windows' scancode map lists them.
  for (uint16_t i = 0; i < 10; ++i) t[SDL_SCANCODE_F1 + i] = static_cast<uint16_t>(0x3B + i);
  t[SDL_SCANCODE_F11] = 0x57;
  t[SDL_SCANCODE_F12] = 0x58;
  for (uint16_t i = 0; i < 11; ++i) t[SDL_SCANCODE_F13 + i] = static_cast<uint16_t>(0x64 + i);
  t[SDL_SCANCODE_F24] = 0x76;

  t[SDL_SCANCODE_ESCAPE] = 0x01;
  t[SDL_SCANCODE_MINUS] = 0x0C;
  t[SDL_SCANCODE_EQUALS] = 0x0D;
  t[SDL_SCANCODE_BACKSPACE] = 0x0E;
  t[SDL_SCANCODE_TAB] = 0x0F;
  t[SDL_SCANCODE_LEFTBRACKET] = 0x1A;
  t[SDL_SCANCODE_RIGHTBRACKET] = 0x1B;
  t[SDL_SCANCODE_RETURN] = 0x1C;
  t[SDL_SCANCODE_LCTRL] = 0x1D;
  t[SDL_SCANCODE_SEMICOLON] = 0x27;
  t[SDL_SCANCODE_APOSTROPHE] = 0x28;
  t[SDL_SCANCODE_GRAVE] = 0x29;
  t[SDL_SCANCODE_LSHIFT] = 0x2A;
  t[SDL_SCANCODE_BACKSLASH] = 0x2B;
  t[SDL_SCANCODE_NONUSHASH] = 0x2B;  // ISO: the key left of Enter is the same position
  t[SDL_SCANCODE_COMMA] = 0x33;
  t[SDL_SCANCODE_PERIOD] = 0x34;
  t[SDL_SCANCODE_SLASH] = 0x35;
  t[SDL_SCANCODE_RSHIFT] = 0x36;
  t[SDL_SCANCODE_KP_MULTIPLY] = 0x37;
  t[SDL_SCANCODE_LALT] = 0x38;
  t[SDL_SCANCODE_SPACE] = 0x39;
  t[SDL_SCANCODE_CAPSLOCK] = 0x3A;
  t[SDL_SCANCODE_NUMLOCKCLEAR] = 0x45;
  t[SDL_SCANCODE_SCROLLLOCK] = 0x46;
  t[SDL_SCANCODE_KP_7] = 0x47;
  t[SDL_SCANCODE_KP_8] = 0x48;
  t[SDL_SCANCODE_KP_9] = 0x49;
  t[SDL_SCANCODE_KP_MINUS] = 0x4A;
  t[SDL_SCANCODE_KP_4] = 0x4B;
  t[SDL_SCANCODE_KP_5] = 0x4C;
  t[SDL_SCANCODE_KP_6] = 0x4D;
  t[SDL_SCANCODE_KP_PLUS] = 0x4E;
  t[SDL_SCANCODE_KP_1] = 0x4F;
  t[SDL_SCANCODE_KP_2] = 0x50;
  t[SDL_SCANCODE_KP_3] = 0x51;
  t[SDL_SCANCODE_KP_0] = 0x52;
  t[SDL_SCANCODE_KP_PERIOD] = 0x53;
  t[SDL_SCANCODE_NONUSBACKSLASH] = 0x56;  // ISO: the key between left Shift and Z
  t[SDL_SCANCODE_KP_EQUALS] = 0x59;
  // Japanese and Korean keys.
  t[SDL_SCANCODE_INTERNATIONAL2] = 0x70;  // Katakana/Hiragana
  t[SDL_SCANCODE_INTERNATIONAL1] = 0x73;  // Ro
  t[SDL_SCANCODE_INTERNATIONAL4] = 0x79;  // Henkan
  t[SDL_SCANCODE_INTERNATIONAL5] = 0x7B;  // Muhenkan
  t[SDL_SCANCODE_INTERNATIONAL3] = 0x7D;  // Yen
  t[SDL_SCANCODE_KP_COMMA] = 0x7E;        // Brazilian keypad .
  t[SDL_SCANCODE_LANG1] = 0x72;           // Hangul/English (sends no break on hardware)
  t[SDL_SCANCODE_LANG2] = 0x71;           // Hanja

  // Extended (E0) keys.
  t[SDL_SCANCODE_KP_ENTER] = E | 0x1C;
  t[SDL_SCANCODE_RCTRL] = E | 0x1D;
  t[SDL_SCANCODE_KP_DIVIDE] = E | 0x35;
  t[SDL_SCANCODE_RALT] = E | 0x38;
  t[SDL_SCANCODE_HOME] = E | 0x47;
  t[SDL_SCANCODE_UP] = E | 0x48;
  t[SDL_SCANCODE_PAGEUP] = E | 0x49;
  t[SDL_SCANCODE_LEFT] = E | 0x4B;
  t[SDL_SCANCODE_RIGHT] = E | 0x4D;
  t[SDL_SCANCODE_END] = E | 0x4F;
  t[SDL_SCANCODE_DOWN] = E | 0x50;
  t[SDL_SCANCODE_PAGEDOWN] = E | 0x51;
  t[SDL_SCANCODE_INSERT] = E | 0x52;
  t[SDL_SCANCODE_DELETE] = E | 0x53;
  t[SDL_SCANCODE_LGUI] = E | 0x5B;
  t[SDL_SCANCODE_RGUI] = E | 0x5C;
  t[SDL_SCANCODE_APPLICATION] = E | 0x5D;
  t[SDL_SCANCODE_POWER] = E | 0x5E;
  t[SDL_SCANCODE_SLEEP] = E | 0x5F;
  // Multimedia and application-control keys (Microsoft's scan code table).
  t[SDL_SCANCODE_AUDIOPREV] = E | 0x10;
  t[SDL_SCANCODE_AUDIONEXT] = E | 0x19;
  t[SDL_SCANCODE_AUDIOMUTE] = E | 0x20;
  t[SDL_SCANCODE_CALCULATOR] = E | 0x21;
  t[SDL_SCANCODE_AUDIOPLAY] = E | 0x22;
  t[SDL_SCANCODE_AUDIOSTOP] = E | 0x24;
  t[SDL_SCANCODE_VOLUMEDOWN] = E | 0x2E;
  t[SDL_SCANCODE_VOLUMEUP] = E | 0x30;
  t[SDL_SCANCODE_AC_HOME] = E | 0x32;
  t[SDL_SCANCODE_AC_SEARCH] = E | 0x65;
  t[SDL_SCANCODE_AC_BOOKMARKS] = E | 0x66;
  t[SDL_SCANCODE_AC_REFRESH] = E | 0x67;
  t[SDL_SCANCODE_AC_STOP] = E | 0x68;
  t[SDL_SCANCODE_AC_FORWARD] = E | 0x69;
  t[SDL_SCANCODE_AC_BACK] = E | 0x6A;
  t[SDL_SCANCODE_COMPUTER] = E | 0x6B;
  t[SDL_SCANCODE_MAIL] = E | 0x6C;
  t[SDL_SCANCODE_MEDIASELECT] = E | 0x6D;
  return t;
}

constexpr std::array<uint16_t, SDL_NUM_SCANCODES> kMake = make_table();

}  // namespace

std::vector<uint8_t> set1_codes(SDL_Scancode key, bool pressed, KeyModifiers mods) {
  if (key == SDL_SCANCODE_PRINTSCREEN) {
    if (mods.alt) return {static_cast<uint8_t>(pressed ? 0x54 : 0xD4)};  // SysRq
    if (mods.ctrl || mods.shift) {
      return pressed ? std::vector<uint8_t>{0xE0, 0x37} : std::vector<uint8_t>{0xE0, 0xB7};
    }
    return pressed ? std::vector<uint8_t>{0xE0, 0x2A, 0xE0, 0x37}
                   : std::vector<uint8_t>{0xE0, 0xB7, 0xE0, 0xAA};
  }
  if (key == SDL_SCANCODE_PAUSE) {
    // Pause sends its make and break together on the way down, and nothing on the way up.
    if (!pressed) return {};
    if (mods.ctrl) return {0xE0, 0x46, 0xE0, 0xC6};  // Break
    return {0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5};
  }
  if (key < 0 || key >= SDL_NUM_SCANCODES) return {};
  const uint16_t make = kMake[key];
  if (make == 0) return {};
  const auto code = static_cast<uint8_t>((make & 0x7F) | (pressed ? 0 : 0x80));
  if (make & kExtended) return {0xE0, code};
  return {code};
}

std::vector<uint8_t> set2_codes(std::span<const uint8_t> set1) {
  std::vector<uint8_t> out;
  for (uint8_t code : set1) {
    if (code == 0xE0 || code == 0xE1) {
      out.push_back(code);
      continue;
    }
    const uint8_t set2 = devices::I8042::set1_to_set2(code & 0x7F);
    if (set2 == 0) continue;
    if (code & 0x80) out.push_back(0xF0);
    out.push_back(set2);
  }
  return out;
}

std::vector<uint8_t> ctrl_alt_del_codes() {
  return {0x1D, 0x38, 0xE0, 0x53, 0xE0, 0xD3, 0xB8, 0x9D};
}

}  // namespace x86lab::frontend
