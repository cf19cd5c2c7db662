#include "hw/l2l4/HeaderParser.hpp"

namespace nic::hw {

HeaderParser::HeaderParser(sc_core::sc_module_name name, ClockDomain& clk,
                           StreamChannel<Beat>& in, StreamChannel<Beat>& out, uint32_t latency)
    : PipelineStage(name, clk, in, out, latency, kHeaderParser) {}

uint32_t HeaderParser::accept(Beat& b) {
  if (!b.sop) return 1;
  PacketCtx& p = *b.pkt;
  if (p.perr != net::ParseError::None) {
    p.bypass = Bypass::NotTcp;
    ++gate_.not_tcp;
    ++gate_.not_tcp_by[size_t(p.perr)];
  } else if (!p.csum_ok) {
    p.bypass = Bypass::BadChecksum;
    ++gate_.bad_checksum;
  }
  return 1;
}

}  // namespace nic::hw
