// Lists written as text: a grid's values, a plot's Y columns, a metric path's steps.
#pragma once
#include <string>
#include <vector>

namespace nic::sweep {

// Every piece between separators, empty ones included ("a,,b" -> a, "", b).
std::vector<std::string> split(const std::string& s, char sep);
std::string join(const std::vector<std::string>& v, const std::string& sep);

}  // namespace nic::sweep
