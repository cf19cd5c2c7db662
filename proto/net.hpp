// Ethernet (with up to two 802.1Q/802.1ad tags), IPv4 (with options), IPv6 (no extension
// headers) and TCP (with options): building frames and parsing them, checksums included.
// Frames here never carry the 4-byte FCS (pcap files do not either).
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "util/bytes.hpp"

namespace nic::net {

constexpr uint16_t kEtherIPv4 = 0x0800;
constexpr uint16_t kEtherIPv6 = 0x86DD;
constexpr uint16_t kEtherVlan = 0x8100;  // 802.1Q C-tag
constexpr uint16_t kEtherQinQ = 0x88A8;  // 802.1ad S-tag
constexpr uint8_t kIpProtoTcp = 6;
constexpr uint8_t kIpProtoUdp = 17;
constexpr size_t kUdpHeaderLen = 8;
constexpr size_t kEthHeaderLen = 14;
constexpr size_t kVlanTagLen = 4;
constexpr size_t kMinFrameLen = 60;  // without FCS; shorter frames are zero-padded

using MacAddr = std::array<uint8_t, 6>;

// An IPv4 or IPv6 address; IPv4 lives in the first four bytes.
struct IpAddr {
  uint8_t version = 4;
  std::array<uint8_t, 16> b{};

