#include "util/json_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace nic {

void append_json_string(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  size_t plain = 0;  // start of the run of bytes that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s, plain, i - plain);
    plain = i + 1;
    out += '\\';
    switch (c) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '\b': out += 'b'; break;
      case '\f': out += 'f'; break;
      case '\n': out += 'n'; break;
      case '\r': out += 'r'; break;
      case '\t': out += 't'; break;
      default:
        out += "u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(s, plain, s.size() - plain);
  out += '"';
}

void append_json_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  // nlohmann's own shortest-round-trip formatter (Grisu2), so the text is dump()'s.
  char buf[64];
  const char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, size_t(end - buf));
}

void append_json_number(std::string& out, uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, size_t(r.ptr - buf));
}

void JsonObjectText::key(std::string_view k) {
  const size_t indent = size_t(2 * (depth_ + 1));
  const bool plain = std::all_of(k.begin(), k.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c != '"' && c != '\\';
  });
  // Keys are short names needing no escape: the whole prefix goes in as one append (each
  // std::string append costs about as much as the characters it copies, for a key).
  char buf[128];
  if (plain && indent + k.size() + 6 <= sizeof buf) {
    char* p = buf;
    if (any_) *p++ = ',';
    *p++ = '\n';
    p = std::fill_n(p, indent, ' ');
    *p++ = '"';
    p = std::copy(k.begin(), k.end(), p);
    *p++ = '"';
    *p++ = ':';
    *p++ = ' ';
    out_.append(buf, size_t(p - buf));
  } else {
    out_ += any_ ? ",\n" : "\n";
    out_.append(indent, ' ');
    append_json_string(out_, k);
    out_ += ": ";
  }
  any_ = true;
}

JsonObjectText& JsonObjectText::str(std::string_view k, std::string_view v) {
  key(k);
  append_json_string(out_, v);
  return *this;
}

JsonObjectText& JsonObjectText::num(std::string_view k, uint64_t v) {
  key(k);
  append_json_number(out_, v);
  return *this;
}

JsonObjectText& JsonObjectText::real(std::string_view k, double v) {
  key(k);
  append_json_number(out_, v);
  return *this;
}

JsonObjectText& JsonObjectText::boolean(std::string_view k, bool v) {
  key(k);
  out_ += v ? "true" : "false";
  return *this;
}

void JsonObjectText::close() {
  if (any_) {
    out_ += '\n';
    out_.append(size_t(2 * depth_), ' ');
  }
  out_ += '}';
}

}  // namespace nic
