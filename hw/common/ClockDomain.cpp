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
  SC_METHOD(on_resume);
  sensitive << resume_;
  dont_initialize();
}

void ClockDomain::start_of_simulation() {
  if (!gating_) want(0);
}

bool ClockDomain::goes_on(uint64_t c) {
  // The domain's own wishes and inbound items all come at or after cycle c.
  if (!later_.empty() || inbound_ps_ != kNone || armed_ != kNone) return true;
  if (!sc_pending_activity()) return false;
  const uint64_t now = ctx_->time_stamp().value();
  const uint64_t due = now + sc_time_to_pending_activity().value();
  if (due >= c * period_.value()) return true;
  // Whether anything follows what is due is known only once it has run.
  resume_.notify(sc_time::from_value(due - now));
  return false;
}

void ClockDomain::on_resume() {
  if (goes_on(last_fired_ + 1)) want(last_fired_ + 1);
}

void ClockDomain::wake_at(const sc_time& t) { want(edge_at_or_after(t.value())); }

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

bool ClockDomain::may_run_ahead(uint64_t c) {
  if (!run_ahead_) return false;
  // Asking the kernel costs about as much as a small block's tick, so the answer is kept
  // until a tick schedules something (lead()) or a new activation starts.
  if (!ahead_ || !horizon_) {
    const uint64_t now = ctx_->time_stamp().value();
    const uint64_t to_next = sc_time_to_pending_activity().value();
    if (ahead_ && now + to_next < now_ps())
      SC_REPORT_ERROR(name(), "a tick run ahead scheduled work before its cycle: add lead() to the delay");
    horizon_ = now + to_next;
  }
  // Strictly before: at the edge's own time another process could run first, which only the
  // kernel orders.
  return c * period_.value() < horizon_;
}

void ClockDomain::land_due(uint64_t t_ps) {
  for (;;) {
    Inbound* first = nullptr;
    uint64_t at = Inbound::kNoneDue;
    for (Inbound* in : inbound_) {
      const uint64_t due = in->next_due_ps();
      if (due < at) {
        at = due;
        first = in;
      }
    }
    inbound_ps_ = at;
    if (at > t_ps) return;
    const bool ahead = ahead_;
    const uint64_t cycle = ahead_cycle_, ps = ahead_ps_;
    ahead_ = true;
    ahead_ps_ = at;
    ahead_cycle_ = at / period_.value();
    first->land_next();
    ahead_ = ahead;
    ahead_cycle_ = cycle;
    ahead_ps_ = ps;
  }
}

void ClockDomain::on_edge() {
  ++activations_;
  uint64_t now = cycle();
  for (;;) {
    if (inbound_ps_ <= now * period_.value()) land_due(now * period_.value());
    for (Clocked* b : ticks_) b->tick();
    last_fired_ = now;
    ++active_cycles_;
    edge_toggle_ = !edge_toggle_;
    // As SystemC's update phase followed every process. The edge being evaluated still
    // counts as armed, so a channel holding items asks for the following cycle through
    // next_ like a block does.
    for (Committable* c : committables_)
      if (c->dirty_) {
        c->dirty_ = false;
        c->commit(now);
      }
    armed_ = kNone;
    while (!later_.empty() && later_.top() <= now) later_.pop();
    if (next_ != now + 1 && inbound_cycle(now) != now + 1 && (gating_ || !goes_on(now + 1))) break;
    if (!may_run_ahead(now + 1)) {
      arm(now + 1);  // nothing in `later_` can come earlier
      ahead_ = false;
      return;
    }
    ahead_ = true;
    ahead_cycle_ = ++now;
    ahead_ps_ = now * period_.value();
    armed_ = now;
  }
  // The next edge: the earliest wish in `later_`, or the next inbound item's.
  uint64_t c = inbound_cycle(now);
  if (!later_.empty() && later_.top() <= c) {
    c = later_.top();
    later_.pop();
  }
  if (c != kNone) {
    arm(c);
  } else if (ahead_) {
    idle_.notify(lead());  // the kernel's time still reaches the last cycle evaluated
  }
  ahead_ = false;
}

}  // namespace nic::hw
