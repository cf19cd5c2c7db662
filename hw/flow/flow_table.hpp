// Exact-match, set-associative table of offloaded connections, keyed by the 5-tuple of the
// controller->host direction. A full set refuses the insert (sk_add fails and the connection
// stays in software), as a hardware table without overflow chaining does.
#pragma once
#include <cstdint>
#include <vector>

#include "proto/net.hpp"

namespace nic::hw {

class FlowTable {
 public:
  static constexpr int32_t kMiss = -1;

  FlowTable(uint32_t entries, uint32_t ways);

  // Returns the slot index, or kMiss when the tuple's set is full or it is already present.
  int32_t insert(const net::FiveTuple& t);
  // Frees a slot insert or lookup returned; false when it holds no flow (or is kMiss).
  bool remove(int32_t slot);
  int32_t lookup(const net::FiveTuple& t) const;

  uint32_t capacity() const { return uint32_t(slots_.size()); }
  uint32_t ways() const { return ways_; }
  uint32_t size() const { return used_; }
  uint64_t lookups() const { return lookups_; }
  uint64_t hits() const { return hits_; }

 private:
  struct Slot {
    bool valid = false;
    net::FiveTuple key;
  };
  uint32_t set_of(const net::FiveTuple& t) const { return uint32_t(t.hash() % sets_); }

  std::vector<Slot> slots_;
  uint32_t ways_, sets_;
  uint32_t used_ = 0;
  mutable uint64_t lookups_ = 0, hits_ = 0;
};

}  // namespace nic::hw
