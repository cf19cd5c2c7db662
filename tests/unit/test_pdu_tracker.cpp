#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <vector>

#include "c2h_stream.hpp"
#include "hw/offload/nvme_tcp/nvme_tcp_framer.hpp"
#include "proto/crc32c.hpp"

using namespace nic;
using hw::Region;
using nvme::PduError;
using nvme::PduType;
using test::C2hStream;
using test::ExpectedPdu;
namespace flag = nvme::pduflag;

namespace {

hw::TrackerConfig config_for(const nvme::ConnParams& cp) {
  hw::TrackerConfig c;
  c.cp = cp;
  return c;
}

// Every kind of PDU a host receives, with data PDUs of one command split (DATAO != 0) and
// non-data PDUs between data PDUs.
C2hStream mixed_stream(const nvme::ConnParams& cp) {
  C2hStream s(cp);
  s.data(3, 0, 100, 0, 1);
  s.resp(3);
  s.data(4, 0, 37, 0, 2);
  s.r2t(7);
  s.data(4, 37, 70, flag::LAST_PDU | flag::SUCCESS, 3);
  s.term(20);
  s.data(5, 8192, 1, flag::LAST_PDU, 4);
  s.resp(5);
  s.data(6, 0, 300, flag::LAST_PDU, 5);
  return s;
}

struct Observed {
  std::vector<hw::PduInfo> headers;
  std::vector<size_t> header_packet;  // packet index each header was reported in
  std::map<uint16_t, Bytes> buffers;  // command buffers rebuilt from Data segments
  Bytes term_data;
};

// Runs a fresh tracker over the stream cut at `cuts` (stream offsets, first 0, last size),
// checking every segment against the layout the stream was built with.
Observed run_checked(const C2hStream& s, const std::vector<uint32_t>& cuts, uint32_t seq0,
                     const hw::TrackerConfig& cfg) {
  Observed o;
  hw::PduTracker t;
  t.start(seq0, cfg);
  hw::PacketPlan plan;
  for (size_t k = 0; k + 1 < cuts.size(); ++k) {
    const uint32_t a = cuts[k], b = cuts[k + 1];
    t.plan(seq0 + a, ByteView(s.bytes()).sub(a, b - a), plan);
    REQUIRE(plan.in_seq);
    uint32_t at = 0;
    for (size_t i = 0; i < plan.segs.size(); ++i) {
      const hw::Segment& g = plan.segs[i];
      REQUIRE(g.off == at);  // tiling: no gap, no overlap
      REQUIRE(g.len > 0);
      at += g.len;
      if (i) {  // maximal runs
        const hw::Segment& prev = plan.segs[i - 1];
        REQUIRE((prev.region != g.region || prev.pdu_seq != g.pdu_seq));
      }
      const uint32_t so = a + g.off;
      const ExpectedPdu& p = s.pdu_at(so);
      REQUIRE(g.pdu_seq == seq0 + p.start);
      REQUIRE(g.pdu_off == so - p.start);
      REQUIRE(g.region == p.region_at(g.pdu_off));
      REQUIRE(g.pdu_off + g.len <= p.region_end(g.pdu_off));
      REQUIRE(g.completes_pdu == (g.pdu_off + g.len == p.plen));
      if (g.region != Region::Header) {
        REQUIRE(nvme::PduType(g.opcode) == p.type);
        REQUIRE(g.io_tag == p.cid);
        REQUIRE((g.flags & (flag::LAST_PDU | flag::SUCCESS)) == p.flags);
      }
      if (g.region != Region::Data) continue;
      REQUIRE(g.buf_off == p.datao + (g.pdu_off - p.data_off));
      Bytes& dst = p.type == PduType::C2HData ? o.buffers[g.io_tag] : o.term_data;
      if (dst.size() < g.buf_off + g.len) dst.resize(g.buf_off + g.len);
      std::copy_n(&s.bytes()[so], g.len, dst.begin() + g.buf_off);
    }
    REQUIRE(at == b - a);
    for (const hw::PduInfo& h : plan.headers) {
      o.headers.push_back(h);
      o.header_packet.push_back(k);
    }
  }
  REQUIRE(t.state() == hw::TrackerState::Offloading);
  REQUIRE(t.expected_seq() == uint32_t(seq0 + s.size()));
  return o;
}

// Headers and rebuilt buffers against what the stream holds.
void check_observed(const C2hStream& s, const std::vector<uint32_t>& cuts, uint32_t seq0,
                    const Observed& o) {
  REQUIRE(o.headers.size() == s.pdus().size());
  std::map<uint16_t, Bytes> want;
  Bytes want_term;
  for (size_t i = 0; i < s.pdus().size(); ++i) {
    const ExpectedPdu& p = s.pdus()[i];
    const hw::PduInfo& h = o.headers[i];
    REQUIRE(nvme::PduError(h.err) == PduError::None);
    REQUIRE(h.seq == seq0 + p.start);
    REQUIRE(nvme::PduType(h.opcode) == p.type);
    REQUIRE(h.plen == p.plen);
    REQUIRE(h.io_tag == p.cid);
    REQUIRE(h.hdgst_ok == (p.hdr_end > 24));
    // Reported in the packet holding the header's (or its HDGST's) last byte.
    const uint32_t last = p.start + p.hdr_end - 1;
    const size_t pkt = size_t(std::upper_bound(cuts.begin(), cuts.end(), last) - cuts.begin()) - 1;
    REQUIRE(o.header_packet[i] == pkt);
    if (p.type == PduType::C2HData) {
      REQUIRE(h.buf_off == p.datao);
      REQUIRE(h.data_len == p.data_len);
      Bytes& b = want[p.cid];
      if (b.size() < p.datao + p.data_len) b.resize(p.datao + p.data_len);
      std::copy(p.data.begin(), p.data.end(), b.begin() + p.datao);
    } else if (p.type == PduType::C2HTermReq) {
      want_term = p.data;
    }
  }
  REQUIRE(o.buffers == want);
  REQUIRE(o.term_data == want_term);
}

void check_cuts(const C2hStream& s, const std::vector<uint32_t>& cuts, uint32_t seq0) {
  check_observed(s, cuts, seq0, run_checked(s, cuts, seq0, config_for(s.cp())));
}

nvme::ConnParams params(bool hdgst, bool ddgst, uint8_t hpda) {
  nvme::ConnParams cp;
  cp.hdgst = hdgst;
  cp.ddgst = ddgst;
  cp.hpda = hpda;
  return cp;
}

// The negotiated combinations: digests off/on, and HPDA that pads (PDO 32).
nvme::ConnParams any_params() {
  return GENERATE(params(false, false, 0), params(true, false, 0), params(false, true, 0),
                  params(true, true, 0), params(true, true, 1), params(false, true, 3));
}

ByteView bytes_of(const C2hStream& s, uint32_t a, uint32_t b) {
  return ByteView(s.bytes()).sub(a, b - a);
}

}  // namespace

