#include "tb/sweep/sweep.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace nic::sweep {

namespace fs = std::filesystem;
using param::as_number;
using param::canonical;

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

// Grids beyond this are a typo (a step of 1 over a byte range), not a plan.
constexpr size_t kMaxAxisValues = 10000;

std::vector<std::string> range_values(const std::string& key, Kind kind, const std::string& spec) {
  const auto parts = split(spec, ':');
  if (parts.size() != 3) throw std::invalid_argument(key + ": a range is lo:hi:step, got '" + spec + "'");
  std::vector<std::string> out;
  if (kind == Kind::integer) {
    const uint64_t lo = std::stoull(canonical(key, kind, parts[0]));
    const uint64_t hi = std::stoull(canonical(key, kind, parts[1]));
    const uint64_t step = std::stoull(canonical(key, kind, parts[2]));
    if (step == 0 || lo > hi) throw std::invalid_argument(key + ": range needs lo <= hi and step > 0");
    if ((hi - lo) / step >= kMaxAxisValues) throw std::invalid_argument(key + ": range has too many values");
    for (uint64_t v = lo; v <= hi; v += step) out.push_back(std::to_string(v));
  } else if (kind == Kind::real) {
    const double lo = std::stod(canonical(key, kind, parts[0]));
    const double hi = std::stod(canonical(key, kind, parts[1]));
    const double step = std::stod(canonical(key, kind, parts[2]));
    if (!(step > 0) || lo > hi) throw std::invalid_argument(key + ": range needs lo <= hi and step > 0");
    // The epsilon keeps hi in the range when (hi - lo) / step is an integer up to rounding.
    const double n = std::floor((hi - lo) / step + 1e-9);
    if (n >= double(kMaxAxisValues)) throw std::invalid_argument(key + ": range has too many values");
    for (size_t i = 0; i <= size_t(n); ++i) out.push_back(format_real(lo + double(i) * step));
  } else {
    throw std::invalid_argument(key + ": a range lo:hi:step needs a numeric key");
  }
  return out;
}

// One step of a metric path: `key`, optionally followed by `[index]` or `[field=value]`.
struct Segment {
  std::string key;
  std::optional<size_t> index;
  std::string field, value;  // field empty: no field selector
};

std::vector<Segment> parse_path(const std::string& path) {
  std::vector<Segment> segs;
  size_t i = 0;
  const auto bad = [&](const char* why) {
    return std::invalid_argument("metric path '" + path + "': " + why);
  };
  while (true) {
    Segment s;
    while (i < path.size() && path[i] != '.' && path[i] != '[') s.key += path[i++];
    if (s.key.empty()) throw bad("empty name");
    if (i < path.size() && path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close == std::string::npos) throw bad("missing ']'");
      const std::string sel = path.substr(i + 1, close - i - 1);
      const size_t eq = sel.find('=');
      if (eq != std::string::npos) {
        s.field = sel.substr(0, eq);
        s.value = sel.substr(eq + 1);
        if (s.field.empty() || s.value.empty()) throw bad("selector is [field=value]");
      } else if (!sel.empty() && std::all_of(sel.begin(), sel.end(), [](char c) { return std::isdigit((unsigned char)c); })) {
        s.index = std::stoul(sel);
      } else {
        throw bad("selector is [index] or [field=value]");
      }
      i = close + 1;
    }
    segs.push_back(s);
    if (i == path.size()) return segs;
    if (path[i] != '.') throw bad("expected '.' after ']'");
    ++i;
  }
}

std::string cell_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

bool needs_quotes(const std::string& s) {
  return s.find_first_of(",\"\n\r") != std::string::npos ||
         (!s.empty() && (std::isspace((unsigned char)s.front()) || std::isspace((unsigned char)s.back())));
}

// A single-quoted gnuplot string ('' is a quote inside).
std::string gp_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string trace_label(const std::string& trace) { return fs::path(trace).stem().string(); }

}  // namespace

Axis parse_axis(const std::string& spec, const KindOf& kind_of) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    throw std::invalid_argument("grid '" + spec + "': expected key=v1,v2,... or key=lo:hi:step");
  Axis a{spec.substr(0, eq), {}};
  const std::string values = spec.substr(eq + 1);
  const Kind kind = kind_of(a.key);
  const bool numeric = kind == Kind::integer || kind == Kind::real;
  if (numeric && values.find(':') != std::string::npos) {
    a.values = range_values(a.key, kind, values);
  } else {
    for (const auto& v : split(values, ',')) a.values.push_back(canonical(a.key, kind, v));
  }
  std::set<std::string> seen;
  for (const auto& v : a.values)
    if (!seen.insert(v).second) throw std::invalid_argument(a.key + ": value " + v + " given twice");
  return a;
}

