// The grid of a sweep: `--grid` options parsed into axes of canonical values, and their
// cartesian product over the workloads (traces to replay, closed-loop runs), one point each.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/param_text.hpp"

namespace nic::sweep {

using param::Kind;  // the value syntax of a key: util/param_text.hpp
// Returns the kind of a config key; throws std::invalid_argument for an unknown key.
using KindOf = std::function<Kind(const std::string& key)>;

// One swept key and its values as canonical text (sizes expanded, numbers normalised).
struct Axis {
  std::string key;
  std::vector<std::string> values;
};
// "key=v1,v2,..." or "key=lo:hi:step" (numeric keys only); throws std::invalid_argument.
Axis parse_axis(const std::string& spec, const KindOf& kind_of);
// Every `--grid` option in order; a key swept twice is an error too.
std::vector<Axis> parse_grid(const std::vector<std::string>& specs, const KindOf& kind_of);

// One replay of a trace, or one closed-loop `nicsim run`, with the grid values set on top of
// the sweep's base config.
struct Point {
  std::string id;     // file stem under points/, e.g. "p0007"
  std::string trace;  // as given; empty for a closed-loop point
  std::vector<std::pair<std::string, std::string>> set;  // grid key -> value, axis order
  std::optional<std::string> run = std::nullopt;  // a closed-loop point: its `nicsim run` options
};
// Cartesian product, workloads outermost (the traces, then the runs) and the last axis varying
// fastest.
std::vector<Point> expand(const std::vector<Axis>& axes, const std::vector<std::string>& traces,
                          const std::vector<std::string>& runs = {});
// "p0000".."p9999", wider when the sweep has more points.
std::string point_id(size_t index, size_t total);
// " key=value" for each grid value, to name a point in messages.
std::string settings_text(const Point& p);
// What a point runs in a line of text: the trace's file stem, or "run " and the run's options.
std::string workload_label(const Point& p);
// "p0007 trace-stem key=value ...": a point in progress lines.
std::string describe(const Point& p);

}  // namespace nic::sweep
