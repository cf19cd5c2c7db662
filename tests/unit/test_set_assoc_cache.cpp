#include <catch2/catch.hpp>

#include <set>
#include <vector>

#include "hw/common/set_assoc_cache.hpp"

using namespace nic::hw;
using L = SetAssocCache::Lookup;

namespace {
// A miss followed at once by its fill; returns the victim.
SetAssocCache::Victim bring(SetAssocCache& c, uint64_t key, bool write = false) {
  REQUIRE(c.access(key, write) == L::Miss);
  return c.fill(key);
}
}  // namespace

TEST_CASE("cache: LRU evicts the least recently used way of the set", "[cache]") {
  SetAssocCache c(4, 4, 1, Replacement::Lru);  // one set of four ways
  for (uint32_t k : {10u, 11u, 12u, 13u}) CHECK_FALSE(bring(c, k).valid);  // cold: free ways
  CHECK(c.access(10, false) == L::Hit);  // order, oldest first: 11 12 13 10
  CHECK(bring(c, 14).key == 11);         // 12 13 10 14
  CHECK(c.access(12, false) == L::Hit);  // 13 10 14 12
  CHECK(bring(c, 15).key == 13);         // 10 14 12 15
  CHECK(bring(c, 16).key == 10);         // 14 12 15 16
  CHECK(c.contains(12));
  CHECK_FALSE(c.contains(11));
  CHECK(c.stats().hits == 2);
  CHECK(c.stats().misses == 7);
  CHECK(c.stats().evictions_clean == 3);
}

TEST_CASE("cache: keys map to sets by index modulo the set count", "[cache]") {
  SetAssocCache c(8, 2, 1, Replacement::Lru);  // four sets
  bring(c, 1);
  bring(c, 0);
  bring(c, 4);
  CHECK(bring(c, 8).key == 0);  // set 0 held 0 and 4; 1 lives in set 1
  CHECK(c.contains(1));
  CHECK(c.contains(4));
}

TEST_CASE("cache: a dirty line is written back when evicted - a clean one is not", "[cache]") {
  SetAssocCache c(2, 2, 1, Replacement::Lru);
  bring(c, 1, true);  // a write miss lands dirty
  bring(c, 2);
  CHECK(c.access(2, false) == L::Hit);
  const auto v = bring(c, 3);
  CHECK(v.valid);
  CHECK(v.key == 1);
  CHECK(v.dirty);
  CHECK(c.access(3, true) == L::Hit);  // 2 3, 3 now dirty
  const auto w = bring(c, 4);
  CHECK(w.key == 2);
  CHECK_FALSE(w.dirty);
  CHECK(bring(c, 5).dirty);  // 3
  CHECK(c.stats().evictions_dirty == 2);
  CHECK(c.stats().evictions_clean == 1);
}

TEST_CASE("cache: MSHRs merge misses to one line and refuse a miss when all are busy",
          "[cache]") {
  SetAssocCache c(16, 4, 2, Replacement::Lru);
  CHECK(c.access(7, false) == L::Miss);
  CHECK(c.access(7, true) == L::Merged);  // no second fetch; the write dirties the fill
  CHECK(c.pending(7));
  CHECK(c.access(9, false) == L::Miss);
  CHECK_FALSE(c.mshr_free());
  CHECK(c.access(11, false) == L::MshrFull);
  CHECK_FALSE(c.pending(11));
  CHECK_FALSE(c.fill(7).valid);
  CHECK(c.mshr_free());
  CHECK(c.access(11, false) == L::Miss);
  CHECK(c.access(7, false) == L::Hit);
  CHECK(c.stats().misses == 3);
  CHECK(c.stats().merged == 1);
  CHECK(c.stats().mshr_full == 1);
  CHECK_THROWS(c.fill(12));  // nothing fetches it
  c.fill(9);
  c.fill(11);
  // Line 7 landed dirty from the merged write: evicting it writes back.
  SetAssocCache d(1, 1, 1, Replacement::Lru);
  d.access(7, false);
  d.access(7, true);
  d.fill(7);
  CHECK(bring(d, 8).dirty);
}

