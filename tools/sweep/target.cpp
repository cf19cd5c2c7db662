#include "tools/sweep/target.hpp"

#include <cmath>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <utility>

#include "util/param_text.hpp"

namespace nic::sweep {

namespace {

// A number >= 0 that is all of `text`.
std::optional<double> amount(const std::string& text) {
  const auto v = param::as_number(text);
  return v && *v >= 0 ? v : std::nullopt;
}

bool starts_with(const std::string& s, const std::string& prefix, std::string& rest) {
  if (s.rfind(prefix, 0) != 0) return false;
  rest = s.substr(prefix.size());
  return true;
}

}  // namespace

Target parse_target(const std::string& spec) {
  std::string s;
  for (char c : spec)
    if (c != ' ') s += c;
  std::string rest;
  if (starts_with(s, "throughput:", rest) && !rest.empty() && rest.back() == '%') {
    const auto p = amount(rest.substr(0, rest.size() - 1));
    if (p && *p < 100) return {Target::Kind::throughput, *p / 100};
  } else if (starts_with(s, "p99<=", rest)) {
    double scale = 1;
    for (const auto& [unit, ns] : {std::pair<const char*, double>{"ns", 1}, {"us", 1e3}, {"ms", 1e6}}) {
      const std::string u = unit;
      if (rest.size() > u.size() && rest.compare(rest.size() - u.size(), u.size(), u) == 0) {
        rest.resize(rest.size() - u.size());
        scale = ns;
        break;
      }
    }
    if (const auto v = amount(rest)) return {Target::Kind::p99, *v * scale};
  } else if (starts_with(s, "drops<=", rest)) {
    if (const auto v = amount(rest)) return {Target::Kind::drops, *v};
  }
  throw std::invalid_argument("--target '" + spec +
                              "': expected throughput:P% (0 <= P < 100), p99<=T[ns|us|ms] or drops<=N");
}

std::string target_metric(const Target& t, bool closed_loop, const std::string& drop_metric) {
  switch (t.kind) {
    case Target::Kind::throughput:
      return closed_loop ? "closed_loop.total.throughput_gbps" : "summary.achieved_gbps";
    case Target::Kind::p99:
      return closed_loop ? "closed_loop.total.clat_ns.p99" : "summary.latency_ns_p99";
    case Target::Kind::drops:
      break;
  }
  return drop_metric;
}

Bound target_bound(const Target& t, double reference) {
  if (t.kind == Target::Kind::throughput) return {true, reference * (1 - t.amount)};
  return {false, t.amount};
}

std::string bound_text(const std::string& metric, const Bound& b) {
  // A whole limit (ns, drops) in full, not as 1e+06.
  char limit[32];
  std::snprintf(limit, sizeof limit, b.limit == std::floor(b.limit) && b.limit < 1e15 ? "%.0f" : "%g", b.limit);
  return metric + (b.at_least ? " >= " : " <= ") + limit;
}

}  // namespace nic::sweep
