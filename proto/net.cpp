#include "proto/net.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace nic::net {

namespace {

constexpr size_t kIpv4HeaderLen = 20;
constexpr size_t kIpv6HeaderLen = 40;
constexpr size_t kTcpHeaderLen = 20;
constexpr size_t kMaxOptionsLen = 40;

namespace tcpopt {
constexpr uint8_t EOL = 0, NOP = 1, MSS = 2, WSCALE = 3, SACK_PERM = 4, SACK = 5, TS = 8;
}

size_t round_up4(size_t n) { return (n + 3) & ~size_t(3); }

// IANA "IPv6 Extension Header Types" (RFC 8200 section 4 and later additions), ESP/AH included.
bool is_ipv6_ext_header(uint8_t nh) {
  switch (nh) {
    case 0: case 43: case 44: case 50: case 51: case 60: case 135: case 139: case 140:
    case 253: case 254:
      return true;
    default:
      return false;
  }
}

uint16_t fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return uint16_t(sum);
}

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "sum16 loads words in host order");

// One's-complement sum of big-endian 16-bit words; an odd trailing byte is the high half.
// Every frame's TCP checksum runs through here, so it adds 32-bit halves of 64-bit loads
// (2^16 = 1 mod 0xFFFF, so a 32-bit half counts as its two 16-bit words) in host (little-
// endian) order and byte-swaps the folded result, which RFC 1071 section 2(B) allows.
uint64_t sum16(const uint8_t* p, size_t len, uint64_t sum) {
  uint64_t a = 0, b = 0;  // two accumulators: independent adds; each stays far from overflow
  for (; len >= 16; p += 16, len -= 16) {
    uint64_t w0, w1;
    std::memcpy(&w0, p, 8);
    std::memcpy(&w1, p + 8, 8);
    a += (w0 & 0xFFFFFFFF) + (w0 >> 32);
    b += (w1 & 0xFFFFFFFF) + (w1 >> 32);
  }
  a += b;
  for (; len >= 2; p += 2, len -= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    a += w;
  }
  if (len) a += p[0];  // the high half of a big-endian word is the low byte here
  const uint16_t le = fold(a);
  return sum + uint16_t(le << 8 | le >> 8);
}

// Option bytes before NOP padding.
size_t unpadded_len(const TcpOptions& o) {
  return (o.mss ? 4 : 0) + (o.wscale >= 0 ? 3 : 0) + (o.sack_permitted ? 2 : 0) +
         (o.has_timestamps ? 10 : 0) + (o.sack.empty() ? 0 : 2 + 8 * o.sack.size());
}

void encode_options(const TcpOptions& o, uint8_t* p) {
  // Leading NOPs keep the common timestamps-only case in the RFC 7323 appendix A layout.
  size_t i = 0;
  for (; i < o.encoded_len() - unpadded_len(o); ++i) p[i] = tcpopt::NOP;
  if (o.mss) {
    p[i] = tcpopt::MSS; p[i + 1] = 4; st_be16(p + i + 2, o.mss); i += 4;
  }
  if (o.wscale >= 0) {
    p[i] = tcpopt::WSCALE; p[i + 1] = 3; p[i + 2] = uint8_t(o.wscale); i += 3;
  }
  if (o.sack_permitted) {
    p[i] = tcpopt::SACK_PERM; p[i + 1] = 2; i += 2;
  }
  if (o.has_timestamps) {
    p[i] = tcpopt::TS; p[i + 1] = 10; st_be32(p + i + 2, o.ts_val); st_be32(p + i + 6, o.ts_ecr);
    i += 10;
  }
  if (!o.sack.empty()) {
    p[i] = tcpopt::SACK; p[i + 1] = uint8_t(2 + 8 * o.sack.size()); i += 2;
    for (const auto& [l, r] : o.sack) {
      st_be32(p + i, l); st_be32(p + i + 4, r); i += 8;
    }
  }
}

