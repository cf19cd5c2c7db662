// The configuration of a simulated platform: the NIC's parameters (hw/top/nic_config.hpp) and
// those of the host around it (host memory, driver). Loadable from a JSON file (comments
// allowed), overridable by dotted keys (`--set mac.rx_fifo_bytes=65536`), printed in every
// report. Plain C++.
#pragma once
#include <functional>
#include <string>

#include "host_driver/driver_params.hpp"
#include "hw/pcie/host_memory_params.hpp"
#include "hw/top/nic_config.hpp"
#include "hw/top/sram_budget.hpp"
#include "util/params.hpp"

namespace nic {

struct SimConfig : NicConfig {
  HostMemoryParams host;
  DriverParams driver;

  template <class Self, class S>
  static void sections(Self& c, S&& s) {
    NicConfig::sections(c, s);
    s("host", c.host);
    s("driver", c.driver);
  }
};

void for_each_param(SimConfig& cfg, const std::function<void(const ParamRef&)>& fn);
void for_each_param(const SimConfig& cfg, const std::function<void(const ParamRef&)>& fn);
// The value syntax of a key (util/param_text.hpp); throws std::invalid_argument for an unknown
// key.
param::Kind kind_of(const std::string& key);
// Sets one parameter from text as `--set` and `--grid` write it (integers with K/M/G);
// throws std::invalid_argument naming the key on a bad key or value. apply_assignment takes
// the `key=value` form.
void set_param(SimConfig& cfg, const std::string& key, const std::string& value);
void apply_assignment(SimConfig& cfg, const std::string& key_eq_value);
// Loads a JSON file (nested objects or dotted keys, comments allowed) over `cfg`. A parameter
// given twice (the same key twice, or nested and dotted) is an error.
void load_config_file(SimConfig& cfg, const std::string& path);
// The whole config as JSON text, a valid input for load_config_file.
std::string config_to_json(const SimConfig& cfg, int indent = 2);
// Throws std::invalid_argument, naming the parameter, when one is outside its range or
// parameters disagree. Replay, config and every sweep point call it before anything runs.
void validate(const SimConfig& cfg);
// The NIC's SRAM budget (hw/top/sram_budget) with the DDP slots the driver's queue size gives
// each flow at SkAdd.
std::vector<SramItem> sram_budget(const SimConfig& cfg);

}  // namespace nic