TEST_CASE("tracker: every single split point frames the stream", "[tracker]") {
  const nvme::ConnParams cp = any_params();
  const uint32_t seq0 = GENERATE(1000u, 0u - 300u);  // the second wraps inside the stream
  const C2hStream s = mixed_stream(cp);
  CAPTURE(cp.hdgst, cp.ddgst, cp.hpda, seq0);
  check_cuts(s, {0, s.size()}, seq0);  // all PDUs in one packet
  for (uint32_t k = 1; k < s.size(); ++k) {
    CAPTURE(k);
    check_cuts(s, {0, k, s.size()}, seq0);
  }
}

TEST_CASE("tracker: random multi-split packetizations", "[tracker]") {
  const nvme::ConnParams cp = any_params();
  const C2hStream s = mixed_stream(cp);
  std::mt19937 rng(7 + cp.hdgst * 2 + cp.ddgst + cp.hpda * 4);
  for (int iter = 0; iter < 300; ++iter) {
    const uint32_t seq0 = uint32_t(rng());
    const auto cuts = test::random_cuts(s.size(), rng, iter % 3 ? 12 : 200);
    CAPTURE(iter, seq0, cuts);
    check_cuts(s, cuts, seq0);
  }
  for (uint32_t step : {1u, 2u, 3u, 5u, 64u}) check_cuts(s, test::cuts_every(s.size(), step), 9);
}

