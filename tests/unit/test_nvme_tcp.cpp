#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "hw/offload/nvme_tcp/nvme_tcp_protocol.hpp"
#include "proto/nvme_tcp.hpp"
#include "tests/unit/crc_oracle.hpp"

using namespace nic;
using namespace nic::nvme;
using namespace nic::nvme::pduflag;

namespace {

using oracle::crc_bitwise;

void put_le32(Bytes& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = uint8_t(v >> (8 * i));
}

void append_le32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(uint8_t(v >> (8 * i)));
}

ConnParams params(bool hd, bool dd, uint8_t hpda = 0, uint8_t cpda = 0) {
  ConnParams cp;
  cp.hdgst = hd;
  cp.ddgst = dd;
  cp.hpda = hpda;
  cp.cpda = cpda;
  return cp;
}

CommonHeader hdr(uint8_t type, uint8_t flags, uint8_t hlen, uint8_t pdo, uint32_t plen) {
  const uint8_t raw[8] = {type, flags, hlen, pdo, uint8_t(plen), uint8_t(plen >> 8),
                          uint8_t(plen >> 16), uint8_t(plen >> 24)};
  return CommonHeader::decode(raw);
}

// Every decoded field as text: equal strings mean equal PDUs, and failures print readably.
void body_text(std::ostream& s, const IcReq& m) {
  s << "icreq pfv=" << m.pfv << " hpda=" << int(m.hpda) << " dgst=" << int(m.dgst)
    << " maxr2t=" << m.maxr2t;
}
void body_text(std::ostream& s, const IcResp& m) {
  s << "icresp pfv=" << m.pfv << " cpda=" << int(m.cpda) << " dgst=" << int(m.dgst)
    << " maxh2c=" << m.maxh2cdata;
}
void body_text(std::ostream& s, const TermReq& m) {
  s << "term fes=" << m.fes << " fei=" << m.fei << " errlen=" << m.error_data.size();
}
void body_text(std::ostream& s, const Sqe& m) {
  s << "sqe";
  for (uint8_t b : m.b) s << ' ' << int(b);
}
void body_text(std::ostream& s, const Cqe& m) {
  s << "cqe res=" << m.result << " sqhd=" << m.sqhd << " sqid=" << m.sqid << " cid=" << m.cid
    << " st=" << m.status;
}
void body_text(std::ostream& s, const DataHdr& m) {
  s << "data cccid=" << m.cccid << " ttag=" << m.ttag << " datao=" << m.datao
    << " datal=" << m.datal;
}
void body_text(std::ostream& s, const R2t& m) {
  s << "r2t cccid=" << m.cccid << " ttag=" << m.ttag << " r2to=" << m.r2to << " r2tl=" << m.r2tl;
}

std::string describe(const Pdu& p) {
  std::ostringstream s;
  s << type_name(p.ch.type) << " flags=" << int(p.ch.flags) << " hlen=" << int(p.ch.hlen)
    << " pdo=" << int(p.ch.pdo) << " plen=" << p.ch.plen << " hd=" << p.hdgst
    << " dd=" << p.ddgst << " | ";
  std::visit([&](const auto& b) { body_text(s, b); }, p.body);
  s << " | data";
  for (uint8_t b : p.data) s << ' ' << int(b);
  return s.str();
}

