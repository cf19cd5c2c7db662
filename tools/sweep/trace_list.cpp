#include "tools/sweep/trace_list.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace nic::sweep {

namespace fs = std::filesystem;

std::vector<std::string> sweep_traces(const std::vector<std::string>& traces, const std::string& list_file) {
  std::vector<std::string> out = traces;
  if (!list_file.empty()) {
    std::ifstream in(list_file);
    const fs::path base = fs::path(list_file).parent_path();
    for (std::string line; std::getline(in, line);) {
      line.erase(0, line.find_first_not_of(" \t"));
      line.erase(line.find_last_not_of(" \t\r") + 1);
      if (line.empty() || line[0] == '#') continue;
      const fs::path p = fs::path(line).is_absolute() ? fs::path(line) : base / line;
      if (!fs::is_regular_file(p)) throw std::invalid_argument(list_file + ": no trace file " + p.string());
      out.push_back(p.string());
    }
  }
  if (out.empty()) throw std::invalid_argument("give at least one --trace or a --trace-list");
  return out;
}

}  // namespace nic::sweep
