// Receive MAC. Serialises the frames of a trace onto the wire at the line rate (preamble,
// FCS and inter-frame gap counted), checks each frame as it is written into the receive FIFO
// (length, L2-L4 parse, IP/TCP checksums: the checksum unit sits on the FIFO write side, so
// the verdict travels with the frame's first beat), drops and counts frames that find the FIFO
// full, and streams the FIFO out as beats of `datapath_bytes`, one per core cycle.
//
// Latency: a frame's first beat leaves at the first core edge after its last bit arrived
// (store-and-forward). Throughput: one beat per cycle.
#pragma once
#include <systemc>

#include <cstdint>
#include <deque>
#include <functional>

#include "hw/common/ClockDomain.hpp"
#include "hw/common/Occupancy.hpp"
#include "hw/common/StreamChannel.hpp"
#include "hw/common/packet.hpp"
#include "hw/mac/mac_params.hpp"

namespace nic::hw {


struct MacStats {
  uint64_t frames_in = 0, bytes_in = 0;
  uint64_t frames_out = 0;
  uint64_t drop_fifo_full = 0, drop_oversize = 0, drop_runt = 0;
  uint64_t beats_out = 0;      // cycles a beat left the FIFO
  uint64_t blocked_cycles = 0; // cycles a beat waited for the next block
  uint64_t first_start_ps = 0, last_end_ps = 0;
};

class Mac : public sc_core::sc_module, public ClockDomain::Clocked {
 public:
  // Supplies the next frame (ts_ps = capture timestamp relative to the trace start);
  // returns nullptr at the end of the trace.
  using Source = std::function<PacketCtx*(uint64_t& ts_ps)>;
  // Receives frames the MAC dropped, so their context can be accounted and recycled.
  using DropSink = std::function<void(PacketCtx*, const char* reason)>;

  Mac(sc_core::sc_module_name name, ClockDomain& clk, StreamChannel<Beat>& out,
      const MacParams& params, uint32_t beat_bytes, bool honour_timestamps, Source source,
      DropSink drop);

  const MacStats& stats() const { return stats_; }
  // Sees every frame as its last bit arrives, before the MAC keeps or drops it.
  void set_arrival_hook(std::function<void(const PacketCtx&)> hook) { arrival_ = std::move(hook); }
  const Occupancy& fifo_occupancy() const { return fifo_occ_; }
  bool done() const { return !pending_ && fifo_.empty() && source_exhausted_; }
  void finish_stats() { fifo_occ_.record(clk_.cycle(), fifo_used_); }
  void trace(sc_core::sc_trace_file* tf) const {
    sc_core::sc_trace(tf, fifo_used_, std::string(name()) + ".fifo_bytes");
    sc_core::sc_trace(tf, stats_.frames_in, std::string(name()) + ".frames_in");
    sc_core::sc_trace(tf, stats_.drop_fifo_full, std::string(name()) + ".drops");
  }

 private:
  void tick() override;
  void fetch_next();
  void admit_arrivals(uint64_t now_ps);

  ClockDomain& clk_;
  StreamChannel<Beat>& out_;
  const MacParams p_;
  const uint32_t beat_bytes_;
  const bool honour_timestamps_;  // false: frames back to back at line rate
  Source source_;
  DropSink drop_;
  std::function<void(const PacketCtx&)> arrival_;
  const double ps_per_byte_;

  PacketCtx* pending_ = nullptr;  // next frame on the wire, not yet fully received
  bool source_exhausted_ = false;
  uint64_t wire_free_ps_ = 0;     // when the wire can start the next frame
  std::deque<PacketCtx*> fifo_;   // received frames, head being streamed out
  uint32_t fifo_used_ = 0;        // bytes
  uint32_t head_off_ = 0;         // bytes of the head frame already sent as beats
  Occupancy fifo_occ_;
  MacStats stats_;
};

}  // namespace nic::hw
