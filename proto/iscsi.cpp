#include "proto/iscsi.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "proto/crc32c.hpp"

namespace nic::iscsi {
namespace {

namespace rule {
constexpr uint8_t kNoPayload = 0x01;  // TotalAHSLength and DataSegmentLength must be 0
constexpr uint8_t kTaskTag = 0x02;    // the ITT names a task, so 0xFFFFFFFF is illegal
}  // namespace rule

struct OpcodeInfo {
  Opcode op;
  const char* name;
  uint8_t rules;
};

constexpr OpcodeInfo kOpcodes[] = {
    {Opcode::NopOut, "NOP-Out", 0},
    {Opcode::ScsiCommand, "SCSI Command", rule::kTaskTag},
    {Opcode::TaskMgmtReq, "Task Management Request", rule::kNoPayload},
    {Opcode::LoginReq, "Login Request", 0},
    {Opcode::TextReq, "Text Request", 0},
    {Opcode::DataOut, "SCSI Data-Out", rule::kTaskTag},
    {Opcode::LogoutReq, "Logout Request", rule::kNoPayload},
    {Opcode::Snack, "SNACK Request", 0},
    {Opcode::NopIn, "NOP-In", 0},
    {Opcode::ScsiResponse, "SCSI Response", rule::kTaskTag},
    {Opcode::TaskMgmtResp, "Task Management Response", rule::kNoPayload},
    {Opcode::LoginResp, "Login Response", 0},
    {Opcode::TextResp, "Text Response", 0},
    {Opcode::DataIn, "SCSI Data-In", rule::kTaskTag},
    {Opcode::LogoutResp, "Logout Response", rule::kNoPayload},
    {Opcode::R2T, "R2T", rule::kNoPayload | rule::kTaskTag},
    {Opcode::AsyncMsg, "Asynchronous Message", 0},
    {Opcode::Reject, "Reject", 0},
};

const OpcodeInfo* info(uint8_t op) {
  for (const OpcodeInfo& i : kOpcodes)
    if (uint8_t(i.op) == op) return &i;
  return nullptr;
}

bool is_login(Opcode op) { return op == Opcode::LoginReq || op == Opcode::LoginResp; }

uint32_t ld_be24(const uint8_t* p) { return uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2]; }
void st_be24(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 16);
  p[1] = uint8_t(v >> 8);
  p[2] = uint8_t(v);
}

int shift_of(uint8_t mask) {
  int s = 0;
  while (!(mask >> s & 1)) ++s;
  return s;
}

// Field visitors for the bodies' `fields` lists.
struct Writer {
  uint8_t* p;
  void fixed(size_t off, uint8_t mask) { p[off] |= mask; }
  template <class T> void bits(size_t off, uint8_t mask, const T& v) {
    const uint32_t shifted = uint32_t(v) << shift_of(mask);
    if (shifted & ~uint32_t(mask)) throw std::invalid_argument("iscsi: field value too wide");
    p[off] |= uint8_t(shifted);
  }
  void u8(size_t off, uint8_t v) { p[off] = v; }
  void u16(size_t off, uint16_t v) { st_be16(p + off, v); }
  void u32(size_t off, uint32_t v) { st_be32(p + off, v); }
  void u48(size_t off, uint64_t v) {
    if (v >> 48) throw std::invalid_argument("iscsi: ISID wider than 48 bits");
    st_be16(p + off, uint16_t(v >> 32));
    st_be32(p + off + 2, uint32_t(v));
  }
  void u64(size_t off, uint64_t v) { st_be64(p + off, v); }
  void cdb(size_t off, const Cdb& c) { std::copy(c.begin(), c.end(), p + off); }
};

struct Reader {
  const uint8_t* p;
  void fixed(size_t, uint8_t) {}
  void bits(size_t off, uint8_t mask, bool& v) { v = p[off] & mask; }
  void bits(size_t off, uint8_t mask, uint8_t& v) { v = uint8_t((p[off] & mask) >> shift_of(mask)); }
  void u8(size_t off, uint8_t& v) { v = p[off]; }
  void u16(size_t off, uint16_t& v) { v = ld_be16(p + off); }
  void u32(size_t off, uint32_t& v) { v = ld_be32(p + off); }
  void u48(size_t off, uint64_t& v) { v = uint64_t(ld_be16(p + off)) << 32 | ld_be32(p + off + 2); }
  void u64(size_t off, uint64_t& v) { v = ld_be64(p + off); }
  void cdb(size_t off, Cdb& c) { std::copy(p + off, p + off + c.size(), c.begin()); }
};

