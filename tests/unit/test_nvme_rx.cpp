#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "host_driver/nvme_tcp/nvme_rx.hpp"
#include "proto/nvme_tcp.hpp"
#include "segment_schedule.hpp"
#include "ulp_rx_rig.hpp"

using namespace nic;
using namespace nic::host;
using namespace nic::nvme;

namespace {

using nic::testing::FakeBuffers;
using nic::testing::PduAt;
using nic::testing::random_bytes;
using Host = nic::testing::RxHost<NvmeRx>;

// A controller->host stream built with the protocol encoders.
struct Stream : nic::testing::PduStream {
  ConnParams cp;

  void add(const Bytes& pdu) {
    PduAt p;
    const CommonHeader ch = CommonHeader::decode(pdu.data());
    if (ch.type == PduType::C2HData) {
      p.data = true;
      p.data_off = layout_of(ch).data_offset;
      p.data_len = ld_le32(&pdu[16]);
      p.tag = ld_le16(&pdu[8]);
      p.buf_off = ld_le32(&pdu[12]);
    }
    push(pdu, p);
  }
  void data(uint16_t cid, uint32_t datao, ByteView d, uint8_t flags = 0) {
    DataHdr h;
    h.cccid = cid;
    h.datao = datao;
    add(encode_data(PduType::C2HData, h, flags, d, cp));
  }
  void resp(uint16_t cid, uint16_t status = 0) {
    Cqe c;
    c.cid = cid;
    c.status = status;
    add(encode_capsule_resp(c, cp));
  }
};

ConnParams params(bool hd, bool dd, uint8_t hpda = 0) {
  ConnParams cp;
  cp.hdgst = hd;
  cp.ddgst = dd;
  cp.hpda = hpda;
  return cp;
}

// Reads with data in one or several PDUs, interleaved across commands; each ends with a
// CapsuleResp or with SUCCESS on its last data PDU.
std::map<uint16_t, Bytes> make_reads(Stream& s, std::mt19937_64& rng, int ncmds, uint32_t max_len) {
  std::map<uint16_t, Bytes> data;
  std::map<uint16_t, uint32_t> sent, pdu_size;
  for (int i = 0; i < ncmds; ++i) {
    const uint16_t cid = uint16_t(i * 7 + 3);
    const uint32_t len = 1 + uint32_t(rng() % max_len);
    data[cid] = random_bytes(rng, len);
    sent[cid] = 0;
    pdu_size[cid] = rng() % 2 ? len : 1 + uint32_t(rng() % 16384);
  }
  while (!sent.empty()) {
    auto it = std::next(sent.begin(), long(rng() % sent.size()));
    const uint16_t cid = it->first;
    const Bytes& d = data[cid];
    const uint32_t n = std::min<uint32_t>(pdu_size[cid], uint32_t(d.size()) - it->second);
    const bool last = it->second + n == d.size();
    const bool success = last && rng() % 2;
    s.data(cid, it->second, ByteView(d).sub(it->second, n),
           last ? uint8_t(pduflag::LAST_PDU | (success ? pduflag::SUCCESS : 0)) : 0);
    it->second += n;
    if (last && !success) s.resp(cid);
    if (last) sent.erase(it);
  }
  return data;
}

}  // namespace

