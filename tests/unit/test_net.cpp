// Ethernet/IP/TCP building and parsing. Golden frames were produced once by build_frame and
// checked independently with tshark 4.0 (ip/tcp checksum status "Good", every option and
// header field decoded as listed next to each frame); the inet_checksum goldens come from
// RFC 1071 and a textbook IPv4 header.
#include <catch2/catch.hpp>

#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_set>

#include "proto/net.hpp"

using namespace nic;
using namespace nic::net;

namespace {

Bytes from_hex(const std::string& s) {
  Bytes b;
  for (size_t i = 0; i + 1 < s.size(); i += 2) b.push_back(uint8_t(std::stoul(s.substr(i, 2), nullptr, 16)));
  return b;
}

// tshark: 74 bytes, IPv4 10.0.0.1:40000 -> 10.0.0.2:4420, id 0x1234, DF, ttl 64, ip csum 0x1486,
// SYN seq 1000, win 65535, tcp csum 0xce3b, NOP MSS=1460 WS=7 SACK_PERM TS=16909060/0.
const char* kGoldV4Syn =
    "02000000000202000000000108004500003c12344000400614860a0000010a0000029c401144000003e8000000"
    "00a002ffffce3b000001020405b40303070402080a0102030400000000";
// tshark: 95 bytes, 802.1Q TCI 0x2064 (PCP 1, VID 100), IPv4 IHL 24 with router alert (148),
// PSH|ACK seq 1000 ack 2000, tcp csum 0x1d8b, NOP NOP TS 5/6, SACK 100-200 300-400, "hello".
const char* kGoldV4VlanOpts =
    "0200000000020200000000018100206408004600004d1234400040067f700a0000010a000002940400009c40"
    "1144000003e8000007d0c018ffff1d8b0000080a0000000500000006051200000064000000c80000012c000001"
    "9068656c6c6f";
// tshark: 107 bytes, 802.1ad S-tag VID 10 + 802.1Q VID 20, IPv6 fd00::1 -> fd00::2 plen 45,
// ACK seq 1000 ack 2000, tcp csum 0x9c83, SYN-style options as above, "hello".
const char* kGoldV6QinQ =
    "02000000000202000000000188a8000a8100001486dd60000000002d0640fd00000000000000000000000000"
    "0001fd0000000000000000000000000000029c411144000003e8000007d0a010ffff9c83000001020405b403"
    "03070402080a010203040000000068656c6c6f";
// tshark: 60 bytes (54 + 6 padding), IPv4 192.168.1.10:4420 -> 192.168.1.20:51000, no DF,
// ttl 1, ACK seq 0xdeadbeef ack 0x01020304 win 512, tcp csum 0xb045.
const char* kGoldV4Padded =
    "020000000002020000000001080045000028000700000106365bc0a8010ac0a801141144c738deadbeef0102"
    "030450100200b0450000000000000000";
// tshark: 79 bytes, 802.1Q VID 5, IPv6 2001:db8::a -> 2001:db8::b hlim 1, 1-byte payload 0x42,
// tcp csum 0x962c.
const char* kGoldV6Vlan =
    "0200000000020200000000018100000586dd600000000015060120010db800000000000000000000000a2001"
    "0db800000000000000000000000b1144c738deadbeef0102030450100200962c000042";

const Bytes kHello{'h', 'e', 'l', 'l', 'o'};

FrameSpec syn_spec() {
  FrameSpec s;
  s.tuple = {IpAddr::parse("10.0.0.1"), IpAddr::parse("10.0.0.2"), 40000, 4420};
  s.seq = 1000;
  s.flags = tcpflag::SYN;
  s.ip_id = 0x1234;
  s.opts.mss = 1460;
  s.opts.wscale = 7;
  s.opts.sack_permitted = true;
  s.opts.has_timestamps = true;
  s.opts.ts_val = 0x01020304;
  return s;
}

FrameSpec plain_v4() {
  FrameSpec s;
  s.tuple = {IpAddr::parse("192.168.1.10"), IpAddr::parse("192.168.1.20"), 4420, 51000};
  s.seq = 0xdeadbeef;
  s.ack = 0x01020304;
  s.window = 512;
  s.ip_id = 7;
  s.dont_fragment = false;
  s.ttl = 1;
  return s;
}

FrameSpec plain_v6() {
  FrameSpec s = plain_v4();
  s.tuple = {IpAddr::parse("2001:db8::a"), IpAddr::parse("2001:db8::b"), 4420, 51000};
  return s;
}

ParseError parse(const Bytes& f) {
  ParsedFrame p;
  return parse_frame(f, p);
}

// Frame with its TCP options area (after the fixed header) replaced by `opts`, which must be
// a multiple of 4 bytes long; data offset and IP length are adjusted, checksums recomputed.
Bytes v4_with_raw_options(const Bytes& opts) {
  Bytes f = build_frame(plain_v4(), {});
  f.resize(14 + 20 + 20);
  f.insert(f.end(), opts.begin(), opts.end());
  st_be16(&f[16], uint16_t(20 + 20 + opts.size()));
  f[24] = f[25] = 0;
  st_be16(&f[24], inet_checksum(&f[14], 20));
  f[14 + 20 + 12] = uint8_t((20 + opts.size()) / 4 << 4);
  f[14 + 20 + 16] = f[14 + 20 + 17] = 0;
  st_be16(&f[14 + 20 + 16], tcp_checksum(plain_v4().tuple.src, plain_v4().tuple.dst,
                                         &f[14 + 20], 20 + opts.size()));
  return f;
}

}  // namespace

