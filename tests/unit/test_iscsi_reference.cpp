// The reference decode on iSCSI (tb/check): over the lab's captures of real targets
// (traces/iscsi/: every READ's bytes against the LUN pattern, the reads the manifest names),
// and over streams encoded here with the wire-format library (data digests, interleaved
// Data-In, status apart, CHECK CONDITION, a lost segment, a late join). What each read must
// hold is computed here, from the LUN pattern or the bytes the test sent, never taken from
// the decoder.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "proto/iscsi.hpp"
#include "proto/iscsi_login.hpp"
#include "proto/net.hpp"
#include "tb/check/trace_reference.hpp"
#include "tb/pcap/pcap_io.hpp"
#include "tests/common/iscsi_capture.hpp"

using namespace nic;

namespace {

constexpr uint16_t kIscsiPort = 3260;

struct Decoded {
  std::vector<check::ReferenceCommand> reads;  // in the order handed on
  std::vector<check::NotFollowed> not_followed;
};

check::ReferenceDecoder::Done keep(Decoded& d) {
  return [&d](check::ReferenceCommand& c) { d.reads.push_back(c); };
}

// The one connection not followed, an iSCSI one on iSCSI's port, and why.
check::NotFollowed only_not_followed(const Decoded& d, check::NotFollowed::Why why) {
  REQUIRE(d.not_followed.size() == 1);
  const check::NotFollowed& n = d.not_followed[0];
  CHECK(n.why == why);
  CHECK(n.iscsi);
  CHECK(n.port == kIscsiPort);
  return n;
}

// ---- the lab's captures ----

// The lab captured on loopback, where TCP checksums are never finished: they are fixed, as
// `nicsim replay --fix-checksums` does, before the decoder sees the frames.
Decoded decode_capture(const std::filesystem::path& pcap, bool listed = true) {
  Decoded d;
  check::ReferenceDecoder ref(keep(d));  // NVMe/TCP's default port, and iSCSI's when listed
  if (listed) ref.set_iscsi_ports({{kIscsiPort}});
  pcap::Reader r(pcap.string());
  pcap::Packet p;
  while (r.next(p)) {
    net::fix_checksums(p.data);
    ref.add(ByteView(p.data), p.orig_len);
  }
  ref.finish();
  d.not_followed = ref.not_followed();
  return d;
}

TEST_CASE("iscsi reference: every READ of the real captures holds the LUN pattern, status GOOD", "[reference][iscsi]") {
  size_t captures = 0;
  for (const auto& entry : std::filesystem::directory_iterator(iscsi_capture::trace_dir())) {
    if (entry.path().extension() != ".pcap") continue;
    ++captures;
    INFO(entry.path().filename().string());
    // Which ITT reads which LBA, from the initiator's commands decoded apart.
    const iscsi_capture::Session s = iscsi_capture::decode_session(iscsi_capture::read_capture(entry.path()));
    const auto manifest = iscsi_capture::manifest_reads(entry.path());
    REQUIRE(iscsi_capture::reads_seen(s.ini) == manifest);

    const Decoded d = decode_capture(entry.path());
    CHECK(d.not_followed.empty());
    REQUIRE(d.reads.size() == manifest.size());
    for (size_t i = 0; i < d.reads.size(); ++i) {
      const check::ReferenceCommand& c = d.reads[i];
      INFO("itt " << c.tag << " order " << c.order);
      CHECK(c.iscsi);
      CHECK(c.flow.rfind("127.0.0.1:", 0) == 0);
      REQUIRE(s.ini.reads.count(c.tag) == 1);
      const iscsi::ReadCdb rd = s.ini.reads.at(c.tag);
      CHECK(c.length == rd.blocks * 512u);
      CHECK(c.completed);
      CHECK(c.status == 0);
      CHECK(c.problem.empty());
      CHECK_FALSE(c.digest_error);
      CHECK(c.bytes_covered == c.length);
      REQUIRE(c.data.size() == c.length);
      CHECK(iscsi_capture::lun_mismatches(c.data, rd.lba * 512) == 0);
    }
    // Orders are the reads' places on the wire: 0..n-1, each once.
    std::vector<bool> seen(d.reads.size());
    for (const auto& c : d.reads)
      if (c.order < seen.size()) seen[c.order] = true;
    CHECK(std::count(seen.begin(), seen.end(), true) == long(d.reads.size()));
  }
  CHECK(captures >= 7);  // the captures of traces/iscsi (traces/README.md), none skipped
}

TEST_CASE("iscsi reference: without the iSCSI port the capture's connection is named, with its reads", "[reference][iscsi]") {
  const auto pcap = iscsi_capture::trace_dir() / "iscsi_tgt_mtu65536.pcap";
  const Decoded d = decode_capture(pcap, false);
  CHECK(d.reads.empty());
  const check::NotFollowed n = only_not_followed(d, check::NotFollowed::Why::Port);
  CHECK(n.reads == iscsi_capture::manifest_reads(pcap).size());
}

// ---- streams encoded here ----

// What read `itt` returns at byte i: a pattern of its own per read.
uint8_t pattern(uint32_t itt, uint32_t i) { return uint8_t(itt * 37 + i * 7 + (i >> 8)); }
Bytes pattern_bytes(uint32_t itt, uint32_t from, uint32_t n) {
  Bytes b(n);
  for (uint32_t i = 0; i < n; ++i) b[i] = pattern(itt, from + i);
  return b;
}

// One iSCSI connection built PDU by PDU: both directions' streams, then cut into frames.
struct Conn {
  iscsi::ConnParams ff;  // both directions' full-feature parameters
  Bytes ini, tgt;        // the streams
  struct Mark {
    bool to_target;
    size_t at;
  };
  std::vector<Mark> order;  // where each PDU ends in its stream, in the order sent

