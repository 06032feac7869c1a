// PCI bus 0 and configuration mechanism #1: the address register at 0xCF8 (dword accesses
// only) and the data window at 0xCFC-0xCFF (byte, word and dword). Byte accesses to 0xCF9
// are not configuration cycles: on the PIIX they reach the reset control register, which the
// bus forwards to a handler the chipset installs.
//
// PciFunction is the configuration space of one function: 256 bytes, a mask of the bits the
// guest may write, and base address registers whose size is answered in the usual way (the
// guest writes all-ones and reads back the size mask). A function can react to writes
// (config_written) for registers with side effects: PAM, PIRQ routing, BAR moves.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bus/io_space.hpp"
#include "bus/physical_memory.hpp"

namespace x86lab::devices {

class PciFunction {
 public:
  // Standard header offsets.
  enum : uint8_t {
    kVendorId = 0x00,
    kDeviceId = 0x02,
    kCommand = 0x04,
    kStatus = 0x06,
    kRevision = 0x08,
    kProgIf = 0x09,
    kSubclass = 0x0A,
    kClass = 0x0B,
    kHeaderType = 0x0E,
    kBar0 = 0x10,
    kSubsystemVendorId = 0x2C,
    kSubsystemId = 0x2E,
    kRomBar = 0x30,
    kInterruptLine = 0x3C,
    kInterruptPin = 0x3D,
  };
  static constexpr uint16_t kCommandIo = 0x01, kCommandMemory = 0x02, kCommandMaster = 0x04;

  struct Bar {
    uint32_t size = 0;  // 0: not implemented; a power of two otherwise
    bool io = false;
  };

  PciFunction(uint16_t vendor, uint16_t device, uint8_t class_code, uint8_t subclass,
              uint8_t prog_if, uint8_t revision, std::string name);
  virtual ~PciFunction() = default;
  PciFunction(const PciFunction&) = delete;
  PciFunction& operator=(const PciFunction&) = delete;

  const std::string& name() const { return name_; }

  // Configuration cycles from the bus (offset aligned to size; size 1, 2 or 4).
  uint32_t config_read(uint8_t offset, unsigned size);
  void config_write(uint8_t offset, unsigned size, uint32_t value);

  // Power-on values of the whole header; a subclass's reset() calls this first.
  virtual void reset();

  // Direct access for the owning device (no write mask, no side effects).
  uint8_t config_byte(uint8_t offset) const { return config_[offset]; }
  uint16_t config_word(uint8_t offset) const;
  uint32_t config_dword(uint8_t offset) const;
  void set_config_byte(uint8_t offset, uint8_t value) { config_[offset] = value; }
  void set_config_word(uint8_t offset, uint16_t value);
  void set_config_dword(uint8_t offset, uint32_t value);
  // Marks bits the guest may write (bits set in mask).
  void set_writable(uint8_t offset, unsigned size, uint32_t mask);

  // Declares BAR n (0-5) of a power-of-two size, I/O or memory. Its address bits become
  // writable; the low bits answer the size when all-ones are written.
  void declare_bar(unsigned index, uint32_t size, bool io);
  const Bar& bar(unsigned index) const { return bars_[index]; }
  // The address BAR n decodes at, or 0 while it is unassigned or decoding is off.
  uint32_t bar_address(unsigned index) const;
  // An expansion ROM (the VGA BIOS of a PCI display, for one): the ROM BAR answers its size.
  void declare_rom(uint32_t size);
  // An expansion ROM with contents: mapped read-only into memory wherever the guest puts the
  // ROM BAR while its enable bit and memory decoding are on (SeaBIOS copies it to 0xC0000
  // and runs it). map_changed runs after each remap (the CPU must drop what it cached).
  void set_expansion_rom(bus::PhysicalMemory& memory, std::vector<uint8_t> image,
                         std::function<void()> map_changed = {});
  uint32_t rom_address() const { return rom_mapped_at_; }

  void set_header_type(uint8_t type) { header_type_ = type; }
  void set_interrupt_pin(uint8_t pin) { interrupt_pin_ = pin; }

 protected:
  // Called after a guest write changed bytes [offset, offset + size).
  virtual void config_written(uint8_t /*offset*/, unsigned /*size*/) {}

 private:
  uint16_t vendor_, device_;
  uint8_t class_code_, subclass_, prog_if_, revision_;
  uint8_t header_type_ = 0;
  uint8_t interrupt_pin_ = 0;
  std::string name_;
  std::array<uint8_t, 256> config_{};
  std::array<uint8_t, 256> writable_{};
  std::array<Bar, 6> bars_{};
  uint32_t rom_size_ = 0;
  bus::PhysicalMemory* rom_memory_ = nullptr;
  std::vector<uint8_t> rom_image_;
  std::function<void()> rom_map_changed_;
  uint32_t rom_mapped_at_ = 0;
  void update_rom_mapping();
};

class PciBus {
 public:
  static constexpr uint16_t kAddressPort = 0xCF8;
  static constexpr uint16_t kResetControlPort = 0xCF9;
  static constexpr uint16_t kDataPort = 0xCFC;

  // Encodes a device/function number: (device << 3) | function.
  static constexpr uint8_t devfn(unsigned device, unsigned function) {
    return static_cast<uint8_t>((device << 3) | function);
  }

  PciBus() = default;
  PciBus(const PciBus&) = delete;
  PciBus& operator=(const PciBus&) = delete;

  void register_ports(bus::IoSpace& io);
  // The function stays owned by the caller. Throws std::logic_error when the slot is taken.
  void attach(uint8_t devfn, PciFunction& function);
  PciFunction* function_at(uint8_t devfn) const { return functions_[devfn]; }
  // Resets the address register and every attached function.
  void reset();

  // Byte accesses to 0xCF9 (the PIIX reset control register).
  void set_reset_control(std::function<uint8_t()> read, std::function<void(uint8_t)> write) {
    rcr_read_ = std::move(read);
    rcr_write_ = std::move(write);
  }

  // Configuration cycles as the guest makes them through 0xCF8/0xCFC.
  uint32_t read_port(uint16_t port, unsigned size);
  void write_port(uint16_t port, unsigned size, uint32_t value);

  // A configuration cycle on bus 0 (tests and firmware-free setup).
  uint32_t config_read(uint8_t devfn, uint8_t offset, unsigned size);
  void config_write(uint8_t devfn, uint8_t offset, unsigned size, uint32_t value);

  uint32_t address() const { return address_; }

 private:
  uint32_t address_ = 0;
  std::array<PciFunction*, 256> functions_{};
  std::function<uint8_t()> rcr_read_;
  std::function<void(uint8_t)> rcr_write_;
};

}  // namespace x86lab::devices