  static IpAddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  static IpAddr v4(uint32_t host_order);
  static IpAddr v6(const std::array<uint8_t, 16>& bytes);
  // Parses dotted-quad or RFC 5952 text; throws std::invalid_argument on garbage.
  static IpAddr parse(const std::string& text);
  size_t size() const { return version == 4 ? 4 : 16; }
  std::string str() const;  // "10.0.0.1" or "fd00::1"
  bool operator==(const IpAddr& o) const { return version == o.version && b == o.b; }
  bool operator!=(const IpAddr& o) const { return !(*this == o); }
  bool operator<(const IpAddr& o) const;
};

// TCP connection key, as seen from one direction (src = sender of the segment).
struct FiveTuple {
  IpAddr src, dst;
  uint16_t sport = 0, dport = 0;
  FiveTuple reversed() const { return {dst, src, dport, sport}; }
  bool operator==(const FiveTuple& o) const {
    return sport == o.sport && dport == o.dport && src == o.src && dst == o.dst;
  }
  bool operator!=(const FiveTuple& o) const { return !(*this == o); }
  bool operator<(const FiveTuple& o) const;
  uint64_t hash() const;  // stable across runs (no std::hash), also used by the flow table
};
// "IP:port", IPv6 as "[addr]:port".
std::string endpoint_str(const IpAddr& ip, uint16_t port);

namespace tcpflag {
constexpr uint8_t FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20,
                  ECE = 0x40, CWR = 0x80;
}

struct TcpOptions {
  uint16_t mss = 0;          // 0 = absent
  int wscale = -1;           // -1 = absent
  bool sack_permitted = false;
  std::vector<std::pair<uint32_t, uint32_t>> sack;  // left/right edges
  bool has_timestamps = false;
  uint32_t ts_val = 0, ts_ecr = 0;
  // Encoded length in bytes, padded with NOPs to a multiple of 4 (at most 40).
  size_t encoded_len() const;
};

// Everything needed to build one TCP/IP frame.
struct FrameSpec {
  MacAddr src_mac{0x02, 0, 0, 0, 0, 1}, dst_mac{0x02, 0, 0, 0, 0, 2};
  std::vector<uint16_t> vlan_tci;  // 0..2 tags, outermost first
  bool outer_tag_is_qinq = false;  // outer TPID 0x88A8 instead of 0x8100 when two tags
  FiveTuple tuple;                  // IP versions of src/dst must match
  uint8_t ttl = 64;                 // hop limit for IPv6
  uint16_t ip_id = 0;
  bool dont_fragment = true;
  Bytes ipv4_options;               // raw, padded by the builder to a multiple of 4 (<= 40)
  uint32_t seq = 0, ack = 0;
  uint8_t flags = tcpflag::ACK;
  uint16_t window = 65535;
  TcpOptions opts;
};

// Builds Ethernet+IP+TCP+payload with correct IPv4 header and TCP checksums; pads to 60 bytes.
Bytes build_frame(const FrameSpec& spec, ByteView payload);

enum class ParseError {
  None,
  Truncated,          // frame ends inside a header
  NotIp,              // EtherType is neither IPv4 nor IPv6 (after tags)
  TooManyTags,        // more than two VLAN tags
  BadIpVersion,       // version nibble disagrees with EtherType
  BadIpHeaderLen,     // IHL < 5 or beyond the frame
  IpLengthMismatch,   // frame shorter than the IP length field says (or length < header)
  Fragment,           // IPv4 fragment (MF set or offset != 0)
  Ipv6ExtHeader,      // IPv6 next header is an extension header, not TCP
  NotTcp,             // IP payload is another protocol
  BadTcpHeaderLen,    // data offset < 5 or past the IP payload
  BadTcpOptions,      // malformed option list
};
constexpr size_t kParseErrorCount = size_t(ParseError::BadTcpOptions) + 1;  // keep in step
const char* to_string(ParseError e);

struct ParsedFrame {
  MacAddr src_mac{}, dst_mac{};
  uint8_t vlan_count = 0;
  uint16_t vlan_tci[2] = {0, 0};
  uint16_t ethertype = 0;        // after tags
  size_t l3_offset = 0, l4_offset = 0;
  size_t payload_offset = 0, payload_len = 0;  // TCP payload (excludes Ethernet padding)
  uint8_t ip_proto = 0;
  uint8_t ip_ttl = 0;
  FiveTuple tuple;
  uint32_t seq = 0, ack = 0;
  uint8_t tcp_flags = 0;
  uint16_t window = 0;
  TcpOptions opts;
  bool ip_checksum_ok = true;    // always true for IPv6 (no header checksum)
  bool tcp_checksum_ok = false;
};

// Parses a frame down to the TCP payload and verifies the IPv4 and TCP checksums (unless
// told not to: a stack trusts a NIC that checked them, and the *_checksum_ok fields then keep
// their defaults). Fields are filled as far as parsing got; the result tells whether it
// reached TCP.
ParseError parse_frame(ByteView frame, ParsedFrame& out, bool verify_checksums = true);

// Internet checksum (RFC 1071) over `len` bytes, folded and complemented.
uint16_t inet_checksum(const uint8_t* p, size_t len, uint32_t initial_sum = 0);
// Checksum to store in a TCP header whose checksum field is zero; applying it to a segment
// whose field is already set yields 0 when the segment is intact.
uint16_t tcp_checksum(const IpAddr& src, const IpAddr& dst, const uint8_t* segment, size_t len);
// The same for any protocol over the IPv4/IPv6 pseudo-header (UDP: 17).
uint16_t l4_checksum(uint8_t proto, const IpAddr& src, const IpAddr& dst, const uint8_t* segment,
                     size_t len);

// Rewrites the IPv4 header checksum and the TCP or UDP checksum of a whole, unfragmented
// frame, as tcprewrite --fixcsum does for captures taken before checksum offload filled them
// in. False (frame untouched) when the frame is not IP or is cut short of its IP length.
bool fix_checksums(Bytes& frame);

// GSO/TSO as a kernel does it: a TCP "super-frame" (a capture taken above TSO, GRO or on
// loopback) becomes the frames that crossed the wire. Every piece keeps the Ethernet/VLAN, IP
// and TCP headers with their options; its sequence number is advanced, the IPv4 total length
// or IPv6 payload length set, the IPv4 ID incremented per piece, the IPv4 header and TCP
// checksums computed; CWR stays on the first piece only, PSH and FIN on the last. Writes the
// pieces into `out` (resized; its buffers are reused) and returns how many, or 0 (out
// untouched) when the frame is not cut: not TCP over IP, cut short, SYN or RST, or its payload
// fits in `mss` bytes (mss >= 1).
size_t split_tcp_frame(ByteView frame, uint32_t mss, std::vector<Bytes>& out);
// The MSS that fills a 1500-byte IP packet with this frame's IP and TCP headers (options
// included), what GSO cuts to on an Ethernet path.
uint32_t gso_default_mss(const ParsedFrame& pf);

// The TCP ports of a frame read straight from its headers (0-2 VLAN tags, IPv4 or IPv6), also
// when the record is cut short after them; false when it is not TCP or too short for them.
bool peek_tcp_ports(ByteView frame, uint16_t& sport, uint16_t& dport);

// The TCP ports a protocol's servers listen on, for telling its connections apart.
struct PortList {
  std::vector<uint16_t> ports;
  bool has(uint16_t p) const;
  std::string str() const;  // "4420,4421"
};

}  // namespace nic::net

template <>
struct std::hash<nic::net::FiveTuple> {
  size_t operator()(const nic::net::FiveTuple& t) const { return size_t(t.hash()); }
};