TEST_CASE("inet_checksum matches RFC 1071 and a textbook IPv4 header", "[net]") {
  // RFC 1071 section 3: words 0001 f203 f4f5 f6f7 sum to 0xddf2 (folded).
  const uint8_t rfc[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(inet_checksum(rfc, sizeof rfc) == uint16_t(~0xddf2));
  // The widely reproduced IPv4 header example (checksum 0xb861).
  Bytes ip = from_hex("450000730000400040110000c0a80001c0a800c7");
  CHECK(inet_checksum(ip.data(), ip.size()) == 0xb861);
  st_be16(&ip[10], 0xb861);
  CHECK(inet_checksum(ip.data(), ip.size()) == 0);
  // Odd length: the last byte is the high half of a zero-padded word.
  const uint8_t odd[] = {0x01};
  CHECK(inet_checksum(odd, 1) == 0xFEFF);
  // initial_sum is added in before folding.
  CHECK(inet_checksum(rfc, sizeof rfc, 0x220d) == 0);
}

TEST_CASE("inet_checksum equals the word-by-word RFC 1071 sum on random data", "[net]") {
  // The definition, one big-endian word at a time: the wide implementation must agree with it
  // for every length, alignment and initial sum, including data summing to 0 or 0xFFFF.
  const auto reference = [](const uint8_t* p, size_t len, uint32_t init) {
    uint64_t s = init;
    for (; len >= 2; p += 2, len -= 2) s += uint32_t(p[0]) << 8 | p[1];
    if (len) s += uint32_t(p[0]) << 8;
    while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
    return uint16_t(~s);
  };
  std::mt19937 rng(7);
  Bytes buf(9200);
  for (int i = 0; i < 3000; ++i) {
    const int fill = i % 4;  // random bytes, all zero, all 0xFF, 0xFF with a few random bytes
    for (auto& b : buf)
      b = fill == 0 ? uint8_t(rng()) : fill == 1 ? 0 : fill == 2 || rng() % 32 ? 0xFF : uint8_t(rng());
    const size_t off = rng() % 8, len = i < 64 ? size_t(i) : rng() % (buf.size() - off);
    const uint32_t init = i % 3 ? rng() & 0x1FFFF : 0;
    INFO("length " << len << " offset " << off << " initial sum " << init);
    CHECK(inet_checksum(buf.data() + off, len, init) == reference(buf.data() + off, len, init));
  }
}

TEST_CASE("build_frame reproduces tshark-verified golden frames", "[net]") {
  CHECK(build_frame(syn_spec(), {}) == from_hex(kGoldV4Syn));

  FrameSpec a = syn_spec();
  a.flags = tcpflag::ACK | tcpflag::PSH;
  a.ack = 2000;
  a.opts = {};
  a.opts.has_timestamps = true;
  a.opts.ts_val = 5;
  a.opts.ts_ecr = 6;
  a.opts.sack = {{100, 200}, {300, 400}};
  a.vlan_tci = {0x2064};
  a.ipv4_options = {0x94, 0x04, 0x00, 0x00};
  CHECK(build_frame(a, kHello) == from_hex(kGoldV4VlanOpts));

  FrameSpec b = syn_spec();
  b.tuple = {IpAddr::parse("fd00::1"), IpAddr::parse("fd00::2"), 40001, 4420};
  b.vlan_tci = {10, 20};
  b.outer_tag_is_qinq = true;
  b.flags = tcpflag::ACK;
  b.ack = 2000;
  CHECK(build_frame(b, kHello) == from_hex(kGoldV6QinQ));

  CHECK(build_frame(plain_v4(), {}) == from_hex(kGoldV4Padded));

  FrameSpec d = plain_v6();
  d.vlan_tci = {5};
  CHECK(build_frame(d, Bytes{0x42}) == from_hex(kGoldV6Vlan));
}

TEST_CASE("parse_frame decodes the golden frames", "[net]") {
  ParsedFrame p;
  SECTION("IPv4 SYN with every option, no tags") {
    REQUIRE(parse_frame(from_hex(kGoldV4Syn), p) == ParseError::None);
    CHECK(p.dst_mac == MacAddr{0x02, 0, 0, 0, 0, 2});
    CHECK(p.src_mac == MacAddr{0x02, 0, 0, 0, 0, 1});
    CHECK(p.vlan_count == 0);
    CHECK(p.ethertype == kEtherIPv4);
    CHECK(p.l3_offset == 14);
    CHECK(p.l4_offset == 34);
    CHECK(p.payload_offset == 74);
    CHECK(p.payload_len == 0);
    CHECK(p.ip_proto == kIpProtoTcp);
    CHECK(p.ip_ttl == 64);
    CHECK(p.tuple == syn_spec().tuple);
    CHECK(p.seq == 1000);
    CHECK(p.ack == 0);
    CHECK(p.tcp_flags == tcpflag::SYN);
    CHECK(p.window == 65535);
    CHECK(p.opts.mss == 1460);
    CHECK(p.opts.wscale == 7);
    CHECK(p.opts.sack_permitted);
    CHECK(p.opts.has_timestamps);
    CHECK(p.opts.ts_val == 0x01020304);
    CHECK(p.opts.ts_ecr == 0);
    CHECK(p.opts.sack.empty());
    CHECK(p.ip_checksum_ok);
    CHECK(p.tcp_checksum_ok);
  }
  SECTION("IPv4 with one tag, IP options, SACK and payload") {
    const Bytes f = from_hex(kGoldV4VlanOpts);
    REQUIRE(parse_frame(f, p) == ParseError::None);
    CHECK(p.vlan_count == 1);
    CHECK(p.vlan_tci[0] == 0x2064);
    CHECK(p.l3_offset == 18);
    CHECK(p.l4_offset == 18 + 24);
    CHECK(p.payload_len == 5);
    CHECK(Bytes(f.begin() + long(p.payload_offset), f.end()) == kHello);
    CHECK(p.tcp_flags == (tcpflag::ACK | tcpflag::PSH));
    CHECK(p.opts.mss == 0);
    CHECK(p.opts.wscale == -1);
    CHECK_FALSE(p.opts.sack_permitted);
    CHECK(p.opts.ts_val == 5);
    CHECK(p.opts.ts_ecr == 6);
    CHECK(p.opts.sack == std::vector<std::pair<uint32_t, uint32_t>>{{100, 200}, {300, 400}});
    CHECK(p.ip_checksum_ok);
    CHECK(p.tcp_checksum_ok);
  }
  SECTION("IPv6 behind 802.1ad + 802.1Q") {
    REQUIRE(parse_frame(from_hex(kGoldV6QinQ), p) == ParseError::None);
    CHECK(p.vlan_count == 2);
    CHECK(p.vlan_tci[0] == 10);
    CHECK(p.vlan_tci[1] == 20);
    CHECK(p.ethertype == kEtherIPv6);
    CHECK(p.l3_offset == 22);
    CHECK(p.l4_offset == 62);
    CHECK(p.payload_len == 5);
    CHECK(p.ip_ttl == 64);
    CHECK(p.tuple.src.str() == "fd00::1");
    CHECK(p.tuple.dport == 4420);
    CHECK(p.opts.mss == 1460);
    CHECK(p.ip_checksum_ok);
    CHECK(p.tcp_checksum_ok);
  }
  SECTION("IPv6 with one tag") {
    const Bytes f = from_hex(kGoldV6Vlan);
    REQUIRE(parse_frame(f, p) == ParseError::None);
    CHECK(p.vlan_count == 1);
    CHECK(p.vlan_tci[0] == 5);
    CHECK(p.payload_len == 1);
    CHECK(f[p.payload_offset] == 0x42);
    CHECK(p.tcp_checksum_ok);
  }
}

TEST_CASE("Ethernet padding beyond the IP length is ignored", "[net]") {
  ParsedFrame p;
  Bytes f = from_hex(kGoldV4Padded);
  REQUIRE(f.size() == kMinFrameLen);
  REQUIRE(parse_frame(f, p) == ParseError::None);
  CHECK(p.payload_offset == 54);
  CHECK(p.payload_len == 0);
  CHECK(p.tcp_checksum_ok);
  // Non-zero trailer bytes (as some NICs leave them) change nothing.
  f.insert(f.end(), {0xde, 0xad, 0xbe, 0xef});
  for (size_t i = 54; i < f.size(); ++i) f[i] = 0xAA;
  REQUIRE(parse_frame(f, p) == ParseError::None);
  CHECK(p.payload_len == 0);
  CHECK(p.ip_checksum_ok);
  CHECK(p.tcp_checksum_ok);

  // A 3-byte payload is padded too, and only its 3 bytes count.
  f = build_frame(plain_v4(), Bytes{1, 2, 3});
  CHECK(f.size() == kMinFrameLen);
  REQUIRE(parse_frame(f, p) == ParseError::None);
  CHECK(p.payload_len == 3);
  CHECK(p.tcp_checksum_ok);
  // Large frames are not padded.
  CHECK(build_frame(plain_v4(), Bytes(100, 7)).size() == 14 + 20 + 20 + 100);
}

TEST_CASE("build/parse round trip over versions, tags and options", "[net]") {
  Bytes payload(333);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = uint8_t(i * 13 + 1);
  for (int version : {4, 6}) {
    for (size_t tags = 0; tags <= 2; ++tags) {
      for (bool qinq : {false, true}) {
        FrameSpec s = version == 4 ? plain_v4() : plain_v6();
        for (size_t t = 0; t < tags; ++t) s.vlan_tci.push_back(uint16_t(0x1000 * t + 100 + t));
        s.outer_tag_is_qinq = qinq;
        s.opts.mss = 8960;
        s.opts.wscale = 14;
        s.opts.has_timestamps = true;
        s.opts.ts_val = 0xfffffffe;
        s.opts.ts_ecr = 0x80000001;
        s.opts.sack = {{1, 2}, {3, 4}};
        if (version == 4) s.ipv4_options = {0x01, 0x01, 0x01};  // 3 NOPs, padded to 4
        s.flags = tcpflag::ACK | tcpflag::FIN;
        const Bytes f = build_frame(s, payload);
        CAPTURE(version, tags, qinq);
        ParsedFrame p;
        REQUIRE(parse_frame(f, p) == ParseError::None);
        CHECK(p.vlan_count == tags);
        if (tags == 2) CHECK(ld_be16(&f[12]) == (qinq ? kEtherQinQ : kEtherVlan));
        if (tags == 1) CHECK(ld_be16(&f[12]) == kEtherVlan);
        for (size_t t = 0; t < tags; ++t) CHECK(p.vlan_tci[t] == s.vlan_tci[t]);
        CHECK(p.tuple == s.tuple);
        CHECK(p.ip_ttl == 1);
        CHECK(p.seq == s.seq);
        CHECK(p.ack == s.ack);
        CHECK(p.tcp_flags == s.flags);
        CHECK(p.window == 512);
        CHECK(p.opts.mss == 8960);
        CHECK(p.opts.wscale == 14);
        CHECK_FALSE(p.opts.sack_permitted);
        CHECK(p.opts.ts_val == 0xfffffffe);
        CHECK(p.opts.ts_ecr == 0x80000001);
        CHECK(p.opts.sack == s.opts.sack);
        CHECK(p.l4_offset - p.l3_offset == (version == 4 ? 24u : 40u));
        CHECK(p.payload_offset - p.l4_offset == 20 + s.opts.encoded_len());
        CHECK(p.payload_len == payload.size());
        CHECK(Bytes(f.begin() + long(p.payload_offset), f.end()) == payload);
        CHECK(p.ip_checksum_ok);
        CHECK(p.tcp_checksum_ok);
      }
    }
  }
}

TEST_CASE("TCP options encoding lengths and NOP padding", "[net]") {
  TcpOptions o;
  CHECK(o.encoded_len() == 0);
  o.mss = 1460;
  CHECK(o.encoded_len() == 4);
  o.wscale = 0;  // a zero shift is still present
  CHECK(o.encoded_len() == 8);
  o.sack_permitted = true;
  CHECK(o.encoded_len() == 12);
  o.has_timestamps = true;
  CHECK(o.encoded_len() == 20);
  TcpOptions ts;
  ts.has_timestamps = true;
  CHECK(ts.encoded_len() == 12);
  ts.sack = {{1, 2}, {3, 4}, {5, 6}};
  CHECK(ts.encoded_len() == 36);
  ts.sack.push_back({7, 8});  // 44 bytes: no longer fits
  CHECK(ts.encoded_len() > 40);
  FrameSpec s = plain_v4();
  s.opts = ts;
  CHECK_THROWS_AS(build_frame(s, {}), std::invalid_argument);

  // Timestamps alone use the RFC 7323 appendix A layout: NOP NOP TS.
  s.opts = {};
  s.opts.has_timestamps = true;
  const Bytes f = build_frame(s, {});
  CHECK(Bytes(f.begin() + 54, f.begin() + 58) == Bytes{0x01, 0x01, 0x08, 0x0a});

  ParsedFrame p;
  s.opts = {};
  s.opts.wscale = 0;
  REQUIRE(parse_frame(build_frame(s, {}), p) == ParseError::None);
  CHECK(p.opts.wscale == 0);
}

TEST_CASE("TCP option parsing: unknown kinds, EOL and malformed lists", "[net]") {
  ParsedFrame p;
  SECTION("unknown kinds are skipped by their length") {
    // kind 254 (experimental) len 6, MSS 1400, kind 30 len 2, NOP, EOL
    const Bytes f = v4_with_raw_options(
        {0xfe, 0x06, 0xaa, 0xbb, 0xcc, 0xdd, 0x02, 0x04, 0x05, 0x78, 0x1e, 0x02, 0x01, 0x00, 0x00, 0x00});
    REQUIRE(parse_frame(f, p) == ParseError::None);
    CHECK(p.opts.mss == 1400);
    CHECK(p.tcp_checksum_ok);
    CHECK(p.ip_checksum_ok);
  }
  SECTION("EOL ends the list; what follows is not parsed") {
    REQUIRE(parse_frame(v4_with_raw_options({0x02, 0x04, 0x05, 0xb4, 0x00, 0x02, 0x03, 0x00}), p) ==
            ParseError::None);
    CHECK(p.opts.mss == 1460);
  }
  SECTION("malformed lists") {
    const std::vector<Bytes> bad = {
        {0x02, 0x03, 0x05, 0x00},                          // MSS with length 3
        {0x03, 0x04, 0x07, 0x00},                          // window scale with length 4
        {0x04, 0x03, 0x00, 0x00},                          // SACK-permitted with length 3
        {0x05, 0x09, 0, 0, 0, 0, 0, 0, 0, 0x00, 0, 0},     // SACK with length 9
        {0x05, 0x02, 0x00, 0x00},                          // SACK without blocks
        {0x08, 0x08, 0, 0, 0, 0, 0, 0},                    // timestamps with length 8
        {0x1e, 0x00, 0x00, 0x00},                          // length 0 would never advance
        {0x1e, 0x01, 0x00, 0x00},                          // length 1 is shorter than kind+len
        {0x01, 0x01, 0x1e, 0x08},                          // length runs past the header
        {0x01, 0x01, 0x01, 0x02},                          // kind with no room for its length
    };
    for (const Bytes& o : bad) {
      CAPTURE(o);
      CHECK(parse(v4_with_raw_options(o)) == ParseError::BadTcpOptions);
    }
  }
}

TEST_CASE("every ParseError is reachable", "[net]") {
  const Bytes v4 = build_frame(plain_v4(), kHello);
  const Bytes v6 = build_frame(plain_v6(), kHello);
  const size_t ip = 14, tcp4 = 34, tcp6 = 54;

  SECTION("None") { CHECK(parse(v4) == ParseError::None); CHECK(parse(v6) == ParseError::None); }
  SECTION("Truncated") {
    CHECK(parse(Bytes(v4.begin(), v4.begin() + 13)) == ParseError::Truncated);
    CHECK(parse(Bytes(v4.begin(), v4.begin() + 33)) == ParseError::Truncated);  // inside IPv4
    CHECK(parse(Bytes(v6.begin(), v6.begin() + 53)) == ParseError::Truncated);  // inside IPv6
    FrameSpec s = plain_v4();
    s.vlan_tci = {1};
    const Bytes tagged = build_frame(s, {});
    CHECK(parse(Bytes(tagged.begin(), tagged.begin() + 16)) == ParseError::Truncated);  // in tag
    Bytes f = v4;  // IP length leaves only 19 bytes of TCP header
    st_be16(&f[ip + 2], 20 + 19);
    CHECK(parse(f) == ParseError::Truncated);
  }
  SECTION("NotIp") {
    Bytes f = v4;
    st_be16(&f[12], 0x0806);
    CHECK(parse(f) == ParseError::NotIp);
    FrameSpec s = plain_v4();
    s.vlan_tci = {1};
    f = build_frame(s, {});
    st_be16(&f[16], 0x88CC);  // LLDP behind a tag
    CHECK(parse(f) == ParseError::NotIp);
  }
  SECTION("TooManyTags") {
    FrameSpec s = plain_v4();
    s.vlan_tci = {1, 2};
    Bytes f = build_frame(s, {});
    const uint8_t third[] = {0x81, 0x00, 0x00, 0x03};
    f.insert(f.begin() + 12, third, third + 4);
    CHECK(parse(f) == ParseError::TooManyTags);
  }
  SECTION("BadIpVersion") {
    Bytes f = v4;
    f[ip] = 0x65;
    CHECK(parse(f) == ParseError::BadIpVersion);
    f = v6;
    f[ip] = 0x40;
    CHECK(parse(f) == ParseError::BadIpVersion);
  }
  SECTION("BadIpHeaderLen") {
    Bytes f = v4;
    f[ip] = 0x44;  // IHL 16 bytes
    CHECK(parse(f) == ParseError::BadIpHeaderLen);
    f = build_frame(plain_v4(), {});
    f.resize(40);
    f[ip] = 0x4f;  // 60-byte header in a 40-byte frame
    CHECK(parse(f) == ParseError::BadIpHeaderLen);
  }
  SECTION("IpLengthMismatch") {
    Bytes f = v4;
    st_be16(&f[ip + 2], uint16_t(v4.size() - ip + 1));  // one byte past the frame
    CHECK(parse(f) == ParseError::IpLengthMismatch);
    st_be16(&f[ip + 2], 19);  // shorter than the header
    CHECK(parse(f) == ParseError::IpLengthMismatch);
    f = v6;
    st_be16(&f[ip + 4], uint16_t(v6.size() - tcp6 + 1));
    CHECK(parse(f) == ParseError::IpLengthMismatch);
    // A frame cut inside the payload is a length mismatch, not silently short data.
    const Bytes big = build_frame(plain_v4(), Bytes(100, 1));
    CHECK(parse(Bytes(big.begin(), big.end() - 1)) == ParseError::IpLengthMismatch);
  }
  SECTION("Fragment") {
    Bytes f = v4;
    st_be16(&f[ip + 6], 0x2000);  // MF
    CHECK(parse(f) == ParseError::Fragment);
    st_be16(&f[ip + 6], 0x4001);  // DF with offset 8: still a fragment
    CHECK(parse(f) == ParseError::Fragment);
    st_be16(&f[ip + 6], 0x4000);  // DF alone is fine
    CHECK(parse(f) == ParseError::None);
  }
  SECTION("Ipv6ExtHeader") {
    for (uint8_t nh : {0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254}) {
      Bytes f = v6;
      f[ip + 6] = nh;
      CAPTURE(int(nh));
      CHECK(parse(f) == ParseError::Ipv6ExtHeader);
    }
  }
  SECTION("NotTcp") {
    Bytes f = v4;
    f[ip + 9] = 17;
    CHECK(parse(f) == ParseError::NotTcp);
    f = v6;
    f[ip + 6] = 17;
    CHECK(parse(f) == ParseError::NotTcp);
    f[ip + 6] = 59;  // No Next Header is not an extension header
    CHECK(parse(f) == ParseError::NotTcp);
  }
  SECTION("BadTcpHeaderLen") {
    Bytes f = v4;
    f[tcp4 + 12] = 0x40;
    CHECK(parse(f) == ParseError::BadTcpHeaderLen);
    f[tcp4 + 12] = 0xf0;  // 60 bytes, but the segment is 25
    CHECK(parse(f) == ParseError::BadTcpHeaderLen);
    f = v6;
    f[tcp6 + 12] = 0x70;  // 28 bytes, segment is 25
    CHECK(parse(f) == ParseError::BadTcpHeaderLen);
  }
  SECTION("BadTcpOptions") {
    CHECK(parse(v4_with_raw_options({0x02, 0x05, 0x00, 0x00})) == ParseError::BadTcpOptions);
  }
  SECTION("names") {
    std::set<std::string> names;
    for (int e = int(ParseError::None); e <= int(ParseError::BadTcpOptions); ++e)
      names.insert(to_string(ParseError(e)));
    CHECK(names.size() == 12);
  }
}

TEST_CASE("a corrupted byte shows up in the checksum flags", "[net]") {
  ParsedFrame p;
  Bytes f = from_hex(kGoldV4VlanOpts);
  f[18 + 8] ^= 0x01;  // TTL: IP header checksum only (TTL is not in the pseudo-header)
  REQUIRE(parse_frame(f, p) == ParseError::None);
  CHECK_FALSE(p.ip_checksum_ok);
  CHECK(p.tcp_checksum_ok);

  f = from_hex(kGoldV4VlanOpts);
  f.back() ^= 0x20;  // payload byte
  REQUIRE(parse_frame(f, p) == ParseError::None);
  CHECK(p.ip_checksum_ok);
  CHECK_FALSE(p.tcp_checksum_ok);

  f = from_hex(kGoldV4VlanOpts);
  f[18 + 12] ^= 0x80;  // source address: both, via the pseudo-header
  REQUIRE(parse_frame(f, p) == ParseError::None);
  CHECK_FALSE(p.ip_checksum_ok);
  CHECK_FALSE(p.tcp_checksum_ok);

  f = from_hex(kGoldV6QinQ);
  f[22 + 39] ^= 0x01;  // IPv6 destination address: pseudo-header
  REQUIRE(parse_frame(f, p) == ParseError::None);
  CHECK(p.ip_checksum_ok);
  CHECK_FALSE(p.tcp_checksum_ok);

  f = from_hex(kGoldV4Padded);
  f[34 + 4] ^= 0xff;  // sequence number
  REQUIRE(parse_frame(f, p) == ParseError::None);
  CHECK_FALSE(p.tcp_checksum_ok);
}

TEST_CASE("tcp_checksum verifies to zero over an intact segment", "[net]") {
  for (const char* hex : {kGoldV4Syn, kGoldV6Vlan}) {
    const Bytes f = from_hex(hex);
    ParsedFrame p;
    REQUIRE(parse_frame(f, p) == ParseError::None);
    const size_t len = p.payload_offset + p.payload_len - p.l4_offset;
    CHECK(tcp_checksum(p.tuple.src, p.tuple.dst, &f[p.l4_offset], len) == 0);
    Bytes seg(f.begin() + long(p.l4_offset), f.begin() + long(p.l4_offset + len));
    const uint16_t stored = ld_be16(&seg[16]);
    seg[16] = seg[17] = 0;
    CHECK(tcp_checksum(p.tuple.src, p.tuple.dst, seg.data(), seg.size()) == stored);
  }
}

TEST_CASE("build_frame rejects impossible specs", "[net]") {
  FrameSpec s = plain_v4();
  s.tuple.dst = IpAddr::parse("fd00::1");
  CHECK_THROWS_AS(build_frame(s, {}), std::invalid_argument);
  s = plain_v4();
  s.vlan_tci = {1, 2, 3};
  CHECK_THROWS_AS(build_frame(s, {}), std::invalid_argument);
  s = plain_v4();
  s.ipv4_options = Bytes(41, 1);
  CHECK_THROWS_AS(build_frame(s, {}), std::invalid_argument);
  s.ipv4_options = Bytes(40, 1);
  CHECK_NOTHROW(build_frame(s, {}));
  s = plain_v6();
  s.ipv4_options = {1, 1, 1, 1};
  CHECK_THROWS_AS(build_frame(s, {}), std::invalid_argument);
  s = plain_v4();
  CHECK_THROWS_AS(build_frame(s, Bytes(65535 - 40 + 1)), std::invalid_argument);
  CHECK(build_frame(s, Bytes(65535 - 40)).size() == 14 + 65535);
}

TEST_CASE("IpAddr parsing and RFC 5952 text", "[net]") {
  CHECK(IpAddr::parse("10.0.0.1") == IpAddr::v4(10, 0, 0, 1));
  CHECK(IpAddr::parse("10.0.0.1") == IpAddr::v4(0x0a000001u));
  CHECK(IpAddr::v4(0x0a000001u).str() == "10.0.0.1");
  CHECK(IpAddr::parse("255.255.255.255").str() == "255.255.255.255");
  CHECK(IpAddr::parse("10.0.0.1").size() == 4);

  const IpAddr a = IpAddr::parse("fd00::1");
  CHECK(a.version == 6);
  CHECK(a.size() == 16);
  CHECK(a.b[0] == 0xfd);
  CHECK(a.b[15] == 1);
  CHECK(IpAddr::v6(a.b) == a);
  // RFC 5952: lower case, no leading zeros, longest zero run compressed (first on a tie),
  // a single zero group is not compressed.
  CHECK(IpAddr::parse("FD00:0:0:0:0:0:0:0001").str() == "fd00::1");
  CHECK(IpAddr::parse("2001:0db8:0000:0000:0001:0000:0000:0001").str() == "2001:db8::1:0:0:1");
  CHECK(IpAddr::parse("2001:db8:0:1:1:1:1:1").str() == "2001:db8:0:1:1:1:1:1");
  CHECK(IpAddr::parse("2001:db8:0:0:1:0:0:0").str() == "2001:db8:0:0:1::");
  CHECK(IpAddr::parse("::").str() == "::");
  CHECK(IpAddr::parse("::1").str() == "::1");
  CHECK(IpAddr::parse("::ffff:192.0.2.1").str() == "::ffff:192.0.2.1");

  for (const char* bad : {"", "1.2.3", "256.1.1.1", "1.2.3.4.5", "fd00:::1", "fd00::1::2", "abc",
                          "10.0.0.1 ", "g::1", "1:2:3:4:5:6:7:8:9"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(IpAddr::parse(bad), std::invalid_argument);
  }

  // Ordering: all IPv4 before IPv6, then by bytes.
  CHECK(IpAddr::parse("255.255.255.255") < IpAddr::parse("::"));
  CHECK(IpAddr::parse("10.0.0.1") < IpAddr::parse("10.0.0.2"));
  CHECK_FALSE(IpAddr::parse("10.0.0.2") < IpAddr::parse("10.0.0.1"));
  CHECK(IpAddr::parse("10.0.0.1") != IpAddr::parse("10.0.0.2"));
}

TEST_CASE("endpoint_str", "[net]") {
  CHECK(endpoint_str(IpAddr::parse("10.0.0.1"), 4420) == "10.0.0.1:4420");
  CHECK(endpoint_str(IpAddr::parse("fd00::1"), 4420) == "[fd00::1]:4420");
  CHECK(endpoint_str(IpAddr::parse("::"), 0) == "[::]:0");
}

TEST_CASE("FiveTuple ordering, reversal and stable hash", "[net]") {
  const FiveTuple t{IpAddr::parse("10.0.0.1"), IpAddr::parse("10.0.0.2"), 40000, 4420};
  const FiveTuple r = t.reversed();
  CHECK(r.src == t.dst);
  CHECK(r.dst == t.src);
  CHECK(r.sport == 4420);
  CHECK(r.dport == 40000);
  CHECK(r.reversed() == t);
  CHECK(r != t);
  CHECK((t < r) != (r < t));

  // The order is lexicographic over (src, dst, sport, dport), addresses by (version, bytes).
  std::mt19937 rng(7);
  const auto pick = [&](int n) { return int(rng() % unsigned(n)); };
  const auto addr = [&] {  // few values, so that equal fields are common
    return pick(2) ? IpAddr::v4(uint8_t(pick(3)), 0, 0, uint8_t(pick(3) * 0x7f))
                   : IpAddr::v6({uint8_t(pick(3)), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                 uint8_t(pick(3) * 0x7f)});
  };
  const auto key = [](const FiveTuple& x) {
    return std::tie(x.src.version, x.src.b, x.dst.version, x.dst.b, x.sport, x.dport);
  };
  for (int i = 0; i < 20000; ++i) {
    const FiveTuple a{addr(), addr(), uint16_t(pick(3) * 0x7f80), uint16_t(pick(3))};
    const FiveTuple b{addr(), addr(), uint16_t(pick(3) * 0x7f80), uint16_t(pick(3))};
    CHECK((a < b) == (key(a) < key(b)));
    CHECK((a.src < b.src) == (std::tie(a.src.version, a.src.b) < std::tie(b.src.version, b.src.b)));
  }

  // Golden values from an independent Python implementation of the documented scheme
  // (FNV-1a 64 over version|src|dst|sport_be|dport_be, then MurmurHash3 fmix64).
  CHECK(t.hash() == 0x5f0a5c0d901150e2ull);
  const FiveTuple t6{IpAddr::parse("fd00::1"), IpAddr::parse("fd00::2"), 40001, 4420};
  CHECK(t6.hash() == 0xf85af7a94a0325a6ull);
  CHECK(t.hash() != r.hash());
  CHECK(std::hash<FiveTuple>{}(t) == size_t(t.hash()));

  // Low bits (the flow-table index) spread evenly over sequential ports and addresses.
  constexpr int kBuckets = 1024, kN = 65536;
  std::vector<int> count(kBuckets, 0);
  std::unordered_set<FiveTuple> seen;
  for (int i = 0; i < kN; ++i) {
    const FiveTuple x{IpAddr::v4(0x0a000000u + uint32_t(i / 256)), IpAddr::parse("10.1.0.1"),
                      uint16_t(32768 + i % 256), 4420};
    ++count[x.hash() % kBuckets];
    seen.insert(x);
  }
  CHECK(seen.size() == size_t(kN));
  double chi2 = 0;
  const double expect = double(kN) / kBuckets;
  for (int c : count) chi2 += (c - expect) * (c - expect) / expect;
  // 1023 degrees of freedom: mean 1023, sd ~45; 1300 is > 6 sd.
  CHECK(chi2 < 1300);
}

TEST_CASE("fix_checksums restores the tshark-verified checksums of zeroed golden frames", "[net]") {
  for (const char* hex : {kGoldV4Syn, kGoldV4VlanOpts, kGoldV6QinQ, kGoldV4Padded, kGoldV6Vlan}) {
    const Bytes golden = from_hex(hex);
    ParsedFrame pf;
    REQUIRE(parse_frame(golden, pf) == ParseError::None);
    Bytes f = golden;
    if (pf.ethertype == kEtherIPv4) st_be16(&f[pf.l3_offset + 10], 0);
    st_be16(&f[pf.l4_offset + 16], 0);
    REQUIRE(f != golden);
    CHECK(fix_checksums(f));
    CHECK(f == golden);
  }
}

TEST_CASE("fix_checksums fills in a UDP checksum and leaves cut frames alone", "[net]") {
  // IPv4 10.0.0.1:5000 -> 10.0.0.2:4791, "hello", both checksums 0; tshark 4.0 computes IP
  // 0x26c3 and UDP 0x81c0 for it.
  Bytes f = from_hex(
      "02000000000202000000000108004500002100074000401100000a0000010a000002138812b7000d000068656c6c6f"
      "00000000000000000000000000");
  CHECK(fix_checksums(f));
  CHECK(ld_be16(&f[24]) == 0x26c3);
  CHECK(ld_be16(&f[40]) == 0x81c0);
  // A record cut short of its IP length: its checksums cannot be computed.
  Bytes cut = from_hex(kGoldV4VlanOpts);
  cut.resize(cut.size() - 3);
  const Bytes before = cut;
  CHECK_FALSE(fix_checksums(cut));
  CHECK(cut == before);
  uint16_t sport = 0, dport = 0;
  CHECK(peek_tcp_ports(cut, sport, dport));  // its ports are still readable
  CHECK(sport == 40000);
  CHECK(dport == 4420);
}

TEST_CASE("a port list says which ports it holds and prints them in order", "[net]") {
  const net::PortList ports{{4420, 8009}};
  CHECK(ports.has(8009));
  CHECK_FALSE(ports.has(4421));
  CHECK(ports.str() == "4420,8009");
  CHECK(net::PortList{}.str().empty());
}
