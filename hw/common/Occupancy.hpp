// Time-weighted occupancy statistics of a buffer, recorded only when the level changes, so
// a gated clock costs nothing while the level is constant.
#pragma once
#include <cstdint>
#include <vector>

namespace nic::hw {

// Sees every level change as it is recorded (a replay's timeline integrates them per window).
class OccupancyObserver {
 public:
  virtual void level_changed(uint64_t cycle, uint32_t level) = 0;

 protected:
  ~OccupancyObserver() = default;
};

class Occupancy {
 public:
  explicit Occupancy(uint32_t capacity) : hist_(size_t(capacity) + 1, 0), cap_(capacity) {}

  // The level is `level` from cycle `now` on.
  void record(uint64_t now, uint32_t level) {
    if (now > since_) {
      hist_[level_ < hist_.size() ? level_ : hist_.size() - 1] += now - since_;
      since_ = now;
    }
    level_ = level;
    if (level > high_) high_ = level;
    if (observer_) observer_->level_changed(now, level);
  }
  // Watching changes no statistic, so a FIFO's const statistics can be watched.
  void set_observer(OccupancyObserver* o) const { observer_ = o; }

  uint32_t capacity() const { return cap_; }
  uint32_t level() const { return level_; }
  uint32_t high_watermark() const { return high_; }
  uint64_t cycles_full() const { return hist_.back(); }
  // hist()[n] = cycles spent holding exactly n items.
  const std::vector<uint64_t>& hist() const { return hist_; }
  uint64_t cycles() const {
    uint64_t s = 0;
    for (auto c : hist_) s += c;
    return s;
  }
  // Smallest level not exceeded for fraction q of the recorded cycles.
  uint32_t percentile(double q) const {
    const uint64_t total = cycles();
    if (!total) return 0;
    uint64_t acc = 0;
    for (size_t i = 0; i < hist_.size(); ++i) {
      acc += hist_[i];
      if (double(acc) >= q * double(total)) return uint32_t(i);
    }
    return cap_;
  }

 private:
  std::vector<uint64_t> hist_;
  uint32_t cap_;
  uint32_t level_ = 0, high_ = 0;
  uint64_t since_ = 0;
  mutable OccupancyObserver* observer_ = nullptr;
};

}  // namespace nic::hw