std::vector<Point> expand(const std::vector<Axis>& axes, const std::vector<std::string>& traces) {
  size_t per_trace = 1;
  for (const auto& a : axes) per_trace *= a.values.size();
  const size_t total = per_trace * traces.size();
  std::vector<Point> out;
  out.reserve(total);
  for (const auto& t : traces) {
    for (size_t i = 0; i < per_trace; ++i) {
      Point p{point_id(out.size(), total), t, {}};
      // Mixed-radix digits of i, the last axis least significant.
      size_t rest = i, radix = per_trace;
      for (const auto& a : axes) {
        radix /= a.values.size();
        p.set.emplace_back(a.key, a.values[rest / radix]);
        rest %= radix;
      }
      out.push_back(std::move(p));
    }
  }
  return out;
}

std::string point_id(size_t index, size_t total) {
  const size_t width = std::max<size_t>(4, std::to_string(total ? total - 1 : 0).size());
  std::string n = std::to_string(index);
  return "p" + std::string(width > n.size() ? width - n.size() : 0, '0') + n;
}

nlohmann::ordered_json plan_to_json(const Plan& plan) {
  nlohmann::ordered_json j;
  j["grid"] = plan.grid;
  j["line_rate"] = plan.line_rate;
  j["metrics"] = plan.metrics;
  j["plots"] = plan.plots;
  j["points"] = nlohmann::ordered_json::array();
  for (const auto& p : plan.points) {
    nlohmann::ordered_json set = nlohmann::ordered_json::object();
    for (const auto& [k, v] : p.set) set[k] = v;
    j["points"].push_back({{"id", p.id}, {"trace", p.trace}, {"set", set}});
  }
  return j;
}

Plan plan_from_json(const nlohmann::json& j) {
  Plan plan;
  try {
    plan.grid = j.at("grid").get<std::vector<std::string>>();
    plan.line_rate = j.at("line_rate").get<bool>();
    plan.metrics = j.at("metrics").get<std::vector<std::string>>();
    plan.plots = j.at("plots").get<std::vector<std::string>>();
    for (const auto& jp : j.at("points")) {
      Point p{jp.at("id").get<std::string>(), jp.at("trace").get<std::string>(), {}};
      // The grid order, not the object's (nlohmann::json sorts keys).
      for (const auto& k : plan.grid)
        if (jp.at("set").contains(k)) p.set.emplace_back(k, jp["set"][k].get<std::string>());
      plan.points.push_back(std::move(p));
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("not a sweep plan: ") + e.what());
  }
  return plan;
}

std::vector<std::string> replay_args(const Point& p, bool line_rate, const std::string& dir) {
  const fs::path d(dir);
  std::vector<std::string> a{"replay", fs::absolute(p.trace).string(), "--config",
                             (d / kBaseConfigFile).string()};
  for (const auto& [k, v] : p.set) {
    a.push_back("--set");
    a.push_back(k + "=" + v);
  }
  if (line_rate) a.push_back("--line-rate");
  a.push_back("--report");
  a.push_back((d / kPointsDir / (p.id + ".json")).string());
  return a;
}

void check_path(const std::string& path) { parse_path(path); }

std::optional<nlohmann::json> lookup(const nlohmann::json& report, const std::string& path) {
  const nlohmann::json* node = &report;
  for (const auto& s : parse_path(path)) {
    if (!node->is_object() || !node->contains(s.key)) return std::nullopt;
    node = &(*node)[s.key];
    if (s.index) {
      if (!node->is_array() || *s.index >= node->size()) return std::nullopt;
      node = &(*node)[*s.index];
    } else if (!s.field.empty()) {
      if (!node->is_array()) return std::nullopt;
      const nlohmann::json* hit = nullptr;
      for (const auto& e : *node)
        if (e.is_object() && e.contains(s.field) && cell_text(e[s.field]) == s.value) {
          hit = &e;
          break;
        }
      if (!hit) return std::nullopt;
      node = hit;
    }
  }
  return *node;
}

std::string column_name(const std::string& path) {
  std::vector<std::string> parts;
  for (const auto& s : parse_path(path)) {
    if (s.field == "name") {
      // fifos[name=X] reads as "fifo X".
      const bool plural = s.key.size() > 1 && s.key.back() == 's';
      parts.push_back(s.key.substr(0, s.key.size() - (plural ? 1 : 0)) + "." + s.value);
    } else if (!s.field.empty()) {
      parts.push_back(s.key + "[" + s.field + "=" + s.value + "]");
    } else if (s.index) {
      parts.push_back(s.key + "[" + std::to_string(*s.index) + "]");
    } else {
      parts.push_back(s.key);
    }
  }
  return join(parts, ".");
}

