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
// Writes `stem`.dat and `stem`.gp into `dir` and runs gnuplot there to draw `stem`.png.
// Returns false when gnuplot failed; its output is then left in `stem`.log.
bool draw_plot(const std::filesystem::path& dir, const std::string& stem, const PlotFiles& files);

}  // namespace nic::sweep
