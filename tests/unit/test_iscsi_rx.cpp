// IscsiRx: the host receive path with iSCSI target PDUs. Golden values come from the bytes the
// test sent, the bitwise CRC32C oracle and numbers worked out by hand, never from IscsiRx.
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "crc_oracle.hpp"
#include "iscsi_samples.hpp"
#include "host_driver/iscsi/iscsi_rx.hpp"
#include "proto/iscsi.hpp"
#include "ulp_rx_rig.hpp"

using namespace nic;
using namespace nic::host;
using namespace nic::iscsi;
using nic::testing::PduAt;
using Host = nic::testing::RxHost<IscsiRx>;

namespace {

enum class End { None, Final, Status };  // a Data-In: more to come, F only, F and S

uint32_t pad_of(uint32_t n) { return (4 - n % 4) % 4; }

// A target->initiator stream built with encode_pdu.
struct Stream : nic::testing::PduStream {
  explicit Stream(const ConnParams& c) : cp(c) {}
  ConnParams cp;
  std::map<uint32_t, uint32_t> datasn;

  void add_bytes(const Bytes& b) {
    PduAt p;
    const Bhs h = Bhs::decode(b.data());
    if (h.opcode == Opcode::DataIn) {
      p.data = true;
      p.data_off = 48 + (cp.hdgst ? 4 : 0);
      p.data_len = h.data_length;
      p.tag = h.itt;
      p.buf_off = ld_be32(&b[40]);
    }
    push(b, p);
  }
  void add(PduBody body, ByteView data = {}) {
    Pdu p;
    p.body = std::move(body);
    p.data.assign(data.begin(), data.end());
    add_bytes(encode_pdu(p, cp));
  }
  void data_in(uint32_t itt, uint32_t off, ByteView d, End end = End::None, uint8_t status = 0) {
    DataIn in;
    in.itt = itt;
    in.buffer_offset = off;
    in.datasn = datasn[itt]++;
    in.final = end != End::None;
    in.has_status = end == End::Status;
    in.status = in.has_status ? status : 0;
    add(in, d);
  }
  void response(uint32_t itt, uint8_t resp, uint8_t status, ByteView sense = {}) {
    ScsiResponse r;
    r.itt = itt;
    r.response = resp;
    r.status = status;
    r.expdatasn = datasn[itt];
    add(r, sense);
  }
  // Stream offsets of PDU i's pad and data digest (hand layout: BHS, digest, data, pad, digest).
  uint64_t pad_at(size_t i) const { return pdus[i].data_off + pdus[i].data_len; }
  uint64_t digest_at(size_t i) const { return pad_at(i) + pad_of(pdus[i].data_len); }
  uint64_t end_of(size_t i) const { return pdus[i].start + pdus[i].plen; }
};

using iscsi_samples::params;
const ConnParams kAllDigests[] = {params(false, false), params(true, false), params(false, true),
                                  params(true, true)};

struct Task {
  uint32_t itt;
  Bytes data;
  uint32_t pdu;  // data bytes per Data-In
};

// Three reads whose lengths and Data-In sizes give pads of 1, 2 and 3:
// 1001 = 3 x 333 + 2; 2502 = 4 x 501 + 498; 4095 = 4 x 1022 + 7.
std::vector<Task> sample_tasks(uint64_t seed) {
  std::mt19937_64 rng(seed);
  return {{0x80000001u, nic::testing::random_bytes(rng, 1001), 333},
          {0x80000002u, nic::testing::random_bytes(rng, 2502), 501},
          {0xC0000010u, nic::testing::random_bytes(rng, 4095), 1022}};
}
constexpr size_t kSampleDataIns = 4 + 5 + 5;

// Data-Ins of `tasks` round robin; each read's last one has S with GOOD.
void interleave(Stream& s, const std::vector<Task>& tasks) {
  std::vector<uint32_t> sent(tasks.size(), 0);
  for (bool more = true; more;) {
    more = false;
    for (size_t t = 0; t < tasks.size(); ++t) {
      const Task& k = tasks[t];
      if (sent[t] == k.data.size()) continue;
      const uint32_t n = std::min<uint32_t>(k.pdu, uint32_t(k.data.size()) - sent[t]);
      const bool last = sent[t] + n == k.data.size();
      s.data_in(k.itt, sent[t], ByteView(k.data).sub(sent[t], n), last ? End::Status : End::None);
      sent[t] += n;
      more = true;
    }
  }
}

void add_tasks(Host& h, const std::vector<Task>& tasks) {
  for (const Task& k : tasks) h.add(k.itt, uint32_t(k.data.size()), k.itt + 1ull);
}

// Packets cut at every part of every PDU: header (BHS + header digest), data, pad, digest.
enum class Part { Header, Data, Pad, Digest, Control };
struct Piece {
  size_t pdu;
  Part part;
  uint64_t off;
  uint32_t len;
};
std::vector<Piece> pieces(const Stream& s) {
  std::vector<Piece> out;
  for (size_t i = 0; i < s.pdus.size(); ++i) {
    const PduAt& p = s.pdus[i];
    if (!p.data) {
      out.push_back({i, Part::Control, p.start, p.plen});
      continue;
    }
    const uint64_t cuts[] = {p.start, p.data_off, s.pad_at(i), s.digest_at(i), s.end_of(i)};
    const Part parts[] = {Part::Header, Part::Data, Part::Pad, Part::Digest};
    for (int k = 0; k < 4; ++k)
      if (cuts[k + 1] > cuts[k]) out.push_back({i, parts[k], cuts[k], uint32_t(cuts[k + 1] - cuts[k])});
  }
  return out;
}

RangeAttrs one_range(uint32_t len, bool crc_ok = false) { return {{len, false, crc_ok, 0, 0, 0}}; }
RangeAttrs placed_range(uint32_t len, uint32_t tag, uint32_t buf_off, bool crc_ok = false) {
  return {{len, true, crc_ok, tag, buf_off, tag + 1ull}};
}

}  // namespace

