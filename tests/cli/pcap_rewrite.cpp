// Makes a generated trace look like a real host's capture, for the command-line tests:
//   pcap_rewrite IN OUT --zero-checksums   IPv4 header and TCP checksums left 0, as a capture
//                                          on a sender with checksum offload or on loopback
//   pcap_rewrite IN OUT --port FROM:TO     TCP port FROM becomes TO (checksums kept right)
// Every record keeps its bytes otherwise. Exit 0, or 2 with one line on stderr.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

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

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 4) throw std::invalid_argument("usage: pcap_rewrite IN OUT --zero-checksums | --port FROM:TO");
    const std::string mode = argv[3];
    uint16_t from = 0, to = 0;
    if (mode == "--port") {
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
    while (in.next(p)) {
      if (mode == "--port")
        rewrite_port(p.data, from, to);
      else
        zero_checksums(p.data);
      out.write(p.ts_ns, p.data);
    }
    out.close();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pcap_rewrite: %s\n", e.what());
    return 2;
  }
  return 0;
}
