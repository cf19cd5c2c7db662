// The traces of a sweep: those given one by one and those of a list file (one path per line,
// `#` comments, relative paths relative to the list, so that a list travels with its traces).
#pragma once
#include <string>
#include <vector>

namespace nic::sweep {

// `traces`, then the entries of `list_file` when it is not empty. Throws
// std::invalid_argument on an entry that is no file, or when there is no trace at all.
std::vector<std::string> sweep_traces(const std::vector<std::string>& traces, const std::string& list_file);

}  // namespace nic::sweep
