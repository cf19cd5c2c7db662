#include "tools/sweep/point_config.hpp"

#include <stdexcept>

namespace nic::sweep {

SimConfig base_config(const std::string& config_file, const std::vector<std::string>& sets) {
  SimConfig cfg;
  if (!config_file.empty()) load_config_file(cfg, config_file);
  for (const auto& s : sets) apply_assignment(cfg, s);
  validate(cfg);
  return cfg;
}

void check_point(const SimConfig& base, const Point& p, const WorkloadCheck& workload) {
  SimConfig cfg = base;
  try {
    for (const auto& [k, v] : p.set) set_param(cfg, k, v);
    validate(cfg);
    if (workload) workload(p, cfg);
  } catch (const std::invalid_argument& e) {
    const std::string at = settings_text(p);
    throw std::invalid_argument(std::string(e.what()) + (at.empty() ? "" : " (at" + at + ")"));
  }
}

bool is_config_key(const std::string& key) {
  try {
    kind_of(key);
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

}  // namespace nic::sweep
