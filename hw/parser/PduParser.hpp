// NVMe/TCP PDU parser: for each frame of an offloaded flow, asks the flow's PduTracker where
// every PDU header, digest, pad and data byte lies (the plan the CRC and placement blocks act
// on). Frames not exactly in sequence pass through untouched and stop the flow's offload.
// Latency: `latency` cycles. Throughput: one beat per cycle, plus
// parser.cycles_per_extra_header for each PDU header beyond the first that starts in a beat,
// plus ctx_cache.hit_cycles per frame of an offloaded flow when contexts are cached; a frame
// whose context is not on chip waits at the input (ctx_cache.miss=stall, holding every frame
// behind it) or goes to software (bypass). While the flow searches for headers, the search
// scans the frame's payload at ooo.search_bytes_per_cycle alongside its beats:
// ceil(bytes / rate) cycles from the first beat, and the last beat waits for what its beats
// did not cover.
#pragma once
#include <array>
#include <functional>

#include "hw/common/PipelineStage.hpp"
#include "hw/flow/ContextCache.hpp"
#include "hw/offload/flow_context.hpp"
#include "hw/parser/parser_params.hpp"

namespace nic::hw {

struct PduParserStats {
  uint64_t frames_planned = 0, out_of_seq = 0, searching = 0, headers = 0, header_errors = 0;
  uint64_t extra_header_cycles = 0;
  // With a context cache: frames that waited for their context (miss=stall) and the cycles
  // they waited, frames passed to software instead (miss=bypass).
  uint64_t ctx_wait_frames = 0, ctx_wait_cycles = 0, ctx_bypass = 0;
  uint64_t search_cycles = 0;  // last beats waited for the header search to finish
  // By protocol (abi::Ulp) and its error code (NVMe/TCP: nvme::PduError, iSCSI:
  // iscsi::PduError); the last counts any beyond.
  std::array<std::array<uint64_t, 32>, 2> header_errors_by{};
};

class PduParser : public PipelineStage {
 public:
  PduParser(sc_core::sc_module_name name, ClockDomain& clk, StreamChannel<Beat>& in,
            StreamChannel<Beat>& out, FlowContexts& flows, uint32_t latency,
            uint32_t cycles_per_extra_header, uint32_t search_bytes_per_cycle);
  const PduParserStats& parser_stats() const { return st_; }
  // Flow contexts come from this cache (none: all on chip, no cost). Set before the run.
  void set_context_cache(ContextCache* c) { cache_ = c; }
  // Called with "resync" when a resync request goes out and "framing_lost" when a flow
  // loses framing.
  void set_event_hook(std::function<void(const char*)> hook) { hook_ = std::move(hook); }
  // Waveform, for the last frame that entered the parser: flow_valid (it belongs to an
  // offloaded flow), its flow-table slot (0 when not valid), that flow's tracker state after
  // the frame (a TrackerState; Disabled when not valid); and the count of resync requests.
  void trace(sc_core::sc_trace_file* tf) const {
    sc_core::sc_trace(tf, trace_flow_valid_, std::string(name()) + ".flow_valid");
    sc_core::sc_trace(tf, trace_flow_, std::string(name()) + ".flow");
    sc_core::sc_trace(tf, trace_state_, std::string(name()) + ".tracker_state");
    sc_core::sc_trace(tf, trace_resyncs_, std::string(name()) + ".resync_requests");
  }

 protected:
  uint32_t accept(Beat& b) override;
  bool ready(const Beat& b) override;

 private:
  // The cache slot a frame's context needs (its first beat, an offloaded flow), or kNone.
  int32_t context_of(const Beat& b) const;

  uint32_t beat_cost(Beat& b);  // the beat's planning, and its cost without the search
  FlowContexts& flows_;
  ContextCache* cache_ = nullptr;
  const PacketCtx* waiting_ = nullptr;  // the frame held for its context, since wait_from_
  uint64_t wait_from_ = 0;
  const uint32_t extra_;
  const uint32_t search_rate_;  // bytes per cycle; 0: the search is free
  uint32_t scan_left_ = 0;      // cycles of the current frame's search not yet covered
  size_t cursor_ = 0;  // segment cursor within the current frame
  PduParserStats st_;
  std::function<void(const char*)> hook_;
  bool trace_flow_valid_ = false;
  uint32_t trace_flow_ = 0;
  uint8_t trace_state_ = uint8_t(TrackerState::Disabled);
  uint64_t trace_resyncs_ = 0;
};

}  // namespace nic::hw