// Which BHS bits a body defines (`used`) and which of those must be 1 (`fixed`).
struct Coverage {
  uint8_t used[kBhsLen] = {};
  uint8_t must_set[kBhsLen] = {};
  void fixed(size_t off, uint8_t mask) {
    used[off] |= mask;
    must_set[off] |= mask;
  }
  template <class T> void bits(size_t off, uint8_t mask, T&) { used[off] |= mask; }
  void span(size_t off, size_t n) { std::fill(used + off, used + off + n, 0xFF); }
  void u8(size_t off, uint8_t&) { span(off, 1); }
  void u16(size_t off, uint16_t&) { span(off, 2); }
  void u32(size_t off, uint32_t&) { span(off, 4); }
  void u48(size_t off, uint64_t&) { span(off, 6); }
  void u64(size_t off, uint64_t&) { span(off, 8); }
  void cdb(size_t off, Cdb&) { span(off, 16); }
};

// Calls f with a default body of the PduBody alternative whose opcode is `op`.
template <class F, size_t... I>
void with_body_type(Opcode op, F&& f, std::index_sequence<I...>) {
  (void)((std::variant_alternative_t<I, PduBody>::kOpcode == op
              ? (f(std::variant_alternative_t<I, PduBody>{}), true)
              : false) ||
         ...);
}
template <class F> void with_body_type(Opcode op, F&& f) {
  with_body_type(op, std::forward<F>(f), std::make_index_sequence<std::variant_size_v<PduBody>>{});
}

template <class T> PduError check_body(const T&) { return PduError::None; }

PduError check_body(const DataIn& d) {
  if (d.has_status && !d.final) return PduError::StatusWithoutFinal;
  // StatSN is left alone: LIO fills it with 0xFFFFFFFF when S is clear.
  if (!d.has_status && (d.status || d.overflow || d.underflow || d.residual))
    return PduError::StatusFieldsWithoutS;
  return PduError::None;
}

template <class Login> PduError check_login(const Login& l) {
  if (l.transit && l.cont) return PduError::ContinueWithFinal;
  if (l.csg == 2 || l.csg == kFullFeaturePhase || l.nsg == 2) return PduError::BadLoginStage;
  return PduError::None;
}
PduError check_body(const LoginReq& l) { return check_login(l); }
PduError check_body(const LoginResp& l) { return check_login(l); }

template <class Text> PduError check_text(const Text& t) {
  return t.final && t.cont ? PduError::ContinueWithFinal : PduError::None;
}
PduError check_body(const TextReq& t) { return check_text(t); }
PduError check_body(const TextResp& t) { return check_text(t); }

// The checks that decide where the PDU ends; with these failed, nothing after it can be framed.
PduError validate_framing(const uint8_t* bhs, const ConnParams& cp) {
  if (!info(bhs[0] & kOpcodeMask)) return PduError::UnknownOpcode;
  if (ld_be24(bhs + 5) > cp.max_data_segment) return PduError::DataSegmentTooLong;
  return PduError::None;
}

// Every other check of the BHS; validate_framing has passed.
PduError validate_fields(const uint8_t* bhs) {
  const Bhs h = Bhs::decode(bhs);
  const OpcodeInfo& oi = *info(uint8_t(h.opcode));
  if (bhs[0] & 0x80) return PduError::ReservedNotZero;
  if (h.immediate && sent_by_target(h.opcode)) return PduError::ImmediateFromTarget;
  if ((oi.rules & rule::kNoPayload) && h.ahs_words) return PduError::AhsNotAllowed;
  if ((oi.rules & rule::kNoPayload) && h.data_length) return PduError::DataNotAllowed;

  PduError err = PduError::None;
  with_body_type(h.opcode, [&](auto body) {
    Coverage c;
    decltype(body)::fields(body, c);
    for (size_t i = 1; i < kBhsLen && err == PduError::None; ++i) {
      if (i >= 4 && i < 8) continue;  // TotalAHSLength and DataSegmentLength
      if ((bhs[i] & c.must_set[i]) != c.must_set[i]) err = PduError::FixedBitClear;
      else if (bhs[i] & ~c.used[i]) err = PduError::ReservedNotZero;
    }
    // Byte 0's only body-defined bit is the Login Request's I.
    if (err == PduError::None && (bhs[0] & c.must_set[0]) != c.must_set[0])
      err = PduError::FixedBitClear;
    if (err != PduError::None) return;
    Reader r{bhs};
    decltype(body)::fields(body, r);
    err = check_body(body);
  });
  if (err != PduError::None) return err;
  if ((oi.rules & rule::kTaskTag) && h.itt == kReservedTag) return PduError::ReservedTag;
  // No buffer reaches 2^32: an offset that wraps there would place data back at the start.
  if ((h.opcode == Opcode::DataIn || h.opcode == Opcode::DataOut) &&
      uint64_t(ld_be32(bhs + 40)) + h.data_length > 0xFFFFFFFFu)
    return PduError::BufferOffsetOverflow;
  return PduError::None;
}

