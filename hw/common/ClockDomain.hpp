// A gated clock: edges fire only while some block has work, so idle stretches of a trace
// cost no simulation activity, yet every active cycle stays aligned to the clock grid.
//
// Blocks attach() themselves; one process ticks them all at each edge. During a tick a block
// (or a channel as it commits) calls request_next() when it needs the following cycle too; an
// external source (the MAC's arrival schedule) calls wake_at() for a future time.
//
// Running ahead: when the following cycle is wanted and no other process has anything to do
// up to and including that cycle's edge, the domain evaluates it in the same activation
// instead of asking the kernel for another time step (the kernel's timed notification and
// scheduling cost more per cycle than most blocks' work). The blocks then see the domain's
// time (cycle(), now_ps()) ahead of the kernel's by lead(): whatever a tick hands to another
// process (a TLM call's delay, an event notification) adds lead(), so it happens at the same
// simulated time as without running ahead. Waveforms sample at kernel time steps, so a
// replay turns running ahead off while a trace file is open (set_run_ahead).
//
// Gating off (set_gating), the clock ticks every cycle from time zero for as long as the
// simulation goes on: an oracle for gating, since no result may depend on which idle cycles
// were skipped.
#pragma once
#include <systemc>

#include <cstdint>
#include <queue>
#include <vector>

namespace nic::hw {

class ClockDomain : public sc_core::sc_module {
 public:
  ClockDomain(sc_core::sc_module_name name, double mhz);

  // A block with work every cycle. One SystemC process calls every attached block's tick() at
  // each edge, latest attached first, then arms the next edge: a process activation per block
  // and cycle cost more than most blocks' work. (Blocks are built source to sink, so sinks
  // tick first: the order SystemC ran one method per block in, last registered first.)
  class Clocked {
   public:
    virtual void tick() = 0;

   protected:
    ~Clocked() = default;
  };
  void attach(Clocked& block) { ticks_.insert(ticks_.begin(), &block); }

  // A two-phase element of this domain (a channel): what ticks change in it becomes visible
  // when the domain commits it, after every tick of the cycle. Only ticks may change it.
  class Committable {
   public:
    explicit Committable(ClockDomain& clk) { clk.committables_.push_back(this); }
    Committable(const Committable&) = delete;
    Committable& operator=(const Committable&) = delete;

   protected:
    ~Committable() = default;
    void touched() { dirty_ = true; }  // commit at the end of this cycle's ticks

   private:
    friend class ClockDomain;
    virtual void commit(uint64_t cycle) = 0;
    bool dirty_ = false;
  };

  // A source outside the domain whose items land in it at arbitrary times (the PCIe link's
  // DMA responses and posted register writes). The domain lands them itself, in time order,
  // just before the ticks of the first edge at or after each item's time, so they cost no
  // process activation and do not stop it running ahead. The model's rule follows: an item
  // landing exactly at an edge's time is seen by that edge's ticks.
  class Inbound {
   public:
    static constexpr uint64_t kNoneDue = UINT64_MAX;
    // Time (ps) of the earliest item still to land; kNoneDue if there is none.
    virtual uint64_t next_due_ps() const = 0;
    // Lands that item. Meanwhile the domain's time (now_ps, cycle) is the item's; whatever
    // the landing schedules for another process must be followed by handed_off().
    virtual void land_next() = 0;

   protected:
    ~Inbound() = default;
  };
  void add_inbound(Inbound& in) { inbound_.push_back(&in); }
  // An inbound item was queued for time `t_ps`, or an item's time moved earlier: make sure an
  // edge fires for it, the first one at or after `t_ps`, which lands it whether or not the
  // clock had other work then (an item due exactly at an edge is seen by that edge).
  // An Inbound must call it whenever its next_due_ps() becomes earlier.
  void wake_for(uint64_t t_ps) {
    // Only the earliest item needs an edge now: the edges arm the next item's as items land.
    if (t_ps >= inbound_ps_) return;
    inbound_ps_ = t_ps;
    want(edge_at_or_after(t_ps));
  }
  // Lands every inbound item due at or before `t_ps` now, e.g. before a register read that
  // must see the writes ahead of it on the link.
  void land_due(uint64_t t_ps);

  const sc_core::sc_time& period() const { return period_; }

  // Keep the clock running for the cycle after the current one (the hot path: cheap when the
  // next edge is already armed).
  void request_next() {
    const uint64_t c = cycle() + 1;
    if (armed_ != c && next_ != c) want(c);
  }
  // Make sure an edge fires at the first clock edge at or after `t`.
  void wake_at(const sc_core::sc_time& t);