TEST_CASE("iscsirx: the oracle and encode_pdu agree that the data digest covers the pad",
          "[iscsirx]") {
  const Bytes zeros(32, 0);
  CHECK(oracle::crc_bitwise(zeros.data(), 32) == 0x8A9136AAu);  // RFC 3720 B.4: aa 36 91 8a
  Stream s(params(true, true));
  const Bytes d = {1, 2, 3, 4, 5};
  s.data_in(0x80000001u, 0, d, End::Status);
  REQUIRE(s.bytes.size() == 48 + 4 + 5 + 3 + 4);
  const uint8_t* b = s.bytes.data();
  CHECK(ld_le32(b + 48) == oracle::crc_bitwise(b, 48));
  CHECK(ld_le32(b + 60) == oracle::crc_bitwise(b + 52, 8));  // data and pad
}

TEST_CASE("iscsirx: interleaved Data-Ins in packets of any size give byte-exact buffers",
          "[iscsirx]") {
  const auto tasks = sample_tasks(11);
  for (const ConnParams& cp : kAllDigests) {
    Stream s(cp);
    interleave(s, tasks);
    REQUIRE(s.pdus.size() == kSampleDataIns);
    for (uint32_t mss : {1u, 2u, 3u, 5u, 47u, 52u, 333u, 1448u, uint32_t(s.bytes.size())}) {
      INFO("hdgst " << cp.hdgst << " ddgst " << cp.ddgst << " mss " << mss);
      Host h(cp, 0xFFFFF000u);  // the stream crosses the sequence wrap
      add_tasks(h, tasks);
      h.send_all(s, mss, false, false);
      REQUIRE(h.done.size() == 3);
      for (const Task& k : tasks) {
        const CmdResult& r = h.done.at(k.itt);
        CHECK(to_string(r.status) == std::string("ok"));
        CHECK(h.io.buf[k.itt] == k.data);
        CHECK(r.length == k.data.size());
        CHECK(r.copied_bytes == k.data.size());
        CHECK(r.placed_bytes == 0);
        CHECK(r.ulp_status == 0);
        CHECK(to_string(r.crc) == std::string(cp.ddgst ? "sw" : "none"));
      }
      // Each read completes on its last Data-In: 1001 first, then 2502, then 4095.
      CHECK(h.order == std::vector<uint32_t>{0x80000001u, 0x80000002u, 0xC0000010u});
      const RxStats& st = h.rx.stats();
      CHECK(st.pdus == kSampleDataIns);
      CHECK(st.data_pdus == kSampleDataIns);
      CHECK(st.sw_crc_pdus == (cp.ddgst ? kSampleDataIns : 0));
      CHECK(st.sw_crc_bytes == (cp.ddgst ? 1001 + 2502 + 4095 : 0));
      CHECK(st.copied_bytes == 1001 + 2502 + 4095);
      CHECK(h.io.written == 1001 + 2502 + 4095);
      CHECK(!h.rx.failed());
      CHECK(h.rx.at_pdu_boundary());
      CHECK(h.rx.next_seq() == 0xFFFFF000u + uint32_t(s.bytes.size()));
    }
  }
}

