// Metric paths: dotted JSON paths into a replay or run report, an array element picked by index
// or by field (`fifos[name=mac_rx_fifo].drops`, `blocks[0].busy_fraction`), and the CSV column
// each becomes. A key with dots in it is written as it is (`closed_loop.total.clat_ns.p99.9`):
// at each object the longest run of steps that names one of its keys is taken.
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace nic::sweep {

// Throws std::invalid_argument on bad syntax.
void check_path(const std::string& path);
// The value at `path`, or nullopt when the report does not have it.
std::optional<nlohmann::json> lookup(const nlohmann::json& report, const std::string& path);
// CSV column of a path: `fifos[name=X].Y` -> `fifo.X.Y`; other paths are their own name.
std::string column_name(const std::string& path);
// A report value as a CSV cell and as a selector compares it: strings bare, null empty.
std::string cell_text(const nlohmann::json& v);

}  // namespace nic::sweep
