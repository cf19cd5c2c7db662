#include "tools/sweep/min_search.hpp"

#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>

#include "tools/sweep/find_min.hpp"
#include "tools/sweep/metric_path.hpp"
#include "tools/sweep/outcome.hpp"
#include "tools/sweep/plan.hpp"
#include "tools/sweep/point_config.hpp"
#include "tools/sweep/results.hpp"
#include "tools/sweep/runner.hpp"
#include "tools/sweep/sweep_dir.hpp"
#include "tools/sweep/write_results.hpp"

namespace nic::sweep {

namespace fs = std::filesystem;

namespace {

struct Probed {
  Outcome outcome;
  std::optional<double> metric;
};

// A report's value as the summary prints it: floats as `format` writes them.
std::string figure(const nlohmann::json& report, const char* path, const char* format = "%.2f") {
  const auto v = lookup(report, path);
  if (!v) return "n/a";
  if (!v->is_number_float()) return v->dump();
  char b[32];
  std::snprintf(b, sizeof b, format, v->get<double>());
  return b;
}

std::string number(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

std::string figures(const Outcome& o, bool loop) {
  const auto& r = *o.report;
  if (loop)
    return "throughput " + figure(r, "closed_loop.total.throughput_gbps") + " Gb/s, " +
           figure(r, "closed_loop.total.iops", "%.0f") + " IOPS, clat p50 " +
           figure(r, "closed_loop.total.clat_ns.p50") + " ns, p99 " + figure(r, "closed_loop.total.clat_ns.p99") +
           " ns, p99.9 " + figure(r, "closed_loop.total.clat_ns.p99.9") + " ns, " +
           figure(r, "counters.tcp_target_retransmitted_segments") + " segments retransmitted, " +
           figure(r, "counters.tcp_target_rtos") + " RTOs, run " + status_of(o);
  return "offered " + figure(r, "summary.offered_gbps") + " Gb/s, achieved " + figure(r, "summary.achieved_gbps") +
         " Gb/s, latency p50 " + figure(r, "summary.latency_ns_p50") + " ns, p99 " +
         figure(r, "summary.latency_ns_p99") + " ns, replay " + status_of(o);
}

// The point that probes value `v`.
Point probe_point(const MinSearch& s, uint64_t v) {
  Point p = s.workload;
  p.id = "min-" + std::to_string(v);
  p.set = {{s.key, std::to_string(v)}};
  return p;
}

// Every probe, in order of value, as a sweep's directory holds its points: sweep.json (a merge
// reads it), results.csv and the plots. False when the CSV could not be written.
bool write_probes(const MinSearch& s, const std::map<uint64_t, Probed>& probed, const fs::path& dir) {
  Plan plan;
  plan.grid = {s.key};
  plan.line_rate = s.line_rate && !s.workload.run;
  plan.metrics = {s.metric};
  plan.plots = s.plots;
  std::vector<std::optional<Outcome>> outcomes;
  for (const auto& [v, got] : probed) {
    plan.points.push_back(probe_point(s, v));
    outcomes.push_back(got.outcome);
  }
  write_file(dir / kPlanFile, plan_to_json(plan).dump(2) + "\n");
  return write_results(results_table(plan, outcomes), dir, plan.plots);
}

}  // namespace

std::string default_drop_metric(const std::string& key) {
  // Too small a host ring drops there; every on-chip buffer backs up into the MAC FIFO.
  return key == "placement.rx_ring_bytes" ? "counters.drop_rx_ring_full" : "counters.drop_mac_fifo_full";
}

bool search_min(const MinSearch& s, const SimConfig& base, const fs::path& dir) {
  const bool loop = s.workload.run.has_value();
  const char* kind = loop ? "run" : "replay";
  const auto point = [&](uint64_t v) { return probe_point(s, v); };
  // A range can hold values that break a rule between parameters (a power of two, a multiple).
  for_each_candidate(s.lo, s.hi, s.step, [&](uint64_t v) { check_point(base, point(v), s.check); });

  make_sweep_dir("--out", dir, base);
  const std::string exe = self_exe();
  const bool monotonic = !loop && s.target.kind == Target::Kind::drops;
  const bool referenced = s.target.kind == Target::Kind::throughput;
  std::map<uint64_t, Probed> probed;
  std::optional<Bound> bound;
  if (!referenced) bound = target_bound(s.target, 0);
  const auto passes = [&](uint64_t v) {
    const Probed& p = probed.at(v);
    // A closed loop recovers its drops; a read that still failed is a failure, not a figure.
    return p.metric && bound->meets(*p.metric) && (!loop || status_of(p.outcome) == "ok");
  };
  // Runs the values not run yet, at most `parallel` at once, a line for each as it ends.
  const auto run_values = [&](const std::vector<uint64_t>& values) {
    std::vector<uint64_t> todo;
    for (uint64_t v : values)
      if (!probed.count(v)) todo.push_back(v);
    const auto start = [&](size_t i) {
      const Point p = point(todo[i]);
      fs::remove(report_path(dir, p));  // a stale report must not pass for this run's
      return Job{exe, point_args(p, s.line_rate, dir), log_path(dir, p).string(), ""};
    };
    const auto finished = [&](size_t i, int code, double secs) {
      const uint64_t v = todo[i];
      Probed& p = probed[v];
      p.outcome = load_outcome(report_path(dir, point(v)).string(), code);
      const auto m = p.outcome.report ? lookup(*p.outcome.report, s.metric) : std::nullopt;
      if (m && m->is_number()) p.metric = m->get<double>();
      const std::string verdict = !p.metric ? "no " + s.metric
                                  : !bound  ? "the reference"
                                  : passes(v) ? "meets the target" : "misses the target";
      std::printf("  probe %s=%llu: %s %s, %s, %s %s (%.1fs)\n", s.key.c_str(), (unsigned long long)v,
                  s.metric.c_str(), p.metric ? number(*p.metric).c_str() : "n/a", verdict.c_str(), kind,
                  status_of(p.outcome).c_str(), secs);
      std::fflush(stdout);
    };
    run_pool(todo.size(), s.parallel, start, finished, [](size_t, size_t) {});
    for (uint64_t v : todo)
      if (!probed.at(v).metric)
        throw std::runtime_error("probe " + s.key + "=" + std::to_string(v) + " gave no " + s.metric + " (exit " +
                                 std::to_string(probed.at(v).outcome.exit_code.value_or(-1)) + "), see " +
                                 log_path(dir, point(v)).string());
  };
  const auto judge = [&](const std::vector<uint64_t>& values) {
    run_values(values);
    std::vector<bool> out;
    for (uint64_t v : values) out.push_back(passes(v));
    return out;
  };
  const Method method = search_method(s.lo, s.hi, s.step, monotonic);
  const std::string workload = loop ? "run " + *s.workload.run : s.workload.trace;
  const std::string share = number(s.target.amount * 100) + "%";
  std::cout << "find-min: smallest " << s.key << " in [" << s.lo << ", " << s.hi << "] step " << s.step << " with "
            << (bound ? bound_text(s.metric, *bound)
                      : s.metric + " within " + share + " of its value at " + std::to_string(s.hi))
            << " on " << workload << ", by " << method_text(method) << "\n";
  run_values({s.hi});
  std::string condition;
  if (referenced) {
    const double reference = *probed.at(s.hi).metric;
    bound = target_bound(s.target, reference);
    condition = " (within " + share + " of " + number(reference) + " at " + s.key + "=" + std::to_string(s.hi) + ")";
    std::cout << "  reference: " << s.metric << " " << number(reference) << " at " << s.key << "=" << s.hi
              << ", so the target is " << bound_text(s.metric, *bound) << "\n";
  }
  condition = bound_text(s.metric, *bound) + condition;
  const MinResult r = find_min(s.lo, s.hi, s.step, monotonic, s.parallel, judge);

  nlohmann::ordered_json j{{"key", s.key}};
  j[loop ? "run" : "trace"] = loop ? *s.workload.run : s.workload.trace;
  j["target"] = condition;
  j["metric"] = s.metric;
  j["limit"] = bound->limit;
  if (s.target.kind == Target::Kind::drops) j["budget"] = s.target.amount;
  if (referenced) j["reference"] = *probed.at(s.hi).metric;
  j["lo"] = s.lo;
  j["hi"] = s.hi;
  j["step"] = s.step;
  j["method"] = method_text(method);
  j["found"] = r.found;
  for (const auto& p : r.probes) {
    const Probed& got = probed.at(p.value);
    j["probes"].push_back({{"value", p.value}, {"metric", *got.metric}, {"pass", p.pass},
                           {"status", status_of(got.outcome)}});
  }
  if (r.found) {
    j["value"] = r.value;
    j["report"] = report_path(dir, point(r.value)).string();
  }
  write_file(dir / "find_min.json", j.dump(2) + "\n");
  if (!write_probes(s, probed, dir)) return false;
  if (!r.found) {
    const Probed& top = probed.at(s.hi);
    std::cerr << "nicsim sweep: no " << s.key << " in [" << s.lo << ", " << s.hi << "] meets " << condition << ": at "
              << s.hi << ", " << s.metric << " " << number(*top.metric) << ", " << kind << " "
              << status_of(top.outcome) << "; raise --hi or relax the target\n";
    return false;
  }
  std::cout << "smallest " << s.key << " with " << condition << ": " << r.value << " (" << probed.size()
            << " points run)\n"
            << "  at that size: " << figures(probed.at(r.value).outcome, loop) << "\n"
            << "  report " << j["report"].get<std::string>() << ", probes in " << (dir / "find_min.json").string()
            << "\n";
  return true;
}

}  // namespace nic::sweep