TEST_CASE("iscsirx: NIC placement and CRC-ok marks", "[iscsirx]") {
  const auto tasks = sample_tasks(12);
  Stream s(params(true, true));
  interleave(s, tasks);
  const auto parts = pieces(s);

  // Every data part placed whole, marks as `ok` says per piece.
  auto run = [&](Host& h, auto ok) {
    add_tasks(h, tasks);
    for (const Piece& p : parts) h.packet(s, p.off, p.len, p.part == Part::Data, ok(p));
  };

  SECTION("all placed, every packet CRC-ok: nothing copied, no software CRC") {
    Host h(s.cp, 7);
    run(h, [](const Piece&) { return true; });
    for (const Task& k : tasks) {
      const CmdResult& r = h.done.at(k.itt);
      CHECK(r.status == CmdStatus::Ok);
      CHECK(r.crc == CrcMode::Hw);
      CHECK(r.placed_bytes == k.data.size());
      CHECK(r.copied_bytes == 0);
      CHECK(h.io.buf[k.itt] == k.data);
    }
    CHECK(h.io.written == 0);
    CHECK(h.io.reads == 0);
    CHECK(h.rx.stats().hw_crc_pdus == kSampleDataIns);
    CHECK(h.rx.stats().sw_crc_pdus == 0);
    CHECK(h.rx.stats().placed_bytes == 1001 + 2502 + 4095);
  }
  // PDU 1 is task 2's first Data-In: 501 bytes, pad 3.
  for (const Part unmarked : {Part::Pad, Part::Digest}) {
    DYNAMIC_SECTION("the packet with only PDU 1's " << (unmarked == Part::Pad ? "pad" : "digest")
                                                    << " not CRC-ok: software check") {
      Host h(s.cp, 7);
      run(h, [&](const Piece& p) { return !(p.pdu == 1 && p.part == unmarked); });
      const CmdResult& r = h.done.at(0x80000002u);
      CHECK(r.status == CmdStatus::Ok);
      CHECK(r.crc == CrcMode::Sw);
      CHECK(h.done.at(0x80000001u).crc == CrcMode::Hw);
      CHECK(h.done.at(0xC0000010u).crc == CrcMode::Hw);
      CHECK(h.rx.stats().sw_crc_pdus == 1);
      CHECK(h.rx.stats().sw_crc_bytes == 501);
      CHECK(h.io.reads > 0);
      CHECK(h.io.written == 0);
    }
  }
  SECTION("MSS-sized packets, each placing one run: placed + copied = length") {
    Host h(s.cp, 7);
    add_tasks(h, tasks);
    h.send_all(s, 700, true, false);
    uint64_t placed = 0;
    for (const Task& k : tasks) {
      const CmdResult& r = h.done.at(k.itt);
      CHECK(r.status == CmdStatus::Ok);
      CHECK(r.crc == CrcMode::Sw);
      CHECK(r.placed_bytes + r.copied_bytes == k.data.size());
      CHECK(h.io.buf[k.itt] == k.data);
      placed += r.placed_bytes;
    }
    CHECK(placed > 0);
    CHECK(h.io.written == 1001 + 2502 + 4095 - placed);
  }
}

