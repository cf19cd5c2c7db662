// `nicsim sweep`: the command line of the sweep tools (tools/sweep): a grid of configs x
// workloads run here, one `nicsim replay` (a trace) or `nicsim run` (a closed loop) process per
// point; the minimum-size finder; job files for other machines and the merge of their results.
// Exit status: 0 ok; 1 a point could not run, or find-min has no answer; 2 bad input
// (std::invalid_argument), found before any point runs.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "apps/nicsim/commands.hpp"
#include "tb/common/output_path.hpp"
#include "tb/config/sim_config.hpp"
#include "tools/sweep/grid.hpp"
#include "tools/sweep/jobs.hpp"
#include "tools/sweep/merge.hpp"
#include "tools/sweep/metric_path.hpp"
#include "tools/sweep/min_search.hpp"
#include "tools/sweep/plan.hpp"
#include "tools/sweep/plot.hpp"
#include "tools/sweep/point_config.hpp"
#include "tools/sweep/results.hpp"
#include "tools/sweep/run_options.hpp"
#include "tools/sweep/run_points.hpp"
#include "tools/sweep/runner.hpp"
#include "tools/sweep/sweep_dir.hpp"
#include "tools/sweep/target.hpp"
#include "tools/sweep/trace_list.hpp"
#include "tools/sweep/write_results.hpp"

