// The receive pipeline from MAC to CRC, driven by hand-built frames: wire timing, clock
// gating, checksum gate, flow lookup, PDU plans and CRC verdicts under random back-pressure.
#include <catch2/catch.hpp>
#include <systemc>

#include <random>

#include "hw/common/ClockDomain.hpp"
#include "hw/common/StreamChannel.hpp"
#include "hw/crc/Crc32cPipeline.hpp"
#include "hw/flow/FlowLookup.hpp"
#include "hw/l2l4/HeaderParser.hpp"
#include "hw/mac/Mac.hpp"
#include "hw/parser/PduParser.hpp"
#include "proto/nvme_tcp.hpp"

using namespace nic;
using namespace nic::hw;

namespace {

net::FiveTuple c2h_tuple(uint16_t host_port) {
  return {net::IpAddr::v4(10, 0, 0, 2), net::IpAddr::v4(10, 0, 0, 1), 4420, host_port};
}

Bytes frame(const net::FiveTuple& t, uint32_t seq, ByteView payload) {
  net::FrameSpec s;
  s.tuple = t;
  s.seq = seq;
  return net::build_frame(s, payload);
}

// Consumes beats at the end of the pipeline, stalling at random, and records each frame.
struct Sink : sc_core::sc_module, ClockDomain::Clocked {
  ClockDomain& clk;
  StreamChannel<Beat>& in;
  std::mt19937 rng;
  double stall;
  std::vector<PacketCtx*> frames;
  std::vector<uint64_t> sop_cycles, eop_cycles;
  uint64_t beats = 0;
  Sink(sc_core::sc_module_name n, ClockDomain& c, StreamChannel<Beat>& i, double stall_p)
      : sc_module(n), clk(c), in(i), rng(7), stall(stall_p) {
    clk.attach(*this);
  }
  void tick() override {
    if (!in.can_pop()) return;
    if (std::uniform_real_distribution<>(0, 1)(rng) < stall) {
      clk.request_next();
      return;
    }
    Beat b = in.take();
    ++beats;
    if (b.sop) sop_cycles.push_back(clk.cycle());
    if (b.eop) {
      frames.push_back(b.pkt);
      eop_cycles.push_back(clk.cycle());
    }
  }
};

// The operation costs of the parser's search and the CRC stage; 0 turns one off.
struct StageCosts {
  uint32_t search_bytes_per_cycle = 0;
  uint32_t crc_cycles_per_extra_segment = 0;
  uint32_t crc_combine_cycles = 0;
};

struct Rig {
  ClockDomain clk{"clk", 250.0};
  ClockDomain mac_clk;
  PacketPool pool;
  FlowTable table{64, 4};
  FlowContexts flows{64};
  std::vector<std::pair<uint64_t, Bytes>> trace;  // (ts ps, frame)
  size_t next = 0;
  std::vector<std::string> drops;
  StreamChannel<Beat> c0{"c0", clk, 4}, c1{"c1", clk, 4}, c2{"c2", clk, 4}, c3{"c3", clk, 4},
      c4{"c4", clk, 4};
  std::unique_ptr<Mac> mac;
  HeaderParser hp{"hp", clk, c0, c1};
  FlowLookup fl{"fl", clk, c1, c2, table, 4};
  PduParser pp;
  Crc32cPipeline crc;
  Sink sink;

