// The on-chip caches of DDP registrations and their SGLs, backed by host memory
// (abi::kDdpBackingBase; hw/pcie/BackedCache does the fetches and write-backs). One cache of
// registrations keyed by (flow-table slot, DDP slot), one of SGL lines keyed by (registration,
// line index); the SGL cache is optional (ddp_cache.sgl_entries). The registrations and SGLs
// themselves stay in the flows' DdpTables: the caches decide only when placement may use them.
//
// The command processor writes a registration whole at setup, so it goes on chip dirty with no
// fetch; a multi-entry SGL is written through to the backing store by DMA and the line holding
// its first entry goes on chip clean (a read's data starts there). Teardown writes the slot's
// state; the finished teardown drops the registration and its SGL lines unwritten. Placement
// looks up each placeable data segment's registration and the SGL lines its bytes touch. A
// state write (teardown, a completion seen) to a registration not on chip is a posted partial
// write to its home copy, without a fetch. docs/state.md.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "hw/offload/sgl.hpp"
#include "hw/pcie/BackedCache.hpp"
#include "hw/placement/ddp_cache_params.hpp"

namespace nic::hw {

class FlowContexts;

// A frame's cache lookups, in order. A frame that waits keeps what it has read: lookups before
// `held` were all on chip together once and are not looked up again, so a frame needing more
// lines than a set holds still gets through, one line at a time.
struct FrameLookups {
  bool count = true;  // the frame's first look: hits and misses count
  uint32_t n = 0;     // lookups made so far in this look
  uint32_t held = 0;
  bool all = true;    // every lookup so far in this look was on chip
  // The frame looks again: nothing counted, what it holds kept.
  void again() { *this = {false, 0, held, true}; }
};

class DdpCache {
 public:
  // `p.entries` > 0 (a disabled cache is not built); `max_sg_entries` sizes an SGL's stride;
  // `flows` counts each flow's misses (registrations and SGL lines).
  DdpCache(ClockDomain& clk, DmaEngine& dma, FlowContexts& flows, const DdpCacheParams& p,
           uint32_t max_sg_entries);

  bool bypass_on_miss() const { return bypass_; }
  uint32_t hit_cycles() const { return hit_cycles_; }

  // Placement. Each returns true when the line(s) are on chip (or held by the frame);
  // otherwise their fetch is on its way (a fill wakes the clock).
  bool registration(int32_t flow, uint32_t ddp_slot, FrameLookups& f);
  // The SGL lines holding SG entries first..last of the registration's multi-entry SGL of
  // `entries` entries (a one-entry SGL lives in the registration); true at once without an SGL
  // cache. A read's data comes in offset order, so the frame's first look also fetches the
  // line after them ahead of need, if an MSHR is free.
  bool sgl(int32_t flow, uint32_t ddp_slot, uint32_t first, uint32_t last, uint32_t entries,
           FrameLookups& f);
  // Placement moved the registration's high-water mark (the line is on chip).
  void placed(int32_t flow, uint32_t ddp_slot) { regs_.touch(reg_key(flow, ddp_slot), true); }
  // A completion of the slot's tag passed: its completion fields are written.
  void completion_written(int32_t flow, uint32_t ddp_slot);

  // Commands: a setup registered `sgl`; a teardown wrote the slot's state; a finished teardown
  // freed a registration of `sg_entries` entries.
  void registered(int32_t flow, uint32_t ddp_slot, const std::vector<SgEntry>& sgl);
  void teardown_written(int32_t flow, uint32_t ddp_slot);
  void released(int32_t flow, uint32_t ddp_slot, uint32_t sg_entries);

  const BackedCache& registrations() const { return regs_; }
  const BackedCache* sgl_lines() const { return sgl_.get(); }
  // Observers of the time series (tb/common/timeline) attach here.
  BackedCache& registrations() { return regs_; }
  BackedCache* sgl_lines() { return sgl_.get(); }

 private:
  static uint64_t reg_key(int32_t flow, uint32_t ddp_slot) {
    return uint64_t(uint32_t(flow)) * abi::kDdpSlotsMax + ddp_slot;
  }
  uint64_t line_key(uint64_t reg, uint32_t line) const { return reg * sgl_stride_ + line; }
  // A write of `bytes` at `offset` of the registration: on chip it dirties the line.
  void state_written(int32_t flow, uint32_t ddp_slot, uint32_t offset, uint32_t bytes);

  BackedCache regs_;
  std::unique_ptr<BackedCache> sgl_;
  const uint32_t sg_per_line_, sgl_stride_;  // SG entries per line; lines per SGL
  const uint32_t hit_cycles_;
  const bool bypass_;
  DmaEngine& dma_;
  std::vector<uint8_t> sg_image_;  // a setup's SG entries as the backing store holds them
};

}  // namespace nic::hw