TEST_CASE("tracker: header split across packets, with and without HDGST", "[tracker]") {
  const bool hdgst = GENERATE(false, true);
  C2hStream s(params(hdgst, false, 0));
  s.data(2, 0, 64, flag::LAST_PDU);
  hw::PduTracker t;
  t.start(500, config_for(s.cp()));
  hw::PacketPlan plan;

  t.plan(500, bytes_of(s, 0, 10), plan);  // 10 of 24 header bytes: HLEN/PLEN known, CID not
  REQUIRE(plan.segs.size() == 1);
  CHECK(plan.segs[0].region == Region::Header);
  CHECK(plan.segs[0].len == 10);
  CHECK(plan.headers.empty());

  const uint32_t hdr_end = hdgst ? 28 : 24;
  t.plan(510, bytes_of(s, 10, hdr_end + 5), plan);
  REQUIRE(plan.headers.size() == 1);
  CHECK(plan.headers[0].io_tag == 2);
  CHECK(plan.headers[0].seq == 500);
  CHECK(plan.headers[0].hdgst_ok == hdgst);
  REQUIRE(plan.segs.size() == (hdgst ? 3u : 2u));
  CHECK(plan.segs[0].region == Region::Header);
  CHECK(plan.segs[0].len == 14);
  CHECK(plan.segs.back().region == Region::Data);
  CHECK(plan.segs.back().len == 5);
  CHECK(plan.segs.back().buf_off == 0);

  if (hdgst) {  // split inside the header digest: reported where the digest completes
    t.start(500, config_for(s.cp()));
    t.plan(500, bytes_of(s, 0, 26), plan);
    CHECK(plan.headers.empty());
    CHECK(plan.segs.back().region == Region::HeaderDigest);
    t.plan(526, bytes_of(s, 26, 40), plan);
    REQUIRE(plan.headers.size() == 1);
    CHECK(plan.headers[0].hdgst_ok);
    CHECK(plan.segs[0].region == Region::HeaderDigest);
    CHECK(plan.segs[0].len == 2);
    CHECK(plan.segs[0].io_tag == 2);
  }
}

TEST_CASE("tracker: several PDUs in one packet, header starting mid-packet", "[tracker]") {
  C2hStream s(params(true, true, 0));
  s.data(1, 0, 100, flag::LAST_PDU);
  s.resp(1);
  s.data(2, 0, 50);
  const ExpectedPdu& d1 = s.pdus()[0];
  const ExpectedPdu& d2 = s.pdus()[2];
  // Packet 2: end of data of PDU 1 + DDGST + CapsuleResp + next C2HData header + 6 data bytes.
  const uint32_t cut1 = d1.data_off + 90, cut2 = d2.start + d2.data_off + 6;
  hw::PduTracker t;
  t.start(0, config_for(s.cp()));
  hw::PacketPlan plan;
  t.plan(0, bytes_of(s, 0, cut1), plan);
  t.plan(cut1, bytes_of(s, cut1, cut2), plan);

  std::vector<Region> regions;
  for (const hw::Segment& g : plan.segs) regions.push_back(g.region);
  CHECK(regions == std::vector<Region>{Region::Data, Region::DataDigest, Region::Header,
                                       Region::HeaderDigest, Region::Header,
                                       Region::HeaderDigest, Region::Data});
  CHECK(plan.segs[1].completes_pdu);
  CHECK(plan.segs[3].completes_pdu);
  CHECK(nvme::PduType(plan.segs[3].opcode) == PduType::CapsuleResp);
  CHECK(plan.segs[4].off == d2.start - cut1);
  CHECK(plan.segs[4].pdu_seq == d2.start);
  REQUIRE(plan.headers.size() == 2);
  CHECK(nvme::PduType(plan.headers[0].opcode) == PduType::CapsuleResp);
  CHECK(nvme::PduType(plan.headers[1].opcode) == PduType::C2HData);
  CHECK(plan.headers[1].io_tag == 2);
}