// The central property: whatever was lost, duplicated, reordered or placed, every buffer ends
// byte-exact, placed + copied = length, and placement and CRC accounting follow the arrivals
// TCP accepted (reference computed per byte here).
TEST_CASE("nvmerx: random arrivals and placement give byte-exact buffers and exact accounting",
          "[nvmerx]") {
  const ConnParams cps[] = {params(false, false), params(true, true), params(false, true, 1),
                            params(true, false, 3)};
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    std::mt19937_64 rng(seed);
    Stream s;
    s.cp = cps[seed % 4];
    const auto data = make_reads(s, rng, 1 + int(rng() % 8), seed % 3 ? 60000 : 3000);
    const uint32_t isn = seed % 2 ? uint32_t(0) - uint32_t(s.bytes.size() / 2) : uint32_t(rng());
    Host h(s.cp, isn);
    for (const auto& kv : data) h.add(kv.first, uint32_t(kv.second.size()));

    nic::testing::ScheduleKnobs knobs;
    knobs.max_seg = 1 + uint32_t(rng() % 4000);
    knobs.loss = 0.08;
    knobs.dup = 0.08;
    knobs.reorder = 0.15;
    const auto sched = nic::testing::make_schedule(s.bytes.size(), rng, knobs);
    const size_t n = s.bytes.size();
    std::vector<uint8_t> seen(n, 0), placed(n, 0), crc_ok(n, 0);  // from the first arrival
    for (const auto& a : sched) {
      const bool place = rng() % 2, ok = rng() % 10 < 7;
      // Reference: which bytes this arrival's placed run covers (same rule as Host::packet).
      uint64_t plo = 0, phi = 0;
      for (const PduAt& p : s.pdus) {
        if (!place || !p.data) continue;
        plo = std::max(a.off, p.data_off);
        phi = std::min(a.off + a.len, p.data_off + p.data_len);
        if (plo < phi) break;
        plo = phi = 0;
      }
      for (uint64_t i = a.off; i < a.off + a.len; ++i) {
        if (seen[i]) continue;
        seen[i] = 1;
        placed[i] = i >= plo && i < phi;
        crc_ok[i] = ok;
      }
      h.packet(s, a.off, a.len, place, ok);
    }

    REQUIRE(h.done.size() == data.size());
    REQUIRE(h.rx.outstanding() == 0);
    uint64_t want_sw = 0, total_copied = 0;
    std::map<uint32_t, uint32_t> want_placed;
    std::map<uint32_t, bool> any_sw;
    for (const PduAt& p : s.pdus) {
      if (!p.data) continue;
      for (uint64_t i = p.data_off; i < p.data_off + p.data_len; ++i)
        want_placed[p.tag] += placed[i];
      bool all_ok = true;
      const uint64_t end = p.data_off + p.data_len + (s.cp.ddgst ? 4 : 0);
      for (uint64_t i = p.data_off; i < end; ++i) all_ok = all_ok && crc_ok[i];
      if (s.cp.ddgst && !all_ok) {
        ++want_sw;
        any_sw[p.tag] = true;
      }
    }
    for (const auto& kv : data) {
      const CmdResult& r = h.done.at(kv.first);
      INFO("seed " << seed << " cid " << kv.first);
      REQUIRE(to_string(r.status) == std::string("ok"));
      REQUIRE(h.io.buf[kv.first] == kv.second);
      REQUIRE(r.placed_bytes + r.copied_bytes == kv.second.size());
      REQUIRE(r.placed_bytes == want_placed[kv.first]);
      const CrcMode want = !s.cp.ddgst        ? CrcMode::None
                           : any_sw[kv.first] ? CrcMode::Sw
                                              : CrcMode::Hw;
      REQUIRE(r.crc == want);
      total_copied += r.copied_bytes;
    }
    REQUIRE(h.io.written == total_copied);  // every copied byte written once
    REQUIRE(h.rx.stats().sw_crc_pdus == want_sw);
    REQUIRE(h.rx.stats().misplaced_bytes == 0);
    REQUIRE(!h.rx.failed());
    REQUIRE(h.rx.at_pdu_boundary());
  }
}

TEST_CASE("nvmerx: one byte at a time frames every PDU layout", "[nvmerx]") {
  std::mt19937_64 rng(9);
  for (const ConnParams& cp :
       {params(false, false), params(true, true, 1), params(true, true, 7)}) {
    Stream s;
    s.cp = cp;
    const auto data = make_reads(s, rng, 4, 500);
    Host h(cp, 77);
    for (const auto& kv : data) h.add(kv.first, uint32_t(kv.second.size()));
    h.send_all(s, 1, false, false);
    REQUIRE(h.done.size() == data.size());
    for (const auto& kv : data) {
      REQUIRE(h.done[kv.first].status == CmdStatus::Ok);
      REQUIRE(h.io.buf[kv.first] == kv.second);
    }
  }
}

