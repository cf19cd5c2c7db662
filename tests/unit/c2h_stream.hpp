// Test helpers shared by the PDU tracker and CRC engine tests: a controller->host NVMe/TCP
// byte stream built with the proto encoders, the layout each PDU is expected to have (derived
// here from what was asked for, not from the encoded header), and ways to cut the stream into
// packets.
#pragma once
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "hw/offload/nvme_tcp/nvme_tcp_framer.hpp"
#include "proto/nvme_tcp.hpp"

namespace nic::test {

struct ExpectedPdu {
  nvme::PduType type;
  uint16_t cid = 0;
  uint32_t datao = 0;
  uint8_t flags = 0;  // LAST_PDU / SUCCESS asked for
  uint32_t start = 0;  // stream offset of the first byte
  uint32_t hdr_end = 0, data_off = 0, data_len = 0, plen = 0;
  Bytes data;

  hw::Region region_at(uint32_t o) const {  // o: offset within the PDU
    if (o < 24) return hw::Region::Header;
    if (o < hdr_end) return hw::Region::HeaderDigest;
    if (o < data_off) return hw::Region::Pad;
    if (o < data_off + data_len) return hw::Region::Data;
    return hw::Region::DataDigest;
  }
  uint32_t region_end(uint32_t o) const {
    for (uint32_t b : {24u, hdr_end, data_off, data_off + data_len, plen})
      if (o < b) return b;
    return plen;
  }
};

class C2hStream {
 public:
  explicit C2hStream(nvme::ConnParams cp) : cp_(cp) {}

  // C2HData with `n` pattern bytes seeded by `seed`.
  void data(uint16_t cid, uint32_t datao, uint32_t n, uint8_t flags = 0, uint8_t seed = 1) {
    Bytes d;
    for (uint32_t i = 0; i < n; ++i) d.push_back(uint8_t(seed + i * 7 + (i >> 8)));
    data(cid, datao, d, flags);
  }
  // C2HData carrying exactly `d`.
  void data(uint16_t cid, uint32_t datao, const Bytes& d, uint8_t flags) {
    const uint32_t n = uint32_t(d.size());
    ExpectedPdu e = begin(nvme::PduType::C2HData, cid, cp_.hdgst);
    e.datao = datao;
    e.flags = flags;
    e.data = d;
    const uint32_t align = (cp_.hpda + 1u) * 4;
    e.data_off = (e.hdr_end + align - 1) / align * align;
    e.data_len = n;
    e.plen = e.data_off + n + (cp_.ddgst ? 4 : 0);
    nvme::DataHdr h;
    h.cccid = cid;
    h.datao = datao;
    add(e, nvme::encode_data(nvme::PduType::C2HData, h, flags, e.data, cp_));
  }
  void resp(uint16_t cid) {
    nvme::Cqe c;
    c.cid = cid;
    c.sqid = 1;
    add(simple(nvme::PduType::CapsuleResp, cid, cp_.hdgst), nvme::encode_capsule_resp(c, cp_));
  }
  void r2t(uint16_t cid) {
    nvme::R2t r;
    r.cccid = cid;
    r.r2tl = 4096;
    add(simple(nvme::PduType::R2T, cid, cp_.hdgst), nvme::encode_r2t(r, cp_));
  }
  // C2HTermReq with `n` bytes of error data (never digests).
  void term(uint32_t n) {
    ExpectedPdu e = simple(nvme::PduType::C2HTermReq, 0, false);
    nvme::TermReq t;
    t.fes = 1;
    for (uint32_t i = 0; i < n; ++i) t.error_data.push_back(uint8_t(0xA0 + i));
    e.data = t.error_data;
    e.data_len = n;
    e.plen += n;
    add(e, nvme::encode_term_req(nvme::PduType::C2HTermReq, t));
  }

  const nvme::ConnParams& cp() const { return cp_; }
  const Bytes& bytes() const { return bytes_; }
  Bytes& bytes() { return bytes_; }
  const std::vector<ExpectedPdu>& pdus() const { return pdus_; }
  uint32_t size() const { return uint32_t(bytes_.size()); }
  // The PDU holding stream offset o.
  const ExpectedPdu& pdu_at(uint32_t o) const {
    return *std::prev(std::upper_bound(pdus_.begin(), pdus_.end(), o,
                                       [](uint32_t v, const ExpectedPdu& p) { return v < p.start; }));
  }

 private:
  ExpectedPdu begin(nvme::PduType t, uint16_t cid, bool hdgst) const {
    ExpectedPdu e;
    e.type = t;
    e.cid = cid;
    e.start = uint32_t(bytes_.size());
    e.hdr_end = 24 + (hdgst ? 4 : 0);
    return e;
  }
  ExpectedPdu simple(nvme::PduType t, uint16_t cid, bool hdgst) const {
    ExpectedPdu e = begin(t, cid, hdgst);
    e.data_off = e.plen = e.hdr_end;
    return e;
  }
  void add(const ExpectedPdu& e, const Bytes& b) {
    REQUIRE(b.size() == e.plen);  // the encoder agrees with the layout asked for
    bytes_.insert(bytes_.end(), b.begin(), b.end());
    pdus_.push_back(e);
  }

  nvme::ConnParams cp_;
  Bytes bytes_;
  std::vector<ExpectedPdu> pdus_;
};

// Packet boundaries as stream offsets: {0, c1, ..., size}.
inline std::vector<uint32_t> random_cuts(uint32_t size, std::mt19937& rng, uint32_t max_cuts) {
  std::vector<uint32_t> c{0, size};
  const uint32_t n = std::uniform_int_distribution<uint32_t>(0, max_cuts)(rng);
  for (uint32_t i = 0; i < n && size > 1; ++i)
    c.push_back(std::uniform_int_distribution<uint32_t>(1, size - 1)(rng));
  std::sort(c.begin(), c.end());
  c.erase(std::unique(c.begin(), c.end()), c.end());
  return c;
}

inline std::vector<uint32_t> cuts_every(uint32_t size, uint32_t step) {
  std::vector<uint32_t> c;
  for (uint32_t o = 0; o < size; o += step) c.push_back(o);
  c.push_back(size);
  return c;
}

}  // namespace nic::test
