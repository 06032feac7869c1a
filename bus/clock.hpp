// The virtual clock: guest time in nanoseconds and the events devices schedule on it. The
// machine advances time (advance_to) and runs what fell due; the CPU asks next_deadline() to
// know how far it may run before a device needs attention. Nothing here polls.
//
// Events due at the same instant run in the order they were scheduled, so a run is a
// function of its inputs only. Event slots and the deadline heap are reused, so scheduling
// allocates nothing once they have grown (callbacks that capture a pointer or two fit in
// std::function's inline storage).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

namespace x86lab::bus {

inline constexpr uint64_t kNoDeadline = std::numeric_limits<uint64_t>::max();
inline constexpr uint64_t kNanosPerSecond = 1'000'000'000;

// Names one scheduled event. A default-made handle names nothing; cancelling it, or a handle
// whose event already ran, is harmless.
struct EventHandle {
  uint32_t slot = 0;
  uint32_t generation = 0;
  bool valid() const { return generation != 0; }
};

class Clock {
 public:
  // The callback receives the instant it was scheduled for (also now() while it runs, unless
  // it was scheduled in the past): a periodic device reschedules from it without drift.
  using Callback = std::function<void(uint64_t when_ns)>;

  Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;

  uint64_t now() const { return now_ns_; }

  // Schedules callback at when_ns (a time in the past runs at the next run_due_events()).
  EventHandle schedule(uint64_t when_ns, Callback callback);
  // Cancels a pending event; returns whether it was still pending.
  bool cancel(EventHandle& handle);
  bool pending(EventHandle handle) const;

  // The earliest pending deadline, kNoDeadline when nothing is scheduled.
  uint64_t next_deadline();

  // Runs every event due at or before target in deadline order, with now() equal to each
  // event's deadline while it runs (events it schedules at or before target run too), then
  // sets now() to target. Time never goes backwards: an earlier target only runs due events.
  void advance_to(uint64_t target_ns);
  void advance_by(uint64_t delta_ns) { advance_to(now_ns_ + delta_ns); }
  // Runs the events due at or before now().
  void run_due_events() { advance_to(now_ns_); }

  // Drops every event and sets time back to zero.
  void reset();

  // While the CPU runs a slice of instructions up to until_ns, an event scheduled before then
  // (a device that answers an I/O access after a short delay) calls hook, so that the slice
  // ends there instead of leaving the guest to poll the device for the rest of it. Events are
  // scheduled between slices too; the machine watches only while a slice runs.
  void set_early_event_hook(std::function<void()> hook) { early_event_hook_ = std::move(hook); }
  void watch_until(uint64_t until_ns) { watch_until_ns_ = until_ns; }

  std::size_t pending_count() const { return live_events_; }

 private:
  struct Slot {
    Callback callback;
    uint32_t generation = 1;
    bool armed = false;
  };
  struct HeapEntry {
    uint64_t when;
    uint64_t sequence;  // insertion order breaks ties
    uint32_t slot;
    uint32_t generation;
  };
  static bool later(const HeapEntry& a, const HeapEntry& b) {
    return a.when != b.when ? a.when > b.when : a.sequence > b.sequence;
  }
  bool stale(const HeapEntry& e) const {
    return !slots_[e.slot].armed || slots_[e.slot].generation != e.generation;
  }
  void drop_stale_top();

  uint64_t now_ns_ = 0;
  uint64_t next_sequence_ = 0;
  std::size_t live_events_ = 0;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  std::vector<HeapEntry> heap_;  // min-heap by (when, sequence); cancelled entries linger
  uint64_t watch_until_ns_ = 0;  // no watch
  std::function<void()> early_event_hook_;
};

}  // namespace x86lab::bus
