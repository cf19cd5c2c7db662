// Parameters of the offloaded-flow table (hw/flow), config section "flow".
#pragma once
#include <cstdint>

#include "util/params.hpp"

namespace nic {

struct FlowParams {
  uint32_t entries = 4096;
  uint32_t ways = 4;
  uint32_t lookup_cycles = 4;

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("entries", p.entries, "flows", "offloaded-flow table capacity (a multiple of flow.ways)",
      in(1, 1 * M));
    d("ways", p.ways, "ways", "flow table associativity", in(1, 256));
    // Pipeline depths start at 1: a stage holds a beat for at least one cycle.
    d("lookup_cycles", p.lookup_cycles, "cycles", "5-tuple hash + lookup latency", in(1, 1 * K));
  }
};

}  // namespace nic
