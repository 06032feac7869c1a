// The Linux boot protocol loader on a fake bzImage built here: where the kernel, the initrd,
// the command line and boot_params land, the e820 map, the errors for bad files, and the CPU
// entry state (checked by running a few instructions at the kernel's entry point).
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "bus/io_space.hpp"
#include "bus/physical_memory.hpp"
#include "cpu/cpu.hpp"
#include "firmware/linux_boot.hpp"

using namespace x86lab;
using firmware::E820Entry;
using firmware::E820Type;
using firmware::FirmwareError;

namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr uint32_t kRam = 64 * kMiB;
constexpr uint32_t kZeroPage = firmware::kBootParamsAddress;

struct FakeKernel {
  uint16_t protocol = 0x020F;
  uint8_t setup_sects = 4;
  uint8_t loadflags = 0x01;  // LOADED_HIGH
  uint32_t initrd_addr_max = 0x7FFFFFFF;
  uint32_t kernel_alignment = 0x200000;
  uint8_t relocatable = 1;
  uint32_t cmdline_size = 2047;
  uint64_t pref_address = 0x1000000;
  uint32_t init_size = 0x800000;
  std::vector<uint8_t> payload = std::vector<uint8_t>(8192);
};

void put16(std::vector<uint8_t>& f, size_t at, uint16_t v) {
  for (int i = 0; i < 2; ++i) f[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put32(std::vector<uint8_t>& f, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) f[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put64(std::vector<uint8_t>& f, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) f[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// A bzImage as the kernel's build lays it out: boot sector and setup sectors with the setup
// header at 0x1F1, then the protected-mode payload.
std::vector<uint8_t> make_bzimage(const FakeKernel& k) {
  const size_t setup = (size_t{k.setup_sects ? k.setup_sects : 4u} + 1) * 512;
  std::vector<uint8_t> f(setup, 0xCC);  // filler that must not leak into boot_params
  for (size_t i = 0x1F1; i < 0x270; ++i) f[i] = 0;
  f[0x1F1] = k.setup_sects;
  put32(f, 0x1F4, static_cast<uint32_t>(k.payload.size() / 16));
  put16(f, 0x1FE, 0xAA55);
  f[0x200] = 0xEB;
  f[0x201] = 0x6A;  // the header ends at 0x26C, as in protocol 2.15
  put32(f, 0x202, 0x53726448);
  put16(f, 0x206, k.protocol);
  put16(f, 0x20E, 0x300);  // version string at 0x500
  const std::string version = "6.1.0-fake (x86lab test) #1";
  std::copy(version.begin(), version.end() + 1, f.begin() + 0x500);
  f[0x211] = k.loadflags;
  put32(f, 0x214, 0x100000);
  put32(f, 0x22C, k.initrd_addr_max);
  put32(f, 0x230, k.kernel_alignment);
  f[0x234] = k.relocatable;
  put32(f, 0x238, k.cmdline_size);
  put64(f, 0x258, k.pref_address);
  put32(f, 0x260, k.init_size);
  f.insert(f.end(), k.payload.begin(), k.payload.end());
  return f;
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 + seed + (i >> 9));
  return v;
}

firmware::LinuxBootConfig config_for(uint64_t ram = kRam, std::string cmdline = "console=ttyS0") {
  firmware::LinuxBootConfig c;
  c.cmdline = std::move(cmdline);
  c.ram_bytes = ram;
  return c;
}

firmware::LinuxBootInfo load(bus::PhysicalMemory& memory, const std::vector<uint8_t>& kernel,
                             const std::vector<uint8_t>& initrd = {},
                             const firmware::LinuxBootConfig& config = config_for()) {
  return firmware::load_linux(memory, kernel, "fake.bzImage", initrd, "fake.cpio.gz", config);
}

std::string error_of(const std::vector<uint8_t>& kernel, const std::vector<uint8_t>& initrd = {},
                     const firmware::LinuxBootConfig& config = config_for()) {
  bus::PhysicalMemory memory(config.ram_bytes);
  try {
    load(memory, kernel, initrd, config);
  } catch (const FirmwareError& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<uint8_t> read_back(bus::PhysicalMemory& memory, uint32_t addr, size_t n) {
  std::vector<uint8_t> out(n);
  memory.read_block(addr, out);
  return out;
}

std::vector<E820Entry> e820_in_zero_page(bus::PhysicalMemory& memory) {
  std::vector<E820Entry> map(memory.read<uint8_t>(kZeroPage + 0x1E8));
  for (size_t i = 0; i < map.size(); ++i) {
    const uint32_t at = kZeroPage + 0x2D0 + static_cast<uint32_t>(20 * i);
    map[i].base = memory.read<uint32_t>(at) | uint64_t{memory.read<uint32_t>(at + 4)} << 32;
    map[i].size = memory.read<uint32_t>(at + 8) | uint64_t{memory.read<uint32_t>(at + 12)} << 32;
    map[i].type = static_cast<E820Type>(memory.read<uint32_t>(at + 16));
  }
  return map;
}

constexpr auto U = E820Type::Usable;
constexpr auto R = E820Type::Reserved;

}  // namespace

TEST_CASE("linux boot: the protected-mode kernel lands at 1 MiB, the setup code does not") {
  FakeKernel k;
  k.payload = pattern(12288, 3);
  const auto image = make_bzimage(k);
  bus::PhysicalMemory memory(kRam);
  const auto info = load(memory, image);
  CHECK(info.kernel_address == 0x100000);
  CHECK(info.kernel_size == k.payload.size());
  CHECK(read_back(memory, 0x100000, k.payload.size()) == k.payload);
  CHECK(memory.read<uint8_t>(0x100000 + 12288) == 0);
  CHECK(info.header.setup_bytes == 5 * 512);
  CHECK(info.header.version == "6.1.0-fake (x86lab test) #1");
  CHECK(info.entry.eip == 0x100000);
  CHECK(info.entry.esi == firmware::kBootParamsAddress);
}

TEST_CASE("linux boot: setup_sects 0 means 4 setup sectors") {
  FakeKernel k;
  k.setup_sects = 0;
  k.payload = pattern(4096, 9);
  bus::PhysicalMemory memory(kRam);
  const auto info = load(memory, make_bzimage(k));
  CHECK(info.header.setup_bytes == 5 * 512);
  CHECK(read_back(memory, 0x100000, 4096) == k.payload);
}

TEST_CASE("linux boot: boot_params holds the setup header with the loader's fields") {
  const auto image = make_bzimage(FakeKernel{});
  bus::PhysicalMemory memory(kRam);
  // Garbage where the zero page goes: the loader must clear it.
  for (uint32_t i = 0; i < 0x1000; ++i) memory.write<uint8_t>(kZeroPage + i, 0x5A);
  load(memory, image);
  CHECK(memory.read<uint32_t>(kZeroPage + 0x202) == 0x53726448);  // "HdrS"
  CHECK(memory.read<uint16_t>(kZeroPage + 0x206) == 0x020F);
  CHECK(memory.read<uint16_t>(kZeroPage + 0x1FE) == 0xAA55);
  CHECK(memory.read<uint8_t>(kZeroPage + 0x210) == 0xFF);           // type_of_loader
  CHECK(memory.read<uint8_t>(kZeroPage + 0x211) == (0x01 | 0x80));  // LOADED_HIGH, CAN_USE_HEAP
  CHECK(memory.read<uint16_t>(kZeroPage + 0x224) == 0xDE00);        // heap_end_ptr
  CHECK(memory.read<uint32_t>(kZeroPage + 0x228) == 0x20000);       // cmd_line_ptr
  CHECK(memory.read<uint32_t>(kZeroPage + 0x214) == 0x100000);      // code32_start
  CHECK(memory.read<uint32_t>(kZeroPage + 0x238) == 2047);          // cmdline_size
  CHECK(memory.read<uint32_t>(kZeroPage + 0x218) == 0);             // no initrd
  CHECK(memory.read<uint32_t>(kZeroPage + 0x21C) == 0);
  // Nothing of the file outside the header (0x1F1 .. 0x26C), nothing of the garbage.
  CHECK(memory.read<uint8_t>(kZeroPage + 0x1EF) == 0);  // sentinel
  CHECK(memory.read<uint8_t>(kZeroPage + 0x26C) == 0);
  CHECK(memory.read<uint8_t>(kZeroPage + 0x100) == 0);
  CHECK(memory.read<uint8_t>(kZeroPage + 0xFFF) == 0);
  // Memory size for kernels that look before e820: 63 MiB above 1 MiB.
  CHECK(memory.read<uint16_t>(kZeroPage + 0x02) == 63 * 1024);
  CHECK(memory.read<uint32_t>(kZeroPage + 0x1E0) == 63 * 1024);
  // screen_info stays zero unless asked for.
  CHECK(memory.read<uint8_t>(kZeroPage + 0x07) == 0);
  CHECK(memory.read<uint8_t>(kZeroPage + 0x0E) == 0);
}

TEST_CASE("linux boot: vga_text_mode describes an 80x25 colour VGA text screen") {
  auto config = config_for();
  config.vga_text_mode = true;
  bus::PhysicalMemory memory(kRam);
  load(memory, make_bzimage(FakeKernel{}), {}, config);
  CHECK(memory.read<uint8_t>(kZeroPage + 0x06) == 3);     // orig_video_mode
  CHECK(memory.read<uint8_t>(kZeroPage + 0x07) == 80);    // orig_video_cols
  CHECK(memory.read<uint8_t>(kZeroPage + 0x0E) == 25);    // orig_video_lines
  CHECK(memory.read<uint8_t>(kZeroPage + 0x0F) == 0x22);  // VIDEO_TYPE_VGAC
  CHECK(memory.read<uint16_t>(kZeroPage + 0x10) == 16);   // orig_video_points
}

TEST_CASE("linux boot: the command line is NUL-terminated at 0x20000, up to cmdline_size") {
  bus::PhysicalMemory memory(kRam);
  const std::string line = "console=ttyS0,115200 root=/dev/ram0 x86lab.test=1";
  load(memory, make_bzimage(FakeKernel{}), {}, config_for(kRam, line));
  const auto bytes = read_back(memory, 0x20000, line.size() + 1);
  CHECK(std::string(bytes.begin(), bytes.end() - 1) == line);
  CHECK(bytes.back() == 0);

  FakeKernel k;
  k.cmdline_size = 16;
  CHECK(error_of(make_bzimage(k), {}, config_for(kRam, std::string(16, 'a'))) == "(no error)");
  CHECK(error_of(make_bzimage(k), {}, config_for(kRam, std::string(17, 'a'))) ==
        "the kernel command line is 17 bytes; kernel 'fake.bzImage' accepts at most 16");
  CHECK(error_of(make_bzimage(k), {}, config_for(kRam, std::string("a\0b", 3))) ==
        "the kernel command line contains a NUL byte; remove it");

  bus::PhysicalMemory empty_line(kRam);
  load(empty_line, make_bzimage(FakeKernel{}), {}, config_for(kRam, ""));
  CHECK(empty_line.read<uint8_t>(0x20000) == 0);
}

TEST_CASE("linux boot: the e820 map of a plain PC, in the result and in boot_params") {
  bus::PhysicalMemory memory(kRam);
  const auto info = load(memory, make_bzimage(FakeKernel{}));
  const std::vector<E820Entry> expected = {
      {0, 0x9FC00, U},
      {0x9FC00, 0x100000 - 0x9FC00, R},
      {0x100000, kRam - 0x100000, U},
  };
  CHECK(info.e820 == expected);
  CHECK(e820_in_zero_page(memory) == expected);
}

TEST_CASE("linux boot: reserved ranges are cut out of RAM, merged, and listed above RAM") {
  const std::vector<firmware::MemoryRange> reserved = {
      {0xFFFC0000, 0x40000},  // BIOS ROM at the top of 4 GiB
      {0x2000000, 0x100000},  // something inside RAM
      {0xF0000, 0x10000},     // BIOS ROM below 1 MiB: inside the legacy hole already
      {0xFEC00000, 0x1000},   // I/O APIC
      {0x3FFF000, 0x2000},    // straddles the end of RAM
  };
  const std::vector<E820Entry> expected = {
      {0, 0x9FC00, U},
      {0x9FC00, 0x100000 - 0x9FC00, R},
      {0x100000, 0x2000000 - 0x100000, U},
      {0x2000000, 0x100000, R},
      {0x2100000, 0x3FFF000 - 0x2100000, U},
      {0x3FFF000, 0x2000, R},
      {0xFEC00000, 0x1000, R},
      {0xFFFC0000, 0x40000, R},
  };
  CHECK(firmware::build_e820_map(kRam, reserved) == expected);

  auto config = config_for();
  config.reserved = reserved;
  bus::PhysicalMemory memory(kRam);
  const auto info = load(memory, make_bzimage(FakeKernel{}), pattern(5000, 1), config);
  CHECK(e820_in_zero_page(memory) == expected);
  // The initrd goes below the reserved range at the end of RAM.
  CHECK(info.initrd_address == ((0x3FFF000 - 5000) & ~0xFFFu));
}

TEST_CASE("linux boot: the initrd goes to the top of RAM, page aligned") {
  const auto initrd = pattern(10000, 5);
  bus::PhysicalMemory memory(kRam);
  const auto info = load(memory, make_bzimage(FakeKernel{}), initrd);
  CHECK(info.initrd_address == 0x3FFD000);  // (64 MiB - 10000) rounded down to a page
  CHECK(info.initrd_size == 10000);
  CHECK(memory.read<uint32_t>(kZeroPage + 0x218) == 0x3FFD000);
  CHECK(memory.read<uint32_t>(kZeroPage + 0x21C) == 10000);
  CHECK(read_back(memory, 0x3FFD000, initrd.size()) == initrd);
}

TEST_CASE("linux boot: the initrd stays below initrd_addr_max") {
  FakeKernel k;
  k.initrd_addr_max = 0x2FFFFFF;
  bus::PhysicalMemory memory(kRam);
  const auto info = load(memory, make_bzimage(k), pattern(0x3000, 2));
  CHECK(info.initrd_address == 0x3000000 - 0x3000);
  CHECK(info.initrd_address + info.initrd_size <= 0x3000000);
}

TEST_CASE("linux boot: the decompression area comes from pref_address, alignment and init_size") {
  FakeKernel k;  // relocatable, 2 MiB alignment, LOAD_PHYSICAL_ADDR 16 MiB, init_size 8 MiB
  bus::PhysicalMemory memory(kRam);
  CHECK(load(memory, make_bzimage(k)).header.decompress_end() == 0x1800000);
  k.kernel_alignment = 0x4000000;  // 64 MiB: rounding 1 MiB up wins over pref_address
  CHECK(firmware::parse_bzimage(make_bzimage(k), "k").decompress_end() == 0x4800000);
  k.relocatable = 0;
  CHECK(firmware::parse_bzimage(make_bzimage(k), "k").decompress_end() == 0x1800000);
}

TEST_CASE("linux boot: too little RAM for the kernel or the initrd is a one-line error") {
  CHECK(error_of(make_bzimage(FakeKernel{}), {}, config_for(20 * kMiB)) ==
        "kernel 'fake.bzImage' needs usable RAM from 1 MiB up to 0x1800000 to decompress; give "
        "at least 24 MiB of memory");
  CHECK(error_of(make_bzimage(FakeKernel{}), {}, config_for(24 * kMiB)) == "(no error)");
  // 40 MiB of initrd fits exactly above the kernel's 24 MiB in 64 MiB of RAM; 1 byte more not.
  CHECK(error_of(make_bzimage(FakeKernel{}), std::vector<uint8_t>(40 * kMiB)) == "(no error)");
  CHECK(error_of(make_bzimage(FakeKernel{}), std::vector<uint8_t>(40 * kMiB + 1)) ==
        "initrd 'fake.cpio.gz' (41 MiB) does not fit above kernel 'fake.bzImage' (which uses "
        "memory up to 0x1800000) below 0x4000000; give at least 65 MiB of memory");
}

TEST_CASE("linux boot: files that are not usable bzImages are refused by name") {
  const std::string not_bz =
      "kernel 'fake.bzImage' is not a Linux bzImage (no 'HdrS' setup header); give the "
      "compressed kernel (vmlinuz, arch/x86/boot/bzImage), not vmlinux";
  CHECK(error_of({}) == not_bz);
  CHECK(error_of(std::vector<uint8_t>(100000, 0)) == not_bz);
  std::vector<uint8_t> elf(100000, 0);
  elf[0] = 0x7F, elf[1] = 'E', elf[2] = 'L', elf[3] = 'F';
  CHECK(error_of(elf) == not_bz);
  auto no_magic = make_bzimage(FakeKernel{});
  no_magic[0x202] = 'X';
  CHECK(error_of(no_magic) == not_bz);

  FakeKernel old;
  old.protocol = 0x0205;
  CHECK(error_of(make_bzimage(old)) ==
        "kernel 'fake.bzImage' uses boot protocol 2.5; x86lab needs 2.06 or later (Linux 2.6.22 "
        "and newer)");

  FakeKernel zimage;
  zimage.loadflags = 0;
  CHECK(error_of(make_bzimage(zimage)) ==
        "kernel 'fake.bzImage' is a zImage (loaded below 1 MiB); x86lab boots bzImage kernels "
        "only");
}

TEST_CASE("linux boot: a file short of its last paragraph is whole (syssize rounds up)") {
  // ipxe.lkrn and memtest86+ declare syssize = ceil(bytes / 16) without padding the file.
  auto image = make_bzimage(FakeKernel{});  // 2560 + 8192 bytes
  image.resize(image.size() - 7);
  CHECK(error_of(image) == "(no error)");
  image.resize(image.size() - 8);  // 15 short: still inside the last paragraph
  CHECK(error_of(image) == "(no error)");
}

TEST_CASE("linux boot: a truncated bzImage is refused") {
  auto image = make_bzimage(FakeKernel{});  // 2560 + 8192 bytes
  image.resize(image.size() - 16);
  CHECK(error_of(image) ==
        "kernel 'fake.bzImage' is truncated: the header declares 10752 bytes, the file has "
        "10736; download it again");
  image.resize(2560);  // the setup code only
  CHECK(error_of(image) ==
        "kernel 'fake.bzImage' is truncated: 2560 bytes, shorter than its own setup code (2560 "
        "bytes); download it again");
  image.resize(0x240);  // cut inside the setup header
  CHECK(error_of(image).starts_with("kernel 'fake.bzImage' is truncated: 576 bytes"));
}

TEST_CASE("linux boot: files named by path: missing, a directory, larger than RAM") {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("x86lab-linux-boot-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto write = [&](const std::string& name, const std::vector<uint8_t>& bytes) {
    std::ofstream out(dir / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    return (dir / name).string();
  };
  const auto error_for = [&](firmware::LinuxBootConfig config) -> std::string {
    bus::PhysicalMemory memory(config.ram_bytes);
    try {
      firmware::load_linux(memory, config);
    } catch (const FirmwareError& e) {
      return e.what();
    }
    return "(no error)";
  };

  auto config = config_for();
  config.kernel_path = write("bzImage", make_bzimage(FakeKernel{}));
  config.initrd_path = write("initrd", pattern(3000, 4));
  CHECK(error_for(config) == "(no error)");
  {
    bus::PhysicalMemory memory(kRam);
    const auto info = firmware::load_linux(memory, config);
    CHECK(info.initrd_size == 3000);
    CHECK(read_back(memory, info.initrd_address, 3000) == pattern(3000, 4));
  }

  auto missing = config;
  missing.kernel_path = (dir / "nope").string();
  CHECK(error_for(missing) == "kernel '" + missing.kernel_path + "' not found; check the path");
  auto directory = config;
  directory.initrd_path = dir.string();
  CHECK(error_for(directory) ==
        "initrd '" + dir.string() + "' is a directory; give the path of a file");
  auto empty = config;
  empty.initrd_path = write("empty", {});
  CHECK(error_for(empty) == "initrd '" + empty.initrd_path + "' is empty; give a cpio archive");
  auto huge = config;
  huge.ram_bytes = 4 * kMiB;
  huge.initrd_path = write("huge", std::vector<uint8_t>(5 * kMiB));
  CHECK(error_for(huge) == "initrd '" + huge.initrd_path +
                               "' is 5 MiB, larger than the 4 MiB of RAM it must fit in; give "
                               "more memory with -m");
  fs::remove_all(dir);
}

TEST_CASE("linux boot: the entry state is flat 32-bit protected mode at code32_start") {
  // The kernel's first instructions: copy the "HdrS" magic from boot_params (through DS and
  // ESI) to 3 MiB, push and pop through SS, and halt.
  FakeKernel k;
  k.payload = {
      0x8B, 0x86, 0x02, 0x02, 0x00, 0x00,        // mov eax, [esi+0x202]
      0xA3, 0x00, 0x00, 0x30, 0x00,              // mov [0x300000], eax
      0x26, 0x89, 0x35, 0x04, 0x00, 0x30, 0x00,  // mov [es:0x300004], esi
      0x68, 0x78, 0x56, 0x34, 0x12,              // push 0x12345678
      0x5B,                                      // pop ebx
      0x89, 0x1D, 0x08, 0x00, 0x30, 0x00,        // mov [0x300008], ebx
      0xF4,                                      // hlt
  };
  k.payload.resize(64, 0x90);
  bus::PhysicalMemory memory(kRam);
  bus::IoSpace io;
  cpu::Cpu cpu(cpu::CpuModel::PentiumPro, memory, io);
  const auto info = load(memory, make_bzimage(k));
  firmware::apply_linux_entry_state(cpu, info.entry);

  const cpu::Registers& regs = cpu.regs();
  CHECK(regs.eip == 0x100000);
  CHECK(regs.gpr[cpu::kEsi] == firmware::kBootParamsAddress);
  CHECK(regs.gpr[cpu::kEbx] == 0);
  CHECK(regs.gpr[cpu::kEbp] == 0);
  CHECK(regs.gpr[cpu::kEdi] == 0);
  CHECK((regs.cr0 & 1) == 1);
  CHECK((regs.cr0 & 0x80000000u) == 0);
  CHECK((cpu.eflags() & cpu::flag::kIf) == 0);
  CHECK(regs.gdtr.base == firmware::kBootGdtAddress);
  CHECK(regs.gdtr.limit == 31);
  CHECK(regs.seg[cpu::kCs].selector == 0x10);
  CHECK(regs.seg[cpu::kCs].big);
  CHECK(regs.seg[cpu::kCs].base == 0);
  CHECK(regs.seg[cpu::kCs].limit == 0xFFFFFFFFu);
  for (unsigned seg : {cpu::kDs, cpu::kEs, cpu::kSs, cpu::kFs, cpu::kGs}) {
    CAPTURE(seg);
    CHECK(regs.seg[seg].selector == 0x18);
    CHECK(regs.seg[seg].base == 0);
    CHECK(regs.seg[seg].limit == 0xFFFFFFFFu);
    CHECK(regs.seg[seg].big);
  }
  CHECK(cpu.cpl() == 0);
  CHECK(cpu.a20());

  cpu.run(100);
  CHECK(cpu.halted());
  CHECK(memory.read<uint32_t>(0x300000) == 0x53726448);
  CHECK(memory.read<uint32_t>(0x300004) == firmware::kBootParamsAddress);
  CHECK(memory.read<uint32_t>(0x300008) == 0x12345678);
  CHECK(regs.eip == 0x100000 + 31);
}

TEST_CASE("linux boot: the GDT in guest memory holds flat code at 0x10 and flat data at 0x18") {
  bus::PhysicalMemory memory(kRam);
  load(memory, make_bzimage(FakeKernel{}));
  const uint32_t gdt = firmware::kBootGdtAddress;
  CHECK(memory.read<uint32_t>(gdt + 0x00) == 0);
  CHECK(memory.read<uint32_t>(gdt + 0x0C) == 0);
  CHECK(memory.read<uint32_t>(gdt + 0x10) == 0x0000FFFF);
  CHECK(memory.read<uint32_t>(gdt + 0x14) == 0x00CF9B00);
  CHECK(memory.read<uint32_t>(gdt + 0x18) == 0x0000FFFF);
  CHECK(memory.read<uint32_t>(gdt + 0x1C) == 0x00CF9300);
}

TEST_CASE("linux boot: a CPU older than the 386 cannot take the 32-bit entry") {
  bus::PhysicalMemory memory(kRam);
  bus::IoSpace io;
  cpu::Cpu cpu(cpu::CpuModel::I80286, memory, io);
  CHECK_THROWS_AS(firmware::apply_linux_entry_state(cpu, firmware::LinuxEntryState{}),
                  std::invalid_argument);
}
