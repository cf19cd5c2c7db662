// Placement engine, completion ring and command processor over the real PCIe link and host
// memory (bench in nic_rig.hpp). Every TEST_CASE elaborates its own design, so each runs in
// its own process under ctest. Every case also asserts the bench's invariants: AT protocol
// rules, no DMA write outside a registered SG element or the rings, and each completion
// landing after the kept and placed bytes that rebuild its frame.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

#include "tests/sc/nic_rig.hpp"

using namespace nic;
using namespace nic::test;
using abi::CmdOp;
using abi::CmdStatus;
using abi::CqeType;
namespace flag = abi::cqeflag;

namespace {

constexpr uint8_t kOk = uint8_t(CmdStatus::Ok);
constexpr uint32_t kSeq0 = 1000;

// One SG entry per buffer, each in its own page-aligned region plus an odd offset.
std::vector<SgEntry> one_entry(uint16_t cid, uint32_t len) {
  return {{0x6000'0000 + uint64_t(cid) * 0x10'0000 + 5, len}};
}

uint32_t total(const std::vector<SgEntry>& sg) {
  return std::accumulate(sg.begin(), sg.end(), 0u,
                         [](uint32_t a, const SgEntry& e) { return a + e.len; });
}

// Payload bytes never zero, so untouched (zero) host memory is told apart from placed data.
Bytes data_bytes(size_t n, uint32_t seed) {
  Bytes b = random_bytes(n, seed);
  for (auto& x : b) x |= 1;
  return b;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes s;
  for (const Bytes& p : parts) s.insert(s.end(), p.begin(), p.end());
  return s;
}

// Runs the usual script: add the flow, register buffers, send the frames, wait until every
// frame is accounted for. Returns the statuses of the setup commands.
std::vector<uint8_t> run_frames(Rig& r, const std::vector<std::pair<uint16_t, std::vector<SgEntry>>>& bufs,
                                const std::vector<Bytes>& frames) {
  std::vector<uint8_t> st;
  r.drv.script = [&] {
    st.push_back(r.drv.done(r.drv.sk_add(kSeq0)));
    for (const auto& [cid, sg] : bufs) st.push_back(r.drv.done(r.drv.ddp_setup(cid, sg)));
    r.send(frames);
    r.drv.wait_until([&] { return r.drained() && r.drv.packets().size() + r.pe.stats().drop_rx_ring_full == frames.size(); });
  };
  r.run();
  return st;
}

// Placed and kept bytes of every completion add up to its frame.
void check_accounting(const Rig& r) {
  for (const Received* p : r.drv.packets()) {
    uint32_t placed = 0;
    for (uint8_t i = 0; i < p->c.nruns; ++i) placed += p->c.runs[i].len;
    CHECK(p->c.kept_len + placed == p->c.frame_len);
    CHECK(bool(p->c.flags & flag::PLACED) == (p->c.nruns > 0));
  }
}

}  // namespace

