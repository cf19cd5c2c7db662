// The transmit path: the driver's frames from host memory to the wire. The driver writes
// descriptors (abi::TxDesc: buffer address, length) into a ring in host memory and rings a
// doorbell (abi::kRegTxProducer, the free-running count of descriptors posted); the engine
// fetches the new descriptors by DMA read, reads each frame into its transmit buffer by DMA
// read, writes its consumer index back to host memory (head write-back, abi::kRegTxHeadAddr)
// once frames have been read, and its Tx MAC serialises the frames at the line rate, strictly
// in ring order.
//
// Registers (abi::kRegTx*; the command processor's register file forwards them, as it does the
// interrupt block's): ring base and size, the producer doorbell, the write-back address, and
// read-only the consumer index and the longest frame (tx.max_frame_bytes).
//
// Timing (core clock unless said otherwise; docs/tx.md):
//  - fetch: a doorbell starts a descriptor read at the next edge, of as many new descriptors as
//    the descriptor buffer (tx.fetch_entries) has room for, never across the ring's end (a
//    batch that wraps takes two reads), one fetch in flight at a time. Fetched descriptors
//    are decoded the cycle after their read completed.
//  - frame reads: one issued per cycle, in ring order, each only when the frame's bytes fit in
//    the transmit buffer (tx.buffer_bytes) and the DMA queue has room; they overlap as far as
//    dma.read_ops and pcie.tags allow. A frame holds its bytes of the buffer from its read's
//    issue until its wire slot has ended and the MAC's read pointer has crossed back, which
//    the core sees mac.sync_stages cycles after the first core edge at or after that time.
//  - head write-back: when a frame's read completes, the consumer index (every descriptor up
//    to the first whose frame is not read yet) is queued for DMA as a 4-byte posted write.
//    Batching: one write-back at a time, from its submission until its TLP has left; frames
//    read meanwhile are covered by the next one, queued as soon as it has left.
//  - Tx MAC (MAC clock): store and forward. A frame is seen by the MAC mac.sync_stages MAC
//    cycles after the first MAC edge past the core edge its last byte was written at (the
//    write pointer's crossing). It starts then, or at the end of the previous frame's wire
//    slot if that is later, and its slot lasts (frame + mac.wire_overhead_bytes) x 8 /
//    mac.line_rate_gbps: frames whose reads keep ahead leave exactly one slot apart.
//
// Output: the sink gets each frame when its wire slot has ended (preamble, frame, FCS and the
// inter-frame gap: the next frame may start), at the first core edge at or after that time,
// with the exact start and end of the slot in ps. It runs inside a core-clock tick, whose time
// may be ahead of the kernel's (ClockDomain::lead()): schedule from the times given, not from
// sc_time_stamp(). Descriptors of length 0 or above tx.max_frame_bytes, and frames whose read
// failed, are consumed and counted but never reach the wire.
#pragma once
#include <systemc>

#include <cstdint>
#include <deque>
#include <functional>

#include "hw/abi/nic_abi.hpp"
#include "hw/common/ClockDomain.hpp"
#include "hw/mac/mac_params.hpp"
#include "hw/pcie/DmaEngine.hpp"
#include "hw/tx/tx_params.hpp"
#include "util/byte_pool.hpp"
#include "util/bytes.hpp"

namespace nic::hw {

struct TxStats {
  uint64_t frames = 0, bytes = 0;  // frames that left the wire, their bytes without overhead
  uint64_t fetches = 0;            // descriptor reads
  uint64_t descriptors = 0;        // descriptors fetched
  uint64_t skipped = 0;            // descriptors of length 0 or above tx.max_frame_bytes
  uint64_t dma_errors = 0;         // descriptor or frame reads the host failed
  uint64_t writebacks = 0;         // head write-backs queued
  uint64_t stall_buffer_cycles = 0;  // cycles the next frame's read waited for buffer space
  uint64_t stall_dma_cycles = 0;     // cycles it waited for room in the DMA queue
  uint32_t max_buffer_bytes = 0;     // most transmit-buffer bytes held at once
};

class TxEngine : public sc_core::sc_module, public ClockDomain::Clocked {
 public:
  // Called for each frame that left the wire: its bytes, and the start and end of its slot.
  using TxSink = std::function<void(ByteView frame, uint64_t wire_start_ps, uint64_t wire_end_ps)>;

