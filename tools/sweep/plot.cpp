#include "tools/sweep/plot.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "tools/sweep/list_text.hpp"
#include "tools/sweep/metric_path.hpp"
#include "util/param_text.hpp"

namespace nic::sweep {

using param::as_number;
using param::format_real;

std::string gp_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

namespace {

// A series' title for a value of a workload column: a trace's file stem, a run's options.
std::string workload_title(const std::string& column, const std::string& value) {
  return column == "trace" ? std::filesystem::path(value).stem().string() : "run " + value;
}

}  // namespace

PlotSpec parse_plot(const std::string& spec) {
  const size_t colon = spec.find(':');
  PlotSpec p;
  if (colon != std::string::npos) {
    p.x = spec.substr(0, colon);
    for (const auto& y : split(spec.substr(colon + 1), ','))
      if (!y.empty()) p.ys.push_back(y);
  }
  if (p.x.empty() || p.ys.empty()) throw std::invalid_argument("plot '" + spec + "': expected X:Y[,Y2...]");
  return p;
}

std::string plot_stem(const PlotSpec& spec) {
  std::vector<std::string> ys;
  for (const auto& y : spec.ys) ys.push_back(column_name(y));
  std::string s = join(ys, "+") + "-vs-" + column_name(spec.x);
  for (char& c : s)
    if (!std::isalnum((unsigned char)c) && c != '.' && c != '_' && c != '-' && c != '+') c = '_';
  return s;
}

PlotFiles make_plot(const Table& t, const PlotSpec& spec, const std::vector<std::string>& series_columns,
                    const std::string& terminal) {
  const auto need = [&](const std::string& name) {
    const int i = t.column(column_name(name));
    if (i < 0) throw std::invalid_argument("plot: results have no column '" + column_name(name) + "'");
    return size_t(i);
  };
  const size_t xc = need(spec.x);
  PlotFiles files;
  std::vector<std::string> ylabels;
  std::vector<size_t> yc;
  for (const auto& y : spec.ys) {
    const size_t c = need(y);
    const bool numeric = std::any_of(t.rows.begin(), t.rows.end(), [&](const auto& r) { return as_number(r[c]).has_value(); });
    if (numeric) {
      yc.push_back(c);
      ylabels.push_back(column_name(y));
    } else {
      files.skipped.push_back(column_name(y));
    }
  }
  std::vector<const std::vector<std::string>*> rows;
  for (const auto& r : t.rows)
    if (!r[xc].empty()) rows.push_back(&r);
  if (yc.empty() || rows.empty()) return files;

  // Series: one per combination of the columns that vary, X excepted.
  std::vector<size_t> keys;
  const std::vector<std::string> workload_columns{"trace", "run"};
  std::vector<std::string> candidates = workload_columns;
  candidates.insert(candidates.end(), series_columns.begin(), series_columns.end());
  for (const auto& c : candidates) {
    const int i = t.column(c);
    if (i < 0 || size_t(i) == xc || std::find(keys.begin(), keys.end(), size_t(i)) != keys.end()) continue;
    std::set<std::string> distinct;
    for (const auto* r : rows) distinct.insert((*r)[size_t(i)]);
    if (distinct.size() > 1) keys.push_back(size_t(i));
  }
  const bool numeric_x = std::all_of(rows.begin(), rows.end(), [&](const auto* r) { return as_number((*r)[xc]).has_value(); });
  std::vector<std::string> categories;  // X values in first-seen order when X is not numeric
  std::vector<std::string> titles;
  std::map<std::vector<std::string>, std::vector<std::pair<double, const std::vector<std::string>*>>> series;
  std::vector<std::vector<std::string>> order;
  for (const auto* r : rows) {
    std::vector<std::string> id;
    for (size_t k : keys) id.push_back((*r)[k]);
    if (!series.count(id)) {
      order.push_back(id);
      std::vector<std::string> parts;
      for (size_t k = 0; k < keys.size(); ++k) {
        const std::string& c = t.columns[keys[k]];
        const bool workload = std::count(workload_columns.begin(), workload_columns.end(), c) > 0;
        // A mixed sweep's replays have no run and its runs no trace.
        if (workload && id[k].empty()) continue;
        parts.push_back(workload ? workload_title(c, id[k]) : c + "=" + id[k]);
      }
      if (parts.empty())
        for (const auto& c : workload_columns)
          if (t.column(c) >= 0 && !(*r)[size_t(t.column(c))].empty())
            parts.push_back(workload_title(c, (*r)[size_t(t.column(c))]));
      titles.push_back(!parts.empty() ? join(parts, " ") : t.columns[yc[0]]);
    }
    double x = 0;
    if (numeric_x) {
      x = *as_number((*r)[xc]);
    } else {
      auto it = std::find(categories.begin(), categories.end(), (*r)[xc]);
      if (it == categories.end()) it = categories.insert(it, (*r)[xc]);
      x = double(it - categories.begin());
    }
    series[id].emplace_back(x, r);
  }

  std::ostringstream data;
  for (size_t s = 0; s < order.size(); ++s) {
    auto& pts = series[order[s]];
    std::stable_sort(pts.begin(), pts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    data << (s ? "\n\n" : "") << "# " << titles[s] << "\n";
    for (const auto& [x, r] : pts) {
      data << format_real(x) << " \"" << (*r)[xc] << "\"";
      for (size_t c : yc) {
        const auto v = as_number((*r)[c]);
        data << ' ' << (v ? format_real(*v) : "?");
      }
      data << '\n';
    }
  }
  files.data = data.str();

  const std::string stem = plot_stem(spec);
  std::ostringstream gp;
  gp << "# nicsim sweep: " << join(ylabels, ", ") << " vs " << column_name(spec.x)
     << "; one line per series, data in " << stem << ".dat (one block per series).\n";
  gp << "set terminal " << terminal << " noenhanced size 1100," << 80 + 300 * yc.size() << "\n";
  gp << "set output " << gp_quote(stem + ".png") << "\n";
  // A key beside the panels would squeeze them to make room for long titles (a run's options).
  const bool long_titles = std::any_of(titles.begin(), titles.end(), [](const auto& t) { return t.size() > 40; });
  gp << "set datafile missing '?'\nset grid\nset key " << (long_titles ? "below" : "outside right top") << "\n";
  gp << "set xlabel " << gp_quote(column_name(spec.x)) << "\n";
  std::string using_x = "1";
  if (numeric_x) {
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (const auto* r : rows) {
      lo = std::min(lo, *as_number((*r)[xc]));
      hi = std::max(hi, *as_number((*r)[xc]));
    }
    // Sizes are usually swept in powers of two; a log axis spaces them evenly.
    if (lo > 0 && hi / lo >= 16) gp << "set logscale x 2\n";
    gp << "set offsets graph 0.03, graph 0.03, graph 0.08, graph 0.08\n";
  } else {
    gp << "set xrange [-0.5:" << format_real(double(categories.size()) - 0.5) << "]\n";
  }
  gp << "set multiplot layout " << yc.size() << ",1\n";
  for (size_t y = 0; y < yc.size(); ++y) {
    gp << "set ylabel " << gp_quote(ylabels[y]) << "\nplot ";
    for (size_t s = 0; s < order.size(); ++s) {
      gp << (s ? ", \\\n     " : "") << (s ? "''" : gp_quote(stem + ".dat")) << " index " << s
         << " using 1:" << 3 + y << (numeric_x ? "" : ":xtic(2)") << " with linespoints title "
         << gp_quote(titles[s]);
    }
    gp << "\n";
  }
  gp << "unset multiplot\n";
  files.script = gp.str();
  return files;
}

}  // namespace nic::sweep