// The placed bytes are the NIC's: IscsiRx must neither write them nor check the payload's copy.
TEST_CASE("iscsirx: placed bytes are left alone and the digest is checked over the buffer",
          "[iscsirx]") {
  for (const ConnParams& cp : kAllDigests) {
    INFO("hdgst " << cp.hdgst << " ddgst " << cp.ddgst);
    Bytes d(1003);
    for (size_t i = 0; i < d.size(); ++i) d[i] = uint8_t(i * 31 + 7);
    Stream s(cp);
    s.data_in(0x80000005u, 0, d, End::Status);
    const PduAt& p = s.pdus[0];
    Host h(cp, 1000);
    h.add(0x80000005u, 1003, 0x80000006u);
    // The NIC placed data bytes [100, 900): in the buffer; the payload there is garbage.
    std::copy(d.begin() + 100, d.begin() + 900, h.io.buf[0x80000005u].begin() + 100);
    Bytes payload = s.bytes;
    std::fill(payload.begin() + long(p.data_off + 100), payload.begin() + long(p.data_off + 900), 0);
    const uint32_t head = uint32_t(p.data_off + 100), tail = uint32_t(s.bytes.size()) - head - 800;
    RangeAttrs a = one_range(head);
    a.push_back(placed_range(800, 0x80000005u, 100)[0]);
    a.push_back(one_range(tail)[0]);
    h.tcp.on_segment(1000, payload, a);
    const CmdResult& r = h.done.at(0x80000005u);
    CHECK(r.status == CmdStatus::Ok);
    CHECK(h.io.buf[0x80000005u] == d);
    CHECK(r.placed_bytes == 800);
    CHECK(r.copied_bytes == 203);
    CHECK(h.io.written == 203);
    CHECK(r.crc == (cp.ddgst ? CrcMode::Sw : CrcMode::None));
  }
}

TEST_CASE("iscsirx: the data digest covers the pad, only the corrupted task fails", "[iscsirx]") {
  for (bool hd : {false, true}) {
    INFO("hdgst " << hd);
    Stream s(params(hd, true));
    const Bytes d(401, 0x5C);  // pad 3
    const uint32_t itts[] = {0x80000001u, 0x80000002u, 0x80000003u, 0x80000004u};
    for (uint32_t itt : itts) s.data_in(itt, 0, d, End::Status);
    s.bytes[s.pad_at(0) + 2] = 0x01;        // a pad byte of task 1
    s.bytes[s.pdus[1].data_off + 7] ^= 0x80;  // a data byte of task 2
    s.bytes[s.digest_at(2) + 3] ^= 0x10;    // the digest of task 3
    for (uint32_t mss : {1u, 64u, 9000u}) {
      Host h(s.cp, 3);
      for (uint32_t itt : itts) h.add(itt, 401, itt);
      h.send_all(s, mss, false, false);
      CHECK(to_string(h.done.at(itts[0]).status) == std::string("digest_error"));
      CHECK(h.io.buf[itts[0]] == d);  // the data itself was intact
      CHECK(h.done.at(itts[1]).status == CmdStatus::DigestError);
      CHECK(h.done.at(itts[2]).status == CmdStatus::DigestError);
      CHECK(h.io.buf[itts[2]] == d);
      CHECK(h.done.at(itts[3]).status == CmdStatus::Ok);
      CHECK(h.io.buf[itts[3]] == d);
      CHECK(h.rx.stats().digest_errors == 3);
      CHECK(!h.rx.failed());
    }
  }
}

