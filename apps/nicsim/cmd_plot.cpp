// `nicsim plot`: draws a replay's timeline CSV (`nicsim replay --timeline`) as a PNG with
// gnuplot, and keeps the script that drew it beside the PNG for restyling.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "apps/nicsim/commands.hpp"
#include "tb/common/output_path.hpp"
#include "tools/sweep/csv.hpp"
#include "tools/sweep/gnuplot.hpp"
#include "tools/timeline/timeline_plot.hpp"

namespace nicsim {

namespace {

namespace fs = std::filesystem;

struct PlotArgs {
  std::string csv, out;
};

int fail(const std::string& why, int status) {
  std::cerr << "nicsim plot: " << why << "\n";
  return status;
}

int run(const PlotArgs& a) {
  std::string script;
  const fs::path png = fs::absolute(a.out);
  try {
    nic::tb::check_output_file("-o", a.out);
  } catch (const std::invalid_argument& e) {
    return fail(e.what(), 2);
  }
  const std::string terminal = nic::sweep::png_terminal();
  try {
    std::ifstream in(a.csv);
    const nic::sweep::Table t = nic::sweep::read_csv(in);
    if (t.rows.empty()) throw std::invalid_argument("no rows");
    script = nic::timeline::plot_script(t.columns, fs::absolute(a.csv).string(), png.filename().string(),
                                        terminal);
  } catch (const std::invalid_argument& e) {
    return fail(a.csv + ": " + e.what(), 2);
  }
  if (terminal.empty()) return fail("no gnuplot with a PNG terminal (Debian package gnuplot-nox)", 1);
  // The script keeps the PNG's name: out.png beside out.gp.
  const std::string stem = png.extension() == ".png" ? png.stem().string() : png.filename().string();
  const fs::path gp = png.parent_path() / (stem + ".gp");
  if (!nic::sweep::run_gnuplot(png.parent_path(), stem, script))
    return fail("gnuplot failed on " + gp.string() + ", see " + (png.parent_path() / (stem + ".log")).string(), 1);
  std::cout << "plot: " << a.out << " (gnuplot script " << gp.string() << ")\n";
  return 0;
}

}  // namespace

void add_plot_command(CLI::App& app) {
  auto args = std::make_shared<PlotArgs>();
  CLI::App* sub = app.add_subcommand("plot", "Draw a replay's timeline CSV (replay --timeline) as a PNG");
  sub->add_option("timeline", args->csv, "CSV written by nicsim replay --timeline")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("-o,--out", args->out, "PNG to write (the gnuplot script goes beside it, .gp)")->required();
  sub->footer("See docs/timeline.md.");
  sub->callback([args] { set_exit_status(run(*args)); });
}

}  // namespace nicsim
