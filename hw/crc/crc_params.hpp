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
  // One running-CRC register is loaded and stored per cycle: a beat reaching into k PDUs'
  // digested bytes costs k cycles, as the parser's headers do.
  uint32_t cycles_per_extra_segment = 1;
  // Joining two pieces of a PDU's data (a hole filled) shifts the left CRC past the right
  // piece: a 32x32 GF(2) multiply per set bit of its length by a table of x^(8*2^k), two
  // multiplies a cycle; a piece below 64 KiB has at most 16 set bits.
  uint32_t combine_cycles = 8;

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("impl", p.impl, "", "CRC32C pipeline implementation", one_of("model|rtl"));
    d("latency_cycles", p.latency_cycles, "cycles", "CRC32C pipeline depth", in(1, 1 * K));
    d("max_open_pdus", p.max_open_pdus, "PDUs",
      "PDUs per flow whose digest check waits for a retransmission to fill a hole", in(1, 64));
    d("cycles_per_extra_segment", p.cycles_per_extra_segment, "cycles",
      "extra cycles a beat costs for each PDU beyond the first whose data or data digest it holds",
      in(0, 1 * K));
    d("combine_cycles", p.combine_cycles, "cycles",
      "cycles the CRC stage spends joining two pieces of a PDU's digest across a filled hole",
      in(0, 1 * K));
  }
};

}  // namespace nic
