// Flow contexts in host memory behind a cache smaller than the flow count: misses happen, the
// frames wait (stall) or go to software (bypass), and every read stays byte-exact. A cache
// that holds every flow misses once per flow only.
#include <catch2/catch.hpp>

#include <set>

#include "tests/sc/full_nic_run.hpp"

using namespace nic;

namespace {

gen::GenConfig many_flows() {
  gen::GenConfig g;  // seed 1
  g.flows = 64;
  g.ddgst = true;
  g.io_size = gen::parse_io_size("32K,64K");
  g.ios = 256;
  return g;
}

SimConfig cached(uint32_t entries, uint32_t ways, const char* miss) {
  SimConfig cfg;
  cfg.ctx_cache.entries = entries;
  cfg.ctx_cache.ways = ways;
  cfg.ctx_cache.miss = miss;
  // A stalled parser backs frames up into the MAC FIFO; at line rate a small one drops them
  // and a replayed trace never retransmits. Deep enough here that every read completes.
  cfg.mac.rx_fifo_bytes = 16u << 20;
  return cfg;
}

// Every read byte-exact and every write inside its bounds: the cache's report.
const tb::CtxCacheReport& exact_with_cache(const Run& r) {
  check_exact(r);
  CHECK(r.result.counters.at("isolation_violations") == 0);
  REQUIRE(r.result.ctx_cache);
  return *r.result.ctx_cache;
}

}  // namespace

TEST_CASE("context cache: fewer entries than flows - misses stall frames and reads stay exact",
          "[full][ctx_cache]") {
  const Run r = replay(many_flows(), cached(16, 4, "stall"), "ctx_stall");
  const tb::CtxCacheReport& c = exact_with_cache(r);
  CHECK(c.cache.misses > 64);  // beyond the cold ones
  CHECK(c.cache.hits > 0);
  CHECK(c.cache.evictions_dirty > 0);  // every frame updates its context
  CHECK(c.wait_frames > 0);
  CHECK(c.bypassed == 0);
  CHECK(c.miss_cycles_p50 > 0);
  CHECK(c.miss_cycles_p99 >= c.miss_cycles_p50);
  CHECK(r.result.counters.at("placement_bytes_placed") > 0);
}

TEST_CASE("context cache: bypass on a miss passes frames to software and no read goes wrong",
          "[full][ctx_cache]") {
  const Run r = replay(many_flows(), cached(16, 4, "bypass"), "ctx_bypass");
  const tb::CtxCacheReport& c = exact_with_cache(r);
  CHECK(c.cache.misses > 64);
  CHECK(c.bypassed > 0);
  CHECK(c.wait_frames == 0);
  CHECK(c.cache.evictions_clean + c.cache.evictions_dirty > 0);
}

TEST_CASE("context cache: holding every flow never misses as sk_add puts each context on chip", "[full][ctx_cache]") {
  const gen::GenConfig g = many_flows();
  const Run r = replay(g, cached(64, 64, "stall"), "ctx_cold");
  const tb::CtxCacheReport& c = exact_with_cache(r);
  std::set<std::string> flows;  // independent of the NIC: the generator's reads
  for (const auto& t : r.truth.commands) flows.insert(t.flow);
  REQUIRE(flows.size() == g.flows);
  CHECK(c.cache.installs == flows.size());
  CHECK(c.cache.misses == 0);
  CHECK(c.cache.evictions_clean + c.cache.evictions_dirty == 0);
  CHECK(c.cache.mshr_full == 0);
  CHECK(c.cache.hits > 0);
}

TEST_CASE("context cache: the all-on-chip default reports no cache", "[full][ctx_cache]") {
  gen::GenConfig g = many_flows();
  g.flows = 4;
  g.ios = 16;
  const Run r = replay(g, SimConfig{}, "ctx_off");
  check_exact(r);
  CHECK_FALSE(r.result.ctx_cache);
}
