#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <vector>

#include "tb/config/sim_config.hpp"

using namespace nic;

TEST_CASE("config: defaults validate and every key round-trips through the JSON dump", "[config]") {
  SimConfig a;
  REQUIRE_NOTHROW(validate(a));
  a.mac.rx_fifo_bytes = 12345;
  a.crc.impl = "rtl";
  a.placement.single_run_per_packet = true;
  a.core.clock_mhz = 322.265625;
  const std::string path = "config_roundtrip.json";
  {
    std::ofstream(path) << config_to_json(a);
  }
  SimConfig b;
  load_config_file(b, path);
  std::remove(path.c_str());
  CHECK(config_to_json(b) == config_to_json(a));
  CHECK(b.mac.rx_fifo_bytes == 12345);
  CHECK(b.core.clock_mhz == 322.265625);
}

TEST_CASE("config: set by dotted key and reject bad keys and values", "[config]") {
  SimConfig c;
  apply_assignment(c, "driver.io_threshold=4096");
  CHECK(c.driver.io_threshold == 4096);
  apply_assignment(c, "driver.allocator=fragments");
  CHECK(c.driver.allocator == "fragments");
  apply_assignment(c, "parser.header_digest_check=false");
  CHECK_FALSE(c.parser.header_digest_check);
  CHECK_THROWS_WITH(apply_assignment(c, "mac.no_such_key=1"), Catch::Contains("mac.no_such_key"));
  CHECK_THROWS_AS(apply_assignment(c, "flow.entries=-3"), std::invalid_argument);
  CHECK_THROWS_AS(apply_assignment(c, "flow.entries=abc"), std::invalid_argument);
  CHECK_THROWS_AS(apply_assignment(c, "noequals"), std::invalid_argument);
  c.flow.entries = 100;
  c.flow.ways = 8;
  CHECK_THROWS_WITH(validate(c), Catch::Contains("flow.entries"));
  c.flow.ways = 4;
  apply_assignment(c, "driver.queue_depth=65537");  // more CIDs than there are
  CHECK_THROWS_WITH(validate(c), Catch::Contains("driver.queue_depth"));
  apply_assignment(c, "driver.queue_depth=1024");
  apply_assignment(c, "placement.max_sg_entries=65536");  // an SG list holds up to 65535
  CHECK_THROWS_WITH(validate(c), Catch::Contains("placement.max_sg_entries"));
  apply_assignment(c, "placement.max_sg_entries=65535");
  CHECK_NOTHROW(validate(c));
}

TEST_CASE("config: files may use comments and nested or dotted keys", "[config]") {
  const std::string path = "config_comments.json";
  {
    std::ofstream(path) << "{\n // 400G preset\n \"core\": {\"datapath_bytes\": 128},\n"
                           " \"mac.line_rate_gbps\": 400 /* dotted */\n}\n";
  }
  SimConfig c;
  load_config_file(c, path);
  std::remove(path.c_str());
  CHECK(c.core.datapath_bytes == 128);
  CHECK(c.mac.line_rate_gbps == 400.0);
  CHECK_THROWS_WITH(load_config_file(c, "/nonexistent/x.json"), Catch::Contains("/nonexistent/x.json"));
}

TEST_CASE("config: every numeric parameter is checked against its declared range", "[config]") {
  const SimConfig defaults;
  for_each_param(defaults, [&](const ParamRef& declared) {
    if (declared.range.choices || std::holds_alternative<bool*>(declared.value)) return;
    const double lo = declared.range.min, hi = declared.range.max;
    const bool integer = std::holds_alternative<uint32_t*>(declared.value);
    // Just outside each finite bound that the type can hold.
    std::vector<double> outside;
    if (std::isfinite(lo) && (!integer || lo >= 1)) outside.push_back(integer ? lo - 1 : lo - std::max(1e-3, lo * 1e-3));
    if (std::isfinite(hi) && (!integer || hi < UINT32_MAX)) outside.push_back(integer ? hi + 1 : hi * 1.001);
    for (double v : outside) {
      SimConfig c;
      for_each_param(c, [&](const ParamRef& p) {
        if (p.key != declared.key) return;
        if (integer) *std::get<uint32_t*>(p.value) = uint32_t(v);
        else *std::get<double*>(p.value) = v;
      });
      INFO(declared.key << " = " << v);
      CHECK_THROWS_WITH(validate(c), Catch::Contains(declared.key) && Catch::Contains("outside its range"));
    }
  });
}

TEST_CASE("config: the bad values of issue 15 are refused, naming the parameter", "[config]") {
  SimConfig c;
  apply_assignment(c, "pcie.latency_ns=-1");
  CHECK_THROWS_WITH(validate(c), Catch::Contains("pcie.latency_ns") && !Catch::Contains("max_outstanding"));
  c = SimConfig{};
  apply_assignment(c, "core.clock_mhz=3e6");  // a period under one picosecond
  CHECK_THROWS_WITH(validate(c), Catch::Contains("core.clock_mhz"));
  apply_assignment(c, "core.clock_mhz=2e6");
  CHECK_THROWS_WITH(validate(c), Catch::Contains("core.clock_mhz"));
  apply_assignment(c, "core.clock_mhz=1e6");  // exactly one picosecond
  CHECK_NOTHROW(validate(c));
  c = SimConfig{};
  apply_assignment(c, "mac.rx_fifo_bytes=8K");  // smaller than a 9216-byte frame
  CHECK_THROWS_WITH(validate(c), Catch::Contains("mac.rx_fifo_bytes"));
  c = SimConfig{};
  apply_assignment(c, "placement.cq_entries=0");
  CHECK_THROWS_WITH(validate(c), Catch::Contains("placement.cq_entries"));
  c = SimConfig{};
  apply_assignment(c, "core.datapath_bytes=48");
  CHECK_THROWS_WITH(validate(c), Catch::Contains("power of two"));
  c = SimConfig{};
  apply_assignment(c, "driver.allocator=buddy");
  CHECK_THROWS_WITH(validate(c), Catch::Contains("driver.allocator") && Catch::Contains("contiguous|pages|fragments"));
}