TEST_CASE("tracker: DDGST split across packets", "[tracker]") {
  C2hStream s(params(false, true, 0));
  s.data(1, 0, 40, flag::LAST_PDU);
  s.resp(1);
  const uint32_t cut = s.pdus()[0].plen - 3;  // one digest byte, then three
  hw::PduTracker t;
  t.start(77, config_for(s.cp()));
  hw::PacketPlan plan;
  t.plan(77, bytes_of(s, 0, cut), plan);
  CHECK(plan.segs.back().region == Region::DataDigest);
  CHECK(plan.segs.back().len == 1);
  CHECK_FALSE(plan.segs.back().completes_pdu);
  t.plan(77 + cut, bytes_of(s, cut, s.size()), plan);
  CHECK(plan.segs[0].region == Region::DataDigest);
  CHECK(plan.segs[0].len == 3);
  CHECK(plan.segs[0].pdu_off == s.pdus()[0].plen - 3);
  CHECK(plan.segs[0].completes_pdu);
  CHECK(plan.segs[1].region == Region::Header);
}

TEST_CASE("tracker: HPDA 1 with HDGST pads to PDO 32", "[tracker]") {
  C2hStream s(params(true, true, 1));
  s.data(9, 0, 16, flag::LAST_PDU);
  REQUIRE(s.bytes()[3] == 32);  // PDO on the wire
  hw::PduTracker t;
  t.start(0, config_for(s.cp()));
  hw::PacketPlan plan;
  t.plan(0, bytes_of(s, 0, s.size()), plan);
  REQUIRE(plan.segs.size() == 5);
  CHECK(plan.segs[2].region == Region::Pad);
  CHECK(plan.segs[2].off == 28);
  CHECK(plan.segs[2].len == 4);
  CHECK(plan.segs[3].region == Region::Data);
  CHECK(plan.segs[3].off == 32);
  CHECK(plan.segs[3].len == 16);
  CHECK(plan.segs[4].region == Region::DataDigest);
}

TEST_CASE("tracker: DATAO and SUCCESS|LAST_PDU carried to the data segments", "[tracker]") {
  C2hStream s(params(false, false, 0));
  s.data(12, 4096, 32, flag::LAST_PDU | flag::SUCCESS);
  hw::PduTracker t;
  t.start(0, config_for(s.cp()));
  hw::PacketPlan plan;
  t.plan(0, bytes_of(s, 0, 40), plan);
  t.plan(40, bytes_of(s, 40, s.size()), plan);
  REQUIRE(plan.segs.size() == 1);
  CHECK(plan.segs[0].buf_off == 4096 + 16);
  CHECK(plan.segs[0].flags == (flag::LAST_PDU | flag::SUCCESS));
  CHECK(plan.segs[0].completes_pdu);
  CHECK(plan.segs[0].slice(4, 12).buf_off == 4096 + 20);
  CHECK_FALSE(plan.segs[0].slice(0, 12).completes_pdu);
}

TEST_CASE("tracker: TermReq error data is a Data region typed TermReq", "[tracker]") {
  C2hStream s(params(true, true, 0));
  s.term(30);
  hw::PduTracker t;
  t.start(0, config_for(s.cp()));
  hw::PacketPlan plan;
  t.plan(0, bytes_of(s, 0, s.size()), plan);
  REQUIRE(plan.segs.size() == 2);  // no HDGST on TermReq even when negotiated
  CHECK(plan.segs[1].region == Region::Data);
  CHECK(nvme::PduType(plan.segs[1].opcode) == PduType::C2HTermReq);
  CHECK(plan.segs[1].len == 30);
  CHECK(nvme::PduError(plan.headers.at(0).err) == PduError::None);
}