  explicit Rig(double stall, MacParams mp = {}, StageCosts costs = {})
      : mac_clk("mac_clk", mp.clock_mhz),
        pp("pp", clk, c2, c3, flows, ParserParams::kLatencyCycles, 1,
           costs.search_bytes_per_cycle),
        crc("crc", clk, c3, c4, flows, 2, costs.crc_cycles_per_extra_segment,
            costs.crc_combine_cycles),
        sink("sink", clk, c4, stall) {
    mac = std::make_unique<Mac>(
        "mac", mac_clk, clk, c0, mp, 64, true,
        [this](uint64_t& ts) -> PacketCtx* {
          if (next == trace.size()) return nullptr;
          PacketCtx* p = pool.get();
          ts = trace[next].first;
          p->frame = trace[next].second;
          p->index = ++next;
          p->bypass = Bypass::None;
          p->flow = -1;
          p->crc_ok = false;
          return p;
        },
        [this](PacketCtx* p, const char* why) {
          drops.push_back(why);
          pool.put(p);
        });
  }
  void add_flow(const net::FiveTuple& t, uint32_t seq, bool ddgst) {
    const int32_t slot = table.insert(t);
    REQUIRE(slot >= 0);
    FlowContext& f = flows.open(slot, uint32_t(slot));
    TrackerConfig tc;
    tc.cp.ddgst = ddgst;
    f.tracker.start(seq, tc);
    f.crc.start(ddgst);
  }
};

// A C2HData PDU stream of `n` PDUs of `len` bytes each, with digests.
Bytes pdu_stream(int n, uint32_t len, bool corrupt_last = false) {
  nvme::ConnParams cp;
  cp.ddgst = true;
  Bytes s;
  std::mt19937 rng(3);
  for (int i = 0; i < n; ++i) {
    Bytes data(len);
    for (auto& b : data) b = uint8_t(rng());
    nvme::DataHdr h;
    h.cccid = uint16_t(i);
    h.datal = len;
    Bytes pdu = nvme::encode_data(nvme::PduType::C2HData, h, nvme::pduflag::LAST_PDU, data, cp);
    if (corrupt_last && i == n - 1) pdu.back() ^= 1;
    s.insert(s.end(), pdu.begin(), pdu.end());
  }
  return s;
}

}  // namespace

TEST_CASE("front pipeline: frames of an offloaded flow are planned and CRC-verified under back-pressure", "[front]") {
  Rig r(0.3);
  const auto t = c2h_tuple(50000);
  const Bytes stream = pdu_stream(6, 3000);
  r.add_flow(t, 1000, true);
  uint32_t seq = 1000;
  for (size_t off = 0; off < stream.size(); off += 1448) {
    const size_t n = std::min<size_t>(1448, stream.size() - off);
    r.trace.push_back({r.trace.size() * 200000, frame(t, seq, ByteView(stream).sub(off, n))});
    seq += uint32_t(n);
  }
  sc_core::sc_start();
  REQUIRE(r.sink.frames.size() == r.trace.size());
  for (PacketCtx* p : r.sink.frames) {
    CHECK(p->bypass == Bypass::None);
    CHECK(p->plan.in_seq);
    CHECK(p->crc_ok);
  }
  CHECK(r.pp.parser_stats().headers == 6);
  CHECK(r.flows.get(r.table.lookup(t))->crc.pdus_verified_ok() == 6);
}

TEST_CASE("front pipeline: a corrupted digest clears crc-ok only on the frame that completes it", "[front]") {
  Rig r(0.0);
  const auto t = c2h_tuple(50001);
  const Bytes stream = pdu_stream(1, 4000, true);
  r.add_flow(t, 0, true);
  uint32_t seq = 0;
  for (size_t off = 0; off < stream.size(); off += 1448) {
    const size_t n = std::min<size_t>(1448, stream.size() - off);
    r.trace.push_back({0, frame(t, seq, ByteView(stream).sub(off, n))});
    seq += uint32_t(n);
  }
  sc_core::sc_start();
  REQUIRE(r.sink.frames.size() == 3);
  CHECK(r.sink.frames[0]->crc_ok);
  CHECK(r.sink.frames[1]->crc_ok);
  CHECK_FALSE(r.sink.frames[2]->crc_ok);
}

TEST_CASE("front pipeline: bad checksum and unknown flow and stale frames bypass while a data hole does not", "[front]") {
  Rig r(0.0);
  const auto t = c2h_tuple(50002);
  const Bytes stream = pdu_stream(1, 2000);
  r.add_flow(t, 0, true);
  Bytes bad = frame(t, 0, ByteView(stream).sub(0, 1000));
  bad[bad.size() - 1] ^= 0xFF;  // payload byte: TCP checksum now wrong
  r.trace.push_back({0, bad});
  r.trace.push_back({0, frame(c2h_tuple(1), 0, ByteView(stream).sub(0, 100))});
  r.trace.push_back({0, frame(t, 0, ByteView(stream).sub(0, 1000))});
  r.trace.push_back({0, frame(t, 0, ByteView(stream).sub(0, 1000))});       // retransmission
  r.trace.push_back({0, frame(t, 1500, ByteView(stream).sub(1500, 100))});  // hole in data
  sc_core::sc_start();
  REQUIRE(r.sink.frames.size() == 5);
  CHECK(r.sink.frames[0]->bypass == Bypass::BadChecksum);
  CHECK(r.sink.frames[1]->bypass == Bypass::FlowMiss);
  CHECK(r.sink.frames[2]->bypass == Bypass::None);
  CHECK(r.sink.frames[3]->bypass == Bypass::OutOfSeq);
  CHECK(r.sink.frames[4]->bypass == Bypass::None);  // framing kept: still placed
  CHECK(r.sink.frames[4]->plan.in_seq);
  CHECK(r.sink.frames[4]->crc_ok);  // accounted; the PDU's verdict waits for the hole
  const CrcEngine& crc = r.flows.get(r.table.lookup(t))->crc;
  CHECK(crc.pdus_verified_ok() == 0);
}

