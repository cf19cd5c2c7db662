// Named parameters, declared by the blocks that own them and composed into one config.
//
// A parameter struct lists its fields once, in a static describe(self, d) that calls
// d(name, field, unit, help, range) per field; a composite calls each part's describe under a
// section name ("mac", "pcie"...), which gives the dotted key ("mac.rx_fifo_bytes"). Everything
// that reads or writes parameters by name (JSON files, --set, the parameter table, range
// checks) is built from that one walk. Plain C++.
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <variant>

#include "util/param_text.hpp"

namespace nic {

// The values a parameter accepts: numbers in [min, max] (unbounded by default), text one of
// `choices` ("model|rtl"); booleans any.
struct ParamRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  const char* choices = nullptr;
};

namespace param {
constexpr ParamRange in(double lo, double hi) { return {lo, hi, nullptr}; }
constexpr ParamRange one_of(const char* choices) { return {0, 0, choices}; }
constexpr ParamRange any{};
constexpr double K = 1024, M = K * K, G = K * M;
// Times become whole picoseconds, SystemC's default resolution: 1e6 MHz is a 1 ps period. A
// latency beyond a millisecond is a typo (a second of memory latency makes a small replay run
// for minutes).
constexpr double kMaxMhz = 1e6, kMaxLatencyNs = 1e6;
}  // namespace param

// One named parameter, pointing into a config.
struct ParamRef {
  std::string key;  // dotted name, e.g. "mac.rx_fifo_bytes"
  const char* unit;
  const char* help;
  std::variant<uint32_t*, double*, bool*, std::string*> value;
  ParamRange range;
};

// Calls fn(const ParamRef&) for every parameter of a config, in declaration order.
using ParamWalk = std::function<void(const std::function<void(const ParamRef&)>&)>;

// A section's fields as ParamRefs: `Params::describe` under key prefix `section`.
template <class Params>
void describe_refs(const char* section, Params& p, const std::function<void(const ParamRef&)>& fn) {
  std::decay_t<Params>::describe(p, [&](const char* name, auto& field, const char* unit,
                                        const char* help, ParamRange range) {
    using F = std::remove_const_t<std::remove_reference_t<decltype(field)>>;
    fn(ParamRef{std::string(section) + "." + name, unit, help, const_cast<F*>(&field), range});
  });
}

// The value syntax of a parameter (util/param_text.hpp).
param::Kind kind_of(const ParamRef& p);
// The range as the parameter table shows it: "1 .. 64K", "model|rtl", "any".
std::string range_text(const ParamRef& p);
// The parameter called `key`; throws std::invalid_argument for an unknown key.
ParamRef find_param(const ParamWalk& walk, const std::string& key);
// Sets one parameter from text as `--set` and `--grid` write it (integers with K/M/G); throws
// std::invalid_argument naming the key on a bad key or value.
void set_param(const ParamWalk& walk, const std::string& key, const std::string& value);
// Loads a JSON file (nested objects or dotted keys, comments allowed). A parameter given twice
// (the same key twice, or nested and dotted) is an error.
void load_params_file(const ParamWalk& walk, const std::string& path);
// Every parameter as JSON, one object per section: a valid input for load_params_file.
std::string params_to_json(const ParamWalk& walk, int indent);
// Throws std::invalid_argument naming the parameter when it is outside its range. Straight on
// the field, without a ParamRef: a find-min sweep checks every value it may probe.
template <class F>
void check_range(const char* section, const char* name, const F& field, const char* unit,
                 ParamRange r);

// Range checks of every field of a section (check_range).
template <class Params>
void check_ranges(const char* section, const Params& p) {
  Params::describe(p, [&](const char* name, const auto& field, const char* unit, const char*,
                          ParamRange r) { check_range(section, name, field, unit, r); });
}

// The walk over a config whose static sections(self, s) calls s(section, part) per part.
template <class Config>
ParamWalk walk_of(Config& c) {
  return [&c](const std::function<void(const ParamRef&)>& fn) {
    std::decay_t<Config>::sections(c, [&](const char* section, auto& part) {
      describe_refs(section, part, fn);
    });
  };
}

// --- implementation -------------------------------------------------------------------------
[[noreturn]] void range_error(const ParamRef& p, const std::string& value);

template <class F>
void check_range(const char* section, const char* name, const F& field, const char* unit,
                 ParamRange r) {
  bool ok = true;
  if constexpr (std::is_same_v<F, std::string>)
    ok = !r.choices || (std::string("|") + r.choices + "|").find("|" + field + "|") != std::string::npos;
  else if constexpr (!std::is_same_v<F, bool>)
    ok = double(field) >= r.min && double(field) <= r.max;  // false for NaN
  if (ok) return;
  std::string value;
  if constexpr (std::is_same_v<F, std::string>) value = field;
  else if constexpr (!std::is_same_v<F, bool>) value = param::format_real(double(field));
  range_error(ParamRef{std::string(section) + "." + name, unit, "", const_cast<F*>(&field), r},
              value);
}

}  // namespace nic
