#include "tools/sweep/min_search.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <stdexcept>

#include "tools/sweep/find_min.hpp"
#include "tools/sweep/metric_path.hpp"
#include "tools/sweep/outcome.hpp"
#include "tools/sweep/point_config.hpp"
#include "tools/sweep/runner.hpp"
#include "tools/sweep/sweep_dir.hpp"

namespace nic::sweep {

namespace fs = std::filesystem;

std::string default_drop_metric(const std::string& key) {
  // Too small a host ring drops there; every on-chip buffer backs up into the MAC FIFO.
  return key == "placement.rx_ring_bytes" ? "counters.drop_rx_ring_full" : "counters.drop_mac_fifo_full";
}

bool search_min(const MinSearch& s, const SimConfig& base, const fs::path& dir) {
  const auto point = [&](uint64_t v) { return Point{"min-" + std::to_string(v), s.trace, {{s.key, std::to_string(v)}}}; };
  // A range can hold values that break a rule between parameters (a power of two, a multiple).
  for_each_candidate(s.lo, s.hi, s.step, [&](uint64_t v) { check_point(base, point(v)); });

  make_sweep_dir("--out", dir, base);
  const std::string exe = self_exe();
  std::map<uint64_t, Outcome> outcomes;
  std::cout << "find-min: smallest " << s.key << " in [" << s.lo << ", " << s.hi << "] step " << s.step
            << " with " << s.metric << " <= " << s.budget << " on " << s.trace << "\n";
  const auto measure = [&](uint64_t v) {
    const Point p = point(v);
    const fs::path report = report_path(dir, p), log = log_path(dir, p);
    fs::remove(report);
    const auto t0 = std::chrono::steady_clock::now();
    const int code = run_and_wait({exe, replay_args(p, s.line_rate, dir), log.string(), ""});
    const Outcome o = load_outcome(report.string(), code);
    const auto m = o.report ? lookup(*o.report, s.metric) : std::nullopt;
    if (!m || !m->is_number())
      throw std::runtime_error("probe " + s.key + "=" + std::to_string(v) + " gave no " + s.metric + " (exit " +
                               std::to_string(code) + "), see " + log.string());
    const double drops = m->get<double>();
    std::printf("  probe %s=%llu: %s %g, %s, replay %s (%.1fs)\n", s.key.c_str(), (unsigned long long)v,
                s.metric.c_str(), drops, drops <= s.budget ? "within budget" : "over budget",
                status_of(o).c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    std::fflush(stdout);
    outcomes[v] = o;
    return drops;
  };
  const MinResult r = find_min(s.lo, s.hi, s.step, s.budget, measure);
  nlohmann::ordered_json j{{"key", s.key}, {"trace", s.trace}, {"metric", s.metric}, {"budget", s.budget},
                           {"lo", s.lo},   {"hi", s.hi},       {"step", s.step},     {"found", r.found}};
  for (const auto& p : r.probes) j["probes"].push_back({{"value", p.value}, {"metric", p.metric}, {"pass", p.pass}});
  if (r.found) {
    j["value"] = r.value;
    j["report"] = report_path(dir, point(r.value)).string();
  }
  write_file(dir / "find_min.json", j.dump(2) + "\n");
  if (!r.found) {
    std::cerr << "nicsim sweep: even " << s.key << "=" << s.hi << " gives " << s.metric << " "
              << r.probes.back().metric << " > " << s.budget << "; raise --hi or the budget\n";
    return false;
  }
  const Outcome& best = outcomes.at(r.value);
  const auto fig = [&](const char* path) {
    const auto v = lookup(*best.report, path);
    if (!v) return std::string("n/a");
    if (!v->is_number_float()) return v->dump();
    char b[32];
    std::snprintf(b, sizeof b, "%.2f", v->get<double>());
    return std::string(b);
  };
  std::cout << "smallest " << s.key << " with " << s.metric << " <= " << s.budget << ": " << r.value << " ("
            << r.probes.size() << " probes)\n"
            << "  at that size: offered " << fig("summary.offered_gbps") << " Gb/s, achieved "
            << fig("summary.achieved_gbps") << " Gb/s, latency p50 " << fig("summary.latency_ns_p50")
            << " ns, p99 " << fig("summary.latency_ns_p99") << " ns, replay " << status_of(best) << "\n"
            << "  report " << j["report"].get<std::string>() << ", probes in " << (dir / "find_min.json").string()
            << "\n";
  return true;
}

}  // namespace nic::sweep
