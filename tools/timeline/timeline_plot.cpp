#include "tools/timeline/timeline_plot.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "tools/sweep/plot.hpp"

namespace nic::timeline {

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// FIFOs counted in bytes rather than beats: drawn against the right-hand axis.
bool in_bytes(const std::string& fifo) { return fifo == "mac_rx_fifo"; }

struct Line {
  size_t column;  // 1-based, as gnuplot counts
  std::string title;
  bool y2 = false;
};

}  // namespace

std::string plot_script(const std::vector<std::string>& columns, const std::string& csv_path,
                        const std::string& png_path, const std::string& terminal) {
  const auto index = [&](const std::string& name) {
    const auto it = std::find(columns.begin(), columns.end(), name);
    return it == columns.end() ? size_t(0) : size_t(it - columns.begin()) + 1;
  };
  for (const char* need : {"start_us", "offered_gbps", "pcie_up_busy"})
    if (!index(need))
      throw std::invalid_argument(std::string("not a timeline (nicsim replay --timeline): no column ") + need);
  std::vector<Line> throughput, fifos, drops, pcie;
  throughput.push_back({index("offered_gbps"), "offered into the MAC"});
  for (const char* part : {"placed", "ring", "cqe"})
    if (size_t c = index(std::string("host_") + part + "_gbps"))
      throughput.push_back({c, std::string("to host: ") + part});
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string& c = columns[i];
    if (ends_with(c, "_max") && index(c.substr(0, c.size() - 4) + "_mean")) {
      const std::string fifo = c.substr(0, c.size() - 4);
      fifos.push_back({i + 1, fifo + (in_bytes(fifo) ? " (bytes, right)" : ""), in_bytes(fifo)});
    } else if (c.rfind("drop_", 0) == 0) {
      drops.push_back({i + 1, c.substr(5)});
    } else if (c.rfind("pcie_", 0) == 0 && ends_with(c, "_busy")) {
      pcie.push_back({i + 1, c.substr(5, c.size() - 10)});
    }
  }

  if (fifos.empty() || drops.empty())
    throw std::invalid_argument("not a timeline (nicsim replay --timeline): no FIFO or drop columns");

  using sweep::gp_quote;
  std::ostringstream gp;
  gp << "# nicsim plot: a replay's timeline, one panel per group of columns of\n# " << csv_path << "\n";
  gp << "set terminal " << terminal << " noenhanced size 1100,1100\n";
  gp << "set output " << gp_quote(png_path) << "\n";
  gp << "set datafile separator ','\nset grid\nset key outside right top\n";
  // Fixed margins line the panels up whatever their tick labels; the right one holds the keys.
  gp << "set lmargin 10\nset rmargin 36\nset autoscale xfix\nset yrange [0:*]\n";
  gp << "set multiplot layout 4,1\n";
  const auto panel = [&](const std::string& ylabel, const std::vector<Line>& lines, const std::string& extra) {
    gp << "set ylabel " << gp_quote(ylabel) << "\n" << extra << "plot ";
    for (size_t i = 0; i < lines.size(); ++i)
      gp << (i ? ", \\\n     " : "") << (i ? "''" : gp_quote(csv_path)) << " skip 1 using 1:"
         << lines[i].column << (lines[i].y2 ? " axes x1y2" : "") << " with steps lw 2 title "
         << gp_quote(lines[i].title);
    gp << "\n";
  };
  const bool any_y2 = std::any_of(fifos.begin(), fifos.end(), [](const Line& l) { return l.y2; });
  panel("throughput (Gb/s)", throughput, "");
  panel("FIFO level, max (beats)", fifos,
        any_y2 ? "set y2label 'MAC FIFO (bytes)'\nset y2tics\nset ytics nomirror\nset y2range [0:*]\n" : "");
  gp << "unset y2label\nunset y2tics\nset ytics mirror\n";
  panel("drops per window", drops, "");
  gp << "set xlabel 'simulated time (us)'\n";
  panel("PCIe busy (fraction)", pcie, "set yrange [0:1.05]\n");
  gp << "unset multiplot\n";
  return gp.str();
}

}  // namespace nic::timeline
