#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "c2h_stream.hpp"
#include "hw/offload/crc_engine.hpp"
#include "hw/offload/nvme_tcp/nvme_tcp_framer.hpp"
#include "tests/unit/crc_oracle.hpp"

using namespace nic;
using nvme::PduType;
using test::C2hStream;
using test::ExpectedPdu;
namespace flag = nvme::pduflag;

namespace {

using oracle::crc_bitwise;

nvme::ConnParams params(bool hdgst, bool ddgst, uint8_t hpda = 0) {
  nvme::ConnParams cp;
  cp.hdgst = hdgst;
  cp.ddgst = ddgst;
  cp.hpda = hpda;
  return cp;
}

// Data PDUs of several sizes, including one spanning many packets, with non-data PDUs between.
C2hStream crc_stream(const nvme::ConnParams& cp) {
  C2hStream s(cp);
  s.data(1, 0, 200, 0, 11);
  s.resp(7);
  s.data(1, 200, 3000, flag::LAST_PDU, 12);
  s.term(10);
  s.data(2, 0, 1, flag::LAST_PDU | flag::SUCCESS, 13);
  s.r2t(4);
  s.data(3, 0, 517, flag::LAST_PDU, 14);
  return s;
}

struct Verdict {
  bool crc_ok;
  uint32_t ok, bad;
  bool operator==(const Verdict& o) const { return crc_ok == o.crc_ok && ok == o.ok && bad == o.bad; }
};

// What the packet [a, b) must get, from the stream bytes and the bitwise CRC: a data PDU whose
// digest ends in the packet is good when the digest on the wire matches its data.
Verdict expected_verdict(const C2hStream& s, uint32_t a, uint32_t b) {
  Verdict v{true, 0, 0};
  for (const ExpectedPdu& p : s.pdus()) {
    if (p.type != PduType::C2HData) continue;
    const uint32_t d0 = p.start + p.data_off, end = p.start + p.plen;
    if (d0 >= b || end <= a) continue;  // no data or digest bytes here
    if (!s.cp().ddgst) {
      v.crc_ok = false;
      continue;
    }
    if (end > b) continue;  // digest completes later
    const bool good = crc_bitwise(&s.bytes()[d0], p.data_len) == ld_le32(&s.bytes()[end - 4]);
    ++(good ? v.ok : v.bad);
    v.crc_ok &= good;
  }
  return v;
}

// One flow: tracker and CRC engine, fed beat by beat (payload-aligned beats of `beat` bytes).
struct Flow {
  hw::PduTracker tracker;
  hw::CrcEngine crc;
  hw::PacketPlan plan;

  Flow(const nvme::ConnParams& cp, uint32_t seq0) {
    hw::TrackerConfig cfg;
    cfg.cp = cp;
    tracker.start(seq0, cfg);
    crc.start(cp.ddgst);
  }
  Verdict packet(uint32_t seq, ByteView payload, uint32_t beat) {
    tracker.plan(seq, payload, plan);
    REQUIRE(plan.in_seq);
    crc.begin_packet();
    for (const hw::Segment& g : plan.segs) {
      for (uint32_t o = g.off; o < g.off + g.len;) {
        const uint32_t beat_end = (o / beat + 1) * beat;
        const uint32_t n = std::min(beat_end, g.off + g.len) - o;
        crc.feed(g.slice(o - g.off, n), payload.sub(o, n));
        o += n;
      }
    }
    const hw::CrcPacketResult& r = crc.result();
    return {r.crc_ok, r.pdus_completed_ok, r.pdus_completed_bad};
  }
};

// Runs the stream cut at `cuts` through one flow and checks every packet's verdict.
std::vector<Verdict> run(const C2hStream& s, const std::vector<uint32_t>& cuts, uint32_t beat,
                         uint32_t seq0 = 4242) {
  Flow f(s.cp(), seq0);
  std::vector<Verdict> out;
  for (size_t k = 0; k + 1 < cuts.size(); ++k) {
    const uint32_t a = cuts[k], b = cuts[k + 1];
    const Verdict v = f.packet(seq0 + a, ByteView(s.bytes()).sub(a, b - a), beat);
    CAPTURE(k, a, b);
    REQUIRE(v == expected_verdict(s, a, b));
    out.push_back(v);
  }
  return out;
}

size_t count_c2h_data(const C2hStream& s) {
  size_t n = 0;
  for (const ExpectedPdu& p : s.pdus()) n += p.type == PduType::C2HData;
  return n;
}

}  // namespace

