// L2-L4 header parser and checksum gate. The MAC already parsed the headers and checked the
// checksums as the frame entered its FIFO; this stage spends the parse pipeline's cycles and
// routes the frame: only TCP frames with good checksums may reach the offload blocks (the
// offload contract validates the TCP checksum first), everything else is marked to bypass.
// Latency: `latency` cycles. Throughput: one beat per cycle.
#pragma once
#include <array>

#include "hw/common/PipelineStage.hpp"
#include "proto/net.hpp"

namespace nic::hw {

struct HeaderParserStats {
  uint64_t not_tcp = 0, bad_checksum = 0;
  std::array<uint64_t, net::kParseErrorCount> not_tcp_by{};  // not_tcp by net::ParseError
};

class HeaderParser : public PipelineStage {
 public:
  HeaderParser(sc_core::sc_module_name name, ClockDomain& clk, StreamChannel<Beat>& in,
               StreamChannel<Beat>& out, uint32_t latency = 2);
  const HeaderParserStats& gate_stats() const { return gate_; }

 protected:
  uint32_t accept(Beat& b) override;

 private:
  HeaderParserStats gate_;
};

}  // namespace nic::hw
