#include "tools/sweep/merge.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "tools/sweep/csv.hpp"
#include "tools/sweep/outcome.hpp"
#include "tools/sweep/plan.hpp"
#include "tools/sweep/results.hpp"
#include "tools/sweep/sweep_dir.hpp"

namespace nic::sweep {

namespace fs = std::filesystem;

Merged merge_results(const std::vector<std::string>& inputs) {
  Merged m;
  std::vector<Table> tables;
  for (const auto& in : inputs) {
    if (fs::is_directory(in)) {
      const Plan plan = read_plan(in);
      std::vector<std::optional<Outcome>> outcomes;
      for (const auto& p : plan.points) {
        const fs::path report = report_path(in, p);
        if (fs::exists(report)) {
          outcomes.push_back(load_outcome(report.string()));
        } else {
          outcomes.emplace_back();
          ++m.missing;
        }
      }
      const std::string prefix = inputs.size() > 1 ? fs::path(in).lexically_normal().filename().string() + "/" : "";
      tables.push_back(results_table(plan, outcomes, prefix));
      for (const auto& p : plan.plots)
        if (std::find(m.plots.begin(), m.plots.end(), p) == m.plots.end()) m.plots.push_back(p);
    } else {
      std::ifstream f(in);
      if (!f) throw std::invalid_argument(in + ": neither a sweep directory nor a readable CSV");
      tables.push_back(read_csv(f));
    }
  }
  m.table = merge_tables(tables);
  return m;
}

}  // namespace nic::sweep
