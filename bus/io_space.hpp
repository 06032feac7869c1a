// The x86 I/O port space: 64 Ki byte-addressed ports. Each registration names its owner and
// the access widths it implements; the bus splits wider accesses and widens narrower ones so a
// device only sees widths it declared. Unclaimed ports read as all-ones and ignore writes.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace x86lab::bus {

enum IoWidth : uint8_t { kIoByte = 1, kIoWord = 2, kIoDword = 4 };

using IoReadFn = std::function<uint32_t(uint16_t port, unsigned size)>;
using IoWriteFn = std::function<void(uint16_t port, unsigned size, uint32_t value)>;

class IoSpace {
 public:
  IoSpace();

  // Claims [first, first+count). widths is a mask of IoWidth. Throws std::logic_error naming
  // both owners when a port is already claimed.
  void register_ports(uint16_t first, uint32_t count, std::string owner, uint8_t widths,
                      IoReadFn read, IoWriteFn write);
  void unregister_owner(const std::string& owner);
  const std::string* owner_of(uint16_t port) const;

  uint32_t read(uint16_t port, unsigned size);
  void write(uint16_t port, unsigned size, uint32_t value);

 private:
  struct Handler {
    std::string owner;
    uint8_t widths;
    IoReadFn read;
    IoWriteFn write;
  };
  const Handler* handler_at(uint16_t port) const;

  std::vector<Handler> handlers_;        // index 0 unused
  std::array<uint16_t, 65536> table_{};  // port -> handler index, 0 = unclaimed
};

}  // namespace x86lab::bus
