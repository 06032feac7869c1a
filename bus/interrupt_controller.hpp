// The CPU's maskable-interrupt input as the bus sees it: on a PC, the 8259 pair implements
// it. The CPU asks whether an interrupt is pending between blocks and acknowledges it to get
// its vector (the INTA cycle); devices never see the CPU.
#pragma once

#include <cstdint>

namespace x86lab::bus {

class InterruptController {
 public:
  virtual ~InterruptController() = default;
  virtual bool interrupt_pending() = 0;
  virtual uint8_t acknowledge_interrupt() = 0;
};

}  // namespace x86lab::bus
