// A sweep run on this machine: every point of a plan as its own `nicsim replay` or `nicsim run`
// process (SystemC elaborates once per process), with progress on stderr.
#pragma once
#include <filesystem>
#include <optional>
#include <vector>

#include "tools/sweep/outcome.hpp"
#include "tools/sweep/plan.hpp"

namespace nic::sweep {

// Runs every point of `plan` in sweep directory `dir`, at most `jobs` at once; returns their
// outcomes in plan order.
std::vector<std::optional<Outcome>> run_points(const Plan& plan, const std::filesystem::path& dir, unsigned jobs);

}  // namespace nic::sweep
