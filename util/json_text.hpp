// JSON text written directly into a string, for records emitted by the thousand (the replay
// report's per-read entries): the same text nlohmann::json's dump() gives for the same value,
// without building a json object per record.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace nic {

// A JSON string literal, quotes included: `"`, `\` and control characters escaped as
// dump() escapes them; other bytes (UTF-8 included) as they are.
void append_json_string(std::string& out, std::string_view s);
// A number as dump() writes a double: the shortest text that reads back as the same double
// ("1.5", "2.0", "1e-05"), "null" for NaN and infinity.
void append_json_number(std::string& out, double v);
void append_json_number(std::string& out, uint64_t v);

// One JSON object appended to `out` member by member, as dump(2) lays it out when the object
// sits at nesting depth `depth` (its members indented by 2 * (depth + 1) spaces):
//   JsonObjectText(out, 2).str("flow", f).num("cid", cid).close();
class JsonObjectText {
 public:
  JsonObjectText(std::string& out, int depth) : out_(out), depth_(depth) { out_ += '{'; }
  JsonObjectText& str(std::string_view key, std::string_view v);
  JsonObjectText& num(std::string_view key, uint64_t v);
  JsonObjectText& real(std::string_view key, double v);
  JsonObjectText& boolean(std::string_view key, bool v);
  void close();  // the closing brace ("{}" for an object without members)

 private:
  void key(std::string_view k);
  std::string& out_;
  int depth_;
  bool any_ = false;
};

}  // namespace nic
