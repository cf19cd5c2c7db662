// The outputs of a sweep or a merge: results.csv and a PNG per plot under plots/, each
// named on stdout as it is written.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "tools/sweep/table.hpp"

namespace nic::sweep {

// Writes `t` as OUT/results.csv and draws `plot_specs` (none given: against the first config
// key of `t`, a closed loop's throughput, p99 latency and drops, or a replay's achieved Gb/s
// and drops). Returns false only when the CSV could not be written;
// a plot that fails is reported on stderr and the rest go on.
bool write_results(const Table& t, const std::filesystem::path& out, std::vector<std::string> plot_specs);

}  // namespace nic::sweep
