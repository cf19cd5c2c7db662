// DDP registrations and SGL lines in host memory behind on-chip caches (ddp_cache): a cache
// that holds every registration misses only cold, a one-entry cache misses whenever flows
// alternate, stall places every byte, bypass leaves missed segments to software, and no read
// ends ok with a wrong byte, also under attack and impairment.
#include <catch2/catch.hpp>

#include <set>

#include "tests/sc/full_nic_run.hpp"

using namespace nic;

namespace {

SimConfig cached(uint32_t entries, uint32_t sgl_lines, uint32_t ways, const char* miss) {
  SimConfig cfg;
  cfg.ddp_cache.entries = entries;
  cfg.ddp_cache.sgl_entries = sgl_lines;
  cfg.ddp_cache.ways = ways;
  cfg.ddp_cache.miss = miss;
  cfg.driver.allocator = "pages";  // 4 KiB pages: multi-entry SGLs, several SGL lines a read
  // A stalled placement engine backs frames up into the MAC FIFO; deep enough that nothing
  // is dropped (a replayed trace never retransmits).
  cfg.mac.rx_fifo_bytes = 16u << 20;
  return cfg;
}

gen::GenConfig reads(uint32_t flows, uint32_t queue_depth, uint32_t ios) {
  gen::GenConfig g;
  g.flows = flows;
  g.queue_depth = queue_depth;
  g.ddgst = true;
  g.io_size = gen::parse_io_size("32K");
  g.ios = ios;
  return g;
}

const tb::DdpCacheReport& exact_with_cache(const Run& r) {
  check_exact(r);
  CHECK(r.result.counters.at("isolation_violations") == 0);
  REQUIRE(r.result.ddp_cache);
  return *r.result.ddp_cache;
}

// DDP slots the reads used: (flow, CID) pairs, from the generator's truth.
size_t registrations(const Run& r) {
  std::set<std::pair<std::string, uint32_t>> s;
  for (const auto& t : r.truth.commands) s.insert({t.flow, t.cid});
  return s.size();
}

}  // namespace

TEST_CASE("ddp cache: holding every registration misses only cold", "[full][ddp_cache]") {
  const SimConfig cfg = cached(4096, 4096, 4, "stall");
  const Run r = replay(reads(4, 8, 64), cfg, "ddp_cold");
  const tb::DdpCacheReport& c = exact_with_cache(r);
  check_full_offload(r, cfg, true);
  // Setup installs each registration: a miss is at most the first look at a slot.
  CHECK(c.cache.misses <= registrations(r));
  CHECK(c.cache.evictions_clean + c.cache.evictions_dirty == 0);
  CHECK(c.cache.installs == r.truth.commands.size());
  CHECK(c.cache.hits > 0);
  REQUIRE(c.sgl);
  CHECK(c.sgl->cache.evictions_clean + c.sgl->cache.evictions_dirty == 0);
  CHECK(c.sgl->cache.hits > 0);
}

TEST_CASE("ddp cache: one entry and frames of many reads interleaved miss on nearly every lookup",
          "[full][ddp_cache]") {
  // Four reads on each of 8 flows, all registered up front (no slot is reused, so however far
  // the stalls delay placement every read's data finds its buffer); the flows' frames
  // interleave at random, so the next frame rarely belongs to the read just looked up.
  const SimConfig cfg = cached(1, 0, 1, "stall");
  const Run r = replay(reads(8, 4, 32), cfg, "ddp_one");
  const tb::DdpCacheReport& c = exact_with_cache(r);
  check_full_offload(r, cfg, true);  // stall: every byte placed all the same
  CHECK_FALSE(c.sgl);
  CHECK(c.cache.misses > 4 * c.cache.hits);
  CHECK(c.cache.evictions_dirty > 0);  // placement moved the victim's high-water mark
  CHECK(c.wait_frames > 0);
  CHECK(c.cache.misses >= c.wait_frames);  // a line evicted again while its frame waits
  CHECK(c.bypassed_segments == 0);
}

