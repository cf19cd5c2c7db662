// Out-of-order recovery in the PDU tracker (reference section 3 and cases 11-13): framing
// kept through data-only holes, the search for plausible headers after a header was lost,
// resync requests, the driver's confirmation and the resumption of offload.
#include <catch2/catch.hpp>

#include "c2h_stream.hpp"
#include "hw/offload/nvme_tcp/nvme_tcp_framer.hpp"
#include "proto/nvme_tcp.hpp"

using namespace nic;
using hw::Region;
using hw::TrackerState;
using test::C2hStream;
namespace flag = nvme::pduflag;

namespace {

nvme::ConnParams conn(bool hdgst, bool ddgst) {
  nvme::ConnParams cp;
  cp.hdgst = hdgst;
  cp.ddgst = ddgst;
  return cp;
}

// Drives one tracker over packets of a stream given as [a, b) stream offsets.
struct Rig {
  const C2hStream& s;
  uint32_t seq0;
  hw::PduTracker t;
  hw::PacketPlan plan;
  Rig(const C2hStream& stream, uint32_t seq, hw::TrackerConfig cfg = {}) : s(stream), seq0(seq) {
    cfg.cp = s.cp();
    t.start(seq0, cfg);
  }
  const hw::PacketPlan& pkt(uint32_t a, uint32_t b) {
    t.plan(seq0 + a, ByteView(s.bytes()).sub(a, b - a), plan);
    return plan;
  }
  // Packets of `mss` bytes over [a, b); returns the resync sequences requested on the way.
  std::vector<uint32_t> run(uint32_t a, uint32_t b, uint32_t mss) {
    std::vector<uint32_t> asked;
    for (uint32_t o = a; o < b; o += mss) {
      pkt(o, std::min(b, o + mss));
      if (plan.resync_request) asked.push_back(plan.resync_seq);
    }
    return asked;
  }
  uint32_t seq_of(size_t pdu) const { return seq0 + s.pdus()[pdu].start; }
};

// A 24-byte C2HData header (plus HDGST when on) that is consistent with itself but sits in
// data: its PLEN points at bytes that are not a header.
Bytes lookalike(const nvme::ConnParams& cp, uint32_t datal) {
  nvme::DataHdr h;
  h.cccid = 9;
  h.datal = datal;
  Bytes d(datal, 0x5A);
  Bytes pdu = nvme::encode_data(nvme::PduType::C2HData, h, flag::LAST_PDU, d, cp);
  pdu.resize(24 + (cp.hdgst ? 4 : 0));
  return pdu;
}

C2hStream five_pdus(const nvme::ConnParams& cp, uint32_t len = 2000) {
  C2hStream s(cp);
  for (uint16_t i = 0; i < 5; ++i) s.data(uint16_t(10 + i), 0, len, flag::LAST_PDU, uint8_t(i));
  return s;
}

}  // namespace

TEST_CASE("resync: a lost header starts the search and a confirmed chain resumes offload", "[resync]") {
  const bool hdgst = GENERATE(false, true);
  const C2hStream s = five_pdus(conn(hdgst, true));
  Rig r(s, 0xFFFFF000u);  // across the sequence wrap
  r.run(0, 1000, 1000);
  // Lose [1000, PDU1 + 100): PDU1's header is gone.
  const uint32_t resume = s.pdus()[1].start + 100;
  const auto asked = r.run(resume, s.pdus()[3].start + 50, 700);
  CHECK(r.t.stats().framing_lost == 1);
  // PDU2's header is the first found (PDU1's was lost); its PLEN leads to PDU3's: requested.
  REQUIRE(asked.size() == 1);
  CHECK(asked[0] == r.seq_of(3));
  CHECK(r.t.state() == TrackerState::ResyncPending);
  CHECK_FALSE(r.plan.in_seq);  // nothing placed while unconfirmed

  CHECK_FALSE(r.t.confirm(r.seq_of(2)));  // never asked about: ignored
  CHECK(r.t.state() == TrackerState::ResyncPending);
  CHECK(r.t.confirm(asked[0]));
  CHECK(r.t.state() == TrackerState::Tracking);
  // The rest of PDU3 passes framed but unplaced; PDU4 is fully offloaded.
  r.pkt(s.pdus()[3].start + 50, s.pdus()[4].start + 100);
  CHECK(r.plan.in_seq);
  CHECK(r.t.state() == TrackerState::Offloading);
  bool placed_pdu3 = false, header4 = false;
  for (const auto& g : r.plan.segs) {
    placed_pdu3 |= g.region == Region::Data && g.pdu_seq == r.seq_of(3);
    header4 |= g.region == Region::Header && g.pdu_seq == r.seq_of(4) && g.pdu_off == 0;
  }
  CHECK_FALSE(placed_pdu3);
  CHECK(header4);
  r.pkt(s.pdus()[4].start + 100, s.size());
  REQUIRE(r.plan.segs.size() >= 1);
  CHECK(r.plan.segs[0].region == Region::Data);
  CHECK(r.plan.segs[0].io_tag == 14);
  CHECK(r.plan.segs[0].buf_off == 100 - s.pdus()[4].data_off);
}

