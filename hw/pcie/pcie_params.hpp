// PCIe link parameters. Plain struct without SystemC so configuration code can include it.
#pragma once
#include <cstdint>

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
};

}  // namespace nic
