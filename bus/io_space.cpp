#include "bus/io_space.hpp"

#include <cstdio>
#include <stdexcept>

namespace x86lab::bus {

IoSpace::IoSpace() { handlers_.emplace_back(); }

void IoSpace::register_ports(uint16_t first, uint32_t count, std::string owner, uint8_t widths,
                             IoReadFn read, IoWriteFn write) {
  if (count == 0 || first + count > 0x10000u) {
    throw std::logic_error("I/O range of '" + owner + "' does not fit in the port space");
  }
  for (uint32_t p = first; p < first + count; ++p) {
    if (table_[p] != 0) {
      throw std::logic_error("I/O port conflict at 0x" +
                             [&] {
                               char buf[8];
                               std::snprintf(buf, sizeof buf, "%04x", p);
                               return std::string(buf);
                             }() +
                             ": '" + owner + "' and '" + handlers_[table_[p]].owner + "'");
    }
  }
  if (handlers_.size() >= 0xFFFF) throw std::logic_error("too many I/O registrations");
  handlers_.push_back(Handler{std::move(owner), widths, std::move(read), std::move(write)});
  const auto index = static_cast<uint16_t>(handlers_.size() - 1);
  for (uint32_t p = first; p < first + count; ++p) table_[p] = index;
}

void IoSpace::unregister_owner(const std::string& owner) {
  for (auto& index : table_) {
    if (index != 0 && handlers_[index].owner == owner) index = 0;
  }
}

const std::string* IoSpace::owner_of(uint16_t port) const {
  const Handler* h = handler_at(port);
  return h ? &h->owner : nullptr;
}

const IoSpace::Handler* IoSpace::handler_at(uint16_t port) const {
  const uint16_t index = table_[port];
  return index ? &handlers_[index] : nullptr;
}

uint32_t IoSpace::read(uint16_t port, unsigned size) {
  const Handler* h = handler_at(port);
  const uint32_t all_ones = size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
  if (!h || !h->read) return all_ones;
  if (h->widths & size) return h->read(port, size) & all_ones;
  if (size > 1) {
    // Split: low half from port, high half from port + size/2 (which may be another device).
    const unsigned half = size / 2;
    const uint32_t low = read(port, half);
    const uint32_t high = read(static_cast<uint16_t>(port + half), half);
    return low | (high << (8 * half));
  }
  // A byte access to a device that only knows wider ones: read the wider unit, keep a byte.
  const unsigned wide = (h->widths & kIoWord) ? 2 : 4;
  return h->read(port, wide) & 0xFF;
}

void IoSpace::write(uint16_t port, unsigned size, uint32_t value) {
  const Handler* h = handler_at(port);
  if (!h || !h->write) return;
  if (h->widths & size) {
    h->write(port, size, value);
    return;
  }
  if (size > 1) {
    const unsigned half = size / 2;
    write(port, half, value & ((1u << (8 * half)) - 1));
    write(static_cast<uint16_t>(port + half), half, value >> (8 * half));
    return;
  }
  const unsigned wide = (h->widths & kIoWord) ? 2 : 4;
  h->write(port, wide, value & 0xFF);
}

}  // namespace x86lab::bus
