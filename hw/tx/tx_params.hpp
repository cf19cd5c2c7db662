// Parameters of the transmit path (hw/tx/TxEngine), config section "tx": the descriptor
// buffer, the transmit buffer between host memory and the MAC, and the longest frame. The Tx
// MAC's line rate, wire overhead, clock and synchronisers are the MAC's (mac.line_rate_gbps,
// mac.wire_overhead_bytes, mac.clock_mhz, mac.sync_stages).
#pragma once
#include <cstdint>

#include "util/params.hpp"

namespace nic {

struct TxParams {
  uint32_t fetch_entries = 32;      // descriptors one fetch reads: the descriptor buffer
  uint32_t buffer_bytes = 16 * 1024;  // frames read ahead of the MAC
  uint32_t max_frame_bytes = 9216;

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("fetch_entries", p.fetch_entries, "entries",
      "transmit descriptors one doorbell fetch reads at most: the NIC's descriptor buffer",
      in(1, 4 * K));
    d("buffer_bytes", p.buffer_bytes, "B",
      "transmit buffer: frames read from host memory ahead of the MAC; a frame's read is issued "
      "only when its bytes fit (at least tx.max_frame_bytes)",
      in(64, 16 * M));
    d("max_frame_bytes", p.max_frame_bytes, "B",
      "longest frame a transmit descriptor may carry (without FCS); a longer one is skipped",
      in(64, 256 * K));
  }
};

}  // namespace nic
