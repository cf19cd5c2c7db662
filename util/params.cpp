#include "util/params.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>

namespace nic {

namespace {

nlohmann::json value_json(const ParamRef& p) {
  return std::visit([](auto* v) { return nlohmann::json(*v); }, p.value);
}

void set_from_json(const ParamRef& p, const nlohmann::json& j) {
  std::visit(
      [&](auto* v) {
        using T = std::remove_pointer_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          if (!j.is_boolean()) throw std::invalid_argument(p.key + ": expected true or false");
          *v = j.get<bool>();
        } else if constexpr (std::is_same_v<T, std::string>) {
          if (!j.is_string()) throw std::invalid_argument(p.key + ": expected a string");
          *v = j.get<std::string>();
        } else if constexpr (std::is_same_v<T, uint32_t>) {
          if (!j.is_number_unsigned() || j.get<uint64_t>() > UINT32_MAX)
            throw std::invalid_argument(p.key + ": expected an unsigned 32-bit integer");
          *v = j.get<uint32_t>();
        } else {
          if (!j.is_number()) throw std::invalid_argument(p.key + ": expected a number");
          *v = j.get<double>();
        }
      },
      p.value);
}

void flatten(const nlohmann::json& j, const std::string& prefix, const ParamWalk& walk) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object())
      flatten(*it, key, walk);
    else
      set_from_json(find_param(walk, key), *it);
  }
}

}  // namespace

param::Kind kind_of(const ParamRef& p) {
  return std::visit(
      [](auto* v) {
        using T = std::remove_pointer_t<decltype(v)>;
        if constexpr (std::is_same_v<T, uint32_t>) return param::Kind::integer;
        else if constexpr (std::is_same_v<T, double>) return param::Kind::real;
        else if constexpr (std::is_same_v<T, bool>) return param::Kind::boolean;
        else return param::Kind::text;
      },
      p.value);
}

std::string range_text(const ParamRef& p) {
  const ParamRange& r = p.range;
  if (r.choices) return r.choices;
  const param::Kind kind = kind_of(p);
  if (!std::isfinite(r.max)) return kind == param::Kind::boolean ? "" : "any";
  const auto num = [&](double v) {
    // Whole sizes as --set takes them: 64K, 1G.
    if (kind == param::Kind::integer && v >= 1024)
      for (const auto& [shift, suffix] : {std::pair{30, "G"}, {20, "M"}, {10, "K"}})
        if (std::fmod(v, double(1ull << shift)) == 0) return param::format_real(v / double(1ull << shift)) + suffix;
    return param::format_real(v);
  };
  return num(r.min) + " .. " + num(r.max);
}

ParamRef find_param(const ParamWalk& walk, const std::string& key) {
  std::optional<ParamRef> found;
  walk([&](const ParamRef& p) {
    if (p.key == key) found = p;
  });
  if (!found) throw std::invalid_argument("unknown config key '" + key + "'");
  return *found;
}

void set_param(const ParamWalk& walk, const std::string& key, const std::string& value) {
  const ParamRef p = find_param(walk, key);
  const std::string text = param::canonical(key, kind_of(p), value);
  if (std::holds_alternative<std::string*>(p.value))
    *std::get<std::string*>(p.value) = text;
  else
    set_from_json(p, nlohmann::json::parse(text));
}

void load_params_file(const ParamWalk& walk, const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(path + ": cannot open config file");
  // Every key by its dotted path, so that a parameter given twice is found whether both are
  // the same key of one object (which nlohmann would resolve silently, last wins) or one is
  // nested and the other dotted.
  std::vector<std::string> objects;  // dotted path of each open object
  std::set<std::string> seen;
  std::string last_key;
  const auto on_event = [&](int, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (ev == E::object_start) {
      objects.push_back(objects.empty() ? "" : last_key);
    } else if (ev == E::object_end) {
      objects.pop_back();
    } else if (ev == E::key) {
      const std::string& k = parsed.get_ref<const std::string&>();
      last_key = objects.back().empty() ? k : objects.back() + "." + k;
      if (!seen.insert(last_key).second) throw std::invalid_argument("'" + last_key + "' is given twice");
    }
    return true;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in, on_event, true, /*ignore_comments=*/true);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(path + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
  if (!j.is_object()) throw std::invalid_argument(path + ": top level must be an object");
  try {
    flatten(j, "", walk);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

std::string params_to_json(const ParamWalk& walk, int indent) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  walk([&](const ParamRef& p) {
    const auto dot = p.key.find('.');
    out[p.key.substr(0, dot)][p.key.substr(dot + 1)] = value_json(p);
  });
  return out.dump(indent);
}

void range_error(const ParamRef& p, const std::string& value) {
  const ParamRange& r = p.range;
  throw std::invalid_argument("config: " + p.key + " = " + value +
                              (r.choices ? " is not one of " : " is outside its range ") +
                              range_text(p) + (*p.unit ? std::string(" ") + p.unit : ""));
}

}  // namespace nic