bool parse_options(const uint8_t* p, size_t n, TcpOptions& o) {
  size_t i = 0;
  while (i < n) {
    const uint8_t kind = p[i];
    if (kind == tcpopt::EOL) break;
    if (kind == tcpopt::NOP) { ++i; continue; }
    if (i + 1 >= n) return false;
    const uint8_t len = p[i + 1];
    if (len < 2 || i + len > n) return false;
    const uint8_t* v = p + i + 2;
    switch (kind) {
      case tcpopt::MSS:
        if (len != 4) return false;
        o.mss = ld_be16(v);
        break;
      case tcpopt::WSCALE:
        if (len != 3) return false;
        o.wscale = v[0];  // reported as sent; clamping to 14 (RFC 7323) is the receiver's job
        break;
      case tcpopt::SACK_PERM:
        if (len != 2) return false;
        o.sack_permitted = true;
        break;
      case tcpopt::SACK:
        if (len < 10 || (len - 2) % 8 != 0) return false;
        o.sack.clear();
        for (size_t k = 0; k + 8 <= size_t(len - 2); k += 8)
          o.sack.emplace_back(ld_be32(v + k), ld_be32(v + k + 4));
        break;
      case tcpopt::TS:
        if (len != 10) return false;
        o.has_timestamps = true;
        o.ts_val = ld_be32(v);
        o.ts_ecr = ld_be32(v + 4);
        break;
      default:
        break;  // unknown kinds are skipped by their length (RFC 9293 section 3.2)
    }
    i += len;
  }
  return true;
}

}  // namespace

// ---- addresses and tuples ----

IpAddr IpAddr::v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddr r;
  r.b[0] = a; r.b[1] = b; r.b[2] = c; r.b[3] = d;
  return r;
}

IpAddr IpAddr::v4(uint32_t host_order) {
  IpAddr r;
  st_be32(r.b.data(), host_order);
  return r;
}

IpAddr IpAddr::v6(const std::array<uint8_t, 16>& bytes) {
  IpAddr r;
  r.version = 6;
  r.b = bytes;
  return r;
}

IpAddr IpAddr::parse(const std::string& text) {
  IpAddr r;
  const bool is6 = text.find(':') != std::string::npos;
  r.version = is6 ? 6 : 4;
  if (inet_pton(is6 ? AF_INET6 : AF_INET, text.c_str(), r.b.data()) != 1)
    throw std::invalid_argument("not an IPv4 or IPv6 address: '" + text + "'");
  return r;
}

std::string IpAddr::str() const {
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(version == 4 ? AF_INET : AF_INET6, b.data(), buf, sizeof buf))
    throw std::logic_error("inet_ntop failed");
  return buf;
}

namespace {
// Three-way, lexicographic over (version, bytes): memcmp orders bytes as unsigned, as
// std::array does, one call per address (connection maps compare on every lookup).
int compare(const IpAddr& a, const IpAddr& b) {
  if (a.version != b.version) return a.version < b.version ? -1 : 1;
  return std::memcmp(a.b.data(), b.b.data(), a.b.size());
}
}  // namespace

bool IpAddr::operator<(const IpAddr& o) const { return compare(*this, o) < 0; }

bool FiveTuple::operator<(const FiveTuple& o) const {
  if (const int c = compare(src, o.src)) return c < 0;
  if (const int c = compare(dst, o.dst)) return c < 0;
  return sport != o.sport ? sport < o.sport : dport < o.dport;
}

// FNV-1a over a fixed serialization (version, addresses, ports big-endian), then the
// MurmurHash3 fmix64 finalizer so the low bits that index the flow table are well mixed.
uint64_t FiveTuple::hash() const {
  uint8_t buf[1 + 16 + 16 + 4];
  size_t n = 0;
  buf[n++] = src.version;
  std::memcpy(buf + n, src.b.data(), src.size()); n += src.size();
  std::memcpy(buf + n, dst.b.data(), dst.size()); n += dst.size();
  st_be16(buf + n, sport); st_be16(buf + n + 2, dport); n += 4;
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ buf[i]) * 0x100000001b3ull;
  h ^= h >> 33; h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

std::string endpoint_str(const IpAddr& ip, uint16_t port) {
  return ip.version == 6 ? "[" + ip.str() + "]:" + std::to_string(port)
                         : ip.str() + ":" + std::to_string(port);
}

