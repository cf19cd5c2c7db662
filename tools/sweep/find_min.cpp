#include "tools/sweep/find_min.hpp"

#include <algorithm>
#include <map>
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

Method search_method(uint64_t lo, uint64_t hi, uint64_t step, bool monotonic) {
  const Candidates c(lo, hi, step);
  return monotonic ? Method::bisection : c.last < kScanMax ? Method::scan : Method::verified_bisection;
}

std::string method_text(Method m) {
  switch (m) {
    case Method::bisection:
      return "bisection";
    case Method::scan:
      return "scan down from hi";
    case Method::verified_bisection:
      break;
  }
  return "bisection verified " + std::to_string(kVerifySteps) + " steps up";
}

MinResult find_min(uint64_t lo, uint64_t hi, uint64_t step, bool monotonic, unsigned parallel, const Judge& judge) {
  const Candidates c(lo, hi, step);
  MinResult r;
  std::map<uint64_t, bool> passed;  // by candidate index
  const auto run = [&](const std::vector<uint64_t>& ks) {
    std::vector<uint64_t> values;
    for (uint64_t k : ks) values.push_back(c.value(k));
    const std::vector<bool> pass = judge(values);
    if (pass.size() != ks.size()) throw std::logic_error("find_min: one verdict per value expected");
    for (size_t i = 0; i < ks.size(); ++i) {
      passed[ks[i]] = pass[i];
      r.probes.push_back({values[i], pass[i]});
    }
  };
  run({c.last});
  if (!passed[c.last]) return r;
  r.found = true;

  if (search_method(lo, hi, step, monotonic) == Method::scan) {
    uint64_t answer = c.last;
    for (int64_t next = int64_t(c.last) - 1; next >= 0 && answer == uint64_t(next) + 1;) {
      std::vector<uint64_t> batch;
      for (; next >= 0 && batch.size() < std::max(1u, parallel); --next) batch.push_back(uint64_t(next));
      run(batch);
      for (uint64_t k : batch) {
        if (!passed[k]) break;
        answer = k;
      }
    }
    r.value = c.value(answer);
    return r;
  }

  while (true) {
    // bad: the highest candidate that failed (-1: none); every one judged above it passed.
    int64_t bad = -1;
    for (const auto& [k, pass] : passed)
      if (!pass) bad = int64_t(k);
    uint64_t good = passed.lower_bound(uint64_t(bad + 1))->first;
    while (int64_t(good) - bad > 1) {
      const uint64_t mid = uint64_t(bad + (int64_t(good) - bad) / 2);
      run({mid});
      if (passed[mid]) good = mid;
      else bad = int64_t(mid);
    }
    std::vector<uint64_t> verify;
    if (!monotonic)
      for (uint64_t k = good + 1; k <= std::min<uint64_t>(good + kVerifySteps, c.last); ++k)
        if (!passed.count(k)) verify.push_back(k);
    if (!verify.empty()) run(verify);
    if (std::all_of(verify.begin(), verify.end(), [&](uint64_t k) { return passed[k]; })) {
      r.value = c.value(good);
      return r;
    }
  }
}

void for_each_candidate(uint64_t lo, uint64_t hi, uint64_t step, const std::function<void(uint64_t)>& fn) {
  const Candidates c(lo, hi, step);
  for (uint64_t k = 0; k <= c.last; ++k) fn(c.value(k));
}

}  // namespace nic::sweep