std::vector<std::string> metric_paths(const std::vector<std::string>& fifo_names,
                                      const std::vector<std::string>& extra) {
  std::vector<std::string> out{"summary.offered_gbps",          "summary.achieved_gbps",
                               "counters.drop_mac_fifo_full",   "counters.drop_rx_ring_full",
                               "counters.placed_fraction",      "counters.crc_verified_fraction",
                               "summary.latency_ns_p50",        "summary.latency_ns_p99",
                               "summary.latency_ns_p999"};
  for (const auto& f : fifo_names) {
    out.push_back("fifos[name=" + f + "].high_watermark");
    out.push_back("fifos[name=" + f + "].drops");
  }
  out.push_back("summary.cycles");
  out.push_back("summary.wall_seconds");
  std::set<std::string> columns;
  for (const auto& p : out) columns.insert(column_name(p));
  for (const auto& p : extra)
    if (columns.insert(column_name(p)).second) out.push_back(p);
  return out;
}

std::vector<std::string> fifo_names(const std::vector<const nlohmann::json*>& reports) {
  std::vector<std::string> names;
  for (const auto* r : reports) {
    if (!r->contains("fifos") || !(*r)["fifos"].is_array()) continue;
    for (const auto& f : (*r)["fifos"])
      if (f.contains("name") && f["name"].is_string()) {
        const auto n = f["name"].get<std::string>();
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
      }
  }
  return names;
}

Outcome load_outcome(const std::string& report_path, std::optional<int> exit_code) {
  Outcome o{std::nullopt, exit_code};
  std::ifstream in(report_path);
  if (!in) return o;
  try {
    o.report = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    o.report.reset();
  }
  return o;
}

std::string status_of(const Outcome& o) {
  if (!o.report) return "error";
  const auto ok = lookup(*o.report, "verdict.ok");
  if (!ok || !ok->is_boolean()) return "error";
  // replay exits 1 for a failed verdict; any other non-zero exit is a failure of its own.
  if (!ok->get<bool>()) return !o.exit_code || *o.exit_code == 0 || *o.exit_code == 1 ? "mismatch" : "error";
  return !o.exit_code || *o.exit_code == 0 ? "ok" : "error";
}

int Table::column(const std::string& name) const {
  const auto it = std::find(columns.begin(), columns.end(), name);
  return it == columns.end() ? -1 : int(it - columns.begin());
}

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

Table results_table(const Plan& plan, const std::vector<std::optional<Outcome>>& outcomes,
                    const std::string& prefix) {
  if (outcomes.size() != plan.points.size())
    throw std::invalid_argument("results_table: one outcome per point expected");
  std::vector<const nlohmann::json*> reports;
  for (const auto& o : outcomes)
    if (o && o->report) reports.push_back(&*o->report);
  const auto paths = metric_paths(fifo_names(reports), plan.metrics);
  Table t;
  t.columns = {"point", "trace"};
  t.columns.insert(t.columns.end(), plan.grid.begin(), plan.grid.end());
  for (const auto& p : paths) t.columns.push_back(column_name(p));
  t.columns.push_back("status");
  for (size_t i = 0; i < plan.points.size(); ++i) {
    if (!outcomes[i]) continue;
    const Point& p = plan.points[i];
    const Outcome& o = *outcomes[i];
    std::vector<std::string> row{prefix + p.id, p.trace};
    for (const auto& k : plan.grid) {
      const auto it = std::find_if(p.set.begin(), p.set.end(), [&](const auto& kv) { return kv.first == k; });
      row.push_back(it == p.set.end() ? "" : it->second);
    }
    for (const auto& path : paths) {
      const auto v = o.report ? lookup(*o.report, path) : std::nullopt;
      row.push_back(v ? cell_text(*v) : "");
    }
    row.push_back(status_of(o));
    t.rows.push_back(std::move(row));
  }
  return t;
}

PlotSpec parse_plot(const std::string& spec) {
  const size_t colon = spec.find(':');
  PlotSpec p;
  if (colon != std::string::npos) {
    p.x = spec.substr(0, colon);
    for (const auto& y : split(spec.substr(colon + 1), ','))
      if (!y.empty()) p.ys.push_back(y);
  }
  if (p.x.empty() || p.ys.empty()) throw std::invalid_argument("plot '" + spec + "': expected X:Y[,Y2...]");
  return p;
}

