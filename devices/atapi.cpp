#include "devices/atapi.hpp"

#include <algorithm>
#include <cstring>

namespace x86lab::devices {
namespace {

// Operation codes (MMC / SPC).
enum : uint8_t {
  kTestUnitReady = 0x00,
  kRequestSense = 0x03,
  kInquiry = 0x12,
  kModeSense6 = 0x1A,
  kStartStopUnit = 0x1B,
  kPreventAllow = 0x1E,
  kReadCapacity = 0x25,
  kRead10 = 0x28,
  kReadToc = 0x43,
  kGetConfiguration = 0x46,
  kGetEventStatus = 0x4A,
  kModeSense10 = 0x5A,
  kRead12 = 0xA8,
};

// Additional sense codes.
constexpr uint8_t kAscInvalidOpcode = 0x20, kAscLbaOutOfRange = 0x21, kAscInvalidField = 0x24,
                  kAscMediumChanged = 0x28, kAscSavingNotSupported = 0x39,
                  kAscMediumNotPresent = 0x3A, kAscRemovalPrevented = 0x53;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
void put16(std::vector<uint8_t>& v, std::size_t at, uint32_t x) {
  v[at] = static_cast<uint8_t>(x >> 8);
  v[at + 1] = static_cast<uint8_t>(x);
}
void put32(std::vector<uint8_t>& v, std::size_t at, uint32_t x) {
  put16(v, at, x >> 16);
  put16(v, at + 2, x & 0xFFFF);
}
void put_text(std::vector<uint8_t>& v, std::size_t at, std::size_t width, const char* text) {
  const std::size_t n = std::min(width, std::strlen(text));
  std::memset(v.data() + at, ' ', width);
  std::memcpy(v.data() + at, text, n);
}
// An address field of READ TOC: an LBA, or 0/M/S/F with the 2-second lead-in offset.
uint32_t toc_address(uint32_t lba, bool msf) {
  if (!msf) return lba;
  const uint32_t frames = lba + 150;
  return (frames / (75 * 60)) << 16 | ((frames / 75) % 60) << 8 | (frames % 75);
}
void truncate_to(std::vector<uint8_t>& v, std::size_t allocation) {
  if (v.size() > allocation) v.resize(allocation);
}

}  // namespace

void AtapiCdrom::insert(DiskImage* disc) {
  state_.disc = disc;
  state_.unit_attention = true;
}

void AtapiCdrom::reset() {
  state_.sense = {};
  state_.removal_prevented = false;
}

uint32_t AtapiCdrom::sector_count() const {
  if (!state_.disc) return 0;
  return static_cast<uint32_t>(
      std::min<uint64_t>(state_.disc->sector_count(kSectorSize), 0xFFFFFFFFu));
}

bool AtapiCdrom::fail(uint8_t key, uint8_t asc, uint8_t ascq) {
  state_.sense = {key, asc, ascq};
  return false;
}

bool AtapiCdrom::require_disc() {
  if (state_.disc) return true;
  return fail(kNotReady, kAscMediumNotPresent);
}

bool AtapiCdrom::execute(std::span<const uint8_t, kPacketSize> packet, Reply& reply) {
  reply = Reply{};
  const uint8_t* p = packet.data();
  const uint8_t op = p[0];

  if (state_.unit_attention && op != kInquiry && op != kRequestSense && op != kGetConfiguration &&
      op != kGetEventStatus) {
    state_.unit_attention = false;
    return fail(kUnitAttention, kAscMediumChanged);
  }
  if (op != kRequestSense) state_.sense = {};

  std::vector<uint8_t>& out = reply.inline_data;
  switch (op) {
    case kTestUnitReady:
      return require_disc();

    case kRequestSense: {
      out.assign(18, 0);
      out[0] = 0x70;  // current error, fixed format
      out[2] = state_.sense.key;
      out[7] = 10;  // additional sense length
      out[12] = state_.sense.asc;
      out[13] = state_.sense.ascq;
      state_.sense = {};
      truncate_to(out, p[4]);
      return true;
    }

    case kInquiry: {
      if (p[1] & 0x01) return fail(kIllegalRequest, kAscInvalidField);  // no VPD pages
      out.assign(36, 0);
      out[0] = 0x05;  // CD/DVD device
      out[1] = 0x80;  // removable medium
      out[2] = 0x00;
      out[3] = 0x21;  // ATAPI transport, response data format 1
      out[4] = 31;    // additional length
      put_text(out, 8, 8, "x86lab");
      put_text(out, 16, 16, "Virtual CD-ROM");
      put_text(out, 32, 4, "1.0");
      truncate_to(out, be16(p + 3));
      return true;
    }

    case kStartStopUnit: {
      const bool start = p[4] & 0x01, load_eject = p[4] & 0x02;
      if (load_eject && !start) {
        if (state_.removal_prevented) return fail(kIllegalRequest, kAscRemovalPrevented, 0x02);
        state_.disc = nullptr;  // the tray opens; the host may insert another disc
      }
      return true;
    }

    case kPreventAllow:
      state_.removal_prevented = p[4] & 0x01;
      return true;

    case kReadCapacity: {
      if (!require_disc()) return false;
      out.assign(8, 0);
      put32(out, 0, sector_count() - 1);
      put32(out, 4, kSectorSize);
      return true;
    }

    case kRead10:
      return read(be32(p + 2), be16(p + 7), reply);
    case kRead12:
      return read(be32(p + 2), be32(p + 6), reply);

    case kModeSense6:
      return mode_sense(p[2] & 0x3F, p[2] >> 6, false, p[4], reply);
    case kModeSense10:
      return mode_sense(p[2] & 0x3F, p[2] >> 6, true, be16(p + 7), reply);

    case kReadToc:
      return read_toc(packet, reply);

    case kGetConfiguration: {
      const uint8_t rt = p[1] & 0x03;
      const uint16_t start = be16(p + 2);
      const auto wanted = [&](uint16_t code) { return rt == 2 ? code == start : code >= start; };
      out.assign(8, 0);
      put16(out, 6, state_.disc ? 0x0008 : 0x0000);  // current profile: CD-ROM
      if (wanted(0x0000)) {                          // profile list: CD-ROM only
        const uint8_t feature[] = {
            0x00, 0x00, 0x03, 0x04, 0x00, 0x08, static_cast<uint8_t>(state_.disc ? 0x01 : 0x00),
            0x00};
        out.insert(out.end(), std::begin(feature), std::end(feature));
      }
      if (wanted(0x0001)) {  // core: ATAPI physical interface
        const uint8_t feature[] = {0x00, 0x01, 0x03, 0x08, 0x00, 0x00,
                                   0x00, 0x02, 0x00, 0x00, 0x00, 0x00};
        out.insert(out.end(), std::begin(feature), std::end(feature));
      }
      put32(out, 0, static_cast<uint32_t>(out.size() - 4));
      truncate_to(out, be16(p + 7));
      return true;
    }

    case kGetEventStatus: {
      if (!(p[1] & 0x01)) return fail(kIllegalRequest, kAscInvalidField);  // polled only
      if (p[4] & 0x10) {                                                   // media class
        out.assign(8, 0);
        put16(out, 0, 6);
        out[2] = 0x04;                       // media events
        out[3] = 0x10;                       // supported classes: media
        out[5] = state_.disc ? 0x02 : 0x00;  // media present
      } else {
        out.assign(4, 0);
        put16(out, 0, 2);
        out[2] = 0x80;  // no event available
        out[3] = 0x10;
      }
      truncate_to(out, be16(p + 7));
      return true;
    }

    default:
      return fail(kIllegalRequest, kAscInvalidOpcode);
  }
}

bool AtapiCdrom::read(uint64_t lba, uint64_t count, Reply& reply) {
  if (!require_disc()) return false;
  if (lba + count > sector_count()) return fail(kIllegalRequest, kAscLbaOutOfRange);
  reply.disc_offset = lba * kSectorSize;
  reply.disc_bytes = count * kSectorSize;
  return true;
}

bool AtapiCdrom::mode_sense(uint8_t page, uint8_t control, bool ten_byte, uint16_t allocation,
                            Reply& reply) {
  if (control == 3) return fail(kIllegalRequest, kAscSavingNotSupported);
  const bool changeable = control == 1;  // nothing can be changed: all zero
  std::vector<uint8_t>& out = reply.inline_data;
  const std::size_t header = ten_byte ? 8 : 4;
  out.assign(header, 0);
  out[ten_byte ? 2 : 1] = state_.disc ? 0x01 : 0x70;  // 120 mm data disc / door closed, none

  auto add_page = [&](std::vector<uint8_t> body) {
    if (changeable) std::fill(body.begin() + 2, body.end(), 0);
    out.insert(out.end(), body.begin(), body.end());
  };
  const bool all = page == 0x3F;
  bool any = false;
  if (all || page == 0x01) {  // read error recovery
    add_page({0x01, 0x0A, 0x00, 0x05, 0, 0, 0, 0, 0x05, 0, 0, 0});
    any = true;
  }
  if (all || page == 0x0D) {  // CD device parameters: 60 S/M, 75 F/S
    add_page({0x0D, 0x06, 0x00, 0x00, 0x00, 0x3C, 0x00, 0x4B});
    any = true;
  }
  if (all || page == 0x0E) {  // CD audio control: ports 0 and 1 at full volume
    add_page({0x0E, 0x0E, 0x04, 0, 0, 0, 0, 0, 0x01, 0xFF, 0x02, 0xFF, 0, 0, 0, 0});
    any = true;
  }
  if (all || page == 0x2A) {  // capabilities and mechanical status
    const uint8_t locking = static_cast<uint8_t>(0x29 | (state_.removal_prevented ? 0x02 : 0));
    add_page({0x2A, 0x12, 0x00, 0x00, 0x70, 0x00, locking, 0x00, 0x02, 0xC2,
              0x01, 0x00, 0x02, 0x00, 0x02, 0xC2, 0x00,    0x00, 0x00, 0x00});
    any = true;
  }
  if (!any) return fail(kIllegalRequest, kAscInvalidField);
  if (ten_byte) {
    put16(out, 0, static_cast<uint32_t>(out.size() - 2));
  } else {
    out[0] = static_cast<uint8_t>(out.size() - 1);
  }
  truncate_to(out, allocation);
  return true;
}

bool AtapiCdrom::read_toc(std::span<const uint8_t, kPacketSize> packet, Reply& reply) {
  if (!require_disc()) return false;
  const uint8_t* p = packet.data();
  const bool msf = p[1] & 0x02;
  uint8_t format = p[2] & 0x0F;
  if (format == 0) format = p[9] >> 6;  // the older place for the format
  const uint8_t track = p[6];
  std::vector<uint8_t>& out = reply.inline_data;
  out.assign(4, 0);
  out[2] = 1;  // first track (format 0) or session (format 1)
  out[3] = 1;  // last
  auto add_descriptor = [&](uint8_t number, uint32_t lba) {
    const std::size_t at = out.size();
    out.resize(at + 8, 0);
    out[at + 1] = 0x14;  // ADR 1, data track
    out[at + 2] = number;
    put32(out, at + 4, toc_address(lba, msf));
  };
  if (format == 0) {
    if (track > 1 && track != 0xAA) return fail(kIllegalRequest, kAscInvalidField);
    if (track <= 1) add_descriptor(1, 0);
    add_descriptor(0xAA, sector_count());  // the lead-out
  } else if (format == 1) {
    add_descriptor(1, 0);  // first track of the last session
  } else {
    return fail(kIllegalRequest, kAscInvalidField);
  }
  put16(out, 0, static_cast<uint32_t>(out.size() - 2));
  truncate_to(out, be16(p + 7));
  return true;
}

}  // namespace x86lab::devices
