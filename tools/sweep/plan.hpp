// The plan a sweep directory holds in sweep.json: enough to rerun or merge the sweep without
// the original command line.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "tools/sweep/grid.hpp"

namespace nic::sweep {

struct Plan {
  std::vector<std::string> grid;     // swept keys, in order
  std::vector<Point> points;
  bool line_rate = false;
  std::vector<std::string> metrics;  // extra --metric paths
  std::vector<std::string> plots;    // --plot specs
};
nlohmann::ordered_json plan_to_json(const Plan& plan);
Plan plan_from_json(const nlohmann::json& j);  // throws std::invalid_argument
// The plan of sweep directory `dir`; throws std::invalid_argument when it has none.
Plan read_plan(const std::filesystem::path& dir);

}  // namespace nic::sweep
