// Receive DMA of every frame, with direct data placement for offloaded flows.
//
// Per frame (decided when its last beat is taken, when the upstream parser and CRC blocks have
// filled in the plan and the crc verdict):
//   1. placement: each placeable data segment of an in-sequence packet whose I/O tag is
//      Registered in the flow's DDP table goes to its SGL position (the PDU's buffer offset
//      plus its own), one DMA write per SG entry touched. Payload-adjacent segments of one tag
//      with adjacent buffer offsets form one run. At most kMaxRunsPerCqe runs per packet (1
//      with single_run_per_packet, the ConnectX-7 rule); later eligible data is counted, not
//      placed. No part of a PDU whose buffer offset + data length reaches past the registered
//      length is placed (ddp_out_of_range), nor a segment that starts
//      below the registration's placed high-water mark (ddp_overlap: a controller sends a
//      read's data once, in offset order, so such bytes repeat or contradict bytes already
//      placed), nor one behind its read's completion in the same packet.
//      Registrations close on every completion the parser passed (PacketPlan::ended), also
//      those of stale packets (a completion read from a retransmission).
//   2. kept bytes: the frame without its placed bytes, in order, go to the host receive ring
//      (a byte ring; a write that reaches its end wraps to its start). A frame that does not
//      fit is dropped whole: nothing placed, no completion.
//   3. one RxPacket completion, posted after the data writes through the same in-order
//      DmaEngine, so it lands after them.
//
// Receive-ring protocol: the NIC writes kept bytes at free-running byte count p, ring offset
// p % bytes (reported as rx_off); the driver returns space by writing its own free-running
// count of freed bytes (mod 2^32) to kRegRxConsumer.
//
// Timing: one beat taken per cycle while the DmaEngine has room (otherwise the input is
// back-pressured); a beat holding k placeable data segments (k DDP table lookups) holds the
// input placement.cycles_per_extra_segment x (k - 1) cycles more, and a frame's last beat
// cqe_write_cycles + rx_ring_write_cycles per receive-ring write more (the engine builds the
// entries it hands to the DMA engine). A frame's DDP table writes (a high-water mark per run,
// a close per completion) book the table's write port, ddp_write_cycles each, ahead of the
// command processor's. A frame's last beat is taken in the cycle its DMA jobs are queued, the first
// of which issues one cycle later, then one per cycle (DmaEngine). A full completion ring holds
// the last beat (back-pressure; completions are never dropped). Throughput: one beat per cycle,
// and the DMA issue rate of one job per cycle: runs + SG crossings + 1 or 2 ring writes + 1
// completion per frame.
//
// With registrations in host memory (ddp_cache, hw/placement/DdpCache), each placeable data
// segment needs its registration, and the SGL lines its bytes touch, on chip: a frame's lookups
// cost ddp_cache.hit_cycles each on its last beat. A miss holds the last beat until every line
// it lacks has landed (miss=stall; the frames behind it wait too) or leaves the segment unplaced
// for the host to copy, as an unregistered one (miss=bypass; the fetch goes on).
#pragma once
#include <systemc>

#include <cstdint>
#include <functional>
#include <unordered_map>

#include "hw/common/ClockDomain.hpp"
#include "hw/common/StreamChannel.hpp"
#include "hw/common/latency_breakdown.hpp"
#include "hw/common/packet.hpp"
#include "hw/offload/flow_context.hpp"
#include "hw/abi/nic_abi.hpp"
#include "hw/pcie/DmaEngine.hpp"
#include "hw/placement/CompletionRing.hpp"
#include "hw/placement/DdpCache.hpp"
#include "hw/placement/placement_params.hpp"
#include "util/ring_fifo.hpp"

namespace nic::hw {

struct PlacementStats {
  uint64_t beats = 0, frames = 0;
  uint64_t frames_offloaded = 0;  // in-sequence frames of an offloaded flow
  uint64_t frames_placed = 0;     // at least one run placed
  uint64_t runs_placed = 0, bytes_placed = 0, placement_writes = 0;
  uint64_t bytes_kept = 0;
  uint64_t unregistered = 0;      // placeable data segments whose tag has no registered buffer
  uint64_t ddp_out_of_range = 0;  // ... reaching past the registered buffer
  uint64_t ddp_overlap = 0;       // ... starting below the bytes already placed for the read
  uint64_t after_completion = 0;  // ... behind their read's completion in the same packet
  uint64_t runs_over_limit = 0;   // placeable runs beyond the per-packet limit, not placed
  uint64_t drop_rx_ring_full = 0;
  uint64_t stall_dma = 0;         // cycles a beat waited for room in the DMA queue
  uint64_t stall_cq_full = 0;     // cycles a last beat waited for a completion slot
  uint64_t closed_by_completion = 0;  // registrations closed on seeing the read complete
  uint64_t segment_cycles = 0;    // extra cycles beats spent on DDP lookups beyond the first
  uint64_t entry_cycles = 0;      // cycles spent on completion entries and receive-ring writes
  // With a DDP cache: cycles spent on its lookups, frames held for a line (miss=stall) and for
  // how long, data segments left unplaced for one (miss=bypass).
  uint64_t ddp_cache_cycles = 0, ddp_wait_frames = 0, ddp_wait_cycles = 0, ddp_bypassed = 0;
};

class PlacementEngine : public sc_core::sc_module, public ClockDomain::Clocked {
 public:
  PlacementEngine(sc_core::sc_module_name name, ClockDomain& clk, StreamChannel<Beat>& in,
                  DmaEngine& dma, CompletionRing& cq, FlowContexts& flows, PacketPool& pool,
                  const PlacementParams& cfg);