Bytes random_bytes(std::mt19937_64& rng, size_t n) {
  Bytes v(n);
  for (auto& b : v) b = uint8_t(rng());
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Type table

TEST_CASE("nvme: type table", "[nvme]") {
  const struct {
    uint8_t type;
    uint8_t hlen;
    uint8_t flags;
    bool ctrl;
  } rows[] = {
      {0x00, 128, 0, false},
      {0x01, 128, 0, true},
      {0x02, 24, 0, false},
      {0x03, 24, 0, true},
      {0x04, 72, HDGSTF | DDGSTF, false},
      {0x05, 24, HDGSTF, true},
      {0x06, 24, HDGSTF | DDGSTF | LAST_PDU, false},
      {0x07, 24, HDGSTF | DDGSTF | LAST_PDU | SUCCESS, true},
      {0x09, 24, HDGSTF, true},
  };
  for (const auto& r : rows) {
    INFO("type " << int(r.type));
    CHECK(is_known_type(r.type));
    CHECK(header_len(PduType(r.type)) == r.hlen);
    CHECK(allowed_flags(PduType(r.type)) == r.flags);
    CHECK(sent_by_controller(PduType(r.type)) == r.ctrl);
  }
  for (int t : {0x08, 0x0A, 0x7F, 0xFF}) CHECK_FALSE(is_known_type(uint8_t(t)));
  CHECK(std::string(type_name(PduType::C2HData)) == "C2HData");
  CHECK(std::string(type_name(PduType::R2T)) == "R2T");
  CHECK(std::string(type_name(PduType(0x08))) == "Unknown");

  const ConnParams cp = params(false, false, 1, 3);
  CHECK(cp.pdo_align(PduType::C2HData) == 8);   // HPDA for controller->host
  CHECK(cp.pdo_align(PduType::H2CData) == 16);  // CPDA for host->controller
  CHECK(cp.pdo_align(PduType::CapsuleCmd) == 16);
}

TEST_CASE("nvme: error names are distinct", "[nvme]") {
  std::vector<std::string> names;
  for (int e = int(PduError::None); e <= int(PduError::BadDataDigest); ++e)
    names.push_back(to_string(PduError(e)));
  std::sort(names.begin(), names.end());
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
  CHECK(std::string(to_string(PduError::PdoMisaligned)) == "PdoMisaligned");
}

// ---------------------------------------------------------------------------------------------
// Golden encodings written byte by byte from the wire layout

TEST_CASE("nvme: C2HData golden, no digests", "[nvme]") {
  const Bytes golden = {
      0x07, 0x0C, 0x18, 0x18, 0x20, 0x00, 0x00, 0x00,  // type, LAST|SUCCESS, HLEN 24, PDO 24, PLEN 32
      0x34, 0x12, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,  // CCCID 0x1234, rsvd, DATAO 0x1000
      0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // DATAL 8, rsvd
      0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04,  // data
  };
  const Bytes payload(golden.begin() + 24, golden.end());
  DataHdr h;
  h.cccid = 0x1234;
  h.datao = 0x1000;
  CHECK(encode_data(PduType::C2HData, h, LAST_PDU | SUCCESS, payload, ConnParams{}) == golden);

  Pdu p;
  REQUIRE(decode_pdu(golden, ConnParams{}, p) == PduError::None);
  CHECK(p.ch.type == PduType::C2HData);
  CHECK(p.ch.flags == (LAST_PDU | SUCCESS));
  CHECK(p.ch.plen == 32);
  const auto& d = std::get<DataHdr>(p.body);
  CHECK(d.cccid == 0x1234);
  CHECK(d.datao == 0x1000);
  CHECK(d.datal == 8);
  CHECK(p.data == payload);

  const PduLayout l = layout_of(p.ch);
  CHECK(l.hdgst_len == 0);
  CHECK(l.data_offset == 24);
  CHECK(l.pad_len == 0);
  CHECK(l.data_len == 8);
  CHECK(l.ddgst_len == 0);
}

TEST_CASE("nvme: C2HData golden, both digests, HPDA 0", "[nvme]") {
  Bytes golden = {
      0x07, 0x07, 0x18, 0x1C, 0x24, 0x00, 0x00, 0x00,  // HDGSTF|DDGSTF|LAST, PDO 28, PLEN 36
      0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // CCCID 5, DATAO 0
      0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // DATAL 4
  };
  append_le32(golden, crc_bitwise(golden.data(), 24));
  const Bytes payload = {'a', 'b', 'c', 'd'};
  golden.insert(golden.end(), payload.begin(), payload.end());
  append_le32(golden, crc_bitwise(payload.data(), payload.size()));
  REQUIRE(golden.size() == 36);

  const ConnParams cp = params(true, true);
  DataHdr h;
  h.cccid = 5;
  CHECK(encode_data(PduType::C2HData, h, LAST_PDU, payload, cp) == golden);

  Pdu p;
  REQUIRE(decode_pdu(golden, cp, p) == PduError::None);
  CHECK(p.hdgst == crc_bitwise(golden.data(), 24));
  CHECK(p.ddgst == crc_bitwise(payload.data(), 4));
  CHECK(p.data == payload);
}

TEST_CASE("nvme: C2HData golden, HDGST with HPDA 1 pads to PDO 32", "[nvme]") {
  Bytes golden = {
      0x07, 0x05, 0x18, 0x20, 0x23, 0x00, 0x00, 0x00,  // HDGSTF|LAST, PDO 32, PLEN 35
      0x09, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,  // CCCID 9, DATAO 0x200
      0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // DATAL 3
  };
  append_le32(golden, crc_bitwise(golden.data(), 24));
  golden.insert(golden.end(), {0x00, 0x00, 0x00, 0x00});  // pad to PDO 32
  golden.insert(golden.end(), {0x11, 0x22, 0x33});

  const ConnParams cp = params(true, false, 1, 0);
  DataHdr h;
  h.cccid = 9;
  h.datao = 0x200;
  CHECK(encode_data(PduType::C2HData, h, LAST_PDU, Bytes{0x11, 0x22, 0x33}, cp) == golden);

  Pdu p;
  REQUIRE(decode_pdu(golden, cp, p) == PduError::None);
  CHECK(p.data == Bytes{0x11, 0x22, 0x33});
  const PduLayout l = layout_of(p.ch);
  CHECK(l.hdgst_len == 4);
  CHECK(l.data_offset == 32);
  CHECK(l.pad_len == 4);
  CHECK(l.data_len == 3);
  // 32 is also a multiple of 4, so HPDA 0 accepts the extra padding.
  CHECK(decode_pdu(golden, params(true, false), p) == PduError::None);
  // HPDA 2 needs a multiple of 12, HPDA 3 one of 16.
  CHECK(decode_pdu(golden, params(true, false, 2, 0), p) == PduError::PdoMisaligned);
  CHECK(decode_pdu(golden, params(true, false, 3, 0), p) == PduError::None);
}

TEST_CASE("nvme: H2CData golden uses CPDA, carries TTAG", "[nvme]") {
  const Bytes golden = {
      0x06, 0x04, 0x18, 0x20, 0x22, 0x00, 0x00, 0x00,  // LAST, PDO 32 (CPDA 3: 16-byte), PLEN 34
      0x02, 0x00, 0xCD, 0xAB, 0x00, 0x00, 0x01, 0x00,  // CCCID 2, TTAG 0xABCD, DATAO 0x10000
      0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // DATAL 2
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // pad
      0x5A, 0xA5,
  };
  const ConnParams cp = params(false, false, 0, 3);
  DataHdr h;
  h.cccid = 2;
  h.ttag = 0xABCD;
  h.datao = 0x10000;
  CHECK(encode_data(PduType::H2CData, h, LAST_PDU, Bytes{0x5A, 0xA5}, cp) == golden);
  Pdu p;
  REQUIRE(decode_pdu(golden, cp, p) == PduError::None);
  CHECK(std::get<DataHdr>(p.body).ttag == 0xABCD);
  CHECK(std::get<DataHdr>(p.body).datao == 0x10000);
  CHECK(p.data == Bytes{0x5A, 0xA5});
}

TEST_CASE("nvme: CapsuleCmd Read golden", "[nvme]") {
  Bytes golden = {
      0x04, 0x00, 0x48, 0x00, 0x48, 0x00, 0x00, 0x00,  // HLEN 72, PDO 0, PLEN 72
      // SQE: opcode Read, PSDT=SGL, CID 0x0A0B, NSID 1
      0x02, 0x40, 0x0B, 0x0A, 0x01, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // cdw2-3
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // metadata pointer
      // SGL: address 0, length 4096, type 0x5A (transport data block)
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5A,
      0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,  // SLBA 0x100000002
      0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // NLB-1 = 7
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  REQUIRE(golden.size() == 72);
  ReadCmd rc;
  rc.cid = 0x0A0B;
  rc.nsid = 1;
  rc.slba = 0x100000002ull;
  rc.nlb = 8;
  rc.length = 4096;
  const Sqe sqe = rc.to_sqe();
  CHECK(encode_capsule_cmd(sqe, ConnParams{}) == golden);

  Pdu p;
  REQUIRE(decode_pdu(golden, ConnParams{}, p) == PduError::None);
  const Sqe& s = std::get<Sqe>(p.body);
  CHECK(s.opcode() == 0x02);
  CHECK(s.cid() == 0x0A0B);
  CHECK(s.nsid() == 1);
  CHECK(s.sgl_type() == 0x5A);
  CHECK(s.sgl_length() == 4096);
  CHECK(s.slba() == 0x100000002ull);
  CHECK(s.nlb() == 8);
  CHECK(p.data.empty());

  ReadCmd back;
  REQUIRE(ReadCmd::from_sqe(s, back));
  CHECK(back.cid == rc.cid);
  CHECK(back.nsid == rc.nsid);
  CHECK(back.slba == rc.slba);
  CHECK(back.nlb == rc.nlb);
  CHECK(back.length == rc.length);

  // Header digest: flag set, PLEN 76, digest over the 72 header bytes.
  Bytes with_hd = golden;
  with_hd[1] = 0x01;
  with_hd[4] = 0x4C;
  append_le32(with_hd, crc_bitwise(with_hd.data(), 72));
  CHECK(encode_capsule_cmd(sqe, params(true, true)) == with_hd);  // no data: no DDGSTF
  REQUIRE(decode_pdu(with_hd, params(true, true), p) == PduError::None);
}

TEST_CASE("nvme: ReadCmd::from_sqe rejects other commands", "[nvme]") {
  ReadCmd rc;
  rc.length = 512;
  Sqe s = rc.to_sqe();
  ReadCmd out;
  CHECK(ReadCmd::from_sqe(s, out));
  s.b[0] = 0x01;  // Write
  CHECK_FALSE(ReadCmd::from_sqe(s, out));
  s = rc.to_sqe();
  s.b[39] = 0x01;  // data block with offset: in-capsule, not a TCP read
  CHECK_FALSE(ReadCmd::from_sqe(s, out));
}

TEST_CASE("nvme: CapsuleCmd with in-capsule data, both digests", "[nvme]") {
  Sqe sqe;
  sqe.b[0] = 0x01;   // Write
  sqe.b[39] = 0x01;  // SGL data block, offset (in-capsule)
  const Bytes payload = {1, 2, 3, 4, 5};
  const ConnParams cp = params(true, true);
  Bytes golden(72, 0);
  const uint8_t ch[8] = {0x04, 0x03, 0x48, 0x4C, 0x55, 0x00, 0x00, 0x00};  // PDO 76, PLEN 85
  std::copy(std::begin(ch), std::end(ch), golden.begin());
  std::copy(sqe.b.begin(), sqe.b.end(), golden.begin() + 8);
  append_le32(golden, crc_bitwise(golden.data(), 72));
  golden.insert(golden.end(), payload.begin(), payload.end());
  append_le32(golden, crc_bitwise(payload.data(), payload.size()));
  CHECK(encode_capsule_cmd(sqe, cp, payload) == golden);

  Pdu p;
  REQUIRE(decode_pdu(golden, cp, p) == PduError::None);
  CHECK(p.data == payload);
  // CPDA 1 moves the data to PDO 80.
  const Bytes aligned = encode_capsule_cmd(sqe, params(true, true, 0, 1), payload);
  CHECK(aligned[3] == 80);
  CHECK(aligned.size() == 80 + 5 + 4);
}

TEST_CASE("nvme: CapsuleResp golden", "[nvme]") {
  const Bytes golden = {
      0x05, 0x00, 0x18, 0x00, 0x18, 0x00, 0x00, 0x00,
      0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,  // result
      0x11, 0x00, 0x01, 0x00, 0x0B, 0x0A, 0x01, 0x00,  // SQHD 0x11, SQID 1, CID 0x0A0B, status 1
  };
  Cqe c;
  c.result = 0x1122334455667788ull;
  c.sqhd = 0x11;
  c.sqid = 1;
  c.cid = 0x0A0B;
  c.status = 1;
  CHECK(encode_capsule_resp(c, ConnParams{}) == golden);
  Pdu p;
  REQUIRE(decode_pdu(golden, ConnParams{}, p) == PduError::None);
  const Cqe& d = std::get<Cqe>(p.body);
  CHECK(d.result == c.result);
  CHECK(d.sqhd == 0x11);
  CHECK(d.sqid == 1);
  CHECK(d.cid == 0x0A0B);
  CHECK(d.status == 1);

  Bytes with_hd = golden;
  with_hd[1] = HDGSTF;
  with_hd[4] = 28;
  append_le32(with_hd, crc_bitwise(with_hd.data(), 24));
  CHECK(encode_capsule_resp(c, params(true, true)) == with_hd);  // never DDGSTF
}

TEST_CASE("nvme: R2T golden", "[nvme]") {
  const Bytes golden = {
      0x09, 0x00, 0x18, 0x00, 0x18, 0x00, 0x00, 0x00,
      0x03, 0x00, 0x77, 0x00, 0x00, 0x20, 0x00, 0x00,  // CCCID 3, TTAG 0x77, R2TO 0x2000
      0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // R2TL 0x8000
  };
  R2t r;
  r.cccid = 3;
  r.ttag = 0x77;
  r.r2to = 0x2000;
  r.r2tl = 0x8000;
  CHECK(encode_r2t(r, ConnParams{}) == golden);
  Pdu p;
  REQUIRE(decode_pdu(golden, ConnParams{}, p) == PduError::None);
  const R2t& d = std::get<R2t>(p.body);
  CHECK(d.cccid == 3);
  CHECK(d.ttag == 0x77);
  CHECK(d.r2to == 0x2000);
  CHECK(d.r2tl == 0x8000);
}

TEST_CASE("nvme: ICReq and ICResp golden", "[nvme]") {
  Bytes icreq(128, 0);
  const uint8_t req_head[] = {0x00, 0x00, 0x80, 0x00, 0x80, 0x00, 0x00, 0x00,
                              0x00, 0x00, 0x01, 0x03, 0x10, 0x00, 0x00, 0x00};  // HPDA 1, DGST 3
  std::copy(std::begin(req_head), std::end(req_head), icreq.begin());
  IcReq rq;
  rq.hpda = 1;
  rq.dgst = 3;
  rq.maxr2t = 0x10;
  CHECK(encode_ic_req(rq) == icreq);

  Bytes icresp(128, 0);
  const uint8_t resp_head[] = {0x01, 0x00, 0x80, 0x00, 0x80, 0x00, 0x00, 0x00,
                               0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x02, 0x00};  // MAXH2C 128K
  std::copy(std::begin(resp_head), std::end(resp_head), icresp.begin());
  IcResp rs;
  rs.cpda = 2;
  rs.dgst = 1;
  rs.maxh2cdata = 0x20000;
  CHECK(encode_ic_resp(rs) == icresp);

  // IC PDUs never carry digests, whatever the connection negotiated.
  const ConnParams cp = params(true, true, 5, 5);
  Pdu p;
  REQUIRE(decode_pdu(icreq, cp, p) == PduError::None);
  const IcReq& dq = std::get<IcReq>(p.body);
  CHECK(dq.pfv == 0);
  CHECK(dq.hpda == 1);
  CHECK(dq.dgst == 3);
  CHECK(dq.maxr2t == 0x10);
  REQUIRE(decode_pdu(icresp, cp, p) == PduError::None);
  const IcResp& ds = std::get<IcResp>(p.body);
  CHECK(ds.cpda == 2);
  CHECK(ds.dgst == 1);
  CHECK(ds.maxh2cdata == 0x20000);
}

TEST_CASE("nvme: a segment opens a stream only when it starts with a whole valid IC PDU", "[nvme]") {
  // The golden ICReq head by hand (HPDA 1, DGST 3), then what follows it in a segment.
  Bytes seg(128, 0);
  const uint8_t head[] = {0x00, 0x00, 0x80, 0x00, 0x80, 0x00, 0x00, 0x00,
                          0x00, 0x00, 0x01, 0x03, 0x10, 0x00, 0x00, 0x00};
  std::copy(std::begin(head), std::end(head), seg.begin());
  seg.insert(seg.end(), 72, 0x04);  // a capsule behind it in the same segment
  CHECK(starts_with_ic_pdu(seg, PduType::ICReq));
  CHECK_FALSE(starts_with_ic_pdu(seg, PduType::ICResp));
  CHECK_FALSE(starts_with_ic_pdu(ByteView(seg).sub(0, 127), PduType::ICReq));  // not whole
  Bytes bad = seg;
  bad[4] = 0x81;  // PLEN 129: no IC PDU
  CHECK_FALSE(starts_with_ic_pdu(bad, PduType::ICReq));
  bad = seg;
  bad[1] = pduflag::HDGSTF;  // IC PDUs carry no flags
  CHECK_FALSE(starts_with_ic_pdu(bad, PduType::ICReq));
  CHECK_FALSE(starts_with_ic_pdu(ByteView(seg).sub(1), PduType::ICReq));  // mid-stream bytes

}

TEST_CASE("nvme: TermReq golden, error data right after the header", "[nvme]") {
  const Bytes golden = {
      0x03, 0x00, 0x18, 0x00, 0x20, 0x00, 0x00, 0x00,  // C2HTermReq, PDO 0, PLEN 32
      0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,  // FES 2, FEI 3
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x07, 0x00, 0x1C, 0x18, 0x40, 0x00, 0x00, 0x00,  // the offending header
  };
  TermReq t;
  t.fes = 2;
  t.fei = 3;
  t.error_data.assign(golden.begin() + 24, golden.end());
  CHECK(encode_term_req(PduType::C2HTermReq, t) == golden);
  // Digests are never added, even when negotiated.
  Pdu p;
  REQUIRE(decode_pdu(golden, params(true, true), p) == PduError::None);
  const TermReq& d = std::get<TermReq>(p.body);
  CHECK(d.fes == 2);
  CHECK(d.fei == 3);
  CHECK(d.error_data == t.error_data);
  CHECK(p.data == t.error_data);

  t.error_data.assign(128, 0xEE);  // PLEN 152: the limit
  const Bytes max = encode_term_req(PduType::H2CTermReq, t);
  CHECK(max.size() == kMaxTermReqPlen);
  CHECK(decode_pdu(max, ConnParams{}, p) == PduError::None);
  t.error_data.push_back(0);
  CHECK_THROWS_AS(encode_term_req(PduType::H2CTermReq, t), std::invalid_argument);
  CHECK_THROWS_AS(encode_term_req(PduType::R2T, TermReq{}), std::invalid_argument);
}

TEST_CASE("nvme: encode_data refuses flags it cannot legally send", "[nvme]") {
  const Bytes d = {1};
  CHECK_THROWS_AS(encode_data(PduType::H2CData, DataHdr{}, LAST_PDU | SUCCESS, d, ConnParams{}),
                  std::invalid_argument);
  CHECK_THROWS_AS(encode_data(PduType::C2HData, DataHdr{}, SUCCESS, d, ConnParams{}),
                  std::invalid_argument);
  CHECK_THROWS_AS(encode_data(PduType::C2HData, DataHdr{}, HDGSTF, d, ConnParams{}),
                  std::invalid_argument);
  CHECK_THROWS_AS(encode_data(PduType::R2T, DataHdr{}, 0, d, ConnParams{}),
                  std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST_CASE("nvme: random round trips under every digest/PDA combination", "[nvme]") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 400; ++i) {
    const ConnParams cp = params(rng() & 1, rng() & 1, uint8_t(rng() % 32), uint8_t(rng() % 32));
    DataHdr h;
    h.cccid = uint16_t(rng());
    h.ttag = uint16_t(rng());
    h.datao = uint32_t(rng());
    const Bytes payload = random_bytes(rng, 1 + rng() % 300);
    const PduType t = (rng() & 1) ? PduType::C2HData : PduType::H2CData;
    const uint8_t flags = (rng() & 1) ? LAST_PDU : 0;
    const Bytes wire = encode_data(t, h, flags, payload, cp);
    INFO("iter " << i << " hd " << cp.hdgst << " dd " << cp.ddgst << " hpda " << int(cp.hpda)
                 << " cpda " << int(cp.cpda));

    Pdu p;
    REQUIRE(decode_pdu(wire, cp, p) == PduError::None);
    const uint32_t align = cp.pdo_align(t);
    const uint32_t hdr_end = 24 + (cp.hdgst ? 4 : 0);
    CHECK(p.ch.pdo == (hdr_end + align - 1) / align * align);
    CHECK(p.ch.pdo % align == 0);
    CHECK(p.ch.plen == p.ch.pdo + payload.size() + (cp.ddgst ? 4 : 0));
    CHECK(p.ch.hdgst() == cp.hdgst);
    CHECK(p.ch.ddgst() == cp.ddgst);
    CHECK(bool(p.ch.flags & LAST_PDU) == bool(flags));
    const auto& d = std::get<DataHdr>(p.body);
    CHECK(d.cccid == h.cccid);
    CHECK(d.ttag == (t == PduType::H2CData ? h.ttag : 0));  // reserved in C2HData
    CHECK(d.datao == h.datao);
    CHECK(d.datal == payload.size());
    CHECK(p.data == payload);
    for (uint32_t k = hdr_end; k < p.ch.pdo; ++k) CHECK(wire[k] == 0);  // pad is zero
    if (cp.hdgst) CHECK(p.hdgst == crc_bitwise(wire.data(), 24));
    if (cp.ddgst) CHECK(p.ddgst == crc_bitwise(payload.data(), payload.size()));

    // Extra trailing bytes (the next PDU) are ignored.
    Bytes longer = wire;
    longer.insert(longer.end(), {0x05, 0x00, 0x18});
    CHECK(decode_pdu(longer, cp, p) == PduError::None);

    Cqe c;
    c.cid = uint16_t(rng());
    c.result = rng();
    REQUIRE(decode_pdu(encode_capsule_resp(c, cp), cp, p) == PduError::None);
    CHECK(std::get<Cqe>(p.body).cid == c.cid);
    CHECK(std::get<Cqe>(p.body).result == c.result);
  }
}

// ---------------------------------------------------------------------------------------------
// Validation: every PduError

TEST_CASE("nvme: validate_header reaches every header error", "[nvme]") {
  const ConnParams none = params(false, false);
  const ConnParams hd = params(true, false);
  const ConnParams dd = params(false, true);
  const ConnParams both = params(true, true);
  const struct {
    const char* what;
    CommonHeader ch;
    ConnParams cp;
    PduError want;
  } cases[] = {
      {"C2HData ok", hdr(0x07, 0x04, 24, 24, 32), none, PduError::None},
      {"C2HData zero data ok", hdr(0x07, 0x00, 24, 24, 24), none, PduError::None},
      {"TermReq at limit", hdr(0x03, 0, 24, 0, 152), both, PduError::None},
      {"TermReq bare", hdr(0x02, 0, 24, 0, 24), none, PduError::None},
      {"CapsuleCmd no data", hdr(0x04, 0x01, 72, 0, 76), both, PduError::None},
      {"ICReq", hdr(0x00, 0, 128, 0, 128), both, PduError::None},

      {"type 0x08", hdr(0x08, 0, 24, 0, 24), none, PduError::UnknownType},
      {"type 0x0A", hdr(0x0A, 0, 24, 0, 24), none, PduError::UnknownType},
      {"type 0xFF", hdr(0xFF, 0, 24, 0, 24), none, PduError::UnknownType},

      {"C2HData HLEN 28", hdr(0x07, 0, 28, 28, 36), none, PduError::BadHlen},
      {"ICReq HLEN 24", hdr(0x00, 0, 24, 0, 24), none, PduError::BadHlen},
      {"CapsuleCmd HLEN 24", hdr(0x04, 0, 24, 0, 24), none, PduError::BadHlen},

      {"CapsuleResp DDGSTF", hdr(0x05, 0x02, 24, 0, 28), dd, PduError::FlagsNotAllowed},
      {"ICReq HDGSTF", hdr(0x00, 0x01, 128, 0, 132), both, PduError::FlagsNotAllowed},
      {"TermReq LAST", hdr(0x02, 0x04, 24, 0, 24), none, PduError::FlagsNotAllowed},
      {"H2CData SUCCESS", hdr(0x06, 0x0C, 24, 24, 32), none, PduError::FlagsNotAllowed},
      {"R2T LAST", hdr(0x09, 0x04, 24, 0, 24), none, PduError::FlagsNotAllowed},
      {"bit 4", hdr(0x07, 0x14, 24, 24, 32), none, PduError::FlagsNotAllowed},

      {"SUCCESS alone", hdr(0x07, 0x08, 24, 24, 32), none, PduError::SuccessWithoutLast},

      {"HDGSTF missing", hdr(0x07, 0x04, 24, 28, 32), hd, PduError::DigestFlagMismatch},
      {"HDGSTF unexpected", hdr(0x09, 0x01, 24, 0, 28), none, PduError::DigestFlagMismatch},
      {"DDGSTF missing", hdr(0x07, 0x00, 24, 24, 32), dd, PduError::DigestFlagMismatch},
      {"DDGSTF unexpected", hdr(0x07, 0x02, 24, 24, 36), none, PduError::DigestFlagMismatch},
      {"DDGSTF on dataless cmd", hdr(0x04, 0x02, 72, 0, 76), dd, PduError::DigestFlagMismatch},
      {"DDGSTF missing on cmd data", hdr(0x04, 0, 72, 72, 80), dd, PduError::DigestFlagMismatch},

      {"data PDU PDO 0", hdr(0x07, 0, 24, 0, 32), none, PduError::PdoInsideHeader},
      {"PDO over HDGST", hdr(0x07, 0x01, 24, 24, 40), hd, PduError::PdoInsideHeader},
      {"cmd PDO in SQE", hdr(0x04, 0, 72, 24, 80), none, PduError::PdoInsideHeader},

      {"HPDA 1 PDO 28", hdr(0x07, 0x01, 24, 28, 40), params(true, false, 1, 0),
       PduError::PdoMisaligned},
      {"CPDA ignored for C2H", hdr(0x07, 0x01, 24, 28, 40), params(true, false, 0, 1),
       PduError::None},
      {"CPDA 1 PDO 28", hdr(0x06, 0x01, 24, 28, 40), params(true, false, 0, 1),
       PduError::PdoMisaligned},
      {"HPDA ignored for H2C", hdr(0x06, 0x01, 24, 28, 40), params(true, false, 1, 0),
       PduError::None},
      {"PDO not multiple of 4", hdr(0x07, 0, 24, 26, 40), none, PduError::PdoMisaligned},

      {"PDO past PLEN", hdr(0x07, 0, 24, 40, 32), none, PduError::PdoBeyondPdu},
      {"PDO into DDGST", hdr(0x07, 0x02, 24, 32, 34), dd, PduError::PdoBeyondPdu},
      {"PDO on CapsuleResp", hdr(0x05, 0, 24, 24, 24), none, PduError::PdoBeyondPdu},
      {"PDO on TermReq", hdr(0x03, 0, 24, 24, 32), none, PduError::PdoBeyondPdu},

      {"PLEN < HLEN", hdr(0x07, 0, 24, 24, 20), none, PduError::PlenTooSmall},
      {"R2T without room for HDGST", hdr(0x09, 0x01, 24, 0, 24), hd, PduError::PlenTooSmall},
      {"ICReq short", hdr(0x00, 0, 128, 0, 100), none, PduError::PlenTooSmall},
      {"no room for both digests", hdr(0x07, 0x03, 24, 28, 28), both, PduError::PlenTooSmall},

      {"TermReq 153", hdr(0x03, 0, 24, 0, 153), none, PduError::PlenTooLarge},
      {"ICResp 132", hdr(0x01, 0, 128, 0, 132), none, PduError::PlenTooLarge},
      {"CapsuleResp 28", hdr(0x05, 0, 24, 0, 28), none, PduError::PlenTooLarge},
      {"cmd no PDO but extra", hdr(0x04, 0, 72, 0, 80), none, PduError::PlenTooLarge},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(to_string(validate_header(c.ch, c.cp)) == std::string(to_string(c.want)));
  }
}

TEST_CASE("nvme: decode_pdu reports truncation", "[nvme]") {
  const Bytes wire = encode_r2t(R2t{}, ConnParams{});
  Pdu p;
  CHECK(decode_pdu(ByteView(wire.data(), 7), ConnParams{}, p) == PduError::Truncated);
  CHECK(decode_pdu(ByteView(wire.data(), 23), ConnParams{}, p) == PduError::Truncated);
  CHECK(p.ch.plen == 24);  // the header was still read
  CHECK(decode_pdu(ByteView(wire.data(), 24), ConnParams{}, p) == PduError::None);
  // A header error wins over truncation.
  Bytes bad = wire;
  bad[2] = 25;
  CHECK(decode_pdu(ByteView(bad.data(), 8), ConnParams{}, p) == PduError::BadHlen);
}

TEST_CASE("nvme: DATAL must match PLEN - PDO - DDGST", "[nvme]") {
  const Bytes payload(10, 0x42);
  DataHdr h;
  h.cccid = 1;
  Pdu p;
  for (const ConnParams& cp : {params(false, false), params(false, true)}) {
    Bytes wire = encode_data(PduType::C2HData, h, LAST_PDU, payload, cp);
    put_le32(wire, 16, 11);
    CHECK(decode_pdu(wire, cp, p) == PduError::DataLengthMismatch);
    put_le32(wire, 16, 14);  // counts the data digest as data
    CHECK(decode_pdu(wire, cp, p) == PduError::DataLengthMismatch);
    put_le32(wire, 16, 10);
    CHECK(decode_pdu(wire, cp, p) == PduError::None);
  }
  // With HDGST the altered header is first caught by its digest; refreshed, the length is.
  const ConnParams cp = params(true, false);
  Bytes wire = encode_data(PduType::C2HData, h, LAST_PDU, payload, cp);
  put_le32(wire, 16, 9);
  CHECK(decode_pdu(wire, cp, p) == PduError::BadHeaderDigest);
  put_le32(wire, 24, crc_bitwise(wire.data(), 24));
  CHECK(decode_pdu(wire, cp, p) == PduError::DataLengthMismatch);
}

TEST_CASE("nvme: DATAO + DATAL may not wrap at 2^32", "[nvme]") {
  const Bytes payload(10, 0x42);
  DataHdr h;
  h.cccid = 1;
  h.datao = 0xFFFFFFF5;  // ends at 2^32 - 1, the largest transfer length
  Pdu p;
  const ConnParams cp = params(false, true);
  Bytes wire = encode_data(PduType::C2HData, h, LAST_PDU, payload, cp);
  CHECK(decode_pdu(wire, cp, p) == PduError::None);
  put_le32(wire, 12, 0xFFFFFFF6);  // one byte past it
  CHECK(decode_pdu(wire, cp, p) == PduError::DataOffsetOverflow);
  // The offload engine refuses the header as well, and never takes it for one in a search.
  hw::PduLayout lay;
  REQUIRE(hw::NvmeTcpProtocol::begin(wire.data(), cp, 1u << 20, lay) == 0);
  CHECK(hw::NvmeTcpProtocol::check(wire.data(), lay) == uint8_t(PduError::DataOffsetOverflow));
  uint32_t plen = 0;
  CHECK_FALSE(hw::NvmeTcpProtocol::plausible(wire.data(), cp, 1u << 20, plen));
  put_le32(wire, 12, 0xFFFFFFF5);
  CHECK(hw::NvmeTcpProtocol::plausible(wire.data(), cp, 1u << 20, plen));
}

TEST_CASE("nvme: a Read capsule needs a transport data block SGL", "[nvme]") {
  ReadCmd rc;
  rc.length = 8192;
  Sqe s = rc.to_sqe();
  s.b[39] = 0x01;
  Pdu p;
  CHECK(decode_pdu(encode_capsule_cmd(s, ConnParams{}), ConnParams{}, p) == PduError::BadSgl);
  CHECK(std::get<Sqe>(p.body).cid() == rc.cid);
  s.b[0] = 0x01;  // a Write may describe in-capsule data that way
  CHECK(decode_pdu(encode_capsule_cmd(s, ConnParams{}, Bytes{1, 2, 3, 4}), ConnParams{}, p) ==
        PduError::None);
}

TEST_CASE("nvme: digest verification", "[nvme]") {
  const ConnParams cp = params(true, true, 1, 0);  // PDO 32: 4 pad bytes
  DataHdr h;
  h.cccid = 0x77;
  h.datao = 4096;
  std::mt19937_64 rng(3);
  const Bytes payload = random_bytes(rng, 700);
  const Bytes wire = encode_data(PduType::C2HData, h, LAST_PDU, payload, cp);
  REQUIRE(wire[3] == 32);
  REQUIRE(wire.size() == 32 + 700 + 4);
  Pdu p;
  REQUIRE(decode_pdu(wire, cp, p) == PduError::None);

  SECTION("every header byte is covered by HDGST") {
    // Common header bytes 0..7 would mostly fail validation first, so flip the rest.
    for (size_t i = 8; i < 24; ++i) {
      Bytes bad = wire;
      bad[i] ^= 0x10;
      INFO("byte " << i);
      CHECK(decode_pdu(bad, cp, p) == PduError::BadHeaderDigest);
    }
    Bytes bad = wire;
    bad[12] ^= 0x01;  // DATAO
    REQUIRE(decode_pdu(bad, cp, p) == PduError::BadHeaderDigest);
    // Still decoded for diagnostics.
    CHECK(std::get<DataHdr>(p.body).datao == 4097);
    CHECK(std::get<DataHdr>(p.body).cccid == 0x77);
    CHECK(p.data == payload);
    CHECK(decode_pdu(bad, cp, p, false) == PduError::None);
  }
  SECTION("the header digest itself") {
    Bytes bad = wire;
    bad[25] ^= 0x80;
    CHECK(decode_pdu(bad, cp, p) == PduError::BadHeaderDigest);
  }
  SECTION("data and data digest bytes") {
    for (size_t i : {size_t(32), size_t(33), size_t(400), wire.size() - 5, wire.size() - 1}) {
      Bytes bad = wire;
      bad[i] ^= 0x04;
      INFO("byte " << i);
      REQUIRE(decode_pdu(bad, cp, p) == PduError::BadDataDigest);
      CHECK(p.ch.plen == wire.size());
      CHECK(std::get<DataHdr>(p.body).datal == 700);
      CHECK(decode_pdu(bad, cp, p, false) == PduError::None);
    }
  }
  SECTION("pad bytes are in neither digest") {
    Bytes padded = wire;
    for (size_t i = 28; i < 32; ++i) padded[i] = 0xAA;
    CHECK(decode_pdu(padded, cp, p) == PduError::None);
  }
  SECTION("digests are little-endian on the wire") {
    const uint32_t want_h = crc_bitwise(wire.data(), 24);
    const uint32_t want_d = crc_bitwise(payload.data(), payload.size());
    CHECK(wire[24] == uint8_t(want_h));
    CHECK(wire[27] == uint8_t(want_h >> 24));
    CHECK(wire[wire.size() - 4] == uint8_t(want_d));
    CHECK(wire[wire.size() - 1] == uint8_t(want_d >> 24));
    CHECK(p.hdgst == want_h);
    CHECK(p.ddgst == want_d);
  }
}

// ---------------------------------------------------------------------------------------------
// StreamDecoder

namespace {

struct Stream {
  Bytes bytes;
  std::vector<size_t> starts;  // offset of each PDU
  std::vector<std::string> expect;
};

// A mixed conversation in both directions under one set of parameters.
Stream make_stream(const ConnParams& cp, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Bytes> pdus;
  pdus.push_back(encode_ic_resp(IcResp{}));
  for (int cmd = 0; cmd < 6; ++cmd) {
    ReadCmd rc;
    rc.cid = uint16_t(cmd + 1);
    rc.length = uint32_t(1 + rng() % 3000);
    pdus.push_back(encode_capsule_cmd(rc.to_sqe(), cp));
    uint32_t off = 0;
    while (off < rc.length) {
      DataHdr h;
      h.cccid = rc.cid;
      h.datao = off;
      const uint32_t n = std::min<uint32_t>(rc.length - off, 1 + rng() % 1200);
      off += n;
      const bool last = off == rc.length;
      const bool success = last && (cmd % 2);
      pdus.push_back(encode_data(PduType::C2HData, h,
                                 uint8_t((last ? LAST_PDU : 0) | (success ? SUCCESS : 0)),
                                 random_bytes(rng, n), cp));
      if (last && !success) {
        Cqe c;
        c.cid = rc.cid;
        pdus.push_back(encode_capsule_resp(c, cp));
      }
    }
  }
  Sqe w;
  w.b[0] = 0x01;
  w.b[39] = 0x01;
  pdus.push_back(encode_capsule_cmd(w, cp, random_bytes(rng, 100)));
  R2t r;
  r.cccid = 9;
  r.r2tl = 64;
  pdus.push_back(encode_r2t(r, cp));
  DataHdr h;
  h.cccid = 9;
  pdus.push_back(encode_data(PduType::H2CData, h, LAST_PDU, random_bytes(rng, 64), cp));
  TermReq t;
  t.fes = 1;
  t.error_data = random_bytes(rng, 24);
  pdus.push_back(encode_term_req(PduType::C2HTermReq, t));

  Stream s;
  for (const Bytes& b : pdus) {
    Pdu p;
    REQUIRE(decode_pdu(b, cp, p) == PduError::None);
    s.starts.push_back(s.bytes.size());
    s.expect.push_back(describe(p));
    s.bytes.insert(s.bytes.end(), b.begin(), b.end());
  }
  return s;
}

// Feeds `bytes` in the given chunk sizes, draining after every feed.
std::vector<std::string> run(StreamDecoder& dec, const Bytes& bytes,
                             const std::vector<size_t>& chunks, std::vector<PduError>* errs) {
  std::vector<std::string> got;
  size_t off = 0;
  for (size_t n : chunks) {
    dec.feed(ByteView(bytes.data() + off, n));
    off += n;
    Pdu p;
    PduError e;
    while (dec.next(p, e)) {
      got.push_back(describe(p));
      if (errs) errs->push_back(e);
      if (dec.failed()) break;
    }
  }
  REQUIRE(off == bytes.size());
  return got;
}

std::vector<size_t> random_chunks(std::mt19937_64& rng, size_t total, size_t max_chunk) {
  std::vector<size_t> chunks;
  for (size_t left = total; left;) {
    const size_t n = std::min(left, size_t(rng() % (max_chunk + 1)));  // 0-byte feeds too
    chunks.push_back(n);
    left -= n;
  }
  return chunks;
}

}  // namespace

TEST_CASE("nvme: StreamDecoder frames PDUs however the bytes are split", "[nvme]") {
  const ConnParams variants[] = {params(false, false), params(true, true, 1, 0),
                                 params(true, false, 0, 2), params(false, true, 3, 0)};
  for (const ConnParams& cp : variants) {
    const Stream s = make_stream(cp, 11 + cp.hpda);
    INFO("hd " << cp.hdgst << " dd " << cp.ddgst << " hpda " << int(cp.hpda));

    {  // one chunk: several PDUs come out of one feed
      StreamDecoder dec(cp);
      dec.feed(s.bytes);
      std::vector<std::string> got;
      Pdu p;
      PduError e;
      while (dec.next(p, e)) {
        REQUIRE(e == PduError::None);
        got.push_back(describe(p));
      }
      CHECK(got == s.expect);
      CHECK(dec.consumed() == s.bytes.size());
      CHECK(dec.buffered() == 0);
      CHECK_FALSE(dec.failed());
    }
    {  // one byte at a time
      StreamDecoder dec(cp);
      std::vector<PduError> errs;
      CHECK(run(dec, s.bytes, std::vector<size_t>(s.bytes.size(), 1), &errs) == s.expect);
      CHECK(std::all_of(errs.begin(), errs.end(), [](PduError e) { return e == PduError::None; }));
      CHECK(dec.consumed() == s.bytes.size());
    }
    {  // random chunkings
      for (uint64_t seed = 1; seed <= 40; ++seed) {
        std::mt19937_64 rng(seed);
        StreamDecoder dec(cp);
        const auto chunks = random_chunks(rng, s.bytes.size(), seed % 2 ? 9 : 1500);
        INFO("seed " << seed);
        REQUIRE(run(dec, s.bytes, chunks, nullptr) == s.expect);
        CHECK(dec.buffered() == 0);
      }
    }
  }
}

TEST_CASE("nvme: StreamDecoder waits for whole PDUs and tracks offsets", "[nvme]") {
  const ConnParams cp = params(true, true);
  const Stream s = make_stream(cp, 5);
  StreamDecoder dec(cp);
  Pdu p;
  PduError e = PduError::None;
  dec.feed(ByteView(s.bytes.data(), 7));  // inside the first common header
  CHECK_FALSE(dec.next(p, e));
  CHECK(dec.buffered() == 7);
  const size_t second = s.starts[1];
  dec.feed(ByteView(s.bytes.data() + 7, second + 10 - 7));  // first PDU and 10 bytes of the next
  REQUIRE(dec.next(p, e));
  CHECK(e == PduError::None);
  CHECK(describe(p) == s.expect[0]);
  CHECK(dec.consumed() == second);
  CHECK(dec.buffered() == 10);
  CHECK_FALSE(dec.next(p, e));
  CHECK(dec.consumed() == second);
}

TEST_CASE("nvme: StreamDecoder reports digest errors per PDU and keeps going", "[nvme]") {
  const ConnParams cp = params(true, true, 1, 0);
  const Stream s = make_stream(cp, 21);
  // Find a C2HData PDU and a CapsuleResp, and corrupt a data byte and a CID byte.
  size_t data_idx = 0, resp_idx = 0;
  for (size_t i = 0; i < s.starts.size(); ++i) {
    const uint8_t type = s.bytes[s.starts[i]];
    if (type == 0x07 && !data_idx) data_idx = i;
    if (type == 0x05 && !resp_idx) resp_idx = i;
  }
  REQUIRE(data_idx);
  REQUIRE(resp_idx);
  Bytes bad = s.bytes;
  bad[s.starts[data_idx] + 32] ^= 0xFF;  // first data byte
  bad[s.starts[resp_idx] + 20] ^= 0x01;  // CID, under HDGST

  std::mt19937_64 rng(8);
  StreamDecoder dec(cp);
  std::vector<PduError> errs;
  const auto got = run(dec, bad, random_chunks(rng, bad.size(), 50), &errs);
  REQUIRE(got.size() == s.expect.size());
  for (size_t i = 0; i < errs.size(); ++i) {
    INFO("pdu " << i);
    const PduError want = i == data_idx   ? PduError::BadDataDigest
                          : i == resp_idx ? PduError::BadHeaderDigest
                                          : PduError::None;
    CHECK(errs[i] == want);
    if (want == PduError::None) CHECK(got[i] == s.expect[i]);
  }
  CHECK_FALSE(dec.failed());
  CHECK(dec.consumed() == bad.size());

  // Without verification the corrupt PDUs pass.
  StreamDecoder lax(cp);
  lax.feed(bad);
  Pdu p;
  PduError e;
  size_t n = 0;
  while (lax.next(p, e, false)) {
    CHECK(e == PduError::None);
    ++n;
  }
  CHECK(n == s.expect.size());
}

TEST_CASE("nvme: StreamDecoder stops for good on a framing error", "[nvme]") {
  const ConnParams cp = params(true, false);
  const Stream s = make_stream(cp, 31);
  const size_t k = 4;
  Pdu p;
  PduError e;

  SECTION("bad type byte, reported as soon as the common header is in") {
    Bytes bad = s.bytes;
    bad[s.starts[k]] = 0x08;
    StreamDecoder dec(cp);
    dec.feed(ByteView(bad.data(), s.starts[k] + 8));
    for (size_t i = 0; i < k; ++i) {
      REQUIRE(dec.next(p, e));
      CHECK(e == PduError::None);
    }
    REQUIRE(dec.next(p, e));
    CHECK(e == PduError::UnknownType);
    CHECK(dec.failed());
    CHECK(dec.consumed() == s.starts[k]);
    dec.feed(ByteView(bad).sub(s.starts[k] + 8));
    CHECK_FALSE(dec.next(p, e));
    CHECK(dec.failed());
    CHECK(dec.consumed() == s.starts[k]);
  }
  SECTION("digest flag disagreeing with the negotiation") {
    StreamDecoder dec(params(false, false));  // stream was built with header digests
    dec.feed(s.bytes);
    REQUIRE(dec.next(p, e));  // ICResp never carries digests
    CHECK(e == PduError::None);
    REQUIRE(dec.next(p, e));
    CHECK(e == PduError::DigestFlagMismatch);
    CHECK(dec.failed());
    CHECK_FALSE(dec.next(p, e));
  }
  SECTION("DATAL mismatch ends the stream; a bad SGL does not") {
    DataHdr h;
    Bytes data_pdu = encode_data(PduType::C2HData, h, 0, Bytes(16, 1), params(false, false));
    put_le32(data_pdu, 16, 15);
    ReadCmd rc;
    Sqe sqe = rc.to_sqe();
    sqe.b[39] = 0x00;
    const Bytes cmd = encode_capsule_cmd(sqe, params(false, false));
    StreamDecoder dec;
    dec.feed(cmd);
    dec.feed(data_pdu);
    dec.feed(cmd);
    REQUIRE(dec.next(p, e));
    CHECK(e == PduError::BadSgl);
    CHECK_FALSE(dec.failed());
    REQUIRE(dec.next(p, e));
    CHECK(e == PduError::DataLengthMismatch);
    CHECK(dec.failed());
    CHECK(dec.consumed() == cmd.size());
    CHECK_FALSE(dec.next(p, e));
  }
}

TEST_CASE("nvme: StreamDecoder switches parameters after the IC exchange", "[nvme]") {
  const ConnParams cp = params(true, true, 1, 0);
  IcResp ic;
  ic.dgst = 3;
  Bytes stream = encode_ic_resp(ic);
  DataHdr h;
  h.cccid = 4;
  const Bytes data_pdu = encode_data(PduType::C2HData, h, LAST_PDU, Bytes(40, 9), cp);
  stream.insert(stream.end(), data_pdu.begin(), data_pdu.end());

  StreamDecoder dec;  // digests not yet negotiated
  dec.feed(stream);
  Pdu p;
  PduError e;
  REQUIRE(dec.next(p, e));
  REQUIRE(e == PduError::None);
  const IcResp& got = std::get<IcResp>(p.body);
  ConnParams negotiated = dec.params();
  negotiated.hdgst = got.dgst & 1;
  negotiated.ddgst = got.dgst & 2;
  negotiated.hpda = 1;
  dec.set_params(negotiated);
  REQUIRE(dec.next(p, e));
  CHECK(e == PduError::None);
  CHECK(p.ch.pdo == 32);
  CHECK(p.data == Bytes(40, 9));
}
