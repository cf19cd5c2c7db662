#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "proto/iscsi.hpp"
#include "tests/unit/crc_oracle.hpp"
#include "tests/unit/iscsi_samples.hpp"

using namespace nic;
using namespace nic::iscsi;

namespace {

using iscsi_samples::final_login;
using oracle::crc_bitwise;

using iscsi_samples::params;

Bytes encode(PduBody body, const ConnParams& cp, Bytes data = {}, bool immediate = false) {
  Pdu p;
  p.body = std::move(body);
  p.data = std::move(data);
  p.immediate = immediate;
  return encode_pdu(p, cp);
}

Bytes le32(uint32_t v) { return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)}; }

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

PduError decode_err(const Bytes& b, const ConnParams& cp = {}) {
  Pdu p;
  return decode_pdu(b, cp, p);
}

// A final Data-In with status, 5 data bytes, written from RFC 7143's Data-In layout.
const Bytes kDataInGolden = {
    0x25, 0x81, 0x00, 0x00,  // 0 opcode 0x25; 1 F|S; 2 reserved; 3 status GOOD
    0x00, 0x00, 0x00, 0x05,  // 4 TotalAHSLength 0; 5-7 DataSegmentLength 5
    0x00, 0x01, 0x00, 0x00,  // 8-15 LUN 1 (SAM single level)
    0x00, 0x00, 0x00, 0x00,  //
    0x12, 0x34, 0x56, 0x78,  // 16 ITT
    0xFF, 0xFF, 0xFF, 0xFF,  // 20 TTT (no ack requested)
    0x00, 0x00, 0x00, 0x07,  // 24 StatSN
    0x00, 0x00, 0x00, 0x08,  // 28 ExpCmdSN
    0x00, 0x00, 0x00, 0x27,  // 32 MaxCmdSN
    0x00, 0x00, 0x00, 0x02,  // 36 DataSN
    0x00, 0x00, 0x20, 0x00,  // 40 Buffer Offset 8192
    0x00, 0x00, 0x00, 0x00,  // 44 Residual Count
    'h',  'e',  'l',  'l',   // data
    'o',  0x00, 0x00, 0x00,  // last data byte, 3 pad bytes
};

DataIn golden_data_in_fields() {
  DataIn d;
  d.final = d.has_status = true;
  d.lun = 0x0001000000000000ull;
  d.itt = 0x12345678;
  d.statsn = 7;
  d.expcmdsn = 8;
  d.maxcmdsn = 0x27;
  d.datasn = 2;
  d.buffer_offset = 8192;
  return d;
}

const Bytes kHello = {'h', 'e', 'l', 'l', 'o'};

// A final R2T, from RFC 7143's R2T layout.
const Bytes kR2tGolden = {
    0x31, 0x80, 0x00, 0x00,  // 0 opcode; 1 always 0x80; 2-3 reserved
    0x00, 0x00, 0x00, 0x00,  // 4 TotalAHSLength 0; 5-7 DataSegmentLength 0
    0, 0, 0, 0, 0, 0, 0, 0,  // 8-15 LUN 0
    0x00, 0x00, 0x00, 0x09,  // 16 ITT
    0x00, 0x00, 0x01, 0x00,  // 20 TTT
    0x00, 0x00, 0x00, 0x03,  // 24 StatSN
    0x00, 0x00, 0x00, 0x04,  // 28 ExpCmdSN
    0x00, 0x00, 0x00, 0x05,  // 32 MaxCmdSN
    0x00, 0x00, 0x00, 0x01,  // 36 R2TSN
    0x00, 0x01, 0x00, 0x00,  // 40 Buffer Offset 65536
    0x00, 0x00, 0x40, 0x00,  // 44 Desired Data Transfer Length 16384
};

// Login Request moving from operational negotiation to full-feature phase, as the Linux
// initiator sends it (ISID type 0x00 0x023d, qualifier 1).
const Bytes kLoginReqHeader = {
    0x43, 0x87, 0x00, 0x00,  // 0 I|0x03; 1 T|CSG 1|NSG 3; 2 Version-max 0; 3 Version-min 0
    0x00, 0x00, 0x00, 0x0F,  // 4 TotalAHSLength 0; 5-7 DataSegmentLength 15
    0x00, 0x02, 0x3D, 0x00,  // 8-13 ISID
    0x00, 0x01, 0x00, 0x00,  //   ISID cont.; 14-15 TSIH 0
    0x00, 0x00, 0x00, 0x01,  // 16 ITT
    0x00, 0x00, 0x00, 0x00,  // 20-21 CID 0; 22-23 reserved
    0x00, 0x00, 0x00, 0x01,  // 24 CmdSN
    0x00, 0x00, 0x00, 0x02,  // 28 ExpStatSN
    0, 0, 0, 0, 0, 0, 0, 0,  // 32-47 reserved
    0, 0, 0, 0, 0, 0, 0, 0,  //
};
const std::string kLoginText("InitialR2T=Yes", 15);  // with its NUL

