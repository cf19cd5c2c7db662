// `nicsim plot`'s script: every FIFO, drop reason and throughput column of a timeline drawn,
// in its panel; anything that is not a timeline refused.
#include <catch2/catch.hpp>

#include <sstream>
#include <stdexcept>

#include "tb/common/timeline.hpp"
#include "tools/timeline/timeline_plot.hpp"

TEST_CASE("timeline plot draws each FIFO drop reason and direction from the header", "[timeline]") {
  const nic::tb::Timeline t(1000000, {"mac_rx_fifo", "crc_to_placement"}, {"runt", "rx_ring_full"});
  const std::string gp = nic::timeline::plot_script(t.columns(), "/x/t.csv", "t.png", "pngcairo");
  const auto column_of = [&](const std::string& name) {
    for (size_t i = 0; i < t.columns().size(); ++i)
      if (t.columns()[i] == name) return std::to_string(i + 1);
    FAIL("no column " << name);
    return std::string();
  };
  for (const char* c : {"offered_gbps", "host_placed_gbps", "host_ring_gbps", "host_cqe_gbps",
                        "crc_to_placement_max", "drop_runt", "drop_rx_ring_full", "pcie_up_busy",
                        "pcie_down_busy"})
    CHECK(gp.find("using 1:" + column_of(c) + " with steps") != std::string::npos);
  // The MAC FIFO counts bytes, the channels beats: it gets the right-hand axis.
  CHECK(gp.find("using 1:" + column_of("mac_rx_fifo_max") + " axes x1y2") != std::string::npos);
  CHECK(gp.find("set multiplot layout 4,1") != std::string::npos);
  CHECK(gp.find("set output 't.png'") != std::string::npos);
}

TEST_CASE("timeline plot refuses a CSV that is not a timeline", "[timeline]") {
  CHECK_THROWS_AS(nic::timeline::plot_script({"section", "name", "metric", "value"}, "r.csv", "r.png", "png"),
                  std::invalid_argument);
  // A timeline's first columns without FIFOs or drops is not one either.
  CHECK_THROWS_AS(nic::timeline::plot_script({"start_us", "offered_gbps", "pcie_up_busy"}, "r.csv", "r.png", "png"),
                  std::invalid_argument);
}
