// PCIe link parameters, config section "pcie". Plain struct without SystemC so configuration
// code can include it.
#pragma once
#include <cstdint>

#include "util/params.hpp"

namespace nic {

struct PcieParams {
  // Data rate per direction after line encoding, before TLP overhead. 126 Gb/s is Gen3 x16
  // (or Gen4 x8) at 128b/130b; Gen4 x16 would be 252.
  double gbps_per_direction = 126;
  double latency_ns = 500;          // one-way flight time, added after serialisation
  uint32_t max_payload = 256;       // MPS: largest write / completion TLP payload
  uint32_t tlp_overhead = 24;       // header + framing + DLLP share per TLP, bytes on the wire
  uint32_t max_outstanding = 64;    // DMA transactions in flight before BEGIN_REQ stalls
  uint32_t max_read_request = 512;  // MRRS: DMA reads are requested in pieces of this size

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("gbps_per_direction", p.gbps_per_direction, "Gb/s", "PCIe payload bandwidth",
      in(0.1, 10000));
    d("latency_ns", p.latency_ns, "ns", "one-way PCIe latency", in(0, kMaxLatencyNs));
    d("max_payload", p.max_payload, "B", "max payload size of one TLP", in(64, 4 * K));
    d("tlp_overhead", p.tlp_overhead, "B", "header/framing bytes per TLP", in(0, 1 * K));
    d("max_outstanding", p.max_outstanding, "transactions",
      "DMA transactions in flight on the link (tags)", in(1, 64 * K));
  }
};

}  // namespace nic
