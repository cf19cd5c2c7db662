// Operation costs of the command processor and the placement engine (docs/costs.md), timed at
// the DMA engine's requests (AtChecker: the cycle of every BEGIN_REQ and its address), over
// the bench of nic_rig.hpp. Each case runs one design (one process under ctest), so each
// setting has its own case with its golden figure worked out in the comments, not read off
// the model. That every cost at 0 gives the timing from before the costs is the regress test
// regress.zero_costs_match_before.
#include <catch2/catch.hpp>

#include "tests/sc/nic_rig.hpp"

using namespace nic;
using namespace nic::test;
using abi::CmdOp;
using abi::CmdStatus;

namespace {

constexpr uint8_t kOk = uint8_t(CmdStatus::Ok);
constexpr uint32_t kSeq0 = 1000;

// The cycle the DMA engine issued the write of completion entry n (the n-th posted).
uint64_t cqe_issue(const Rig& r, uint32_t n) {
  const uint64_t addr = kCq + uint64_t(n) * abi::kCqeSize;
  for (size_t i = 0; i < r.checker.req_addrs.size(); ++i)
    if (r.checker.req_addrs[i] == addr) return r.checker.req_cycles[i];
  FAIL("no write of completion entry " << n);
  return 0;
}

std::vector<SgEntry> sgl(uint32_t entries, uint64_t base) {
  std::vector<SgEntry> v;
  for (uint32_t i = 0; i < entries; ++i) v.push_back({base + i * 0x1000ull, 512});
  return v;
}

// After sk_add (completion entry 0), one doorbell brings `cmds` (entries 1, 2...): the first an
// 8-entry setup, whose cost (at least 8 cycles) gives the later commands' SGL reads time to
// land. Each later command starts the cycle after the one before it answered and answers its
// own cost later, so entry k+1 is issued 1 + cost(k+1) cycles after entry k.
// `cmds` posts the later commands and returns their tags.
std::vector<uint64_t> command_gaps(
    const SimConfig& cfg, const std::function<std::vector<uint64_t>(ScriptDriver&)>& cmds) {
  Rig r(cfg);
  std::vector<uint8_t> st;
  r.drv.script = [&] {
    st.push_back(r.drv.done(r.drv.sk_add(kSeq0)));
    r.drv.batch = true;
    std::vector<uint64_t> tags = {r.drv.ddp_setup(1, sgl(8, 0x5000'0000))};
    for (uint64_t t : cmds(r.drv)) tags.push_back(t);
    r.drv.ring();
    for (uint64_t t : tags) st.push_back(r.drv.done(t));
  };
  r.run();
  r.check_clean();
  CHECK(st == std::vector<uint8_t>(st.size(), kOk));
  std::vector<uint64_t> gaps;
  for (uint32_t n = 2; n <= r.cq.total_posted() - 1; ++n)
    gaps.push_back(cqe_issue(r, n) - cqe_issue(r, n - 1));
  return gaps;
}

// A setup of 5 SG entries behind the 8-entry one: 1 + cqe_write_cycles + setup_cycles +
// 5 x setup_cycles_per_sg.
uint64_t setup_gap(const SimConfig& cfg) {
  const auto gaps = command_gaps(cfg, [](ScriptDriver& d) {
    return std::vector<uint64_t>{d.ddp_setup(2, sgl(5, 0x5100'0000))};
  });
  REQUIRE(gaps.size() == 1);
  return gaps[0];
}

}  // namespace

TEST_CASE("costs: a DDP setup of 5 SG entries answers 1 + 1 + 8 + 5 = 15 cycles after the command before it", "[cmd][costs]") {
  CHECK(setup_gap(small_config()) == 15);
}

TEST_CASE("costs: doubling the per-SG-entry cost lengthens a 5-entry setup by 5 x 1 cycles", "[cmd][costs]") {
  SimConfig c = small_config();
  c.placement.setup_cycles_per_sg = 2;
  CHECK(setup_gap(c) == 20);  // 1 + 1 + 8 + 5 x 2
}

TEST_CASE("costs: a completion entry of 4 cycles lengthens each command by 3", "[cmd][costs]") {
  SimConfig c = small_config();
  c.placement.cqe_write_cycles = 4;
  CHECK(setup_gap(c) == 18);  // 1 + 4 + 8 + 5
}

namespace {

// An SkAdd of a second flow and its SkDel behind the 8-entry setup: 1 + cqe_write_cycles +
// sk_add_cycles, then 1 + cqe_write_cycles + sk_del_cycles.
std::vector<uint64_t> sk_gaps(const SimConfig& cfg) {
  return command_gaps(cfg, [](ScriptDriver& d) {
    net::FiveTuple t = c2h_tuple();
    t.dport = 1;
    return std::vector<uint64_t>{d.sk_add(kSeq0, 8, t, 2), d.simple(CmdOp::SkDel, 0, 2)};
  });
}

}  // namespace

TEST_CASE("costs: SkAdd and SkDel take 16 and 8 cycles before they answer", "[cmd][costs]") {
  CHECK(sk_gaps(small_config()) == std::vector<uint64_t>{18, 10});  // 1 + 1 + 16, 1 + 1 + 8
}

TEST_CASE("costs: SkAdd and SkDel take their own parameters' cycles", "[cmd][costs]") {
  SimConfig c = small_config();
  c.placement.sk_add_cycles = 40;
  c.placement.sk_del_cycles = 3;
  CHECK(sk_gaps(c) == std::vector<uint64_t>{42, 5});  // 1 + 1 + 40, 1 + 1 + 3
}

namespace {

// Two frames back to back, each 54 header bytes and four 32-byte C2HData PDUs (24 header + 4
// data + 4 digest) in three 64-byte beats: beat 0 holds payload [0, 10), beat 1 [10, 74) with
// the data of PDUs 0 and 1, beat 2 [74, 128) with the data of PDUs 2 and 3. Nothing is
// registered, so each frame's DMA is one receive-ring write (cycle e + 1 after its last beat
// was taken in cycle e, no wrap) and its completion (e + 2). The source offers a beat per
// cycle, so without costs the second frame's last beat is taken 3 cycles after the first's.
// Costs add, between the two last beats: the first frame's beat 2 (two lookups: c), its
// entries (cqe + rx), the second frame's beat 1 (c). Gap: 3 + 2c + cqe + rx.
uint64_t placement_gap(const SimConfig& cfg) {
  Rig r(cfg);
  Bytes stream;
  for (uint16_t cid = 0; cid < 8; ++cid) {
    const Bytes pdu = c2h_data(cid, 0, random_bytes(4, cid));
    stream.insert(stream.end(), pdu.begin(), pdu.end());
  }
  REQUIRE(stream.size() == 256);
  const auto frames = segment(stream, kSeq0, 128);
  r.drv.script = [&] {
    r.drv.done(r.drv.sk_add(kSeq0));
    r.send(frames);
    r.drv.wait_until([&] { return r.drained() && r.drv.packets().size() == 2; });
  };
  r.run();
  r.check_clean();
  CHECK(r.pe.stats().unregistered == 8);
  return cqe_issue(r, 2) - cqe_issue(r, 1);
}

}  // namespace

TEST_CASE("costs: placement charges an extra DDP lookup per beat and its entries", "[placement][costs]") {
  CHECK(placement_gap(small_config()) == 7);  // 3 + 2 x 1 + 1 + 1
}

TEST_CASE("costs: at 3 cycles per extra segment placement holds each two-lookup beat 3 more", "[placement][costs]") {
  SimConfig c = small_config();
  c.placement.cycles_per_extra_segment = 3;
  CHECK(placement_gap(c) == 11);  // 3 + 2 x 3 + 1 + 1
}

TEST_CASE("costs: completion entries and receive-ring writes cost the placement engine their cycles", "[placement][costs]") {
  SimConfig c = small_config();
  c.placement.cqe_write_cycles = 5;
  c.placement.rx_ring_write_cycles = 2;
  CHECK(placement_gap(c) == 12);  // 3 + 2 x 1 + 5 + 2
}

TEST_CASE("costs: with no placement costs the engine takes a beat per cycle as before", "[placement][costs]") {
  SimConfig c = small_config();
  c.placement.cycles_per_extra_segment = c.placement.cqe_write_cycles =
      c.placement.rx_ring_write_cycles = 0;
  CHECK(placement_gap(c) == 3);
}

namespace {

// Contention on the DDP table's write port. Buffer 1 is registered, then 10 us later one frame
// brings C2HData for it and its CapsuleResp: placement, in the cycle f it takes the frame's
// last beat, writes the run's high-water mark and the completion's close, booking the port for
// 2 x ddp_write_cycles from f; its one placement write issues at f + 1. The driver registers
// buffer 2 as soon as it sees the frame's completion, about 3.5 us (900 cycles) later; the
// setup's slot write waits until the port is free at f + 2 x ddp_write_cycles, then answers,
// its CmdDone issuing the cycle after. Returns that CmdDone's issue minus the placement
// write's, and the cycles the setup waited.
std::pair<uint64_t, uint64_t> port_wait(const SimConfig& cfg) {
  Rig r(cfg);
  const auto sg1 = sgl(1, 0x5000'0000);
  const Bytes data = random_bytes(512, 9);
  Bytes stream = c2h_data(1, 0, data);
  const Bytes resp = capsule_resp(1);
  stream.insert(stream.end(), resp.begin(), resp.end());
  uint64_t setup2 = 0;
  r.drv.script = [&] {
    r.drv.done(r.drv.sk_add(kSeq0));
    r.drv.done(r.drv.ddp_setup(1, sg1));
    sc_core::wait(sc_time(10, sc_core::SC_US));
    r.send(segment(stream, kSeq0, stream.size()));
    r.drv.wait_until([&] { return r.drv.packets().size() == 1; });
    setup2 = r.drv.ddp_setup(2, sgl(1, 0x5100'0000));
    r.drv.done(setup2);
  };
  r.run();
  r.check_clean();
  CHECK(r.drv.buffers[0].read(r.mem, 0, data.size()) == data);
  uint64_t placed_at = 0;
  for (size_t i = 0; i < r.checker.req_addrs.size(); ++i)
    if (r.checker.req_addrs[i] == sg1[0].addr) placed_at = r.checker.req_cycles[i];
  REQUIRE(placed_at);
  return {cqe_issue(r, 3) - placed_at, r.cp.stats().stall_ddp_port};
}

}  // namespace

TEST_CASE("costs: a setup waits while placement holds the DDP table's write port", "[cmd][placement][costs]") {
  SimConfig c = small_config();
  c.placement.ddp_write_cycles = 1000;
  const auto [gap, waited] = port_wait(c);
  CHECK(gap == 2000);  // (f + 2 x 1000 + 1) - (f + 1)
  CHECK(waited > 0);
}

TEST_CASE("costs: with a free write port the setup does not wait", "[cmd][placement][costs]") {
  SimConfig c = small_config();
  c.placement.ddp_write_cycles = 0;
  const auto [gap, waited] = port_wait(c);
  CHECK(gap < 2000);
  CHECK(waited == 0);
}