TEST_CASE("nvmerx: CRC-ok everywhere skips the software digest, one unmarked packet forces it",
          "[nvmerx]") {
  std::mt19937_64 rng(2);
  const Bytes d = random_bytes(rng, 20000);
  Stream s;
  s.cp = params(true, true);
  s.data(1, 0, ByteView(d).sub(0, 12000));
  s.data(1, 12000, ByteView(d).sub(12000), pduflag::LAST_PDU);
  s.resp(1);

  SECTION("all packets CRC-ok, all placed") {
    Host h(s.cp, 5);
    h.add(1, 20000);
    h.send_all(s, 1448, true, true);
    const CmdResult& r = h.done.at(1);
    REQUIRE(r.status == CmdStatus::Ok);
    REQUIRE(r.crc == CrcMode::Hw);
    REQUIRE(h.io.buf[1] == d);
    REQUIRE(h.io.reads == 0);
    REQUIRE(h.rx.stats().sw_crc_pdus == 0);
    REQUIRE(h.rx.stats().hw_crc_pdus == 2);
    // Headers and digests straddle packets, so some data bytes shared a packet with a placed
    // run of the other PDU and were copied; together they are the whole buffer.
    REQUIRE(r.placed_bytes + r.copied_bytes == 20000);
    REQUIRE(r.placed_bytes > 15000);
  }
  SECTION("one packet of the second PDU not CRC-ok") {
    Host h(s.cp, 5);
    h.add(1, 20000);
    for (uint64_t off = 0; off < s.bytes.size(); off += 1448) {
      const bool in_second = off > s.pdus[1].data_off + 100 && off < s.pdus[1].data_off + 3000;
      h.packet(s, off, uint32_t(std::min<uint64_t>(1448, s.bytes.size() - off)), true, !in_second);
    }
    const CmdResult& r = h.done.at(1);
    REQUIRE(r.status == CmdStatus::Ok);
    REQUIRE(r.crc == CrcMode::Sw);
    REQUIRE(h.rx.stats().sw_crc_pdus == 1);
    REQUIRE(h.rx.stats().sw_crc_bytes == 8000);
    REQUIRE(h.io.reads > 0);
    REQUIRE(h.io.buf[1] == d);
  }
  SECTION("only the packet holding the second digest not CRC-ok") {
    Host h(s.cp, 5);
    h.add(1, 20000);
    const uint64_t dg = s.pdus[1].data_off + 8000;  // digest, then the CapsuleResp
    for (uint64_t off = 0; off < dg; off += 1448)
      h.packet(s, off, uint32_t(std::min<uint64_t>(1448, dg - off)), true, true);
    h.packet(s, dg, uint32_t(s.bytes.size() - dg), false, false);
    REQUIRE(h.done.at(1).status == CmdStatus::Ok);
    REQUIRE(h.done.at(1).crc == CrcMode::Sw);
    REQUIRE(h.rx.stats().sw_crc_pdus == 1);
    REQUIRE(h.rx.stats().hw_crc_pdus == 1);
  }
  SECTION("the CRC-ok mark masked by trust_crc") {
    Host h(s.cp, 5);
    h.add(1, 20000);
    for (uint64_t off = 0; off < s.bytes.size(); off += 1448)
      h.packet(s, off, uint32_t(std::min<uint64_t>(1448, s.bytes.size() - off)), true, true, false,
               off != 0);  // the first packet carries the first PDU's data
    REQUIRE(h.done.at(1).crc == CrcMode::Sw);
    REQUIRE(h.rx.stats().sw_crc_pdus == 1);
  }
}