TEST_CASE("resync: a planted header lookalike is never requested and the scan goes on", "[resync]") {
  const nvme::ConnParams cp = conn(GENERATE(false, true), true);
  C2hStream s(cp);
  s.data(1, 0, 3000, flag::LAST_PDU, 1);
  Bytes d(3000, 0x11);
  const Bytes fake = lookalike(cp, 500);
  std::copy(fake.begin(), fake.end(), d.begin() + 1000);  // inside PDU1's data
  s.data(2, 0, d, flag::LAST_PDU);
  s.data(3, 0, 3000, flag::LAST_PDU, 3);
  s.data(4, 0, 3000, flag::LAST_PDU, 4);
  Rig r(s, 5000);
  r.run(0, 500, 500);
  const uint32_t fake_at = s.pdus()[1].start + s.pdus()[1].data_off + 1000;
  const auto asked = r.run(s.pdus()[1].start + 4, s.size(), 1448);  // PDU1's header lost
  CHECK(r.t.stats().candidates >= 2);          // the lookalike and the real headers
  CHECK(r.t.stats().candidates_dropped >= 1);  // the lookalike led nowhere
  for (uint32_t a : asked) CHECK(a != r.seq0 + fake_at);
  REQUIRE_FALSE(asked.empty());
  CHECK(asked.front() == r.seq_of(3));  // PDU2 found, verified by PDU3
  CHECK_FALSE(r.t.confirm(r.seq0 + fake_at));
}

TEST_CASE("resync: a header split across packets is still found", "[resync]") {
  const C2hStream s = five_pdus(conn(true, true), 1000);
  Rig r(s, 77);
  r.run(0, 300, 300);
  // Resume mid-PDU1; cut packets 10 bytes into PDU2's and PDU3's headers.
  r.pkt(s.pdus()[1].start + 40, s.pdus()[2].start + 10);
  r.pkt(s.pdus()[2].start + 10, s.pdus()[3].start + 10);
  const hw::PacketPlan p = r.pkt(s.pdus()[3].start + 10, s.pdus()[4].start + 10);
  CHECK(p.resync_request);
  CHECK(p.resync_seq == r.seq_of(3));
  // Confirmed while PDU4's header has begun in the kept tail: it is parsed from its first byte.
  REQUIRE(r.t.confirm(r.seq_of(3)));
  r.pkt(s.pdus()[4].start + 10, s.size());
  REQUIRE(r.plan.in_seq);
  REQUIRE_FALSE(r.plan.headers.empty());
  CHECK(r.plan.headers[0].seq == r.seq_of(4));
  CHECK(r.plan.headers[0].io_tag == 14);
  CHECK(nvme::PduError(r.plan.headers[0].err) == nvme::PduError::None);
}

TEST_CASE("resync: a request the driver already passed is superseded at the next header", "[resync]") {
  const C2hStream s = five_pdus(conn(false, true), 1500);
  Rig r(s, 0);
  r.run(0, 100, 100);
  const auto asked = r.run(s.pdus()[1].start + 200, s.size(), 1000);
  // The chain PDU2 -> PDU3 -> PDU4: a request at every header after the first found.
  CHECK(asked == std::vector<uint32_t>{r.seq_of(3), r.seq_of(4)});
  // The driver passed PDU3 before it saw the request; it confirms the newest one.
  CHECK(r.t.confirm(r.seq_of(4)));
  CHECK(r.t.stats().resyncs_confirmed == 1);
}

