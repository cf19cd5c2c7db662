#include "proto/iscsi_login.hpp"

#include <algorithm>
#include <cstdlib>

namespace nic::iscsi {
namespace {

constexpr size_t kMaxKeyName = 63;
constexpr uint32_t kMinLength = 512;
constexpr uint32_t kMaxLength = 0xFFFFFF;

bool key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string(".-+@_").find(c) != std::string::npos;
}

bool valid_key_name(const std::string& k) {
  return !k.empty() && k.size() <= kMaxKeyName && std::all_of(k.begin(), k.end(), key_char);
}

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t comma; (comma = v.find(',', start)) != std::string::npos; start = comma + 1)
    out.push_back(v.substr(start, comma - start));
  out.push_back(v.substr(start));
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// An answer that leaves the key at its default.
bool declines(const std::string& v) {
  return v == "Reject" || v == "NotUnderstood" || v == "Irrelevant";
}

// Applies the rules for one key; `error` stays None on success.
class Negotiator {
 public:
  Negotiator(const TextKeys& i, const TextKeys& t, NegotiationResult& r)
      : initiator_(i), target_(t), r_(r) {}

  // A key both sides must send for it to take effect; nullptr values mean "keep default".
  bool pair(const char* key, const std::string*& a, const std::string*& b) const {
    a = find_key(initiator_, key);
    b = find_key(target_, key);
    return a && b && !declines(*a) && !declines(*b) && r_.error == NegotiationError::None;
  }

  void fail(NegotiationError e, const char* key) {
    if (r_.error != NegotiationError::None) return;
    r_.error = e;
    r_.key = key;
  }

  bool number(const char* key, const std::string& s, uint32_t& out) {
    const bool hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    const std::string digits = hex ? s.substr(2) : s;
    const char* allowed = hex ? "0123456789abcdefABCDEF" : "0123456789";
    if (digits.empty() || digits.size() > 16 ||
        digits.find_first_not_of(allowed) != std::string::npos) {
      fail(NegotiationError::BadNumber, key);
      return false;
    }
    const unsigned long long v = std::strtoull(digits.c_str(), nullptr, hex ? 16 : 10);
    if (v < kMinLength || v > kMaxLength) {
      fail(NegotiationError::OutOfRange, key);
      return false;
    }
    out = uint32_t(v);
    return true;
  }

  bool boolean(const char* key, const std::string& s, bool& out) {
    if (s != "Yes" && s != "No") {
      fail(NegotiationError::BadBoolean, key);
      return false;
    }
    out = s == "Yes";
    return true;
  }

  // Declared by one side for what it receives.
  void declared(const char* key, const TextKeys& side, uint32_t& out) {
    const std::string* v = find_key(side, key);
    if (v && !declines(*v)) number(key, *v, out);
  }

  void minimum(const char* key, uint32_t& out) {
    const std::string *a, *b;
    uint32_t x, y;
    if (pair(key, a, b) && number(key, *a, x) && number(key, *b, y)) out = std::min(x, y);
  }

  // `is_or`: the result function OR (Yes wins), otherwise AND (No wins).
  void logical(const char* key, bool is_or, bool& out) {
    const std::string *a, *b;
    bool x, y;
    if (pair(key, a, b) && boolean(key, *a, x) && boolean(key, *b, y))
      out = is_or ? (x || y) : (x && y);
  }

  // The answer is the side with one value, and it must be one the other side offered.
  void digest(const char* key, bool& out) {
    const std::string *a, *b;
    if (!pair(key, a, b)) return;
    const std::vector<std::string> la = split_list(*a), lb = split_list(*b);
    for (const auto* list : {&la, &lb})
      for (const std::string& v : *list)
        if (v != "CRC32C" && v != "None") return fail(NegotiationError::BadDigest, key);
    const std::string* answer = lb.size() == 1 && contains(la, lb[0])   ? &lb[0]
                                : la.size() == 1 && contains(lb, la[0]) ? &la[0]
                                                                        : nullptr;
    if (!answer) return fail(NegotiationError::AnswerNotOffered, key);
    out = *answer == "CRC32C";
  }

 private:
  const TextKeys& initiator_;
  const TextKeys& target_;
  NegotiationResult& r_;
};

}  // namespace

const char* to_string(TextError e) {
  switch (e) {
    case TextError::None: return "None";
    case TextError::MissingNul: return "MissingNul";
    case TextError::MissingEquals: return "MissingEquals";
    case TextError::BadKeyName: return "BadKeyName";
  }
  return "?";
}

const char* to_string(NegotiationError e) {
  switch (e) {
    case NegotiationError::None: return "None";
    case NegotiationError::BadNumber: return "BadNumber";
    case NegotiationError::OutOfRange: return "OutOfRange";
    case NegotiationError::BadBoolean: return "BadBoolean";
    case NegotiationError::BadDigest: return "BadDigest";
    case NegotiationError::AnswerNotOffered: return "AnswerNotOffered";
    case NegotiationError::FirstBurstAboveMaxBurst: return "FirstBurstAboveMaxBurst";
  }
  return "?";
}

TextError parse_text(ByteView data, TextKeys& out) {
  out.clear();
  if (data.empty()) return TextError::None;
  if (data[data.size - 1] != 0) return TextError::MissingNul;
  const char* p = reinterpret_cast<const char*>(data.data);
  const char* end = p + data.size;
  while (p < end) {
    const std::string pair(p);  // stops at the NUL the check above guarantees
    p += pair.size() + 1;
    // Some senders pad the text with extra NULs.
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    if (eq == std::string::npos) return TextError::MissingEquals;
    std::string key = pair.substr(0, eq);
    if (!valid_key_name(key)) return TextError::BadKeyName;
    out.emplace_back(std::move(key), pair.substr(eq + 1));
  }
  return TextError::None;
}

Bytes write_text(const TextKeys& keys) {
  Bytes out;
  for (const auto& [k, v] : keys) {
    out.insert(out.end(), k.begin(), k.end());
    out.push_back('=');
    out.insert(out.end(), v.begin(), v.end());
    out.push_back(0);
  }
  return out;
}

const std::string* find_key(const TextKeys& keys, const std::string& key) {
  for (const auto& kv : keys)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

bool TextAssembler::add(ByteView data, bool cont) {
  text_.insert(text_.end(), data.begin(), data.end());
  return !cont;
}

std::string answer_list(const std::string& offer, const std::vector<std::string>& acceptable) {
  for (const std::string& v : split_list(offer))
    if (contains(acceptable, v)) return v;
  return "Reject";
}

NegotiationResult negotiate(const TextKeys& initiator, const TextKeys& target) {
  NegotiationResult r;
  SessionParams& s = r.params;
  Negotiator n(initiator, target, r);
  n.digest("HeaderDigest", s.header_digest);
  n.digest("DataDigest", s.data_digest);
  n.declared("MaxRecvDataSegmentLength", initiator, s.initiator_max_recv);
  n.declared("MaxRecvDataSegmentLength", target, s.target_max_recv);
  n.minimum("MaxBurstLength", s.max_burst);
  n.minimum("FirstBurstLength", s.first_burst);
  n.logical("InitialR2T", true, s.initial_r2t);
  n.logical("ImmediateData", false, s.immediate_data);
  n.logical("DataPDUInOrder", true, s.data_pdu_in_order);
  n.logical("DataSequenceInOrder", true, s.data_sequence_in_order);
  if (r.error == NegotiationError::None && s.first_burst > s.max_burst)
    n.fail(NegotiationError::FirstBurstAboveMaxBurst, "FirstBurstLength");
  return r;
}

}  // namespace nic::iscsi