  // Index of the current clock cycle: simulated time divided by the period. Blocks ask several
  // times per cycle, so the simulation context is looked up once and the quotient is kept for
  // the current time.
  uint64_t cycle() const {
    if (ahead_) return ahead_cycle_;
    const uint64_t t = ctx_->time_stamp().value();
    if (t != memo_time_) {
      memo_time_ = t;
      memo_cycle_ = t / period_.value();
    }
    return memo_cycle_;
  }
  // The domain's current time in ps: the kernel's, the cycle being run ahead, or the time of
  // the inbound item landing.
  uint64_t now_ps() const { return ahead_ ? ahead_ps_ : ctx_->time_stamp().value(); }
  // How far the domain's time is ahead of the kernel's (zero unless running ahead): the
  // delay a tick adds to what it schedules for "now" in another process.
  sc_core::sc_time lead() const {
    if (!ahead_) return sc_core::SC_ZERO_TIME;
    handed_off();
    const uint64_t k = ctx_->time_stamp().value();
    return sc_core::sc_time::from_value(ahead_ps_ > k ? ahead_ps_ - k : 0);
  }
  // Something was scheduled for another process (lead() says so itself): the domain asks the
  // kernel again before it runs further ahead.
  void handed_off() const { horizon_ = 0; }
  // Off: every cycle is its own kernel time step (waveforms need that).
  void set_run_ahead(bool on) { run_ahead_ = on; }
  // Off: an edge every cycle from time zero until nothing else is left to simulate. Set it
  // before the simulation starts.
  void set_gating(bool on) { gating_ = on; }
  uint64_t cycle_at(const sc_core::sc_time& t) const {
    return uint64_t(t.value() / period_.value());
  }
  sc_core::sc_time time_of(uint64_t cycle) const { return period_ * double(cycle); }
  // Cycles in which an edge actually fired (the ones the blocks were evaluated in).
  uint64_t active_cycles() const { return active_cycles_; }
  // Kernel activations of the domain's process: fewer than active cycles by the ones run ahead.
  uint64_t activations() const { return activations_; }
  // Waveform: the count of evaluated cycles steps once per active edge, flat while gated.
  // `edge` toggles at every edge evaluated: the domain's clock at half its rate, gaps where
  // it was gated.
  void trace(sc_core::sc_trace_file* tf) const {
    sc_core::sc_trace(tf, edge_toggle_, std::string(name()) + ".edge");
    sc_core::sc_trace(tf, active_cycles_, std::string(name()) + ".active_cycles");
  }

 private:
  static constexpr uint64_t kNone = UINT64_MAX;
  void want(uint64_t c);
  void arm(uint64_t c);
  void on_edge();
  void start_of_simulation() override;
  bool may_run_ahead(uint64_t c);
  // Ungated: whether the simulation lasts until cycle c's edge, i.e. the next thing due (the
  // domain's own wishes and inbound items included) is at or after it. When it is not, and
  // something is due before, resume_ fires then to ask again.
  bool goes_on(uint64_t c);
  void on_resume();
  uint64_t edge_at_or_after(uint64_t t_ps) const {
    return (t_ps + period_.value() - 1) / period_.value();
  }
  // The edge the next inbound item needs, never before the one after cycle `now`; kNone if
  // no item waits.
  uint64_t inbound_cycle(uint64_t now) const {
    if (inbound_ps_ == kNone) return kNone;
    const uint64_t c = edge_at_or_after(inbound_ps_);
    return c > now ? c : now + 1;
  }

  sc_core::sc_time period_;
  sc_core::sc_simcontext* const ctx_ = sc_core::sc_get_curr_simcontext();
  mutable uint64_t memo_time_ = 0, memo_cycle_ = 0;  // cycle() at time memo_time_
  sc_core::sc_event edge_;
  sc_core::sc_event idle_;  // no process waits on it: it only carries time to a run-ahead end
  sc_core::sc_event resume_;  // ungated: something is due before the next cycle's edge
  // sc_event keeps only its earliest notification, so later wishes wait in `later_` and are
  // armed one at a time as edges fire.
  uint64_t armed_ = kNone;       // cycle of the outstanding edge notification
  uint64_t last_fired_ = kNone;  // last cycle whose edge fired
  // The following cycle, asked for while this cycle's edge is firing and on_edge has not armed
  // the next one yet (during the ticks): the common case, kept out of `later_` so each block's
  // request costs no heap push.
  uint64_t next_ = kNone;
  std::priority_queue<uint64_t, std::vector<uint64_t>, std::greater<uint64_t>> later_;
  uint64_t active_cycles_ = 0, activations_ = 0;
  bool edge_toggle_ = false;
  bool run_ahead_ = true;
  bool gating_ = true;
  // The domain's time is not the kernel's: on_edge is evaluating a cycle ahead of it, or an
  // inbound item is landing (at its own time).
  bool ahead_ = false;
  uint64_t ahead_cycle_ = 0, ahead_ps_ = 0;
  // Kernel time (ps) of the next activity of another process, as last asked; 0 when it must
  // be asked again (a tick scheduled something through lead()).
  mutable uint64_t horizon_ = 0;
  std::vector<Clocked*> ticks_;
  std::vector<Committable*> committables_;
  std::vector<Inbound*> inbound_;
  // No inbound item is due before this time (ps): the edges need not ask them every cycle.
  uint64_t inbound_ps_ = kNone;
};

}  // namespace nic::hw
