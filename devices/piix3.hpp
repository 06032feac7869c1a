// The PIIX3 south bridge as the 440FX PC has it: function 0 the PCI-to-ISA bridge
// (8086:7000 at 00:01.0, multi-function) with the PIRQ routing registers 0x60-0x63 and the
// reset control register at I/O 0xCF9; function 1 the IDE controller (8086:7010 at 00:01.1)
// in legacy mode (the channels at 0x1F0/0x3F6 and 0x170/0x376, IRQ14/15) with its bus-master
// BAR 4. The ELCR at 0x4D0/0x4D1 lives with the PIC (devices/pic8259).
//
// PIRQ routing is kept in the registers: the PCI devices that will raise PIRQA-D read the
// route from pirq_route() when they assert their line.
#pragma once

#include <cstdint>
#include <functional>

#include "devices/pci_bus.hpp"

namespace x86lab::devices {

class Piix3Isa final : public PciFunction {
 public:
  static constexpr uint8_t kPirqRoute = 0x60;  // PIRQA-D: bit 7 disables, bits 3-0 the IRQ
  // Reset control register bits: a 0->1 edge of bit 2 resets (bit 1 chooses hard or soft).
  static constexpr uint8_t kRcrSystemReset = 0x02, kRcrResetCpu = 0x04;

  Piix3Isa();

  void reset() override;
  // Attaches the reset control register to the bus's 0xCF9.
  void attach_reset_control(PciBus& bus);
  void set_reset_handler(std::function<void()> handler) { on_reset_ = std::move(handler); }

  // The ISA IRQ a PIRQ (0-3 for A-D) is routed to, or -1 when routing is off.
  int pirq_route(unsigned pirq) const;

  uint8_t reset_control() const { return rcr_; }
  void write_reset_control(uint8_t value);

 private:
  uint8_t rcr_ = 0;
  std::function<void()> on_reset_;
};

class Piix3Ide final : public PciFunction {
 public:
  static constexpr uint8_t kTiming = 0x40;  // primary 0x40-0x41, secondary 0x42-0x43
  Piix3Ide();
  void reset() override;
  // Whether a channel's legacy ports decode (IDE timing register bit 15).
  bool channel_enabled(unsigned channel) const;
  // What a BIOS does at POST (SeaBIOS in its PIIX setup): both channels decode their legacy
  // ports. At power-on they do not, and Linux's ata_piix skips a channel its BIOS left off.
  void enable_legacy_decode();
};

}  // namespace x86lab::devices
