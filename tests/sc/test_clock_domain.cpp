// ClockDomain on its own: a gated clock whose process runs consecutive busy cycles ahead of
// the kernel when no other process is due. Every TEST_CASE elaborates its own design (one
// process each under ctest).
#include <catch2/catch.hpp>

#include <systemc>

#include <memory>
#include <utility>
#include <vector>

#include "hw/common/ClockDomain.hpp"

using namespace nic::hw;
using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

constexpr uint64_t kPeriodPs = 4000;  // 250 MHz

// Busy while it has cycles left; at cycle `poke` it hands another process an event 10 ns
// after its own time, the way a block hands the PCIe link a request.
struct Block : ClockDomain::Clocked {
  struct Tick {
    uint64_t cycle, now_ps, kernel_ps, lead_ps;
  };
  ClockDomain& clk;
  sc_core::sc_event* poke_ev = nullptr;
  uint64_t left = 0, poke = UINT64_MAX;
  bool poke_late = false;  // hand it over without lead(): a bug the domain must catch
  std::vector<Tick> ticks;
  explicit Block(ClockDomain& c) : clk(c) { clk.attach(*this); }
  void tick() override {
    ticks.push_back({clk.cycle(), clk.now_ps(), uint64_t(sc_core::sc_time_stamp().value()),
                     uint64_t(clk.lead().value())});
    if (clk.cycle() == poke)
      poke_ev->notify(poke_late ? sc_core::SC_ZERO_TIME : clk.lead() + sc_time(10, SC_NS));
    if (left && --left) clk.request_next();
  }
  void add(uint64_t cycles) {
    left += cycles;
    clk.request_next();
  }
};

// A process of its own, started at time zero or by an event: adds cycles to the block's work
// and notes when the kernel ran it and how far the block had got by then.
struct Other : sc_core::sc_module {
  Block& block;
  uint64_t cycles;
  sc_core::sc_event ev;
  std::vector<uint64_t> ran_ps, block_ticks_then;
  SC_HAS_PROCESS(Other);
  Other(sc_core::sc_module_name n, Block& b, uint64_t c, bool at_start)
      : sc_module(n), block(b), cycles(c) {
    SC_METHOD(run);
    sensitive << ev;
    if (!at_start) dont_initialize();
  }
  void run() {
    ran_ps.push_back(sc_core::sc_time_stamp().value());
    block_ticks_then.push_back(block.ticks.size());
    block.add(cycles);
  }
};

}  // namespace

TEST_CASE("clock domain: running ahead keeps every cycle, every time and other processes' turns", "[clock]") {
  ClockDomain clk("clk", 250.0);
  Block blk(clk);
  Other kick("kick", blk, 40, true);  // asks at time zero for the next cycle: cycles 1..40
  Other watcher("watcher", blk, 5, false);
  blk.poke_ev = &watcher.ev;
  blk.poke = 20;
  sc_core::sc_start();

  // The watcher runs at 20 cycles + 10 ns = 90 ns, when the block has ticked cycles 1..22
  // (cycle 23 is at 92 ns): the domain stopped running ahead for it, and went on after it.
  REQUIRE(watcher.ran_ps.size() == 1);
  CHECK(watcher.ran_ps[0] == 20 * kPeriodPs + 10000);
  CHECK(watcher.block_ticks_then[0] == 22);
  REQUIRE(blk.ticks.size() == 45);
  for (size_t i = 0; i < blk.ticks.size(); ++i) {
    const Block::Tick& t = blk.ticks[i];
    CHECK(t.cycle == i + 1);                     // every cycle, once, in order
    CHECK(t.now_ps == t.cycle * kPeriodPs);      // the domain's time is the cycle's edge
    CHECK(t.kernel_ps + t.lead_ps == t.now_ps);  // ahead of the kernel by exactly lead()
  }
  CHECK(clk.active_cycles() == 45);
  CHECK(clk.activations() <= 4);  // time zero, after the watcher, and little else
  CHECK(sc_core::sc_time_stamp().value() == 45 * kPeriodPs);  // the kernel caught up at the end
}

TEST_CASE("clock domain: without running ahead every cycle is a kernel time step", "[clock]") {
  ClockDomain clk("clk", 250.0);
  clk.set_run_ahead(false);
  Block blk(clk);
  Other kick("kick", blk, 30, true);
  sc_core::sc_start();
  REQUIRE(blk.ticks.size() == 30);
  for (const Block::Tick& t : blk.ticks) CHECK(t.lead_ps == 0);
  CHECK(clk.activations() == 30);
}

