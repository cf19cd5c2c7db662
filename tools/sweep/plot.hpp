// `--plot X:Y1[,Y2...]` as a gnuplot script and the data it reads, drawn from a results
// table. Only text is made here; gnuplot.hpp runs gnuplot on it.
#pragma once
#include <string>
#include <vector>

#include "tools/sweep/table.hpp"

namespace nic::sweep {

// A single-quoted gnuplot string ('' is a quote inside).
std::string gp_quote(const std::string& s);

// X and Y are column names or metric paths.
struct PlotSpec {
  std::string x;
  std::vector<std::string> ys;
};
PlotSpec parse_plot(const std::string& spec);  // throws std::invalid_argument
// File stem of a plot's PNG, script and data.
std::string plot_stem(const PlotSpec& spec);
// A gnuplot script drawing `spec` from `t`, one panel per Y and one line per series (trace, run
// and every column in `series_columns` other than X that takes more than one value), plus the
// data it reads from `<stem>.dat` in the same directory. Y columns without any number are left out
// and named in `skipped`; `script` is empty when nothing is left to draw.
struct PlotFiles {
  std::string script, data;
  std::vector<std::string> skipped;
};
PlotFiles make_plot(const Table& t, const PlotSpec& spec, const std::vector<std::string>& series_columns,
                    const std::string& terminal);

}  // namespace nic::sweep
