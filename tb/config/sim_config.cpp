#include "tb/config/sim_config.hpp"

#include <stdexcept>

#include "hw/abi/nic_abi.hpp"

namespace nic {

void for_each_param(SimConfig& cfg, const std::function<void(const ParamRef&)>& fn) {
  walk_of(cfg)(fn);
}
void for_each_param(const SimConfig& cfg, const std::function<void(const ParamRef&)>& fn) {
  walk_of(cfg)(fn);
}

param::Kind kind_of(const std::string& key) {
  SimConfig cfg;
  return kind_of(find_param(walk_of(cfg), key));
}

void set_param(SimConfig& cfg, const std::string& key, const std::string& value) {
  set_param(walk_of(cfg), key, value);
}

void apply_assignment(SimConfig& cfg, const std::string& kv) {
  const auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0)
    throw std::invalid_argument("expected key=value, got '" + kv + "'");
  set_param(cfg, kv.substr(0, eq), kv.substr(eq + 1));
}

void load_config_file(SimConfig& cfg, const std::string& path) {
  load_params_file(walk_of(cfg), path);
}

std::string config_to_json(const SimConfig& cfg, int indent) {
  return params_to_json(walk_of(cfg), indent);
}

void validate(const SimConfig& c) {
  check_ranges("host", c.host);
  check_ranges("driver", c.driver);
  validate(static_cast<const NicConfig&>(c));
}

std::vector<SramItem> sram_budget(const SimConfig& cfg) {
  return sram_budget(static_cast<const NicConfig&>(cfg), abi::ddp_slots(cfg.driver.queue_depth));
}

}  // namespace nic