TEST_CASE("iscsirx: status in a separate SCSI Response", "[iscsirx]") {
  for (const ConnParams& cp : kAllDigests) {
    INFO("hdgst " << cp.hdgst << " ddgst " << cp.ddgst);
    Stream s(cp);
    const Bytes d(300, 0x21);
    // Fixed-format sense (SenseLength 18, then sense key ILLEGAL REQUEST): 20 bytes.
    Bytes sense(20, 0);
    sense[1] = 18;
    sense[2] = 0x70;
    sense[4] = 0x05;
    s.data_in(0x80000001u, 0, ByteView(d).sub(0, 150));
    s.data_in(0x80000001u, 150, ByteView(d).sub(150), End::Final);
    s.data_in(0x80000002u, 0, ByteView(d).sub(0, 299), End::Final);
    s.data_in(0x80000003u, 0, ByteView(d).sub(0, 10), End::Final);
    const uint64_t first_resp = s.bytes.size();
    s.response(0x80000001u, 0, 0);
    s.response(0x80000002u, 0, 0x02, sense);  // CHECK CONDITION
    s.response(0x80000003u, 0x01, 0);         // target failure
    Host h(cp, 0x7FFFFFF0u);
    h.add(0x80000001u, 300, 1);
    h.add(0x80000002u, 299, 2);
    h.add(0x80000003u, 10, 3);
    for (uint64_t off = 0; off < first_resp; off += 97)
      h.packet(s, off, uint32_t(std::min<uint64_t>(97, first_resp - off)), false, false);
    CHECK(h.done.empty());  // F without S completes nothing
    for (uint64_t off = first_resp; off < s.bytes.size(); off += 5)
      h.packet(s, off, uint32_t(std::min<uint64_t>(5, s.bytes.size() - off)), false, false);
    REQUIRE(h.done.size() == 3);
    const CmdResult& good = h.done.at(0x80000001u);
    CHECK(good.status == CmdStatus::Ok);
    CHECK(h.io.buf[0x80000001u] == d);
    const CmdResult& cc = h.done.at(0x80000002u);
    CHECK(to_string(cc.status) == std::string("scsi_error"));
    CHECK(cc.ulp_status == 2);
    CHECK(h.io.buf[0x80000002u] == Bytes(299, 0x21));
    CHECK(h.done.at(0x80000003u).status == CmdStatus::ScsiError);
    CHECK(h.done.at(0x80000003u).ulp_status == 0x0100);
    CHECK(h.rx.stats().data_pdus == 4);
    CHECK(h.rx.stats().pdus == 7);
  }
}