TEST_CASE("nvmerx: a corrupt data digest is a digest error, whatever other packets say",
          "[nvmerx]") {
  std::mt19937_64 rng(4);
  const Bytes d = random_bytes(rng, 9000);
  Stream s;
  s.cp = params(false, true);
  s.data(2, 0, d, pduflag::LAST_PDU);
  s.resp(2);
  s.bytes[s.pdus[0].data_off + 9000 + 1] ^= 0x01;  // a digest byte
  const uint64_t digest_pkt = (s.pdus[0].data_off + 9000) / 1000;
  for (bool others_ok : {false, true}) {
    for (bool place : {false, true}) {
      Host h(s.cp, 0xFFFFF000u);
      h.add(2, 9000);
      for (uint64_t off = 0, k = 0; off < s.bytes.size(); off += 1000, ++k)
        h.packet(s, off, uint32_t(std::min<uint64_t>(1000, s.bytes.size() - off)), place,
                 others_ok && k != digest_pkt);  // a NIC never marks the bad digest's packet
      const CmdResult& r = h.done.at(2);
      REQUIRE(r.status == CmdStatus::DigestError);
      REQUIRE(r.crc == CrcMode::Sw);
      REQUIRE(h.io.buf[2] == d);  // the data itself was fine
      REQUIRE(h.rx.stats().digest_errors == 1);
    }
  }
}

TEST_CASE("nvmerx: wrong bytes placed by the NIC: caught unless the packet was CRC-ok",
          "[nvmerx]") {
  std::mt19937_64 rng(6);
  const Bytes d = random_bytes(rng, 6000);
  Stream s;
  s.cp = params(true, true);
  s.data(3, 0, d, pduflag::LAST_PDU | pduflag::SUCCESS);
  for (bool crc_ok : {false, true}) {
    Host h(s.cp, 100);
    h.add(3, 6000);
    for (uint64_t off = 0, k = 0; off < s.bytes.size(); off += 1500, ++k)
      h.packet(s, off, uint32_t(std::min<uint64_t>(1500, s.bytes.size() - off)), true, crc_ok,
               k == 2);
    const CmdResult& r = h.done.at(3);
    REQUIRE(h.io.buf[3] != d);
    // Like Linux, a CRC-ok packet's placement is trusted: the NIC vouched for the digest.
    REQUIRE(r.status == (crc_ok ? CmdStatus::Ok : CmdStatus::DigestError));
    REQUIRE(r.crc == (crc_ok ? CrcMode::Hw : CrcMode::Sw));
  }
}

TEST_CASE(
    "nvmerx: bytes accepted from an unplaced arrival are copied even if a duplicate "
    "claims placement",
    "[nvmerx]") {
  std::mt19937_64 rng(8);
  const Bytes d = random_bytes(rng, 4000);
  Stream s;
  s.cp = params(false, true);
  s.data(4, 0, d, pduflag::LAST_PDU);
  s.resp(4);
  const uint64_t a = 1000, b = 2000;  // a data-only packet, first arriving out of order
  const uint32_t total = uint32_t(s.bytes.size());

  SECTION("unplaced first, placed duplicate that never wrote its bytes") {
    Host h(s.cp, 1);
    h.add(4, 4000);
    h.packet(s, a, uint32_t(b - a), false, true);
    // The retransmission claims placement; the claimed bytes are not in the buffer (poison
    // shows through if the driver trusted the duplicate).
    Bytes payload(s.bytes.begin() + long(a), s.bytes.begin() + long(b));
    abi::PlacedRun run{0, uint16_t(b - a), 4, uint32_t(a - s.pdus[0].data_off)};
    RangeAttrs attrs;
    REQUIRE(attrs_from_runs(uint32_t(b - a), &run, 1, true, attrs));
    h.tcp.on_segment(h.isn + uint32_t(a), payload, attrs);
    h.packet(s, 0, uint32_t(a), false, true);
    h.packet(s, b, total - uint32_t(b), false, true);
    const CmdResult& r = h.done.at(4);
    REQUIRE(r.status == CmdStatus::Ok);
    REQUIRE(h.io.buf[4] == d);
    REQUIRE(r.placed_bytes == 0);
    REQUIRE(r.copied_bytes == 4000);
    REQUIRE(r.crc == CrcMode::Hw);
  }
  SECTION("placed first, unplaced duplicate: nothing copied twice") {
    Host h(s.cp, 1);
    h.add(4, 4000);
    h.packet(s, a, uint32_t(b - a), true, true);
    h.packet(s, a, uint32_t(b - a), false, false);
    h.packet(s, 0, uint32_t(a), false, true);
    h.packet(s, b, total - uint32_t(b), false, true);
    const CmdResult& r = h.done.at(4);
    REQUIRE(h.io.buf[4] == d);
    REQUIRE(r.placed_bytes == b - a);
    REQUIRE(r.copied_bytes == 4000 - (b - a));
    REQUIRE(h.io.written == r.copied_bytes);
    REQUIRE(r.crc == CrcMode::Hw);  // the accepted copy of every byte came from a CRC-ok packet
  }
}

