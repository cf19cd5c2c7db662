#include "tools/sweep/sweep_dir.hpp"

#include <fstream>
#include <stdexcept>

#include "tb/common/output_path.hpp"
#include "tools/sweep/run_options.hpp"

namespace nic::sweep {

namespace fs = std::filesystem;

fs::path report_path(const fs::path& dir, const Point& p) { return dir / kPointsDir / (p.id + ".json"); }

fs::path log_path(const fs::path& dir, const Point& p) { return dir / kPointsDir / (p.id + ".log"); }

std::vector<std::string> point_args(const Point& p, bool line_rate, const fs::path& dir) {
  std::vector<std::string> a;
  if (p.run) {
    a = run_words(*p.run);
    a.insert(a.begin(), "run");
  } else {
    a = {"replay", fs::absolute(p.trace).string()};
  }
  a.push_back("--config");
  a.push_back((dir / kBaseConfigFile).string());
  for (const auto& [k, v] : p.set) {
    a.push_back("--set");
    a.push_back(k + "=" + v);
  }
  if (line_rate && !p.run) a.push_back("--line-rate");
  a.push_back("--report");
  a.push_back(report_path(dir, p).string());
  return a;
}

void make_sweep_dir(const std::string& option, const fs::path& dir, const SimConfig& base) {
  tb::make_output_dir(option, dir.string());
  fs::create_directories(dir / kPointsDir);
  write_file(dir / kBaseConfigFile, config_to_json(base) + "\n");
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace nic::sweep
