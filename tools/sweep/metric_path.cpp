#include "tools/sweep/metric_path.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <vector>

#include "tools/sweep/list_text.hpp"

namespace nic::sweep {

namespace {

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

}  // namespace

void check_path(const std::string& path) { parse_path(path); }

std::optional<nlohmann::json> lookup(const nlohmann::json& report, const std::string& path) {
  const auto segs = parse_path(path);
  const nlohmann::json* node = &report;
  for (size_t i = 0; i < segs.size(); ++i) {
    if (!node->is_object()) return std::nullopt;
    // A key may hold dots ("p99.9"): the longest run of steps without a selector that names a
    // key of this object is one step.
    size_t last = i;
    while (last + 1 < segs.size() && !segs[last].index && segs[last].field.empty()) ++last;
    for (;; --last) {
      std::string key = segs[i].key;
      for (size_t k = i + 1; k <= last; ++k) key += "." + segs[k].key;
      if (node->contains(key)) {
        node = &(*node)[key];
        break;
      }
      if (last == i) return std::nullopt;
    }
    i = last;
    const Segment& s = segs[i];
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

std::string cell_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

}  // namespace nic::sweep