// Bytes the NIC wrote where the parse does not put them may have overwritten good ones at any
// time: the read fails rather than trust a repair.
TEST_CASE("nvmerx: placement at the wrong offset fails the read", "[nvmerx]") {
  std::mt19937_64 rng(10);
  const Bytes d = random_bytes(rng, 3000);
  Stream s;
  s.cp = params(false, false);
  s.data(5, 0, d, pduflag::LAST_PDU | pduflag::SUCCESS);
  const uint32_t total = uint32_t(s.bytes.size());
  // Data placed 8 bytes off; then header and data "placed" as if the NIC misframed.
  const RangeAttrs wrong_off{{24, false, false, 0, 0}, {total - 24, true, false, 5, 8}};
  const RangeAttrs misframed{{total, true, false, 5, 0}};
  for (const RangeAttrs* attrs : {&wrong_off, &misframed}) {
    Host h(s.cp, 0);
    h.add(5, 3000);
    h.tcp.on_segment(0, s.bytes, *attrs);
    const CmdResult& r = h.done.at(5);
    REQUIRE(r.status == CmdStatus::Misplaced);
    REQUIRE(r.copied_bytes == 3000);
    REQUIRE(h.rx.stats().misplaced_bytes == (attrs == &wrong_off ? 3000 : total));
    REQUIRE(h.rx.stats().misplaced_reads == 1);
  }
}

TEST_CASE("nvmerx: data outside the command's buffer fails only that command", "[nvmerx]") {
  Stream s;
  s.cp = params(false, true);
  const Bytes d(100, 0x11);
  s.data(6, 950, d);                   // 950 + 100 > 1000
  s.data(7, 0, d, pduflag::LAST_PDU);  // fine
  s.data(6, 0, d);                     // in range: still written
  s.resp(6);
  s.resp(7);
  Host h(s.cp, 0);
  h.add(6, 1000);
  h.add(7, 100);
  h.send_all(s, 333, false, false);
  REQUIRE(h.done.at(6).status == CmdStatus::BadPdu);
  REQUIRE(h.done.at(7).status == CmdStatus::Ok);
  REQUIRE(std::count(h.io.buf[6].begin(), h.io.buf[6].end(), 0x11) == 100);
  REQUIRE(!h.rx.failed());
}

