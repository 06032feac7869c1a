// The command set of an ATAPI CD-ROM drive: the SCSI/MMC packet commands a guest sends in
// a 12-byte packet through the ATA PACKET command (devices/ata.hpp carries the protocol:
// DRQ blocks, byte-count limit, interrupt reason). A disc is an ISO image of 2048-byte
// sectors; the drive may be empty.
//
// Implemented: TEST UNIT READY, REQUEST SENSE (fixed format), INQUIRY, START STOP UNIT,
// PREVENT ALLOW MEDIUM REMOVAL, READ CAPACITY, READ(10), READ(12), MODE SENSE(6/10) pages
// 0x01, 0x0D, 0x0E, 0x2A and 0x3F, READ TOC formats 0 (one data track and the lead-out, LBA
// or MSF) and 1 (session info), GET CONFIGURATION (the profile list and the core feature,
// current profile CD-ROM), GET EVENT STATUS NOTIFICATION (polled, media class). Anything
// else: ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE. A disc inserted after power-on
// raises UNIT ATTENTION / MEDIUM MAY HAVE CHANGED once. Reads are bounds-checked against the
// disc: a range past its end fails with LOGICAL BLOCK ADDRESS OUT OF RANGE.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "devices/disk_image.hpp"

namespace x86lab::devices {

class AtapiCdrom {
 public:
  static constexpr uint32_t kSectorSize = 2048;
  static constexpr std::size_t kPacketSize = 12;

  struct Sense {
    uint8_t key = 0;
    uint8_t asc = 0;
    uint8_t ascq = 0;
  };
  // Sense keys the drive reports.
  static constexpr uint8_t kNoSense = 0x0, kNotReady = 0x2, kIllegalRequest = 0x5,
                           kUnitAttention = 0x6;

  // What a command sends to the host: a few bytes built here (inline), then sectors read
  // from the disc as the host takes them (disc_offset/disc_bytes). One of the two is empty.
  struct Reply {
    std::vector<uint8_t> inline_data;
    uint64_t disc_offset = 0;
    uint64_t disc_bytes = 0;
    std::size_t size() const { return inline_data.size() + disc_bytes; }
  };

  struct State {
    DiskImage* disc = nullptr;  // null: no disc in the tray
    Sense sense;
    bool unit_attention = false;
    bool removal_prevented = false;
  };

  AtapiCdrom() = default;
  explicit AtapiCdrom(DiskImage* disc) { state_.disc = disc; }

  // Puts a disc (DiskMedium::CdRom, owned by the caller) in the tray or empties it (null).
  void insert(DiskImage* disc);
  bool has_disc() const { return state_.disc != nullptr; }
  uint32_t sector_count() const;
  void reset();  // power-on or ATA reset: sense and locks cleared, the disc stays

  // Runs one command. true: reply holds what to send (possibly nothing). false: the command
  // failed (CHECK CONDITION) and sense() says why.
  bool execute(std::span<const uint8_t, kPacketSize> packet, Reply& reply);
  const Sense& sense() const { return state_.sense; }

  // Reads bytes of the disc for a Reply's disc part (bounds-checked by the image).
  DiskStatus read_disc(uint64_t offset, std::span<uint8_t> out) {
    return state_.disc ? state_.disc->read(offset, out) : DiskStatus::OutOfRange;
  }

  const State& state() const { return state_; }

 private:
  bool fail(uint8_t key, uint8_t asc, uint8_t ascq = 0);
  bool require_disc();
  bool read(uint64_t lba, uint64_t count, Reply& reply);
  bool mode_sense(uint8_t page, uint8_t control, bool ten_byte, uint16_t allocation, Reply& reply);
  bool read_toc(std::span<const uint8_t, kPacketSize> packet, Reply& reply);

  State state_;
};

}  // namespace x86lab::devices
