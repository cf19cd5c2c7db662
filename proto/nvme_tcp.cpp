#include "proto/nvme_tcp.hpp"

#include <algorithm>
#include <stdexcept>

#include "proto/crc32c.hpp"

namespace nic::nvme {
namespace {

using namespace pduflag;

struct TypeInfo {
  const char* name;
  uint8_t hlen;
  uint8_t flags;
  bool from_controller;
};

// Indexed by the type byte; 0x08 is unassigned.
constexpr TypeInfo kTypes[] = {
    {"ICReq", 128, 0, false},
    {"ICResp", 128, 0, true},
    {"H2CTermReq", 24, 0, false},
    {"C2HTermReq", 24, 0, true},
    {"CapsuleCmd", 72, HDGSTF | DDGSTF, false},
    {"CapsuleResp", 24, HDGSTF, true},
    {"H2CData", 24, HDGSTF | DDGSTF | LAST_PDU, false},
    {"C2HData", 24, HDGSTF | DDGSTF | LAST_PDU | SUCCESS, true},
    {nullptr, 0, 0, false},
    {"R2T", 24, HDGSTF, true},
};

const TypeInfo* info(PduType t) {
  return is_known_type(uint8_t(t)) ? &kTypes[uint8_t(t)] : nullptr;
}

bool is_data_pdu(PduType t) { return t == PduType::H2CData || t == PduType::C2HData; }
bool is_term_req(PduType t) { return t == PduType::H2CTermReq || t == PduType::C2HTermReq; }

// Whether a PDU that passed validate_header carries a data section located by PDO.
bool has_pdo_data(const CommonHeader& ch) {
  return is_data_pdu(ch.type) || (ch.type == PduType::CapsuleCmd && ch.pdo != 0);
}

uint32_t sat_sub(uint32_t a, uint32_t b) { return a > b ? a - b : 0; }

// Lays out a PDU of type t for `cp` and fills everything but the type-specific header,
// which `fill` writes given the PDU start. `use_pdo` places `data` at an aligned PDO;
// otherwise it follows the header directly (TermReq error data) with PDO 0.
template <class Fill>
Bytes build(PduType t, uint8_t flags, bool use_pdo, ByteView data, const ConnParams& cp,
            Fill fill) {
  CommonHeader ch;
  ch.type = t;
  ch.hlen = header_len(t);
  ch.flags = flags;
  if ((allowed_flags(t) & HDGSTF) && cp.hdgst) ch.flags |= HDGSTF;
  if ((allowed_flags(t) & DDGSTF) && cp.ddgst && use_pdo) ch.flags |= DDGSTF;
  const uint32_t hdr_end = ch.hlen + (ch.hdgst() ? kDigestLen : 0);
  uint32_t data_off = hdr_end;
  if (use_pdo) {
    const uint32_t align = cp.pdo_align(t);
    data_off = (hdr_end + align - 1) / align * align;
    if (data_off > 0xFF) throw std::invalid_argument("nvme: PDA too large for PDO");
    ch.pdo = uint8_t(data_off);
  }
  const uint64_t plen = uint64_t(data_off) + data.size + (ch.ddgst() ? kDigestLen : 0);
  if (plen > UINT32_MAX) throw std::invalid_argument("nvme: PDU longer than PLEN can express");
  ch.plen = uint32_t(plen);

  Bytes b(ch.plen);
  ch.encode(b.data());
  fill(b.data());
  if (data.size) std::copy(data.begin(), data.end(), b.begin() + data_off);
  if (ch.hdgst()) st_le32(&b[ch.hlen], crc32c::compute(b.data(), ch.hlen));
  if (ch.ddgst()) st_le32(&b[ch.plen - kDigestLen], crc32c::compute(data.data, data.size));
  return b;
}

// Errors after which the byte stream cannot be trusted to continue at PLEN.
bool breaks_framing(PduError e) {
  return e != PduError::None && e != PduError::BadSgl && e != PduError::BadHeaderDigest &&
         e != PduError::BadDataDigest;
}

}  // namespace

bool is_known_type(uint8_t t) { return t <= 0x09 && t != 0x08; }

const char* type_name(PduType t) {
  const TypeInfo* i = info(t);
  return i ? i->name : "Unknown";
}

uint8_t header_len(PduType t) {
  const TypeInfo* i = info(t);
  return i ? i->hlen : 0;
}

uint8_t allowed_flags(PduType t) {
  const TypeInfo* i = info(t);
  return i ? i->flags : 0;
}

bool sent_by_controller(PduType t) {
  const TypeInfo* i = info(t);
  return i && i->from_controller;
}

uint32_t ConnParams::pdo_align(PduType t) const {
  return (uint32_t(sent_by_controller(t) ? hpda : cpda) + 1) * 4;
}

CommonHeader CommonHeader::decode(const uint8_t* p) {
  CommonHeader ch;
  ch.type = PduType(p[0]);
  ch.flags = p[1];
  ch.hlen = p[2];
  ch.pdo = p[3];
  ch.plen = ld_le32(p + 4);
  return ch;
}

void CommonHeader::encode(uint8_t* p) const {
  p[0] = uint8_t(type);
  p[1] = flags;
  p[2] = hlen;
  p[3] = pdo;
  st_le32(p + 4, plen);
}

PduLayout layout_of(const CommonHeader& ch) {
  PduLayout l;
  l.hdgst_len = ch.hdgst() ? kDigestLen : 0;
  l.ddgst_len = ch.ddgst() ? kDigestLen : 0;
  const uint32_t hdr_end = ch.hlen + l.hdgst_len;
  l.data_offset = ch.pdo ? ch.pdo : hdr_end;
  l.pad_len = sat_sub(l.data_offset, hdr_end);
  l.data_len = sat_sub(ch.plen, l.data_offset + l.ddgst_len);
  return l;
}

const char* to_string(PduError e) {
  switch (e) {
    case PduError::None: return "None";
    case PduError::Truncated: return "Truncated";
    case PduError::UnknownType: return "UnknownType";
    case PduError::BadHlen: return "BadHlen";
    case PduError::FlagsNotAllowed: return "FlagsNotAllowed";
    case PduError::SuccessWithoutLast: return "SuccessWithoutLast";
    case PduError::DigestFlagMismatch: return "DigestFlagMismatch";
    case PduError::PdoInsideHeader: return "PdoInsideHeader";
    case PduError::PdoMisaligned: return "PdoMisaligned";
    case PduError::PdoBeyondPdu: return "PdoBeyondPdu";
    case PduError::PlenTooSmall: return "PlenTooSmall";
    case PduError::PlenTooLarge: return "PlenTooLarge";
    case PduError::DataLengthMismatch: return "DataLengthMismatch";
    case PduError::DataOffsetOverflow: return "DataOffsetOverflow";
    case PduError::BadSgl: return "BadSgl";
    case PduError::BadHeaderDigest: return "BadHeaderDigest";
    case PduError::BadDataDigest: return "BadDataDigest";
  }
  return "?";
}

PduError validate_header(const CommonHeader& ch, const ConnParams& cp) {
  const PduType t = ch.type;
  if (!is_known_type(uint8_t(t))) return PduError::UnknownType;
  if (ch.hlen != header_len(t)) return PduError::BadHlen;
  const uint8_t allowed = allowed_flags(t);
  if (ch.flags & ~allowed) return PduError::FlagsNotAllowed;
  if ((ch.flags & SUCCESS) && !(ch.flags & LAST_PDU)) return PduError::SuccessWithoutLast;

  // A command carries in-capsule data exactly when PDO is set (Linux host and target agree).
  const bool has_data = has_pdo_data(ch);
  if ((allowed & HDGSTF) && ch.hdgst() != cp.hdgst) return PduError::DigestFlagMismatch;
  if ((allowed & DDGSTF) && ch.ddgst() != (cp.ddgst && has_data))
    return PduError::DigestFlagMismatch;

  const uint32_t hdr_end = ch.hlen + (ch.hdgst() ? kDigestLen : 0);
  const uint32_t ddgst_len = ch.ddgst() ? kDigestLen : 0;
  if (ch.plen < hdr_end + ddgst_len) return PduError::PlenTooSmall;

  if (!has_data) {
    if (ch.pdo != 0) return PduError::PdoBeyondPdu;
    const uint32_t max_plen = is_term_req(t) ? kMaxTermReqPlen : hdr_end;
    return ch.plen > max_plen ? PduError::PlenTooLarge : PduError::None;
  }
  if (ch.pdo < hdr_end) return PduError::PdoInsideHeader;
  if (ch.pdo % cp.pdo_align(t)) return PduError::PdoMisaligned;
  if (ch.pdo + ddgst_len > ch.plen) return PduError::PdoBeyondPdu;
  return PduError::None;
}

Sqe ReadCmd::to_sqe() const {
  Sqe s;
  s.b[0] = kOpcodeRead;
  s.b[1] = 0x40;  // PSDT 01b: data described by an SGL, as fabrics requires
  st_le16(&s.b[2], cid);
  st_le32(&s.b[4], nsid);
  st_le32(&s.b[24 + 8], length);  // descriptor address stays 0 for a transport data block
  s.b[24 + 15] = kSglTransportDataBlock;
  st_le64(&s.b[40], slba);
  st_le16(&s.b[48], uint16_t(nlb - 1));
  return s;
}

bool ReadCmd::from_sqe(const Sqe& s, ReadCmd& out) {
  if (s.opcode() != kOpcodeRead || s.sgl_type() != kSglTransportDataBlock) return false;
  out.cid = s.cid();
  out.nsid = s.nsid();
  out.slba = s.slba();
  out.nlb = s.nlb();
  out.length = s.sgl_length();
  return true;
}

Bytes encode_ic_req(const IcReq& m) {
  return build(PduType::ICReq, 0, false, {}, ConnParams{}, [&](uint8_t* p) {
    st_le16(p + 8, m.pfv);
    p[10] = m.hpda;
    p[11] = m.dgst;
    st_le32(p + 12, m.maxr2t);
  });
}

Bytes encode_ic_resp(const IcResp& m) {
  return build(PduType::ICResp, 0, false, {}, ConnParams{}, [&](uint8_t* p) {
    st_le16(p + 8, m.pfv);
    p[10] = m.cpda;
    p[11] = m.dgst;
    st_le32(p + 12, m.maxh2cdata);
  });
}

Bytes encode_term_req(PduType type, const TermReq& m) {
  if (!is_term_req(type)) throw std::invalid_argument("nvme: not a TermReq type");
  if (header_len(type) + m.error_data.size() > kMaxTermReqPlen)
    throw std::invalid_argument("nvme: TermReq error data too long");
  return build(type, 0, false, m.error_data, ConnParams{}, [&](uint8_t* p) {
    st_le16(p + 8, m.fes);
    st_le32(p + 10, m.fei);
  });
}

Bytes encode_capsule_cmd(const Sqe& sqe, const ConnParams& cp, ByteView in_capsule) {
  return build(PduType::CapsuleCmd, 0, !in_capsule.empty(), in_capsule, cp,
               [&](uint8_t* p) { std::copy(sqe.b.begin(), sqe.b.end(), p + 8); });
}

Bytes encode_capsule_resp(const Cqe& cqe, const ConnParams& cp) {
  return build(PduType::CapsuleResp, 0, false, {}, cp, [&](uint8_t* p) {
    st_le64(p + 8, cqe.result);
    st_le16(p + 16, cqe.sqhd);
    st_le16(p + 18, cqe.sqid);
    st_le16(p + 20, cqe.cid);
    st_le16(p + 22, cqe.status);
  });
}

// DATAL is taken from `data`; h.datal is ignored. TTAG is written only for H2CData (reserved
// in C2HData).
Bytes encode_data(PduType type, const DataHdr& h, uint8_t flags, ByteView data,
                  const ConnParams& cp) {
  if (!is_data_pdu(type)) throw std::invalid_argument("nvme: not a data PDU type");
  if (flags & ~(allowed_flags(type) & (LAST_PDU | SUCCESS)))
    throw std::invalid_argument("nvme: flags not allowed for data PDU");
  if ((flags & SUCCESS) && !(flags & LAST_PDU))
    throw std::invalid_argument("nvme: SUCCESS requires LAST_PDU");
  return build(type, flags, true, data, cp, [&](uint8_t* p) {
    st_le16(p + 8, h.cccid);
    if (type == PduType::H2CData) st_le16(p + 10, h.ttag);
    st_le32(p + 12, h.datao);
    st_le32(p + 16, uint32_t(data.size));
  });
}

Bytes encode_r2t(const R2t& m, const ConnParams& cp) {
  return build(PduType::R2T, 0, false, {}, cp, [&](uint8_t* p) {
    st_le16(p + 8, m.cccid);
    st_le16(p + 10, m.ttag);
    st_le32(p + 12, m.r2to);
    st_le32(p + 16, m.r2tl);
  });
}

PduError decode_pdu(ByteView bytes, const ConnParams& cp, Pdu& out, bool verify_digests) {
  out.data.clear();
  out.hdgst = out.ddgst = 0;
  if (bytes.size < kCommonHeaderLen) return PduError::Truncated;
  const uint8_t* p = bytes.data;
  out.ch = CommonHeader::decode(p);
  const CommonHeader& ch = out.ch;
  if (PduError e = validate_header(ch, cp); e != PduError::None) return e;
  if (bytes.size < ch.plen) return PduError::Truncated;

  const PduLayout lay = layout_of(ch);
  out.data.assign(p + lay.data_offset, p + lay.data_offset + lay.data_len);
  if (ch.hdgst()) out.hdgst = ld_le32(p + ch.hlen);
  if (ch.ddgst()) out.ddgst = ld_le32(p + ch.plen - kDigestLen);

  PduError semantic = PduError::None;
  switch (ch.type) {
    case PduType::ICReq: {
      IcReq m;
      m.pfv = ld_le16(p + 8);
      m.hpda = p[10];
      m.dgst = p[11];
      m.maxr2t = ld_le32(p + 12);
      out.body = m;
      break;
    }
    case PduType::ICResp: {
      IcResp m;
      m.pfv = ld_le16(p + 8);
      m.cpda = p[10];
      m.dgst = p[11];
      m.maxh2cdata = ld_le32(p + 12);
      out.body = m;
      break;
    }
    case PduType::H2CTermReq:
    case PduType::C2HTermReq: {
      TermReq m;
      m.fes = ld_le16(p + 8);
      m.fei = ld_le32(p + 10);
      m.error_data = out.data;  // also in out.data, like every other PDU's payload
      out.body = std::move(m);
      break;
    }
    case PduType::CapsuleCmd: {
      Sqe s;
      std::copy(p + 8, p + 8 + kSqeLen, s.b.begin());
      if (s.opcode() == kOpcodeRead && s.sgl_type() != kSglTransportDataBlock)
        semantic = PduError::BadSgl;
      out.body = s;
      break;
    }
    case PduType::CapsuleResp: {
      Cqe c;
      c.result = ld_le64(p + 8);
      c.sqhd = ld_le16(p + 16);
      c.sqid = ld_le16(p + 18);
      c.cid = ld_le16(p + 20);
      c.status = ld_le16(p + 22);
      out.body = c;
      break;
    }
    case PduType::H2CData:
    case PduType::C2HData: {
      DataHdr h;
      h.cccid = ld_le16(p + 8);
      if (ch.type == PduType::H2CData) h.ttag = ld_le16(p + 10);
      h.datao = ld_le32(p + 12);
      h.datal = ld_le32(p + 16);
      if (h.datal != lay.data_len) semantic = PduError::DataLengthMismatch;
      else if (uint64_t(h.datao) + h.datal > 0xFFFFFFFFu) semantic = PduError::DataOffsetOverflow;
      out.body = h;
      break;
    }
    case PduType::R2T: {
      R2t m;
      m.cccid = ld_le16(p + 8);
      m.ttag = ld_le16(p + 10);
      m.r2to = ld_le32(p + 12);
      m.r2tl = ld_le32(p + 16);
      out.body = m;
      break;
    }
  }

  // A corrupt header explains any inconsistency inside it, so its digest is checked first.
  if (verify_digests && ch.hdgst() && crc32c::compute(p, ch.hlen) != out.hdgst)
    return PduError::BadHeaderDigest;
  if (semantic != PduError::None) return semantic;
  if (verify_digests && ch.ddgst() &&
      crc32c::compute(out.data.data(), out.data.size()) != out.ddgst)
    return PduError::BadDataDigest;
  return PduError::None;
}

void StreamDecoder::feed(ByteView bytes) {
  if (!failed_) buf_.append(bytes);
}

// Errors other than digest and SGL ones stop the stream: with a bad header, PLEN cannot be
// trusted to find the next PDU. A framing error is reported once; next() is false after it.
bool StreamDecoder::next(Pdu& out, PduError& err, bool verify_digests) {
  if (failed_ || buffered() < kCommonHeaderLen) return false;
  const ByteView rest = buf_.unread();
  const CommonHeader ch = CommonHeader::decode(rest.data);
  // A bad header is reported before PLEN bytes arrive: a garbage PLEN is never waited for.
  if (validate_header(ch, cp_) == PduError::None && rest.size < ch.plen) return false;
  err = decode_pdu(rest, cp_, out, verify_digests);
  if (breaks_framing(err)) {
    failed_ = true;
    buf_.clear();
    return true;
  }
  buf_.consume(ch.plen);
  consumed_ += ch.plen;
  return true;
}

bool starts_with_ic_pdu(ByteView payload, PduType type) {
  // Most segments fail on their first bytes; only a likely IC PDU is decoded.
  if (payload.size < kIcPduLen || payload.data[0] != uint8_t(type) || payload.data[2] != kIcPduLen)
    return false;
  Pdu pdu;
  return decode_pdu(payload.sub(0, kIcPduLen), ConnParams{}, pdu) == PduError::None &&
         pdu.ch.type == type;
}

}  // namespace nic::nvme