// Bytes the NIC placed where the parse does not put them fail the read they landed in, even
// when the digest fails too; the read whose PDU carried them is not hurt.
TEST_CASE("iscsirx: placed ranges on pad, digest or another task's data are misplaced",
          "[iscsirx][integrity]") {
  const uint32_t A = 0x80000001u, B = 0x80000002u;
  Bytes da(401), db(200);
  for (size_t i = 0; i < da.size(); ++i) da[i] = uint8_t(i + 1);
  for (size_t i = 0; i < db.size(); ++i) db[i] = uint8_t(0xA0 ^ i);
  Stream s(params(true, true));
  s.data_in(A, 0, da, End::Final);   // pad 3; A stays open until its response
  s.data_in(B, 0, db, End::Status);  // no pad
  s.response(A, 0, 0);
  const uint32_t pad_at = uint32_t(s.pad_at(0)), dg_at = uint32_t(s.digest_at(0));
  auto start = [&](Host& h) {
    h.add(A, 401, A + 1ull);
    h.add(B, 200, B + 1ull);
    h.tcp.on_segment(0, ByteView(s.bytes).sub(0, pad_at), one_range(pad_at));
  };
  SECTION("on the pad, after the NIC wrote it over the data: misplaced beats the digest error") {
    Host h(s.cp, 0);
    start(h);
    std::fill(h.io.buf[A].begin(), h.io.buf[A].begin() + 3, 0);  // the pad, at offset 0
    RangeAttrs a = placed_range(3, A, 0);
    a.push_back(one_range(uint32_t(s.bytes.size()) - dg_at)[0]);
    h.tcp.on_segment(pad_at, ByteView(s.bytes).sub(pad_at), a);
    CHECK(to_string(h.done.at(A).status) == std::string("misplaced_data"));
    CHECK(h.rx.stats().digest_errors == 1);
    CHECK(h.rx.stats().misplaced_bytes == 3);
    CHECK(h.done.at(B).status == CmdStatus::Ok);
  }
  SECTION("on the digest") {
    Host h(s.cp, 0);
    start(h);
    RangeAttrs a = one_range(3);
    a.push_back(placed_range(4, A, 397)[0]);
    a.push_back(one_range(uint32_t(s.bytes.size()) - dg_at - 4)[0]);
    h.tcp.on_segment(pad_at, ByteView(s.bytes).sub(pad_at), a);
    CHECK(h.done.at(A).status == CmdStatus::Misplaced);
    CHECK(h.rx.stats().misplaced_bytes == 4);
    CHECK(h.done.at(B).status == CmdStatus::Ok);
  }
  SECTION("on another task's data: that task's buffer is hit, the sender's data is copied") {
    Host h(s.cp, 0);
    start(h);
    const uint32_t b_data = uint32_t(s.pdus[1].data_off);
    std::copy(db.begin(), db.end(), h.io.buf[A].begin() + 100);  // B's data into A's buffer
    RangeAttrs a = one_range(b_data - pad_at);
    a.push_back(placed_range(200, A, 100)[0]);
    a.push_back(one_range(uint32_t(s.bytes.size()) - b_data - 200)[0]);
    h.tcp.on_segment(pad_at, ByteView(s.bytes).sub(pad_at), a);
    CHECK(h.done.at(A).status == CmdStatus::Misplaced);
    CHECK(h.done.at(B).status == CmdStatus::Ok);
    CHECK(h.io.buf[B] == db);
    CHECK(h.done.at(B).copied_bytes == 200);
    CHECK(h.rx.stats().misplaced_reads == 1);
  }
}

TEST_CASE("iscsirx: a bad header digest or an over-long data segment ends the connection",
          "[iscsirx]") {
  const Bytes d(64, 0x33);
  for (int kind = 0; kind < 3; ++kind) {
    INFO("kind " << kind);
    Stream s(params(true, kind == 2, 8192));
    s.data_in(0x80000001u, 0, d, End::Status);
    const size_t bad = s.bytes.size();
    if (kind == 0) {
      s.data_in(0x80000002u, 0, d, End::Status);
      s.bytes[bad + 39] ^= 0x01;  // DataSN: the header digest no longer matches
    } else if (kind == 1) {
      NopIn nop;
      s.add(nop);
      s.bytes[bad + 27] ^= 0x01;  // ExpCmdSN of a PDU read whole
    } else {
      s.data_in(0x80000002u, 0, Bytes(513, 0x44), End::Status);  // over the host's 512
    }
    s.data_in(0x80000003u, 0, d, End::Status);  // never parsed
    Host h(params(true, kind == 2, kind == 2 ? 512 : 8192), 50);
    h.add(0x80000001u, 64);
    h.add(0x80000002u, 513);
    h.add(0x80000003u, 64);
    h.send_all(s, 11, false, false);
    CHECK(h.done.at(0x80000001u).status == CmdStatus::Ok);
    CHECK(h.done.at(0x80000002u).status == CmdStatus::BadPdu);
    CHECK(h.done.at(0x80000003u).status == CmdStatus::BadPdu);
    CHECK(h.io.buf[0x80000003u] == Bytes(64, 0xEE));
    CHECK(h.rx.failed());
    CHECK(h.rx.failure() == CmdStatus::BadPdu);
    CHECK(std::string(to_string(h.rx.failure_error())) ==
          (kind == 2 ? "DataSegmentTooLong" : "BadHeaderDigest"));
    CHECK(h.rx.stats().framing_failures == 1);
    CHECK(!h.rx.add_command(0x80000009u, 10));
  }
}

