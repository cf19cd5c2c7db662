// The core clock domain every block between the MAC and PCIe runs in, and its datapath width.
#pragma once
#include <cstdint>

#include "util/params.hpp"

namespace nic {

struct CoreParams {
  double clock_mhz = 250.0;
  uint32_t datapath_bytes = 64;

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("clock_mhz", p.clock_mhz, "MHz",
      "core clock of every block between MAC and PCIe (period rounded to whole ps)", in(1, kMaxMhz));
    d("datapath_bytes", p.datapath_bytes, "B",
      "bytes per beat on every internal stream (a power of two)", in(8, 1 * K));
  }
};

}  // namespace nic
