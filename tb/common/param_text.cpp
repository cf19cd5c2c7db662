#include "tb/common/param_text.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace nic::param {

uint64_t parse_size(const std::string& text) {
  const auto bad = [&] {
    return std::invalid_argument("'" + text + "' is not a whole number (digits with an optional K, M or G)");
  };
  if (text.empty() || !std::isdigit((unsigned char)text[0])) throw bad();
  size_t used = 0;
  uint64_t v = 0;
  try {
    v = std::stoull(text, &used);
  } catch (const std::out_of_range&) {
    throw std::invalid_argument("'" + text + "' is too large");
  }
  const std::string suffix = text.substr(used);
  int shift = 0;
  if (suffix == "K" || suffix == "k") shift = 10;
  else if (suffix == "M" || suffix == "m") shift = 20;
  else if (suffix == "G" || suffix == "g") shift = 30;
  else if (!suffix.empty()) throw bad();
  if (shift && v > (UINT64_MAX >> shift)) throw std::invalid_argument("'" + text + "' is too large");
  return v << shift;
}

std::optional<double> as_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (*end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string format_real(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.12g", v);
  return b;
}

std::string canonical(const std::string& key, Kind kind, const std::string& v) {
  switch (kind) {
    case Kind::integer:
      try {
        return std::to_string(parse_size(v));
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(key + ": " + e.what());
      }
    case Kind::real:
      if (const auto d = as_number(v)) return format_real(*d);
      throw std::invalid_argument(key + ": '" + v + "' is not a number");
    case Kind::boolean:
      if (v != "true" && v != "false") throw std::invalid_argument(key + ": expected true or false, got '" + v + "'");
      return v;
    case Kind::text:
      if (v.empty()) throw std::invalid_argument(key + ": empty value");
      return v;
  }
  return v;
}

}  // namespace nic::param
