#include "util/param_text.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace nic::param {

uint64_t parse_size(const std::string& raw) {
  const size_t first = raw.find_first_not_of(" \t"), end = raw.find_last_not_of(" \t") + 1;
  const std::string text = first == std::string::npos ? "" : raw.substr(first, end - first);
  const auto bad = [&](const char* why) { return std::invalid_argument("'" + raw + "' " + why); };
  const auto digits = [&](size_t i) {
    while (i < text.size() && std::isdigit((unsigned char)text[i])) ++i;
    return i;
  };
  const size_t int_end = digits(0);
  const size_t frac_end = int_end < text.size() && text[int_end] == '.' ? digits(int_end + 1) : int_end;
  const std::string suffix = text.substr(frac_end);
  int shift = 0;
  if (suffix == "K" || suffix == "k" || suffix == "KiB") shift = 10;
  else if (suffix == "M" || suffix == "m" || suffix == "MiB") shift = 20;
  else if (suffix == "G" || suffix == "g" || suffix == "GiB") shift = 30;
  if (int_end == 0 || (shift == 0 && !suffix.empty() && suffix != "B"))
    throw bad("is not a size (a number with an optional K, M or G: 1500, 64K, 1.5M)");
  uint64_t whole = 0;
  try {
    whole = std::stoull(text.substr(0, int_end));
  } catch (const std::out_of_range&) {
    throw bad("is too large");
  }
  if (whole > (UINT64_MAX >> shift)) throw bad("is too large");
  // A fraction must come to whole units: 1.5K is 1536, 0.3K is not a size.
  const std::string frac = frac_end > int_end ? text.substr(int_end + 1, frac_end - int_end - 1) : "";
  if (frac.size() > 9) throw bad("has too many decimals");
  uint64_t part = 0, scale = 1;
  for (char c : frac) {
    part = part * 10 + uint64_t(c - '0');
    scale *= 10;
  }
  if ((part << shift) % scale) throw bad("is not a whole number of units");
  return (whole << shift) + (part << shift) / scale;
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