TEST_CASE("nvmerx: completions, statuses and PDUs for nobody", "[nvmerx]") {
  Stream s;
  s.cp = params(true, false);
  const Bytes d(64, 0x22);
  s.data(9, 0, d, pduflag::LAST_PDU);  // unknown CID: skipped
  s.resp(9);                           // unknown CID: ignored
  R2t r2t;
  r2t.cccid = 1;
  s.add(encode_r2t(r2t, s.cp));  // this host only reads: ignored
  s.data(1, 0, d, pduflag::LAST_PDU);
  s.resp(1, uint16_t(0x0002 << 1 | 1));  // NVMe error status, phase bit set
  s.data(2, 0, ByteView(d).sub(0, 32), pduflag::LAST_PDU | pduflag::SUCCESS);  // half the data
  s.data(3, 0, d, pduflag::LAST_PDU | pduflag::SUCCESS);
  Host h(s.cp, 0);
  h.add(1, 64);
  h.add(2, 64);
  h.add(3, 64);
  h.send_all(s, 100, false, false);
  REQUIRE(h.order == std::vector<uint32_t>{1, 2, 3});
  REQUIRE(h.done[1].status == CmdStatus::NvmeError);
  REQUIRE(h.done[1].ulp_status == 0x0002);
  REQUIRE(h.done[2].status == CmdStatus::ShortData);
  REQUIRE(h.done[3].status == CmdStatus::Ok);
  REQUIRE(h.done[3].crc == CrcMode::None);
  REQUIRE(h.rx.stats().unknown_tag_pdus == 2);
  REQUIRE(h.rx.stats().ignored_pdus == 1);
  // A completed CID can be registered again.
  REQUIRE(h.rx.add_command(3, 10));
  REQUIRE(!h.rx.add_command(3, 10));
}

// A read's data comes once: a second copy of any byte, same or not, fails the read.
TEST_CASE("nvmerx: overlapping data PDUs fail the read, counting each byte once", "[nvmerx]") {
  Stream s;
  s.cp = params(false, false);
  Bytes d(1000);
  for (size_t i = 0; i < d.size(); ++i) d[i] = uint8_t(i * 7);
  s.data(1, 0, ByteView(d).sub(0, 600));
  s.data(1, 400, ByteView(d).sub(400), pduflag::LAST_PDU | pduflag::SUCCESS);
  Host h(s.cp, 0);
  h.add(1, 1000);
  h.send_all(s, 256, false, false);
  REQUIRE(h.done[1].status == CmdStatus::Overlap);
  REQUIRE(h.done[1].copied_bytes == 1000);
  REQUIRE(h.rx.stats().overlap_pdus == 1);
}

TEST_CASE("nvmerx: C2HTermReq terminates every outstanding command", "[nvmerx]") {
  Stream s;
  s.cp = params(false, false);
  s.data(1, 0, Bytes(10, 1), pduflag::LAST_PDU);
  s.resp(1);
  s.data(2, 0, Bytes(5, 2));
  TermReq t;
  t.fes = 1;
  s.add(encode_term_req(PduType::C2HTermReq, t));
  s.resp(2);  // after the TermReq: ignored
  Host h(s.cp, 0);
  h.add(1, 10);
  h.add(2, 10);
  h.add(3, 10);
  h.send_all(s, 50, false, false);
  REQUIRE(h.done[1].status == CmdStatus::Ok);
  REQUIRE(h.done[2].status == CmdStatus::Terminated);
  REQUIRE(h.done[3].status == CmdStatus::Terminated);
  REQUIRE(h.rx.failed());
  REQUIRE(!h.rx.add_command(4, 10));
}

TEST_CASE("nvmerx: a framing error fails the connection's commands", "[nvmerx]") {
  for (int kind = 0; kind < 3; ++kind) {
    INFO("kind " << kind);
    Stream s;
    s.cp = params(true, false);
    s.data(1, 0, Bytes(10, 1), pduflag::LAST_PDU);
    s.resp(1);
    const size_t bad = s.bytes.size();
    if (kind == 2) {
      s.add(encode_capsule_cmd(ReadCmd{}.to_sqe(), s.cp));  // never sent to a host
    } else {
      s.data(2, 0, Bytes(10, 2), pduflag::LAST_PDU);
      if (kind == 0) s.bytes[bad] = 0x08;        // unassigned PDU type
      if (kind == 1) s.bytes[bad + 13] ^= 0x40;  // a DATAO bit: the header digest is now wrong
    }
    s.resp(2);
    Host h(s.cp, 3);
    h.add(1, 10);
    h.add(2, 10);
    h.add(5, 10);
    h.send_all(s, 7, false, false);
    REQUIRE(h.done[1].status == CmdStatus::Ok);
    REQUIRE(h.done[2].status == CmdStatus::BadPdu);
    REQUIRE(h.done[5].status == CmdStatus::BadPdu);
    REQUIRE(h.rx.failed());
  }
}

