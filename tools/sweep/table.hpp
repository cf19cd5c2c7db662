// A results table: named columns, rows of text cells; tables of several sweeps combine by
// column name.
#pragma once
#include <string>
#include <vector>

namespace nic::sweep {

// Every row has one cell per column.
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  // Index of a column, or -1.
  int column(const std::string& name) const;
};
// Union of columns (first seen first, `status` kept last), rows in input order; a column a
// table lacks is an empty cell in its rows.
Table merge_tables(const std::vector<Table>& tables);

}  // namespace nic::sweep
