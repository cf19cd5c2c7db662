// Compactness of the per-flow and per-command state (bench/memory measures the totals): sizes
// that a careless field or container would grow, asserted exactly where they are fixed.
#include <catch2/catch.hpp>

#include <vector>

#include "hw/offload/flow_context.hpp"
#include "hw/offload/ddp_table.hpp"

using namespace nic;
using hw::SgEntry;

TEST_CASE("memory: a one-entry DDP registration costs its 28-byte slot and nothing more",
          "[memory][ddp]") {
  CHECK(sizeof(hw::DdpContext) == 28);
  hw::DdpTable t;
  t.reset(abi::nvme_tcp_slot_rule(1024), 128);
  REQUIRE(t.capacity() == 1024);
  const size_t empty = t.heap_bytes();
  CHECK(empty == 1024 * sizeof(hw::DdpContext));
  for (uint16_t cid = 0; cid < 1024; ++cid)
    REQUIRE(t.setup(cid, {{0x100000 + cid * 0x10000ull, 0x8000}}, 0x8000).err ==
            hw::DdpError::None);
  CHECK(t.registered() == 1024);
  CHECK(t.heap_bytes() == empty);

  t.reset(abi::nvme_tcp_slot_rule(100), 128);  // slots follow the queue size (rounded up to a power of two), down too
  CHECK(t.heap_bytes() == 128 * sizeof(hw::DdpContext));
}

TEST_CASE("memory: a longer SGL costs 16 bytes per entry, reused once freed", "[memory][ddp]") {
  hw::DdpTable t;
  t.reset(abi::nvme_tcp_slot_rule(64), 128);
  const size_t empty = t.heap_bytes();
  std::vector<SgEntry> pages;
  for (uint64_t i = 0; i < 4; ++i) pages.push_back({0x200000 + i * 0x2000, 4096});
  const auto register_all = [&](uint16_t gen) {
    for (uint16_t slot = 0; slot < 64; ++slot)
      REQUIRE(t.setup(uint16_t(slot | gen << 12), pages, 4 * 4096).err == hw::DdpError::None);
  };
  const auto release_all = [&](uint16_t gen) {
    for (uint16_t slot = 0; slot < 64; ++slot) {
      REQUIRE(t.teardown(uint16_t(slot | gen << 12)) == hw::DdpError::None);
      REQUIRE(t.finish_teardown(uint16_t(slot | gen << 12)) == hw::DdpError::None);
    }
  };
  register_all(0);
  CHECK(t.heap_bytes() - empty == 64 * 4 * 16);
  release_all(0);
  register_all(1);
  const size_t steady = t.heap_bytes();  // now with the free lists' storage
  // Teardowns and new registrations of the same shape reuse the runs: nothing grows.
  for (uint16_t gen = 2; gen < 6; ++gen) {
    release_all(uint16_t(gen - 1));
    register_all(gen);
  }
  CHECK(t.heap_bytes() == steady);
}

TEST_CASE("memory: per-flow NIC state exists only while the flow is offloaded", "[memory][flow]") {
  // The framer is one of the protocols' (sized for iSCSI's 48-byte BHS kept whole, and its
  // 52 bytes of header and digest collected during recovery), and the flow's own counters
  // for the report's flows (56 bytes, the context and DDP caches' misses among them).
  CHECK(sizeof(hw::FlowContext) <= 632);
  hw::FlowContexts flows(65536);
  CHECK(flows.get(7) == nullptr);
  hw::FlowStart st;
  st.queue_size = 128;
  flows.open(7, 42).start(hw::FlowLimits{}, st);
  REQUIRE(flows.get(7) != nullptr);
  CHECK(flows.get(7)->ddp.capacity() == 128);
  CHECK(flows.slot_of(42) == 7);
  flows.close(7);
  CHECK(flows.get(7) == nullptr);
  CHECK(flows.slot_of(42) == hw::FlowContexts::kNone);
}

TEST_CASE("memory: a closed flow's tracker figures still count in the totals", "[memory][flow]") {
  hw::FlowContexts flows(16);
  hw::FlowStart st;
  st.queue_size = 8;
  st.seq = 1000;
  const Bytes payload(100, 0);
  hw::PacketPlan plan;
  for (int32_t slot : {3, 4}) {
    flows.open(slot, uint32_t(slot)).start(hw::FlowLimits{}, st);
    flows.get(slot)->tracker.plan(5000, ByteView(payload), plan);  // after a gap: a hole
  }
  REQUIRE(flows.figures().tracker.holes == 2);
  flows.close(3);  // sk_del frees the context, not what it counted
  CHECK(flows.figures().tracker.holes == 2);
  flows.open(3, 9).start(hw::FlowLimits{}, st);
  CHECK(flows.figures().tracker.holes == 2);
}