size_t TcpOptions::encoded_len() const { return round_up4(unpadded_len(*this)); }

// ---- checksums ----

uint16_t inet_checksum(const uint8_t* p, size_t len, uint32_t initial_sum) {
  return uint16_t(~fold(sum16(p, len, initial_sum)));
}

uint16_t tcp_checksum(const IpAddr& src, const IpAddr& dst, const uint8_t* segment,
                      size_t len) {
  return l4_checksum(kIpProtoTcp, src, dst, segment, len);
}

uint16_t l4_checksum(uint8_t proto, const IpAddr& src, const IpAddr& dst, const uint8_t* segment,
                     size_t len) {
  // Pseudo-header: RFC 9293 section 3.1 (IPv4), RFC 8200 section 8.1 (IPv6).
  uint64_t sum = sum16(src.b.data(), src.size(), 0);
  sum = sum16(dst.b.data(), dst.size(), sum);
  sum += proto;
  sum += uint32_t(len) >> 16;
  sum += uint32_t(len) & 0xFFFF;
  return inet_checksum(segment, len, fold(sum));
}

// ---- building ----

Bytes build_frame(const FrameSpec& spec, ByteView payload) {
  const FiveTuple& t = spec.tuple;
  const bool v4 = t.src.version == 4;
  if (t.src.version != t.dst.version)
    throw std::invalid_argument("build_frame: source and destination IP versions differ");
  if (spec.vlan_tci.size() > 2) throw std::invalid_argument("build_frame: more than two VLAN tags");
  if (!v4 && !spec.ipv4_options.empty())
    throw std::invalid_argument("build_frame: IPv4 options on an IPv6 frame");
  const size_t ipopt_len = round_up4(spec.ipv4_options.size());
  if (ipopt_len > kMaxOptionsLen) throw std::invalid_argument("build_frame: IPv4 options > 40 bytes");
  const size_t tcpopt_len = spec.opts.encoded_len();
  if (tcpopt_len > kMaxOptionsLen) throw std::invalid_argument("build_frame: TCP options > 40 bytes");

  const size_t l2_len = kEthHeaderLen + kVlanTagLen * spec.vlan_tci.size();
  const size_t l3_hdr = v4 ? kIpv4HeaderLen + ipopt_len : kIpv6HeaderLen;
  const size_t l4_len = kTcpHeaderLen + tcpopt_len + payload.size;
  if ((v4 ? l3_hdr + l4_len : l4_len) > 0xFFFF)
    throw std::invalid_argument("build_frame: segment too long for the IP length field");

  Bytes f(std::max(l2_len + l3_hdr + l4_len, kMinFrameLen), 0);
  uint8_t* p = f.data();
  std::copy(spec.dst_mac.begin(), spec.dst_mac.end(), p);
  std::copy(spec.src_mac.begin(), spec.src_mac.end(), p + 6);
  size_t off = 12;
  for (size_t i = 0; i < spec.vlan_tci.size(); ++i) {
    const bool qinq = i == 0 && spec.vlan_tci.size() == 2 && spec.outer_tag_is_qinq;
    st_be16(p + off, qinq ? kEtherQinQ : kEtherVlan);
    st_be16(p + off + 2, spec.vlan_tci[i]);
    off += kVlanTagLen;
  }
  st_be16(p + off, v4 ? kEtherIPv4 : kEtherIPv6);
  off += 2;

  uint8_t* ip = p + off;
  if (v4) {
    ip[0] = uint8_t(0x40 | l3_hdr / 4);
    st_be16(ip + 2, uint16_t(l3_hdr + l4_len));
    st_be16(ip + 4, spec.ip_id);
    st_be16(ip + 6, spec.dont_fragment ? 0x4000 : 0);
    ip[8] = spec.ttl;
    ip[9] = kIpProtoTcp;
    std::memcpy(ip + 12, t.src.b.data(), 4);
    std::memcpy(ip + 16, t.dst.b.data(), 4);
    // Option padding stays zero: EOL, as RFC 791 pads the options field.
    std::copy(spec.ipv4_options.begin(), spec.ipv4_options.end(), ip + kIpv4HeaderLen);
    st_be16(ip + 10, inet_checksum(ip, l3_hdr));
  } else {
    ip[0] = 0x60;
    st_be16(ip + 4, uint16_t(l4_len));
    ip[6] = kIpProtoTcp;
    ip[7] = spec.ttl;
    std::memcpy(ip + 8, t.src.b.data(), 16);
    std::memcpy(ip + 24, t.dst.b.data(), 16);
  }

  uint8_t* tcp = ip + l3_hdr;
  st_be16(tcp, t.sport);
  st_be16(tcp + 2, t.dport);
  st_be32(tcp + 4, spec.seq);
  st_be32(tcp + 8, spec.ack);
  tcp[12] = uint8_t((kTcpHeaderLen + tcpopt_len) / 4 << 4);
  tcp[13] = spec.flags;
  st_be16(tcp + 14, spec.window);
  encode_options(spec.opts, tcp + kTcpHeaderLen);
  if (payload.size) std::memcpy(tcp + kTcpHeaderLen + tcpopt_len, payload.data, payload.size);
  st_be16(tcp + 16, tcp_checksum(t.src, t.dst, tcp, l4_len));
  return f;
}

