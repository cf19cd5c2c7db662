// What a sweep directory holds and where: the plan, the base config every point runs with,
// and each point's report and log under points/. A run on this machine, a job list for other
// machines and a merge all agree on it through here.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "tb/config/sim_config.hpp"
#include "tools/sweep/grid.hpp"

namespace nic::sweep {

inline constexpr const char* kPlanFile = "sweep.json";
inline constexpr const char* kBaseConfigFile = "base_config.json";
inline constexpr const char* kPointsDir = "points";
inline constexpr const char* kResultsFile = "results.csv";

// DIR/points/ID.json and DIR/points/ID.log.
std::filesystem::path report_path(const std::filesystem::path& dir, const Point& p);
std::filesystem::path log_path(const std::filesystem::path& dir, const Point& p);
// Arguments after the program name of the `nicsim replay` or `nicsim run` that computes `p` in
// sweep directory `dir`; `line_rate` applies to a replay.
std::vector<std::string> point_args(const Point& p, bool line_rate, const std::filesystem::path& dir);

// Creates `dir` (checked as the output of `option`), its points/ and its base config.
void make_sweep_dir(const std::string& option, const std::filesystem::path& dir, const SimConfig& base);
// Throws std::runtime_error naming `path` when it cannot be written.
void write_file(const std::filesystem::path& path, const std::string& text);

}  // namespace nic::sweep
