// `--merge`: the results of sweeps run elsewhere (job files) or earlier, as one table. A
// sweep directory counts the points whose report exists so far, so a merge can be rerun as
// more finish.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "tools/sweep/table.hpp"

namespace nic::sweep {

struct Merged {
  Table table;
  size_t missing = 0;               // points of the directories without a report yet
  std::vector<std::string> plots;   // the directories' --plot specs, each once
};
// Each input is a sweep directory or a results CSV; tables combine by column name. With
// several inputs a directory's point ids get its name in front ("sw1/p0007"). Throws
// std::invalid_argument on an input that is neither.
Merged merge_results(const std::vector<std::string>& inputs);

}  // namespace nic::sweep
