// Parameters of the Ethernet MAC (hw/mac/Mac), config section "mac". The MAC runs in its own
// clock domain (a 100G CMAC hands over 64 bytes a cycle at 322.27 MHz); its receive FIFO is
// asynchronous, written in the MAC domain and read in the core's, in RAM words of
// segment_bytes: a frame starts on a segment, so a 65-byte frame takes two 64-byte words.
#pragma once
#include <cstdint>

#include "util/params.hpp"

namespace nic {

struct MacParams {
  double line_rate_gbps = 100.0;
  uint32_t wire_overhead_bytes = 24;  // preamble 8 + FCS 4 + inter-frame gap 12
  uint32_t rx_fifo_bytes = 65536;
  uint32_t max_frame_bytes = 9216;
  double clock_mhz = 322.265625;  // CMAC at 100G: 64 B x 322.27 MHz = 165 Gb/s of bus
  uint32_t bus_bytes = 64;
  uint32_t segment_bytes = 64;  // a 400G segmented bus starts frames on 16-byte segments
  uint32_t sync_stages = 2;     // synchroniser flops on each FIFO pointer crossing a domain

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("line_rate_gbps", p.line_rate_gbps, "Gb/s", "Ethernet line rate", in(0.1, 10000));
    d("wire_overhead_bytes", p.wire_overhead_bytes, "B",
      "per-frame bytes on the wire not in the capture: preamble, FCS, inter-frame gap", in(0, 1 * K));
    d("rx_fifo_bytes", p.rx_fifo_bytes, "B",
      "MAC receive FIFO (asynchronous, MAC to core clock), at least mac.max_frame_bytes; a frame "
      "that does not fit is dropped and counted",
      in(64, 16 * M));  // its occupancy histogram has a bucket per byte
    // 256K: the largest frame a pcap capture holds.
    d("max_frame_bytes", p.max_frame_bytes, "B", "largest frame accepted (without FCS)",
      in(64, 256 * K));
    d("clock_mhz", p.clock_mhz, "MHz", "MAC clock: the receive bus and the FIFO's write side",
      in(1, kMaxMhz));
    d("bus_bytes", p.bus_bytes, "B", "MAC receive bus width (a multiple of mac.segment_bytes)",
      in(8, 1 * K));
    d("segment_bytes", p.segment_bytes, "B",
      "bus segment a frame starts on, and the receive FIFO's RAM word (a power of two)",
      in(8, 1 * K));
    d("sync_stages", p.sync_stages, "cycles",
      "synchroniser stages on the receive FIFO's pointers, in the receiving domain's cycles",
      in(1, 8));
  }
};

}  // namespace nic