TEST_CASE("resync: the search waits search_delay_bytes past the hole", "[resync]") {
  const C2hStream s = five_pdus(conn(false, true), 1500);
  hw::TrackerConfig cfg;
  cfg.search_delay_bytes = s.pdus()[3].start - (s.pdus()[1].start + 200);
  Rig r(s, 0, cfg);
  r.run(0, 100, 100);
  const auto asked = r.run(s.pdus()[1].start + 200, s.size(), 1000);
  REQUIRE(asked.size() == 1);
  CHECK(asked[0] == r.seq_of(4));  // PDU3 is the first header past the delay
}

TEST_CASE("resync: a hole while searching keeps only chains it cannot have cut", "[resync]") {
  const C2hStream s = five_pdus(conn(false, true), 1500);
  Rig r(s, 0);
  r.run(0, 100, 100);
  r.run(s.pdus()[1].start + 100, s.pdus()[3].start + 100, 500);  // finds PDU2, asks at PDU3
  CHECK(r.t.state() == TrackerState::ResyncPending);
  // Lose PDU4's header: the chain expected it there.
  r.run(s.pdus()[4].start + 30, s.size(), 500);
  CHECK_FALSE(r.t.confirm(r.seq_of(3)));  // that chain is gone
  CHECK(r.t.state() == TrackerState::Searching);
}

TEST_CASE("resync: a data-only hole ending exactly at a PDU boundary resumes full offload", "[resync]") {
  const C2hStream s = five_pdus(conn(false, true), 1500);
  Rig r(s, 0);
  r.run(0, 600, 600);
  r.pkt(s.pdus()[1].start, s.pdus()[1].start + 700);
  CHECK(r.plan.in_seq);
  CHECK(r.t.state() == TrackerState::Offloading);
  CHECK(r.t.stats().holes_in_data == 1);
}

TEST_CASE("resync: a hole inside a header that left PLEN known keeps framing but places nothing of that PDU", "[resync]") {
  const C2hStream s = five_pdus(conn(true, true), 1500);
  Rig r(s, 0);
  r.run(0, s.pdus()[1].start + 12, 1000);  // PDU1: common header seen, CID/DATAO not
  r.pkt(s.pdus()[1].start + 30, s.pdus()[2].start + 60);
  CHECK(r.plan.in_seq);
  CHECK(r.t.state() == TrackerState::Offloading);  // reached PDU2's header
  for (const auto& g : r.plan.segs)
    if (g.pdu_seq == r.seq_of(1)) CHECK(g.region == Region::Unframed);
}

TEST_CASE("resync: a lost header is recovered from its retransmission without the driver", "[resync]") {
  const bool hdgst = GENERATE(false, true);
  const C2hStream s = five_pdus(conn(hdgst, true), 3000);
  Rig r(s, 0x7FFFFF00u);
  r.run(0, 2800, 1400);
  // Lose the packet holding PDU0's end and PDU1's header.
  const uint32_t h = s.pdus()[1].start;
  r.run(h + 200, h + 1600, 700);
  CHECK(r.t.state() == TrackerState::Searching);
  // Its retransmission arrives, re-segmented: framing is back at once, mid-PDU1.
  r.pkt(2800, h + 10);
  CHECK(r.plan.stale);
  CHECK(r.t.state() == TrackerState::Searching);
  r.pkt(h + 10, h + 200);
  CHECK(r.plan.stale);
  CHECK(r.plan.recovered);
  CHECK(r.plan.recovered_seq == r.seq_of(1));
  CHECK(r.t.state() == TrackerState::Tracking);
  CHECK(r.t.stats().headers_recovered == 1);
  CHECK(r.t.stats().resync_requests == 0);
  // PDU1's later data is placed again, at the right buffer offset.
  const hw::PacketPlan& p = r.pkt(h + 1600, h + 2000);
  REQUIRE(p.in_seq);
  REQUIRE(p.segs.size() == 1);
  CHECK(p.segs[0].region == Region::Data);
  CHECK(p.segs[0].io_tag == 11);
  CHECK(p.segs[0].buf_off == 1600 - s.pdus()[1].data_off);
  r.pkt(h + 2000, s.pdus()[2].start + 50);
  CHECK(r.t.state() == TrackerState::Offloading);
}

