// ClockDomain on its own: a gated clock whose process runs consecutive busy cycles ahead of
// the kernel when no other process is due. Every TEST_CASE elaborates its own design (one
// process each under ctest).
#include <catch2/catch.hpp>

#include <systemc>

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

// Hands the domain values at given times, the way the PCIe link delivers responses: the
// domain lands them. Records the domain's time at each landing.
struct Lander : ClockDomain::Inbound {
  ClockDomain& clk;
  std::vector<std::pair<uint64_t, int>> items;  // (time ps, value), in time order
  size_t next = 0;
  int& seen;
  std::vector<uint64_t> landed_ps;
  Lander(ClockDomain& c, int& s) : clk(c), seen(s) { clk.add_inbound(*this); }
  void add(uint64_t t_ps, int v) {
    items.push_back({t_ps, v});
    clk.wake_for(t_ps);
  }
  uint64_t next_due_ps() const override {
    return next < items.size() ? items[next].first : kNoneDue;
  }
  void land_next() override {
    landed_ps.push_back(clk.now_ps());
    seen = items[next++].second;
    clk.request_next();  // as a block would: no extra cycle when that edge fires anyway
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

void check_landing(bool run_ahead, bool gating) {
  ClockDomain clk("clk", 250.0);
  clk.set_run_ahead(run_ahead);
  clk.set_gating(gating);
  Recorder rec(clk);
  Lander l(clk, rec.seen);
  rec.busy_until = 20;
  clk.wake_at(sc_time::from_value(kPeriodPs));
  // Exactly on edges 5 and 12, between edges 8 and 9, and on edge 30 while the clock is gated.
  l.add(5 * kPeriodPs, 1);
  l.add(8 * kPeriodPs + 1500, 2);
  l.add(12 * kPeriodPs, 3);
  l.add(30 * kPeriodPs, 4);
  sc_core::sc_start();
  // Each cycle sees the same value whether or not the clock was gated: the item on edge 30
  // lands at that edge, as those on edges 5 and 12 do while the clock runs, and asks for 31.
  std::vector<std::pair<uint64_t, int>> want;
  for (uint64_t c = gating ? 1 : 0; c <= 31; ++c)
    if (!gating || c <= 20 || c >= 30)
      want.push_back({c, c >= 30 ? 4 : c >= 12 ? 3 : c >= 9 ? 2 : c >= 5 ? 1 : 0});
  CHECK(rec.ticks == want);
  CHECK(l.landed_ps == std::vector<uint64_t>{5 * kPeriodPs, 8 * kPeriodPs + 1500, 12 * kPeriodPs, 30 * kPeriodPs});
  if (run_ahead) CHECK(clk.activations() <= 3);  // the items did not stop the domain running ahead
}

}  // namespace

TEST_CASE("clock domain: inbound items land at their own time, before the ticks of the edge at or after it", "[clock]") {
  check_landing(true, true);
}

TEST_CASE("clock domain: inbound items land the same without running ahead", "[clock]") {
  check_landing(false, true);
}

TEST_CASE("clock domain: inbound items land the same with the clock ungated", "[clock]") {
  check_landing(true, false);
}

TEST_CASE("clock domain: inbound items land the same ungated and without running ahead", "[clock]") {
  check_landing(false, false);
}

TEST_CASE("clock domain: ungated, the clock ticks every cycle from time zero until the simulation ends", "[clock]") {
  ClockDomain clk("clk", 250.0);
  clk.set_gating(false);
  Block blk(clk);
  Other kick("kick", blk, 5, false);
  kick.ev.notify(sc_time::from_value(20 * kPeriodPs + 1500));  // busy for cycles 21..25
  sc_core::sc_event last("last");  // nothing waits on it: the simulation's last activity
  last.notify(sc_time::from_value(40 * kPeriodPs + 1500));
  sc_core::sc_start();
  REQUIRE(blk.ticks.size() == 41);
  for (size_t i = 0; i < blk.ticks.size(); ++i) CHECK(blk.ticks[i].cycle == i);
  CHECK(clk.active_cycles() == 41);
  CHECK(sc_core::sc_time_stamp().value() == 40 * kPeriodPs + 1500);  // no edge past the end
  CHECK(clk.activations() <= 4);  // idle cycles run ahead too
}