TEST_CASE("crcengine: the test's bitwise CRC and the encoder agree", "[crcengine]") {
  const char* v = "123456789";
  REQUIRE(crc_bitwise(reinterpret_cast<const uint8_t*>(v), 9) == 0xE3069283u);
  const C2hStream s = crc_stream(params(true, true));
  for (const ExpectedPdu& p : s.pdus()) {
    if (p.type != PduType::C2HData) continue;
    CHECK(ld_le32(&s.bytes()[p.start + p.plen - 4]) == crc_bitwise(p.data.data(), p.data.size()));
  }
}

TEST_CASE("crcengine: clean stream verifies every PDU whatever the packetization", "[crcengine]") {
  const nvme::ConnParams cp = GENERATE(params(false, true), params(true, true), params(true, true, 1));
  const C2hStream s = crc_stream(cp);
  std::mt19937 rng(3);
  for (uint32_t k = 1; k < s.size(); k += 7) run(s, {0, k, s.size()}, 64);
  for (int iter = 0; iter < 100; ++iter) {
    const auto cuts = test::random_cuts(s.size(), rng, 40);
    CAPTURE(cuts);
    run(s, cuts, 64, uint32_t(rng()));  // random start: wraps sometimes
  }
  Flow f(cp, 0);
  f.packet(0, ByteView(s.bytes()), 64);
  CHECK(f.crc.pdus_verified_ok() == count_c2h_data(s));
  CHECK(f.crc.pdus_digest_error() == 0);
}

TEST_CASE("crcengine: a corrupted data byte fails the packet holding the digest", "[crcengine]") {
  C2hStream s = crc_stream(params(true, true));
  const ExpectedPdu& big = s.pdus()[2];  // 3000 bytes of data
  s.bytes()[big.start + big.data_off + 1234] ^= 0x10;
  const uint32_t dg = big.start + big.plen - 4;

  SECTION("every single split") {
    for (uint32_t k = 1; k < s.size(); ++k) {
      CAPTURE(k);
      const auto v = run(s, {0, k, s.size()}, 64);
      CHECK(v[k > dg + 3 ? 0 : 1].bad == 1);  // the packet with the digest's last byte
    }
  }
  SECTION("digest split across packets, data over many packets") {
    const auto v = run(s, {0, 500, 1000, 1500, 2000, dg + 2, dg + 4, s.size()}, 64);
    CHECK(v[4].crc_ok);  // data of the bad PDU, digest still to come
    CHECK_FALSE(v[5].crc_ok);
    CHECK(v[5].bad == 1);
    CHECK(v[6].crc_ok);  // later PDUs verify again
    CHECK(v[6].ok == 2);
  }
  SECTION("counters") {
    Flow f(s.cp(), 0);
    f.packet(0, ByteView(s.bytes()), 64);
    CHECK(f.crc.pdus_digest_error() == 1);
    CHECK(f.crc.pdus_verified_ok() == count_c2h_data(s) - 1);
  }
}

TEST_CASE("crcengine: a corrupted digest byte is an error too", "[crcengine]") {
  C2hStream s = crc_stream(params(false, true));
  const ExpectedPdu& p = s.pdus()[4];  // 1 data byte
  s.bytes()[p.start + p.plen - 1] ^= 0x80;
  std::mt19937 rng(5);
  for (int iter = 0; iter < 50; ++iter) run(s, test::random_cuts(s.size(), rng, 30), 16);
}

TEST_CASE("crcengine: every beat size gives the same verdicts", "[crcengine]") {
  C2hStream s = crc_stream(params(true, true, 1));
  s.bytes()[s.pdus()[6].start + s.pdus()[6].data_off + 516] ^= 1;  // last data byte
  std::mt19937 rng(9);
  for (int iter = 0; iter < 30; ++iter) {
    const auto cuts = test::random_cuts(s.size(), rng, 25);
    const auto whole = run(s, cuts, 1u << 20);
    for (uint32_t beat : {1u, 3u, 8u, 32u, 64u}) {
      CAPTURE(iter, beat);
      CHECK(run(s, cuts, beat) == whole);
    }
  }
}