TEST_CASE("tracker: stale packets pass untouched and gaps in data keep framing", "[tracker]") {
  C2hStream s(params(false, true, 0));
  s.data(1, 0, 300, flag::LAST_PDU);
  s.data(2, 0, 100, flag::LAST_PDU);
  const uint32_t seq0 = 0u - 100u;  // and across the wrap
  hw::PduTracker t;
  hw::PacketPlan plan;
  const auto p = [&](uint32_t a, uint32_t b) {
    t.plan(seq0 + a, bytes_of(s, a, b), plan);
    return plan.in_seq;
  };
  const auto restart = [&](bool search) {
    hw::TrackerConfig c = config_for(s.cp());
    c.search = search;
    t.start(seq0, c);
    REQUIRE(p(0, 100));
  };

  SECTION("gap inside data: Tracking, later data still mapped, the hole's bytes never planned") {
    restart(true);
    CHECK(p(150, 200));
    CHECK(t.state() == hw::TrackerState::Tracking);
    REQUIRE(plan.segs.size() == 1);
    CHECK(plan.segs[0].region == Region::Data);
    CHECK(plan.segs[0].buf_off == 150 - s.pdus()[0].data_off);
    CHECK_FALSE(p(100, 150));  // the missing packet arrives late: untouched
    CHECK(t.state() == hw::TrackerState::Tracking);
    CHECK(p(200, s.pdus()[1].start + 10));  // crosses into the next PDU: full offload again
    CHECK(t.state() == hw::TrackerState::Offloading);
    CHECK(t.stats().holes_in_data == 1);
    CHECK(t.stats().stale == 1);
  }
  SECTION("retransmission and overlap never change the state") {
    restart(false);
    CHECK_FALSE(p(0, 100));
    CHECK_FALSE(p(50, 150));
    CHECK(plan.segs.empty());
    CHECK(t.state() == hw::TrackerState::Offloading);
    CHECK(p(100, 200));
  }
  SECTION("a gap covering a header disables the flow when searching is off") {
    restart(false);
    CHECK_FALSE(p(s.pdus()[1].start + 5, s.size()));
    CHECK(t.state() == hw::TrackerState::Disabled);
  }
  SECTION("a gap covering a header starts the search when it is on") {
    restart(true);
    CHECK_FALSE(p(s.pdus()[1].start + 5, s.size()));
    CHECK(t.state() == hw::TrackerState::Searching);
  }
  SECTION("empty payloads never change state") {
    restart(true);
    t.plan(seq0 + 100, {}, plan);
    CHECK(plan.in_seq);
    t.plan(seq0 + 99, {}, plan);  // keepalive probe
    CHECK_FALSE(plan.in_seq);
    CHECK(t.state() == hw::TrackerState::Offloading);
    CHECK(p(100, s.size()));
  }
  SECTION("a tracker never started passes everything") {
    CHECK_FALSE(p(0, 100));
    CHECK(t.state() == hw::TrackerState::Disabled);
  }
}

TEST_CASE("tracker: sequence wraparound", "[tracker]") {
  C2hStream s(params(true, true, 0));
  s.data(1, 0, 20);
  s.resp(1);
  s.data(2, 0, 20);
  hw::PduTracker t;
  t.start(0xFFFFFFF0u, config_for(s.cp()));
  hw::PacketPlan plan;
  t.plan(0xFFFFFFF0u, bytes_of(s, 0, 60), plan);
  CHECK(t.expected_seq() == 60 - 16);
  t.plan(60 - 16, bytes_of(s, 60, s.size()), plan);
  REQUIRE(plan.in_seq);
  REQUIRE(plan.headers.size() == 2);
  CHECK(plan.headers[0].seq == s.pdus()[1].start - 16);
  CHECK(plan.headers[1].seq == s.pdus()[2].start - 16);
  CHECK(plan.segs.back().pdu_seq == s.pdus()[2].start - 16);
}

