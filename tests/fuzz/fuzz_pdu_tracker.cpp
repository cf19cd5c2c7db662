// Fuzz target: the receive parser's PDU tracker (hw/offload/pdu_tracker.hpp) and the data
// digest engine behind it (hw/offload/crc_engine.hpp), fed arbitrary segments at arbitrary
// sequence numbers, with occasional driver resync confirmations.
//
// Input: [cfg u8][search u8][start seq u32] then records until the end:
//   [op u8] op&3 == 0: a segment at the expected sequence
//           op&3 == 1: a segment at expected + (int16)[u16]
//           op&3 == 2: a segment at absolute sequence [u32]
//           op&3 == 3: confirm(last resync sequence asked) if op&4, else confirm([u32]);
//                      no payload follows
//   [len u16][len bytes] (fewer at the end of the input)
// cfg: bit0 HDGST, bit1 DDGST, bits2-3 HPDA, bit4 search off, bit5 header recovery off,
//      bit6 HDGST check off, bit7 max PDU length 4 KiB. search: bits0-2 max candidates,
//      bits3-7 search delay in units of 64 bytes.
//
// Invariants (abort on violation):
//   - in_seq: segments tile the payload exactly, in order; otherwise no segments, no headers;
//   - a resync request never rides on an in-sequence packet; states are enum values;
//   - a Data segment lies inside its PDU's data [data_off, data_off + data_len), and its
//     buf_off moves with its pdu_off;
//   - a C2HData Data segment whose header the tracker reported (or that was recovered from
//     a header this harness saw) has buf_off + len <= DATAO + DATAL and the header's CID: the
//     placement the NIC does from it never leaves the range the PDU declares;
//   - no pad, data or digest segment of a PDU whose header was reported with an error; such an error disables
//     the flow.
#include <cstdint>
#include <cstring>
#include <unordered_map>

#include "fuzz_check.hpp"
#include "hw/offload/crc_engine.hpp"
#include "hw/offload/nvme_tcp/nvme_tcp_framer.hpp"

using namespace nic;
using hw::Region;
using hw::TrackerState;