TEST_CASE("crcengine: interleaved flows keep separate state", "[crcengine]") {
  C2hStream a = crc_stream(params(true, true));
  C2hStream b = crc_stream(params(false, true, 1));
  b.bytes()[b.pdus()[0].start + b.pdus()[0].data_off] ^= 4;
  std::mt19937 rng(11);
  const auto ca = test::random_cuts(a.size(), rng, 40), cb = test::random_cuts(b.size(), rng, 40);
  const auto alone_a = run(a, ca, 64, 100), alone_b = run(b, cb, 64, 100);

  Flow fa(a.cp(), 100), fb(b.cp(), 100);  // same sequence numbers on purpose
  std::vector<Verdict> va, vb;
  size_t ia = 0, ib = 0;
  while (ia + 1 < ca.size() || ib + 1 < cb.size()) {
    if (ia + 1 < ca.size() && (rng() & 1 || ib + 1 == cb.size())) {
      va.push_back(fa.packet(100 + ca[ia], ByteView(a.bytes()).sub(ca[ia], ca[ia + 1] - ca[ia]), 64));
      ++ia;
    } else {
      vb.push_back(fb.packet(100 + cb[ib], ByteView(b.bytes()).sub(cb[ib], cb[ib + 1] - cb[ib]), 64));
      ++ib;
    }
  }
  CHECK(va == alone_a);
  CHECK(vb == alone_b);
  CHECK(fb.crc.pdus_digest_error() == 1);
}

TEST_CASE("crcengine: without a data digest, packets with data are not crc-ok", "[crcengine]") {
  const C2hStream s = crc_stream(params(true, false));
  std::mt19937 rng(13);
  for (int iter = 0; iter < 50; ++iter) run(s, test::random_cuts(s.size(), rng, 30), 64);
  // A packet holding only a CapsuleResp has nothing to verify.
  const ExpectedPdu& resp = s.pdus()[1];
  const auto v = run(s, {0, resp.start, resp.start + resp.plen, s.size()}, 64);
  CHECK(v[1].crc_ok);
  CHECK_FALSE(v[0].crc_ok);
}

TEST_CASE("crcengine: a PDU not followed from its first byte is not verified", "[crcengine]") {
  const C2hStream s = crc_stream(params(false, true));
  const ExpectedPdu& big = s.pdus()[2];
  // The engine misses the packet with the PDU's header and first data bytes (as after a lost
  // packet); the tracker still frames, so the later segments are fed.
  hw::PduTracker t;
  hw::TrackerConfig cfg;
  cfg.cp = s.cp();
  t.start(0, cfg);
  hw::CrcEngine crc;
  crc.start(true);
  hw::PacketPlan plan;
  const uint32_t cuts[] = {0, big.start + 100, big.start + 2000, s.size()};
  std::vector<bool> ok;
  for (int k = 0; k < 3; ++k) {
    const ByteView pl = ByteView(s.bytes()).sub(cuts[k], cuts[k + 1] - cuts[k]);
    t.plan(cuts[k], pl, plan);
    crc.begin_packet();
    for (const hw::Segment& g : plan.segs)
      if (k != 0 || g.pdu_seq != big.start) crc.feed(g, pl.sub(g.off, g.len));
    ok.push_back(crc.result().crc_ok);
  }
  CHECK(ok == std::vector<bool>{true, false, false});
  CHECK(crc.pdus_verified_ok() == count_c2h_data(s) - 1);
  CHECK(crc.pdus_digest_error() == 0);
}

namespace {

// Feeds packets [a, b) of a stream through a tracker and engine: in-order ones framed, stale
// ones (behind the tracker) as retransmissions. Returns each packet's crc-ok.
struct HoleRig {
  const C2hStream& s;
  Bytes wire;  // what is sent: the stream's bytes, which a test may damage
  hw::PduTracker t;
  hw::CrcEngine crc;
  hw::PacketPlan plan;
  explicit HoleRig(const C2hStream& st) : s(st), wire(st.bytes()) {
    hw::TrackerConfig cfg;
    cfg.cp = s.cp();
    t.start(1000, cfg);
    crc.start(s.cp().ddgst);
  }
  bool pkt(uint32_t a, uint32_t b) {
    const ByteView pl = ByteView(wire).sub(a, b - a);
    t.plan(1000 + a, pl, plan);
    crc.begin_packet();
    if (plan.in_seq)
      for (const hw::Segment& g : plan.segs) crc.feed(g, pl.sub(g.off, g.len));
    else if (plan.stale)
      crc.feed_stale(1000 + a, pl);
    return crc.result().crc_ok;
  }
};

}  // namespace

TEST_CASE("crcengine: a retransmission that fills a data hole completes the verification", "[crcengine]") {
  C2hStream s(params(false, true));
  s.data(1, 0, 6000, flag::LAST_PDU, 1);
  s.data(2, 0, 3000, flag::LAST_PDU, 2);
  const ExpectedPdu& a = s.pdus()[0];
  HoleRig r(s);
  CHECK(r.pkt(0, 1000));
  // [1000, 2500) lost; later packets still accounted, the digest arrives, no verdict yet.
  CHECK(r.pkt(2500, 4000));
  CHECK(r.pkt(4000, a.plen + 100));
  CHECK(r.crc.pdus_verified_ok() == 0);
  // The retransmission, re-segmented, fills the hole in two pieces: the second one verifies.
  CHECK(r.pkt(1000, 1800));
  CHECK(r.crc.pdus_verified_ok() == 0);
  CHECK(r.pkt(1800, 2500));
  CHECK(r.crc.pdus_verified_ok() == 1);
  CHECK(r.crc.pdus_hole_filled() == 1);
  CHECK(r.crc.result().pdus_completed_ok == 1);
  // A late duplicate of bytes the engine has accounted is harmless.
  CHECK(r.pkt(2000, 2600));
  CHECK(r.pkt(a.plen + 100, s.size()));
  CHECK(r.crc.pdus_verified_ok() == 2);
}

