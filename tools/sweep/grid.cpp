#include "tools/sweep/grid.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "tools/sweep/list_text.hpp"

namespace nic::sweep {

using param::canonical;

namespace {

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
    for (size_t i = 0; i <= size_t(n); ++i) out.push_back(param::format_real(lo + double(i) * step));
  } else {
    throw std::invalid_argument(key + ": a range lo:hi:step needs a numeric key");
  }
  return out;
}

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

std::vector<Axis> parse_grid(const std::vector<std::string>& specs, const KindOf& kind_of) {
  std::vector<Axis> axes;
  for (const auto& spec : specs) {
    Axis a = parse_axis(spec, kind_of);
    if (std::any_of(axes.begin(), axes.end(), [&](const Axis& b) { return b.key == a.key; }))
      throw std::invalid_argument(a.key + ": swept by two --grid options");
    axes.push_back(std::move(a));
  }
  return axes;
}

std::vector<Point> expand(const std::vector<Axis>& axes, const std::vector<std::string>& traces,
                          const std::vector<std::string>& runs) {
  std::vector<Point> workloads;
  for (const auto& t : traces) workloads.push_back({"", t, {}, std::nullopt});
  for (const auto& r : runs) workloads.push_back({"", "", {}, r});
  size_t per_workload = 1;
  for (const auto& a : axes) per_workload *= a.values.size();
  const size_t total = per_workload * workloads.size();
  std::vector<Point> out;
  out.reserve(total);
  for (const auto& w : workloads) {
    for (size_t i = 0; i < per_workload; ++i) {
      Point p = w;
      p.id = point_id(out.size(), total);
      // Mixed-radix digits of i, the last axis least significant.
      size_t rest = i, radix = per_workload;
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

std::string settings_text(const Point& p) {
  std::string s;
  for (const auto& [k, v] : p.set) s += " " + k + "=" + v;
  return s;
}

std::string workload_label(const Point& p) {
  return p.run ? "run " + *p.run : std::filesystem::path(p.trace).stem().string();
}

std::string describe(const Point& p) { return p.id + " " + workload_label(p) + settings_text(p); }

}  // namespace nic::sweep