  void send(bool to_target, const iscsi::Pdu& pdu, const iscsi::ConnParams& cp) {
    const Bytes b = iscsi::encode_pdu(pdu, cp);
    Bytes& s = to_target ? ini : tgt;
    s.insert(s.end(), b.begin(), b.end());
    order.push_back({to_target, s.size()});
  }

  // A one-step login: operational stage straight to full-feature phase, digests as asked,
  // the initiator receiving up to 64 KiB.
  void login(bool hdgst, bool ddgst) {
    ff = {hdgst, ddgst, 65536};
    const char* h = hdgst ? "CRC32C" : "None";
    const char* dd = ddgst ? "CRC32C" : "None";
    iscsi::Pdu rq;
    iscsi::LoginReq l;
    l.transit = true;
    l.csg = iscsi::kLoginOperationalNegotiation;
    l.nsg = iscsi::kFullFeaturePhase;
    l.isid = 0x023d000001;
    l.itt = 0x1000;
    rq.immediate = true;
    rq.body = l;
    rq.data = iscsi::write_text({{"InitiatorName", "iqn.2024-01.test:ini"},
                                 {"HeaderDigest", "CRC32C,None"},
                                 {"DataDigest", "CRC32C,None"},
                                 {"MaxRecvDataSegmentLength", "65536"}});
    send(true, rq, {});
    iscsi::Pdu rs;
    iscsi::LoginResp a;
    a.transit = true;
    a.csg = iscsi::kLoginOperationalNegotiation;
    a.nsg = iscsi::kFullFeaturePhase;
    a.isid = l.isid;
    a.tsih = 1;
    a.itt = l.itt;
    rs.body = a;
    // No MaxRecvDataSegmentLength from the target: 8192 applies to what it receives.
    rs.data = iscsi::write_text({{"HeaderDigest", h}, {"DataDigest", dd}});
    send(false, rs, {});
  }

  void read(uint32_t itt, uint32_t length) {
    iscsi::Pdu p;
    iscsi::ScsiCommand c;
    c.read = true;
    c.attr = 1;
    c.itt = itt;
    c.expected_length = length;
    c.cmdsn = itt;
    c.cdb = iscsi::make_read10(itt * 64, uint16_t(length / 512));
    p.body = c;
    send(true, p, from_initiator());
  }

