#include "tools/sweep/results.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "tools/sweep/metric_path.hpp"

namespace nic::sweep {

std::vector<std::string> metric_paths(const std::vector<std::string>& fifo_names,
                                      const std::vector<std::string>& extra, bool closed_loop) {
  std::vector<std::string> out;
  if (closed_loop)
    out = {"closed_loop.total.throughput_gbps",       "closed_loop.total.iops",
           "closed_loop.total.clat_ns.p50",           "closed_loop.total.clat_ns.p99",
           "closed_loop.total.clat_ns.p99.9",         "counters.tcp_target_retransmitted_segments",
           "counters.tcp_target_rtos"};
  for (const char* p : {"summary.offered_gbps", "summary.achieved_gbps", "counters.drop_mac_fifo_full",
                        "counters.drop_rx_ring_full", "counters.placed_fraction", "counters.crc_verified_fraction",
                        "summary.latency_ns_p50", "summary.latency_ns_p99", "summary.latency_ns_p999"})
    out.push_back(p);
  for (const auto& f : fifo_names) {
    out.push_back("fifos[name=" + f + "].high_watermark");
    out.push_back("fifos[name=" + f + "].drops");
  }
  out.push_back("summary.cycles");
  out.push_back("summary.wall_seconds");
  std::set<std::string> columns;
  for (const auto& p : out) columns.insert(column_name(p));
  for (const auto& p : extra)
    if (columns.insert(column_name(p)).second) out.push_back(p);
  return out;
}

std::vector<std::string> fifo_names(const std::vector<const nlohmann::json*>& reports) {
  std::vector<std::string> names;
  for (const auto* r : reports) {
    if (!r->contains("fifos") || !(*r)["fifos"].is_array()) continue;
    for (const auto& f : (*r)["fifos"])
      if (f.contains("name") && f["name"].is_string()) {
        const auto n = f["name"].get<std::string>();
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
      }
  }
  return names;
}

Table results_table(const Plan& plan, const std::vector<std::optional<Outcome>>& outcomes,
                    const std::string& prefix) {
  if (outcomes.size() != plan.points.size())
    throw std::invalid_argument("results_table: one outcome per point expected");
  std::vector<const nlohmann::json*> reports;
  for (const auto& o : outcomes)
    if (o && o->report) reports.push_back(&*o->report);
  const auto has = [&](bool run) {
    return std::any_of(plan.points.begin(), plan.points.end(),
                       [&](const Point& p) { return p.run.has_value() == run; });
  };
  // A replay-only sweep's columns are as they were before closed-loop points existed.
  const bool replays = has(false), runs = has(true);
  const auto paths = metric_paths(fifo_names(reports), plan.metrics, runs);
  Table t;
  t.columns = {"point"};
  if (replays || !runs) t.columns.push_back("trace");
  if (runs) t.columns.push_back("run");
  t.columns.insert(t.columns.end(), plan.grid.begin(), plan.grid.end());
  for (const auto& p : paths) t.columns.push_back(column_name(p));
  t.columns.push_back("status");
  for (size_t i = 0; i < plan.points.size(); ++i) {
    if (!outcomes[i]) continue;
    const Point& p = plan.points[i];
    const Outcome& o = *outcomes[i];
    std::vector<std::string> row{prefix + p.id};
    if (replays || !runs) row.push_back(p.trace);
    if (runs) row.push_back(p.run.value_or(""));
    for (const auto& k : plan.grid) {
      const auto it = std::find_if(p.set.begin(), p.set.end(), [&](const auto& kv) { return kv.first == k; });
      row.push_back(it == p.set.end() ? "" : it->second);
    }
    for (const auto& path : paths) {
      const auto v = o.report ? lookup(*o.report, path) : std::nullopt;
      row.push_back(v ? cell_text(*v) : "");
    }
    row.push_back(status_of(o));
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace nic::sweep
