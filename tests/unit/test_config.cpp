#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "hw/nic/nic_config.hpp"

using namespace nic;

TEST_CASE("config: defaults validate and every key round-trips through the JSON dump", "[config]") {
  NicConfig a;
  REQUIRE_NOTHROW(validate(a));
  a.mac.rx_fifo_bytes = 12345;
  a.crc.impl = "rtl";
  a.placement.single_run_per_packet = true;
  a.core.clock_mhz = 322.265625;
  const std::string path = "config_roundtrip.json";
  {
    std::ofstream(path) << config_to_json(a);
  }
  NicConfig b;
  load_config_file(b, path);
  std::remove(path.c_str());
  CHECK(config_to_json(b) == config_to_json(a));
  CHECK(b.mac.rx_fifo_bytes == 12345);
  CHECK(b.core.clock_mhz == 322.265625);
}

TEST_CASE("config: set by dotted key and reject bad keys and values", "[config]") {
  NicConfig c;
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
  NicConfig c;
  load_config_file(c, path);
  std::remove(path.c_str());
  CHECK(c.core.datapath_bytes == 128);
  CHECK(c.mac.line_rate_gbps == 400.0);
  CHECK_THROWS_WITH(load_config_file(c, "/nonexistent/x.json"), Catch::Contains("/nonexistent/x.json"));
}
