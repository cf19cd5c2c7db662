// A table as CSV (RFC 4180 quoting), the form of results.csv.
#pragma once
#include <iosfwd>

#include "tools/sweep/table.hpp"

namespace nic::sweep {

void write_csv(std::ostream& out, const Table& t);
Table read_csv(std::istream& in);  // throws std::invalid_argument on a ragged row

}  // namespace nic::sweep
