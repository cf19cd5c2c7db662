// A replay's time series (`nicsim replay --timeline`): simulated time cut into windows of a
// fixed length, and per window what entered the MAC, what reached host memory, every FIFO's
// level (highest and time-weighted mean, integrated exactly from each level change), drops by
// reason, PCIe busy time per direction, and the reads completed with their latency
// percentiles, and each on-chip cache's lookups, misses and hit rate.
//
// Sources report at their own times, and those are not in one order: the NIC's clock domain
// runs ahead of the kernel, the PCIe link queues busy stretches ahead of time. So every window
// is kept until the end and the CSV is written then: memory grows with the number of windows,
// never with frames or reads. Nothing here drives the simulation, and a window in which
// nothing happened is a row like any other. Plain C++.
#pragma once
#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace nic::tb {

class Timeline {
 public:
  // Amounts summed per window.
  enum Sum : uint8_t {
    kFrames,        // frames whose last bit reached the MAC
    kOfferedBytes,  // their bytes on the wire, spread over their time on it
    kPlacedBytes,   // DMA writes into host memory: read buffers (placed payload),
    kRingBytes,     //   the receive ring (bytes the NIC did not place),
    kCqeBytes,      //   the completion ring
    kPcieUpPs,      // PCIe busy time, device to host
    kPcieDownPs,    //   and host to device
    kSumCount
  };

  // `fifos`, `drop_reasons` and `caches` name the columns; FIFOs, reasons and caches are then
  // given by index. A source other than the NIC may add `gauges` (levels, kept as a FIFO's:
  // max and time-weighted mean) and `counts` (events per window), whose columns come last.
  struct Extra {
    std::vector<std::string> gauges, counts;
  };
  Timeline(uint64_t window_ps, std::vector<std::string> fifos, std::vector<std::string> drop_reasons,
           std::vector<std::string> caches = {}, Extra extra = {});

  uint64_t window_ps() const { return window_ps_; }
  // `n` of `what` at time t.
  void add(Sum what, uint64_t t_ps, uint64_t n);
  // `n` of `what` spread evenly over [from, to) (a frame over its time on the wire, a TLP's
  // busy time over itself); whole units, summing to exactly `n`.
  void spread(Sum what, uint64_t from_ps, uint64_t to_ps, uint64_t n);
  // A frame dropped for `reason` (one of the constructor's; anything else throws).
  void drop(std::string_view reason, uint64_t t_ps);
  // FIFO `fifo` holds `level` from t on. Each FIFO's changes come in time order.
  void level(size_t fifo, uint64_t t_ps, uint32_t level);
  // A lookup of cache `cache` at t: a hit, a miss (a fetch started) or neither (it merged
  // into a fetch under way).
  enum class Access : uint8_t { Hit, Miss, Merged };
  void cache_access(size_t cache, uint64_t t_ps, Access a);
  // Gauge `g` reads `value` from t on (in time order, as a FIFO's level); `n` events of count
  // `c` at t.
  void gauge(size_t g, uint64_t t_ps, uint32_t value) { level(n_fifos_ + g, t_ps, value); }
  void count(size_t c, uint64_t t_ps, uint64_t n) { count_cells_[window_of(t_ps) * counts_.size() + c] += n; }
  // A read completed at t after `latency_ps`. Reads come in time order (the driver's).
  void read_done(uint64_t t_ps, uint64_t latency_ps);
  // Simulated time ended at `end_ps`: the FIFOs hold their levels to the end of its window.
  // The rows then run from 0 to the window holding `end_ps`.
  void finish(uint64_t end_ps);

  size_t windows() const { return rows_.size(); }
  const std::vector<std::string>& columns() const { return columns_; }
  // The header and one row per window.
  void write_csv(std::ostream& out) const;

 private:
  struct Row {
    std::array<uint64_t, kSumCount> sum{};
    uint64_t reads = 0, p50_ps = 0, p99_ps = 0;
  };
  struct FifoCell {
    uint64_t area = 0;  // level x ps
    uint32_t max = 0;
  };
  struct FifoNow {
    uint64_t since_ps = 0;
    uint32_t level = 0;
  };

  size_t window_of(uint64_t t_ps);  // grows the windows to hold t
  FifoCell& cell(size_t window, size_t fifo) { return cells_[window * fifos_.size() + fifo]; }
  void hold(size_t fifo, uint64_t to_ps);  // the FIFO's level from its last change up to `to`
  void close_reads();

  uint64_t window_ps_;
  struct CacheCell {
    uint64_t lookups = 0, hits = 0, misses = 0;
  };
  // The FIFOs, then the gauges: both kept by hold() and level().
  std::vector<std::string> fifos_, drops_, caches_, counts_;
  size_t n_fifos_;
  std::vector<uint64_t> count_cells_;  // windows x counts
  std::vector<std::string> columns_;
  std::vector<Row> rows_;
  std::vector<uint64_t> drop_counts_;  // windows x reasons
  std::vector<FifoCell> cells_;        // windows x FIFOs
  std::vector<CacheCell> cache_cells_;  // windows x caches
  std::vector<FifoNow> now_;           // per FIFO
  // The reads of the latest window that has any: its percentiles are taken when a later
  // window's first read comes, or at finish.
  std::vector<uint64_t> latencies_;
  size_t reads_window_ = 0;
};

}  // namespace nic::tb