TEST_CASE("front pipeline: MAC serialises at line rate and drops on a full FIFO", "[front]") {
  MacParams mp;
  mp.rx_fifo_bytes = 9216;
  mp.line_rate_gbps = 100.0;
  Rig r(0.95, mp);  // a slow sink backs the FIFO up
  const auto t = c2h_tuple(50003);
  const Bytes payload(1400, 0xAB);
  for (int i = 0; i < 40; ++i) r.trace.push_back({0, frame(t, 0, payload)});
  sc_core::sc_start();
  const MacStats& s = r.mac->stats();
  CHECK(s.frames_in == 40);
  CHECK(s.drop_fifo_full > 0);
  CHECK(r.sink.frames.size() == 40 - s.drop_fifo_full);
  CHECK(r.mac->fifo_occupancy().high_watermark() <= 9216);
  // Back to back at 100 Gb/s, frame k's last bit arrives after k frames of (len + 24) bytes
  // plus its own preamble + len + FCS: computed from Ethernet framing, not from the model.
  const uint64_t len = r.trace[0].second.size();
  const double ps_per_byte = 80.0;
  CHECK(s.last_end_ps == uint64_t(39 * (len + 24) * ps_per_byte + (8 + len + 4) * ps_per_byte));
}

// The crossing: 200 MHz MAC (5 ns), 250 MHz core (4 ns), two synchroniser stages. A 1054-byte
// frame's last bit arrives at (8 + 1054 + 4) x 80 ps = 85280 ps; the MAC writes its last word at
// the next MAC edge, 90000; the core's first edge after that is 92000, plus two: 100000, cycle
// 25, where its first beat leaves.
TEST_CASE("front pipeline: a frame crosses from the MAC clock after the synchroniser stages", "[front][cdc]") {
  MacParams mp;
  mp.clock_mhz = 200;
  mp.sync_stages = 2;
  Rig r(0.0, mp);
  const auto t = c2h_tuple(50006);
  r.trace.push_back({0, frame(t, 0, Bytes(1000, 1))});
  REQUIRE(r.trace[0].second.size() == 1054);
  sc_core::sc_start();
  REQUIRE(r.sink.frames.size() == 1);
  // 17 beats of 64 bytes, one a cycle: the last leaves the FIFO 16 cycles after the first.
  const PacketCtx* p = r.sink.frames[0];
  CHECK(p->stamps.end_ps[kWire] == 85280);
  CHECK(p->stamps.end_ps[kMacFifo] == (25 + 16) * 4000);
  CHECK(r.mac_clk.active_cycles() >= 1);
}

// RAM words: a 65-byte frame takes two 64-byte words. Two such frames back to back find a
// three-word FIFO full (the first frame's words cannot have crossed back as read in 7 ns),
// though their 130 bytes would fit in 192.
TEST_CASE("front pipeline: the MAC FIFO counts whole words", "[front][cdc]") {
  MacParams mp;
  mp.rx_fifo_bytes = 192;
  mp.max_frame_bytes = 128;
  Rig r(0.0, mp);
  const auto t = c2h_tuple(50007);
  r.trace.push_back({0, frame(t, 0, Bytes(11, 1))});   // 54 + 11 = 65 bytes
  r.trace.push_back({0, frame(t, 11, Bytes(11, 2))});
  REQUIRE(r.trace[0].second.size() == 65);
  sc_core::sc_start();
  const MacStats& s = r.mac->stats();
  CHECK(s.frames_in == 2);
  CHECK(s.drop_fifo_full == 1);
  CHECK(r.mac->fifo_occupancy().high_watermark() == 128);
}

