// Host keys to PC scancodes. The table maps every SDL scancode a PC keyboard has (the 104/105
// keys, the Japanese and Korean extras, F13-F24, the multimedia and ACPI keys) to what an
// AT keyboard sends in scancode set 1: make = code, break = code | 0x80, extended keys with an
// E0 prefix. Two keys are sequences of their own: Print Screen (E0 2A E0 37, break E0 B7 E0
// AA; plain 54 as SysRq with Alt, E0 37 with Ctrl or Shift) and Pause (E1 1D 45 E1 9D C5 on
// make and nothing on break; E0 46 E0 C6 as Break with Ctrl).
//
// The 8042 model takes set-1 codes (I8042::send_set1) and converts them to set 2 when the
// guest left the keyboard in set 2, so set 1 is what the frontend produces; set2_codes() shows
// the same conversion for the tests. Key repeat is the guest's business (typematic): the
// frontend drops SDL's repeated key-down events.
#pragma once

#include <SDL2/SDL_scancode.h>

#include <cstdint>
#include <span>
#include <vector>

namespace x86lab::frontend {

struct KeyModifiers {
  bool ctrl = false;
  bool shift = false;
  bool alt = false;
};

// The set-1 bytes a PC keyboard sends when the key goes down (pressed) or up; empty for a key
// a PC keyboard does not have.
std::vector<uint8_t> set1_codes(SDL_Scancode key, bool pressed, KeyModifiers mods = {});

// Set-1 bytes as a keyboard in set 2 sends them (E0 and E1 prefixes kept, F0 before a break).
std::vector<uint8_t> set2_codes(std::span<const uint8_t> set1);

// Ctrl-Alt-Del, press and release, in set 1.
std::vector<uint8_t> ctrl_alt_del_codes();

}  // namespace x86lab::frontend
