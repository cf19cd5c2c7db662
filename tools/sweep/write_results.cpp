#include "tools/sweep/write_results.hpp"

#include <fstream>
#include <iostream>
#include <stdexcept>

#include "tools/sweep/csv.hpp"
#include "tools/sweep/gnuplot.hpp"
#include "tools/sweep/plot.hpp"
#include "tools/sweep/point_config.hpp"
#include "tools/sweep/sweep_dir.hpp"

namespace nic::sweep {

namespace fs = std::filesystem;

bool write_results(const Table& t, const fs::path& out, std::vector<std::string> plot_specs) {
  const fs::path csv = out / kResultsFile;
  {
    std::ofstream f(csv);
    write_csv(f, t);
    if (!f) {
      std::cerr << "nicsim sweep: cannot write " << csv.string() << "\n";
      return false;
    }
  }
  std::cout << "results: " << csv.string() << " (" << t.rows.size() << " rows)\n";
  if (t.rows.empty()) {
    std::cout << "plots: none (no results yet)\n";
    return true;
  }
  std::vector<std::string> config_columns;
  for (const auto& c : t.columns)
    if (is_config_key(c)) config_columns.push_back(c);
  if (plot_specs.empty()) {
    if (config_columns.empty()) {
      std::cout << "plots: none (no swept config key to plot against)\n";
      return true;
    }
    // A closed loop is judged by its application's throughput and latency; its drops cost
    // retransmissions, a replay's lose reads.
    const bool loop = t.column("closed_loop.total.throughput_gbps") >= 0;
    plot_specs.push_back(config_columns[0] + (loop ? ":closed_loop.total.throughput_gbps,closed_loop.total.clat_ns.p99,"
                                                     "counters.drop_mac_fifo_full"
                                                   : ":summary.achieved_gbps,counters.drop_mac_fifo_full,"
                                                     "counters.drop_rx_ring_full"));
  }
  const std::string terminal = png_terminal();
  if (terminal.empty()) {
    std::cout << "plots: none (gnuplot with a PNG terminal not found; install gnuplot-nox)\n";
    return true;
  }
  const fs::path dir = out / "plots";
  fs::create_directories(dir);
  for (const auto& spec_text : plot_specs) {
    const PlotSpec spec = parse_plot(spec_text);
    PlotFiles files;
    try {
      files = make_plot(t, spec, config_columns, terminal);
    } catch (const std::invalid_argument& e) {
      std::cerr << "nicsim sweep: " << e.what() << "\n";
      continue;
    }
    for (const auto& s : files.skipped) std::cout << "plots: " << s << " has no numbers, left out\n";
    if (files.script.empty()) continue;
    const std::string stem = plot_stem(spec);
    if (draw_plot(dir, stem, files)) {
      std::cout << "plot: " << (dir / (stem + ".png")).string() << "\n";
    } else {
      std::cerr << "nicsim sweep: gnuplot failed on " << (dir / (stem + ".gp")).string() << ", see "
                << (dir / (stem + ".log")).string() << "\n";
    }
  }
  return true;
}

}  // namespace nic::sweep
