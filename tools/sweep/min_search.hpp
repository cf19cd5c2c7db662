// `--find-min` over real replays: the smallest value of one integer config key whose drops
// on one trace stay within a budget, one `nicsim replay` process per probe of find_min.hpp.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include "tb/config/sim_config.hpp"

namespace nic::sweep {

struct MinSearch {
  std::string key, trace, metric;  // metric: a metric path counted as drops
  uint64_t lo = 0, hi = 0, step = 1;
  double budget = 0;
  bool line_rate = false;
};
// Where a buffer of `key` too small shows its drops.
std::string default_drop_metric(const std::string& key);
// Checks that every value it may probe makes a valid config over `base` (throws
// std::invalid_argument) before the first probe, then bisects with probe reports in
// `dir`/points, a line per probe on stdout and the probe table in `dir`/find_min.json. Prints
// the answer and returns true, or says on stderr that even `hi` is over budget and returns false.
bool search_min(const MinSearch& s, const SimConfig& base, const std::filesystem::path& dir);

}  // namespace nic::sweep
