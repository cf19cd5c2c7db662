// Parameter sweeps over `nicsim replay`: grid expansion, the sweep plan a directory holds,
// metric extraction from replay reports, results tables (CSV), gnuplot scripts, job lists for
// GNU parallel and Slurm, and the bisection of the minimum-size finder. No process is started
// here, so all of it is unit-testable; apps/nicsim/cmd_sweep.cpp runs the replays.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/param_text.hpp"

namespace nic::sweep {

using param::Kind;  // the value syntax of a key: util/param_text.hpp
using param::format_real;
using param::parse_size;
// Returns the kind of a config key; throws std::invalid_argument for an unknown key.
using KindOf = std::function<Kind(const std::string& key)>;

// One swept key and its values as canonical text (sizes expanded, numbers normalised).
struct Axis {
  std::string key;
  std::vector<std::string> values;
};
// "key=v1,v2,..." or "key=lo:hi:step" (numeric keys only); throws std::invalid_argument.
Axis parse_axis(const std::string& spec, const KindOf& kind_of);

// One replay: a trace and the grid values set on top of the sweep's base config.
struct Point {
  std::string id;     // file stem under points/, e.g. "p0007"
  std::string trace;  // as given
  std::vector<std::pair<std::string, std::string>> set;  // grid key -> value, axis order
};
// Cartesian product, traces outermost and the last axis varying fastest.
std::vector<Point> expand(const std::vector<Axis>& axes, const std::vector<std::string>& traces);
// "p0000".."p9999", wider when the sweep has more points.
std::string point_id(size_t index, size_t total);

// What a sweep directory holds in sweep.json: enough to rerun or merge it without the
// original command line.
struct Plan {
  std::vector<std::string> grid;     // swept keys, in order
  std::vector<Point> points;
  bool line_rate = false;
  std::vector<std::string> metrics;  // extra --metric paths
  std::vector<std::string> plots;    // --plot specs
};
nlohmann::ordered_json plan_to_json(const Plan& plan);
Plan plan_from_json(const nlohmann::json& j);  // throws std::invalid_argument
// File names inside a sweep directory.
inline constexpr const char* kPlanFile = "sweep.json";
inline constexpr const char* kBaseConfigFile = "base_config.json";
inline constexpr const char* kPointsDir = "points";
inline constexpr const char* kResultsFile = "results.csv";

// Arguments after the program name of the replay that computes `p` in sweep directory `dir`.
std::vector<std::string> replay_args(const Point& p, bool line_rate, const std::string& dir);

// Metric paths are dotted JSON paths into a replay report; an array element is picked by
// index or by field: `fifos[name=mac_rx_fifo].drops`, `blocks[0].busy_fraction`.
// Throws std::invalid_argument on bad syntax.
void check_path(const std::string& path);
// The value at `path`, or nullopt when the report does not have it.
std::optional<nlohmann::json> lookup(const nlohmann::json& report, const std::string& path);
// CSV column of a path: `fifos[name=X].Y` -> `fifo.X.Y`; other paths are their own name.
std::string column_name(const std::string& path);
// The standard metric paths for reports with these FIFOs, then `extra`.
std::vector<std::string> metric_paths(const std::vector<std::string>& fifo_names,
                                      const std::vector<std::string>& extra);
// FIFO names in the order the reports first list them.
std::vector<std::string> fifo_names(const std::vector<const nlohmann::json*>& reports);

// How one point ended. `exit_code` is known only when this process ran the replay.
struct Outcome {
  std::optional<nlohmann::json> report;
  std::optional<int> exit_code;
};
// Reads a report if it exists and parses; a torn or missing file gives no report.
Outcome load_outcome(const std::string& report_path, std::optional<int> exit_code = std::nullopt);
// "ok" (reads byte-exact), "mismatch" (the replay ran but its verdict failed), "error"
// (no report, or the replay failed for another reason).
std::string status_of(const Outcome& o);

// A CSV table; every row has one cell per column.
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  // Index of a column, or -1.
  int column(const std::string& name) const;
};
void write_csv(std::ostream& out, const Table& t);
Table read_csv(std::istream& in);  // throws std::invalid_argument on a ragged row
// Union of columns (first seen first, `status` kept last), rows in input order.
Table merge_tables(const std::vector<Table>& tables);
// One row per point: point, trace, grid keys, metrics, status. Points whose outcome is
// nullopt (not run yet) get no row. `prefix` goes in front of point ids (merging several
// directories).
Table results_table(const Plan& plan, const std::vector<std::optional<Outcome>>& outcomes,
                    const std::string& prefix = "");

// `--plot X:Y1[,Y2...]`: X and Y are column names or metric paths.
struct PlotSpec {
  std::string x;
  std::vector<std::string> ys;
};
PlotSpec parse_plot(const std::string& spec);  // throws std::invalid_argument
// File stem of a plot's PNG, script and data.
std::string plot_stem(const PlotSpec& spec);
// A gnuplot script drawing `spec` from `t`, one panel per Y and one line per series (trace and
// every column in `series_columns` other than X that takes more than one value), plus the data
// it reads from `<stem>.dat` in the same directory. Y columns without any number are left out
// and named in `skipped`; `script` is empty when nothing is left to draw.
struct PlotFiles {
  std::string script, data;
  std::vector<std::string> skipped;
};
PlotFiles make_plot(const Table& t, const PlotSpec& spec, const std::vector<std::string>& series_columns,
                    const std::string& terminal);

// Command lines for machines other than this one. Each line of jobs.txt runs one point with
// absolute paths; the program is "${NICSIM:-<nicsim>}" so another install can be used.
std::string shell_quote(const std::string& s);
std::string jobs_file(const Plan& plan, const std::string& abs_dir, const std::string& nicsim);
std::string slurm_script(size_t jobs, const std::string& abs_dir);

// Minimum-size finder over the values lo, lo+step, ..., capped at hi; assumes the metric falls
// as the value grows. `measure` runs one probe and returns the metric (drops).
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
MinResult find_min(uint64_t lo, uint64_t hi, uint64_t step, double budget,
                   const std::function<double(uint64_t)>& measure);

}  // namespace nic::sweep
