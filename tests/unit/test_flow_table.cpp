#include <catch2/catch.hpp>

#include <set>

#include "hw/flow/flow_table.hpp"

using namespace nic;

namespace {
net::FiveTuple tuple(uint32_t i) {
  return {net::IpAddr::v4(0x0A000000u + i), net::IpAddr::v4(10, 1, 0, 1), 4420, uint16_t(i)};
}
}  // namespace

TEST_CASE("flow table: exact match, no false hits, remove frees the slot", "[flow]") {
  hw::FlowTable t(4096, 4);
  std::set<int32_t> slots;
  for (uint32_t i = 0; i < 2000; ++i) {
    const int32_t s = t.insert(tuple(i));
    if (s != hw::FlowTable::kMiss) slots.insert(s);
  }
  CHECK(slots.size() == t.size());
  CHECK(t.size() > 1900);  // a well-mixed hash fills a half-empty 4-way table almost fully
  for (uint32_t i = 0; i < 2000; ++i) {
    const int32_t s = t.lookup(tuple(i));
    if (s != hw::FlowTable::kMiss) CHECK(slots.count(s));
  }
  CHECK(t.lookup(tuple(5000)) == hw::FlowTable::kMiss);
  CHECK(t.lookup(tuple(1).reversed()) == hw::FlowTable::kMiss);
  const int32_t s = t.lookup(tuple(3));
  REQUIRE(s != hw::FlowTable::kMiss);
  CHECK(t.insert(tuple(3)) == hw::FlowTable::kMiss);  // already present
  CHECK(t.remove(s));
  CHECK(t.lookup(tuple(3)) == hw::FlowTable::kMiss);
  CHECK(t.size() == slots.size() - 1);
  CHECK_FALSE(t.remove(s));
  CHECK_FALSE(t.remove(hw::FlowTable::kMiss));
  CHECK(t.insert(tuple(3)) == s);  // the freed way is taken again
}

TEST_CASE("flow table: a full set refuses the insert", "[flow]") {
  hw::FlowTable t(2, 2);  // one set of two ways
  CHECK(t.insert(tuple(1)) >= 0);
  CHECK(t.insert(tuple(2)) >= 0);
  CHECK(t.insert(tuple(3)) == hw::FlowTable::kMiss);
  CHECK_THROWS(hw::FlowTable(10, 4));
}