// A PDU only an initiator sends cannot be framed by the initiator, whatever else is wrong in it.
TEST_CASE("iscsirx: an initiator opcode from the target ends the connection", "[iscsirx]") {
  for (bool reserved_bit : {false, true}) {
    INFO("reserved bit " << reserved_bit);
    Stream s(params(false, false));
    DataOut out;
    out.itt = 0x80000001u;
    s.add(out, Bytes(8, 1));
    if (reserved_bit) s.bytes[2] = 0x01;
    s.data_in(0x80000001u, 0, Bytes(8, 2), End::Status);
    Host h(s.cp, 0);
    h.add(0x80000001u, 8);
    h.send_all(s, 1000, false, false);
    CHECK(h.rx.failed());
    CHECK(h.rx.failure_error() == PduError::UnknownOpcode);
    CHECK(h.done.at(0x80000001u).status == CmdStatus::BadPdu);
  }
}

TEST_CASE("iscsirx: a broken Data-In costs its task only", "[iscsirx]") {
  const uint32_t A = 0x80000001u, B = 0x80000002u;
  Bytes da(1000), db(601);
  for (size_t i = 0; i < da.size(); ++i) da[i] = uint8_t(i * 3);
  for (size_t i = 0; i < db.size(); ++i) db[i] = uint8_t(i * 5 + 1);
  for (const ConnParams& cp : kAllDigests) {
    INFO("hdgst " << cp.hdgst << " ddgst " << cp.ddgst);
    for (int kind = 0; kind < 2; ++kind) {
      INFO("kind " << kind);
      Stream s(cp);
      s.data_in(A, 0, ByteView(da).sub(0, 500));
      s.data_in(B, 0, ByteView(db).sub(0, 301));
      if (kind == 0) {
        // A reserved byte set; the header digest is made right again with the oracle.
        s.data_in(A, 500, ByteView(da).sub(500, 403));
        uint8_t* hdr = &s.bytes[s.pdus.back().start];
        hdr[2] = 0x80;
        if (cp.hdgst) st_le32(hdr + 48, oracle::crc_bitwise(hdr, 48));
      } else {
        s.data_in(A, 900, Bytes(101, 0x77));  // 900 + 101 > 1000
      }
      s.data_in(0x8000BEEFu, 0, Bytes(7, 9), End::Status);  // no such task
      s.data_in(B, 301, ByteView(db).sub(301), End::Status);
      s.data_in(A, 0, ByteView(da).sub(0, 0), End::Status);  // status only
      s.response(0x8000BEEFu, 0, 0);                         // no such task either
      Host h(cp, 0);
      h.add(A, 1000, 1);
      h.add(B, 601, 2);
      h.send_all(s, 37, false, false);
      CHECK(h.done.at(A).status == CmdStatus::BadPdu);
      CHECK(h.done.at(B).status == CmdStatus::Ok);
      CHECK(h.io.buf[B] == db);
      // The skipped Data-In left its bytes untouched.
      const Bytes& a = h.io.buf[A];
      CHECK(Bytes(a.begin(), a.begin() + 500) == Bytes(da.begin(), da.begin() + 500));
      CHECK(Bytes(a.begin() + 500, a.end()) == Bytes(500, 0xEE));
      const RxStats& st = h.rx.stats();
      CHECK(st.rejected_pdus == (kind == 0 ? 1 : 0));
      CHECK(st.overrun_pdus == (kind == 1 ? 1 : 0));
      // The rejected Data-In ended A there: its status PDU then finds no task.
      CHECK(st.unknown_tag_pdus == (kind == 0 ? 3 : 2));
      CHECK(st.pdus == 7);
      CHECK(!h.rx.failed());
      CHECK(h.rx.at_pdu_boundary());
    }
  }
}

