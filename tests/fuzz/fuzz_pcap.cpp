// Fuzz target: the pcap/pcapng loader (tb/pcap/pcap_io.hpp) and what runs on every record it
// returns: frame parsing (proto/net.hpp) and NVMe/TCP stream decoding (proto/nvme_tcp.hpp).
//
// Input: a whole capture file. It is written to a temporary file and read record by record
// until the end or a PcapError. Each record is parsed down to TCP; each flow's payload (in
// record order, as the software receive path sees it) goes through a StreamDecoder without
// digests and one with both digests.
// Invariants: no crash, no sanitizer report, no hang, and no exception other than PcapError
// (an exception of any other type is a bug: the loader promises PcapError for bad input);
// records keep increasing 1-based indices and never hold more than their snap length
// promises; parse_frame's offsets stay inside the frame.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <unordered_map>

#include "fuzz_check.hpp"
#include "proto/net.hpp"
#include "proto/nvme_tcp.hpp"
#include "tb/pcap/pcap_io.hpp"

using namespace nic;

namespace {

struct FlowDecoders {
  nvme::StreamDecoder plain{nvme::ConnParams{}};
  nvme::StreamDecoder digests{nvme::ConnParams{true, true, 0, 0}};
};

void drain(nvme::StreamDecoder& d, bool verify) {
  nvme::Pdu pdu;
  nvme::PduError err = nvme::PduError::None;
  for (int i = 0; i < 100000 && !d.failed(); ++i) {
    if (!d.next(pdu, err, verify)) break;
    if (d.failed()) FUZZ_CHECK(err != nvme::PduError::None);  // failing needs a reason
  }
}

void feed(nvme::StreamDecoder& d, ByteView payload) {
  if (d.failed()) return;
  d.feed(payload);
  drain(d, true);
}

const std::string& temp_path() {
  static const std::string p = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/fuzz_pcap." + std::to_string(getpid()) +
           ".pcap";
  }();
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = temp_path();
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    FUZZ_CHECK(f != nullptr);
    if (size) FUZZ_CHECK(std::fwrite(data, 1, size, f) == size);
    std::fclose(f);
  }
  std::unordered_map<net::FiveTuple, FlowDecoders> flows;
  try {
    nic::pcap::Reader r(path);
    nic::pcap::Packet pkt;
    uint64_t index = 0;
    while (r.next(pkt)) {
      FUZZ_CHECK(pkt.index == ++index);
      FUZZ_CHECK(pkt.data.size() <= size);  // nothing read that the file does not hold
      net::ParsedFrame pf;
      const net::ParseError e = net::parse_frame(ByteView(pkt.data), pf);
      if (e != net::ParseError::None) continue;
      FUZZ_CHECK(pf.l3_offset <= pf.l4_offset && pf.l4_offset <= pf.payload_offset);
      FUZZ_CHECK(pf.payload_offset <= pkt.data.size());
      FUZZ_CHECK(pf.payload_len <= pkt.data.size() - pf.payload_offset);
      if (!pf.payload_len || pf.ip_proto != 6) continue;
      if (flows.size() >= 64 && !flows.count(pf.tuple)) continue;
      FlowDecoders& fd = flows[pf.tuple];
      const ByteView payload = ByteView(pkt.data).sub(pf.payload_offset, pf.payload_len);
      feed(fd.plain, payload);
      feed(fd.digests, payload);
    }
  } catch (const nic::pcap::PcapError&) {
    // Bad input, reported as the loader promises.
  }
  // Anything else escaping (std::bad_alloc, std::out_of_range, ...) reaches libFuzzer as an
  // uncaught exception: a crash.
  std::remove(path.c_str());
  return 0;
}