TEST_CASE("nvmerx: resync requests are confirmed only at a header start not yet passed",
          "[nvmerx]") {
  Stream s;
  s.cp = params(true, true);
  for (uint16_t cid = 1; cid <= 4; ++cid)
    s.data(cid, 0, Bytes(3000, uint8_t(cid)), pduflag::LAST_PDU);
  s.resp(1);
  const uint32_t isn = 0xFFFFF800u;  // the PDUs straddle the sequence wrap
  auto hdr = [&](size_t i) { return isn + uint32_t(s.pdus[i].start); };
  Host h(s.cp, isn);
  for (uint16_t cid = 1; cid <= 4; ++cid) h.add(cid, 3000);
  uint64_t at = 0;
  auto upto = [&](uint64_t end) {  // feeds stream bytes up to `end`
    while (at < end) {
      const uint32_t n = uint32_t(std::min<uint64_t>(1000, end - at));
      h.packet(s, at, n, false, false);
      at += n;
    }
  };
  upto(s.pdus[1].start);        // at a PDU boundary
  h.rx.resync_request(hdr(0));  // passed: never
  REQUIRE(h.rx.stats().resync_dropped == 1);
  upto(s.pdus[1].start + 10);         // inside PDU 1's header
  h.rx.resync_request(hdr(1));        // passed: never
  h.rx.resync_request(hdr(1) + 500);  // inside PDU 1: never
  REQUIRE(h.rx.stats().resync_dropped == 3);
  h.rx.resync_request(hdr(2));  // ahead, a header: pending
  h.rx.resync_request(hdr(3));  // replaces it
  upto(s.pdus[3].start + 1);
  REQUIRE(h.confirms == std::vector<uint32_t>{hdr(3)});
  h.rx.resync_request(hdr(4) - 7);  // inside PDU 3, whose PLEN is not in yet: pending...
  upto(s.bytes.size());             // ...until PDU 4 starts past it
  REQUIRE(h.confirms.size() == 1);
  h.rx.resync_request(isn + uint32_t(s.bytes.size()));  // at the boundary, next PDU to come
  const RxStats& st = h.rx.stats();
  REQUIRE(st.resync_requests == 7);
  REQUIRE(st.resync_confirmed == 1);
  REQUIRE(st.resync_dropped == 5);
  REQUIRE(h.rx.at_pdu_boundary());
  REQUIRE(h.done.size() == 1);  // only command 1 got its response
  // The stream goes on: the next header start confirms the pending request.
  Stream more;
  more.cp = s.cp;
  more.resp(2);
  h.rx.on_data(isn + uint32_t(s.bytes.size()), more.bytes,
               {{uint32_t(more.bytes.size()), false, false, 0, 0}});
  REQUIRE(h.confirms.size() == 2);
  REQUIRE(h.confirms[1] == isn + uint32_t(s.bytes.size()));
  REQUIRE(h.done.at(2).status == CmdStatus::Ok);
}