// ---- repairing ----

bool fix_checksums(Bytes& frame) {
  ParsedFrame pf;
  const ParseError e = parse_frame(frame, pf, false);
  // Only the L3 header is needed: a frame that is not TCP may still be IP carrying UDP.
  if (e == ParseError::Truncated || e == ParseError::NotIp || e == ParseError::TooManyTags ||
      e == ParseError::BadIpVersion || e == ParseError::BadIpHeaderLen ||
      e == ParseError::IpLengthMismatch || e == ParseError::Fragment ||
      e == ParseError::Ipv6ExtHeader)
    return false;
  uint8_t* ip = frame.data() + pf.l3_offset;
  size_t l4_off = 0, l4_len = 0;
  if (pf.ethertype == kEtherIPv4) {
    const size_t ihl = size_t(ip[0] & 0x0F) * 4;
    st_be16(ip + 10, 0);
    st_be16(ip + 10, inet_checksum(ip, ihl));
    l4_off = pf.l3_offset + ihl;
    l4_len = ld_be16(ip + 2) - ihl;
  } else {
    l4_off = pf.l3_offset + kIpv6HeaderLen;
    l4_len = ld_be16(ip + 4);
  }
  size_t field = 0;  // offset of the checksum inside the L4 header
  if (pf.ip_proto == kIpProtoTcp && l4_len >= kTcpHeaderLen) field = 16;
  else if (pf.ip_proto == kIpProtoUdp && l4_len >= kUdpHeaderLen) field = 6;
  else return true;
  uint8_t* l4 = frame.data() + l4_off;
  st_be16(l4 + field, 0);
  uint16_t sum = l4_checksum(pf.ip_proto, pf.tuple.src, pf.tuple.dst, l4, l4_len);
  if (sum == 0 && pf.ip_proto == kIpProtoUdp) sum = 0xFFFF;  // 0 means "no checksum" in UDP
  st_be16(l4 + field, sum);
  return true;
}

// ---- cutting ----

uint32_t gso_default_mss(const ParsedFrame& pf) {
  constexpr size_t kEthernetMtu = 1500;
  return uint32_t(kEthernetMtu - (pf.payload_offset - pf.l3_offset));
}

