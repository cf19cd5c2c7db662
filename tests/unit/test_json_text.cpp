// The replay report's per-read entries are written as text directly (util/json_text):
// it must be the text nlohmann::json's dump() gives, so reports stay byte-for-byte the same.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "util/json_text.hpp"

using namespace nic;

namespace {
std::string num(double v) {
  std::string s;
  append_json_number(s, v);
  return s;
}
}  // namespace

TEST_CASE("json text: doubles as dump() writes them, and they read back exactly", "[json]") {
  std::vector<double> vs = {0.0, -0.0, 1.0, 2.0, 0.5, 23487.078, 1e-5, 1e-4, 1e15, 1e16, 1e17,
                            123456789012345.0, 1234567890123456.0, 0.1, 1.0 / 3, -2.5e-300,
                            std::numeric_limits<double>::max(), std::numeric_limits<double>::min(),
                            std::numeric_limits<double>::denorm_min()};
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    vs.push_back(double(rng() % 100000000000ull) / 1000.0);  // latencies: ps / 1000
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (std::isfinite(d)) vs.push_back(d);
  }
  for (const double v : vs) {
    INFO(v);
    const std::string t = num(v);
    CHECK(t == nlohmann::json(v).dump());
    CHECK(std::strtod(t.c_str(), nullptr) == v);
  }
  CHECK(num(std::nan("")) == "null");
  CHECK(num(std::numeric_limits<double>::infinity()) == "null");
}

TEST_CASE("json text: integers and strings as dump() writes them", "[json]") {
  for (const uint64_t v : {uint64_t(0), uint64_t(7), uint64_t(65535), uint64_t(4294967295u),
                           std::numeric_limits<uint64_t>::max()}) {
    std::string s;
    append_json_number(s, v);
    CHECK(s == nlohmann::json(v).dump());
  }
  std::string all;  // every ASCII byte, control characters, quote and backslash included
  for (int c = 0; c < 0x80; ++c) all += char(c);
  for (const std::string& s : {std::string(), all, std::string("192.168.100.1:43011"),
                               std::string("[fd00::1]:4420"), std::string("a\"b\\c\nd"),
                               std::string("caf\xc3\xa9")}) {
    std::string t;
    append_json_string(t, s);
    CHECK(t == nlohmann::json(s).dump());
    CHECK(nlohmann::json::parse(t).get<std::string>() == s);
  }
}

TEST_CASE("json text: an object as dump(2) lays it out at any depth", "[json]") {
  for (int depth : {0, 1, 2}) {
    INFO("depth " << depth);
    // Keys that need escaping and one longer than any report key take the general path.
    const std::string escaped = "a\"b\\c\nd", long_key(200, 'k');
    nlohmann::ordered_json j = {{"flow", "10.0.0.1:5000"}, {"cid", 27}, {"ddp", true},
                                {"off", false}, {"latency_ns", 23487.078}, {"whole", 2.0},
                                {escaped, 1}, {long_key, 2}, {"", 3}};
    std::string t;
    JsonObjectText(t, depth)
        .str("flow", "10.0.0.1:5000").num("cid", 27).boolean("ddp", true).boolean("off", false)
        .real("latency_ns", 23487.078).real("whole", 2.0)
        .num(escaped, 1).num(long_key, 2).num("", 3)
        .close();
    std::string want;
    for (const char ch : j.dump(2)) {
      want += ch;
      if (ch == '\n') want.append(size_t(2 * depth), ' ');
    }
    CHECK(t == want);
    std::string empty;
    JsonObjectText(empty, depth).close();
    CHECK(empty == "{}");
  }
}
