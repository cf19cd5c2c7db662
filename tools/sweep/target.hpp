// What the minimum-size finder asks of a value, `--target SPEC`:
//   throughput:P%        throughput within P % of the throughput at --hi (the reference)
//   p99<=T[ns|us|ms]     p99 latency at most T (nanoseconds without a unit)
//   drops<=N             at most N drops (what --drop-budget N asks)
// A closed loop is judged by its application's figures (fio's throughput and completion
// latency), a replay by the NIC's.
#pragma once
#include <string>

namespace nic::sweep {

struct Target {
  enum class Kind { throughput, p99, drops } kind = Kind::drops;
  double amount = 0;  // throughput: share of the reference that may be lost (1% -> 0.01); p99: ns; drops
};
// Throws std::invalid_argument naming the accepted forms.
Target parse_target(const std::string& spec);
// The report value `t` judges; `drop_metric` is the one that counts drops.
std::string target_metric(const Target& t, bool closed_loop, const std::string& drop_metric);

// A target made concrete: the metric at least, or at most, a limit.
struct Bound {
  bool at_least = false;
  double limit = 0;
  bool meets(double value) const { return at_least ? value >= limit : value <= limit; }
};
// `reference` is the metric at --hi; only a throughput target reads it.
Bound target_bound(const Target& t, double reference);
// "METRIC >= 69.7266", "METRIC <= 50000".
std::string bound_text(const std::string& metric, const Bound& b);

}  // namespace nic::sweep
