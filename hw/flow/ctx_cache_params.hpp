// Parameters of the on-chip cache of per-flow offload contexts (hw/flow/ContextCache), config
// section "ctx_cache". The contexts live in host memory (ConnectX's ICM); entries = 0 keeps
// every context on chip with no miss cost, the model before the cache. docs/state.md.
#pragma once
#include <cstdint>
#include <string>

#include "util/params.hpp"

namespace nic {

struct CtxCacheParams {
  uint32_t entries = 0;  // 0: no cache, every context on chip
  uint32_t ways = 4;
  std::string replacement = "lru";
  uint32_t mshrs = 8;
  uint32_t hit_cycles = 2;
  // Framing and digest state silicon keeps per flow (breakdown in docs/state.md), not
  // sizeof(FlowContext); fetched and written back in whole lines.
  uint32_t context_bytes = 192;
  uint32_t line_bytes = 64;
  std::string miss = "stall";

  bool enabled() const { return entries != 0; }
  // Bytes one miss reads and one dirty eviction writes.
  uint32_t transfer_bytes() const { return (context_bytes + line_bytes - 1) / line_bytes * line_bytes; }

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("entries", p.entries, "contexts",
      "flow contexts the on-chip cache holds (a multiple of ctx_cache.ways); 0: all on chip, "
      "no miss cost",
      in(0, 1 * M));
    d("ways", p.ways, "ways", "context cache associativity", in(1, 1 * M));
    d("replacement", p.replacement, "", "victim choice in a full set", one_of("lru|random"));
    d("mshrs", p.mshrs, "misses", "context fetches outstanding at once (misses to one flow merge)",
      in(1, 256));
    d("hit_cycles", p.hit_cycles, "cycles",
      "cycles the PDU parser's cache port is busy reading a context, per frame", in(0, 1 * K));
    d("context_bytes", p.context_bytes, "B",
      "framing and digest state of one flow in host memory (docs/state.md)", in(1, 64 * K));
    d("line_bytes", p.line_bytes, "B", "transfer granularity: a context moves in whole lines",
      in(4, 4 * K));
    d("miss", p.miss, "",
      "on a miss the frame waits at the parser (stall: head-of-line) or goes to software "
      "unoffloaded (bypass)",
      one_of("stall|bypass"));
  }
};

}  // namespace nic
