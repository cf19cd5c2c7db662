// The NIC config of sweep points: the base every point starts from, and the check that a
// point's values make a valid config, done for every point before the first one runs.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "tb/config/sim_config.hpp"
#include "tools/sweep/grid.hpp"

namespace nic::sweep {

// `--config` (when not empty) and then `--set`, checked the way `nicsim config` checks them;
// throws std::invalid_argument.
SimConfig base_config(const std::string& config_file, const std::vector<std::string>& sets);
// Checks what a point runs against the point's config (a closed loop's options, which only the
// command that runs them knows); throws std::invalid_argument.
using WorkloadCheck = std::function<void(const Point& p, const SimConfig& cfg)>;
// Throws std::invalid_argument naming the point's values when they make an invalid config, or
// `workload` (when given) refuses the point.
void check_point(const SimConfig& base, const Point& p, const WorkloadCheck& workload = {});
// Whether a results column is a config key (a grid axis to plot against).
bool is_config_key(const std::string& key);

}  // namespace nic::sweep