// The receive bus at 400G, 415 MHz (2.41 ns) and 128 bytes a cycle. Back-to-back 129-byte
// frames arrive every (129 + 24) x 20 ps = 3.06 ns. Unsegmented, each takes two whole cycles
// (4.82 ns): the bus falls behind the line. In 16-byte segments a frame takes 9 of the 8 a
// cycle carries: 2.71 ns, and the bus keeps up.
uint64_t bus_behind(uint32_t segment_bytes) {
  MacParams mp;
  mp.line_rate_gbps = 400;
  mp.clock_mhz = 415;
  mp.bus_bytes = 128;
  mp.segment_bytes = segment_bytes;
  Rig r(0.0, mp);
  const auto t = c2h_tuple(50008);
  for (int i = 0; i < 40; ++i) r.trace.push_back({0, frame(t, 75 * uint32_t(i), Bytes(75, 1))});
  REQUIRE(r.trace[0].second.size() == 129);
  sc_core::sc_start();
  CHECK(r.mac->stats().frames_in == 40);
  CHECK(r.mac->stats().drop_fifo_full == 0);
  return r.mac->stats().bus_behind_cycles;
}

TEST_CASE("front pipeline: an unsegmented 400G bus falls behind short frames", "[front][cdc]") {
  // 40 frames need 80 bus cycles; their last bits span 39 x 3.06 ns = 49.5 cycles.
  CHECK(bus_behind(128) > 0);
}

TEST_CASE("front pipeline: a 400G bus of 16-byte segments keeps up with short frames", "[front][cdc]") {
  CHECK(bus_behind(16) == 0);
}

