#include "tools/sweep/outcome.hpp"

#include <fstream>

#include "tools/sweep/metric_path.hpp"

namespace nic::sweep {

Outcome load_outcome(const std::string& report_path, std::optional<int> exit_code) {
  Outcome o{std::nullopt, exit_code};
  std::ifstream in(report_path);
  if (!in) return o;
  try {
    o.report = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    o.report.reset();
  }
  return o;
}

std::string status_of(const Outcome& o) {
  if (!o.report) return "error";
  const auto ok = lookup(*o.report, "verdict.ok");
  if (!ok || !ok->is_boolean()) return "error";
  // A closed loop's reads also fail apart from the verdict (an error status), and `nicsim run`
  // exits 1 for any read that did not complete byte-exact.
  const auto loop_errors = lookup(*o.report, "closed_loop.total.errors");
  const bool loop = loop_errors.has_value();
  const bool passed = ok->get<bool>() && (!loop || *loop_errors == 0);
  // replay exits 1 for a failed verdict; any other non-zero exit is a failure of its own.
  if (!passed) return !o.exit_code || *o.exit_code == 0 || *o.exit_code == 1 ? "mismatch" : "error";
  if (!o.exit_code || *o.exit_code == 0) return "ok";
  return loop && *o.exit_code == 1 ? "mismatch" : "error";
}

}  // namespace nic::sweep
