// The NIC's interrupt block: an MSI-X table the driver programs through MMIO, and the
// completion ring's interrupt with moderation, sent as a posted DMA write through the PCIe
// model (as silicon signals an MSI-X vector: a memory write of the entry's data to its address).
//
// Registers (abi::kRegMsix*, kRegCq*; the command processor's register file forwards them):
// the table (address, data, vector control with the mask bit; every vector masked at reset),
// the pending-bit array, the completion ring's vector, its moderation time and count, and the
// re-arm doorbell.
//
// Moderation (ethtool -C rx-usecs / rx-frames, mlx5 CQ moderation): completions the driver has
// not consumed as of its last re-arm are un-signalled. While the vector is armed, a message is
// decided when `count` of them wait (count > 0) or `time` has passed since the first of them
// was written (time 0: at once), whichever comes first. Deciding disarms the vector; the driver
// polls, then writes its consumer index to kRegCqArm, and if completions past that index are
// waiting the rule applies to them at once (their time counted from the first one's write).
// A masked vector latches the decision in its pending bit instead; unmasking sends it.
//
// Timing: the message write is queued msg_cycles after the decision, behind every completion
// entry posted until then: the DMA engine and the link keep posted writes in order, so the
// entries a message announces are in host memory before it arrives. The write carries a DmaTag
// of kind Msix with its vector and the count of entries posted before it.
#pragma once
#include <systemc>

#include <array>
#include <cstdint>
#include <vector>

#include "hw/abi/nic_abi.hpp"
#include "hw/common/ClockDomain.hpp"
#include "hw/irq/irq_params.hpp"
#include "hw/pcie/DmaEngine.hpp"
#include "hw/placement/CompletionRing.hpp"

namespace nic::hw {

struct MsixStats {
  uint64_t messages = 0;           // MSI-X writes queued for DMA
  uint64_t decisions = 0;          // times the moderation rule fired (sent, or latched masked)
  uint64_t by_count = 0;           // ... because the count was reached
  uint64_t by_time = 0;            // ... because the time ran out (time 0 included)
  uint64_t masked = 0;             // decisions latched in a pending bit by a masked vector
  uint64_t completions_signalled = 0;  // un-signalled completions at the decisions, summed
  uint64_t rearms = 0;             // writes to kRegCqArm
};

class MsixController : public sc_core::sc_module, public ClockDomain::Clocked {
 public:
  MsixController(sc_core::sc_module_name name, ClockDomain& clk, DmaEngine& dma,
                 CompletionRing& cq, const IrqParams& p);

  // Register accesses in the interrupt block's part of the register file.
  static bool owns(uint64_t off) {
    return (off >= abi::kRegMsixVectors && off <= abi::kRegMsixPba + 4) ||
           (off >= abi::kRegMsixTable && off < abi::kRegSpace);
  }
  uint32_t reg_read(uint64_t off) const;
  void reg_write(uint64_t off, uint32_t v);
  // The completion ring was (re)configured: it restarts empty, the vector armed at index 0.
  void cq_restarted();

  const MsixStats& stats() const { return stats_; }
  bool pending(uint32_t vector) const { return vector < n_ && ((pba_ >> vector) & 1); }
  uint32_t cq_vector() const { return cq_vector_; }
  // Completions the driver has not consumed as of its last re-arm.
  uint32_t unsignalled() const { return cq_.posted() - ci_; }
  // Waveform: messages sent (a counter that steps per interrupt) and the armed state.
  void trace(sc_core::sc_trace_file* tf) const;

 private:
  struct Entry {
    uint32_t addr_lo = 0, addr_hi = 0, data = 0, ctrl = abi::kMsixCtrlMasked;
  };
  void tick() override;
  void posted(uint32_t index);  // the completion ring queued entry `index` (free-running)
  void send(uint32_t vector);
  void update_mod();

  ClockDomain& clk_;
  DmaEngine& dma_;
  CompletionRing& cq_;
  const IrqParams p_;
  const uint32_t n_;  // vectors
  std::array<Entry, abi::kMsixMaxVectors> table_{};
  uint64_t pba_ = 0;
  uint32_t cq_vector_ = 0;
  uint32_t mod_ns_, mod_count_;
  uint64_t mod_cycles_ = 0;  // mod_ns_ in core cycles, rounded up
  bool armed_ = true;
  uint32_t ci_ = 0;                  // the consumer index of the last re-arm
  std::vector<uint64_t> post_cycle_;  // by ring slot: when its entry was queued
  bool active_ = false;    // something to evaluate at the next ticks
  bool building_ = false;  // a message decided, queued at build_due_
  uint32_t build_vector_ = 0;
  uint64_t build_due_ = 0;
  uint64_t timer_at_ = UINT64_MAX;  // the edge asked for the time trigger
  MsixStats stats_;
  // Waveform copies.
  uint32_t trace_messages_ = 0;
  bool trace_armed_ = true;
};

}  // namespace nic::hw
