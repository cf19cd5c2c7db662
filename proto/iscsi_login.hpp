// iSCSI login text (RFC 7143 sections 6 and 13): key=value pairs, the Continue bit that may
// split them across PDUs, and the session and connection parameters a login settles.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "proto/iscsi.hpp"
#include "util/bytes.hpp"

namespace nic::iscsi {

using TextKey = std::pair<std::string, std::string>;
using TextKeys = std::vector<TextKey>;

enum class TextError {
  None,
  MissingNul,     // the text does not end with a NUL
  MissingEquals,  // a pair without '='
  BadKeyName,     // empty, longer than 63 bytes, or a character outside [A-Za-z0-9.-+@_]
};
const char* to_string(TextError e);

// Parses complete text data (one PDU's, or several joined by TextAssembler).
TextError parse_text(ByteView data, TextKeys& out);
// key=value\0 for each pair, in order.
Bytes write_text(const TextKeys& keys);
// The value of the first pair named `key`, or nullptr.
const std::string* find_key(const TextKeys& keys, const std::string& key);

// Joins the data segments of a Login or Text sequence: PDUs with C set continue the text,
// possibly in the middle of a pair; the PDU with C clear completes it.
class TextAssembler {
 public:
  // Adds one PDU's data; true when this PDU completes the text.
  bool add(ByteView data, bool cont);
  TextError parse(TextKeys& out) const { return parse_text(text_, out); }
  const Bytes& text() const { return text_; }

 private:
  Bytes text_;
};

// For a list-valued key such as HeaderDigest: the first of the offerer's comma-separated
// values that the responder accepts, or "Reject" when none is.
std::string answer_list(const std::string& offer, const std::vector<std::string>& acceptable);

// What the data path needs after login. Defaults are the RFC's for keys never exchanged.
struct SessionParams {
  bool header_digest = false;
  bool data_digest = false;
  // Declared by each side for what it receives: the initiator's value is the largest Data-In
  // (or other target PDU) data segment the target may send, the target's the reverse.
  uint32_t initiator_max_recv = 8192;
  uint32_t target_max_recv = 8192;
  uint32_t max_burst = 262144;
  uint32_t first_burst = 65536;
  bool initial_r2t = true;
  bool immediate_data = true;
  bool data_pdu_in_order = true;
  bool data_sequence_in_order = true;
  // Receive parameters of each direction in full-feature phase.
  ConnParams from_target() const { return {header_digest, data_digest, initiator_max_recv}; }
  ConnParams from_initiator() const { return {header_digest, data_digest, target_max_recv}; }
};

enum class NegotiationError {
  None,
  BadNumber,             // not a decimal or 0x-hex number
  OutOfRange,            // outside 512..2^24-1
  BadBoolean,            // neither Yes nor No
  BadDigest,             // a value other than CRC32C or None
  AnswerNotOffered,      // a list answer that is not one of the offered values
  FirstBurstAboveMaxBurst,
};
const char* to_string(NegotiationError e);

struct NegotiationResult {
  SessionParams params;
  NegotiationError error = NegotiationError::None;
  std::string key;  // the key that failed
};

// Settles the login from all text each side sent during it. A negotiated key takes effect
// only when both sides sent it (an offer and its answer); otherwise, or when the answer is
// Reject, NotUnderstood or Irrelevant, the default stays. MaxRecvDataSegmentLength is
// declarative and applies to the receiving side alone.
NegotiationResult negotiate(const TextKeys& initiator, const TextKeys& target);

}  // namespace nic::iscsi
