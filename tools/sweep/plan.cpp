#include "tools/sweep/plan.hpp"

#include <fstream>
#include <stdexcept>

#include "tools/sweep/sweep_dir.hpp"

namespace nic::sweep {

nlohmann::ordered_json plan_to_json(const Plan& plan) {
  nlohmann::ordered_json j;
  j["grid"] = plan.grid;
  j["line_rate"] = plan.line_rate;
  j["metrics"] = plan.metrics;
  j["plots"] = plan.plots;
  j["points"] = nlohmann::ordered_json::array();
  for (const auto& p : plan.points) {
    nlohmann::ordered_json set = nlohmann::ordered_json::object();
    for (const auto& [k, v] : p.set) set[k] = v;
    nlohmann::ordered_json jp{{"id", p.id}};
    if (p.run) jp["run"] = *p.run;
    else jp["trace"] = p.trace;
    jp["set"] = set;
    j["points"].push_back(std::move(jp));
  }
  return j;
}

Plan plan_from_json(const nlohmann::json& j) {
  Plan plan;
  try {
    plan.grid = j.at("grid").get<std::vector<std::string>>();
    plan.line_rate = j.at("line_rate").get<bool>();
    plan.metrics = j.at("metrics").get<std::vector<std::string>>();
    plan.plots = j.at("plots").get<std::vector<std::string>>();
    for (const auto& jp : j.at("points")) {
      Point p{jp.at("id").get<std::string>(), "", {}, std::nullopt};
      if (jp.contains("run")) p.run = jp["run"].get<std::string>();
      else p.trace = jp.at("trace").get<std::string>();
      // The grid order, not the object's (nlohmann::json sorts keys).
      for (const auto& k : plan.grid)
        if (jp.at("set").contains(k)) p.set.emplace_back(k, jp["set"][k].get<std::string>());
      plan.points.push_back(std::move(p));
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("not a sweep plan: ") + e.what());
  }
  return plan;
}

Plan read_plan(const std::filesystem::path& dir) {
  const std::string name = dir.string();
  std::ifstream f(dir / kPlanFile);
  if (!f) throw std::invalid_argument(name + ": no " + kPlanFile + " (not a sweep directory)");
  try {
    return plan_from_json(nlohmann::json::parse(f));
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(name + "/" + kPlanFile + ": " + e.what());
  }
}

}  // namespace nic::sweep
