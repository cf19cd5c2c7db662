// The offload engine with a protocol other than NVMe/TCP: a toy protocol shaped the way iSCSI
// differs (its prefix is the whole header, big-endian fields, data padded to 4 bytes AFTER the
// data, a data digest that covers the pad). Proves the framer and the digest engine take the
// layout from the protocol, not from NVMe/TCP habits.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <vector>

#include "hw/offload/crc_engine.hpp"
#include "hw/offload/pdu_framer_impl.hpp"
#include "proto/crc32c.hpp"

using namespace nic;
using hw::Region;

// Named (not anonymous) so the framer's explicit instantiation below has external linkage.
namespace toy {

// Header (16 bytes): opcode, flags (0x80: ends the I/O), 2 zero bytes, data length, tag and
// buffer offset, each 32-bit big-endian. Then header digest, data, pad to 4, data digest over
// data and pad (only when there is data).
struct ToyProtocol final {
  struct Conn {
    bool hdgst = false, ddgst = false;
  };
  static constexpr uint8_t kData = 0x25, kResp = 0x21;
  static constexpr uint32_t kPrefixLen = 16;
  static constexpr uint32_t kMaxHeaderLen = 16;
  static constexpr uint32_t kMaxSearchLen = 20;
  static constexpr uint8_t kUnknown = 1, kPduTooLarge = 2, kBadHeaderDigest = 3;

  static uint8_t begin(const uint8_t* h, const Conn& c, uint32_t max_pdu_len, hw::PduLayout& l) {
    l.opcode = h[0];
    l.flags = h[1];
    l.hlen = 16;
    l.hdgst_len = c.hdgst ? 4 : 0;
    l.data_off = l.hlen + l.hdgst_len;
    l.data_len = ld_be32(h + 4);
    l.ddgst_len = c.ddgst && l.data_len ? 4 : 0;
    l.ddgst_covers_pad = true;
    l.plen = l.data_off + ((l.data_len + 3) & ~3u) + l.ddgst_len;
    if (h[0] != kData && h[0] != kResp) return kUnknown;
    return l.plen > max_pdu_len ? kPduTooLarge : 0;
  }
  static bool header_digest(const Conn& c) { return c.hdgst; }
  static void fields(const uint8_t* h, const hw::PduLayout& l, hw::PduFields& f) {
    f = {};
    f.io_tag = ld_be32(h + 8);
    f.buf_off = ld_be32(h + 12);
    f.placeable = l.opcode == kData;
    f.ends_io = (l.flags & 0x80) != 0;
  }
  static uint8_t check(const uint8_t*, const hw::PduLayout&) { return 0; }
  static uint32_t search_len(const Conn& c) { return 16 + (c.hdgst ? 4 : 0); }
  static bool plausible(const uint8_t* h, const Conn& c, uint32_t max_pdu_len, uint32_t& plen) {
    hw::PduLayout l;
    if (h[2] || h[3] || begin(h, c, max_pdu_len, l)) return false;
    if (c.hdgst && crc32c::compute(h, 16) != ld_le32(h + 16)) return false;
    plen = l.plen;
    return true;
  }
};

}  // namespace toy

template class nic::hw::PduFramer<toy::ToyProtocol>;

namespace {

using toy::ToyProtocol;
using ToyFramer = hw::PduFramer<ToyProtocol>;

struct ToyPdu {
  uint32_t at = 0;  // stream offset
  uint8_t opcode = 0;
  uint32_t tag = 0, buf_off = 0;
  Bytes data;
};

// A stream of toy PDUs, with every digest computed here from the bytes, pad included.
struct ToyStream {
  ToyProtocol::Conn c;
  Bytes bytes;
  std::vector<ToyPdu> pdus;

  void add(uint8_t opcode, uint8_t flags, uint32_t tag, uint32_t buf_off, const Bytes& data) {
    pdus.push_back({uint32_t(bytes.size()), opcode, tag, buf_off, data});
    uint8_t h[16] = {opcode, flags, 0, 0};
    st_be32(h + 4, uint32_t(data.size()));
    st_be32(h + 8, tag);
    st_be32(h + 12, buf_off);
    bytes.insert(bytes.end(), h, h + 16);
    if (c.hdgst) put_crc(crc32c::compute(h, 16));
    Bytes padded = data;
    padded.resize((data.size() + 3) & ~size_t(3), 0);
    bytes.insert(bytes.end(), padded.begin(), padded.end());
    if (c.ddgst && !data.empty()) put_crc(crc32c::compute(padded.data(), padded.size()));
  }
  void put_crc(uint32_t v) {
    uint8_t d[4];
    st_le32(d, v);
    bytes.insert(bytes.end(), d, d + 4);
  }
};

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 7);
  return b;
}