TEST_CASE("front pipeline: an idle gap costs no clock activity", "[front]") {
  Rig r(0.0);
  const auto t = c2h_tuple(50004);
  const Bytes payload(1000, 1);
  r.trace.push_back({0, frame(t, 0, payload)});
  r.trace.push_back({1'000'000'000, frame(t, 1000, payload)});  // 1 ms later
  sc_core::sc_start();
  REQUIRE(r.sink.frames.size() == 2);
  // 1 ms at 250 MHz is 250000 cycles; the two frames need a few dozen each.
  CHECK(r.clk.cycle_at(sc_core::sc_time_stamp()) >= 250000);
  CHECK(r.clk.active_cycles() < 200);
  // Every frame's first beat leaves on the clock grid.
  for (uint64_t c : r.sink.sop_cycles) CHECK(c > 0);
}

// Operation costs (docs/costs.md). Each case runs one design (one process under ctest), so each
// setting has its own case with its golden figure worked out below.

namespace {

// Two frames of 1000 payload bytes 10 us apart: A in sequence, B after a hole that covered a
// header, so the flow searches B's 1000 bytes. Both are 1054 bytes, 17 beats of 64 bytes,
// and cross the same blocks, so B's last beat leaves the pipeline later than A's, relative to
// its arrival, by what the search costs alone: it takes ceil(1000 / rate) cycles from B's first
// beat, 17 of which B's own beats cover, so max(0, ceil(1000 / rate) - 17).
int64_t search_delay(uint32_t search_bytes_per_cycle) {
  StageCosts costs;
  costs.search_bytes_per_cycle = search_bytes_per_cycle;
  Rig r(0.0, {}, costs);
  const auto t = c2h_tuple(50005);
  const Bytes stream = pdu_stream(1, 3000);  // one PDU of 3032 bytes: A holds one header
  r.add_flow(t, 0, true);
  const uint64_t gap_ps = 10'000'000;  // 2500 cycles at 250 MHz
  r.trace.push_back({0, frame(t, 0, ByteView(stream).sub(0, 1000))});
  r.trace.push_back({gap_ps, frame(t, 5000, Bytes(1000, 0x5A))});  // past the PDU's end
  sc_core::sc_start();
  REQUIRE(r.sink.frames.size() == 2);
  CHECK(r.sink.frames[0]->plan.in_seq);
  CHECK(r.sink.frames[1]->bypass == Bypass::Searching);
  CHECK(r.sink.frames[1]->plan.scanned == 1000);
  const int64_t delay = int64_t(r.sink.eop_cycles[1] - 2500) - int64_t(r.sink.eop_cycles[0]);
  CHECK(int64_t(r.pp.parser_stats().search_cycles) == delay);
  return delay;
}

// One frame, 54 header bytes and four 32-byte C2HData PDUs (24 header + 4 data + 4 digest), in
// 64-byte beats: beat 0 holds payload [0, 10) (PDU 0's header), beat 1 [10, 74) (the data and
// digest of PDUs 0 and 1, PDU 2's header), beat 2 [74, 128) (data and digest of PDUs 2 and 3).
// The parser (1 cycle per extra header) holds beat 1 one cycle more (PDUs 1 and 2 start in it),
// so beat 1 reaches the CRC stage 2 cycles after beat 0 and beat 2 one after beat 1. Beats 1
// and 2 each reach into 2 PDUs' digested bytes: each holds the CRC stage c more cycles, and a
// held beat leaves that much later. Last beat minus first at the sink: 2 + 1 + 2c.
uint64_t crc_frame_cycles(uint32_t c) {
  StageCosts costs;
  costs.crc_cycles_per_extra_segment = c;
  Rig r(0.0, {}, costs);
  const auto t = c2h_tuple(50006);
  const Bytes stream = pdu_stream(4, 4);
  REQUIRE(stream.size() == 128);
  r.add_flow(t, 0, true);
  r.trace.push_back({0, frame(t, 0, stream)});
  sc_core::sc_start();
  REQUIRE(r.sink.frames.size() == 1);
  REQUIRE(r.sink.frames[0]->pf.payload_offset == 54);
  CHECK(r.sink.frames[0]->crc_ok);
  CHECK(r.crc.extra_segment_cycles() == 2 * c);
  return r.sink.eop_cycles[0] - r.sink.sop_cycles[0];
}

// One PDU of 2972 data bytes (3000 with header and digest) in three frames of 1000 payload
// bytes sent A, C, B: C leaves a hole in the data, which B, a retransmission, fills. The digest
// engine then holds piece [A B) and piece [C), adjacent: B's last beat joins them, one combine,
// and the PDU verifies on B. B is 1054 bytes, 17 beats, which leave one per cycle: its last
// beat leaves 16 cycles after its first, and `c` more when the combine holds it.
uint64_t combine_frame_cycles(uint32_t c) {
  StageCosts costs;
  costs.crc_combine_cycles = c;
  Rig r(0.0, {}, costs);
  const auto t = c2h_tuple(50007);
  const Bytes stream = pdu_stream(1, 2972);
  REQUIRE(stream.size() == 3000);
  r.add_flow(t, 0, true);
  const ByteView s(stream);
  r.trace.push_back({0, frame(t, 0, s.sub(0, 1000))});
  r.trace.push_back({1'000'000, frame(t, 2000, s.sub(2000, 1000))});
  r.trace.push_back({2'000'000, frame(t, 1000, s.sub(1000, 1000))});
  sc_core::sc_start();
  REQUIRE(r.sink.frames.size() == 3);
  CHECK(r.sink.frames[2]->plan.stale);
  CHECK(r.sink.frames[2]->crc_ok);
  CHECK(r.flows.get(r.sink.frames[2]->flow)->crc.result().combines == 1);
  CHECK(r.crc.combine_cycles() == c);
  return r.sink.eop_cycles[2] - r.sink.sop_cycles[2];
}

}  // namespace

TEST_CASE("costs: a retransmission that joins two pieces of a digest holds its last beat 8 cycles for the combine", "[front][costs]") {
  CHECK(combine_frame_cycles(8) == 16 + 8);
}

TEST_CASE("costs: with no combine cost the retransmission crosses the CRC stage a beat per cycle", "[front][costs]") {
  CHECK(combine_frame_cycles(0) == 16);
}

TEST_CASE("costs: a search over 1000 bytes at 16 bytes per cycle holds a 17-beat frame 63 - 17 = 46 cycles more", "[front][costs]") {
  CHECK(search_delay(16) == 46);
}

TEST_CASE("costs: a search over 1000 bytes at 7 bytes per cycle holds a 17-beat frame 143 - 17 = 126 cycles more", "[front][costs]") {
  CHECK(search_delay(7) == 126);
}

TEST_CASE("costs: a search as wide as the beat keeps the frame's pace", "[front][costs]") {
  CHECK(search_delay(64) == 0);  // ceil(1000 / 64) = 16 cycles, under the frame's 17 beats
}

TEST_CASE("costs: a search rate of 0 makes the search free", "[front][costs]") {
  CHECK(search_delay(0) == 0);
}

TEST_CASE("costs: beats reaching into two PDUs hold the CRC stage one extra cycle each", "[front][costs]") {
  CHECK(crc_frame_cycles(1) == 5);
}

TEST_CASE("costs: at 4 cycles per extra segment the CRC stage holds each such beat 4 more", "[front][costs]") {
  CHECK(crc_frame_cycles(4) == 11);
}

TEST_CASE("costs: with no CRC segment cost a frame crosses as without it", "[front][costs]") {
  CHECK(crc_frame_cycles(0) == 3);
}
