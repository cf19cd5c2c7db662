#include "tools/sweep/find_min.hpp"

#include <stdexcept>

namespace nic::sweep {

namespace {

// Candidates are lo + k*step for k in [0, last], the last one capped at hi.
struct Candidates {
  uint64_t lo, hi, step, last;
  Candidates(uint64_t lo_, uint64_t hi_, uint64_t step_) : lo(lo_), hi(hi_), step(step_) {
    if (step == 0 || lo > hi) throw std::invalid_argument("find-min needs lo <= hi and step > 0");
    last = (hi - lo + step - 1) / step;
  }
  uint64_t value(uint64_t k) const { return k == last ? hi : lo + k * step; }
};

}  // namespace

MinResult find_min(uint64_t lo, uint64_t hi, uint64_t step, double budget,
                   const std::function<double(uint64_t)>& measure) {
  const Candidates c(lo, hi, step);
  MinResult r;
  const auto passes = [&](uint64_t k) {
    const uint64_t v = c.value(k);
    const double m = measure(v);
    r.probes.push_back({v, m, m <= budget});
    return m <= budget;
  };
  if (!passes(c.last)) return r;
  // Invariant: value(good) passes; every k <= bad (when bad >= 0) fails.
  int64_t bad = -1;
  uint64_t good = c.last;
  while (int64_t(good) - bad > 1) {
    const uint64_t mid = uint64_t(bad + (int64_t(good) - bad) / 2);
    if (passes(mid)) good = mid;
    else bad = int64_t(mid);
  }
  r.found = true;
  r.value = c.value(good);
  return r;
}

void for_each_candidate(uint64_t lo, uint64_t hi, uint64_t step, const std::function<void(uint64_t)>& fn) {
  const Candidates c(lo, hi, step);
  for (uint64_t k = 0; k <= c.last; ++k) fn(c.value(k));
}

}  // namespace nic::sweep