// The data digest covers the pad as sent, so a receiver checks the wire's pad bytes too.
uint32_t data_digest(const uint8_t* pdu, const PduLayout& l) {
  return crc32c::compute(pdu + l.data_offset, l.data_len + l.pad_len);
}

}  // namespace

bool breaks_framing(PduError e) {
  return e == PduError::UnknownOpcode || e == PduError::DataSegmentTooLong ||
         e == PduError::BadHeaderDigest;
}

bool is_known_opcode(uint8_t op) { return info(op) != nullptr; }

const char* opcode_name(Opcode op) {
  const OpcodeInfo* i = info(uint8_t(op));
  return i ? i->name : "Unknown";
}

bool sent_by_target(Opcode op) { return uint8_t(op) & 0x20; }

bool carries_digests(Opcode op) { return !is_login(op); }

Bhs Bhs::decode(const uint8_t* p) {
  Bhs h;
  h.opcode = Opcode(p[0] & kOpcodeMask);
  h.immediate = p[0] & kImmediateBit;
  h.flags = p[1];
  h.ahs_words = p[4];
  h.data_length = ld_be24(p + 5);
  h.itt = ld_be32(p + 16);
  return h;
}

PduLayout layout_of(const Bhs& bhs, const ConnParams& cp) {
  const bool digests = carries_digests(bhs.opcode);
  PduLayout l;
  l.hlen = uint32_t(kBhsLen) + 4u * bhs.ahs_words;
  l.hdgst_len = digests && cp.hdgst ? kDigestLen : 0;
  l.data_offset = l.hlen + l.hdgst_len;
  l.data_len = bhs.data_length;
  l.pad_len = (4 - l.data_len % 4) % 4;
  l.ddgst_len = digests && cp.ddgst && l.data_len ? kDigestLen : 0;
  l.total_len = l.data_offset + l.data_len + l.pad_len + l.ddgst_len;
  return l;
}

const char* to_string(PduError e) {
  switch (e) {
    case PduError::None: return "None";
    case PduError::Truncated: return "Truncated";
    case PduError::UnknownOpcode: return "UnknownOpcode";
    case PduError::DataSegmentTooLong: return "DataSegmentTooLong";
    case PduError::ReservedNotZero: return "ReservedNotZero";
    case PduError::ImmediateFromTarget: return "ImmediateFromTarget";
    case PduError::FixedBitClear: return "FixedBitClear";
    case PduError::AhsNotAllowed: return "AhsNotAllowed";
    case PduError::DataNotAllowed: return "DataNotAllowed";
    case PduError::ReservedTag: return "ReservedTag";
    case PduError::StatusWithoutFinal: return "StatusWithoutFinal";
    case PduError::StatusFieldsWithoutS: return "StatusFieldsWithoutS";
    case PduError::ContinueWithFinal: return "ContinueWithFinal";
    case PduError::BadLoginStage: return "BadLoginStage";
    case PduError::BufferOffsetOverflow: return "BufferOffsetOverflow";
    case PduError::BadHeaderDigest: return "BadHeaderDigest";
    case PduError::BadDataDigest: return "BadDataDigest";
  }
  return "?";
}

Opcode opcode_of(const PduBody& body) {
  return std::visit([](const auto& b) { return std::decay_t<decltype(b)>::kOpcode; }, body);
}

PduError validate_bhs(const uint8_t* bhs, const ConnParams& cp) {
  if (PduError e = validate_framing(bhs, cp); e != PduError::None) return e;
  return validate_fields(bhs);
}

bool starts_with_login(ByteView payload, Opcode op) {
  // Most segments fail on their first byte; only a likely Login PDU is checked.
  if (payload.size < kBhsLen || (payload.data[0] & kOpcodeMask) != uint8_t(op)) return false;
  return validate_bhs(payload.data, ConnParams{}) == PduError::None;
}

PduBody decode_body(const uint8_t* bhs) {
  PduBody out;
  with_body_type(Opcode(bhs[0] & kOpcodeMask), [&](auto body) {
    Reader r{bhs};
    decltype(body)::fields(body, r);
    out = body;
  });
  return out;
}