TEST_CASE("placement: C2HData lands byte-exact in unaligned sub-page SG elements under random input stalls",
          "[placement]") {
  Rig r;
  r.src.stall = 0.3;
  // Odd addresses and lengths; entries cross page boundaries and are smaller than a page.
  const std::vector<SgEntry> sg = {{0x5000'0107, 1000}, {0x5001'0FFD, 333}, {0x5002'0001, 4096},
                                   {0x5003'0800, 77},   {0x5004'0000, 2500}, {0x5005'03E7, 10},
                                   {0x5006'000D, 3984}};
  const Bytes data = data_bytes(total(sg), 1);
  const Bytes stream = concat({c2h_data(3, 0, data), capsule_resp(3)});
  const auto frames = segment_random(stream, kSeq0, 100, 1448, 2);

  const auto st = run_frames(r, {{3, sg}}, frames);
  CHECK(st == std::vector<uint8_t>{kOk, kOk});
  r.check_clean();
  CHECK(r.drv.buffers[0].read(r.mem, 0, data.size()) == data);

  const auto pk = r.drv.packets();
  REQUIRE(pk.size() == frames.size());
  uint32_t placed = 0;
  for (size_t i = 0; i < pk.size(); ++i) {
    const abi::Cqe& c = pk[i]->c;
    net::ParsedFrame pf;
    net::parse_frame(frames[i], pf);
    CHECK(c.frame_len == frames[i].size());
    CHECK(c.l4_off == pf.payload_offset);
    CHECK(c.seq == pf.seq);
    CHECK(c.flow == kHandle);
    const uint16_t always = flag::PARSED | flag::CSUM_OK | flag::OFFLOAD | flag::CRC_OK;
    CHECK((c.flags & always) == always);
    REQUIRE(c.nruns <= 1);
    for (uint8_t k = 0; k < c.nruns; ++k) {
      CHECK(c.runs[k].io_tag == 3);
      CHECK(c.runs[k].buf_off == placed);  // in order, no hole
      placed += c.runs[k].len;
    }
  }
  CHECK(placed == data.size());
  check_accounting(r);
  CHECK(r.pe.stats().bytes_placed == data.size());
  // Writes are cut at SG entries only: one per entry touched by a frame's run.
  CHECK(r.pe.stats().placement_writes >= sg.size());
  CHECK(r.pe.stats().unregistered == 0);
  CHECK(r.pool.in_use() == 0);
}

TEST_CASE("placement: data for an unregistered CID is kept whole, a registered one is placed",
          "[placement]") {
  Rig r;
  r.src.stall = 0.2;
  const Bytes d9 = data_bytes(3000, 3), d4 = data_bytes(3000, 4);
  const Bytes stream = concat({c2h_data(9, 0, d9), c2h_data(4, 0, d4)});
  const auto frames = segment(stream, kSeq0, 1448);
  run_frames(r, {{4, one_entry(4, 3000)}}, frames);
  r.check_clean();

  uint32_t placed_cid4 = 0;
  for (const Received* p : r.drv.packets()) {
    CHECK(p->c.flags & flag::OFFLOAD);
    for (uint8_t k = 0; k < p->c.nruns; ++k) {
      CHECK(p->c.runs[k].io_tag == 4);
      placed_cid4 += p->c.runs[k].len;
    }
  }
  CHECK(placed_cid4 == 3000);
  // The first two frames hold only CID 9 data and headers: nothing placed.
  const auto pk = r.drv.packets();
  REQUIRE(pk.size() == frames.size());
  CHECK(pk[0]->c.nruns == 0);
  CHECK(pk[0]->c.kept_len == frames[0].size());
  CHECK(pk[0]->kept == frames[0]);
  CHECK(pk[1]->c.nruns == 0);
  CHECK(r.pe.stats().unregistered >= 3);
  check_accounting(r);
  CHECK(r.drv.buffers[0].read(r.mem, 0, 3000) == d4);
}

namespace {

// Four small PDUs for CIDs 1..4 in one frame (with the CapsuleResp of CID 1 between them).
void four_pdus_in_one_frame(bool single_run) {
  SimConfig cfg = small_config();
  cfg.placement.single_run_per_packet = single_run;
  Rig r(cfg);
  Bytes d[5];
  Bytes stream;
  for (uint16_t cid = 1; cid <= 4; ++cid) {
    d[cid] = data_bytes(300, cid);
    stream = concat({stream, c2h_data(cid, 0, d[cid]), cid == 1 ? capsule_resp(1) : Bytes{}});
  }
  const auto frames = segment(stream, kSeq0, 1448);
  REQUIRE(frames.size() == 1);
  run_frames(r, {{1, one_entry(1, 300)}, {2, one_entry(2, 300)}, {3, one_entry(3, 300)},
                 {4, one_entry(4, 300)}},
             frames);
  r.check_clean();
  const auto pk = r.drv.packets();
  REQUIRE(pk.size() == 1);
  const abi::Cqe& c = pk[0]->c;
  const size_t runs = single_run ? 1 : abi::kMaxRunsPerCqe;
  REQUIRE(c.nruns == runs);
  for (uint16_t cid = 1; cid <= 4; ++cid) {
    const bool placed = cid <= runs;
    if (placed) {
      CHECK(c.runs[cid - 1].io_tag == cid);
      CHECK(c.runs[cid - 1].buf_off == 0);
      CHECK(c.runs[cid - 1].len == 300);
    }
    CHECK(r.drv.buffers[cid - 1].read(r.mem, 0, 300) == (placed ? d[cid] : Bytes(300, 0)));
  }
  CHECK(c.kept_len == frames[0].size() - 300 * runs);
  CHECK(r.pe.stats().runs_over_limit == 4 - runs);
  check_accounting(r);
}

}  // namespace

TEST_CASE("placement: ConnectX-7 rule places only the first run of a packet", "[placement]") {
  four_pdus_in_one_frame(true);
}

TEST_CASE("placement: without the ConnectX-7 rule a packet places up to kMaxRunsPerCqe runs",
          "[placement]") {
  four_pdus_in_one_frame(false);
}

// The PDU's header says where its data ends: a PDU running past the registration is left to
// software whole, also the packets of it that would fit.
TEST_CASE("placement: a PDU reaching past the registered length is not placed at all",
          "[placement]") {
  Rig r;
  r.src.stall = 0.2;
  // 2000 registered bytes; the first PDU carries 3000, a second one (DATAO 1500) fits exactly.
  const Bytes big = data_bytes(3000, 5), tail = data_bytes(500, 6);
  const Bytes stream = concat({c2h_data(1, 0, big, false), c2h_data(1, 1500, tail)});
  const auto frames = segment(stream, kSeq0, 1448);
  const std::vector<SgEntry> sg = {{0x5000'0003, 1200}, {0x5001'0005, 800}};
  run_frames(r, {{1, sg}}, frames);
  r.check_clean();
  CHECK(r.pe.stats().ddp_out_of_range >= 2);  // frame 0 holds data [0, 1424): it fits, but not the PDU
  const auto pk = r.drv.packets();
  REQUIRE(pk.size() == frames.size());
  CHECK(pk[0]->c.nruns == 0);
  CHECK(pk[1]->c.nruns == 0);
  const Bytes buf = r.drv.buffers[0].read(r.mem, 0, 2000);
  CHECK(std::all_of(buf.begin(), buf.begin() + 1500, [](uint8_t b) { return b == 0; }));
  CHECK(Bytes(buf.begin() + 1500, buf.end()) == tail);
  check_accounting(r);
}

TEST_CASE("placement: one outstanding DMA and a tight queue still complete everything in order",
          "[placement][backpressure]") {
  SimConfig cfg = small_config();
  cfg.dma.write_ops = cfg.dma.read_ops = 1;
  cfg.pcie.tags = 1;
  cfg.placement.rx_ring_bytes = 5000;  // not a power of two: kept bytes wrap mid-frame
  Rig r(cfg, 2);
  r.src.stall = 0.5;
  const std::vector<SgEntry> sg = {{0x5000'0011, 5000}, {0x5010'0000, 7000}, {0x5020'0FFF, 8000}};
  const Bytes data = data_bytes(total(sg), 7);
  const Bytes stream = concat({c2h_data(2, 0, data), capsule_resp(2)});
  const auto frames = segment_random(stream, kSeq0, 500, 1448, 8);
  run_frames(r, {{2, sg}}, frames);
  r.check_clean();
  CHECK(r.checker.max_writes == 1);
  CHECK(r.dma.stats().stall_write_ops > 0);
  CHECK(r.pe.stats().stall_dma > 0);
  CHECK(r.drv.packets().size() == frames.size());
  CHECK(r.drv.buffers[0].read(r.mem, 0, data.size()) == data);
  CHECK(r.pe.stats().drop_rx_ring_full == 0);
  check_accounting(r);
  // Completions carry the frames' sequences in arrival order.
  const auto pk = r.drv.packets();
  for (size_t i = 1; i < pk.size(); ++i) CHECK(pk[i]->c.seq > pk[i - 1]->c.seq);
}

TEST_CASE("placement: teardown completes only after the CID's in-flight writes left the NIC",
          "[placement][teardown]") {
  SimConfig cfg = small_config();
  cfg.pcie.latency_ns = 2000;  // long flight: writes are in flight when the teardown runs
  Rig r(cfg);
  const uint32_t io = 256 * 1024;
  const std::vector<SgEntry> sg = {{0x5000'0000, io / 2}, {0x5800'0001, io / 2}};
  const Bytes data = data_bytes(io, 9);
  const auto frames = segment(c2h_data(1, 0, data), kSeq0, 1448);
  uint64_t td = 0;
  uint8_t td_status = 0xFF;
  sc_time td_issued = sc_core::SC_ZERO_TIME;  // TeardownDone's write left the NIC
  r.checker.on_req = [&](const tlm::tlm_generic_payload& gp) {
    if (gp.get_address() >= kCq && gp.get_address() < kCq + 64 * abi::kCqeSize &&
        abi::Cqe::decode(gp.get_data_ptr()).type == CqeType::TeardownDone)
      td_issued = sc_time::from_value(r.clk.now_ps());  // the domain may run ahead of the kernel
  };
  r.drv.script = [&] {
    r.drv.done(r.drv.sk_add(kSeq0));
    r.drv.done(r.drv.ddp_setup(1, sg));
    r.send(frames);
    r.drv.wait_until([&] { return r.pe.stats().frames > 20; });
    td = r.drv.simple(CmdOp::DdpTeardown, 1);
    td_status = r.drv.done(td);
    r.drv.wait_until([&] {
      return r.drv.find(CqeType::TeardownDone, td) && r.drained() &&
             r.drv.packets().size() == frames.size();
    });
  };
  r.run();
  r.check_clean();  // includes: no write into the buffer after TeardownDone landed
  CHECK(td_status == kOk);
  CHECK(r.cp.stats().teardowns_waited == 1);
  CHECK(r.cp.stats().teardowns_done == 1);
  // TeardownDone landed after the last write into the buffer and after its CmdDone.
  size_t last_write = 0, cmd_done = 0, td_done = 0;
  for (size_t i = 0; i < r.log.size(); ++i) {
    const auto& l = r.log[i];
    if (!l.is_cqe && l.addr >= 0x5000'0000 && l.addr < 0x6000'0000) last_write = i;
    if (l.is_cqe && l.cqe.tag == td && l.cqe.type == CqeType::CmdDone) cmd_done = i;
    if (l.is_cqe && l.cqe.tag == td && l.cqe.type == CqeType::TeardownDone) td_done = i;
  }
  CHECK(td_done > last_write);
  CHECK(td_done > cmd_done);
  // Not only ordered by the in-order DMA: the NIC wrote TeardownDone only once the last
  // write into the buffer had left it (posted writes: PCIe ordering does the rest).
  CHECK(td_issued >= r.log[last_write].at - sc_time(cfg.pcie.latency_ns, SC_NS));
  const Received* done = r.drv.find(CqeType::TeardownDone, td);
  REQUIRE(done);
  CHECK(done->c.io_tag == 1);
  CHECK(done->c.flow == kHandle);
  // Placement stopped part-way: later frames are kept whole, the buffer is partly written.
  const auto pk = r.drv.packets();
  CHECK(pk.front()->c.nruns == 1);
  CHECK(pk.back()->c.nruns == 0);
  CHECK(r.pe.stats().bytes_placed < io);
  CHECK(r.pe.writes_in_flight(r.table.lookup(c2h_tuple()), 1) == 0);
  check_accounting(r);
}

TEST_CASE("placement: a full receive ring drops whole frames and places nothing for them",
          "[placement][backpressure]") {
  SimConfig cfg = small_config();
  cfg.placement.rx_ring_bytes = 8192;
  Rig r(cfg);
  r.drv.free_rx = false;  // the driver never returns ring space
  const Bytes d9 = data_bytes(7000, 10), d1 = data_bytes(30000, 11);
  const auto frames = segment(concat({c2h_data(9, 0, d9), c2h_data(1, 0, d1)}), kSeq0, 1448);
  run_frames(r, {{1, one_entry(1, 30000)}}, frames);
  r.check_clean();
  const uint64_t drops = r.pe.stats().drop_rx_ring_full;
  CHECK(drops > 0);
  const auto pk = r.drv.packets();
  CHECK(pk.size() + drops == frames.size());
  // Bytes of the buffer no completion reports as placed were never written.
  const Bytes buf = r.drv.buffers[0].read(r.mem, 0, 30000);
  std::vector<bool> reported(30000, false);
  uint64_t kept = 0;
  for (const Received* p : pk) {
    kept += p->c.kept_len;
    for (uint8_t k = 0; k < p->c.nruns; ++k)
      std::fill_n(reported.begin() + p->c.runs[k].buf_off, p->c.runs[k].len, true);
  }
  for (size_t i = 0; i < buf.size(); ++i) {
    if (reported[i] ? buf[i] != d1[i] : buf[i] != 0) {
      FAIL_CHECK("buffer byte " << i << (reported[i] ? " wrong" : " written for a dropped frame"));
      break;
    }
  }
  CHECK(kept <= 8192);
  check_accounting(r);
}

TEST_CASE("placement: a full completion ring stalls the engine and loses no completion",
          "[placement][backpressure]") {
  SimConfig cfg = small_config();
  cfg.placement.cq_entries = 4;
  Rig r(cfg);
  const Bytes data = data_bytes(20000, 12);
  const auto frames = segment(c2h_data(1, 0, data), kSeq0, 1448);
  r.drv.script = [&] {
    r.drv.done(r.drv.sk_add(kSeq0));
    r.drv.done(r.drv.ddp_setup(1, one_entry(1, 20000)));
    r.drv.consume = false;
    r.send(frames);
    r.drv.wait_until([&] { return r.pe.stats().stall_cq_full > 100; });
    r.drv.release();
    r.drv.wait_until([&] { return r.drained() && r.drv.packets().size() == frames.size(); });
  };
  r.run();
  r.check_clean();
  CHECK(r.pe.stats().stall_cq_full > 100);
  CHECK(r.cq.total_posted() == 2 + frames.size());
  const auto pk = r.drv.packets();
  REQUIRE(pk.size() == frames.size());
  for (size_t i = 1; i < pk.size(); ++i) CHECK(pk[i]->c.seq > pk[i - 1]->c.seq);
  CHECK(r.drv.buffers[0].read(r.mem, 0, data.size()) == data);
}

TEST_CASE("command processor: every command answers in order with the right status",
          "[placement][cmd]") {
  SimConfig cfg = small_config();
  cfg.flow.entries = 2;  // one set of two ways
  cfg.flow.ways = 2;
  cfg.placement.max_sg_entries = 4;
  Rig r(cfg);
  const auto other = [](uint16_t port) {
    net::FiveTuple t = c2h_tuple();
    t.dport = port;
    return t;
  };
  std::vector<std::pair<const char*, uint8_t>> st;
  std::vector<uint64_t> tags;
  uint64_t td = 0;
  const auto expect = [&](const char* what, uint64_t tag) {
    tags.push_back(tag);
    st.push_back({what, r.drv.done(tag)});
  };
  r.drv.script = [&] {
    ScriptDriver& d = r.drv;
    expect("sk_add", d.sk_add(kSeq0, 8));
    expect("sk_add same handle", d.sk_add(kSeq0, 8, other(1)));
    expect("sk_add same tuple", d.sk_add(kSeq0, 8, c2h_tuple(), 2));
    expect("sk_add second", d.sk_add(kSeq0, 8, other(2), 2));
    expect("sk_add table full", d.sk_add(kSeq0, 8, other(3), 3));
    expect("setup unknown flow", d.ddp_setup(1, one_entry(1, 100), 99, false));
    expect("setup too many sg", d.ddp_setup(1, {{0x5000'0000, 1}, {0x5000'1000, 1}, {0x5000'2000, 1},
                                                {0x5000'3000, 1}, {0x5000'4000, 1}},
                                            kHandle, false));
    expect("setup zero-length entry", d.ddp_setup(1, {{0x5000'0000, 0}}, kHandle, false));
    expect("setup", d.ddp_setup(1, one_entry(1, 100)));
    expect("setup busy", d.ddp_setup(1, one_entry(1, 100), kHandle, false));
    expect("setup of a CID sharing the slot", d.ddp_setup(9, one_entry(9, 100), kHandle, false));
    expect("teardown unregistered", d.simple(CmdOp::DdpTeardown, 2));
    expect("sk_del while registered", d.simple(CmdOp::SkDel));
    expect("teardown", td = d.simple(CmdOp::DdpTeardown, 1));
    d.wait_until([&] { return d.find(CqeType::TeardownDone, td) != nullptr; });
    expect("setup after teardown (CID reuse)", d.ddp_setup(1, one_entry(1, 100)));
    expect("teardown again", d.simple(CmdOp::DdpTeardown, 1));
    d.wait_until([&] { return d.find(CqeType::TeardownDone, tags.back()) != nullptr; });
    expect("resync nothing asked", d.simple(CmdOp::Resync, 0, kHandle, 4242));
    expect("sk_del", d.simple(CmdOp::SkDel));
    expect("sk_del again", d.simple(CmdOp::SkDel));
    expect("unknown opcode", d.simple(CmdOp(0x7F)));
  };
  r.run();
  r.check_clean();
  const auto S = [](CmdStatus s) { return uint8_t(s); };
  const std::vector<uint8_t> want = {
      S(CmdStatus::Ok),      S(CmdStatus::Invalid), S(CmdStatus::Invalid),   S(CmdStatus::Ok),
      S(CmdStatus::Full),    S(CmdStatus::Invalid), S(CmdStatus::TooManySg), S(CmdStatus::Invalid),
      S(CmdStatus::Ok),      S(CmdStatus::Busy),    S(CmdStatus::Busy),      S(CmdStatus::Invalid),
      S(CmdStatus::Busy),    S(CmdStatus::Ok),      S(CmdStatus::Ok),        S(CmdStatus::Ok),
      S(CmdStatus::Invalid), S(CmdStatus::Ok),      S(CmdStatus::Invalid),   S(CmdStatus::Invalid)};
  REQUIRE(st.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO(st[i].first);
    CHECK(unsigned(st[i].second) == unsigned(want[i]));
  }
  // CmdDone entries arrive in command order, each echoing its tag.
  std::vector<uint64_t> done_tags;
  for (const Received& g : r.drv.got)
    if (g.c.type == CqeType::CmdDone) done_tags.push_back(g.c.tag);
  CHECK(done_tags == tags);
  CHECK(r.cp.stats().teardowns_done == 2);
  CHECK(r.flows.slot_of(kHandle) == FlowContexts::kNone);  // deleted
  CHECK(r.flows.slot_of(2) != FlowContexts::kNone);
  CHECK(r.flows.get(r.table.lookup(c2h_tuple())) == nullptr);
  CHECK(r.table.size() == 1);
}

// The NIC writes a registration's bytes once, in offset order, and nothing after the read's
// completion: a repeated range and a PDU behind the CapsuleResp in the same packet go to
// software, and the buffer keeps the first copy.
TEST_CASE("placement: nothing placed twice and nothing after the completion", "[placement][integrity]") {
  Rig r;
  const Bytes first = data_bytes(1000, 1), again = data_bytes(400, 2), stale = data_bytes(300, 3);
  const Bytes stream = concat({c2h_data(1, 0, first, false), c2h_data(1, 200, again, false),
                               capsule_resp(1), c2h_data(1, 0, stale, false)});
  const auto frames = segment(stream, kSeq0, 9000);  // one packet
  const std::vector<SgEntry> sg = {{0x5000'0000, 1000}};
  run_frames(r, {{1, sg}}, frames);
  r.check_clean();
  CHECK(r.pe.stats().ddp_overlap == 1);
  CHECK(r.pe.stats().after_completion == 1);
  CHECK(r.pe.stats().bytes_placed == 1000);
  CHECK(r.drv.buffers[0].read(r.mem, 0, 1000) == first);
}
