// The minimum-size finder's bisection, apart from what a probe runs: over the values lo,
// lo+step, ..., capped at hi, for the smallest whose metric (drops) is within a budget.
// Assumes the metric does not grow with the value, as for a FIFO in front of a slower consumer.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

namespace nic::sweep {

struct Probe {
  uint64_t value;
  double metric;
  bool pass;
};
struct MinResult {
  bool found = false;  // false: even `hi` is over budget
  uint64_t value = 0;  // smallest passing value
  std::vector<Probe> probes;
};
// `measure` runs one probe and returns the metric. Probes `hi` first, then bisects. Throws
// std::invalid_argument unless lo <= hi and step > 0.
MinResult find_min(uint64_t lo, uint64_t hi, uint64_t step, double budget,
                   const std::function<double(uint64_t)>& measure);
// Calls `fn` with every value find_min may probe, in increasing order.
void for_each_candidate(uint64_t lo, uint64_t hi, uint64_t step, const std::function<void(uint64_t)>& fn);

}  // namespace nic::sweep
