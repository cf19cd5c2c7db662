// `nicsim plot`: a replay's timeline CSV (tb/common/timeline.hpp) as a gnuplot script of
// stacked panels over simulated time: throughput into the MAC and into host memory, FIFO
// levels, drops, PCIe busy. Only text is made here; tools/sweep/gnuplot.hpp runs gnuplot.
#pragma once
#include <string>
#include <vector>

namespace nic::timeline {

// The script drawing the CSV at `csv_path`, whose header is `columns`, into `png_path` with
// gnuplot terminal `terminal`. Columns are found by name, so any FIFOs and drop reasons the
// timeline lists are drawn. Throws std::invalid_argument when `columns` is not a timeline's.
std::string plot_script(const std::vector<std::string>& columns, const std::string& csv_path,
                        const std::string& png_path, const std::string& terminal);

}  // namespace nic::timeline