TEST_CASE("clock domain: a tick that schedules work in its past while running ahead is an error", "[clock]") {
  ClockDomain clk("clk", 250.0);
  Block blk(clk);
  Other kick("kick", blk, 40, true);
  Other watcher("watcher", blk, 0, false);
  blk.poke_ev = &watcher.ev;
  blk.poke = 10;
  blk.poke_late = true;
  sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_THROW);
  CHECK_THROWS_WITH(sc_core::sc_start(), Catch::Contains("scheduled work before its cycle"));
}

namespace {

// Hands the domain values at given times from a process of its own, the way the PCIe link
// delivers responses; the block's ticks record the last value they saw. Its timed event only
// relays to the delivering process a delta cycle later, so without the rule the edge at the
// same time would run first.
struct Lander : sc_core::sc_module, ClockDomain::Inbound {
  ClockDomain* clk = nullptr;
  std::vector<std::pair<uint64_t, int>> items;  // (time ps, value), in time order
  size_t next = 0;
  int* seen = nullptr;
  sc_core::sc_event ev, relay_ev;
  SC_HAS_PROCESS(Lander);
  explicit Lander(sc_core::sc_module_name n) : sc_module(n) {
    SC_METHOD(relay);
    sensitive << ev;
    SC_METHOD(land);
    sensitive << relay_ev;
    dont_initialize();
  }
  void relay() { relay_ev.notify(sc_core::SC_ZERO_TIME); }
  void deliver_to(ClockDomain& c, int& s) {
    clk = &c;
    seen = &s;
    c.add_inbound(*this);
  }
  uint64_t next_due_ps() const override {
    return next < items.size() ? items[next].first : kNoneDue;
  }
  void land() {
    const uint64_t now = uint64_t(sc_core::sc_time_stamp().value());
    while (next < items.size() && items[next].first <= now) {
      *seen = items[next++].second;
      clk->request_next();
    }
    if (next < items.size()) ev.notify(sc_time::from_value(items[next].first - now));
  }
};

struct Recorder : ClockDomain::Clocked {
  ClockDomain& clk;
  int seen = 0;
  std::vector<std::pair<uint64_t, int>> ticks;  // (cycle, value seen)
  uint64_t busy_until = 0;
  explicit Recorder(ClockDomain& c) : clk(c) { clk.attach(*this); }
  void tick() override {
    ticks.push_back({clk.cycle(), seen});
    if (clk.cycle() < busy_until) clk.request_next();
  }
};

void check_edge_rule(bool lander_first, bool run_ahead) {
  // Construction order decides the order the kernel runs the two processes in at one time.
  std::unique_ptr<Lander> early, late;
  if (lander_first) early = std::make_unique<Lander>("lander");
  ClockDomain clk("clk", 250.0);
  if (!lander_first) late = std::make_unique<Lander>("lander");
  Lander& l = lander_first ? *early : *late;
  clk.set_run_ahead(run_ahead);
  Recorder rec(clk);
  l.deliver_to(clk, rec.seen);
  rec.busy_until = 20;
  // Exactly on edges 5 and 12, between edges 8 and 9, and on edge 30 while the clock is gated.
  l.items = {{5 * kPeriodPs, 1}, {8 * kPeriodPs + 1500, 2}, {12 * kPeriodPs, 3}, {30 * kPeriodPs, 4}};
  clk.wake_at(sc_time::from_value(kPeriodPs));
  sc_core::sc_start();
  std::vector<std::pair<uint64_t, int>> want;
  for (uint64_t c = 1; c <= 20; ++c) want.push_back({c, c >= 12 ? 3 : c >= 9 ? 2 : c >= 5 ? 1 : 0});
  want.push_back({31, 4});  // a gated clock wakes for the edge after the item, as request_next does
  CHECK(rec.ticks == want);
}

}  // namespace

TEST_CASE("clock domain: an inbound item landing on an edge is seen by that edge (lander built first)", "[clock]") {
  check_edge_rule(true, true);
}

TEST_CASE("clock domain: an inbound item landing on an edge is seen by that edge (lander built last, no run-ahead)", "[clock]") {
  check_edge_rule(false, false);
}
