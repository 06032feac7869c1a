#include <doctest/doctest.h>

#include <cstdlib>
#include <new>
#include <vector>

#include "bus/clock.hpp"

// Counts heap allocations in this test binary, to check the clock's hot path makes none.
namespace {
std::size_t g_allocations = 0;
}
void* operator new(std::size_t size) {
  ++g_allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using x86lab::bus::Clock;
using x86lab::bus::EventHandle;
using x86lab::bus::kNoDeadline;

TEST_CASE("clock starts at zero with no deadline") {
  Clock clock;
  CHECK(clock.now() == 0);
  CHECK(clock.next_deadline() == kNoDeadline);
}

TEST_CASE("clock runs events in deadline order with now() at each deadline") {
  Clock clock;
  std::vector<std::pair<int, uint64_t>> ran;
  clock.schedule(300, [&](uint64_t) { ran.push_back({3, clock.now()}); });
  clock.schedule(100, [&](uint64_t) { ran.push_back({1, clock.now()}); });
  clock.schedule(200, [&](uint64_t) { ran.push_back({2, clock.now()}); });
  CHECK(clock.next_deadline() == 100);
  clock.advance_to(250);
  REQUIRE(ran.size() == 2);
  CHECK(ran[0] == std::pair<int, uint64_t>{1, 100});
  CHECK(ran[1] == std::pair<int, uint64_t>{2, 200});
  CHECK(clock.now() == 250);
  CHECK(clock.next_deadline() == 300);
  clock.advance_to(300);
  REQUIRE(ran.size() == 3);
  CHECK(ran[2] == std::pair<int, uint64_t>{3, 300});
  CHECK(clock.next_deadline() == kNoDeadline);
}

TEST_CASE("clock breaks ties by insertion order") {
  Clock clock;
  std::vector<int> ran;
  for (int i = 0; i < 10; ++i) clock.schedule(500, [&ran, i](uint64_t) { ran.push_back(i); });
  clock.advance_to(500);
  CHECK(ran == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("clock cancel stops an event and tolerates stale handles") {
  Clock clock;
  int a = 0, b = 0;
  EventHandle ha = clock.schedule(10, [&](uint64_t) { ++a; });
  EventHandle hb = clock.schedule(20, [&](uint64_t) { ++b; });
  CHECK(clock.pending(ha));
  CHECK(clock.cancel(ha));
  CHECK_FALSE(ha.valid());
  CHECK_FALSE(clock.cancel(ha));
  CHECK(clock.next_deadline() == 20);
  EventHandle hb_copy = hb;
  clock.advance_to(100);
  CHECK(a == 0);
  CHECK(b == 1);
  CHECK_FALSE(clock.pending(hb_copy));
  CHECK_FALSE(clock.cancel(hb_copy));  // already ran
  // The slot is reused: the old handle must not cancel the new event.
  EventHandle old = hb;
  EventHandle hc = clock.schedule(150, [&](uint64_t) { ++a; });
  CHECK_FALSE(clock.cancel(old));
  CHECK(clock.pending(hc));
  clock.advance_to(200);
  CHECK(a == 1);
}

TEST_CASE("clock runs events that callbacks schedule inside the window") {
  Clock clock;
  std::vector<uint64_t> times;
  Clock::Callback tick;
  tick = [&](uint64_t when) {
    times.push_back(when);
    if (times.size() < 5) clock.schedule(when + 1000, tick);
  };
  clock.schedule(1000, tick);
  clock.advance_to(3500);
  CHECK(times == std::vector<uint64_t>{1000, 2000, 3000});
  CHECK(clock.next_deadline() == 4000);
  clock.advance_to(100000);
  CHECK(times == std::vector<uint64_t>{1000, 2000, 3000, 4000, 5000});
  CHECK(clock.pending_count() == 0);
}

TEST_CASE("clock never goes backwards and runs past-due events on run_due_events") {
  Clock clock;
  clock.advance_to(1000);
  clock.advance_to(500);
  CHECK(clock.now() == 1000);
  uint64_t seen = 0;
  clock.schedule(10, [&](uint64_t when) { seen = when; });
  clock.run_due_events();
  CHECK(seen == 10);
  CHECK(clock.now() == 1000);
}

TEST_CASE("clock reset drops events and time") {
  Clock clock;
  int ran = 0;
  clock.schedule(10, [&](uint64_t) { ++ran; });
  clock.advance_to(5);
  clock.reset();
  CHECK(clock.now() == 0);
  CHECK(clock.next_deadline() == kNoDeadline);
  clock.advance_to(100);
  CHECK(ran == 0);
}

TEST_CASE("clock schedules and runs events without allocating once warmed up") {
  Clock clock;
  struct Device {
    Clock* clock;
    uint64_t period;
    uint64_t fired = 0;
    EventHandle handle;
    void arm(uint64_t when) {
      handle = clock->schedule(when, [this](uint64_t at) {
        ++fired;
        arm(at + period);
      });
    }
  };
  Device a{&clock, 7, 0, {}}, b{&clock, 11, 0, {}};
  a.arm(7);
  b.arm(11);
  clock.advance_to(10'000);  // warm up: the slot and heap vectors reach their size
  // Cancelling and re-arming, as a device reprogrammed by the guest does.
  clock.cancel(b.handle);
  b.arm(clock.now() + 11);
  clock.advance_to(20'000);
  const std::size_t before = g_allocations;
  for (int i = 0; i < 1000; ++i) {
    clock.cancel(b.handle);
    b.arm(clock.now() + 11);
    clock.advance_to(clock.now() + 13);
  }
  clock.advance_to(clock.now() + 1'000'000);
  CHECK(g_allocations == before);
  CHECK(a.fired > 100'000);
}

// The machine watches while a slice of instructions runs: an event a device schedules before
// the slice's end must end the slice early, one after it or outside the watch must not.
TEST_CASE("an event scheduled before the watched instant calls the early-event hook") {
  Clock clock;
  int calls = 0;
  clock.set_early_event_hook([&] { ++calls; });
  clock.schedule(50, [](uint64_t) {});  // no watch: nothing
  CHECK(calls == 0);
  clock.watch_until(1'000);
  clock.schedule(2'000, [](uint64_t) {});  // after the slice
  CHECK(calls == 0);
  clock.schedule(999, [](uint64_t) {});
  CHECK(calls == 1);
  clock.watch_until(0);
  clock.schedule(10, [](uint64_t) {});
  CHECK(calls == 1);
  clock.watch_until(1'000);
  clock.reset();  // a machine reset ends the watch
  clock.schedule(10, [](uint64_t) {});
  CHECK(calls == 1);
}