// The whole Login Request: header, text, one pad byte.
Bytes login_req_golden() {
  Bytes b = kLoginReqHeader;
  b.insert(b.end(), kLoginText.begin(), kLoginText.end());
  b.push_back(0);
  return b;
}

LoginReq login_req_fields() {
  LoginReq l = final_login<LoginReq>();
  l.cmdsn = 1;
  l.expstatsn = 2;
  return l;
}

LoginResp final_login_resp() {
  LoginResp r = final_login<LoginResp>();
  r.tsih = 1;
  return r;
}

template <class F, size_t... I> void for_each_body(F&& f, std::index_sequence<I...>) {
  (f(std::variant_alternative_t<I, PduBody>{}), ...);
}
template <class F> void for_each_body(F&& f) {
  for_each_body(std::forward<F>(f), std::make_index_sequence<std::variant_size_v<PduBody>>{});
}

// Random values for every field, within each field's width.
struct Randomizer {
  std::mt19937_64& rng;
  void fixed(size_t, uint8_t) {}
  void bits(size_t, uint8_t, bool& v) { v = rng() & 1; }
  void bits(size_t, uint8_t mask, uint8_t& v) {
    while (!(mask & 1)) mask >>= 1;
    v = uint8_t(rng() & mask);
  }
  void u8(size_t, uint8_t& v) { v = uint8_t(rng()); }
  void u16(size_t, uint16_t& v) { v = uint16_t(rng()); }
  void u32(size_t, uint32_t& v) { v = uint32_t(rng()); }
  void u48(size_t, uint64_t& v) { v = rng() >> 16; }
  void u64(size_t, uint64_t& v) { v = rng(); }
  void cdb(size_t, Cdb& c) {
    for (auto& b : c) b = uint8_t(rng());
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Opcodes and error names

TEST_CASE("iscsi: opcode table", "[iscsi]") {
  const struct {
    uint8_t op;
    bool target;
  } rows[] = {{0x00, false}, {0x01, false}, {0x02, false}, {0x03, false}, {0x04, false},
              {0x05, false}, {0x06, false}, {0x10, false}, {0x20, true},  {0x21, true},
              {0x22, true},  {0x23, true},  {0x24, true},  {0x25, true},  {0x26, true},
              {0x31, true},  {0x32, true},  {0x3F, true}};
  for (const auto& r : rows) {
    INFO("opcode " << int(r.op));
    CHECK(is_known_opcode(r.op));
    CHECK(sent_by_target(Opcode(r.op)) == r.target);
    CHECK(carries_digests(Opcode(r.op)) == (r.op != 0x03 && r.op != 0x23));
  }
  for (int op : {0x07, 0x0F, 0x1C, 0x27, 0x30, 0x3C}) CHECK_FALSE(is_known_opcode(uint8_t(op)));
  CHECK(std::string(opcode_name(Opcode::DataIn)) == "SCSI Data-In");
  CHECK(std::string(opcode_name(Opcode(0x07))) == "Unknown");
  // Every variant alternative is a distinct known opcode.
  std::vector<int> seen;
  for_each_body([&](auto b) { seen.push_back(int(decltype(b)::kOpcode)); });
  std::sort(seen.begin(), seen.end());
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());
  CHECK(seen.size() == std::size(rows));
}

TEST_CASE("iscsi: error names are distinct", "[iscsi]") {
  std::vector<std::string> names;
  for (size_t e = 0; e < kPduErrorCount; ++e) names.push_back(to_string(PduError(e)));
  std::sort(names.begin(), names.end());
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
  CHECK(std::string(to_string(PduError::StatusWithoutFinal)) == "StatusWithoutFinal");
  CHECK(std::string(to_string(PduError::BadDataDigest)) == "BadDataDigest");
}

// ---------------------------------------------------------------------------------------------
// Layout

TEST_CASE("iscsi: layout from the BHS and the digest settings", "[iscsi]") {
  Bhs b;
  b.opcode = Opcode::DataIn;
  b.data_length = 5;
  PduLayout l = layout_of(b, params(false, false));
  CHECK(l.hlen == 48);
  CHECK(l.hdgst_len == 0);
  CHECK(l.data_offset == 48);
  CHECK(l.data_len == 5);
  CHECK(l.pad_len == 3);
  CHECK(l.ddgst_len == 0);
  CHECK(l.total_len == 56);

  b.ahs_words = 2;  // 8 AHS bytes
  l = layout_of(b, params(true, true));
  CHECK(l.hlen == 56);
  CHECK(l.hdgst_len == 4);
  CHECK(l.data_offset == 60);
  CHECK(l.pad_len == 3);
  CHECK(l.ddgst_len == 4);
  CHECK(l.total_len == 56 + 4 + 8 + 4);

  b.ahs_words = 0;
  b.data_length = 0;  // no data, so no data digest even when negotiated
  l = layout_of(b, params(true, true));
  CHECK(l.ddgst_len == 0);
  CHECK(l.pad_len == 0);
  CHECK(l.total_len == 52);

  b.data_length = 8192;  // already a multiple of 4
  l = layout_of(b, params(false, true));
  CHECK(l.pad_len == 0);
  CHECK(l.total_len == 48 + 8192 + 4);

  // Login PDUs never carry digests, whatever was negotiated.
  for (Opcode op : {Opcode::LoginReq, Opcode::LoginResp}) {
    b.opcode = op;
    b.data_length = 10;
    l = layout_of(b, params(true, true));
    CHECK(l.hdgst_len == 0);
    CHECK(l.ddgst_len == 0);
    CHECK(l.total_len == 48 + 12);
  }
}

TEST_CASE("iscsi: Bhs::decode reads the common fields", "[iscsi]") {
  const Bhs b = Bhs::decode(kLoginReqHeader.data());
  CHECK(b.opcode == Opcode::LoginReq);
  CHECK(b.immediate);
  CHECK(b.flags == 0x87);
  CHECK(b.ahs_words == 0);
  CHECK(b.data_length == 15);
  CHECK(b.itt == 1);
}

// ---------------------------------------------------------------------------------------------
// Golden encodings written byte by byte from the RFC layouts

TEST_CASE("iscsi: Data-In golden, no digests", "[iscsi]") {
  CHECK(encode(golden_data_in_fields(), {}, kHello) == kDataInGolden);

  Pdu p;
  REQUIRE(decode_pdu(kDataInGolden, {}, p) == PduError::None);
  const DataIn& d = std::get<DataIn>(p.body);
  CHECK(d.final);
  CHECK_FALSE(d.ack);
  CHECK(d.has_status);
  CHECK_FALSE(d.overflow);
  CHECK_FALSE(d.underflow);
  CHECK(d.status == 0);
  CHECK(d.lun == 0x0001000000000000ull);
  CHECK(d.itt == 0x12345678);
  CHECK(d.ttt == kReservedTag);
  CHECK(d.statsn == 7);
  CHECK(d.expcmdsn == 8);
  CHECK(d.maxcmdsn == 0x27);
  CHECK(d.datasn == 2);
  CHECK(d.buffer_offset == 8192);
  CHECK(d.residual == 0);
  CHECK(p.data == kHello);
  CHECK(p.ahs.empty());
  CHECK_FALSE(p.immediate);
}

TEST_CASE("iscsi: Data-In golden, both digests, the data digest covering the pad", "[iscsi]") {
  const Bytes bhs(kDataInGolden.begin(), kDataInGolden.begin() + 48);
  const Bytes padded(kDataInGolden.begin() + 48, kDataInGolden.end());  // 5 data + 3 pad
  const uint32_t hd = crc_bitwise(bhs.data(), bhs.size());
  const uint32_t dd = crc_bitwise(padded.data(), padded.size());
  REQUIRE(dd != crc_bitwise(kHello.data(), kHello.size()));  // the pad changes the digest
  const Bytes golden = cat(cat(cat(bhs, le32(hd)), padded), le32(dd));
  REQUIRE(golden.size() == 48 + 4 + 8 + 4);

  CHECK(encode(golden_data_in_fields(), params(true, true), kHello) == golden);
  Pdu p;
  REQUIRE(decode_pdu(golden, params(true, true), p) == PduError::None);
  CHECK(p.hdgst == hd);
  CHECK(p.ddgst == dd);
  CHECK(p.data == kHello);

  // A digest over the data alone (NVMe/TCP's rule) is wrong here.
  Bytes data_only = golden;
  const Bytes wrong = le32(crc_bitwise(kHello.data(), kHello.size()));
  std::copy(wrong.begin(), wrong.end(), data_only.end() - 4);
  CHECK(decode_err(data_only, params(true, true)) == PduError::BadDataDigest);
}

// RFC 3720 appendix B.4 (kept by RFC 7143): the digest bytes as they go on the wire.
TEST_CASE("iscsi: data digests of the published CRC32C vectors", "[iscsi]") {
  Bytes zeros(32, 0), ones(32, 0xFF), inc(32), dec(32);
  for (int i = 0; i < 32; ++i) {
    inc[i] = uint8_t(i);
    dec[i] = uint8_t(31 - i);
  }
  const std::pair<Bytes, Bytes> vectors[] = {
      {zeros, {0xAA, 0x36, 0x91, 0x8A}},
      {ones, {0x43, 0xAB, 0xA8, 0x62}},
      {inc, {0x4E, 0x79, 0xDD, 0x46}},
      {dec, {0x5C, 0xDB, 0x3F, 0x11}},
  };
  for (const auto& [data, wire] : vectors) {
    DataIn d;
    d.itt = 1;
    const Bytes pdu = encode(d, params(false, true), data);
    REQUIRE(pdu.size() == 48 + 32 + 4);
    CHECK(Bytes(pdu.end() - 4, pdu.end()) == wire);
  }
}

TEST_CASE("iscsi: SCSI Command READ(10) golden", "[iscsi]") {
  const Bytes golden = {
      0x01, 0xC1, 0x00, 0x00,  // 0 opcode (not immediate); 1 F|R|ATTR simple; 2-3 reserved
      0x00, 0x00, 0x00, 0x00,  // 4 TotalAHSLength; 5-7 DataSegmentLength 0
      0x00, 0x01, 0x00, 0x00,  // 8-15 LUN 1
      0x00, 0x00, 0x00, 0x00,  //
      0x00, 0x00, 0x00, 0x2A,  // 16 ITT
      0x00, 0x00, 0x10, 0x00,  // 20 Expected Data Transfer Length 4096
      0x00, 0x00, 0x00, 0x10,  // 24 CmdSN
      0x00, 0x00, 0x00, 0x03,  // 28 ExpStatSN
      0x28, 0x00, 0x00, 0x01,  // 32 CDB: READ(10), flags, LBA 0x00012345
      0x23, 0x45, 0x00, 0x00,  //   LBA cont., group, transfer length 8 blocks
      0x08, 0x00, 0x00, 0x00,  //   length cont., control, 6 unused CDB bytes
      0x00, 0x00, 0x00, 0x00,  //
  };
  ScsiCommand c;
  c.read = true;
  c.attr = 1;
  c.lun = 0x0001000000000000ull;
  c.itt = 0x2A;
  c.expected_length = 4096;
  c.cmdsn = 16;
  c.expstatsn = 3;
  c.cdb = make_read10(0x12345, 8);
  CHECK(encode(c, params(false, false)) == golden);

  Pdu p;
  REQUIRE(decode_pdu(golden, {}, p) == PduError::None);
  const ScsiCommand& got = std::get<ScsiCommand>(p.body);
  CHECK(got.final);
  CHECK(got.read);
  CHECK_FALSE(got.write);
  CHECK(got.attr == 1);
  CHECK(got.expected_length == 4096);
  CHECK(got.cmdsn == 16);
  ReadCdb r;
  REQUIRE(parse_read(got.cdb, r));
  CHECK(r.lba == 0x12345);
  CHECK(r.blocks == 8);
}

TEST_CASE("iscsi: READ(16) CDB golden and non-read CDBs", "[iscsi]") {
  const Cdb golden = {0x88, 0x00,                                      // opcode, flags
                      0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10,  // LBA 2-9
                      0x00, 0x00, 0x01, 0x00,                          // length 10-13
                      0x00, 0x00};                                     // group, control
  CHECK(make_read16(0x100000010ull, 256) == golden);
  ReadCdb r;
  REQUIRE(parse_read(golden, r));
  CHECK(r.lba == 0x100000010ull);
  CHECK(r.blocks == 256);
  Cdb tur{};  // TEST UNIT READY
  CHECK_FALSE(parse_read(tur, r));
}

TEST_CASE("iscsi: SCSI Response golden with sense data", "[iscsi]") {
  // CHECK CONDITION, as tgtd answers a session's first TEST UNIT READY.
  const Bytes header = {
      0x21, 0x80, 0x00, 0x02,  // 0 opcode; 1 bit 7 always set; 2 response 0; 3 status
      0x00, 0x00, 0x00, 0x14,  // 4 TotalAHSLength; 5-7 DataSegmentLength 20
      0, 0, 0, 0, 0, 0, 0, 0,  // 8-15 reserved
      0x00, 0x00, 0x00, 0x05,  // 16 ITT
      0x00, 0x00, 0x00, 0x00,  // 20 SNACK Tag
      0x00, 0x00, 0x00, 0x0A,  // 24 StatSN
      0x00, 0x00, 0x00, 0x0B,  // 28 ExpCmdSN
      0x00, 0x00, 0x00, 0x2B,  // 32 MaxCmdSN
      0x00, 0x00, 0x00, 0x00,  // 36 ExpDataSN
      0x00, 0x00, 0x00, 0x00,  // 40 Bidirectional Read Residual Count
      0x00, 0x00, 0x00, 0x00,  // 44 Residual Count
  };
  Bytes sense(20, 0);
  sense[1] = 18;     // SenseLength, then fixed-format sense data
  sense[2] = 0x70;
  sense[4] = 0x06;   // UNIT ATTENTION
  const Bytes golden = cat(header, sense);
  ScsiResponse r;
  r.status = 0x02;
  r.itt = 5;
  r.statsn = 10;
  r.expcmdsn = 11;
  r.maxcmdsn = 0x2B;
  CHECK(encode(r, {}, sense) == golden);
  Pdu p;
  REQUIRE(decode_pdu(golden, {}, p) == PduError::None);
  CHECK(std::get<ScsiResponse>(p.body).status == 0x02);
  CHECK(p.data == sense);

  // Residual underflow: U (byte 1 bit 1) with the count at 44.
  r.underflow = true;
  r.residual = 512;
  const Bytes under = encode(r, {}, sense);
  CHECK(under[1] == 0x82);
  CHECK(Bytes(under.begin() + 44, under.begin() + 48) == Bytes{0, 0, 2, 0});
}

TEST_CASE("iscsi: R2T golden", "[iscsi]") {
  R2t r;
  r.itt = 9;
  r.ttt = 0x100;
  r.statsn = 3;
  r.expcmdsn = 4;
  r.maxcmdsn = 5;
  r.r2tsn = 1;
  r.buffer_offset = 65536;
  r.desired_length = 16384;
  CHECK(encode(r, {}) == kR2tGolden);
  Pdu p;
  REQUIRE(decode_pdu(kR2tGolden, {}, p) == PduError::None);
  CHECK(std::get<R2t>(p.body).desired_length == 16384);
}

TEST_CASE("iscsi: Login Request golden carries no digests even when negotiated", "[iscsi]") {
  const Bytes text(kLoginText.begin(), kLoginText.end());
  const Bytes golden = login_req_golden();
  for (bool dg : {false, true}) {
    INFO("digests " << dg);
    CHECK(encode(login_req_fields(), params(dg, dg), text, true) == golden);
    Pdu p;
    REQUIRE(decode_pdu(golden, params(dg, dg), p) == PduError::None);
    const LoginReq& l = std::get<LoginReq>(p.body);
    CHECK(p.immediate);
    CHECK(l.transit);
    CHECK_FALSE(l.cont);
    CHECK(l.csg == 1);
    CHECK(l.nsg == 3);
    CHECK(l.isid == 0x00023D000001ull);
    CHECK(l.tsih == 0);
    CHECK(l.cmdsn == 1);
    CHECK(l.expstatsn == 2);
  }
  // The I bit is part of a Login Request whether or not the caller asked for it.
  CHECK(encode(login_req_fields(), {}, text, false) == golden);
}

TEST_CASE("iscsi: Login Response golden", "[iscsi]") {
  const Bytes golden = {
      0x23, 0x87, 0x00, 0x00,  // 0 opcode; 1 T|CSG 1|NSG 3; 2 Version-max; 3 Version-active
      0x00, 0x00, 0x00, 0x00,  // 4 TotalAHSLength; 5-7 DataSegmentLength
      0x00, 0x02, 0x3D, 0x00,  // 8-13 ISID
      0x00, 0x01, 0x00, 0x01,  //   ISID cont.; 14-15 TSIH 1
      0x00, 0x00, 0x00, 0x01,  // 16 ITT
      0x00, 0x00, 0x00, 0x00,  // 20 reserved
      0x00, 0x00, 0x00, 0x02,  // 24 StatSN
      0x00, 0x00, 0x00, 0x02,  // 28 ExpCmdSN
      0x00, 0x00, 0x00, 0x22,  // 32 MaxCmdSN
      0x02, 0x01, 0x00, 0x00,  // 36 Status-Class 2; 37 Status-Detail 1 (initiator error)
      0, 0, 0, 0, 0, 0, 0, 0,  // 40-47 reserved
  };
  LoginResp r = final_login_resp();
  r.statsn = 2;
  r.expcmdsn = 2;
  r.maxcmdsn = 0x22;
  r.status_class = 2;
  r.status_detail = 1;
  CHECK(encode(r, params(true, true)) == golden);
  CHECK_FALSE(r.enters_full_feature());  // refused
  r.status_class = 0;
  CHECK(r.enters_full_feature());
  Pdu p;
  REQUIRE(decode_pdu(golden, {}, p) == PduError::None);
  CHECK(std::get<LoginResp>(p.body).status_detail == 1);
}

TEST_CASE("iscsi: NOP-Out immediate golden with ping data and header digest", "[iscsi]") {
  const Bytes header = {
      0x40, 0x80, 0x00, 0x00,  // 0 I|0x00; 1 bit 7 always set
      0x00, 0x00, 0x00, 0x02,  // 5-7 DataSegmentLength 2
      0, 0, 0, 0, 0, 0, 0, 0,  // 8-15 LUN
      0x00, 0x00, 0x00, 0x11,  // 16 ITT
      0xFF, 0xFF, 0xFF, 0xFF,  // 20 TTT
      0x00, 0x00, 0x00, 0x06,  // 24 CmdSN
      0x00, 0x00, 0x00, 0x07,  // 28 ExpStatSN
      0, 0, 0, 0, 0, 0, 0, 0,  // 32-47 reserved
      0, 0, 0, 0, 0, 0, 0, 0,  //
  };
  const Bytes golden = cat(cat(header, le32(crc_bitwise(header.data(), 48))), {0xAB, 0xCD, 0, 0});
  NopOut n;
  n.itt = 0x11;
  n.cmdsn = 6;
  n.expstatsn = 7;
  CHECK(encode(n, params(true, false), {0xAB, 0xCD}, true) == golden);
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST_CASE("iscsi: random round trips of every PDU under every digest setting", "[iscsi]") {
  std::mt19937_64 rng(7);
  for_each_body([&](auto proto) {
    using Body = decltype(proto);
    INFO(opcode_name(Body::kOpcode));
    int encoded = 0;
    for (int attempt = 0; attempt < 4000 && encoded < 50; ++attempt) {
      Pdu in;
      Body body;
      Randomizer r{rng};
      Body::fields(body, r);
      in.body = body;
      in.immediate = !sent_by_target(Body::kOpcode) && (rng() & 1);
      in.ahs.resize(4 * (rng() % 3 == 0 ? rng() % 3 : 0));
      in.data.resize(rng() % 2 ? rng() % 41 : 0);
      for (auto& b : in.ahs) b = uint8_t(rng());
      for (auto& b : in.data) b = uint8_t(rng());
      const ConnParams cp = params(rng() & 1, rng() & 1);
      Bytes wire;
      try {
        wire = encode_pdu(in, cp);
      } catch (const std::invalid_argument&) {
        continue;  // the random fields broke a rule; validation tests cover those
      }
      ++encoded;
      Pdu out;
      REQUIRE(decode_pdu(wire, cp, out) == PduError::None);
      CHECK(out.ahs == in.ahs);
      CHECK(out.data == in.data);
      CHECK(encode_pdu(out, cp) == wire);
      CHECK(wire.size() == layout_of(Bhs::decode(wire.data()), cp).total_len);
      CHECK(wire.size() % 4 == 0);
    }
    CHECK(encoded == 50);
  });
}

// ---------------------------------------------------------------------------------------------
// Validation: each error provoked

TEST_CASE("iscsi: truncation, unknown opcode and over-long data segments", "[iscsi]") {
  CHECK(decode_err(Bytes(kDataInGolden.begin(), kDataInGolden.begin() + 47)) ==
        PduError::Truncated);
  CHECK(decode_err(Bytes(kDataInGolden.begin(), kDataInGolden.end() - 1)) == PduError::Truncated);
  Bytes b = kDataInGolden;
  b[0] = 0x07;
  CHECK(decode_err(b) == PduError::UnknownOpcode);
  CHECK(decode_err(kDataInGolden, params(false, false, 4)) == PduError::DataSegmentTooLong);
  CHECK(decode_err(kDataInGolden, params(false, false, 5)) == PduError::None);
  CHECK_THROWS_AS(encode(golden_data_in_fields(), params(false, false, 4), kHello),
                  std::invalid_argument);
}

TEST_CASE("iscsi: reserved bits and bytes", "[iscsi]") {
  const struct {
    size_t off;
    uint8_t bit;
  } reserved[] = {
      {0, 0x80},   // byte 0 bit 7
      {1, 0x08},   // Data-In flag bits 3..5
      {1, 0x20},
      {2, 0x01},   // byte 2
  };
  for (const auto& r : reserved) {
    Bytes b = kDataInGolden;
    b[r.off] |= r.bit;
    INFO("byte " << r.off << " bit " << int(r.bit));
    CHECK(decode_err(b) == PduError::ReservedNotZero);
  }
  Bytes b = kDataInGolden;
  b[0] |= kImmediateBit;
  CHECK(decode_err(b) == PduError::ImmediateFromTarget);
  b = kLoginReqHeader;
  b[22] = 1;  // reserved after CID
  b[7] = 0;
  CHECK(decode_err(b) == PduError::ReservedNotZero);
  b = kR2tGolden;
  b[1] = 0x81;  // R2T flag bits other than bit 7 are reserved
  CHECK(decode_err(b) == PduError::ReservedNotZero);
}

TEST_CASE("iscsi: fixed bits", "[iscsi]") {
  Bytes b = kR2tGolden;
  b[1] = 0x00;
  CHECK(decode_err(b) == PduError::FixedBitClear);
  b = kLoginReqHeader;
  b[0] = 0x03;  // Login Request without its I bit
  b[7] = 0;
  CHECK(decode_err(b) == PduError::FixedBitClear);
}

TEST_CASE("iscsi: AHS and data where the opcode allows none", "[iscsi]") {
  Bytes b = cat(kR2tGolden, Bytes(4, 0));
  b[4] = 1;
  CHECK(decode_err(b) == PduError::AhsNotAllowed);
  b[4] = 0;
  b[7] = 4;
  CHECK(decode_err(b) == PduError::DataNotAllowed);
  Pdu p;
  p.body = LogoutResp{};
  p.data = {1, 2, 3, 4};
  CHECK_THROWS_AS(encode_pdu(p, {}), std::invalid_argument);
}

TEST_CASE("iscsi: task PDUs may not use the reserved tag", "[iscsi]") {
  Bytes b = kDataInGolden;
  std::fill(b.begin() + 16, b.begin() + 20, 0xFF);
  CHECK(decode_err(b) == PduError::ReservedTag);
  NopIn n;  // an unsolicited NOP-In legitimately has ITT 0xFFFFFFFF
  CHECK(decode_err(encode(n, {})) == PduError::None);
}

TEST_CASE("iscsi: Data-In status rules", "[iscsi]") {
  Bytes b = kDataInGolden;
  b[1] = 0x01;  // S without F
  CHECK(decode_err(b) == PduError::StatusWithoutFinal);
  for (const auto& [off, value] : std::vector<std::pair<size_t, uint8_t>>{
           {1, 0x82},  // F|U without S
           {1, 0x84},  // F|O without S
           {3, 0x02},  // a status byte without S
           {47, 0x01},  // a residual count without S
       }) {
    b = kDataInGolden;
    b[1] = 0x80;
    b[off] = off == 1 ? value : uint8_t(b[off] | value);
    INFO("byte " << off);
    CHECK(decode_err(b) == PduError::StatusFieldsWithoutS);
  }
  // StatSN without S is tolerated (LIO sends 0xFFFFFFFF there).
  b = kDataInGolden;
  b[1] = 0x00;
  std::fill(b.begin() + 24, b.begin() + 28, 0xFF);
  CHECK(decode_err(b) == PduError::None);

  DataIn d = golden_data_in_fields();
  d.final = false;
  CHECK_THROWS_AS(encode(d, {}, kHello), std::invalid_argument);
}

TEST_CASE("iscsi: a Data-In buffer offset may not wrap at 2^32", "[iscsi]") {
  Bytes b = kDataInGolden;  // 5 data bytes
  std::fill(b.begin() + 40, b.begin() + 44, 0xFF);
  b[43] = 0xFB;  // 0xFFFFFFFB + 5 = 2^32: one byte past the largest transfer length
  CHECK(decode_err(b) == PduError::BufferOffsetOverflow);
  b[43] = 0xFA;  // ends at 2^32 - 1
  CHECK(decode_err(b) == PduError::None);
}

TEST_CASE("iscsi: login and text stage and continue rules", "[iscsi]") {
  Bytes b = login_req_golden();
  b[1] = 0xC7;  // T and C
  CHECK(decode_err(b) == PduError::ContinueWithFinal);
  b[1] = 0x8B;  // CSG 2
  CHECK(decode_err(b) == PduError::BadLoginStage);
  b[1] = 0x86;  // NSG 2
  CHECK(decode_err(b) == PduError::BadLoginStage);
  b[1] = 0x8F;  // CSG 3: a login PDU is never in full-feature phase
  CHECK(decode_err(b) == PduError::BadLoginStage);
  b[1] = 0x47;  // C alone: the text continues in the next PDU
  CHECK(decode_err(b) == PduError::None);

  TextResp t;
  t.cont = true;
  CHECK_THROWS_AS(encode(t, {}), std::invalid_argument);  // F and C
  t.final = false;
  CHECK(decode_err(encode(t, {})) == PduError::None);
}

TEST_CASE("iscsi: digest errors", "[iscsi]") {
  const Bytes good = encode(golden_data_in_fields(), params(true, true), kHello);
  Bytes b = good;
  b[48] ^= 1;  // header digest
  CHECK(decode_err(b, params(true, true)) == PduError::BadHeaderDigest);
  b = good;
  b[10] ^= 1;  // a header byte: the digest catches it before the field checks
  CHECK(decode_err(b, params(true, true)) == PduError::BadHeaderDigest);
  b = good;
  b[52] ^= 1;  // data
  CHECK(decode_err(b, params(true, true)) == PduError::BadDataDigest);
  b = good;
  b[58] = 1;  // a pad byte: covered by the data digest
  CHECK(decode_err(b, params(true, true)) == PduError::BadDataDigest);
  b = good;
  b.back() ^= 1;
  CHECK(decode_err(b, params(true, true)) == PduError::BadDataDigest);
  Pdu p;
  CHECK(decode_pdu(b, params(true, true), p, false) == PduError::None);  // not verified
}

// ---------------------------------------------------------------------------------------------
// Stream decoding

namespace {

struct Stream {
  Bytes bytes;
  void add(const Bytes& b) { bytes.insert(bytes.end(), b.begin(), b.end()); }
};

// A login that ends in full-feature phase, then a read's Data-In PDUs as tgtd sends them:
// DataSN from 0, offsets in order, F and S only on the last.
Stream target_stream(const ConnParams& ff, const Bytes& read_data, size_t seg) {
  Stream s;
  LoginResp first;
  first.transit = true;
  first.csg = kSecurityNegotiation;
  first.nsg = kLoginOperationalNegotiation;
  const std::string t1("AuthMethod=None", 16);  // with its NUL
  s.add(encode(first, {}, Bytes(t1.begin(), t1.end())));
  const std::string t2("HeaderDigest=CRC32C", 20);
  s.add(encode(final_login_resp(), {}, Bytes(t2.begin(), t2.end())));
  for (size_t off = 0, sn = 0; off < read_data.size(); off += seg, ++sn) {
    DataIn d;
    d.itt = 1;
    d.datasn = uint32_t(sn);
    d.buffer_offset = uint32_t(off);
    const size_t n = std::min(seg, read_data.size() - off);
    d.final = d.has_status = off + n == read_data.size();
    s.add(encode(d, ff, Bytes(read_data.begin() + off, read_data.begin() + off + n)));
  }
  return s;
}

}  // namespace

TEST_CASE("iscsi: StreamDecoder switches digests on after the final login response", "[iscsi]") {
  const ConnParams ff = params(true, true, 8192);
  Bytes data(20000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7);
  const Stream s = target_stream(ff, data, 8192);

  for (size_t chunk : {size_t(1), size_t(3), size_t(47), size_t(1000), s.bytes.size()}) {
    INFO("chunk " << chunk);
    StreamDecoder dec(ff);
    std::vector<Pdu> pdus;
    for (size_t off = 0; off < s.bytes.size(); off += chunk) {
      dec.feed(ByteView(s.bytes).sub(off, std::min(chunk, s.bytes.size() - off)));
      Pdu p;
      PduError e;
      while (dec.next(p, e)) {
        REQUIRE(e == PduError::None);
        pdus.push_back(p);
      }
    }
    CHECK_FALSE(dec.failed());
    CHECK_FALSE(dec.in_login());
    CHECK(dec.buffered() == 0);
    CHECK(dec.consumed() == s.bytes.size());
    REQUIRE(pdus.size() == 5);
    Bytes placed(data.size());
    for (size_t i = 2; i < pdus.size(); ++i) {
      const DataIn& d = std::get<DataIn>(pdus[i].body);
      CHECK(d.datasn == i - 2);
      CHECK(d.final == (i == 4));
      CHECK(pdus[i].hdgst != 0);
      std::copy(pdus[i].data.begin(), pdus[i].data.end(), placed.begin() + d.buffer_offset);
    }
    CHECK(placed == data);
  }
}

TEST_CASE("iscsi: StreamDecoder login-phase limits and late parameters", "[iscsi]") {
  // Data-In segments above the initiator's declared limit break framing.
  const Stream s = target_stream(params(false, false), Bytes(9000, 1), 9000);
  StreamDecoder dec(params(false, false, 8192));
  dec.feed(s.bytes);
  Pdu p;
  PduError e;
  REQUIRE(dec.next(p, e));
  REQUIRE(dec.next(p, e));
  CHECK(dec.in_login());  // the next PDU decides
  REQUIRE(dec.next(p, e));
  CHECK(e == PduError::DataSegmentTooLong);
  CHECK(dec.failed());
  CHECK_FALSE(dec.next(p, e));

  // Parameters learnt from the login text, set before the first full-feature PDU.
  StreamDecoder late;
  late.feed(target_stream(params(true, false), Bytes(100, 2), 64).bytes);
  int n = 0;
  while (late.next(p, e)) {
    REQUIRE(e == PduError::None);
    if (++n == 2) late.set_full_feature_params(params(true, false));
  }
  CHECK(n == 4);
  CHECK(late.current_params().hdgst);

  // Login text above 8192 bytes is refused while logging in.
  LoginResp big = final_login_resp();
  StreamDecoder login;
  login.feed(encode(big, {}, Bytes(8196, 'a')));
  REQUIRE(login.next(p, e));
  CHECK(e == PduError::DataSegmentTooLong);
}

TEST_CASE("iscsi: StreamDecoder in the initiator's direction", "[iscsi]") {
  const ConnParams ff = params(true, false);
  const Bytes text(kLoginText.begin(), kLoginText.end());
  Stream s;
  s.add(encode(login_req_fields(), {}, text, true));
  s.add(encode(login_req_fields(), {}, text, true));  // a retry: still login
  ScsiCommand c;
  c.read = true;
  c.itt = 3;
  c.expected_length = 512;
  c.cdb = make_read10(0, 1);
  s.add(encode(c, ff));

  StreamDecoder dec(ff);
  dec.feed(s.bytes);
  Pdu p;
  PduError e;
  std::vector<Opcode> ops;
  while (dec.next(p, e)) {
    REQUIRE(e == PduError::None);
    ops.push_back(opcode_of(p.body));
  }
  CHECK(ops == std::vector<Opcode>{Opcode::LoginReq, Opcode::LoginReq, Opcode::ScsiCommand});
  CHECK(dec.consumed() == s.bytes.size());
}

TEST_CASE("iscsi: StreamDecoder keeps framing after per-PDU errors", "[iscsi]") {
  const ConnParams ff = params(true, true);
  Bytes bad_data = encode(golden_data_in_fields(), ff, kHello);
  bad_data[52] ^= 1;
  Bytes bad_field = encode(NopIn{}, ff);
  bad_field[2] = 1;  // reserved
  const uint32_t hd = crc_bitwise(bad_field.data(), 48);
  std::copy_n(le32(hd).begin(), 4, bad_field.begin() + 48);
  const Bytes good = encode(golden_data_in_fields(), ff, kHello);

  StreamDecoder dec(ff, false);
  dec.feed(cat(cat(bad_data, bad_field), good));
  Pdu p;
  PduError e;
  REQUIRE(dec.next(p, e));
  CHECK(e == PduError::BadDataDigest);
  REQUIRE(dec.next(p, e));
  CHECK(e == PduError::ReservedNotZero);
  REQUIRE(dec.next(p, e));
  CHECK(e == PduError::None);
  CHECK_FALSE(dec.failed());

  // A bad header digest leaves the length untrusted: the stream stops.
  Bytes bad_header = good;
  bad_header[48] ^= 1;
  StreamDecoder stop(ff, false);
  stop.feed(cat(bad_header, good));
  REQUIRE(stop.next(p, e));
  CHECK(e == PduError::BadHeaderDigest);
  CHECK(stop.failed());
  CHECK_FALSE(stop.next(p, e));
}
