#include "bus/clock.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace x86lab::bus {

EventHandle Clock::schedule(uint64_t when_ns, Callback callback) {
  uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  slot.callback = std::move(callback);
  slot.armed = true;
  heap_.push_back(HeapEntry{when_ns, next_sequence_++, index, slot.generation});
  std::push_heap(heap_.begin(), heap_.end(), later);
  ++live_events_;
  if (when_ns < watch_until_ns_ && early_event_hook_) early_event_hook_();
  return EventHandle{index, slot.generation};
}

bool Clock::pending(EventHandle handle) const {
  return handle.valid() && handle.slot < slots_.size() && slots_[handle.slot].armed &&
         slots_[handle.slot].generation == handle.generation;
}

bool Clock::cancel(EventHandle& handle) {
  const bool was_pending = pending(handle);
  if (was_pending) {
    Slot& slot = slots_[handle.slot];
    slot.armed = false;
    slot.callback = nullptr;
    // A new generation makes the heap entry stale; it is dropped when it reaches the top.
    // The slot is reused only after that, so one heap entry names a slot at a time.
    --live_events_;
  }
  handle = EventHandle{};
  return was_pending;
}

void Clock::drop_stale_top() {
  while (!heap_.empty() && stale(heap_.front())) {
    const uint32_t index = heap_.front().slot;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
    Slot& slot = slots_[index];
    if (++slot.generation == 0) slot.generation = 1;
    free_slots_.push_back(index);
  }
}

uint64_t Clock::next_deadline() {
  drop_stale_top();
  return heap_.empty() ? kNoDeadline : heap_.front().when;
}

void Clock::advance_to(uint64_t target_ns) {
  for (;;) {
    drop_stale_top();
    if (heap_.empty() || heap_.front().when > target_ns) break;
    const HeapEntry entry = heap_.front();
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
    Slot& slot = slots_[entry.slot];
    Callback callback = std::move(slot.callback);
    slot.callback = nullptr;
    slot.armed = false;
    if (++slot.generation == 0) slot.generation = 1;
    free_slots_.push_back(entry.slot);
    --live_events_;
    now_ns_ = std::max(now_ns_, entry.when);
    callback(entry.when);
  }
  now_ns_ = std::max(now_ns_, target_ns);
}

void Clock::reset() {
  now_ns_ = 0;
  watch_until_ns_ = 0;
  next_sequence_ = 0;
  live_events_ = 0;
  for (auto& slot : slots_) {
    slot.callback = nullptr;
    slot.armed = false;
    if (++slot.generation == 0) slot.generation = 1;
  }
  heap_.clear();
  free_slots_.clear();
  for (uint32_t i = static_cast<uint32_t>(slots_.size()); i-- > 0;) free_slots_.push_back(i);
}

}  // namespace x86lab::bus