TEST_CASE("config: --set takes K/M/G on integer keys, as --grid does", "[config]") {
  SimConfig c;
  apply_assignment(c, "mac.rx_fifo_bytes=64K");
  CHECK(c.mac.rx_fifo_bytes == 65536);
  apply_assignment(c, "placement.rx_ring_bytes=4m");
  CHECK(c.placement.rx_ring_bytes == 4u << 20);
  apply_assignment(c, "mac.rx_fifo_bytes=1G");
  CHECK(c.mac.rx_fifo_bytes == 1u << 30);
  apply_assignment(c, "core.clock_mhz=322.265625");
  CHECK(c.core.clock_mhz == 322.265625);
  CHECK_THROWS_WITH(apply_assignment(c, "mac.rx_fifo_bytes=64KB"), Catch::Contains("mac.rx_fifo_bytes"));
  CHECK_THROWS_WITH(apply_assignment(c, "mac.rx_fifo_bytes=4G"), Catch::Contains("mac.rx_fifo_bytes"));  // > 32 bits
  CHECK_THROWS_WITH(apply_assignment(c, "pcie.latency_ns=1K"), Catch::Contains("pcie.latency_ns"));  // sizes are integers
  apply_assignment(c, "flow.entries=1.5K");  // the same size syntax as gen's --io-size
  CHECK(c.flow.entries == 1536);
  CHECK_THROWS_WITH(apply_assignment(c, "flow.entries=0.3K"), Catch::Contains("whole number"));
  CHECK(c.mac.rx_fifo_bytes == 1u << 30);  // a refused value changes nothing
  CHECK(kind_of("mac.rx_fifo_bytes") == param::Kind::integer);
  CHECK_THROWS_WITH(kind_of("mac.nope"), Catch::Contains("mac.nope"));
}

TEST_CASE("config: the parameter table shows each range as --set writes it", "[config]") {
  SimConfig c;
  std::map<std::string, std::string> ranges;
  for_each_param(c, [&](const ParamRef& p) { ranges[p.key] = range_text(p); });
  CHECK(ranges["mac.rx_fifo_bytes"] == "64 .. 16M");
  CHECK(ranges["core.clock_mhz"] == "1 .. 1000000");
  CHECK(ranges["crc.impl"] == "model|rtl");
  CHECK(ranges["driver.seed"] == "any");
  CHECK(ranges["ooo.search"].empty());
}

TEST_CASE("config: a parameter given twice in a file is refused", "[config]") {
  const std::string path = "config_duplicate.json";
  const auto refused = [&](const std::string& text) {
    std::ofstream(path) << text;
    SimConfig c;
    std::string error;
    try {
      load_config_file(c, path);
    } catch (const std::invalid_argument& e) {
      error = e.what();
    }
    std::remove(path.c_str());
    return error;
  };
  CHECK_THAT(refused("{\"mac\": {\"rx_fifo_bytes\": 1, \"rx_fifo_bytes\": 2}}"),
             Catch::Contains(path) && Catch::Contains("'mac.rx_fifo_bytes' is given twice"));
  CHECK_THAT(refused("{\"mac\": {\"rx_fifo_bytes\": 16384},\n // comment\n \"mac.rx_fifo_bytes\": 32768}"),
             Catch::Contains("'mac.rx_fifo_bytes' is given twice"));
  CHECK_THAT(refused("{\"mac\": {\"line_rate_gbps\": 100}, \"mac\": {\"rx_fifo_bytes\": 16384}}"),
             Catch::Contains("'mac' is given twice"));
  CHECK(refused("{\"mac\": {\"rx_fifo_bytes\": 16384}, /* same name elsewhere */ \"flow\": {\"entries\": 64},"
                " \"pcie.max_payload\": 512}") == "");
}

TEST_CASE("config: the transmit path's parameters are set by key and its buffer holds a frame",
          "[config][tx]") {
  SimConfig c;
  apply_assignment(c, "tx.fetch_entries=8");
  apply_assignment(c, "tx.buffer_bytes=32K");
  CHECK(c.tx.fetch_entries == 8);
  CHECK(c.tx.buffer_bytes == 32768);
  CHECK_NOTHROW(validate(c));
  apply_assignment(c, "tx.buffer_bytes=4K");
  CHECK_THROWS_WITH(validate(c), Catch::Contains("tx.buffer_bytes") && Catch::Contains("tx.max_frame_bytes"));
  apply_assignment(c, "tx.max_frame_bytes=4K");
  CHECK_NOTHROW(validate(c));
  // Line rate and wire overhead are the MAC's: the section does not repeat them.
  CHECK_THROWS_AS(apply_assignment(c, "tx.line_rate_gbps=100"), std::invalid_argument);
  CHECK(config_to_json(c).find("\"tx\"") != std::string::npos);
}
