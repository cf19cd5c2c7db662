#include "hw/common/ClockDomain.hpp"

#include <cmath>

namespace nic::hw {

using namespace sc_core;

ClockDomain::ClockDomain(sc_module_name name, double mhz)
    : sc_module(name), period_(std::round(1e6 / mhz), SC_PS) {
  SC_HAS_PROCESS(ClockDomain);
  SC_METHOD(on_edge);
  sensitive << edge_;
  dont_initialize();
}

void ClockDomain::wake_at(const sc_time& t) {
  const uint64_t p = period_.value();
  want((t.value() + p - 1) / p);
}

void ClockDomain::want(uint64_t c) {
  const uint64_t now = cycle();
  // An edge cannot fire twice in one cycle.
  if (last_fired_ != kNone && c <= last_fired_) c = last_fired_ + 1;
  if (c < now) c = now;
  if (c == armed_) return;
  if (armed_ != kNone && armed_ <= now) {
    // This cycle's edge is firing and on_edge has not armed the next one yet: it will.
    if (c == now + 1)
      next_ = c;
    else
      later_.push(c);
    return;
  }
  if (armed_ != kNone) {
    if (c > armed_) {
      later_.push(c);
      return;
    }
    later_.push(armed_);  // overridden by an earlier edge; re-armed after that one
  }
  arm(c);
}

void ClockDomain::arm(uint64_t c) {
  armed_ = c;
  // In integer time units: once per cycle, and sc_time arithmetic goes through doubles.
  const uint64_t at = c * period_.value();
  const uint64_t now = ctx_->time_stamp().value();
  if (at <= now)
    edge_.notify(SC_ZERO_TIME);
  else
    edge_.notify(sc_time::from_value(at - now));
}

void ClockDomain::on_edge() {
  for (Clocked* b : ticks_) b->tick();
  const uint64_t now = cycle();
  last_fired_ = now;
  armed_ = kNone;
  ++active_cycles_;
  while (!later_.empty() && later_.top() <= now) later_.pop();
  if (next_ == now + 1) {
    arm(next_);  // nothing in `later_` can come earlier
  } else if (!later_.empty()) {
    const uint64_t c = later_.top();
    later_.pop();
    arm(c);
  }
  // Last, as SystemC's update phase followed every process: a channel holding items asks
  // for the next cycle after the next edge was armed, which keeps the kernel's event
  // queue, and so the order of simultaneous events, what it was with one process per block.
  for (Committable* c : committables_)
    if (c->dirty_) {
      c->dirty_ = false;
      c->commit(now);
    }
}

}  // namespace nic::hw
