// Parameters of the on-chip caches of DDP registrations and their SGLs (hw/placement/DdpCache),
// config section "ddp_cache". Registrations and SG entries live in host memory
// (abi::kDdpBackingBase); entries = 0 keeps them all on chip with no miss cost, the model
// before the cache. docs/state.md.
#pragma once
#include <cstdint>
#include <string>

#include "hw/abi/nic_abi.hpp"
#include "util/params.hpp"

namespace nic {

struct DdpCacheParams {
  uint32_t entries = 0;  // registrations on chip; 0: no cache, every registration on chip
  uint32_t ways = 4;
  std::string replacement = "lru";
  uint32_t mshrs = 8;
  // One SRAM read per lookup: a registration or an SGL line is one word of the cache.
  uint32_t hit_cycles = 1;
  // The 28-byte DdpContext slot rounded to a power of two (breakdown in docs/state.md).
  uint32_t context_bytes = 32;
  // A registration moves whole and alone (neighbouring slots belong to other reads), so a line
  // the size of one wastes no PCIe bandwidth.
  uint32_t line_bytes = 32;
  uint32_t sgl_entries = 0;  // SGL lines on chip; 0: SGLs on chip with no miss cost
  // Four 16-byte SG entries: a 64-byte read, one DRAM burst; a 32 KiB read of 4 KiB pages
  // (9 entries) takes three lines.
  uint32_t sgl_line_bytes = 64;
  std::string miss = "stall";

  bool enabled() const { return entries != 0; }
  bool sgl_enabled() const { return sgl_entries != 0; }
  // Bytes one registration miss reads and one dirty eviction writes.
  uint32_t transfer_bytes() const { return (context_bytes + line_bytes - 1) / line_bytes * line_bytes; }
  uint32_t sg_per_line() const { return sgl_line_bytes / uint32_t(abi::kSgEntrySize); }
  // SGL lines of the longest SGL: the stride of a registration's SGL in the backing store.
  uint32_t sgl_lines(uint32_t max_sg_entries) const {
    return (max_sg_entries + sg_per_line() - 1) / sg_per_line();
  }

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("entries", p.entries, "registrations",
      "DDP registrations the on-chip cache holds (a multiple of ddp_cache.ways); 0: all on "
      "chip, no miss cost",
      in(0, 1 * M));
    d("ways", p.ways, "ways", "associativity of both DDP caches", in(1, 1 * M));
    d("replacement", p.replacement, "", "victim choice in a full set", one_of("lru|random"));
    d("mshrs", p.mshrs, "misses",
      "fetches each DDP cache keeps outstanding (misses to one line merge)", in(1, 256));
    d("hit_cycles", p.hit_cycles, "cycles",
      "cycles the placement engine spends per cache lookup (registration or SGL line) of a "
      "frame",
      in(0, 1 * K));
    d("context_bytes", p.context_bytes, "B", "one registration in host memory (docs/state.md)",
      in(28, 4 * K));
    d("line_bytes", p.line_bytes, "B",
      "transfer granularity of registrations: one moves in whole lines", in(4, 4 * K));
    d("sgl_entries", p.sgl_entries, "lines",
      "SGL lines the on-chip SGL cache holds (a multiple of ddp_cache.ways; needs "
      "ddp_cache.entries); 0: SGLs on chip, no miss cost",
      in(0, 1 * M));
    d("sgl_line_bytes", p.sgl_line_bytes, "B",
      "SGL line: a multiple of the 16-byte SG entry, fetched whole", in(16, 4 * K));
    d("miss", p.miss, "",
      "a data segment whose registration or SGL line is not on chip waits (stall: the frame "
      "and those behind it) or is left to software unplaced (bypass)",
      one_of("stall|bypass"));
  }
};

}  // namespace nic