size_t split_tcp_frame(ByteView frame, uint32_t mss, std::vector<Bytes>& out) {
  ParsedFrame pf;
  if (mss == 0 || parse_frame(frame, pf, false) != ParseError::None || pf.payload_len <= mss ||
      (pf.tcp_flags & (tcpflag::SYN | tcpflag::RST)))
    return 0;
  const bool v4 = pf.ethertype == kEtherIPv4;
  const size_t hdr = pf.payload_offset;  // Ethernet, tags, IP and TCP with their options
  const size_t ip_hdr = pf.l4_offset - pf.l3_offset;
  const size_t tcp_hdr = pf.payload_offset - pf.l4_offset;
  const uint16_t id = v4 ? ld_be16(frame.data + pf.l3_offset + 4) : 0;
  const size_t n = (pf.payload_len + mss - 1) / mss;
  out.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const size_t off = i * size_t(mss);
    const size_t len = std::min<size_t>(mss, pf.payload_len - off);
    Bytes& f = out[i];
    f.assign(frame.data, frame.data + hdr);
    f.insert(f.end(), frame.data + hdr + off, frame.data + hdr + off + len);
    if (f.size() < kMinFrameLen) f.resize(kMinFrameLen, 0);
    uint8_t* ip = f.data() + pf.l3_offset;
    uint8_t* tcp = f.data() + pf.l4_offset;
    const size_t l4_len = tcp_hdr + len;
    if (v4) {
      st_be16(ip + 2, uint16_t(ip_hdr + l4_len));
      st_be16(ip + 4, uint16_t(id + i));  // the kernel numbers GSO pieces on from the first
      st_be16(ip + 10, 0);
      st_be16(ip + 10, inet_checksum(ip, ip_hdr));
    } else {
      st_be16(ip + 4, uint16_t(l4_len));
    }
    st_be32(tcp + 4, pf.seq + uint32_t(off));
    // As Linux tcp_gso_segment: congestion-window-reduced is said once, push and end once.
    uint8_t flags = pf.tcp_flags;
    if (i > 0) flags &= uint8_t(~tcpflag::CWR);
    if (i + 1 < n) flags &= uint8_t(~(tcpflag::PSH | tcpflag::FIN));
    tcp[13] = flags;
    st_be16(tcp + 16, 0);
    st_be16(tcp + 16, tcp_checksum(pf.tuple.src, pf.tuple.dst, tcp, l4_len));
  }
  return n;
}

bool peek_tcp_ports(ByteView f, uint16_t& sport, uint16_t& dport) {
  size_t off = 12;
  while (off + 2 <= f.size && (ld_be16(f.data + off) == kEtherVlan || ld_be16(f.data + off) == kEtherQinQ))
    off += kVlanTagLen;
  if (off + 2 > f.size) return false;
  const uint16_t et = ld_be16(f.data + off);
  off += 2;
  size_t l4 = 0;
  if (et == kEtherIPv4 && off + kIpv4HeaderLen <= f.size && f.data[off + 9] == kIpProtoTcp)
    l4 = off + size_t(f.data[off] & 0x0F) * 4;
  else if (et == kEtherIPv6 && off + kIpv6HeaderLen <= f.size && f.data[off + 6] == kIpProtoTcp)
    l4 = off + kIpv6HeaderLen;
  else
    return false;
  if (l4 + 4 > f.size) return false;
  sport = ld_be16(f.data + l4);
  dport = ld_be16(f.data + l4 + 2);
  return true;
}

// ---- parsing ----

const char* to_string(ParseError e) {
  switch (e) {
    case ParseError::None: return "none";
    case ParseError::Truncated: return "truncated";
    case ParseError::NotIp: return "not IP";
    case ParseError::TooManyTags: return "too many VLAN tags";
    case ParseError::BadIpVersion: return "bad IP version";
    case ParseError::BadIpHeaderLen: return "bad IP header length";
    case ParseError::IpLengthMismatch: return "IP length mismatch";
    case ParseError::Fragment: return "IPv4 fragment";
    case ParseError::Ipv6ExtHeader: return "IPv6 extension header";
    case ParseError::NotTcp: return "not TCP";
    case ParseError::BadTcpHeaderLen: return "bad TCP header length";
    case ParseError::BadTcpOptions: return "bad TCP options";
  }
  return "unknown";
}

