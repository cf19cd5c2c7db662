// Parameters of the CRC32C pipeline (hw/crc) and its per-flow digest engine, config section
// "crc".
#pragma once
#include <cstdint>
#include <string>

#include "util/params.hpp"

namespace nic {

struct CrcParams {
  std::string impl = "model";  // "model" or "rtl"
  uint32_t latency_cycles = 2;
  uint32_t max_open_pdus = 4;  // PDUs per flow waiting for a hole to be filled

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("impl", p.impl, "", "CRC32C pipeline implementation", one_of("model|rtl"));
    d("latency_cycles", p.latency_cycles, "cycles", "CRC32C pipeline depth", in(1, 1 * K));
    d("max_open_pdus", p.max_open_pdus, "PDUs",
      "PDUs per flow whose digest check waits for a retransmission to fill a hole", in(1, 64));
  }
};

}  // namespace nic
