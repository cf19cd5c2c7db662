// How one point ended: its replay's or run's report, if any, and the status column made of it.
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace nic::sweep {

// `exit_code` is known only when this process ran the point.
struct Outcome {
  std::optional<nlohmann::json> report;
  std::optional<int> exit_code;
};
// Reads a report if it exists and parses; a torn or missing file gives no report.
Outcome load_outcome(const std::string& report_path, std::optional<int> exit_code = std::nullopt);
// "ok" (reads byte-exact), "mismatch" (the replay or run ran but its verdict failed, or a
// closed loop's read did not complete), "error" (no report, or it failed for another reason).
std::string status_of(const Outcome& o);

}  // namespace nic::sweep