namespace {

struct Declared {
  bool bad = false;          // the header was reported with an error
  bool c2hdata = false;
  uint16_t cid = 0;
  uint64_t datao = 0, datal = 0;
};

void check_segment(const hw::Segment& s, const std::unordered_map<uint32_t, Declared>& decl) {
  FUZZ_CHECK(uint8_t(s.region) <= uint8_t(Region::Unframed));
  auto it = decl.find(s.pdu_seq);
  // Header and HDGST bytes of a bad header are still its own; nothing after them is framed.
  if ((s.region == Region::Pad || s.region == Region::Data || s.region == Region::DataDigest) &&
      it != decl.end())
    FUZZ_CHECK(!it->second.bad);
  if (s.region != Region::Data) return;
  FUZZ_CHECK(s.len > 0);
  FUZZ_CHECK(s.pdu_off >= s.data_off);
  FUZZ_CHECK(uint64_t(s.pdu_off) + s.len <= uint64_t(s.data_off) + s.data_len);
  if (!s.placeable || it == decl.end()) return;
  FUZZ_CHECK(s.opcode == uint8_t(nvme::PduType::C2HData));
  const Declared& d = it->second;
  FUZZ_CHECK(d.c2hdata);
  FUZZ_CHECK(s.io_tag == d.cid);
  FUZZ_CHECK(s.buf_off >= d.datao);
  FUZZ_CHECK(uint64_t(s.buf_off) + s.len <= d.datao + d.datal);
  FUZZ_CHECK(uint64_t(s.buf_off) - d.datao == uint64_t(s.pdu_off) - s.data_off);
}

// A C2H header (24 bytes) at `at` inside a packet at `seq`, if the packet holds all of it.
bool header_in(uint32_t seq, ByteView p, uint32_t at, Declared& d) {
  const uint32_t rel = at - seq;
  if (rel >= p.size || p.size - rel < 24) return false;
  const uint8_t* h = p.data + rel;
  d = {};
  d.c2hdata = h[0] == uint8_t(nvme::PduType::C2HData);
  if (d.c2hdata) {
    d.cid = ld_le16(h + 8);
    d.datao = ld_le32(h + 12);
    d.datal = ld_le32(h + 16);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  const uint8_t c = in.u8(), s = in.u8();
  hw::TrackerConfig cfg;
  cfg.cp.hdgst = c & 1;
  cfg.cp.ddgst = c & 2;
  cfg.cp.hpda = (c >> 2) & 3;
  cfg.search = !(c & 0x10);
  cfg.recover_headers = !(c & 0x20);
  cfg.header_digest_check = !(c & 0x40);
  if (c & 0x80) cfg.max_pdu_len = 4096;
  cfg.max_candidates = s & 7;
  cfg.search_delay_bytes = uint32_t(s >> 3) * 64;

  hw::PduTracker t;
  hw::CrcEngine crc;
  t.start(in.u32(), cfg);
  crc.start(cfg.cp.ddgst, 4);
  hw::PacketPlan plan;
  std::unordered_map<uint32_t, Declared> decl;  // by PDU sequence
  uint32_t last_resync = 0;

  while (!in.done()) {
    const uint8_t op = in.u8();
    uint32_t seq = t.expected_seq();
    switch (op & 3) {
      case 0: break;
      case 1: seq += uint32_t(int32_t(int16_t(in.u16()))); break;
      case 2: seq = in.u32(); break;
      case 3: {
        const uint32_t at = (op & 4) ? last_resync : in.u32();
        const TrackerState before = t.state();
        const bool ok = t.confirm(at);
        if (ok)
          FUZZ_CHECK(before == TrackerState::Searching || before == TrackerState::ResyncPending);
        FUZZ_CHECK(uint8_t(t.state()) <= uint8_t(TrackerState::Disabled));
        continue;
      }
    }
    size_t len = 0;
    const uint8_t* p = in.take(in.u16(), len);
    const ByteView payload(p, len);
    const TrackerState before = t.state();
    t.plan(seq, payload, plan);
    FUZZ_CHECK(uint8_t(t.state()) <= uint8_t(TrackerState::Disabled));
    if (before == TrackerState::Disabled) FUZZ_CHECK(t.state() == TrackerState::Disabled);

    // Headers first: they precede their PDU's data in the packet.
    bool any_error = false;
    for (const hw::PduInfo& h : plan.headers) {
      Declared d;
      d.bad = h.err != 0;
      any_error |= d.bad;
      d.c2hdata = h.opcode == uint8_t(nvme::PduType::C2HData);
      d.cid = uint16_t(h.io_tag);
      d.datao = h.buf_off;
      d.datal = h.data_len;
      decl[h.seq] = d;
    }
    if (any_error) FUZZ_CHECK(t.state() == TrackerState::Disabled);
    // A completion is never reported ahead of the bytes the tracker has passed: it would close
    // a registration early.
    for (const hw::ReadEnd& e : plan.ended) FUZZ_CHECK(int32_t(e.end_seq - t.expected_seq()) <= 0);
    if (plan.recovered) {
      Declared d;
      if (header_in(seq, payload, plan.recovered_seq, d)) decl[plan.recovered_seq] = d;
      else decl.erase(plan.recovered_seq);  // not checkable from here: forget any older one
    }
    if (plan.resync_request) {
      FUZZ_CHECK(!plan.in_seq);
      last_resync = plan.resync_seq;
    }

    if (!plan.in_seq) {
      FUZZ_CHECK(plan.segs.empty());
      FUZZ_CHECK(plan.headers.empty());
    } else {
      uint64_t at = 0;
      for (const hw::Segment& sg : plan.segs) {
        FUZZ_CHECK(sg.off == at);
        FUZZ_CHECK(sg.len > 0);
        at += sg.len;
        FUZZ_CHECK(at <= len);
        check_segment(sg, decl);
      }
      FUZZ_CHECK(at == len);
    }

    // The digest engine sees what the CRC pipeline would give it.
    if (plan.in_seq || plan.stale) {
      crc.begin_packet();
      if (plan.recovered)
        crc.track(plan.recovered_seq, plan.recovered_data_off, plan.recovered_crc_len);
      if (plan.in_seq) {
        for (const hw::Segment& sg : plan.segs) {
          // Half the time in two beats, as a narrow datapath would.
          if ((op & 0x80) && sg.len > 1) {
            const uint32_t h = sg.len / 2;
            crc.feed(sg.slice(0, h), ByteView(p + sg.off, h));
            crc.feed(sg.slice(h, sg.len - h), ByteView(p + sg.off + h, sg.len - h));
          } else {
            crc.feed(sg, ByteView(p + sg.off, sg.len));
          }
        }
      } else {
        crc.feed_stale(seq, payload, plan.header_seq, plan.header_len);
      }
      const hw::CrcPacketResult& r = crc.result();
      if (!cfg.cp.ddgst) FUZZ_CHECK(r.pdus_completed_ok == 0);
    }
    if (decl.size() > 4096) decl.clear();  // bounded memory on long inputs
  }
  return 0;
}
