#include "tools/sweep/table.hpp"

#include <algorithm>

namespace nic::sweep {

int Table::column(const std::string& name) const {
  const auto it = std::find(columns.begin(), columns.end(), name);
  return it == columns.end() ? -1 : int(it - columns.begin());
}

Table merge_tables(const std::vector<Table>& tables) {
  Table out;
  bool status = false;
  for (const auto& t : tables)
    for (const auto& c : t.columns) {
      if (c == "status") status = true;
      else if (out.column(c) < 0) out.columns.push_back(c);
    }
  if (status) out.columns.push_back("status");
  for (const auto& t : tables) {
    std::vector<int> at;
    for (const auto& c : out.columns) at.push_back(t.column(c));
    for (const auto& r : t.rows) {
      std::vector<std::string> row;
      for (int i : at) row.push_back(i < 0 ? "" : r[size_t(i)]);
      out.rows.push_back(std::move(row));
    }
  }
  return out;
}

}  // namespace nic::sweep