TEST_CASE("cache: invalidate drops a line unwritten and touch does not count", "[cache]") {
  SetAssocCache c(2, 2, 1, Replacement::Lru);
  bring(c, 1, true);
  CHECK(c.touch(1, false));
  CHECK_FALSE(c.touch(2, false));
  c.invalidate(1);
  CHECK_FALSE(c.contains(1));
  CHECK_FALSE(bring(c, 2).valid);
  CHECK_FALSE(bring(c, 3).valid);  // the invalidated way is free again
  CHECK(c.stats().hits == 0);
  CHECK(c.stats().evictions_dirty == 0);
}

TEST_CASE("cache: random replacement evicts a resident line and repeats for a seed",
          "[cache]") {
  const auto victims = [](uint64_t seed) {
    SetAssocCache c(8, 4, 1, Replacement::Random, seed);  // two sets
    std::set<uint64_t> resident;
    std::vector<uint64_t> v;
    for (uint64_t k = 0; k < 40; k += 2) {  // even keys: all in set 0
      const auto e = bring(c, k);
      CHECK(e.valid == (k >= 8));  // the first four fill free ways
      if (e.valid) {
        CHECK(resident.erase(e.key) == 1);
        v.push_back(e.key);
      }
      resident.insert(k);
    }
    return v;
  };
  const auto a = victims(5);
  CHECK(a == victims(5));
  CHECK(a != victims(6));
  CHECK(replacement_from("random") == Replacement::Random);
  CHECK_THROWS(replacement_from("fifo"));
  CHECK_THROWS(SetAssocCache(6, 4, 1, Replacement::Lru));
}

TEST_CASE("cache: install puts a written line on chip without a fetch", "[cache]") {
  SetAssocCache c(2, 2, 1, Replacement::Lru);  // one set of two ways
  CHECK_FALSE(c.install(1, true).valid);       // a free way: no victim
  CHECK(c.contains(1));
  CHECK_FALSE(c.pending(1));
  CHECK(c.access(1, false) == L::Hit);
  bring(c, 2);
  const auto v = c.install(3, false);  // 1 is the least recently used, and dirty
  CHECK(v.valid);
  CHECK(v.key == 1);
  CHECK(v.dirty);
  CHECK_FALSE(c.install(3, true).valid);  // already on chip: refreshed and dirtied in place
  CHECK(bring(c, 4).key == 2);
  CHECK(bring(c, 5).dirty);  // 3, dirtied by the second install
  CHECK(c.stats().installs == 3);
  CHECK(c.stats().misses == 3);
  CHECK(c.stats().evictions_dirty == 2);
  CHECK(c.stats().evictions_clean == 1);
}

TEST_CASE("cache: a fill for a line installed while it was fetched evicts nothing", "[cache]") {
  SetAssocCache c(2, 2, 2, Replacement::Lru);
  bring(c, 1);
  REQUIRE(c.access(2, true) == L::Miss);  // a write miss in flight
  CHECK_FALSE(c.install(2, false).valid);  // the second way was free
  const auto v = c.fill(2);                // the stale fetch lands on the installed line
  CHECK_FALSE(v.valid);
  CHECK(c.contains(1));
  CHECK(c.mshr_free());
  CHECK(bring(c, 3).key == 1);  // 2 was used last, by the fill
  CHECK(bring(c, 4).dirty);     // 2, dirtied by the merged write
}

TEST_CASE("cache: a hashed index spreads keys whose low bits agree - 64-bit keys", "[cache]") {
  // Keys that differ only above bit 16, as the same DDP slot of many flows does: a modulo
  // puts them all in one set, the hash over all of them.
  const auto sets_used = [](SetIndex index) {
    SetAssocCache c(64, 1, 1, Replacement::Lru, 1, index);  // 64 sets of one way
    uint32_t evictions = 0;
    for (uint64_t f = 0; f < 32; ++f) evictions += bring(c, f << 16 | 5).valid;
    return 32 - evictions;  // a direct-mapped cache keeps one line per set used
  };
  CHECK(sets_used(SetIndex::Modulo) == 1);
  CHECK(sets_used(SetIndex::Hashed) > 16);
  SetAssocCache c(4, 1, 1, Replacement::Lru, 1, SetIndex::Hashed);
  const uint64_t big = (uint64_t(1) << 40) + 7;
  bring(c, big);
  CHECK(c.contains(big));
  CHECK_FALSE(c.contains(7));  // the upper bits are part of the key
}
