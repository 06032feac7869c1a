#include "firmware/linux_boot.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "bus/byte_order.hpp"
#include "bus/physical_memory.hpp"
#include "cpu/cpu.hpp"

namespace x86lab::firmware {
namespace {

// Setup header fields: offsets in the bzImage file, and the same offsets in boot_params.
namespace hdr {
constexpr uint32_t kSetupSects = 0x1F1;
constexpr uint32_t kSysSize = 0x1F4;
constexpr uint32_t kBootFlag = 0x1FE;
constexpr uint32_t kJump = 0x200;
constexpr uint32_t kHeader = 0x202;
constexpr uint32_t kVersion = 0x206;
constexpr uint32_t kKernelVersion = 0x20E;
constexpr uint32_t kTypeOfLoader = 0x210;
constexpr uint32_t kLoadFlags = 0x211;
constexpr uint32_t kCode32Start = 0x214;
constexpr uint32_t kRamdiskImage = 0x218;
constexpr uint32_t kRamdiskSize = 0x21C;
constexpr uint32_t kHeapEndPtr = 0x224;
constexpr uint32_t kCmdLinePtr = 0x228;
constexpr uint32_t kInitrdAddrMax = 0x22C;
constexpr uint32_t kKernelAlignment = 0x230;
constexpr uint32_t kRelocatableKernel = 0x234;
constexpr uint32_t kCmdlineSize = 0x238;
constexpr uint32_t kPrefAddress = 0x258;
constexpr uint32_t kInitSize = 0x260;
constexpr uint32_t kMagic = 0x53726448;  // "HdrS"
}  // namespace hdr

// Other boot_params fields.
namespace zp {
constexpr uint32_t kOrigX = 0x00;  // screen_info
constexpr uint32_t kExtMemK = 0x02;
constexpr uint32_t kOrigVideoMode = 0x06;
constexpr uint32_t kOrigVideoCols = 0x07;
constexpr uint32_t kOrigVideoEgaBx = 0x0A;
constexpr uint32_t kOrigVideoLines = 0x0E;
constexpr uint32_t kOrigVideoIsVga = 0x0F;
constexpr uint32_t kOrigVideoPoints = 0x10;
constexpr uint32_t kAltMemK = 0x1E0;
constexpr uint32_t kE820Entries = 0x1E8;
constexpr uint32_t kE820Table = 0x2D0;
constexpr unsigned kE820Max = 128;
constexpr uint32_t kSize = 0x1000;
}  // namespace zp

constexpr uint8_t kLoadedHigh = 0x01;
constexpr uint8_t kCanUseHeap = 0x80;
constexpr uint8_t kLoaderUndefined = 0xFF;  // type_of_loader: a boot loader without an ID
// The heap the real-mode setup would use ends here (relative to the setup code, minus 0x200,
// as boot.rst's example loader sets it). The 32-bit entry skips that code; the value only has
// to be sane.
constexpr uint16_t kHeapEnd = 0xDE00;
constexpr uint8_t kVideoTypeVgaColor = 0x22;  // VIDEO_TYPE_VGAC

constexpr uint64_t kFourGiB = uint64_t{1} << 32;

uint64_t align_up(uint64_t value, uint64_t alignment) {
  return alignment ? (value + alignment - 1) / alignment * alignment : value;
}

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

std::vector<uint8_t> read_image(const std::string& path, const std::string& what,
                                uint64_t max_bytes) {
  namespace fs = std::filesystem;
  const std::string named = what + " '" + path + "'";
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) {
    throw FirmwareError(named + " not found; check the path");
  }
  if (status.type() == fs::file_type::directory) {
    throw FirmwareError(named + " is a directory; give the path of a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FirmwareError("cannot open " + named + ": " + std::strerror(errno));
  if (status.type() == fs::file_type::regular) {
    const uintmax_t size = fs::file_size(path, ec);
    if (!ec && size > max_bytes) {
      throw FirmwareError(named + " is " + mib(size) + ", larger than the " + mib(max_bytes) +
                          " of RAM it must fit in; give more memory with -m");
    }
  }
  std::vector<uint8_t> image;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    image.insert(image.end(), buffer, buffer + in.gcount());
    if (image.size() > max_bytes) {
      throw FirmwareError(named + " is larger than the " + mib(max_bytes) +
                          " of RAM it must fit in; give more memory with -m");
    }
  }
  if (in.bad()) throw FirmwareError("cannot read " + named + ": " + std::strerror(errno));
  return image;
}

// A flat 4 GiB segment descriptor: base 0, limit 0xFFFFF pages, 32-bit, DPL 0, accessed.
constexpr uint64_t flat_descriptor(uint8_t access) {
  return 0x0000FFFFull | (uint64_t{0x00CF0000u | (uint32_t{access} << 8)} << 32);
}

}  // namespace

uint64_t BzImageHeader::decompress_end() const {
  const uint64_t image_end = uint64_t{kKernelLoadAddress} + kernel_bytes;
  if (protocol < 0x020A) return image_end;
  // The decompressor's own rule (arch/x86/boot/compressed/head_32.S): the load address rounded
  // up to kernel_alignment when relocatable, but never below LOAD_PHYSICAL_ADDR (pref_address).
  uint64_t start = pref_address;
  if (relocatable) start = std::max(start, align_up(kKernelLoadAddress, kernel_alignment));
  return std::max(image_end, start + init_size);
}

std::vector<E820Entry> build_e820_map(uint64_t ram_bytes, std::span<const MemoryRange> reserved) {
  struct Range {
    uint64_t begin, end;
  };
  std::vector<Range> holes{{kLowMemoryEnd, 0x100000}};
  for (const MemoryRange& r : reserved) {
    const uint64_t end = std::min(r.base + r.size, kFourGiB);
    if (r.size && r.base < end) holes.push_back({r.base, end});
  }
  std::sort(holes.begin(), holes.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  std::vector<Range> merged;
  for (const Range& h : holes) {
    if (!merged.empty() && h.begin <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, h.end);
    } else {
      merged.push_back(h);
    }
  }
  std::vector<E820Entry> map;
  const uint64_t ram_end = std::min(ram_bytes, kFourGiB);
  uint64_t cursor = 0;  // RAM below cursor has been described
  for (const Range& h : merged) {
    if (cursor < std::min(h.begin, ram_end)) {
      map.push_back({cursor, std::min(h.begin, ram_end) - cursor, E820Type::Usable});
    }
    map.push_back({h.begin, h.end - h.begin, E820Type::Reserved});
    cursor = std::max(cursor, h.end);
  }
  if (cursor < ram_end) map.push_back({cursor, ram_end - cursor, E820Type::Usable});
  return map;
}

BzImageHeader parse_bzimage(std::span<const uint8_t> image, const std::string& name) {
  const std::string named = "kernel '" + name + "'";
  const auto u8 = [&](uint32_t at) { return image[at]; };
  const auto u16 = [&](uint32_t at) { return bus::load_le<uint16_t>(image.data() + at); };
  const auto u32 = [&](uint32_t at) { return bus::load_le<uint32_t>(image.data() + at); };
  const auto u64 = [&](uint32_t at) { return bus::load_le<uint64_t>(image.data() + at); };

  if (image.size() < hdr::kVersion + 2 || u16(hdr::kBootFlag) != 0xAA55 ||
      u32(hdr::kHeader) != hdr::kMagic) {
    throw FirmwareError(named +
                        " is not a Linux bzImage (no 'HdrS' setup header); give the "
                        "compressed kernel (vmlinuz, arch/x86/boot/bzImage), not vmlinux");
  }
  BzImageHeader h;
  h.protocol = u16(hdr::kVersion);
  if (h.protocol < kMinBootProtocol) {
    throw FirmwareError(named + " uses boot protocol " + std::to_string(h.protocol >> 8) + "." +
                        std::to_string(h.protocol & 0xFF) +
                        "; x86lab needs 2.06 or later (Linux 2.6.22 and newer)");
  }
  h.header_end = hdr::kJump + 2 + u8(hdr::kJump + 1);
  const unsigned setup_sects = u8(hdr::kSetupSects) ? u8(hdr::kSetupSects) : 4;
  h.setup_bytes = (setup_sects + 1) * 512;
  const uint32_t needed_header = std::max<uint32_t>(h.header_end, hdr::kInitSize + 4);
  if (image.size() < needed_header || image.size() <= h.setup_bytes) {
    throw FirmwareError(named + " is truncated: " + std::to_string(image.size()) +
                        " bytes, shorter than its own setup code (" +
                        std::to_string(h.setup_bytes) + " bytes); download it again");
  }
  const uint64_t declared = uint64_t{u32(hdr::kSysSize)} * 16;
  h.kernel_bytes = static_cast<uint32_t>(image.size() - h.setup_bytes);
  // syssize counts 16-byte paragraphs, rounded up, and builders (iPXE's, memtest86+'s) do not
  // pad the file to a whole paragraph: only a shortfall of a paragraph or more is truncation.
  if (h.kernel_bytes + 15 < declared) {
    throw FirmwareError(named + " is truncated: the header declares " +
                        std::to_string(h.setup_bytes + declared) + " bytes, the file has " +
                        std::to_string(image.size()) + "; download it again");
  }
  h.loadflags = u8(hdr::kLoadFlags);
  if (!(h.loadflags & kLoadedHigh)) {
    throw FirmwareError(named +
                        " is a zImage (loaded below 1 MiB); x86lab boots bzImage kernels only");
  }
  h.code32_start = u32(hdr::kCode32Start);
  h.initrd_addr_max = u32(hdr::kInitrdAddrMax);
  h.kernel_alignment = u32(hdr::kKernelAlignment);
  h.relocatable = u8(hdr::kRelocatableKernel) != 0;
  h.cmdline_size = u32(hdr::kCmdlineSize);
  if (h.protocol >= 0x020A) {
    h.pref_address = u64(hdr::kPrefAddress);
    h.init_size = u32(hdr::kInitSize);
  }
  if (const uint16_t at = u16(hdr::kKernelVersion); at) {
    // An offset from the start of the setup code (0x200), to a NUL-terminated string.
    for (size_t i = size_t{at} + 0x200; i < h.setup_bytes && image[i] && h.version.size() < 256;
         ++i) {
      h.version.push_back(static_cast<char>(image[i]));
    }
  }
  return h;
}

LinuxBootInfo load_linux(bus::PhysicalMemory& memory, std::span<const uint8_t> kernel,
                         const std::string& kernel_name, std::span<const uint8_t> initrd,
                         const std::string& initrd_name, const LinuxBootConfig& config) {
  LinuxBootInfo info;
  info.header = parse_bzimage(kernel, kernel_name);
  const BzImageHeader& h = info.header;
  const std::string named_kernel = "kernel '" + kernel_name + "'";
  const uint64_t ram_end = std::min(config.ram_bytes, kFourGiB);
  if (ram_end > memory.ram_size()) {
    throw std::invalid_argument("load_linux: ram_bytes exceeds the machine's RAM");
  }

  // The command line.
  if (config.cmdline.find('\0') != std::string::npos) {
    throw FirmwareError("the kernel command line contains a NUL byte; remove it");
  }
  if (config.cmdline.size() > h.cmdline_size) {
    throw FirmwareError("the kernel command line is " + std::to_string(config.cmdline.size()) +
                        " bytes; " + named_kernel + " accepts at most " +
                        std::to_string(h.cmdline_size));
  }
  if (config.cmdline.size() + 1 > kKernelLoadAddress - kCommandLineAddress) {
    throw FirmwareError("the kernel command line is too long for the low memory area");
  }

  // The kernel, and the memory it needs to decompress.
  info.kernel_size = h.kernel_bytes;
  info.e820 = build_e820_map(ram_end, config.reserved);
  const uint64_t kernel_end = h.decompress_end();
  const auto usable_to = [&](uint64_t begin, uint64_t end) {
    return std::any_of(info.e820.begin(), info.e820.end(), [&](const E820Entry& e) {
      return e.type == E820Type::Usable && e.base <= begin && end <= e.base + e.size;
    });
  };
  if (!usable_to(kKernelLoadAddress, kernel_end)) {
    throw FirmwareError(named_kernel + " needs usable RAM from 1 MiB up to " + hex(kernel_end) +
                        " to decompress; give at least " + mib(kernel_end) + " of memory");
  }

  // The initrd: as high as the highest usable range, the kernel's limit and 4 GiB allow.
  if (!initrd.empty()) {
    const std::string named_initrd = "initrd '" + initrd_name + "'";
    const uint64_t limit = uint64_t{h.initrd_addr_max} + 1;
    uint64_t best = 0;
    for (const E820Entry& e : info.e820) {
      if (e.type != E820Type::Usable) continue;
      const uint64_t top = std::min(e.base + e.size, limit);
      if (top < initrd.size()) continue;
      const uint64_t at = (top - initrd.size()) & ~uint64_t{bus::kPageSize - 1};
      if (at >= std::max(e.base, kernel_end) && at > best) best = at;
    }
    if (best == 0) {
      throw FirmwareError(
          named_initrd + " (" + mib(initrd.size()) + ") does not fit above " + named_kernel +
          " (which uses memory up to " + hex(kernel_end) + ") below " +
          hex(std::min(limit, ram_end)) + "; give at least " +
          mib(align_up(kernel_end, bus::kPageSize) + align_up(initrd.size(), bus::kPageSize)) +
          " of memory");
    }
    info.initrd_address = static_cast<uint32_t>(best);
    info.initrd_size = static_cast<uint32_t>(initrd.size());
  }
  if (info.e820.size() > zp::kE820Max) {
    throw FirmwareError("the memory map has " + std::to_string(info.e820.size()) +
                        " entries; the boot protocol holds at most 128");
  }

  // boot_params.
  std::array<uint8_t, zp::kSize> page{};
  std::copy(kernel.begin() + hdr::kSetupSects, kernel.begin() + h.header_end,
            page.begin() + hdr::kSetupSects);
  page[hdr::kTypeOfLoader] = kLoaderUndefined;
  page[hdr::kLoadFlags] = static_cast<uint8_t>(h.loadflags | kLoadedHigh | kCanUseHeap);
  bus::store_le<uint16_t>(&page[hdr::kHeapEndPtr], kHeapEnd);
  bus::store_le<uint32_t>(&page[hdr::kCmdLinePtr], kCommandLineAddress);
  bus::store_le<uint32_t>(&page[hdr::kRamdiskImage], info.initrd_address);
  bus::store_le<uint32_t>(&page[hdr::kRamdiskSize], info.initrd_size);
  const uint64_t extended_k = ram_end > 0x100000 ? (ram_end - 0x100000) >> 10 : 0;
  bus::store_le<uint16_t>(&page[zp::kExtMemK],
                          static_cast<uint16_t>(std::min<uint64_t>(extended_k, 0xFFFF)));
  bus::store_le<uint32_t>(&page[zp::kAltMemK], static_cast<uint32_t>(extended_k));
  if (config.vga_text_mode) {
    page[zp::kOrigX] = 0;
    page[zp::kOrigX + 1] = 0;
    page[zp::kOrigVideoMode] = 3;
    page[zp::kOrigVideoCols] = 80;
    page[zp::kOrigVideoLines] = 25;
    page[zp::kOrigVideoIsVga] = kVideoTypeVgaColor;
    bus::store_le<uint16_t>(&page[zp::kOrigVideoEgaBx], 0x0003);  // 256 KiB of video memory
    bus::store_le<uint16_t>(&page[zp::kOrigVideoPoints], 16);
  }
  page[zp::kE820Entries] = static_cast<uint8_t>(info.e820.size());
  for (size_t i = 0; i < info.e820.size(); ++i) {
    uint8_t* entry = &page[zp::kE820Table + 20 * i];
    bus::store_le<uint64_t>(entry, info.e820[i].base);
    bus::store_le<uint64_t>(entry + 8, info.e820[i].size);
    bus::store_le<uint32_t>(entry + 16, static_cast<uint32_t>(info.e820[i].type));
  }

  // Into guest memory.
  memory.write_block(kBootParamsAddress, page);
  std::array<uint8_t, kBootGdtLimit + 1> gdt{};
  bus::store_le<uint64_t>(&gdt[kBootCodeSelector], flat_descriptor(0x9B));
  bus::store_le<uint64_t>(&gdt[kBootDataSelector], flat_descriptor(0x93));
  memory.write_block(kBootGdtAddress, gdt);
  std::vector<uint8_t> cmdline(config.cmdline.begin(), config.cmdline.end());
  cmdline.push_back(0);
  memory.write_block(kCommandLineAddress, cmdline);
  memory.write_block(kKernelLoadAddress, kernel.subspan(h.setup_bytes));
  if (!initrd.empty()) memory.write_block(info.initrd_address, initrd);

  info.entry.eip = h.code32_start;
  return info;
}

LinuxBootInfo load_linux(bus::PhysicalMemory& memory, const LinuxBootConfig& config) {
  const uint64_t ram = std::min(config.ram_bytes, kFourGiB);
  const std::vector<uint8_t> kernel = read_image(config.kernel_path, "kernel", ram);
  std::vector<uint8_t> initrd;
  if (!config.initrd_path.empty()) {
    initrd = read_image(config.initrd_path, "initrd", ram);
    if (initrd.empty()) {
      throw FirmwareError("initrd '" + config.initrd_path + "' is empty; give a cpio archive");
    }
  }
  return load_linux(memory, kernel, config.kernel_path, initrd, config.initrd_path, config);
}

void apply_linux_entry_state(cpu::Cpu& cpu, const LinuxEntryState& entry) {
  using namespace cpu;
  if (!at_least(cpu.model(), CpuModel::I80386)) {
    throw std::invalid_argument("the Linux 32-bit boot protocol needs a 386 or later CPU");
  }
  cpu.set_a20(true);
  Registers& regs = cpu.regs();
  regs.gdtr = {entry.gdt_base, entry.gdt_limit};
  regs.idtr = {0, 0};
  cpu.write_cr4(0);
  cpu.write_cr3(0);
  cpu.write_cr0(entry.cr0);
  // CS first: it sets CPL 0, which the SS load checks against.
  cpu.load_code_segment(entry.code_selector, cpu.read_descriptor(entry.code_selector), 0);
  for (unsigned seg : {kDs, kEs, kSs, kFs, kGs}) {
    cpu.load_segment_protected(seg, entry.data_selector);
  }
  cpu.set_eflags(entry.eflags);
  for (uint32_t& r : regs.gpr) r = 0;
  regs.gpr[kEsi] = entry.esi;
  regs.gpr[kEsp] = entry.esp;
  regs.eip = entry.eip;
  cpu.set_halted(false);
  cpu.flush_decoded_code();
}

}  // namespace x86lab::firmware