  // Data-In with the read's pattern at [offset, offset + n); `status` puts GOOD in it (S).
  void data_in(uint32_t itt, uint32_t offset, uint32_t n, bool status = false, uint32_t datasn = 0) {
    iscsi::Pdu p;
    iscsi::DataIn d;
    d.itt = itt;
    d.buffer_offset = offset;
    d.datasn = datasn;
    d.final = status;
    d.has_status = status;
    p.body = d;
    p.data = pattern_bytes(itt, offset, n);
    send(false, p, ff);
  }

  void response(uint32_t itt, uint8_t status, Bytes sense = {}) {
    iscsi::Pdu p;
    iscsi::ScsiResponse r;
    r.itt = itt;
    r.status = status;
    p.body = r;
    p.data = std::move(sense);
    send(false, p, ff);
  }

  iscsi::ConnParams from_initiator() const { return {ff.hdgst, ff.ddgst, 8192}; }
};

// The connection on the wire: handshake (unless left out), then each PDU's bytes in the order
// sent, cut into segments of at most `mss`; `drop(to_target, index)` leaves out the
// direction's segment `index` (counted from 0 over its payload segments).
struct Wire {
  net::FiveTuple ini{net::IpAddr::v4(10, 0, 0, 1), net::IpAddr::v4(10, 0, 0, 2), 40000, kIscsiPort};
  size_t mss = 1460;
  bool handshake = true;
  std::function<bool(bool, size_t)> drop = [](bool, size_t) { return false; };
  // From where each stream is put on the wire (a capture that starts later).
  size_t ini_from = 0, tgt_from = 0;

