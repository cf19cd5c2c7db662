#include "tools/sweep/gnuplot.hpp"

#include <cstdio>
#include <fstream>

#include "tools/sweep/runner.hpp"

namespace nic::sweep {

namespace fs = std::filesystem;

std::string png_terminal() {
  FILE* p = popen("gnuplot -e 'set terminal' 2>&1", "r");
  if (!p) return "";
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int st = pclose(p);
  if (st != 0) return "";
  if (out.find("pngcairo") != std::string::npos) return "pngcairo";
  return out.find(" png ") != std::string::npos ? "png" : "";
}

bool draw_plot(const fs::path& dir, const std::string& stem, const PlotFiles& files) {
  std::ofstream(dir / (stem + ".dat")) << files.data;
  return run_gnuplot(dir, stem, files.script);
}

bool run_gnuplot(const fs::path& dir, const std::string& stem, const std::string& script) {
  std::ofstream(dir / (stem + ".gp")) << script;
  const fs::path log = dir / (stem + ".log");
  if (run_and_wait({"gnuplot", {stem + ".gp"}, log.string(), dir.string()}) != 0) return false;
  fs::remove(log);
  return true;
}

}  // namespace nic::sweep
