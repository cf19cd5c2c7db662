// Parameters of the framer's out-of-order recovery (hw/offload/pdu_tracker), config section
// "ooo".
#pragma once
#include <cstdint>

#include "util/params.hpp"

namespace nic {

struct OooParams {
  bool search = true;               // off: losing framing ends offload for the flow
  uint32_t search_delay_bytes = 0;  // stream bytes past a hole before scanning starts
  uint32_t max_candidates = 4;      // candidate header chains followed at once
  bool recover_headers = true;      // read a header lost in a hole from its retransmission
  // A plausibility checker per byte lane of the 64-byte beat (the digest CRC only on the few
  // plausible offsets) keeps the search at the datapath's pace; at 16 B/cycle a flow
  // searching at line rate overflows the MAC FIFO and frames are lost.
  uint32_t search_bytes_per_cycle = 64;

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("search", p.search, "bool",
      "after losing framing, search for headers and resync (off: offload ends for the flow)", any);
    d("search_delay_bytes", p.search_delay_bytes, "B",
      "stream bytes past a hole before the header search starts", any);
    d("max_candidates", p.max_candidates, "chains",
      "candidate header chains the search follows at once", in(1, 64));
    d("recover_headers", p.recover_headers, "bool",
      "regain framing from the retransmission of a lost header, without a resync", any);
    d("search_bytes_per_cycle", p.search_bytes_per_cycle, "B",
      "stream offsets the header search tests per cycle, alongside the frame's beats in the PDU parser (0: free)",
      in(0, 64 * K));
  }
};

}  // namespace nic
