// Receive MAC. Serialises the frames of a trace onto the wire at the line rate (preamble,
// FCS and inter-frame gap counted), checks each frame as it is written into the receive FIFO
// (length, L2-L4 parse, IP/TCP checksums: the checksum unit sits on the FIFO write side, so
// the verdict travels with the frame's first beat), drops and counts frames that find the FIFO
// full, and streams the FIFO out as beats of `datapath_bytes`, one per core cycle.
//
// Two clock domains. The write side runs on the MAC clock: the receive bus carries
// mac.bus_bytes / mac.segment_bytes segments a cycle, a frame starting on a segment, so a
// frame's last word is written at the first MAC edge at or after its last bit unless the
// frames before it still hold the bus (an unsegmented bus wastes the rest of a frame's last
// beat; short frames then fall behind the line). It enters the FIFO if the FIFO has room for
// its words (RAM words of mac.segment_bytes). The read side runs on the core clock. The FIFO
// is asynchronous: the write pointer reaches the core domain through mac.sync_stages flops
// (the frame is seen sync_stages core cycles after the first core edge past its write), and
// the read pointer reaches the MAC domain the same way, so the writer sees space freed late.
//
// Latency: store-and-forward plus the crossing. Throughput: one beat per core cycle.
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
  uint64_t bus_behind_cycles = 0;  // MAC cycles frames' last words waited for the receive bus
};

class Mac : public sc_core::sc_module, public ClockDomain::Clocked {
 public:
  // Supplies the next frame (ts_ps = capture timestamp relative to the trace start);
  // returns nullptr at the end of the trace.
  using Source = std::function<PacketCtx*(uint64_t& ts_ps)>;
  // Receives frames the MAC dropped, so their context can be accounted and recycled.
  using DropSink = std::function<void(PacketCtx*, const char* reason)>;

  // `mac_clk` runs the write side, `clk` (the core's) the read side.
  Mac(sc_core::sc_module_name name, ClockDomain& mac_clk, ClockDomain& clk,
      StreamChannel<Beat>& out, const MacParams& params, uint32_t beat_bytes,
      bool honour_timestamps, Source source, DropSink drop);

  const MacStats& stats() const { return stats_; }
  // Sees every frame as its last bit arrives, before the MAC keeps or drops it.
  void set_arrival_hook(std::function<void(const PacketCtx&)> hook) { arrival_ = std::move(hook); }
  const Occupancy& fifo_occupancy() const { return fifo_occ_; }
  bool done() const { return !pending_ && fifo_.empty() && source_exhausted_; }
  // The source has frames again after it returned none (a network, unlike a trace, has more
  // later): ask it at once.
  void more() {
    source_exhausted_ = false;
    more_ev_.notify(sc_core::SC_ZERO_TIME);
  }
  void finish_stats() { fifo_occ_.record(clk_.cycle(), fifo_used_); }
  // The FIFO's level in bytes of whole words; its pointers (free-running word counts) in the
  // domain that owns each, and the read pointer as the write side sees it after the crossing.
  void trace(sc_core::sc_trace_file* tf) const {
    sc_core::sc_trace(tf, fifo_used_, std::string(name()) + ".fifo_bytes");
    sc_core::sc_trace(tf, wr_words_, std::string(name()) + ".fifo_wr_ptr");
    sc_core::sc_trace(tf, rd_words_, std::string(name()) + ".fifo_rd_ptr");
    sc_core::sc_trace(tf, rd_synced_, std::string(name()) + ".fifo_rd_ptr_sync");
    sc_core::sc_trace(tf, stats_.frames_in, std::string(name()) + ".frames_in");
    sc_core::sc_trace(tf, stats_.drop_fifo_full, std::string(name()) + ".drops");
  }

 private:
  // The write side, clocked by the MAC domain.
  struct Writer : ClockDomain::Clocked {
    Mac& mac;
    explicit Writer(Mac& m) : mac(m) {}
    void tick() override { mac.admit_arrivals(mac.mac_clk_.now_ps()); }
  };
  struct Entry {
    PacketCtx* p;
    uint64_t seen_ps;  // when the core domain sees its write (pointer synchronised)
    uint32_t words;
  };
  // A read pointer value and when the write side sees it.
  struct ReadPtr {
    uint64_t seen_ps, words;
  };

  void tick() override;  // the read side
  void fetch_next();
  void admit_arrivals(uint64_t now_ps);
  uint32_t words(uint32_t bytes) const { return (bytes + p_.segment_bytes - 1) / p_.segment_bytes; }
  // The first edge of a domain of period `period` strictly after `t`, plus `stages` edges.
  uint64_t synced(uint64_t t, uint64_t period) const {
    return (t / period + 1 + p_.sync_stages) * period;
  }
  void record_level(uint64_t now_ps);  // the time of the domain recording

  ClockDomain& mac_clk_;
  ClockDomain& clk_;
  const uint64_t mac_period_ps_, core_period_ps_;
  Writer writer_;
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
  sc_core::sc_event more_ev_;
  uint64_t wire_free_ps_ = 0;     // when the wire can start the next frame
  std::deque<Entry> fifo_;        // received frames, head being streamed out
  const uint64_t capacity_words_;
  uint64_t wr_words_ = 0, rd_words_ = 0;  // free-running pointers, in words
  uint64_t rd_synced_ = 0;        // the read pointer as the write side sees it
  uint64_t bus_slot_free_ = 0;    // the receive bus's next free segment slot (cycle x segments)
  uint64_t pending_written_ps_ = 0;  // when the pending frame's last word is written (0: not yet known)
  std::deque<ReadPtr> rd_crossing_;  // read pointer values on their way to the write side
  uint32_t fifo_used_ = 0;        // bytes of whole words: wr_words_ - rd_words_
  uint32_t head_off_ = 0;         // bytes of the head frame already sent as beats
  uint32_t head_words_read_ = 0;  // words of the head frame the read pointer has passed
  Occupancy fifo_occ_;
  MacStats stats_;
};

}  // namespace nic::hw
