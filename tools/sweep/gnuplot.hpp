// Running gnuplot on the scripts plot.hpp makes. gnuplot is optional: without it a sweep
// still writes its CSV.
#pragma once
#include <filesystem>
#include <string>

#include "tools/sweep/plot.hpp"

namespace nic::sweep {

// The PNG terminal this gnuplot offers, "pngcairo" before "png", or empty when there is no
// gnuplot or it draws no PNG.
std::string png_terminal();
// Writes `stem`.gp into `dir` and runs gnuplot on it there. Returns false when gnuplot failed;
// its output is then left in `stem`.log.
bool run_gnuplot(const std::filesystem::path& dir, const std::string& stem, const std::string& script);
// Writes `stem`.dat beside the script and runs it (run_gnuplot) to draw `stem`.png.
bool draw_plot(const std::filesystem::path& dir, const std::string& stem, const PlotFiles& files);

}  // namespace nic::sweep