  std::vector<Bytes> frames(const Conn& c) const {
    std::vector<Bytes> out;
    const uint32_t isn_i = 1000, isn_t = 5000000;
    net::FrameSpec fi, ft;
    fi.tuple = ini;
    ft.tuple = ini.reversed();
    if (handshake) {
      fi.flags = net::tcpflag::SYN;
      fi.seq = isn_i;
      out.push_back(net::build_frame(fi, {}));
      ft.flags = net::tcpflag::SYN | net::tcpflag::ACK;
      ft.seq = isn_t;
      out.push_back(net::build_frame(ft, {}));
    }
    fi.flags = ft.flags = net::tcpflag::ACK;
    size_t sent_i = ini_from, sent_t = tgt_from, seg_i = 0, seg_t = 0;
    for (const Conn::Mark& m : c.order) {
      const Bytes& s = m.to_target ? c.ini : c.tgt;
      size_t& sent = m.to_target ? sent_i : sent_t;
      size_t& seg = m.to_target ? seg_i : seg_t;
      net::FrameSpec& f = m.to_target ? fi : ft;
      while (sent < m.at) {
        const size_t n = std::min(mss, m.at - sent);
        f.seq = (m.to_target ? isn_i : isn_t) + 1 + uint32_t(sent);
        if (!drop(m.to_target, seg)) out.push_back(net::build_frame(f, ByteView(s).sub(sent, n)));
        ++seg;
        sent += n;
      }
    }
    return out;
  }
};

Decoded decode(const Conn& c, const Wire& w = {}, bool listed = true) {
  Decoded d;
  check::ReferenceDecoder ref(keep(d));
  if (listed) ref.set_iscsi_ports({{kIscsiPort}});
  for (const Bytes& f : w.frames(c)) ref.add(ByteView(f));
  ref.finish();
  d.not_followed = ref.not_followed();
  return d;
}

const check::ReferenceCommand& by_itt(const Decoded& d, uint32_t itt) {
  for (const auto& c : d.reads)
    if (c.tag == itt) return c;
  FAIL("no read with ITT " << itt);
  return d.reads.front();
}

bool holds_pattern(const check::ReferenceCommand& c) { return c.data == pattern_bytes(c.tag, 0, c.length); }

TEST_CASE("iscsi reference: data digests, a corrupted one fails that read alone", "[reference][iscsi]") {
  Conn c;
  c.login(true, true);
  const uint32_t itts[] = {0x10, 0x11, 0x12};
  for (uint32_t itt : itts) c.read(itt, 12288);
  for (uint32_t itt : itts)
    for (uint32_t k = 0; k < 3; ++k) c.data_in(itt, k * 4096, 4096, k == 2, k);
  // One data byte of read 0x11's second Data-In changed on the wire: its digest fails.
  // The PDU's data starts 52 bytes after its header (BHS 48 + header digest 4).
  const size_t pdu_len = 48 + 4 + 4096 + 4;
  const size_t second_of_0x11 = c.tgt.size() - (3 * 3 - 4) * pdu_len;  // PDUs 4 of 0..8
  c.tgt[second_of_0x11 + 52 + 100] ^= 0x5A;

  const Decoded d = decode(c);
  REQUIRE(d.reads.size() == 3);
  CHECK(d.not_followed.empty());
  for (uint32_t itt : itts) {
    const check::ReferenceCommand& r = by_itt(d, itt);
    INFO("itt " << itt);
    CHECK(r.completed);
    CHECK(r.status == 0);
    CHECK(r.problem.empty());
    CHECK(r.bytes_covered == 12288);
    CHECK(r.digest_error == (itt == 0x11));
    Bytes want = pattern_bytes(itt, 0, 12288);
    if (itt == 0x11) want[4096 + 100] ^= 0x5A;  // the bytes as they came
    CHECK(r.data == want);
  }
  // Wire order: the ITTs' commands in the order sent.
  CHECK(by_itt(d, 0x10).order == 0);
  CHECK(by_itt(d, 0x11).order == 1);
  CHECK(by_itt(d, 0x12).order == 2);
}

TEST_CASE("iscsi reference: Data-In of two tasks interleaved, offsets out of order", "[reference][iscsi]") {
  Conn c;
  c.login(false, true);
  c.read(7, 8192);
  c.read(9, 6000);  // not a multiple of 4: the last Data-In has a pad
  c.data_in(9, 2000, 2000, false, 0);
  c.data_in(7, 4096, 4096, false, 0);
  c.data_in(9, 0, 2000, false, 1);
  c.data_in(7, 0, 4096, true, 1);
  c.data_in(9, 4000, 2000, true, 2);
  const Decoded d = decode(c);
  REQUIRE(d.reads.size() == 2);
  for (const auto& r : d.reads) {
    INFO("itt " << r.tag);
    CHECK(r.completed);
    CHECK(r.status == 0);
    CHECK_FALSE(r.digest_error);
    CHECK(r.problem.empty());
    CHECK(holds_pattern(r));
  }
  CHECK(d.reads[0].tag == 7);  // completed first
}

TEST_CASE("iscsi reference: status in a SCSI Response, CHECK CONDITION with sense data", "[reference][iscsi]") {
  Conn c;
  c.login(true, false);
  c.read(1, 4096);
  c.read(2, 4096);
  c.read(3, 8192);
  c.data_in(1, 0, 4096);
  c.response(1, 0x00);
  // Sense data: its length (2 bytes) then fixed-format sense, ILLEGAL REQUEST.
  c.response(2, 0x02, Bytes{0x00, 0x12, 0x70, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x00, 0x00,
                            0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00});
  // GOOD with half the bytes sent: short data (an underflow).
  c.data_in(3, 0, 4096);
  c.response(3, 0x00);
  const Decoded d = decode(c);
  REQUIRE(d.reads.size() == 3);
  const auto& ok = by_itt(d, 1);
  CHECK(ok.completed);
  CHECK(ok.status == 0);
  CHECK(holds_pattern(ok));
  const auto& cc = by_itt(d, 2);
  CHECK(cc.completed);
  CHECK(cc.status == 0x02);
  CHECK(cc.bytes_covered == 0);
  CHECK(cc.data == Bytes(4096, 0));  // the sense data is not the read's
  const auto& shortr = by_itt(d, 3);
  CHECK(shortr.completed);
  CHECK(shortr.status == 0);
  CHECK(shortr.bytes_covered == 4096);
  Bytes want = pattern_bytes(3, 0, 4096);
  want.resize(8192, 0);
  CHECK(shortr.data == want);
  for (const auto& r : d.reads) CHECK(r.problem.empty());
}

TEST_CASE("iscsi reference: Data-In past the expected length breaks that read only", "[reference][iscsi]") {
  Conn c;
  c.login(false, false);
  c.read(1, 4096);
  c.read(2, 4096);
  c.data_in(1, 2048, 4096, true);  // ends 2048 bytes past the read
  c.data_in(2, 0, 4096, true);
  const Decoded d = decode(c);
  REQUIRE(d.reads.size() == 2);
  CHECK_FALSE(by_itt(d, 1).problem.empty());
  CHECK(by_itt(d, 2).problem.empty());
  CHECK(holds_pattern(by_itt(d, 2)));
}

TEST_CASE("iscsi reference: a lost segment never retransmitted leaves its reads unfinished", "[reference][iscsi]") {
  Conn c;
  c.login(true, true);
  c.read(1, 8192);
  c.read(2, 16384);
  c.read(3, 4096);
  c.data_in(1, 0, 8192, true);
  c.data_in(2, 0, 16384, true);
  c.data_in(3, 0, 4096, true);
  Wire w;
  // The target's segments: 0 the Login Response, 1-6 read 1's Data-In (8248 bytes), then
  // read 2's; segment 9 lies inside read 2's data.
  w.drop = [](bool to_target, size_t seg) { return !to_target && seg == 9; };
  const Decoded d = decode(c, w);
  REQUIRE(d.reads.size() == 3);
  const auto& first = by_itt(d, 1);
  CHECK(first.completed);
  CHECK(holds_pattern(first));
  for (uint32_t itt : {2u, 3u}) {
    const auto& r = by_itt(d, itt);
    INFO("itt " << itt);
    CHECK_FALSE(r.completed);
    CHECK(r.problem.empty());
    CHECK(r.bytes_covered == 0);  // nothing after the hole was ever in order
  }
  CHECK(d.not_followed.empty());  // every read followed: the capture lost their data
}

TEST_CASE("iscsi reference: a bad header digest breaks the stream for the reads open", "[reference][iscsi]") {
  Conn c;
  c.login(true, false);
  c.read(1, 4096);
  c.read(2, 4096);
  c.data_in(1, 0, 4096, true);
  const size_t second = c.tgt.size();
  c.data_in(2, 0, 4096, true);
  c.tgt[second + 20] ^= 1;  // a header byte: its digest no longer matches
  const Decoded d = decode(c);
  REQUIRE(d.reads.size() == 2);
  CHECK(by_itt(d, 1).completed);
  CHECK(by_itt(d, 1).problem.empty());
  CHECK_FALSE(by_itt(d, 2).completed);
  CHECK(by_itt(d, 2).problem == "framing: BadHeaderDigest");
}

TEST_CASE("iscsi reference: without the handshake it follows from the login, without the login not at all", "[reference][iscsi]") {
  Conn c;
  c.login(true, true);
  for (uint32_t itt = 1; itt <= 4; ++itt) c.read(itt, 4096);
  for (uint32_t itt = 1; itt <= 4; ++itt) c.data_in(itt, 0, 4096, true);

  SECTION("no handshake: adopted at the Login Request and Response") {
    Wire w;
    w.handshake = false;
    const Decoded d = decode(c, w);
    CHECK(d.not_followed.empty());
    REQUIRE(d.reads.size() == 4);
    for (const auto& r : d.reads) {
      CHECK(r.completed);
      CHECK(holds_pattern(r));
    }
  }
  SECTION("the capture starts after the login: joined mid-stream, not followed") {
    Wire w;
    w.handshake = false;
    w.ini_from = c.order[0].at;  // after the Login Request
    w.tgt_from = c.order[1].at;  // after the Login Response
    const Decoded d = decode(c, w);
    CHECK(d.reads.empty());
    const check::NotFollowed n = only_not_followed(d, check::NotFollowed::Why::MidStream);
    CHECK_FALSE(n.reads_known);
    CHECK(n.flow == "10.0.0.1:40000");
  }
}

}  // namespace