TEST_CASE("tracker: an untrustworthy header disables the flow", "[tracker]") {
  const auto expect_failure = [](const C2hStream& s, const hw::TrackerConfig& cfg,
                                 PduError err, uint32_t unframed_from) {
    hw::PduTracker t;
    t.start(0, cfg);
    hw::PacketPlan plan;
    t.plan(0, ByteView(s.bytes()), plan);
    CHECK(plan.in_seq);
    REQUIRE(plan.headers.size() == 2);
    CHECK(nvme::PduError(plan.headers[0].err) == PduError::None);
    CHECK(nvme::PduError(plan.headers[1].err) == err);
    CHECK(plan.headers[1].seq == s.pdus()[1].start);
    CHECK(t.state() == hw::TrackerState::Disabled);
    REQUIRE(plan.segs.back().region == Region::Unframed);
    CHECK(plan.segs.back().off == unframed_from);
    CHECK(plan.segs.back().off + plan.segs.back().len == s.size());
    t.plan(s.size(), ByteView(s.bytes()).sub(0, 10), plan);
    CHECK_FALSE(plan.in_seq);
  };
  const auto two_pdus = [](const nvme::ConnParams& cp) {
    C2hStream s(cp);
    s.resp(1);
    s.data(2, 0, 64, flag::LAST_PDU);
    s.r2t(3);
    return s;
  };

  SECTION("unknown type") {
    C2hStream s = two_pdus(params(false, false, 0));
    s.bytes()[s.pdus()[1].start] = 0x08;
    expect_failure(s, config_for(s.cp()), PduError::UnknownType, s.pdus()[1].start + 8);
  }
  SECTION("a type only a controller receives") {
    C2hStream s = two_pdus(params(false, false, 0));
    s.bytes()[s.pdus()[1].start] = uint8_t(PduType::H2CData);
    expect_failure(s, config_for(s.cp()), PduError::UnknownType, s.pdus()[1].start + 8);
  }
  SECTION("PLEN above the configured maximum") {
    C2hStream s = two_pdus(params(false, false, 0));
    hw::TrackerConfig cfg = config_for(s.cp());
    cfg.max_pdu_len = 80;
    expect_failure(s, cfg, PduError::PlenTooLarge, s.pdus()[1].start + 8);
  }
  SECTION("DATAL disagrees with PLEN") {
    C2hStream s = two_pdus(params(false, false, 0));
    st_le32(&s.bytes()[s.pdus()[1].start + 16], 63);
    expect_failure(s, config_for(s.cp()), PduError::DataLengthMismatch, s.pdus()[1].start + 24);
  }
  SECTION("bad header digest") {
    C2hStream s = two_pdus(params(true, false, 0));
    s.bytes()[s.pdus()[1].start + 8] ^= 0x40;  // CID bit: the header still validates
    expect_failure(s, config_for(s.cp()), PduError::BadHeaderDigest, s.pdus()[1].start + 28);

    hw::TrackerConfig unchecked = config_for(s.cp());
    unchecked.header_digest_check = false;
    hw::PduTracker t;
    t.start(0, unchecked);
    hw::PacketPlan plan;
    t.plan(0, ByteView(s.bytes()), plan);
    REQUIRE(plan.headers.size() == 3);  // framing goes on
    CHECK(nvme::PduError(plan.headers[1].err) == PduError::None);
    CHECK_FALSE(plan.headers[1].hdgst_ok);
    CHECK(plan.headers[1].io_tag == (2 ^ 0x40));
    CHECK(t.state() == hw::TrackerState::Offloading);
  }
}
