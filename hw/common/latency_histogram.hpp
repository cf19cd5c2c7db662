// Log-linear histogram of latencies (HdrHistogram-style): exact below 64, then 32 linear
// sub-buckets per power of two, so any percentile is within 1/32 (3 %) above the exact value,
// in constant memory however many packets a run has.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>

namespace nic::hw {

class LatencyHistogram {
 public:
  static constexpr unsigned kSub = 64;  // exact values below this; kSub/2 sub-buckets per octave

  void add(uint64_t v) {
    ++count_;
    if (v > max_) max_ = v;
    if (v < min_) min_ = v;
    ++buckets_[index(v)];
  }
  // Adds another histogram's samples (per connection into a run's).
  void merge(const LatencyHistogram& o) {
    if (!o.count_) return;
    count_ += o.count_;
    max_ = std::max(max_, o.max_);
    min_ = std::min(min_, o.min_);
    for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += o.buckets_[i];
  }
  uint64_t count() const { return count_; }
  uint64_t max() const { return count_ ? max_ : 0; }
  uint64_t min() const { return count_ ? min_ : 0; }
  // Smallest bucket upper bound at or above fraction q of the samples (exact for the max).
  uint64_t percentile(double q) const {
    if (!count_) return 0;
    const uint64_t want = uint64_t(q * double(count_) + 0.999999);
    uint64_t acc = 0;
    for (unsigned i = 0; i < buckets_.size(); ++i) {
      acc += buckets_[i];
      if (acc >= want) return upper(i) < max_ ? upper(i) : max_;
    }
    return max_;
  }

 private:
  static unsigned index(uint64_t v) {
    if (v < kSub) return unsigned(v);
    const unsigned msb = 63u - unsigned(__builtin_clzll(v));  // >= 6
    const unsigned shift = msb - 5;                            // keep 6 significant bits
    return (shift + 1) * kSub / 2 + unsigned((v >> shift) - kSub / 2);
  }
  static uint64_t upper(unsigned i) {
    if (i < kSub) return i;
    const unsigned shift = i / (kSub / 2) - 1;
    const uint64_t mant = i % (kSub / 2) + kSub / 2;
    return ((mant + 1) << shift) - 1;
  }

  std::array<uint64_t, 64 * kSub / 2 + kSub> buckets_{};
  uint64_t count_ = 0, max_ = 0, min_ = UINT64_MAX;
};

}  // namespace nic::hw