Bytes encode_pdu(const Pdu& pdu, const ConnParams& cp) {
  if (pdu.ahs.size() % 4 || pdu.ahs.size() / 4 > 0xFF)
    throw std::invalid_argument("iscsi: AHS not a multiple of 4 bytes or too long");
  if (pdu.data.size() > kMaxDataSegmentLength)
    throw std::invalid_argument("iscsi: data segment longer than 24 bits");
  uint8_t bhs[kBhsLen] = {};
  bhs[0] = uint8_t(opcode_of(pdu.body)) | (pdu.immediate ? kImmediateBit : 0);
  bhs[4] = uint8_t(pdu.ahs.size() / 4);
  st_be24(bhs + 5, uint32_t(pdu.data.size()));
  std::visit(
      [&](const auto& b) {
        Writer w{bhs};
        std::decay_t<decltype(b)>::fields(b, w);
      },
      pdu.body);
  if (PduError e = validate_bhs(bhs, cp); e != PduError::None)
    throw std::invalid_argument(std::string("iscsi: cannot encode: ") + to_string(e));

  const PduLayout l = layout_of(Bhs::decode(bhs), cp);
  Bytes out(l.total_len, 0);
  std::copy(bhs, bhs + kBhsLen, out.begin());
  std::copy(pdu.ahs.begin(), pdu.ahs.end(), out.begin() + kBhsLen);
  if (l.hdgst_len) st_le32(&out[l.hlen], crc32c::compute(out.data(), l.hlen));
  std::copy(pdu.data.begin(), pdu.data.end(), out.begin() + l.data_offset);
  if (l.ddgst_len)
    st_le32(&out[l.total_len - kDigestLen], data_digest(out.data(), l));
  return out;
}

PduError decode_pdu(ByteView bytes, const ConnParams& cp, Pdu& out, bool verify_digests) {
  out.ahs.clear();
  out.data.clear();
  out.hdgst = out.ddgst = 0;
  if (bytes.size < kBhsLen) return PduError::Truncated;
  const uint8_t* p = bytes.data;
  if (PduError e = validate_framing(p, cp); e != PduError::None) return e;
  const Bhs h = Bhs::decode(p);
  const PduLayout l = layout_of(h, cp);
  if (bytes.size < l.total_len) return PduError::Truncated;

  out.immediate = h.immediate;
  out.body = decode_body(p);
  out.ahs.assign(p + kBhsLen, p + l.hlen);
  out.data.assign(p + l.data_offset, p + l.data_offset + l.data_len);
  if (l.hdgst_len) out.hdgst = ld_le32(p + l.hlen);
  if (l.ddgst_len) out.ddgst = ld_le32(p + l.total_len - kDigestLen);

  // A corrupt header explains any odd field in it, so its digest is checked first.
  if (verify_digests && l.hdgst_len && crc32c::compute(p, l.hlen) != out.hdgst)
    return PduError::BadHeaderDigest;
  if (PduError e = validate_fields(p); e != PduError::None) return e;
  if (verify_digests && l.ddgst_len && data_digest(p, l) != out.ddgst)
    return PduError::BadDataDigest;
  return PduError::None;
}

Cdb make_read10(uint32_t lba, uint16_t blocks) {
  Cdb c{};
  c[0] = 0x28;
  st_be32(&c[2], lba);
  st_be16(&c[7], blocks);
  return c;
}

Cdb make_read16(uint64_t lba, uint32_t blocks) {
  Cdb c{};
  c[0] = 0x88;
  st_be64(&c[2], lba);
  st_be32(&c[10], blocks);
  return c;
}

bool parse_read(const Cdb& cdb, ReadCdb& out) {
  switch (cdb[0]) {
    case 0x28:
      out.lba = ld_be32(&cdb[2]);
      out.blocks = ld_be16(&cdb[7]);
      return true;
    case 0x88:
      out.lba = ld_be64(&cdb[2]);
      out.blocks = ld_be32(&cdb[10]);
      return true;
    default:
      return false;
  }
}

ConnParams StreamDecoder::current_params() const {
  if (!in_login_) return ff_;
  ConnParams login;
  login.max_data_segment = kLoginMaxDataSegment;
  return login;
}

void StreamDecoder::feed(ByteView bytes) {
  if (!failed_) buf_.append(bytes);
}

bool StreamDecoder::next(Pdu& out, PduError& err, bool verify_digests) {
  if (failed_ || buffered() < kBhsLen) return false;
  const ByteView rest = buf_.unread();
  const Opcode op = Opcode(rest[0] & kOpcodeMask);
  if (in_login_ && login_final_seen_ && !is_login(op)) in_login_ = false;
  const ConnParams cp = current_params();
  const PduLayout l = layout_of(Bhs::decode(rest.data), cp);
  // A header that cannot be framed is reported at once: a garbage length is never waited for.
  if (validate_framing(rest.data, cp) == PduError::None && rest.size < l.total_len) return false;
  err = decode_pdu(rest, cp, out, verify_digests);
  if (breaks_framing(err)) {
    failed_ = true;
    buf_.clear();
    return true;
  }
  buf_.consume(l.total_len);
  consumed_ += l.total_len;
  if (in_login_ && err == PduError::None) {
    if (const auto* req = std::get_if<LoginReq>(&out.body))
      login_final_seen_ = req->transit && req->nsg == kFullFeaturePhase;
    else if (const auto* resp = std::get_if<LoginResp>(&out.body))
      login_final_seen_ = resp->enters_full_feature();
  }
  return true;
}

}  // namespace nic::iscsi