ToyStream toy_stream() {
  ToyStream s;
  s.c.hdgst = s.c.ddgst = true;
  s.add(ToyProtocol::kData, 0, 0xA0000001u, 0, pattern(5, 1));  // 3 pad bytes
  s.add(ToyProtocol::kData, 0, 0xA0000001u, 5, pattern(4099, 2));
  s.add(ToyProtocol::kResp, 0x80, 0xA0000001u, 0, {});  // no data: no data digest
  s.add(ToyProtocol::kData, 0x80, 0xB0000002u, 0, pattern(8, 3));  // no pad, ends its I/O
  return s;
}

struct ToyRun {
  std::map<uint32_t, Bytes> buffers;  // by tag, from Data segments
  std::vector<hw::ReadEnd> ended;
  uint64_t digests_ok = 0, digests_bad = 0;
  size_t empty_segments = 0, pad_after_data = 0;
  bool all_crc_ok = true;
};

ToyRun run(const ToyStream& s, std::vector<uint32_t> cuts) {
  ToyRun r;
  hw::FramerConfig<ToyProtocol> cfg;
  cfg.cp = s.c;
  ToyFramer f;
  f.start(1000, cfg);
  hw::CrcEngine crc;
  crc.start(s.c.ddgst);
  hw::PacketPlan plan;
  for (size_t k = 0; k + 1 < cuts.size(); ++k) {
    const ByteView pkt = ByteView(s.bytes).sub(cuts[k], cuts[k + 1] - cuts[k]);
    f.plan(1000 + cuts[k], pkt, plan);
    REQUIRE(plan.in_seq);
    crc.begin_packet();
    for (const hw::Segment& g : plan.segs) {
      r.empty_segments += g.len == 0;
      crc.feed(g, ByteView(pkt.data + g.off, g.len));
      if (g.region == Region::Pad && g.pdu_off > g.data_off) {
        ++r.pad_after_data;
        CHECK(g.pdu_off >= g.data_off + g.data_len);
        CHECK(g.pdu_off + g.len <= g.data_off + g.data_len + g.crc_pad);
        CHECK(g.crc_pad == (4 - g.data_len % 4) % 4);
      }
      if (g.region != Region::Data) continue;
      REQUIRE(g.placeable);
      Bytes& b = r.buffers[g.io_tag];
      if (b.size() < g.buf_off + g.len) b.resize(g.buf_off + g.len);
      std::copy(pkt.data + g.off, pkt.data + g.off + g.len, b.begin() + g.buf_off);
    }
    for (const hw::PduInfo& h : plan.headers) CHECK(h.err == 0);
    r.ended.insert(r.ended.end(), plan.ended.begin(), plan.ended.end());
    r.all_crc_ok = r.all_crc_ok && crc.result().crc_ok;
  }
  r.digests_ok = crc.pdus_verified_ok();
  r.digests_bad = crc.pdus_digest_error();
  return r;
}

std::vector<uint32_t> random_cuts(size_t size, std::mt19937& rng) {
  std::vector<uint32_t> cuts{0};
  while (cuts.back() < size)
    cuts.push_back(uint32_t(std::min<size_t>(size, cuts.back() + 1 + rng() % 1500)));
  return cuts;
}

}  // namespace

TEST_CASE("framer: a protocol with pad after data and a digest over it", "[framer][crc]") {
  const ToyStream s = toy_stream();
  std::mt19937 rng(11);
  for (int round = 0; round < 50; ++round) {
    // Every cut is somewhere: one byte at a time in the first round.
    std::vector<uint32_t> cuts;
    if (round == 0)
      for (uint32_t i = 0; i <= s.bytes.size(); ++i) cuts.push_back(i);
    else
      cuts = random_cuts(s.bytes.size(), rng);
    INFO("round " << round);
    const ToyRun r = run(s, cuts);
    CHECK(r.empty_segments == 0);  // the prefix being the whole header adds no empty step
    Bytes first = s.pdus[0].data;
    first.insert(first.end(), s.pdus[1].data.begin(), s.pdus[1].data.end());
    CHECK(r.buffers.at(0xA0000001u) == first);
    CHECK(r.buffers.at(0xB0000002u) == s.pdus[3].data);
    CHECK(r.digests_ok == 3);  // every data PDU, pad included
    CHECK(r.digests_bad == 0);
    CHECK(r.all_crc_ok);
    CHECK(r.pad_after_data >= 2);
    REQUIRE(r.ended.size() == 2);
    CHECK(r.ended[0].io_tag == 0xA0000001u);
    CHECK(r.ended[0].end_seq == 1000 + s.pdus[3].at);
    CHECK(r.ended[1].io_tag == 0xB0000002u);
    CHECK(r.ended[1].end_seq == 1000 + s.bytes.size());
  }
}

TEST_CASE("framer: a changed pad byte fails the data digest that covers it", "[framer][crc]") {
  ToyStream s = toy_stream();
  // The first PDU's pad: header 16 + digest 4 + data 5, then 3 pad bytes.
  s.bytes[16 + 4 + 5 + 1] ^= 0x01;
  const ToyRun r = run(s, {0, 23, 26, uint32_t(s.bytes.size())});
  CHECK(r.digests_bad == 1);
  CHECK(r.digests_ok == 2);
  CHECK_FALSE(r.all_crc_ok);
}
