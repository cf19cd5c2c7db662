#include "tools/sweep/csv.hpp"

#include <cctype>
#include <istream>
#include <ostream>
#include <stdexcept>

namespace nic::sweep {

namespace {

bool needs_quotes(const std::string& s) {
  return s.find_first_of(",\"\n\r") != std::string::npos ||
         (!s.empty() && (std::isspace((unsigned char)s.front()) || std::isspace((unsigned char)s.back())));
}

}  // namespace

void write_csv(std::ostream& out, const Table& t) {
  const auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out << ',';
      if (!needs_quotes(cells[i])) {
        out << cells[i];
        continue;
      }
      out << '"';
      for (char c : cells[i]) out << (c == '"' ? "\"\"" : std::string(1, c));
      out << '"';
    }
    out << '\n';
  };
  line(t.columns);
  for (const auto& r : t.rows) line(r);
}

Table read_csv(std::istream& in) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> rec;
  std::string cell;
  bool quoted = false, any = false;
  char c;
  const auto end_record = [&] {
    rec.push_back(cell);
    // A blank line is no record.
    if (rec.size() > 1 || !rec[0].empty()) records.push_back(rec);
    rec.clear();
    cell.clear();
    any = false;
  };
  while (in.get(c)) {
    if (quoted) {
      if (c == '"') {
        if (in.peek() == '"') {
          cell += '"';
          in.get(c);
        } else {
          quoted = false;
        }
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = any = true;
    } else if (c == ',') {
      rec.push_back(cell);
      cell.clear();
      any = true;
    } else if (c == '\n') {
      end_record();
    } else if (c != '\r') {
      cell += c;
      any = true;
    }
  }
  if (any || !cell.empty() || !rec.empty()) end_record();
  Table t;
  if (records.empty()) return t;
  t.columns = records[0];
  for (size_t i = 1; i < records.size(); ++i) {
    if (records[i].size() != t.columns.size())
      throw std::invalid_argument("CSV row " + std::to_string(i + 1) + " has " +
                                  std::to_string(records[i].size()) + " cells, the header " +
                                  std::to_string(t.columns.size()));
    t.rows.push_back(records[i]);
  }
  return t;
}

}  // namespace nic::sweep
