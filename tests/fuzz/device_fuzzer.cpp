// libFuzzer target: the PC machine's devices driven by a sequence of port and MMIO accesses,
// guest time passing, host input (keys, mouse, serial bytes), screen rendering and resets.
// The machine has every PC device (PIC, PIT, CMOS/RTC, 8042, COM1, PCI with the i440FX, PIIX3
// and the VGA, VGA/VBE, 8237 DMA, the 82077 floppy controller, two IDE channels with ATA
// disks and an ATAPI CD-ROM) and small disk images; the CPU never runs (the BIOS is HLT).
//
// Input: byte 0 bit 0 chooses snapshot (writes kept in memory) or read-only images; then
// operations until the input ends, each an operation byte (bits 3-0 the operation mod 10,
// bits 5-4 the access size: 0 or 1 a byte, 2 a word, 3 a dword) and its arguments
// (tests/fuzz/make_seeds.py writes them):
//   0 port write   1 port read    2 MMIO write   3 MMIO read   4 time passes
//   5 render the screen            6 key (set 2) / mouse event 7 serial byte received
//   8 machine reset               9 a burst of writes to one port (a data register)
// A port is either one of the devices' port ranges (kPortRanges, indexed by the next byte)
// or any 16-bit port; an MMIO address is in the VGA window, the framebuffer BAR, the VGA ROM
// BAR, the BIOS area below 1 MiB, RAM, or anywhere.
//
// Invariants checked after every input: the disk image files were not written (mtime and
// size unchanged), the BIOS ROM at the top of 4 GiB reads back as loaded, and nothing the
// sanitizers watch went wrong (ASan, UBSan; libFuzzer's -timeout catches a hang).
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "devices/pci_bus.hpp"
#include "devices/vga.hpp"
#include "machine/pc_machine.hpp"
#include "tests/fuzz/fuzz_input.hpp"

namespace {

using namespace x86lab;

struct PortRange {
  uint16_t base;
  uint16_t count;
};
// Every port range a PC device claims (machine/pc_machine.hpp, machine/pc_drives.hpp).
constexpr PortRange kPortRanges[] = {
    {0x0000, 0x10},  // DMA 1
    {0x0020, 0x02},  // PIC master
    {0x0040, 0x04},  // PIT
    {0x0060, 0x01},  // 8042 data
    {0x0061, 0x01},  // port B
    {0x0064, 0x01},  // 8042 command/status
    {0x0070, 0x02},  // CMOS/RTC
    {0x0080, 0x10},  // DMA page registers
    {0x0092, 0x01},  // port A
    {0x00A0, 0x02},  // PIC slave
    {0x00C0, 0x20},  // DMA 2
    {0x00E9, 0x01},  // debug console
    {0x0170, 0x08},  // IDE secondary
    {0x01CE, 0x03},  // Bochs VBE
    {0x01F0, 0x08},  // IDE primary
    {0x0376, 0x01},  // IDE secondary control
    {0x03B0, 0x30},  // VGA
    {0x03F0, 0x08},  // floppy controller (0x3F6 is IDE)
    {0x03F8, 0x08},  // COM1
    {0x0402, 0x01},  // SeaBIOS log
    {0x04D0, 0x02},  // ELCR
    {0x0CF8, 0x08},  // PCI configuration, 0xCF9 reset control
};
constexpr size_t kPortRangeCount = sizeof kPortRanges / sizeof kPortRanges[0];

constexpr size_t kBiosBytes = 64 * 1024;
constexpr uint64_t kMaxTimeStepNs = 20'000'000;  // 20 ms of guest time an operation
constexpr unsigned kMaxBurst = 4096;
// Rendering a 2560x1600 VBE frame takes up to a second under ASan and coverage: two renders
// an input suffice (more made libFuzzer time-outs on a loaded machine, not findings).
constexpr unsigned kMaxRenders = 2;

// The disk images, created once per process and never written (mode 0444, or snapshot).
struct Images {
  std::filesystem::path dir;
  std::string floppy, disk, cdrom;
  struct stat floppy_stat {
  }, disk_stat{}, cdrom_stat{};

  Images() {
    char pattern[] = "/tmp/x86lab-fuzz-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    if (!made) std::abort();
    dir = made;
    floppy = write_image("floppy.img", 368'640);
    disk = write_image("disk.img", 64 * 1024);
    cdrom = write_image("cdrom.iso", 32 * 2048);
    ::stat(floppy.c_str(), &floppy_stat);
    ::stat(disk.c_str(), &disk_stat);
    ::stat(cdrom.c_str(), &cdrom_stat);
  }
  ~Images() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string write_image(const char* name, size_t bytes) {
    const auto path = (dir / name).string();
    std::vector<char> data(bytes);
    for (size_t i = 0; i < bytes; ++i) data[i] = static_cast<char>((i >> 9) ^ (i * 7));
    std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(bytes));
    std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                           std::filesystem::perms::group_read |
                                           std::filesystem::perms::others_read);
    return path;
  }
  static bool unchanged(const std::string& path, const struct stat& before) {
    struct stat now {};
    if (::stat(path.c_str(), &now) != 0) return false;
    return now.st_size == before.st_size && now.st_mtim.tv_sec == before.st_mtim.tv_sec &&
           now.st_mtim.tv_nsec == before.st_mtim.tv_nsec;
  }
  void check() const {
    if (!unchanged(floppy, floppy_stat) || !unchanged(disk, disk_stat) ||
        !unchanged(cdrom, cdrom_stat)) {
      fuzz::invariant_failed("a disk image file was written in snapshot or read-only mode");
    }
  }
};

