// Parameters of the PDU parser (hw/parser/PduParser), config section "parser".
#pragma once
#include <cstdint>

#include "util/params.hpp"

namespace nic {

struct ParserParams {
  bool header_digest_check = true;
  uint32_t cycles_per_extra_header = 1;  // a beat holding k headers costs k cycles

  // Pipeline depth: field extraction, then the tracker's framing decision. Fixed in the model
  // (not a config key) until the parser's depth is priced per protocol.
  static constexpr uint32_t kLatencyCycles = 2;

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("header_digest_check", p.header_digest_check, "bool",
      "verify HDGST of every C2H header (ConnectX-7 does not)", any);
    d("cycles_per_extra_header", p.cycles_per_extra_header, "cycles",
      "extra cycles a beat costs for each PDU header beyond the first it holds", in(0, 1 * K));
  }
};

}  // namespace nic
