// `--find-min` over real points: the smallest value of one integer config key at which one
// workload (a trace replayed, or a closed-loop run) meets a target (target.hpp), one `nicsim
// replay` or `nicsim run` process per probe of find_min.hpp.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tb/config/sim_config.hpp"
#include "tools/sweep/grid.hpp"
#include "tools/sweep/point_config.hpp"
#include "tools/sweep/target.hpp"

namespace nic::sweep {

struct MinSearch {
  std::string key;
  Point workload;      // its trace or run; id and values are the probes'
  Target target;
  std::string metric;  // the report value the target judges (target_metric)
  uint64_t lo = 0, hi = 0, step = 1;
  bool line_rate = false;
  unsigned parallel = 1;           // probes run at once where the search allows
  std::vector<std::string> plots;  // --plot specs for the probes' results
  WorkloadCheck check;             // of every candidate before the first probe
};
// Where a buffer of `key` too small shows its drops.
std::string default_drop_metric(const std::string& key);
// Checks that every value it may probe makes a valid config over `base` (throws
// std::invalid_argument) before the first probe. Probes `hi` first (a throughput target's
// reference), then searches (find_min.hpp: bisection for a replay's drops, else a scan or a
// verified bisection); a point of a closed loop whose reads did not all complete byte-exact
// fails the target. Probe reports go to `dir`/points, a line per probe to stdout, the probe
// table to `dir`/find_min.json, every probe's row to `dir`/results.csv. Prints the answer and
// returns true, or says on stderr that no value meets the target and returns false.
bool search_min(const MinSearch& s, const SimConfig& base, const std::filesystem::path& dir);

}  // namespace nic::sweep
