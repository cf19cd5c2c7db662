// Makes a generated trace look like a real host's capture, for the command-line tests:
//   pcap_rewrite IN OUT --zero-checksums   IPv4 header and TCP checksums left 0, as a capture
//                                          on a sender with checksum offload or on loopback
//   pcap_rewrite IN OUT --port FROM:TO     TCP port FROM becomes TO (checksums kept right)
//   pcap_rewrite IN OUT --merge PORT       consecutive records carrying one stream of TCP
//                                          port PORT in order become one super-frame of up
//                                          to 64 KiB, as a capture above TSO or GRO holds them
//   pcap_rewrite IN OUT --split MSS        every TCP frame cut by net::split_tcp_frame into
//                                          pieces of at most MSS payload bytes
// Every record keeps its bytes otherwise. Exit 0, or 2 with one line on stderr.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "proto/net.hpp"
#include "tb/pcap/pcap_io.hpp"

using namespace nic;

namespace {

// Offsets of the IP header and the TCP header, or false when the frame is not TCP/IP.
bool tcp_at(const Bytes& f, size_t& l3, size_t& l4) {
  net::ParsedFrame pf;
  if (net::parse_frame(f, pf, false) != net::ParseError::None) return false;
  l3 = pf.l3_offset;
  l4 = pf.l4_offset;
  return true;
}

void zero_checksums(Bytes& f) {
  size_t l3 = 0, l4 = 0;
  if (!tcp_at(f, l3, l4)) return;
  if ((f[l3] >> 4) == 4) st_be16(&f[l3 + 10], 0);
  st_be16(&f[l4 + 16], 0);
}

void rewrite_port(Bytes& f, uint16_t from, uint16_t to) {
  size_t l3 = 0, l4 = 0;
  if (!tcp_at(f, l3, l4)) return;
  for (size_t at : {l4, l4 + 2})
    if (ld_be16(&f[at]) == from) st_be16(&f[at], to);
  net::fix_checksums(f);
}

// Joins consecutive data segments sent from `port` as GRO would: same connection and ack,
// each starting where the last ended, headers of equal length, none with SYN, FIN, RST or URG,
// as long as the IP length field holds them. The super-frame keeps the first segment's
// headers and timestamp; its lengths and checksums are set right. Pure ACKs in between wait
// and follow it (the receiver acknowledges what GRO handed it); any other frame ends it.
class Merger {
 public:
  Merger(pcap::Writer& out, uint16_t port) : out_(out), port_(port) {}
  void add(const pcap::Packet& p) {
    net::ParsedFrame pf;
    const bool tcp = net::parse_frame(p.data, pf, false) == net::ParseError::None;
    const bool data = tcp && pf.tuple.sport == port_ && pf.payload_len > 0 &&
                      !(pf.tcp_flags & (net::tcpflag::SYN | net::tcpflag::FIN | net::tcpflag::RST |
                                        net::tcpflag::URG));
    if (data && joins(pf)) {
      head_.resize(head_pf_.payload_offset + payload_);
      head_.insert(head_.end(), p.data.begin() + long(pf.payload_offset),
                   p.data.begin() + long(pf.payload_offset + pf.payload_len));
      payload_ += pf.payload_len;
      head_[head_pf_.l4_offset + 13] |= pf.tcp_flags & net::tcpflag::PSH;
      next_seq_ += uint32_t(pf.payload_len);
      return;
    }
    if (tcp && !data && !head_.empty() && pf.payload_len == 0 &&
        !(pf.tcp_flags & (net::tcpflag::SYN | net::tcpflag::FIN | net::tcpflag::RST))) {
      acks_.push_back(p);
      return;
    }
    flush();
    if (!data) {
      out_.write(p.ts_ns, p.data);
      return;
    }
    head_ = p.data;
    head_.resize(pf.payload_offset + pf.payload_len);  // no Ethernet padding inside
    head_pf_ = pf;
    head_ts_ = p.ts_ns;
    payload_ = pf.payload_len;
    next_seq_ = pf.seq + uint32_t(pf.payload_len);
  }
  void flush() {
    if (head_.empty()) return;
    uint8_t* ip = head_.data() + head_pf_.l3_offset;
    const size_t l4_len = head_pf_.payload_offset - head_pf_.l4_offset + payload_;
    if (head_pf_.ethertype == net::kEtherIPv4)
      st_be16(ip + 2, uint16_t(head_pf_.l4_offset - head_pf_.l3_offset + l4_len));
    else
      st_be16(ip + 4, uint16_t(l4_len));
    net::fix_checksums(head_);
    out_.write(head_ts_, head_);
    head_.clear();
    for (const pcap::Packet& a : acks_) out_.write(a.ts_ns, a.data);
    acks_.clear();
  }

 private:
  bool joins(const net::ParsedFrame& pf) const {
    const size_t ip_hdr = head_pf_.l4_offset - head_pf_.l3_offset;
    return !head_.empty() && pf.tuple == head_pf_.tuple && pf.ack == head_pf_.ack &&
           pf.seq == next_seq_ && pf.payload_offset == head_pf_.payload_offset &&
           ip_hdr + (head_pf_.payload_offset - head_pf_.l4_offset) + payload_ + pf.payload_len <= 0xFFFF;
  }
  pcap::Writer& out_;
  const uint16_t port_;
  Bytes head_;  // the super-frame so far, empty when none
  net::ParsedFrame head_pf_;
  uint64_t head_ts_ = 0;
  size_t payload_ = 0;
  uint32_t next_seq_ = 0;
  std::vector<pcap::Packet> acks_;  // held behind the super-frame
};

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 4)
      throw std::invalid_argument(
          "usage: pcap_rewrite IN OUT --zero-checksums | --port FROM:TO | --merge PORT | --split MSS");
    const std::string mode = argv[3];
    uint16_t from = 0, to = 0;
    unsigned number = 0;
    if (mode == "--merge" || mode == "--split") {
      if (argc < 5 || std::sscanf(argv[4], "%u", &number) != 1 || number == 0 || number > 65535)
        throw std::invalid_argument(mode + " wants a number 1..65535");
    } else if (mode == "--port") {
      unsigned a = 0, b = 0;
      if (argc < 5 || std::sscanf(argv[4], "%u:%u", &a, &b) != 2 || a > 65535 || b > 65535)
        throw std::invalid_argument("--port wants FROM:TO");
      from = uint16_t(a);
      to = uint16_t(b);
    } else if (mode != "--zero-checksums") {
      throw std::invalid_argument("unknown mode " + mode);
    }
    pcap::Reader in(argv[1]);
    pcap::Writer out(argv[2]);
    pcap::Packet p;
    Merger merger(out, uint16_t(number));
    std::vector<Bytes> pieces;
    while (in.next(p)) {
      if (mode == "--merge") {
        merger.add(p);
        continue;
      }
      if (mode == "--split") {
        const size_t n = net::split_tcp_frame(p.data, number, pieces);
        for (size_t i = 0; i < n; ++i) out.write(p.ts_ns, pieces[i]);
        if (n) continue;
      } else if (mode == "--port") {
        rewrite_port(p.data, from, to);
      } else {
        zero_checksums(p.data);
      }
      out.write(p.ts_ns, p.data);
    }
    merger.flush();
    out.close();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pcap_rewrite: %s\n", e.what());
    return 2;
  }
  return 0;
}
