// The debugging options' declarations and parsing, kept out of cli.cpp: --monitor, --gdb, -s,
// -S, --trace, --magic-break (docs/debugging.md).
#pragma once

#include <boost/program_options.hpp>
#include <charconv>
#include <string>
#include <string_view>

#include "frontend/cli.hpp"
#include "frontend/debug_options.hpp"

namespace x86lab::frontend {

inline void add_debug_cli_options(boost::program_options::options_description& group) {
  namespace po = boost::program_options;
  group.add_options()  //
      ("monitor", po::value<std::string>()->value_name("DEV"),
       "monitor console: stdio (commands on standard input) or none")  //
      ("gdb", po::value<std::string>()->value_name("DEV"),
       "gdb stub listening on 127.0.0.1, e.g. tcp::1234")              //
      (",s", "shorthand for --gdb tcp::1234")                          //
      (",S", "do not start the CPU until the monitor or gdb says so")  //
      ("trace", po::value<std::string>()->value_name("FILE"),
       "write one line per instruction (CS:EIP, bytes, disassembly, registers) to FILE")  //
      ("magic-break", "stop into the monitor on the Bochs magic breakpoint (xchg bx,bx)");
}

// A gdb device: tcp::PORT, tcp:127.0.0.1:PORT, tcp:localhost:PORT or a bare port number.
inline uint16_t parse_gdb_device(std::string_view text) {
  std::string_view port = text;
  for (std::string_view prefix : {"tcp::", "tcp:127.0.0.1:", "tcp:localhost:", ":"}) {
    if (text.starts_with(prefix)) {
      port = text.substr(prefix.size());
      break;
    }
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
      value > 65535) {
    throw UsageError("invalid --gdb '" + std::string(text) +
                     "'; give tcp::PORT (the stub listens on 127.0.0.1 only)");
  }
  return static_cast<uint16_t>(value);
}

inline DebugOptions parse_debug_cli_options(const boost::program_options::variables_map& vm) {
  DebugOptions options;
  if (vm.count("monitor")) {
    const std::string device = vm["monitor"].as<std::string>();
    if (device == "stdio") {
      options.monitor_stdio = true;
    } else if (device != "none") {
      throw UsageError("invalid --monitor '" + device + "'; valid: stdio, none");
    }
  }
  if (vm.count("-s")) options.gdb_port = 1234;
  if (vm.count("gdb")) {
    const std::string device = vm["gdb"].as<std::string>();
    if (device != "none") options.gdb_port = parse_gdb_device(device);
  }
  options.start_paused = vm.count("-S") != 0;
  if (options.start_paused && !options.monitor_stdio && !options.gdb_port) {
    throw UsageError("-S needs --monitor stdio or a gdb stub (--gdb, -s) to start the CPU");
  }
  if (vm.count("trace")) {
    options.trace_file = vm["trace"].as<std::string>();
    if (options.trace_file.empty()) throw UsageError("--trace needs a file name");
  }
  options.magic_break = vm.count("magic-break") != 0;
  return options;
}

}  // namespace x86lab::frontend
