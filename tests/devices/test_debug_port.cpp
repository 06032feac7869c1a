#include <doctest/doctest.h>

#include <string>

#include "bus/io_space.hpp"
#include "devices/debug_port.hpp"

using namespace x86lab;

TEST_CASE("debug port 0xE9 sends bytes to the console callback and reads back 0xE9") {
  bus::IoSpace io;
  devices::DebugPort port;
  port.register_ports(io);
  std::string console, firmware;
  port.set_console_output([&](uint8_t b) { console.push_back(static_cast<char>(b)); });
  port.set_firmware_log_output([&](uint8_t b) { firmware.push_back(static_cast<char>(b)); });
  for (char c : std::string("hi\n")) io.write(0xE9, 1, static_cast<uint8_t>(c));
  io.write(0x402, 1, 'S');
  CHECK(console == "hi\n");
  CHECK(firmware == "S");
  CHECK(io.read(0xE9, 1) == 0xE9);
  CHECK(io.read(0x402, 1) == 0xE9);
  CHECK(port.state().console_bytes == 3);
  CHECK(port.state().firmware_log_bytes == 1);
}

TEST_CASE("debug port works without callbacks and two machines keep separate ports") {
  bus::IoSpace io_a, io_b;
  devices::DebugPort a, b;
  a.register_ports(io_a);
  b.register_ports(io_b);
  io_a.write(0xE9, 1, 'x');
  CHECK(a.state().console_bytes == 1);
  CHECK(b.state().console_bytes == 0);
}
