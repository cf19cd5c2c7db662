// The replay's timeline: window arithmetic, exact FIFO integration, spreading, percentiles,
// and the CSV it writes.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <sstream>
#include <stdexcept>

#include "tb/common/timeline.hpp"
#include "tools/sweep/csv.hpp"

using nic::tb::Timeline;

namespace {

constexpr uint64_t kUs = 1000000;  // ps

nic::sweep::Table table_of(const Timeline& t) {
  std::stringstream s;
  t.write_csv(s);
  return nic::sweep::read_csv(s);
}

std::string at(const nic::sweep::Table& t, size_t row, const std::string& column) {
  const int c = t.column(column);
  REQUIRE(c >= 0);
  return t.rows.at(row)[size_t(c)];
}

// Each (row, column) of the timeline's CSV holds the text given.
struct Cell {
  size_t row;
  const char* column;
  const char* text;
};
void check_cells(const Timeline& t, std::initializer_list<Cell> cells) {
  const auto tab = table_of(t);
  for (const Cell& c : cells) {
    INFO("row " << c.row << ", " << c.column);
    CHECK(at(tab, c.row, c.column) == c.text);
  }
}

}  // namespace

TEST_CASE("timeline rows cover simulated time up to the window holding its end", "[timeline]") {
  Timeline t(10 * kUs, {}, {});
  t.finish(35 * kUs);
  REQUIRE(t.windows() == 4);
  check_cells(t, {{0, "start_us", "0"}, {3, "start_us", "30"}, {3, "end_us", "40"}});
  Timeline exact(10 * kUs, {}, {});
  exact.finish(40 * kUs);  // the end's own instant is in the window it starts
  CHECK(exact.windows() == 5);
}

TEST_CASE("timeline header names every FIFO and drop reason and nothing without data", "[timeline]") {
  Timeline t(kUs, {"mac_rx_fifo", "mac_to_l3"}, {"oversize", "rx_ring_full"});
  const std::vector<std::string> want = {
      "start_us", "end_us", "frames", "offered_bytes", "offered_gbps", "host_placed_bytes",
      "host_ring_bytes", "host_cqe_bytes", "host_placed_gbps", "host_ring_gbps", "host_cqe_gbps",
      "mac_rx_fifo_max", "mac_rx_fifo_mean", "mac_to_l3_max", "mac_to_l3_mean", "drop_oversize",
      "drop_rx_ring_full", "pcie_up_busy", "pcie_down_busy", "reads", "read_p50_us", "read_p99_us"};
  CHECK(t.columns() == want);
  t.finish(0);
  CHECK(table_of(t).columns == want);
}

TEST_CASE("timeline spreads an amount over the windows it spans, summing exactly", "[timeline]") {
  Timeline t(10 * kUs, {}, {});
  // 1000 bytes over [5 us, 25 us): a quarter, a half, a quarter.
  t.spread(Timeline::kOfferedBytes, 5 * kUs, 25 * kUs, 1000);
  // 7 bytes over three windows of unequal share still sum to 7.
  t.spread(Timeline::kPlacedBytes, 3 * kUs, 23 * kUs, 7);
  t.finish(29 * kUs);
  check_cells(t, {{0, "offered_bytes", "250"}, {1, "offered_bytes", "500"}, {2, "offered_bytes", "250"},
                  {1, "offered_gbps", "0.400"}});  // 500 B in 10 us
  const auto tab = table_of(t);
  uint64_t placed = 0;
  for (size_t r = 0; r < 3; ++r) placed += std::stoull(at(tab, r, "host_placed_bytes"));
  CHECK(placed == 7);
}

TEST_CASE("timeline integrates a FIFO's level exactly, also across idle windows", "[timeline]") {
  Timeline t(10 * kUs, {"f"}, {});
  t.level(0, 2 * kUs, 4);   // 4 from 2 us
  t.level(0, 7 * kUs, 0);   // to 7 us: 4 x 5 us in window 0
  t.level(0, 15 * kUs, 9);  // 9 from 15 us to the end (45 us)
  t.level(0, 15 * kUs, 3);  // ... no: 3 at the same instant, 9 lasted no time
  t.finish(45 * kUs);
  REQUIRE(t.windows() == 5);
  check_cells(t, {{0, "f_max", "4"}, {0, "f_mean", "2.000"},
                  {1, "f_max", "9"},  // counted as the report's high watermark counts it
                  {1, "f_mean", "1.500"},
                  // Nothing happened after 15 us: the rows are still there, holding the level.
                  {3, "f_max", "3"}, {4, "f_mean", "3.000"}});
  CHECK_THROWS_AS(t.level(0, 1 * kUs, 1), std::logic_error);
}

TEST_CASE("timeline read percentiles are per window by nearest rank", "[timeline]") {
  Timeline t(10 * kUs, {}, {});
  for (uint64_t i = 1; i <= 100; ++i) t.read_done(1 * kUs + i, i * 1000000);  // 1..100 us
  t.read_done(25 * kUs, 3 * kUs);
  t.finish(30 * kUs);
  check_cells(t, {{0, "reads", "100"}, {0, "read_p50_us", "50.000"}, {0, "read_p99_us", "99.000"},
                  {1, "reads", "0"}, {1, "read_p50_us", ""},  // no read, no latency
                  {2, "read_p99_us", "3.000"}});
  Timeline late(10 * kUs, {}, {});
  late.read_done(25 * kUs, 1);
  CHECK_THROWS_AS(late.read_done(5 * kUs, 1), std::logic_error);
}

TEST_CASE("timeline counts drops by reason and busy time as a fraction", "[timeline]") {
  Timeline t(10 * kUs, {}, {"runt", "oversize"});
  t.drop("oversize", 12 * kUs);
  t.drop("oversize", 13 * kUs);
  t.drop("runt", 1 * kUs);
  t.spread(Timeline::kPcieUpPs, 8 * kUs, 14 * kUs, 6 * kUs);
  t.finish(19 * kUs);
  check_cells(t, {{0, "drop_runt", "1"}, {1, "drop_oversize", "2"}, {0, "pcie_up_busy", "0.2000"},
                  {1, "pcie_up_busy", "0.4000"}});
  CHECK_THROWS_AS(t.drop("no_such_reason", 0), std::logic_error);
}

TEST_CASE("timeline prints window bounds exactly for windows that are not whole microseconds", "[timeline]") {
  Timeline t(2500000 + 1, {}, {});  // 2.500001 us
  t.finish(3 * kUs);
  check_cells(t, {{0, "end_us", "2.500001"}, {1, "end_us", "5.000002"}});
  CHECK_THROWS_AS(Timeline(0, {}, {}), std::invalid_argument);
}
