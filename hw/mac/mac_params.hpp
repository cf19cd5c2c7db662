// Parameters of the Ethernet MAC (hw/mac/Mac), config section "mac".
#pragma once
#include <cstdint>

#include "util/params.hpp"

namespace nic {

struct MacParams {
  double line_rate_gbps = 100.0;
  uint32_t wire_overhead_bytes = 24;  // preamble 8 + FCS 4 + inter-frame gap 12
  uint32_t rx_fifo_bytes = 65536;
  uint32_t max_frame_bytes = 9216;

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("line_rate_gbps", p.line_rate_gbps, "Gb/s", "Ethernet line rate", in(0.1, 10000));
    d("wire_overhead_bytes", p.wire_overhead_bytes, "B",
      "per-frame bytes on the wire not in the capture: preamble, FCS, inter-frame gap", in(0, 1 * K));
    d("rx_fifo_bytes", p.rx_fifo_bytes, "B",
      "MAC receive FIFO, at least mac.max_frame_bytes; a frame that does not fit is dropped and counted",
      in(64, 16 * M));  // its occupancy histogram has a bucket per byte
    // 256K: the largest frame a pcap capture holds.
    d("max_frame_bytes", p.max_frame_bytes, "B", "largest frame accepted (without FCS)",
      in(64, 256 * K));
  }
};

}  // namespace nic
