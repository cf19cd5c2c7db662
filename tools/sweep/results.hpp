// The results table of a sweep: one row per point with its workload and grid values, the
// standard metrics of a replay report (first those of a closed loop when the sweep has
// closed-loop points), the sweep's extra metrics and the status.
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "tools/sweep/outcome.hpp"
#include "tools/sweep/plan.hpp"
#include "tools/sweep/table.hpp"

namespace nic::sweep {

// The standard metric paths for reports with these FIFOs (with `closed_loop`, the closed loop's
// first), then those of `extra` that name a column not already there.
std::vector<std::string> metric_paths(const std::vector<std::string>& fifo_names,
                                      const std::vector<std::string>& extra, bool closed_loop);
// FIFO names in the order the reports first list them.
std::vector<std::string> fifo_names(const std::vector<const nlohmann::json*>& reports);
// Columns: point, trace (when some point replays a trace), run (when some point is a closed
// loop: its options), grid keys, metrics, status. Points whose outcome is nullopt (not run yet)
// get no row. `prefix` goes in front of point ids (merging several directories).
Table results_table(const Plan& plan, const std::vector<std::optional<Outcome>>& outcomes,
                    const std::string& prefix = "");

}  // namespace nic::sweep
