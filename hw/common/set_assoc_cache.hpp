// A set-associative cache of fixed-size lines keyed by a 64-bit index (a flow-table slot, or a
// DDP registration or SGL line), with miss-status holding registers: the bookkeeping an on-chip context cache does, with no
// data and no notion of time. The owner issues the fetch a Miss asks for, calls fill() when
// it returns and writes back the dirty victim fill() names. Plain C++: timing lives in the
// SystemC wrapper (hw/pcie/BackedCache).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace nic::hw {

enum class Replacement : uint8_t { Lru, Random };
// "lru" or "random"; throws std::invalid_argument otherwise.
Replacement replacement_from(const std::string& name);

struct CacheStats {
  uint64_t hits = 0, misses = 0;
  uint64_t merged = 0;     // misses to a line already being fetched: no second fetch
  uint64_t mshr_full = 0;  // accesses refused because every MSHR was busy
  uint64_t evictions_clean = 0, evictions_dirty = 0;
  uint64_t installs = 0;   // lines written whole on chip, without a fetch
};

// How a key picks its set. Modulo: the key modulo the set count, for keys whose low bits are
// already uniform. Hashed: a multiplicative hash of the whole key first, for keys that pack
// fields: a flow-table slot (its set above its way, mostly way 0) or a flow slot above a DDP
// slot, whose low bits alone would crowd a few sets.
enum class SetIndex : uint8_t { Modulo, Hashed };

class SetAssocCache {
 public:
  enum class Lookup : uint8_t { Hit, Miss, Merged, MshrFull };
  struct Victim {
    bool valid = false;  // a line was evicted
    uint64_t key = 0;
    bool dirty = false;  // it must be written back
  };

  // `entries` a multiple of `ways`; `mshrs` >= 1. `seed` drives Replacement::Random.
  SetAssocCache(uint32_t entries, uint32_t ways, uint32_t mshrs, Replacement repl,
                uint64_t seed = 1, SetIndex index = SetIndex::Modulo);

  // One access to `key`; `write` marks the line dirty. Hit: the line becomes most recently
  // used. Miss: an MSHR now holds `key`; fetch it and call fill(key). Merged: an MSHR already
  // does (a write makes the line dirty when it lands). MshrFull: nothing changed; retry.
  Lookup access(uint64_t key, bool write);
  // Sees the outcome of every access (a time series of hit rates; the stats hold the totals).
  using Observer = std::function<void(Lookup)>;
  void set_observer(Observer o) { observer_ = std::move(o); }
  // A use that does not count as an access: true (and the line refreshed, dirtied on `write`)
  // when `key` is on chip.
  bool touch(uint64_t key, bool write);
  bool contains(uint64_t key) const { return find(key) >= 0; }
  bool pending(uint64_t key) const { return mshr_of(key) >= 0; }
  bool mshr_free() const { return busy_ < mshrs_.size(); }
  // The fetch of `key` returned (an MSHR holds it): installs the line in its set, an invalid
  // way first, else the replacement's victim, which is returned. A line installed while it
  // was being fetched stays where it is (dirtied by a merged write) and nothing is evicted.
  Victim fill(uint64_t key);
  // The owner wrote the whole line (a new registration): it goes on chip without a fetch,
  // most recently used, dirty if it must reach memory; returns the victim as fill() does. A
  // line already on chip is refreshed in place; a fetch still pending for it lands on it.
  Victim install(uint64_t key, bool dirty);
  // The state is gone (sk_del, a finished teardown): the line is dropped unwritten. A
  // pending fill still lands.
  void invalidate(uint64_t key);

  const CacheStats& stats() const { return st_; }
  uint32_t entries() const { return uint32_t(lines_.size()); }
  uint32_t ways() const { return ways_; }

 private:
  struct Line {
    bool valid = false, dirty = false;
    uint64_t key = 0;
    uint64_t used = 0;  // last use, for LRU
  };
  struct Mshr {
    bool busy = false, dirty = false;
    uint64_t key = 0;
  };
  uint32_t set_of(uint64_t key) const;
  int64_t find(uint64_t key) const;  // line index or -1
  int64_t mshr_of(uint64_t key) const;
  uint32_t victim_way(uint32_t set);
  // Puts `key` in its set (an invalid way first, else the replacement's victim).
  Victim place(uint64_t key, bool dirty);
  Lookup classify(uint64_t key, bool write);  // access() without the observer

  std::vector<Line> lines_;  // set-major: set s holds lines [s * ways, (s + 1) * ways)
  std::vector<Mshr> mshrs_;
  uint32_t ways_, sets_;
  uint32_t busy_ = 0;  // MSHRs in use
  Replacement repl_;
  SetIndex index_;
  uint64_t clock_ = 0;  // use counter: LRU order without per-set lists
  uint64_t rng_;
  CacheStats st_;
  Observer observer_;
};

}  // namespace nic::hw