TEST_CASE("iscsirx: NOP-In, R2T, Async Message and Reject are read whole and ignored",
          "[iscsirx]") {
  const auto tasks = sample_tasks(13);
  for (const ConnParams& cp : kAllDigests) {
    Stream s(cp);
    s.data_in(tasks[0].itt, 0, ByteView(tasks[0].data).sub(0, 333));
    NopIn ping;
    ping.ttt = 0x1234;
    s.add(ping, Bytes(37, 0x5A));  // ping data, pad 3
    R2t r2t;
    r2t.itt = tasks[1].itt;
    r2t.ttt = 7;
    r2t.desired_length = 4096;
    s.add(r2t);
    s.data_in(tasks[0].itt, 333, ByteView(tasks[0].data).sub(333));
    AsyncMsg am;
    am.event = 1;  // the target asks for a logout
    s.add(am, Bytes(2, 0));
    Reject rj;
    rj.reason = 9;
    s.add(rj, ByteView(s.bytes).sub(0, 48));  // a header it rejects
    s.data_in(tasks[0].itt, 0, ByteView(tasks[0].data).sub(0, 0), End::Status);
    for (uint32_t mss : {1u, 7u, 1448u}) {
      INFO("hdgst " << cp.hdgst << " ddgst " << cp.ddgst << " mss " << mss);
      Host h(cp, 9);
      h.add(tasks[0].itt, 1001);
      h.send_all(s, mss, false, false);
      CHECK(h.done.at(tasks[0].itt).status == CmdStatus::Ok);
      CHECK(h.io.buf[tasks[0].itt] == tasks[0].data);
      CHECK(h.rx.stats().ignored_pdus == 4);
      CHECK(h.rx.stats().pdus == 7);
      CHECK(h.rx.at_pdu_boundary());
      CHECK(!h.rx.failed());
    }
  }
}

TEST_CASE("iscsirx: resync requests: a future Data-In header is confirmed, inside a PDU is not",
          "[iscsirx]") {
  const auto tasks = sample_tasks(14);
  Stream s(params(true, true));
  interleave(s, tasks);
  const uint32_t isn = 0xFFFFFF00u;
  auto hdr = [&](size_t i) { return isn + uint32_t(s.pdus[i].start); };
  Host h(s.cp, isn);
  add_tasks(h, tasks);
  uint64_t at = 0;
  auto upto = [&](uint64_t end) {
    for (; at < end; at += std::min<uint64_t>(500, end - at))
      h.packet(s, at, uint32_t(std::min<uint64_t>(500, end - at)), false, false);
  };
  upto(s.pdus[2].start + 60);     // inside PDU 2, its BHS in
  h.rx.resync_request(hdr(2) + 200);  // inside PDU 2: dropped at once
  CHECK(h.rx.stats().resync_dropped == 1);
  h.rx.resync_request(hdr(5));  // a future Data-In header
  upto(s.pdus[5].start);
  CHECK(h.confirms.empty());
  upto(s.pdus[5].start + 1);
  CHECK(h.confirms == std::vector<uint32_t>{hdr(5)});
  h.rx.resync_request(hdr(7) + 3);  // inside PDU 7, not yet framed: kept, then passed
  upto(s.bytes.size());
  const RxStats& st = h.rx.stats();
  CHECK(h.confirms.size() == 1);
  CHECK(st.resync_requests == 3);
  CHECK(st.resync_confirmed == 1);
  CHECK(st.resync_dropped == 2);
  CHECK(h.done.size() == 3);
}