  // Receive-ring registers (the command processor forwards the driver's writes). Setting the
  // ring restarts it empty. Until set, every frame is dropped.
  void set_rx_ring(uint64_t base, uint32_t bytes);
  void set_rx_consumer(uint32_t freed) { rx_freed_ = freed; }
  // Sees every frame dropped for a full receive ring, before its context is released.
  void set_drop_hook(std::function<void(const PacketCtx&, const char* reason)> hook) {
    drop_hook_ = std::move(hook);
  }
  // Sees every frame's completion entry when it has landed in host memory, with the frame's
  // stamps (waveforms zoom onto a frame from its first bit on the wire).
  using LandedHook = std::function<void(const FrameStamps&, const abi::Cqe&)>;
  void set_landed_hook(LandedHook hook) { landed_hook_ = std::move(hook); }
  // Registrations and SGLs come through this cache (none: all on chip, no cost). Set before
  // the run.
  void set_ddp_cache(DdpCache* c) { cache_ = c; }

  // Placement writes queued or in flight for `io_tag` of flow-table slot `slot`: a teardown is
  // done only when this is 0.
  uint32_t writes_in_flight(int32_t slot, uint32_t io_tag) const;
  const PlacementStats& stats() const { return stats_; }
  // Per frame: first bit on the wire to its completion entry landing in host memory, in ns;
  // and the same split into its stages (hw/common/latency_breakdown.hpp).
  const LatencyHistogram& latency_ns() const { return latency_ns_; }
  const FrameBreakdown& breakdown() const { return breakdown_; }
  uint64_t last_completion_ps() const { return last_completion_ps_; }  // of any frame

 private:
  struct Run {
    abi::PlacedRun run;
    DdpContext* ddp;
  };
  // Outcome of planning a frame, applied only when the frame commits.
  struct Plan {
    Run runs[abi::kMaxRunsPerCqe];
    uint8_t nruns = 0;
    uint32_t placed = 0;
    uint32_t unregistered = 0, out_of_range = 0, over_limit = 0, overlap = 0, after_completion = 0;
    uint32_t bypassed = 0;  // segments whose lines were not on chip (miss=bypass)
    bool missing = false;   // a line is not on chip and the frame waits for it (miss=stall)
  };
  enum class Finish : uint8_t { Done, WaitCq, WaitCache };

  void tick() override;
  // Done, or why the frame must wait (completion ring full, DDP cache lines on their way).
  // `entry_cycles`: what its completion entry and receive-ring writes cost the engine;
  // `cache_cycles`: its DDP cache lookups.
  Finish finish_frame(PacketCtx& p, uint32_t& entry_cycles, uint32_t& cache_cycles);
  // Extra cycles beat `b` costs for its DDP lookups; `cursor` as for_each_slice's.
  uint32_t segment_cycles(const Beat& b, size_t& cursor) const;
  FlowContext* offloaded_flow(const PacketCtx& p);
  void plan_runs(const PacketCtx& p, FlowContext& fc, Plan& out);
  // A segment's DDP cache line is not on chip: the frame waits for it (stall) or the segment
  // is left unplaced (bypass).
  void missed(Plan& out) const;
  // Stops placement for reads this frame completes (after its own data was planned).
  void close_completed(const PacketCtx& p, FlowContext& fc);
  // Where a run for `d` may start: past what is placed or planned for it.
  static uint32_t high_water(const Plan& plan, const DdpContext* d);
  void place(const PacketCtx& p, int32_t slot, const Run& r);
  void gather_kept(const PacketCtx& p, const Plan& plan);
  uint32_t write_rx_ring();
  uint64_t inflight_key(int32_t slot, uint32_t io_tag) const {
    return uint64_t(uint32_t(slot)) << 32 | io_tag;
  }

  ClockDomain& clk_;
  StreamChannel<Beat>& in_;
  DmaEngine& dma_;
  CompletionRing& cq_;
  FlowContexts& flows_;
  PacketPool& pool_;
  const PlacementParams cfg_;
  DdpCache* cache_ = nullptr;
  // Frames are numbered by stats_.frames while they are the one at the input: the frame whose
  // cache lookups were counted (lookups_), and the one waiting for lines since wait_from_.
  static constexpr uint64_t kNoFrame = UINT64_MAX;
  uint64_t counted_ = kNoFrame, waiting_ = kNoFrame, wait_from_ = 0;
  FrameLookups lookups_;

  uint64_t rx_base_ = 0;
  uint32_t rx_bytes_ = 0;    // 0: ring not set
  uint64_t rx_written_ = 0;  // free-running producer count
  uint32_t rx_freed_ = 0;    // driver's consumer count

  uint64_t busy_until_ = 0;  // first cycle the engine may take a beat
  size_t cursor_ = 0;        // segment cursor within the current frame
  Plan plan_;
  Bytes kept_;  // gather buffer for the receive-ring write
  // Placement writes in flight by (slot, I/O tag). An entry lives while its count is not zero,
  // so the map is as small as the DMA queue however many flows and tags there are.
  std::unordered_map<uint64_t, uint32_t> inflight_;
  PlacementStats stats_;
  LatencyHistogram latency_ns_;
  FrameBreakdown breakdown_;
  // Stamps of the frames whose completion entry is on its way, oldest first: the DMA engine
  // lands entries in the order they were posted.
  RingFifo<FrameStamps> in_flight_;
  std::function<void(const PacketCtx&, const char* reason)> drop_hook_;
  LandedHook landed_hook_;
  uint64_t last_completion_ps_ = 0;
};

}  // namespace nic::hw