TEST_CASE("nvmerx: bytes placed into another buffer of the same CID are copied", "[nvmerx]") {
  // A CID names different buffers over time; the NIC may have written an older registration.
  ConnParams cp;
  cp.ddgst = true;
  Bytes data(3000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 13 + 5);
  DataHdr h;
  h.cccid = 4;
  const Bytes pdu = encode_data(PduType::C2HData, h, pduflag::LAST_PDU | pduflag::SUCCESS, data, cp);
  const uint32_t data_off = uint32_t(pdu.size() - data.size() - 4);
  for (const uint64_t placed_into : {uint64_t(7), uint64_t(8)}) {
    FakeBuffers io;
    io.buf[4] = Bytes(data.size(), 0xEE);  // what the user's buffer held before
    if (placed_into == 7) std::copy(data.begin(), data.end(), io.buf[4].begin());
    std::vector<CmdResult> done;
    NvmeRx rx(cp, io, 100, [&](const CmdResult& r) { done.push_back(r); });
    REQUIRE(rx.add_command(4, uint32_t(data.size()), 7));
    RangeAttrs a = {{data_off, false, true, 0, 0, 0},
                    {uint32_t(data.size()), true, true, 4, 0, placed_into},
                    {4, false, true, 0, 0, 0}};
    rx.on_data(100, pdu, a);
    REQUIRE(done.size() == 1);
    CHECK(done[0].status == CmdStatus::Ok);
    CHECK(io.buf[4] == data);
    CHECK(done[0].placed_bytes == (placed_into == 7 ? data.size() : 0));
    CHECK(done[0].copied_bytes == (placed_into == 7 ? 0 : data.size()));
  }
}

// The driver tells the parse where the NIC placed bytes as each completion entry arrives,
// possibly before the parse reaches them (they follow a hole): a read whose buffer took bytes
// from beyond its completion fails, whenever that is learnt.
TEST_CASE("nvmerx: bytes the NIC placed from beyond a read's completion fail it", "[nvmerx][integrity]") {
  Stream s;
  s.cp = params(false, false);
  const Bytes d(800, 0x31), stale(200, 0x99);
  s.data(4, 0, d, pduflag::LAST_PDU);
  s.resp(4);
  s.data(4, 100, stale);  // the same CID again, after its completion
  const uint32_t resp_end = uint32_t(s.pdus[1].start + s.pdus[1].plen);
  const uint32_t stale_end = uint32_t(s.bytes.size());
  SECTION("placed before the parse completes the read") {
    Host h(s.cp, 0);
    h.add(4, 800);
    REQUIRE(h.rx.placed(4, 0, 500));        // inside its data: fine so far
    REQUIRE(h.rx.placed(4, 0, stale_end));  // the stale PDU's bytes
    h.send_all(s, 300, false, false);
    CHECK(h.done.at(4).status == CmdStatus::LatePlacement);
    CHECK(h.rx.stats().late_reads == 1);
  }
  SECTION("placed within the read: ok") {
    Host h(s.cp, 0);
    h.add(4, 800);
    REQUIRE(h.rx.placed(4, 0, resp_end - 24));
    h.send_all(s, 300, false, false);
    CHECK(h.done.at(4).status == CmdStatus::Ok);
  }
  SECTION("placed after the parse completed the read: the caller learns it") {
    Host h(s.cp, 0);
    h.add(4, 800);
    h.send_all(s, 300, false, false);
    CHECK(h.done.at(4).status == CmdStatus::Ok);
    CHECK(!h.rx.placed(4, 0, stale_end));
  }
}

// An integrity failure replaces a status that still vouches for the buffer, and only those.
TEST_CASE("nvmerx: an integrity failure outranks a digest error", "[nvmerx][integrity]") {
  Stream s;
  s.cp = params(false, true);
  const Bytes d(600, 0x42);
  s.data(2, 0, d, 0);
  s.bytes[s.bytes.size() - 1] ^= 0xFF;  // this PDU's DDGST is wrong
  s.data(2, 300, ByteView(d).sub(300), pduflag::LAST_PDU | pduflag::SUCCESS);  // repeats 300 bytes
  Host h(s.cp, 0);
  h.add(2, 600);
  h.send_all(s, 500, false, false);
  CHECK(h.done.at(2).status == CmdStatus::Overlap);
  CHECK(h.rx.stats().digest_errors == 1);
}
