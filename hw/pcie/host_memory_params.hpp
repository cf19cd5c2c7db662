// Parameters of the host memory model (hw/pcie/HostMemory), config section "host". The
// platform's, not the NIC's.
#pragma once
#include "util/params.hpp"

namespace nic {

struct HostMemoryParams {
  double mem_latency_ns = 80.0;

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    d("mem_latency_ns", p.mem_latency_ns, "ns", "host memory access latency",
      param::in(0, param::kMaxLatencyNs));
  }
};

}  // namespace nic
