#include "tools/sweep/run_points.hpp"

#include "tools/sweep/progress.hpp"
#include "tools/sweep/runner.hpp"
#include "tools/sweep/sweep_dir.hpp"

namespace nic::sweep {

namespace fs = std::filesystem;

std::vector<std::optional<Outcome>> run_points(const Plan& plan, const fs::path& dir, unsigned jobs) {
  const std::string exe = self_exe();
  std::vector<std::optional<Outcome>> outcomes(plan.points.size());
  Progress progress(plan.points.size());
  size_t done = 0;
  const auto start = [&](size_t i) {
    const Point& p = plan.points[i];
    fs::remove(report_path(dir, p));  // a stale report must not pass for this run's
    return Job{exe, point_args(p, plan.line_rate, dir), log_path(dir, p).string(), ""};
  };
  const auto finished = [&](size_t i, int exit_status, double secs) {
    const Point& p = plan.points[i];
    outcomes[i] = load_outcome(report_path(dir, p).string(), exit_status);
    progress.finished(++done, describe(p), status_of(*outcomes[i]), secs);
  };
  run_pool(plan.points.size(), jobs, start, finished, [&](size_t d, size_t running) { progress.draw(d, running); });
  progress.draw(done, 0);
  progress.end();
  return outcomes;
}

}  // namespace nic::sweep
