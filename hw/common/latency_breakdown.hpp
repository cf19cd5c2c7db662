// Latency split into consecutive stages: a journey's stamps are the times it left each stage,
// every stage starting where the one before it ended, so the stages of one journey add up to
// its whole latency exactly. A breakdown keeps a histogram per stage (docs/latency.md).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

#include "hw/common/latency_histogram.hpp"

namespace nic::hw {

template <size_t N>
struct StageStamps {
  static constexpr size_t kStages = N;
  uint64_t start_ps = 0;
  std::array<uint64_t, N> end_ps{};  // when stage i ended

  uint64_t part_ps(size_t i) const { return end_ps[i] - (i ? end_ps[i - 1] : start_ps); }
  uint64_t total_ps() const { return end_ps[N - 1] - start_ps; }
};

template <size_t N>
class LatencyBreakdown {
 public:
  void add(const StageStamps<N>& s) {
    for (size_t i = 0; i < N; ++i) parts_[i].add(s.part_ps(i) / 1000);
  }
  const LatencyHistogram& stage(size_t i) const { return parts_[i]; }  // ns

 private:
  std::array<LatencyHistogram, N> parts_;
};

// A received frame, from its first bit on the wire to its completion entry landing in host
// memory (PlacementEngine): where it was when each stage ended.
enum FrameStage : uint8_t {
  kWire,          // last bit received (serialisation)
  kMacFifo,       // last beat left the MAC's receive FIFO
  kHeaderParser,  // last beat left each pipeline block (a channel's cycle included)
  kFlowLookup,
  kPduParser,
  kCrc,
  kPlacement,     // last beat taken by placement: the frame's DMA jobs are queued
  kDmaQueue,      // the completion entry's write issued by the DMA engine
  kPcieTx,        // ... its last TLP left the device (wire and posted credits)
  kPcie,          // ... its last TLP landed at the host
  kHostMemory,    // ... host memory finished the write (IOMMU, bandwidth, latency)
  kFrameStages
};
inline constexpr std::array<const char*, kFrameStages> kFrameStageNames{
    "wire", "mac_fifo", "header_parser", "flow_lookup", "pdu_parser", "crc",
    "placement", "dma_queue", "pcie_tx", "pcie", "host_memory"};

using FrameStamps = StageStamps<kFrameStages>;
using FrameBreakdown = LatencyBreakdown<kFrameStages>;

}  // namespace nic::hw
