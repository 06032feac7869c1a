// Architectural register state. Plain data: the monitor, the gdb stub, the tests and (later)
// snapshots read and write it directly.
#pragma once

#include <cstdint>

namespace x86lab::cpu {

enum Gpr : uint8_t { kEax, kEcx, kEdx, kEbx, kEsp, kEbp, kEsi, kEdi };
// Index of a register slot that always holds zero: an effective-address recipe uses it for
// "no base" or "no index", so address generation never branches.
inline constexpr uint8_t kNoReg = 8;

enum SegReg : uint8_t { kEs, kCs, kSs, kDs, kFs, kGs };
inline constexpr unsigned kSegCount = 6;

namespace flag {
inline constexpr uint32_t kCf = 1u << 0;
inline constexpr uint32_t kPf = 1u << 2;
inline constexpr uint32_t kAf = 1u << 4;
inline constexpr uint32_t kZf = 1u << 6;
inline constexpr uint32_t kSf = 1u << 7;
inline constexpr uint32_t kTf = 1u << 8;
inline constexpr uint32_t kIf = 1u << 9;
inline constexpr uint32_t kDf = 1u << 10;
inline constexpr uint32_t kOf = 1u << 11;
inline constexpr uint32_t kIopl = 3u << 12;
inline constexpr uint32_t kNt = 1u << 14;
inline constexpr uint32_t kRf = 1u << 16;
inline constexpr uint32_t kVm = 1u << 17;
inline constexpr uint32_t kAc = 1u << 18;
inline constexpr uint32_t kVif = 1u << 19;
inline constexpr uint32_t kVip = 1u << 20;
inline constexpr uint32_t kId = 1u << 21;
inline constexpr uint32_t kArith = kCf | kPf | kAf | kZf | kSf | kOf;
}  // namespace flag

// The hidden part of a segment register, loaded with the selector.
struct SegmentCache {
  uint16_t selector = 0;
  uint32_t base = 0;
  uint32_t limit = 0xFFFF;
  uint8_t access = 0x93;  // descriptor access byte: present, DPL, type
  bool big = false;       // D/B bit: 32-bit code or stack
  bool granular = false;
  uint8_t rights = 3;  // segment_rights: what accesses the segment allows (0: null selector)
};

struct DescriptorTable {
  uint32_t base = 0;
  uint16_t limit = 0x3FF;
};

struct Registers {
  uint32_t gpr[9] = {};  // EAX..EDI, then the zero slot kNoReg
  uint32_t eip = 0;
  SegmentCache seg[kSegCount];
  uint32_t cr0 = 0;
  uint32_t cr2 = 0;
  uint32_t cr3 = 0;
  uint32_t cr4 = 0;
  uint32_t dr[8] = {};
  DescriptorTable gdtr;
  DescriptorTable idtr;
  SegmentCache ldtr;
  SegmentCache tr;
};

}  // namespace x86lab::cpu
