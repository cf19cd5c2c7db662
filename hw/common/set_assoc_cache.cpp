#include "hw/common/set_assoc_cache.hpp"

#include <stdexcept>

namespace nic::hw {

Replacement replacement_from(const std::string& name) {
  if (name == "lru") return Replacement::Lru;
  if (name == "random") return Replacement::Random;
  throw std::invalid_argument("cache replacement must be lru or random, not " + name);
}

SetAssocCache::SetAssocCache(uint32_t entries, uint32_t ways, uint32_t mshrs, Replacement repl,
                             uint64_t seed, SetIndex index)
    : lines_(entries), mshrs_(mshrs), ways_(ways), sets_(ways ? entries / ways : 0), repl_(repl),
      index_(index), rng_(seed ? seed : 1) {
  if (!ways || !entries || entries % ways || !mshrs)
    throw std::invalid_argument("cache: entries must be a non-zero multiple of ways, mshrs >= 1");
}

uint32_t SetAssocCache::set_of(uint64_t key) const {
  // Fibonacci hashing: the product's upper half depends on every bit of the key.
  if (index_ == SetIndex::Hashed) key = (key * 0x9E3779B97F4A7C15ull) >> 32;
  return uint32_t(key % sets_);
}

int64_t SetAssocCache::find(uint64_t key) const {
  const uint32_t base = set_of(key) * ways_;
  for (uint32_t w = 0; w < ways_; ++w)
    if (lines_[base + w].valid && lines_[base + w].key == key) return base + w;
  return -1;
}

int64_t SetAssocCache::mshr_of(uint64_t key) const {
  for (size_t i = 0; i < mshrs_.size(); ++i)
    if (mshrs_[i].busy && mshrs_[i].key == key) return int64_t(i);
  return -1;
}

bool SetAssocCache::touch(uint64_t key, bool write) {
  const int64_t i = find(key);
  if (i < 0) return false;
  lines_[size_t(i)].used = ++clock_;
  lines_[size_t(i)].dirty |= write;
  return true;
}

SetAssocCache::Lookup SetAssocCache::access(uint64_t key, bool write) {
  const Lookup l = classify(key, write);
  if (observer_) observer_(l);
  return l;
}

SetAssocCache::Lookup SetAssocCache::classify(uint64_t key, bool write) {
  if (touch(key, write)) {
    ++st_.hits;
    return Lookup::Hit;
  }
  if (const int64_t m = mshr_of(key); m >= 0) {
    mshrs_[size_t(m)].dirty |= write;
    ++st_.merged;
    return Lookup::Merged;
  }
  if (!mshr_free()) {
    ++st_.mshr_full;
    return Lookup::MshrFull;
  }
  for (Mshr& m : mshrs_)
    if (!m.busy) {
      m = {true, write, key};
      break;
    }
  ++busy_;
  ++st_.misses;
  return Lookup::Miss;
}

uint32_t SetAssocCache::victim_way(uint32_t set) {
  const uint32_t base = set * ways_;
  for (uint32_t w = 0; w < ways_; ++w)
    if (!lines_[base + w].valid) return w;
  if (repl_ == Replacement::Random) {
    rng_ ^= rng_ << 13;  // xorshift64: reproducible for a given seed
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return uint32_t(rng_ % ways_);
  }
  uint32_t v = 0;
  for (uint32_t w = 1; w < ways_; ++w)
    if (lines_[base + w].used < lines_[base + v].used) v = w;
  return v;
}

SetAssocCache::Victim SetAssocCache::place(uint64_t key, bool dirty) {
  Line& l = lines_[set_of(key) * ways_ + victim_way(set_of(key))];
  Victim v;
  if (l.valid) {
    v = {true, l.key, l.dirty};
    ++(l.dirty ? st_.evictions_dirty : st_.evictions_clean);
  }
  l = {true, dirty, key, ++clock_};
  return v;
}

SetAssocCache::Victim SetAssocCache::fill(uint64_t key) {
  const int64_t m = mshr_of(key);
  if (m < 0) throw std::logic_error("cache: fill without a pending miss");
  Mshr& mshr = mshrs_[size_t(m)];
  mshr.busy = false;
  --busy_;
  if (touch(key, mshr.dirty)) return {};  // installed meanwhile: the fetched copy is stale
  return place(key, mshr.dirty);
}

SetAssocCache::Victim SetAssocCache::install(uint64_t key, bool dirty) {
  ++st_.installs;
  if (touch(key, dirty)) return {};
  return place(key, dirty);
}

void SetAssocCache::invalidate(uint64_t key) {
  if (const int64_t i = find(key); i >= 0) lines_[size_t(i)].valid = false;
}

}  // namespace nic::hw