TEST_CASE("crcengine: a bad digest is caught by the packet that fills the hole", "[crcengine]") {
  C2hStream s(params(false, true));
  s.data(1, 0, 4000, flag::LAST_PDU, 1);
  HoleRig r(s);
  r.wire[1500] ^= 1;  // a data byte inside the hole: only the retransmission carries it
  CHECK(r.pkt(0, 1000));
  CHECK(r.pkt(2000, s.size()));  // digest in, hole pending: no verdict
  CHECK_FALSE(r.pkt(1000, 2000));
  CHECK(r.crc.pdus_digest_error() == 1);
}

TEST_CASE("crcengine: a retransmission of bytes no tracked PDU holds is not crc-ok", "[crcengine]") {
  C2hStream s(params(false, true));
  for (uint16_t c = 1; c <= 12; ++c) s.data(c, 0, 500, flag::LAST_PDU, uint8_t(c));
  HoleRig r(s);
  for (uint32_t a = 0; a < s.size(); a += 500) r.pkt(a, std::min(s.size(), a + 500));
  CHECK(r.crc.pdus_verified_ok() == 12);
  // The first PDUs were evicted long ago: their bytes are unknown to the engine now.
  CHECK_FALSE(r.pkt(0, 400));
  // The last PDU is still known: a duplicate of it is fine.
  CHECK(r.pkt(s.pdus().back().start, s.pdus().back().start + 100));
}

TEST_CASE("crcengine: more holes than pieces gives up on the PDU, never on correctness", "[crcengine]") {
  C2hStream s(params(false, true));
  s.data(1, 0, 20000, flag::LAST_PDU, 1);
  HoleRig r(s);
  r.pkt(0, 500);
  bool all_ok = true;
  // Every other 500-byte packet lost: far more than kMaxPieces holes.
  for (uint32_t a = 1000; a < s.size(); a += 1000) all_ok &= r.pkt(a, std::min(s.size(), a + 500));
  for (uint32_t a = 500; a < s.size(); a += 1000) all_ok &= r.pkt(a, std::min(s.size(), a + 500));
  CHECK_FALSE(all_ok);
  CHECK(r.crc.pdus_verified_ok() == 0);
}

TEST_CASE("crcengine: a retransmission half the sequence space away from an open PDU touches none of its bytes", "[crcengine]") {
  // An open PDU stays in the engine until evicted; after 2 GiB of traffic a stale packet can
  // sit about 2^31 from it, where serial-number comparisons stop being transitive.
  constexpr uint32_t kSeq = 0x10000000, kDataOff = 24, kLen = 300;
  Bytes pdu(kDataOff + kLen + 4);
  for (size_t i = 0; i < pdu.size(); ++i) pdu[i] = uint8_t(i * 37 + 5);
  st_le32(pdu.data() + kDataOff + kLen, crc32c::compute(pdu.data() + kDataOff, kLen));
  for (const int64_t d : {int64_t(1) << 31, (int64_t(1) << 31) - 100, (int64_t(1) << 31) - 400,
                          (int64_t(1) << 31) + 100, (int64_t(1) << 31) + 200}) {
    for (const size_t n : {size_t(1), size_t(150), size_t(400), size_t(1400)}) {
      CAPTURE(d, n);
      hw::CrcEngine crc;
      crc.start(true);
      crc.track(kSeq, kDataOff, kLen);
      const std::vector<uint8_t> junk(n, 0xEE);  // exactly n bytes: a read past it is caught by ASan
      crc.begin_packet();
      crc.feed_stale(uint32_t(kSeq + d), ByteView(junk.data(), n));
      CHECK_FALSE(crc.result().crc_ok);  // bytes of no tracked PDU
      // The PDU itself, resent whole, is untouched by the packet above and verifies.
      crc.begin_packet();
      crc.feed_stale(kSeq, ByteView(pdu));
      CHECK(crc.result().crc_ok);
      CHECK(crc.pdus_verified_ok() == 1);
    }
  }
}