std::string plot_stem(const PlotSpec& spec) {
  std::vector<std::string> ys;
  for (const auto& y : spec.ys) ys.push_back(column_name(y));
  std::string s = join(ys, "+") + "-vs-" + column_name(spec.x);
  for (char& c : s)
    if (!std::isalnum((unsigned char)c) && c != '.' && c != '_' && c != '-' && c != '+') c = '_';
  return s;
}

PlotFiles make_plot(const Table& t, const PlotSpec& spec, const std::vector<std::string>& series_columns,
                    const std::string& terminal) {
  const auto need = [&](const std::string& name) {
    const int i = t.column(column_name(name));
    if (i < 0) throw std::invalid_argument("plot: results have no column '" + column_name(name) + "'");
    return size_t(i);
  };
  const size_t xc = need(spec.x);
  PlotFiles files;
  std::vector<std::string> ylabels;
  std::vector<size_t> yc;
  for (const auto& y : spec.ys) {
    const size_t c = need(y);
    const bool numeric = std::any_of(t.rows.begin(), t.rows.end(), [&](const auto& r) { return as_number(r[c]).has_value(); });
    if (numeric) {
      yc.push_back(c);
      ylabels.push_back(column_name(y));
    } else {
      files.skipped.push_back(column_name(y));
    }
  }
  std::vector<const std::vector<std::string>*> rows;
  for (const auto& r : t.rows)
    if (!r[xc].empty()) rows.push_back(&r);
  if (yc.empty() || rows.empty()) return files;

  // Series: one per combination of the columns that vary, X excepted.
  std::vector<size_t> keys;
  std::vector<std::string> candidates{"trace"};
  candidates.insert(candidates.end(), series_columns.begin(), series_columns.end());
  for (const auto& c : candidates) {
    const int i = t.column(c);
    if (i < 0 || size_t(i) == xc || std::find(keys.begin(), keys.end(), size_t(i)) != keys.end()) continue;
    std::set<std::string> distinct;
    for (const auto* r : rows) distinct.insert((*r)[size_t(i)]);
    if (distinct.size() > 1) keys.push_back(size_t(i));
  }
  const bool numeric_x = std::all_of(rows.begin(), rows.end(), [&](const auto* r) { return as_number((*r)[xc]).has_value(); });
  std::vector<std::string> categories;  // X values in first-seen order when X is not numeric
  std::vector<std::string> titles;
  std::map<std::vector<std::string>, std::vector<std::pair<double, const std::vector<std::string>*>>> series;
  std::vector<std::vector<std::string>> order;
  for (const auto* r : rows) {
    std::vector<std::string> id;
    for (size_t k : keys) id.push_back((*r)[k]);
    if (!series.count(id)) {
      order.push_back(id);
      std::vector<std::string> parts;
      for (size_t k = 0; k < keys.size(); ++k)
        parts.push_back(t.columns[keys[k]] == "trace" ? trace_label(id[k]) : t.columns[keys[k]] + "=" + id[k]);
      const int tc = t.column("trace");
      titles.push_back(!parts.empty() ? join(parts, " ") : tc >= 0 ? trace_label((*r)[size_t(tc)]) : t.columns[yc[0]]);
    }
    double x = 0;
    if (numeric_x) {
      x = *as_number((*r)[xc]);
    } else {
      auto it = std::find(categories.begin(), categories.end(), (*r)[xc]);
      if (it == categories.end()) it = categories.insert(it, (*r)[xc]);
      x = double(it - categories.begin());
    }
    series[id].emplace_back(x, r);
  }

  std::ostringstream data;
  for (size_t s = 0; s < order.size(); ++s) {
    auto& pts = series[order[s]];
    std::stable_sort(pts.begin(), pts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    data << (s ? "\n\n" : "") << "# " << titles[s] << "\n";
    for (const auto& [x, r] : pts) {
      data << format_real(x) << " \"" << (*r)[xc] << "\"";
      for (size_t c : yc) {
        const auto v = as_number((*r)[c]);
        data << ' ' << (v ? format_real(*v) : "?");
      }
      data << '\n';
    }
  }
  files.data = data.str();

  const std::string stem = plot_stem(spec);
  std::ostringstream gp;
  gp << "# nicsim sweep: " << join(ylabels, ", ") << " vs " << column_name(spec.x)
     << "; one line per series, data in " << stem << ".dat (one block per series).\n";
  gp << "set terminal " << terminal << " noenhanced size 1100," << 80 + 300 * yc.size() << "\n";
  gp << "set output " << gp_quote(stem + ".png") << "\n";
  gp << "set datafile missing '?'\nset grid\nset key outside right top\n";
  gp << "set xlabel " << gp_quote(column_name(spec.x)) << "\n";
  std::string using_x = "1";
  if (numeric_x) {
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    for (const auto* r : rows) {
      lo = std::min(lo, *as_number((*r)[xc]));
      hi = std::max(hi, *as_number((*r)[xc]));
    }
    // Sizes are usually swept in powers of two; a log axis spaces them evenly.
    if (lo > 0 && hi / lo >= 16) gp << "set logscale x 2\n";
    gp << "set offsets graph 0.03, graph 0.03, graph 0.08, graph 0.08\n";
  } else {
    gp << "set xrange [-0.5:" << format_real(double(categories.size()) - 0.5) << "]\n";
  }
  gp << "set multiplot layout " << yc.size() << ",1\n";
  for (size_t y = 0; y < yc.size(); ++y) {
    gp << "set ylabel " << gp_quote(ylabels[y]) << "\nplot ";
    for (size_t s = 0; s < order.size(); ++s) {
      gp << (s ? ", \\\n     " : "") << (s ? "''" : gp_quote(stem + ".dat")) << " index " << s
         << " using 1:" << 3 + y << (numeric_x ? "" : ":xtic(2)") << " with linespoints title "
         << gp_quote(titles[s]);
    }
    gp << "\n";
  }
  gp << "unset multiplot\n";
  files.script = gp.str();
  return files;
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum((unsigned char)c) || std::strchr("/._-+=:,@%", c);
      }))
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string jobs_file(const Plan& plan, const std::string& abs_dir, const std::string& nicsim) {
  // Inside "${NICSIM:-...}" only $ ` " \ are special.
  std::string program;
  for (char c : nicsim) {
    if (std::strchr("$`\"\\", c)) program += '\\';
    program += c;
  }
  std::ostringstream out;
  for (const auto& p : plan.points) {
    out << "\"${NICSIM:-" << program << "}\"";
    for (const auto& a : replay_args(p, plan.line_rate, abs_dir)) out << ' ' << shell_quote(a);
    out << " > " << shell_quote((fs::path(abs_dir) / kPointsDir / (p.id + ".log")).string()) << " 2>&1\n";
  }
  return out.str();
}