TEST_CASE("resync: a recovered header that is not valid is ignored", "[resync]") {
  C2hStream s(conn(true, true));
  for (uint16_t i = 0; i < 3; ++i) s.data(uint16_t(i), 0, 3000, flag::LAST_PDU, uint8_t(i));
  Bytes wire = s.bytes();
  const uint32_t h = s.pdus()[1].start;
  wire[h + 9] ^= 0xFF;  // the retransmitted header is damaged: its HDGST no longer matches
  hw::PduTracker t;
  hw::TrackerConfig cfg;
  cfg.cp = s.cp();
  t.start(0, cfg);
  hw::PacketPlan plan;
  t.plan(0, ByteView(wire).sub(0, h - 100), plan);
  t.plan(h + 300, ByteView(wire).sub(h + 300, 1000), plan);
  t.plan(h - 100, ByteView(wire).sub(h - 100, 400), plan);
  CHECK_FALSE(plan.recovered);
  CHECK(t.state() == TrackerState::Searching);
}

// Every completion the tracker passes is reported, so placement can close the read's
// registration before anything after it arrives: framed ones, and ones it only learns of.
TEST_CASE("resync: completions are reported however the tracker passes them", "[resync][integrity]") {
  C2hStream s(conn(false, true));
  s.data(5, 0, 1500, flag::LAST_PDU | flag::SUCCESS, 1);  // PDU0: read 5 ends with SUCCESS
  s.data(6, 0, 1500, flag::LAST_PDU, 2);                  // PDU1
  s.resp(6);                                              // PDU2: read 6 ends
  s.data(7, 0, 3000, flag::LAST_PDU, 3);                  // PDU3
  s.data(8, 0, 1500, flag::LAST_PDU, 4);                  // PDU4
  const auto& p = s.pdus();
  const auto ends = [&](const hw::PacketPlan& plan) {
    std::vector<std::pair<uint16_t, uint32_t>> v;
    for (const hw::ReadEnd& e : plan.ended) v.push_back({e.io_tag, e.end_seq});
    return v;
  };
  using V = std::vector<std::pair<uint16_t, uint32_t>>;
  Rig r(s, 1000);
  SECTION("framed in order: each where its PDU ends") {
    CHECK(ends(r.pkt(0, p[1].start + 100)) == V{{5, r.seq_of(1)}});
    CHECK(ends(r.pkt(p[1].start + 100, p[3].start + 10)) == V{{6, r.seq_of(3)}});
  }
  SECTION("a data-only hole that swallows the end of a SUCCESS PDU") {
    r.pkt(0, 200);
    CHECK(ends(r.pkt(p[1].start, p[1].start + 300)) == V{{5, r.seq_of(1)}});
    CHECK(r.t.state() == TrackerState::Offloading);
  }
  SECTION("a hole past the end of a SUCCESS PDU that loses framing") {
    r.pkt(0, 200);
    CHECK(ends(r.pkt(p[1].start + 50, p[1].start + 300)) == V{{5, r.seq_of(1)}});
    CHECK(r.t.state() == TrackerState::Searching);
  }
  SECTION("a CapsuleResp read back from a retransmission while recovering a later header") {
    r.pkt(0, p[2].start - 10);
    // Lost: the end of PDU1, the CapsuleResp and PDU3's header.
    const auto& lost = r.pkt(p[3].start + 100, p[3].start + 1500);
    CHECK(lost.ended.empty());
    CHECK(r.t.state() == TrackerState::Searching);
    const auto& re = r.pkt(p[2].start - 10, p[3].start + 100);  // the retransmission
    CHECK(re.stale);
    CHECK(re.recovered);
    CHECK(ends(re) == V{{6, r.seq_of(3)}});
  }
  SECTION("a header that fails names no completion") {
    hw::TrackerConfig cfg;
    C2hStream bad(conn(true, true));
    bad.resp(9);
    Bytes b = bad.bytes();
    b[20] ^= 1;  // the CID, under a header digest that no longer matches
    cfg.cp = bad.cp();
    hw::PduTracker t;
    t.start(0, cfg);
    hw::PacketPlan plan;
    t.plan(0, b, plan);
    CHECK(plan.ended.empty());
    CHECK(t.state() == TrackerState::Disabled);
  }
}