ParseError parse_frame(ByteView f, ParsedFrame& out, bool verify_checksums) {
  out = ParsedFrame{};
  if (f.size < kEthHeaderLen) return ParseError::Truncated;
  std::copy(f.data, f.data + 6, out.dst_mac.begin());
  std::copy(f.data + 6, f.data + 12, out.src_mac.begin());
  size_t off = 12;
  uint16_t type = ld_be16(f.data + off);
  off += 2;
  while (type == kEtherVlan || type == kEtherQinQ) {
    if (out.vlan_count == 2) return ParseError::TooManyTags;
    if (off + kVlanTagLen > f.size) return ParseError::Truncated;
    out.vlan_tci[out.vlan_count++] = ld_be16(f.data + off);
    type = ld_be16(f.data + off + 2);
    off += kVlanTagLen;
  }
  out.ethertype = type;
  out.l3_offset = off;
  const uint8_t* ip = f.data + off;

  size_t l4_len = 0;
  if (type == kEtherIPv4) {
    if (off + kIpv4HeaderLen > f.size) return ParseError::Truncated;
    if (ip[0] >> 4 != 4) return ParseError::BadIpVersion;
    const size_t ihl = size_t(ip[0] & 0x0F) * 4;
    if (ihl < kIpv4HeaderLen || off + ihl > f.size) return ParseError::BadIpHeaderLen;
    out.ip_ttl = ip[8];
    out.ip_proto = ip[9];
    out.tuple.src = IpAddr::v4(ip[12], ip[13], ip[14], ip[15]);
    out.tuple.dst = IpAddr::v4(ip[16], ip[17], ip[18], ip[19]);
    if (verify_checksums) out.ip_checksum_ok = inet_checksum(ip, ihl) == 0;
    const size_t total = ld_be16(ip + 2);
    if (total < ihl || off + total > f.size) return ParseError::IpLengthMismatch;
    if (ld_be16(ip + 6) & 0x3FFF) return ParseError::Fragment;  // MF flag or fragment offset
    if (out.ip_proto != kIpProtoTcp) return ParseError::NotTcp;
    out.l4_offset = off + ihl;
    l4_len = total - ihl;
  } else if (type == kEtherIPv6) {
    if (off + kIpv6HeaderLen > f.size) return ParseError::Truncated;
    if (ip[0] >> 4 != 6) return ParseError::BadIpVersion;
    std::array<uint8_t, 16> a;
    std::copy(ip + 8, ip + 24, a.begin());
    out.tuple.src = IpAddr::v6(a);
    std::copy(ip + 24, ip + 40, a.begin());
    out.tuple.dst = IpAddr::v6(a);
    out.ip_proto = ip[6];
    out.ip_ttl = ip[7];
    l4_len = ld_be16(ip + 4);
    if (off + kIpv6HeaderLen + l4_len > f.size) return ParseError::IpLengthMismatch;
    if (is_ipv6_ext_header(out.ip_proto)) return ParseError::Ipv6ExtHeader;
    if (out.ip_proto != kIpProtoTcp) return ParseError::NotTcp;
    out.l4_offset = off + kIpv6HeaderLen;
  } else {
    return ParseError::NotIp;
  }

  // The IP length bounds the segment; any bytes after it are Ethernet padding.
  const uint8_t* tcp = f.data + out.l4_offset;
  if (l4_len < kTcpHeaderLen) return ParseError::Truncated;
  out.tuple.sport = ld_be16(tcp);
  out.tuple.dport = ld_be16(tcp + 2);
  out.seq = ld_be32(tcp + 4);
  out.ack = ld_be32(tcp + 8);
  out.tcp_flags = tcp[13];
  out.window = ld_be16(tcp + 14);
  if (verify_checksums)
    out.tcp_checksum_ok = tcp_checksum(out.tuple.src, out.tuple.dst, tcp, l4_len) == 0;
  const size_t doff = size_t(tcp[12] >> 4) * 4;
  if (doff < kTcpHeaderLen || doff > l4_len) return ParseError::BadTcpHeaderLen;
  if (!parse_options(tcp + kTcpHeaderLen, doff - kTcpHeaderLen, out.opts))
    return ParseError::BadTcpOptions;
  out.payload_offset = out.l4_offset + doff;
  out.payload_len = l4_len - doff;
  return ParseError::None;
}

bool PortList::has(uint16_t p) const {
  return std::find(ports.begin(), ports.end(), p) != ports.end();
}

std::string PortList::str() const {
  std::string s;
  for (uint16_t p : ports) s += (s.empty() ? "" : ",") + std::to_string(p);
  return s;
}

}  // namespace nic::net