  // `mac_clk`: the Tx MAC's clock (only its period is used: the MAC's work is computed, not
  // ticked); `mac`: its line rate, wire overhead and synchronisers.
  TxEngine(sc_core::sc_module_name name, ClockDomain& clk, const ClockDomain& mac_clk,
           const TxParams& params, const MacParams& mac, DmaEngine& dma);

  void set_sink(TxSink sink) { sink_ = std::move(sink); }

  // Register accesses in the transmit part of the register file.
  static bool owns(uint64_t off) {
    return off >= abi::kRegTxRingBase && off <= abi::kRegTxMaxFrame;
  }
  uint32_t reg_read(uint64_t off) const;
  void reg_write(uint64_t off, uint32_t v);

  const TxStats& stats() const { return stats_; }
  uint32_t head() const { return head_; }  // consumer index: descriptors whose frame was read
  bool idle() const { return !fetching_ && descs_.empty() && frames_.empty() && !wb_busy_; }
  // Waveform: transmit-buffer bytes held, and frames between their read's issue and the end
  // of their wire slot.
  void trace(sc_core::sc_trace_file* tf) const;

 private:
  struct Desc {
    abi::TxDesc d;
    uint64_t ready;  // cycle it is decoded
  };
  struct Frame {
    uint32_t len = 0;
    bool read = false;  // its bytes are in the buffer, or it will not be sent
    bool skip = false;  // not sent: a bad descriptor or a failed read
    uint64_t start_ps = 0, end_ps = 0;
    Bytes data;
  };
  struct Free {
    uint64_t cycle;  // the core sees the space from this cycle
    uint32_t bytes;
  };

  void tick() override;
  void retire(uint64_t now);
  void fetch();
  void issue_read(uint64_t now);
  void frame_read(uint32_t index);  // frame `index` (free-running) is in the buffer or skipped
  void write_back();
  void restart();

  ClockDomain& clk_;
  const uint64_t mac_period_ps_;
  const TxParams p_;
  const MacParams mac_;
  const double ps_per_byte_;
  DmaEngine& dma_;
  TxSink sink_;

  uint32_t regs_[(abi::kRegTxMaxFrame - abi::kRegTxRingBase) / 4 + 1] = {};
  uint32_t& reg(uint64_t off) { return regs_[(off - abi::kRegTxRingBase) / 4]; }
  uint32_t reg(uint64_t off) const { return regs_[(off - abi::kRegTxRingBase) / 4]; }

  // Ring: indices are free-running descriptor counts.
  uint64_t base_ = 0, wb_addr_ = 0;
  uint32_t entries_ = 0;  // 0: not configured
  uint32_t fetched_ = 0;  // descriptors read into descs_ (or being read: fetching_)
  bool fetching_ = false;
  std::deque<Desc> descs_;  // fetched, frame read not yet issued
  // Frames from their read's issue until their wire slot ended, in ring order; the first is
  // descriptor retired_.
  std::deque<Frame> frames_;
  uint32_t retired_ = 0;
  // Consumer index: frames_ up to here are read, and have their wire slot or are skipped.
  uint32_t head_ = 0;
  uint32_t written_ = 0;  // the consumer index the last write-back carried
  bool wb_busy_ = false;
  uint64_t wire_free_ps_ = 0;  // the end of the last scheduled frame's slot

  // Transmit buffer.
  uint32_t buffer_used_ = 0;
  std::deque<Free> frees_;  // space freed, not yet seen by the core
  uint64_t stalled_since_ = 0;
  bool stalled_ = false;  // the head descriptor waits for buffer space
  BytePool spare_;
  uint32_t in_flight_ = 0;  // frames_.size(), for the waveform

  TxStats stats_;
};

}  // namespace nic::hw