TEST_CASE("ddp cache: stall places every byte while registrations and SGL lines miss",
          "[full][ddp_cache]") {
  const SimConfig cfg = cached(8, 8, 4, "stall");
  const Run r = replay(reads(16, 4, 128), cfg, "ddp_stall");
  const tb::DdpCacheReport& c = exact_with_cache(r);
  check_full_offload(r, cfg, true);
  CHECK(c.cache.misses > registrations(r));  // beyond the cold ones
  CHECK(c.cache.evictions_dirty > 0);
  CHECK(c.wait_frames > 0);
  CHECK(c.wait_cycles > c.wait_frames);
  CHECK(c.bypassed_segments == 0);
  CHECK(c.miss_cycles_p50 > 0);
  CHECK(c.miss_cycles_p99 >= c.miss_cycles_p50);
  REQUIRE(c.sgl);
  CHECK(c.sgl->cache.misses > 0);
  CHECK(c.sgl->cache.evictions_clean > 0);
  CHECK(c.sgl->cache.evictions_dirty == 0);  // the NIC never writes an SG entry
}

TEST_CASE("ddp cache: bypass leaves missed segments to software and every read stays exact",
          "[full][ddp_cache]") {
  const Run r = replay(reads(16, 4, 128), cached(8, 8, 4, "bypass"), "ddp_bypass");
  const tb::DdpCacheReport& c = exact_with_cache(r);
  CHECK(c.bypassed_segments > 0);
  CHECK(c.wait_frames == 0);
  CHECK(c.cache.misses > 0);
  CHECK(r.result.counters.at("placement_bytes_placed") > 0);
  uint64_t copied = 0;
  for (const auto& cmd : r.result.commands) copied += cmd.copied_bytes;
  CHECK(copied > 0);  // the host copied what the NIC left in the receive ring
}

namespace {

// One replay per process (SystemC elaborates once): each policy is its own case.
void adversarial(const char* miss) {
  gen::GenConfig g = reads(2, 4, 48);
  g.hdgst = true;
  g.io_size = gen::parse_io_size("8K:64K");
  g.max_pdu_data = 16384;
  g.adv.overrun = 0.1;
  g.adv.unknown_cid = 0.1;
  g.adv.early_resp = 0.1;
  g.adv.stale_dup = 0.05;
  g.adv.stale_delay = 24;
  SimConfig cfg = cached(2, 4, 2, miss);
  cfg.driver.io_threshold = 4096;
  const Run r = replay(g, cfg, std::string("ddp_adv_") + miss);
  check_robust(r);
  REQUIRE(r.result.ddp_cache);
  CHECK(r.result.ddp_cache->cache.misses > 0);
}

void impaired(const char* miss) {
  gen::GenConfig g = reads(4, 8, 96);
  g.hdgst = true;
  g.io_size = gen::parse_io_size("4K,32K,128K");
  g.max_pdu_data = 16384;
  g.imp.loss = 0.02;
  g.imp.reorder = 0.02;
  g.imp.dup = 0.01;
  g.imp.corrupt_ddgst = 0.1;
  g.imp.plant_lookalike = 0.2;
  const Run r = replay(g, cached(4, 8, 4, miss), std::string("ddp_impaired_") + miss);
  CHECK(exact_with_cache(r).cache.misses > 0);
}

}  // namespace

TEST_CASE("ddp cache: adversarial reads through a tiny cache under stall never end ok with a wrong byte",
          "[full][ddp_cache][adversarial]") {
  adversarial("stall");
}

TEST_CASE("ddp cache: adversarial reads through a tiny cache under bypass never end ok with a wrong byte",
          "[full][ddp_cache][adversarial]") {
  adversarial("bypass");
}

TEST_CASE("ddp cache: impaired traffic under stall stays byte-exact", "[full][ddp_cache]") {
  impaired("stall");
}

TEST_CASE("ddp cache: impaired traffic under bypass stays byte-exact", "[full][ddp_cache]") {
  impaired("bypass");
}

TEST_CASE("ddp cache: the all-on-chip default reports no cache", "[full][ddp_cache]") {
  const Run r = replay(reads(2, 4, 16), SimConfig{}, "ddp_off");
  check_exact(r);
  CHECK_FALSE(r.result.ddp_cache);
}
