// net::split_tcp_frame, checked without trusting it: the pieces' payloads laid out by their
// own sequence numbers must rebuild the super-frame's payload, and every piece must pass
// parse_frame's checksum verification (tshark checks them too: tests/cli/real_captures.sh,
// case gso_tshark).
#include <catch2/catch.hpp>

#include <random>

#include "proto/net.hpp"

using namespace nic;
using namespace nic::net;

namespace {

Bytes random_payload(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

FrameSpec super_v4() {
  FrameSpec s;
  s.tuple = {IpAddr::parse("10.1.0.2"), IpAddr::parse("10.1.0.1"), 4420, 40001};
  s.vlan_tci = {100};
  s.ipv4_options = {0x94, 0x04, 0x00, 0x00};  // router alert: the IP header is 24 bytes
  s.ip_id = 0xFFFE;                           // the pieces' IDs wrap
  s.seq = 0xFFFFF000;                         // and so do their sequence numbers
  s.ack = 77;
  s.flags = tcpflag::ACK | tcpflag::PSH | tcpflag::FIN | tcpflag::CWR;
  s.opts.has_timestamps = true;
  s.opts.ts_val = 1234;
  s.opts.ts_ecr = 5678;
  return s;
}

FrameSpec super_v6_qinq() {
  FrameSpec s;
  s.tuple = {IpAddr::parse("fd00::2"), IpAddr::parse("fd00::1"), 4420, 40002};
  s.vlan_tci = {10, 20};
  s.outer_tag_is_qinq = true;
  s.seq = 1;
  s.flags = tcpflag::ACK | tcpflag::PSH;
  s.opts.has_timestamps = true;
  return s;
}

// Checks the pieces against the super-frame they came from; returns the payload they carry,
// placed by their sequence numbers.
Bytes check_pieces(const Bytes& super, const std::vector<Bytes>& pieces, uint32_t mss) {
  ParsedFrame s;
  REQUIRE(parse_frame(super, s, false) == ParseError::None);
  Bytes rebuilt(s.payload_len, 0);
  size_t covered = 0;
  for (size_t i = 0; i < pieces.size(); ++i) {
    INFO("piece " << i << " of " << pieces.size());
    ParsedFrame p;
    REQUIRE(parse_frame(pieces[i], p) == ParseError::None);
    CHECK(p.ip_checksum_ok);
    CHECK(p.tcp_checksum_ok);
    CHECK(p.tuple == s.tuple);
    CHECK(p.ack == s.ack);
    CHECK(p.window == s.window);
    CHECK(p.vlan_count == s.vlan_count);
    CHECK(p.vlan_tci[0] == s.vlan_tci[0]);
    CHECK(p.vlan_tci[1] == s.vlan_tci[1]);
    CHECK(p.ip_ttl == s.ip_ttl);
    CHECK(p.opts.has_timestamps == s.opts.has_timestamps);
    CHECK(p.opts.ts_val == s.opts.ts_val);
    CHECK(p.opts.ts_ecr == s.opts.ts_ecr);
    // Headers, options included, are the super-frame's up to the length, ID and checksum fields.
    CHECK(p.payload_offset == s.payload_offset);
    CHECK(std::equal(pieces[i].begin(), pieces[i].begin() + long(s.l3_offset), super.begin()));
    CHECK(std::equal(pieces[i].begin() + long(s.l4_offset + 20),
                     pieces[i].begin() + long(s.payload_offset), super.begin() + long(s.l4_offset + 20)));
    CHECK(p.payload_len <= mss);
    CHECK(p.payload_len > 0);
    if (i + 1 < pieces.size()) CHECK(p.payload_len == mss);
    if (s.ethertype == kEtherIPv4) {
      const uint16_t id0 = ld_be16(&super[s.l3_offset + 4]);
      CHECK(ld_be16(&pieces[i][p.l3_offset + 4]) == uint16_t(id0 + i));
      CHECK(ld_be16(&pieces[i][p.l3_offset + 6]) == ld_be16(&super[s.l3_offset + 6]));  // DF
    }
    const bool last = i + 1 == pieces.size();
    const uint8_t only_last = tcpflag::PSH | tcpflag::FIN;
    CHECK((p.tcp_flags & only_last) == (last ? s.tcp_flags & only_last : 0));
    CHECK((p.tcp_flags & tcpflag::CWR) == (i == 0 ? s.tcp_flags & tcpflag::CWR : 0));
    CHECK((p.tcp_flags & tcpflag::ACK) == (s.tcp_flags & tcpflag::ACK));
    const uint32_t at = p.seq - s.seq;  // modulo 2^32, as TCP counts
    REQUIRE(uint64_t(at) + p.payload_len <= rebuilt.size());
    std::copy(pieces[i].begin() + long(p.payload_offset),
              pieces[i].begin() + long(p.payload_offset + p.payload_len), rebuilt.begin() + at);
    CHECK(at == covered);  // in order, back to back, no overlap
    covered += p.payload_len;
  }
  CHECK(covered == s.payload_len);
  return rebuilt;
}

}  // namespace

TEST_CASE("split_tcp_frame: an IPv4 super-frame with VLAN, IP and TCP options", "[net][gso]") {
  const Bytes payload = random_payload(60000, 1);
  const Bytes super = build_frame(super_v4(), payload);
  std::vector<Bytes> pieces;
  const uint32_t mss = 1448;
  REQUIRE(split_tcp_frame(super, mss, pieces) == (60000 + mss - 1) / mss);
  CHECK(check_pieces(super, pieces, mss) == payload);
  CHECK(pieces.back().size() == 18 + 24 + 32 + 60000 % mss);
}

TEST_CASE("split_tcp_frame: IPv6 behind two tags, at the default MSS", "[net][gso]") {
  const Bytes payload = random_payload(20001, 2);
  const Bytes super = build_frame(super_v6_qinq(), payload);
  ParsedFrame pf;
  REQUIRE(parse_frame(super, pf) == ParseError::None);
  // 1500 less the IPv6 header and TCP with timestamps.
  REQUIRE(gso_default_mss(pf) == 1500 - 40 - 32);
  std::vector<Bytes> pieces;
  REQUIRE(split_tcp_frame(super, gso_default_mss(pf), pieces) == 15);  // 14 full, 20001 - 14 * 1428 = 9
  CHECK(check_pieces(super, pieces, gso_default_mss(pf)) == payload);
  // A 9-byte piece is padded to Ethernet's minimum; its IP length still says 9 bytes.
  CHECK(pieces.back().size() == 22 + 40 + 32 + 9);
}

TEST_CASE("split_tcp_frame: a short last piece is padded to the minimum frame", "[net][gso]") {
  FrameSpec s = super_v4();
  s.vlan_tci.clear();
  s.ipv4_options.clear();
  s.opts = {};
  const Bytes payload = random_payload(1001, 3);
  const Bytes super = build_frame(s, payload);
  std::vector<Bytes> pieces;
  REQUIRE(split_tcp_frame(super, 1000, pieces) == 2);
  CHECK(pieces[1].size() == kMinFrameLen);
  CHECK(check_pieces(super, pieces, 1000) == payload);
}

TEST_CASE("split_tcp_frame leaves alone what it must not cut", "[net][gso]") {
  std::vector<Bytes> pieces{Bytes{1, 2, 3}};
  const Bytes payload = random_payload(3000, 4);
  FrameSpec s = super_v4();
  Bytes f = build_frame(s, payload);
  CHECK(split_tcp_frame(f, 3000, pieces) == 0);  // the payload fits
  CHECK(split_tcp_frame(f, 0, pieces) == 0);
  s.flags = tcpflag::SYN;
  CHECK(split_tcp_frame(build_frame(s, payload), 1000, pieces) == 0);
  s.flags = tcpflag::RST | tcpflag::ACK;
  CHECK(split_tcp_frame(build_frame(s, payload), 1000, pieces) == 0);
  Bytes cut(f.begin(), f.begin() + 200);  // a snap length: its payload is not all there
  CHECK(split_tcp_frame(cut, 100, pieces) == 0);
  Bytes udp = f;
  udp[14 + 4 + 9] = kIpProtoUdp;
  CHECK(split_tcp_frame(udp, 1000, pieces) == 0);
  CHECK(pieces == std::vector<Bytes>{Bytes{1, 2, 3}});
}