const std::vector<uint8_t>& bios() {
  static const std::vector<uint8_t> image = [] {
    std::vector<uint8_t> bytes(kBiosBytes);
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(0xF4 ^ (i * 31));
    return bytes;
  }();
  return image;
}

uint16_t choose_port(fuzz::FuzzInput& in) {
  const uint8_t selector = in.take<uint8_t>();
  if (selector & 0x80) return in.take<uint16_t>();
  const PortRange& range = kPortRanges[selector % kPortRangeCount];
  return static_cast<uint16_t>(range.base + in.take<uint8_t>() % range.count);
}

unsigned choose_size(uint8_t bits) {
  static constexpr unsigned kSizes[] = {1, 1, 2, 4};
  return kSizes[bits & 3];
}

uint32_t choose_address(fuzz::FuzzInput& in, machine::PcMachine& m) {
  const uint8_t region = in.take<uint8_t>();
  const uint32_t offset = in.take<uint32_t>();
  devices::PciFunction* vga = m.pci().function_at(devices::PciBus::devfn(2, 0));
  switch (region % 6) {
    case 0:
      return 0xA0000 + offset % 0x20000;
    case 1:
      return (vga->config_dword(devices::PciFunction::kBar0) & ~0xFu) +
             offset % devices::Vga::kLfbSize;
    case 2:
      return (vga->config_dword(devices::PciFunction::kRomBar) & ~0x7FFu) + offset % 0x10000;
    case 3:
      return 0xC0000 + offset % 0x40000;
    case 4:
      return offset % static_cast<uint32_t>(m.memory().ram_size());
    default:
      return offset;
  }
}

void mmio_write(machine::PcMachine& m, uint32_t address, unsigned size, uint32_t value) {
  switch (size) {
    case 1:
      m.memory().write<uint8_t>(address, static_cast<uint8_t>(value));
      break;
    case 2:
      m.memory().write<uint16_t>(address, static_cast<uint16_t>(value));
      break;
    default:
      m.memory().write<uint32_t>(address, value);
  }
}

uint32_t mmio_read(machine::PcMachine& m, uint32_t address, unsigned size) {
  switch (size) {
    case 1:
      return m.memory().read<uint8_t>(address);
    case 2:
      return m.memory().read<uint16_t>(address);
    default:
      return m.memory().read<uint32_t>(address);
  }
}

void run_operations(machine::PcMachine& m, fuzz::FuzzInput& in) {
  devices::VgaFrame frame;
  unsigned renders = 0;
  volatile uint32_t sink = 0;  // keeps the reads
  while (!in.empty()) {
    const uint8_t op = in.take<uint8_t>();
    const unsigned size = choose_size(op >> 4);
    switch ((op & 0x0F) % 10) {
      case 0: {
        const uint16_t port = choose_port(in);
        m.io().write(port, size, in.take<uint32_t>());
        break;
      }
      case 1:
        sink = sink + m.io().read(choose_port(in), size);
        break;
      case 2: {
        const uint32_t address = choose_address(in, m);
        mmio_write(m, address, size, in.take<uint32_t>());
        break;
      }
      case 3:
        sink = sink + mmio_read(m, choose_address(in, m), size);
        break;
      case 4:
        m.clock().advance_by(uint64_t{in.take<uint32_t>()} % kMaxTimeStepNs);
        break;
      case 5:
        if (++renders > kMaxRenders) break;
        m.vga().render(frame);
        sink = sink + static_cast<uint32_t>(m.vga().text_screen_string().size());
        break;
      case 6: {
        const uint8_t kind = in.take<uint8_t>();
        if (kind & 1) {
          const auto dx = static_cast<int8_t>(in.take<uint8_t>());
          const auto dy = static_cast<int8_t>(in.take<uint8_t>());
          m.keyboard_controller().mouse_event(dx, dy, in.take<uint8_t>() & 7);
        } else {
          const uint8_t code = in.take<uint8_t>();
          m.keyboard_controller().send_set2({&code, 1});
        }
        break;
      }
      case 7:
        m.com1().receive(in.take<uint8_t>());
        break;
      case 8:
        m.reset();
        break;
      default: {
        const uint16_t port = choose_port(in);
        const unsigned count = in.take<uint16_t>() % kMaxBurst;
        const uint32_t value = in.take<uint32_t>();
        for (unsigned i = 0; i < count; ++i) m.io().write(port, size, value + i);
        break;
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Images images;
  fuzz::FuzzInput in(data, size);

  machine::MachineConfig config;
  config.kind = machine::MachineKind::Pc;
  config.memory_bytes = 1 << 20;
  config.deterministic = true;
  config.debugcon.kind = machine::DebugconTarget::Kind::None;
  config.serial.kind = machine::DebugconTarget::Kind::None;
  config.floppy[0] = images.floppy;
  config.hard_disk[0] = images.disk;
  config.cdrom = images.cdrom;
  config.snapshot = in.take<uint8_t>() & 1;
  machine::PcMachine m(config, bios());

  run_operations(m, in);

  images.check();
  std::vector<uint8_t> rom(kBiosBytes);
  m.memory().read_block(static_cast<uint32_t>(0x100000000ull - kBiosBytes), rom);
  if (rom != bios()) fuzz::invariant_failed("the BIOS ROM at the top of 4 GiB changed");
  return 0;
}