namespace nicsim {

namespace {

namespace fs = std::filesystem;
namespace sw = nic::sweep;

struct SweepArgs {
  std::vector<std::string> grid, traces, runs, sets, metrics, plots, merge;
  std::string trace_list, config, out = "sweep", emit_dir;
  bool line_rate = false;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  std::string find_key, lo, hi, step = "1", drop_metric, target;
  double budget = 0;
};

// The traces of --trace and --trace-list; with --run there may be none.
std::vector<std::string> traces_of(const SweepArgs& a) {
  std::vector<std::string> traces;
  if (!a.traces.empty() || !a.trace_list.empty()) traces = sw::sweep_traces(a.traces, a.trace_list);
  if (traces.empty() && a.runs.empty()) throw std::invalid_argument("give at least one --trace, --trace-list or --run");
  if (traces.empty() && a.line_rate)
    throw std::invalid_argument(
        "--line-rate is for replays (--trace); a closed loop's senders take --run \"--sender-gbps G\"");
  for (const auto& r : a.runs) sw::run_words(r);
  return traces;
}

// A closed-loop point's options, checked against its config as `nicsim run` checks them.
void check_run(const sw::Point& p, const nic::SimConfig& cfg) {
  if (!p.run) return;
  try {
    check_run_options(sw::run_words(*p.run), cfg);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("--run '" + *p.run + "': " + e.what());
  }
}

// Checks the command line, makes `dir` (given by `option`) with the plan and the base config.
sw::Plan prepare(const SweepArgs& a, const fs::path& dir, const char* option) {
  const auto axes = sw::parse_grid(a.grid, [](const std::string& k) { return nic::kind_of(k); });
  for (const auto& m : a.metrics) sw::check_path(m);
  for (const auto& p : a.plots) sw::parse_plot(p);
  const nic::SimConfig base = sw::base_config(a.config, a.sets);
  sw::Plan plan;
  for (const auto& axis : axes) plan.grid.push_back(axis.key);
  plan.points = sw::expand(axes, traces_of(a), a.runs);
  plan.line_rate = a.line_rate;
  plan.metrics = a.metrics;
  plan.plots = a.plots;
  for (const auto& p : plan.points) sw::check_point(base, p, check_run);
  sw::make_sweep_dir(option, dir, base);
  sw::write_file(dir / sw::kPlanFile, sw::plan_to_json(plan).dump(2) + "\n");
  return plan;
}

int run_grid(const SweepArgs& a) {
  const fs::path dir = fs::absolute(a.out);
  const sw::Plan plan = prepare(a, dir, "--out");
  std::cout << "sweep: " << plan.points.size() << " points, " << a.jobs << " at a time, into " << dir.string()
            << "\n";
  const auto outcomes = sw::run_points(plan, dir, a.jobs);
  std::map<std::string, size_t> by_status;
  for (const auto& o : outcomes) ++by_status[sw::status_of(*o)];
  std::cout << "points: ok " << by_status["ok"] << ", mismatch " << by_status["mismatch"] << ", error "
            << by_status["error"] << " (logs in " << (dir / sw::kPointsDir).string() << ")\n";
  if (!sw::write_results(sw::results_table(plan, outcomes), dir, plan.plots)) return 1;
  // A mismatch is a result (drops lose reads); a replay that could not run is not.
  return by_status["error"] ? 1 : 0;
}

int emit_jobs(const SweepArgs& a) {
  const fs::path dir = fs::absolute(a.emit_dir);
  const sw::Plan plan = prepare(a, dir, "--emit-jobs");
  sw::write_job_files(plan, dir, sw::self_exe());
  std::cout << plan.points.size() << " jobs in " << (dir / sw::kJobsFile).string() << "\n"
            << "run them with:  parallel < " << sw::shell_quote((dir / sw::kJobsFile).string()) << "\n"
            << "or on Slurm:    sbatch " << sw::shell_quote((dir / sw::kSlurmFile).string()) << "\n"
            << "then:           nicsim sweep --merge " << sw::shell_quote(dir.string()) << " --out OUT\n";
  return 0;
}

int merge(const SweepArgs& a) {
  const sw::Merged m = sw::merge_results(a.merge);
  if (m.missing) std::cout << "points without a report yet (left out): " << m.missing << "\n";
  const fs::path out = fs::absolute(a.out);
  nic::tb::make_output_dir("--out", out.string());
  // --plot on a merge replaces the plots the sweeps asked for.
  return sw::write_results(m.table, out, a.plots.empty() ? m.plots : a.plots) ? 0 : 1;
}

int run_find_min(const SweepArgs& a) {
  sw::MinSearch s;
  s.key = a.find_key;
  if (nic::kind_of(s.key) != sw::Kind::integer)
    throw std::invalid_argument(s.key + ": --find-min needs an integer key");
  if (a.lo.empty() || a.hi.empty()) throw std::invalid_argument("--find-min needs --lo and --hi");
  const std::vector<std::string> traces = traces_of(a);
  if (traces.size() + a.runs.size() != 1) throw std::invalid_argument("--find-min takes exactly one trace or --run");
  s.workload = sw::expand({}, traces, a.runs).front();
  s.target = a.target.empty() ? sw::Target{sw::Target::Kind::drops, a.budget} : sw::parse_target(a.target);
  if (!a.drop_metric.empty() && s.target.kind != sw::Target::Kind::drops)
    throw std::invalid_argument("--drop-metric is for a drops target, not --target " + a.target);
  s.metric = sw::target_metric(s.target, s.workload.run.has_value(),
                               a.drop_metric.empty() ? sw::default_drop_metric(s.key) : a.drop_metric);
  sw::check_path(s.metric);
  for (const auto& p : a.plots) sw::parse_plot(p);
  s.lo = nic::param::parse_size(a.lo);
  s.hi = nic::param::parse_size(a.hi);
  s.step = nic::param::parse_size(a.step);
  if (s.step == 0 || s.lo > s.hi) throw std::invalid_argument("--find-min needs --lo <= --hi and --step > 0");
  s.line_rate = a.line_rate;
  s.parallel = a.jobs;
  s.plots = a.plots;
  s.check = check_run;
  return sw::search_min(s, sw::base_config(a.config, a.sets), fs::absolute(a.out)) ? 0 : 1;
}

int run(const SweepArgs& a) {
  try {
    if (!a.merge.empty()) return merge(a);
    if (!a.find_key.empty()) return run_find_min(a);
    return a.emit_dir.empty() ? run_grid(a) : emit_jobs(a);
  } catch (const std::invalid_argument& e) {
    std::cerr << "nicsim sweep: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "nicsim sweep: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto args = std::make_shared<SweepArgs>();
  CLI::App* sub = app.add_subcommand(
      "sweep", "Replay traces or run closed loops over a grid of configs in parallel; CSV and plots");
  sub->footer(
      "Examples:\n"
      "  nicsim sweep --trace traces/inorder_4flows.pcap --grid mac.rx_fifo_bytes=16K,32K,64K \\\n"
      "      --grid core.clock_mhz=150:250:50 --line-rate --out fifo_sweep\n"
      "  nicsim sweep --run \"--flows 8 --queue-depth 32 --io-size 2K\" --grid mac.rx_fifo_bytes=4K,16K,64K\n"
      "  nicsim sweep --find-min mac.rx_fifo_bytes --lo 9K --hi 1M --step 1K --trace T.pcap --line-rate\n"
      "  nicsim sweep --find-min mac.rx_fifo_bytes --lo 2K --hi 64K --step 2K --run \"...\" --target throughput:1%\n"
      "  nicsim sweep --grid ... --trace ... --emit-jobs jobs/   then   nicsim sweep --merge jobs/ --out OUT\n"
      "See docs/sweeps.md.");
  auto* grid = sub->add_option("--grid", args->grid,
                               "swept key: key=v1,v2,... (sizes with K/M/G) or key=lo:hi:step; repeat for a product");
  auto* trace = sub->add_option("--trace", args->traces, "trace to replay at every point (repeatable)")
                    ->check(CLI::ExistingFile);
  auto* run_opt = sub->add_option("--run", args->runs,
                                  "\"OPTIONS\": a closed loop, `nicsim run OPTIONS`, at every point (repeatable)");
  auto* list = sub->add_option("--trace-list", args->trace_list, "file with one trace path per line")
                   ->check(CLI::ExistingFile);
  auto* config = sub->add_option("--config", args->config, "base JSON config for every point")
                     ->check(CLI::ExistingFile);
  auto* set = sub->add_option("--set", args->sets, "base override for every point: --set key=value");
  auto* line_rate = sub->add_flag("--line-rate", args->line_rate, "replay frames back to back at line rate");
  auto* jobs = sub->add_option("-j,--jobs", args->jobs, "points run at once (default: number of cores)")
                   ->check(CLI::PositiveNumber);
  auto* out = sub->add_option("--out", args->out, "output directory: points/, results.csv, plots/")
                  ->capture_default_str();
  auto* metric = sub->add_option("--metric", args->metrics,
                                 "extra report value as a CSV column: summary.latency_ns_max, fifos[name=X].p99");
  sub->add_option("--plot", args->plots,
                  "X:Y[,Y2...] one PNG per option, a line per trace or run and per other grid value "
                  "(default: throughput and drops, with a closed loop's p99, vs the first grid key)");
  auto* emit = sub->add_option("--emit-jobs", args->emit_dir,
                               "write DIR/jobs.txt (GNU parallel) and DIR/slurm.sh instead of running");
  auto* merge_opt = sub->add_option("--merge", args->merge,
                                    "build results.csv and plots in --out from sweep directories or CSVs");
  auto* find = sub->add_option("--find-min", args->find_key,
                               "search KEY for the smallest value that meets --target (default: no drops)");
  auto* lo = sub->add_option("--lo", args->lo, "find-min: smallest value tried (K/M/G allowed)");
  auto* hi = sub->add_option("--hi", args->hi, "find-min: largest value tried");
  auto* step = sub->add_option("--step", args->step, "find-min: granularity of the answer")->capture_default_str();
  auto* budget = sub->add_option("--drop-budget", args->budget, "find-min: drops allowed")
                     ->check(CLI::NonNegativeNumber)->capture_default_str();
  auto* drop_metric = sub->add_option("--drop-metric", args->drop_metric,
                                      "find-min: report value counted as drops (default: "
                                      "counters.drop_rx_ring_full for placement.rx_ring_bytes, else "
                                      "counters.drop_mac_fifo_full)");
  auto* target = sub->add_option("--target", args->target,
                                 "find-min: throughput:P% (of --hi's), p99<=T[ns|us|ms] or drops<=N");
  for (auto* o : {grid, trace, run_opt, list, config, set, line_rate, jobs, metric, emit, find, lo, hi, step, budget,
                  drop_metric, target})
    merge_opt->excludes(o);
  for (auto* o : {grid, emit}) find->excludes(o);
  emit->excludes(out);
  target->excludes(budget);
  for (auto* o : {lo, hi, step, budget, drop_metric, target}) o->needs(find);
  sub->callback([args] { set_exit_status(run(*args)); });
}

}  // namespace nicsim