std::string slurm_script(size_t jobs, const std::string& abs_dir) {
  std::ostringstream out;
  out << "#!/bin/bash\n"
      << "# nicsim sweep: one point per array task, task i runs line i+1 of jobs.txt.\n"
      << "# Submit with `sbatch " << shell_quote((fs::path(abs_dir) / "slurm.sh").string())
      << "`, then build the results with\n"
      << "# `nicsim sweep --merge " << shell_quote(abs_dir) << " --out OUT`.\n"
      << "#SBATCH --job-name=nicsim-sweep\n"
      << "#SBATCH --array=0-" << (jobs ? jobs - 1 : 0) << "\n"
      << "#SBATCH --ntasks=1\n"
      << "#SBATCH --cpus-per-task=1\n"
      << "set -eu\n"
      << "line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" "
      << shell_quote((fs::path(abs_dir) / "jobs.txt").string()) << ")\n"
      << "exec bash -c \"$line\"\n";
  return out.str();
}

MinResult find_min(uint64_t lo, uint64_t hi, uint64_t step, double budget,
                   const std::function<double(uint64_t)>& measure) {
  if (step == 0 || lo > hi) throw std::invalid_argument("find-min needs lo <= hi and step > 0");
  // Candidates lo + k*step for k in [0, last], the last one capped at hi.
  const uint64_t last = (hi - lo + step - 1) / step;
  const auto value = [&](uint64_t k) { return k == last ? hi : lo + k * step; };
  MinResult r;
  const auto passes = [&](uint64_t k) {
    const uint64_t v = value(k);
    const double m = measure(v);
    r.probes.push_back({v, m, m <= budget});
    return m <= budget;
  };
  if (!passes(last)) return r;
  // Invariant: value(good) passes; every k <= bad (when bad >= 0) fails.
  int64_t bad = -1;
  uint64_t good = last;
  while (int64_t(good) - bad > 1) {
    const uint64_t mid = uint64_t(bad + (int64_t(good) - bad) / 2);
    if (passes(mid)) good = mid;
    else bad = int64_t(mid);
  }
  r.found = true;
  r.value = value(good);
  return r;
}

}  // namespace nic::sweep
