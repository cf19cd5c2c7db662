// NVMe/TCP PDUs (NVMe over Fabrics TCP transport): common header, every PDU type a host or
// controller exchanges, digests, alignment, and validation with typed errors.
// All multi-byte NVMe/TCP fields are little-endian.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "util/bytes.hpp"
#include "util/stream_buffer.hpp"

namespace nic::nvme {

enum class PduType : uint8_t {
  ICReq = 0x00,
  ICResp = 0x01,
  H2CTermReq = 0x02,
  C2HTermReq = 0x03,
  CapsuleCmd = 0x04,
  CapsuleResp = 0x05,
  H2CData = 0x06,
  C2HData = 0x07,
  R2T = 0x09,
};

namespace pduflag {
constexpr uint8_t HDGSTF = 0x01, DDGSTF = 0x02, LAST_PDU = 0x04, SUCCESS = 0x08;
}

constexpr size_t kCommonHeaderLen = 8;
constexpr size_t kDigestLen = 4;
constexpr size_t kSqeLen = 64;
constexpr size_t kCqeLen = 16;
constexpr size_t kIcPduLen = 128;
constexpr uint32_t kMaxTermReqPlen = 152;
constexpr uint8_t kOpcodeRead = 0x02;
constexpr uint8_t kSglTransportDataBlock = 0x5A;

bool is_known_type(uint8_t t);
const char* type_name(PduType t);
uint8_t header_len(PduType t);     // the only HLEN legal for the type
uint8_t allowed_flags(PduType t);  // mask of flag bits the type may carry
bool sent_by_controller(PduType t);

// Negotiated by ICReq/ICResp: digests for both directions, and data alignment.
// HPDA governs controller->host data PDUs, CPDA host->controller ones.
struct ConnParams {
  bool hdgst = false;
  bool ddgst = false;
  uint8_t hpda = 0;
  uint8_t cpda = 0;
  // PDO alignment in bytes for data PDUs of type t: (PDA + 1) * 4.
  uint32_t pdo_align(PduType t) const;
};

struct CommonHeader {
  PduType type = PduType::ICReq;
  uint8_t flags = 0;
  uint8_t hlen = 0;
  uint8_t pdo = 0;
  uint32_t plen = 0;
  static CommonHeader decode(const uint8_t* p);  // reads 8 bytes, no checks
  void encode(uint8_t* p) const;
  bool hdgst() const { return flags & pduflag::HDGSTF; }
  bool ddgst() const { return flags & pduflag::DDGSTF; }
};

// Where each part of a PDU sits, from its common header alone.
struct PduLayout {
  uint32_t hdgst_len = 0;   // 0 or 4
  uint32_t data_offset = 0; // PDO, or where data would start when the PDU has none
  uint32_t pad_len = 0;     // bytes between header(+digest) and data
  uint32_t data_len = 0;    // payload bytes (excludes pad and digests)
  uint32_t ddgst_len = 0;   // 0 or 4
};
PduLayout layout_of(const CommonHeader& ch);

enum class PduError {
  None,
  Truncated,            // fewer bytes than the header or PLEN needs
  UnknownType,
  BadHlen,              // HLEN is not the one for this type
  FlagsNotAllowed,      // a flag bit the type may not carry
  SuccessWithoutLast,   // SUCCESS set without LAST_PDU
  DigestFlagMismatch,   // HDGSTF/DDGSTF disagree with the negotiated digests
  PdoInsideHeader,      // PDO < HLEN + header digest
  PdoMisaligned,        // PDO not a multiple of the negotiated alignment
  PdoBeyondPdu,         // PDO > PLEN, or PDO set on a PDU with no data
  PlenTooSmall,         // PLEN < HLEN + digests
  PlenTooLarge,         // PLEN above a type's limit (TermReq) or exact size (IC, Resp, R2T)
  DataLengthMismatch,   // DATAL disagrees with PLEN - PDO - data digest
  DataOffsetOverflow,   // DATAO + DATAL beyond 2^32 - 1
  BadSgl,               // CapsuleCmd read without a transport data block SGL
  BadHeaderDigest,
  BadDataDigest,
};
constexpr size_t kPduErrorCount = size_t(PduError::BadDataDigest) + 1;  // keep in step
const char* to_string(PduError e);

// Checks a common header against the type table and the connection's negotiated parameters.
// IC PDUs are checked against the no-digest rules regardless of `cp`.
PduError validate_header(const CommonHeader& ch, const ConnParams& cp);

struct IcReq {
  uint16_t pfv = 0;
  uint8_t hpda = 0;
  uint8_t dgst = 0;  // bit0 header digest, bit1 data digest
  uint32_t maxr2t = 0;
};
struct IcResp {
  uint16_t pfv = 0;
  uint8_t cpda = 0;
  uint8_t dgst = 0;
  uint32_t maxh2cdata = 0x40000;
};
struct TermReq {
  uint16_t fes = 0;
  uint32_t fei = 0;
  Bytes error_data;  // the offending PDU header, at most PLEN 152 in all
};
// Submission queue entry of a command capsule (64 bytes).
struct Sqe {
  std::array<uint8_t, kSqeLen> b{};
  uint8_t opcode() const { return b[0]; }
  uint16_t cid() const { return ld_le16(&b[2]); }
  uint32_t nsid() const { return ld_le32(&b[4]); }
  uint8_t sgl_type() const { return b[24 + 15]; }
  uint32_t sgl_length() const { return ld_le32(&b[24 + 8]); }
  uint64_t slba() const { return ld_le64(&b[40]); }
  uint32_t nlb() const { return uint32_t(ld_le16(&b[48])) + 1; }  // stored 0-based
};
// A Read command: the SGL is one transport data block of `length` bytes.
struct ReadCmd {
  uint16_t cid = 0;
  uint32_t nsid = 1;
  uint64_t slba = 0;
  uint32_t nlb = 1;  // 1-based block count
  uint32_t length = 0;
  Sqe to_sqe() const;
  static bool from_sqe(const Sqe& s, ReadCmd& out);  // false unless a read with a TDB SGL
};
struct Cqe {
  uint64_t result = 0;
  uint16_t sqhd = 0, sqid = 0, cid = 0, status = 0;
};
// H2CData / C2HData specific header (CCCID, DATAO, DATAL; TTAG for H2C).
struct DataHdr {
  uint16_t cccid = 0;
  uint16_t ttag = 0;
  uint32_t datao = 0;
  uint32_t datal = 0;
};
struct R2t {
  uint16_t cccid = 0, ttag = 0;
  uint32_t r2to = 0, r2tl = 0;
};

using PduBody = std::variant<IcReq, IcResp, TermReq, Sqe, Cqe, DataHdr, R2t>;

// A whole decoded PDU. `data` holds the payload (DATAL bytes for data PDUs, in-capsule data
// for a command, error data for a TermReq).
struct Pdu {
  CommonHeader ch;
  PduBody body;
  Bytes data;
  // Digest fields as carried (valid when the matching flag is set).
  uint32_t hdgst = 0, ddgst = 0;
};

// Builders: each returns the complete PDU bytes with HLEN, PDO (aligned per `cp`), PLEN,
// flags and digests filled in for the negotiated parameters.
Bytes encode_ic_req(const IcReq& m);
Bytes encode_ic_resp(const IcResp& m);
Bytes encode_term_req(PduType type, const TermReq& m);
Bytes encode_capsule_cmd(const Sqe& sqe, const ConnParams& cp, ByteView in_capsule = {});
Bytes encode_capsule_resp(const Cqe& cqe, const ConnParams& cp);
// `flags` may add LAST_PDU and SUCCESS; digest flags come from `cp`.
Bytes encode_data(PduType type, const DataHdr& h, uint8_t flags, ByteView data,
                  const ConnParams& cp);
Bytes encode_r2t(const R2t& m, const ConnParams& cp);

// Decodes one complete PDU (exactly PLEN bytes or more; extra bytes are ignored) and checks
// it; with `verify_digests` false, digest fields are read but not compared.
PduError decode_pdu(ByteView bytes, const ConnParams& cp, Pdu& out, bool verify_digests = true);

// Whether a TCP segment's payload begins with a whole, valid IC PDU of `type` (ICReq or
// ICResp): the first bytes of an NVMe/TCP stream, where a capture that missed the TCP
// handshake can still start following the connection.
bool starts_with_ic_pdu(ByteView payload, PduType type);

// The IANA port of NVMe/TCP I/O controllers (the discovery controller's is 8009).
constexpr uint16_t kDefaultPort = 4420;

// Splits an in-order byte stream into PDUs, however the bytes were segmented. Used by the
// software receive path and by tools that need an independent decode of a trace.
class StreamDecoder {
 public:
  explicit StreamDecoder(ConnParams cp = {}) : cp_(cp) {}
  void set_params(const ConnParams& cp) { cp_ = cp; }
  const ConnParams& params() const { return cp_; }
  void feed(ByteView bytes);
  // Next complete PDU, if any. On a framing error returns true with `err` set; the stream
  // cannot be framed after that (`failed()`), as a real receiver would drop the connection.
  bool next(Pdu& out, PduError& err, bool verify_digests = true);
  bool failed() const { return failed_; }
  uint64_t consumed() const { return consumed_; }  // stream offset of the next PDU start
  size_t buffered() const { return buf_.size(); }

 private:
  ConnParams cp_;
  StreamBuffer buf_;
  uint64_t consumed_ = 0;
  bool failed_ = false;
};

}  // namespace nic::nvme
