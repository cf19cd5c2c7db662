// iSCSI PDUs (RFC 7143): the 48-byte Basic Header Segment of every opcode, PDU layout with
// optional AHS, pad and CRC32C digests, validation with typed errors, and a stream framer.
// All multi-byte iSCSI fields are big-endian; digests are sent least significant byte first.
#pragma once
#include <array>
#include <cstdint>
#include <variant>

#include "util/bytes.hpp"
#include "util/stream_buffer.hpp"

namespace nic::iscsi {

// The IANA port of iSCSI targets.
constexpr uint16_t kDefaultPort = 3260;

enum class Opcode : uint8_t {
  // initiator -> target
  NopOut = 0x00,
  ScsiCommand = 0x01,
  TaskMgmtReq = 0x02,
  LoginReq = 0x03,
  TextReq = 0x04,
  DataOut = 0x05,
  LogoutReq = 0x06,
  Snack = 0x10,
  // target -> initiator
  NopIn = 0x20,
  ScsiResponse = 0x21,
  TaskMgmtResp = 0x22,
  LoginResp = 0x23,
  TextResp = 0x24,
  DataIn = 0x25,
  LogoutResp = 0x26,
  R2T = 0x31,
  AsyncMsg = 0x32,
  Reject = 0x3F,
};

constexpr size_t kBhsLen = 48;
constexpr size_t kDigestLen = 4;
constexpr uint8_t kImmediateBit = 0x40;  // byte 0, initiator PDUs only
constexpr uint8_t kOpcodeMask = 0x3F;
constexpr uint32_t kReservedTag = 0xFFFFFFFF;  // an ITT/TTT that names no task
constexpr uint32_t kMaxDataSegmentLength = 0xFFFFFF;  // 24-bit field
// Data segment limit while logging in: MaxRecvDataSegmentLength's default, as no declared
// value is in effect before full-feature phase.
constexpr uint32_t kLoginMaxDataSegment = 8192;

bool is_known_opcode(uint8_t op);
const char* opcode_name(Opcode op);
bool sent_by_target(Opcode op);
// Login PDUs never carry digests: negotiated digests start with the first PDU after login.
bool carries_digests(Opcode op);

// Digest state and receive limit of one direction of a connection.
struct ConnParams {
  bool hdgst = false;
  bool ddgst = false;
  // Largest DataSegmentLength the receiver declared (its MaxRecvDataSegmentLength).
  uint32_t max_data_segment = kMaxDataSegmentLength;
};

// The fields every BHS shares (bytes 0-7 and the ITT).
struct Bhs {
  Opcode opcode = Opcode::NopOut;
  bool immediate = false;
  uint8_t flags = 0;          // byte 1
  uint8_t ahs_words = 0;      // TotalAHSLength, in 4-byte words
  uint32_t data_length = 0;   // DataSegmentLength, excludes pad and digest
  uint32_t itt = 0;
  static Bhs decode(const uint8_t* p);  // reads bytes 0-19 of a BHS, no checks
};

// Where each part of a PDU sits, from its BHS and the direction's digest settings.
struct PduLayout {
  uint32_t hlen = 0;         // 48 + AHS
  uint32_t hdgst_len = 0;    // 0 or 4
  uint32_t data_offset = 0;  // hlen + hdgst_len
  uint32_t data_len = 0;     // DataSegmentLength
  uint32_t pad_len = 0;      // zeros after the data up to a multiple of 4
  uint32_t ddgst_len = 0;    // 0 or 4; 0 without data; covers data and pad
  uint32_t total_len = 0;
};
PduLayout layout_of(const Bhs& bhs, const ConnParams& cp);

enum class PduError {
  None,
  Truncated,              // fewer bytes than the BHS or the layout needs
  UnknownOpcode,
  DataSegmentTooLong,     // DataSegmentLength above the receiver's declared maximum
  ReservedNotZero,        // a reserved bit or byte is set (incl. byte 0 bit 7)
  ImmediateFromTarget,    // I bit on a target PDU, where it is reserved
  FixedBitClear,          // a bit the RFC fixes at 1 (the F of a one-PDU message) is 0
  AhsNotAllowed,          // TotalAHSLength must be 0 for the opcode
  DataNotAllowed,         // DataSegmentLength must be 0 for the opcode
  ReservedTag,            // ITT 0xFFFFFFFF on a PDU that belongs to a task
  StatusWithoutFinal,     // Data-In S without F
  StatusFieldsWithoutS,   // Data-In Status, O, U or Residual Count set without S
  ContinueWithFinal,      // Login T or Text F set together with C (continue)
  BadLoginStage,          // CSG or NSG of 2 (reserved), or CSG of full-feature phase
  BufferOffsetOverflow,   // Data-In/Data-Out Buffer Offset + DataSegmentLength beyond 2^32 - 1
  BadHeaderDigest,
  BadDataDigest,
};
constexpr size_t kPduErrorCount = size_t(PduError::BadDataDigest) + 1;  // keep in step
const char* to_string(PduError e);
// Errors after which a receiver can no longer tell where the next PDU starts (an unknown
// opcode or an over-long data segment may be a misread length; a bad header digest makes
// every length in the header suspect); the others concern one PDU only.
bool breaks_framing(PduError e);

using Cdb = std::array<uint8_t, 16>;

// Opcode-specific parts of the BHS. Each lists its fields once in `fields`, by byte offset;
// that one list drives encoding, decoding and the check that all other bytes are zero.
// `bits(off, mask, v)` is a field inside a byte, `fixed(off, mask)` bits that are always 1.
struct NopOut {
  static constexpr Opcode kOpcode = Opcode::NopOut;
  uint64_t lun = 0;
  uint32_t itt = kReservedTag, ttt = kReservedTag, cmdsn = 0, expstatsn = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.fixed(1, 0x80);
    v.u64(8, s.lun); v.u32(16, s.itt); v.u32(20, s.ttt); v.u32(24, s.cmdsn);
    v.u32(28, s.expstatsn);
  }
};

struct ScsiCommand {
  static constexpr Opcode kOpcode = Opcode::ScsiCommand;
  bool final = true, read = false, write = false;
  uint8_t attr = 0;  // task attribute, 3 bits (0 untagged, 1 simple, ...)
  uint64_t lun = 0;
  uint32_t itt = 0, expected_length = 0, cmdsn = 0, expstatsn = 0;
  Cdb cdb{};
  template <class S, class V> static void fields(S& s, V& v) {
    v.bits(1, 0x80, s.final); v.bits(1, 0x40, s.read); v.bits(1, 0x20, s.write);
    v.bits(1, 0x07, s.attr);
    v.u64(8, s.lun); v.u32(16, s.itt); v.u32(20, s.expected_length); v.u32(24, s.cmdsn);
    v.u32(28, s.expstatsn); v.cdb(32, s.cdb);
  }
};

struct TaskMgmtReq {
  static constexpr Opcode kOpcode = Opcode::TaskMgmtReq;
  uint8_t function = 0;  // 7 bits
  uint64_t lun = 0;
  uint32_t itt = 0, referenced_tag = kReservedTag, cmdsn = 0, expstatsn = 0, refcmdsn = 0,
           expdatasn = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.fixed(1, 0x80); v.bits(1, 0x7F, s.function);
    v.u64(8, s.lun); v.u32(16, s.itt); v.u32(20, s.referenced_tag); v.u32(24, s.cmdsn);
    v.u32(28, s.expstatsn); v.u32(32, s.refcmdsn); v.u32(36, s.expdatasn);
  }
};

// Login stages (CSG/NSG); 2 is reserved.
enum : uint8_t { kSecurityNegotiation = 0, kLoginOperationalNegotiation = 1, kFullFeaturePhase = 3 };

struct LoginReq {
  static constexpr Opcode kOpcode = Opcode::LoginReq;
  bool transit = false, cont = false;
  uint8_t csg = 0, nsg = 0;
  uint8_t version_max = 0, version_min = 0;
  uint64_t isid = 0;  // 48 bits
  uint16_t tsih = 0, cid = 0;
  uint32_t itt = 0, cmdsn = 0, expstatsn = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.fixed(0, kImmediateBit);  // a Login Request is always immediate
    v.bits(1, 0x80, s.transit); v.bits(1, 0x40, s.cont); v.bits(1, 0x0C, s.csg);
    v.bits(1, 0x03, s.nsg);
    v.u8(2, s.version_max); v.u8(3, s.version_min); v.u48(8, s.isid); v.u16(14, s.tsih);
    v.u32(16, s.itt); v.u16(20, s.cid); v.u32(24, s.cmdsn); v.u32(28, s.expstatsn);
  }
};

struct TextReq {
  static constexpr Opcode kOpcode = Opcode::TextReq;
  bool final = true, cont = false;
  uint64_t lun = 0;
  uint32_t itt = 0, ttt = kReservedTag, cmdsn = 0, expstatsn = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.bits(1, 0x80, s.final); v.bits(1, 0x40, s.cont);
    v.u64(8, s.lun); v.u32(16, s.itt); v.u32(20, s.ttt); v.u32(24, s.cmdsn);
    v.u32(28, s.expstatsn);
  }
};

struct DataOut {
  static constexpr Opcode kOpcode = Opcode::DataOut;
  bool final = false;
  uint64_t lun = 0;
  uint32_t itt = 0, ttt = kReservedTag, expstatsn = 0, datasn = 0, buffer_offset = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.bits(1, 0x80, s.final);
    v.u64(8, s.lun); v.u32(16, s.itt); v.u32(20, s.ttt); v.u32(28, s.expstatsn);
    v.u32(36, s.datasn); v.u32(40, s.buffer_offset);
  }
};

struct LogoutReq {
  static constexpr Opcode kOpcode = Opcode::LogoutReq;
  uint8_t reason = 0;  // 7 bits: 0 close session, 1 close connection, 2 remove for recovery
  uint16_t cid = 0;
  uint32_t itt = 0, cmdsn = 0, expstatsn = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.fixed(1, 0x80); v.bits(1, 0x7F, s.reason);
    v.u32(16, s.itt); v.u16(20, s.cid); v.u32(24, s.cmdsn); v.u32(28, s.expstatsn);
  }
};

struct Snack {
  static constexpr Opcode kOpcode = Opcode::Snack;
  uint8_t type = 0;  // 4 bits
  uint64_t lun = 0;
  uint32_t itt = kReservedTag, ttt = kReservedTag, expstatsn = 0, begrun = 0, runlength = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.fixed(1, 0x80); v.bits(1, 0x0F, s.type);
    v.u64(8, s.lun); v.u32(16, s.itt); v.u32(20, s.ttt); v.u32(28, s.expstatsn);
    v.u32(40, s.begrun); v.u32(44, s.runlength);
  }
};

struct NopIn {
  static constexpr Opcode kOpcode = Opcode::NopIn;
  uint64_t lun = 0;
  uint32_t itt = kReservedTag, ttt = kReservedTag, statsn = 0, expcmdsn = 0, maxcmdsn = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.fixed(1, 0x80);
    v.u64(8, s.lun); v.u32(16, s.itt); v.u32(20, s.ttt); v.u32(24, s.statsn);
    v.u32(28, s.expcmdsn); v.u32(32, s.maxcmdsn);
  }
};

struct ScsiResponse {
  static constexpr Opcode kOpcode = Opcode::ScsiResponse;
  bool bidi_overflow = false, bidi_underflow = false;  // o, u
  bool overflow = false, underflow = false;            // O, U
  uint8_t response = 0, status = 0;
  uint32_t itt = 0, snack_tag = 0, statsn = 0, expcmdsn = 0, maxcmdsn = 0, expdatasn = 0,
           bidi_residual = 0, residual = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.fixed(1, 0x80);
    v.bits(1, 0x10, s.bidi_overflow); v.bits(1, 0x08, s.bidi_underflow);
    v.bits(1, 0x04, s.overflow); v.bits(1, 0x02, s.underflow);
    v.u8(2, s.response); v.u8(3, s.status);
    v.u32(16, s.itt); v.u32(20, s.snack_tag); v.u32(24, s.statsn); v.u32(28, s.expcmdsn);
    v.u32(32, s.maxcmdsn); v.u32(36, s.expdatasn); v.u32(40, s.bidi_residual);
    v.u32(44, s.residual);
  }
};

struct TaskMgmtResp {
  static constexpr Opcode kOpcode = Opcode::TaskMgmtResp;
  uint8_t response = 0;
  uint32_t itt = 0, statsn = 0, expcmdsn = 0, maxcmdsn = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.fixed(1, 0x80); v.u8(2, s.response);
    v.u32(16, s.itt); v.u32(24, s.statsn); v.u32(28, s.expcmdsn); v.u32(32, s.maxcmdsn);
  }
};

struct LoginResp {
  static constexpr Opcode kOpcode = Opcode::LoginResp;
  bool transit = false, cont = false;
  uint8_t csg = 0, nsg = 0;
  uint8_t version_max = 0, version_active = 0;
  uint64_t isid = 0;  // 48 bits
  uint16_t tsih = 0;
  uint32_t itt = 0, statsn = 0, expcmdsn = 0, maxcmdsn = 0;
  uint8_t status_class = 0, status_detail = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.bits(1, 0x80, s.transit); v.bits(1, 0x40, s.cont); v.bits(1, 0x0C, s.csg);
    v.bits(1, 0x03, s.nsg);
    v.u8(2, s.version_max); v.u8(3, s.version_active); v.u48(8, s.isid); v.u16(14, s.tsih);
    v.u32(16, s.itt); v.u32(24, s.statsn); v.u32(28, s.expcmdsn); v.u32(32, s.maxcmdsn);
    v.u8(36, s.status_class); v.u8(37, s.status_detail);
  }
  // The response that moves the connection to full-feature phase.
  bool enters_full_feature() const {
    return transit && nsg == kFullFeaturePhase && status_class == 0;
  }
};

struct TextResp {
  static constexpr Opcode kOpcode = Opcode::TextResp;
  bool final = true, cont = false;
  uint64_t lun = 0;
  uint32_t itt = 0, ttt = kReservedTag, statsn = 0, expcmdsn = 0, maxcmdsn = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.bits(1, 0x80, s.final); v.bits(1, 0x40, s.cont);
    v.u64(8, s.lun); v.u32(16, s.itt); v.u32(20, s.ttt); v.u32(24, s.statsn);
    v.u32(28, s.expcmdsn); v.u32(32, s.maxcmdsn);
  }
};

// SCSI Data-In: its data belongs at buffer_offset in the buffer of the task named by itt.
// status, overflow, underflow and residual mean something only with has_status (S).
struct DataIn {
  static constexpr Opcode kOpcode = Opcode::DataIn;
  bool final = false, ack = false, overflow = false, underflow = false, has_status = false;
  uint8_t status = 0;
  uint64_t lun = 0;
  uint32_t itt = 0, ttt = kReservedTag, statsn = 0, expcmdsn = 0, maxcmdsn = 0, datasn = 0,
           buffer_offset = 0, residual = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.bits(1, 0x80, s.final); v.bits(1, 0x40, s.ack); v.bits(1, 0x04, s.overflow);
    v.bits(1, 0x02, s.underflow); v.bits(1, 0x01, s.has_status);
    v.u8(3, s.status);
    v.u64(8, s.lun); v.u32(16, s.itt); v.u32(20, s.ttt); v.u32(24, s.statsn);
    v.u32(28, s.expcmdsn); v.u32(32, s.maxcmdsn); v.u32(36, s.datasn);
    v.u32(40, s.buffer_offset); v.u32(44, s.residual);
  }
};

struct LogoutResp {
  static constexpr Opcode kOpcode = Opcode::LogoutResp;
  uint8_t response = 0;
  uint16_t time2wait = 0, time2retain = 0;
  uint32_t itt = 0, statsn = 0, expcmdsn = 0, maxcmdsn = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.fixed(1, 0x80); v.u8(2, s.response);
    v.u32(16, s.itt); v.u32(24, s.statsn); v.u32(28, s.expcmdsn); v.u32(32, s.maxcmdsn);
    v.u16(40, s.time2wait); v.u16(42, s.time2retain);
  }
};

struct R2t {
  static constexpr Opcode kOpcode = Opcode::R2T;
  uint64_t lun = 0;
  uint32_t itt = 0, ttt = 0, statsn = 0, expcmdsn = 0, maxcmdsn = 0, r2tsn = 0,
           buffer_offset = 0, desired_length = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.fixed(1, 0x80);
    v.u64(8, s.lun); v.u32(16, s.itt); v.u32(20, s.ttt); v.u32(24, s.statsn);
    v.u32(28, s.expcmdsn); v.u32(32, s.maxcmdsn); v.u32(36, s.r2tsn);
    v.u32(40, s.buffer_offset); v.u32(44, s.desired_length);
  }
};

// AsyncEvent codes (RFC 7143 11.9.1) a receiver acts on.
constexpr uint8_t kAsyncLogoutRequest = 1, kAsyncDropConnection = 2, kAsyncDropAllConnections = 3;

struct AsyncMsg {
  static constexpr Opcode kOpcode = Opcode::AsyncMsg;
  uint64_t lun = 0;
  uint32_t itt = kReservedTag, statsn = 0, expcmdsn = 0, maxcmdsn = 0;
  uint8_t event = 0, vcode = 0;
  uint16_t param1 = 0, param2 = 0, param3 = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.fixed(1, 0x80);
    v.u64(8, s.lun); v.u32(16, s.itt); v.u32(24, s.statsn); v.u32(28, s.expcmdsn);
    v.u32(32, s.maxcmdsn); v.u8(36, s.event); v.u8(37, s.vcode); v.u16(38, s.param1);
    v.u16(40, s.param2); v.u16(42, s.param3);
  }
};

// The data segment of a Reject holds the rejected PDU's header.
struct Reject {
  static constexpr Opcode kOpcode = Opcode::Reject;
  uint8_t reason = 0;
  uint32_t itt = kReservedTag, statsn = 0, expcmdsn = 0, maxcmdsn = 0, datasn_r2tsn = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v.fixed(1, 0x80); v.u8(2, s.reason);
    v.u32(16, s.itt); v.u32(24, s.statsn); v.u32(28, s.expcmdsn); v.u32(32, s.maxcmdsn);
    v.u32(36, s.datasn_r2tsn);
  }
};

using PduBody = std::variant<NopOut, ScsiCommand, TaskMgmtReq, LoginReq, TextReq, DataOut,
                             LogoutReq, Snack, NopIn, ScsiResponse, TaskMgmtResp, LoginResp,
                             TextResp, DataIn, LogoutResp, R2t, AsyncMsg, Reject>;
Opcode opcode_of(const PduBody& body);

// One whole PDU. `immediate` is meaningful for initiator PDUs (always set for Login Request).
struct Pdu {
  bool immediate = false;
  PduBody body;
  Bytes ahs;   // a multiple of 4 bytes
  Bytes data;  // the data segment without pad
  uint32_t hdgst = 0, ddgst = 0;  // digests as carried (when present)
};

// Whether a TCP payload begins with a Login PDU of opcode `op` (LoginReq from the initiator,
// LoginResp from the target) whose BHS is valid: how each direction of a connection opens.
bool starts_with_login(ByteView payload, Opcode op);

// Checks a BHS for `cp`: everything decode_pdu checks except digests.
PduError validate_bhs(const uint8_t* bhs, const ConnParams& cp);
// The opcode-specific fields of a BHS, unchecked; call validate_bhs first.
PduBody decode_body(const uint8_t* bhs);

// Complete PDU bytes (BHS, AHS, header digest, data, zero pad, data digest) for `cp`; throws
// std::invalid_argument when the PDU would not pass validate_bhs.
Bytes encode_pdu(const Pdu& pdu, const ConnParams& cp);

// Decodes and checks one PDU from the start of `bytes` (extra bytes are ignored). With
// `verify_digests` false, digests are read but not compared.
PduError decode_pdu(ByteView bytes, const ConnParams& cp, Pdu& out, bool verify_digests = true);

// READ(10) and READ(16) CDBs.
struct ReadCdb {
  uint64_t lba = 0;
  uint32_t blocks = 0;
};
Cdb make_read10(uint32_t lba, uint16_t blocks);
Cdb make_read16(uint64_t lba, uint32_t blocks);
bool parse_read(const Cdb& cdb, ReadCdb& out);  // false unless READ(10) or READ(16)

// Splits one direction's in-order byte stream into PDUs. Login PDUs are framed without
// digests; the direction's negotiated `full_feature` parameters apply from the first PDU that
// is not a Login PDU after one that moved to full-feature phase (T set, NSG 3): the final
// response in the target's direction, the last request in the initiator's. During login the
// data segment limit is the RFC's login-phase 8192 bytes.
class StreamDecoder {
 public:
  explicit StreamDecoder(ConnParams full_feature = {}, bool in_login = true)
      : ff_(full_feature), in_login_(in_login) {}
  // The negotiated parameters, often known only once the login text has been read.
  void set_full_feature_params(const ConnParams& cp) { ff_ = cp; }
  bool in_login() const { return in_login_; }
  ConnParams current_params() const;
  void feed(ByteView bytes);
  // Next complete PDU, if any. A framing error (unknown opcode, over-long data segment, bad
  // header digest) returns true with `err` set and ends the stream (`failed()`); other errors
  // are per PDU and framing continues.
  bool next(Pdu& out, PduError& err, bool verify_digests = true);
  bool failed() const { return failed_; }
  uint64_t consumed() const { return consumed_; }  // stream offset of the next PDU start
  size_t buffered() const { return buf_.size(); }

 private:
  ConnParams ff_;
  bool in_login_;
  bool login_final_seen_ = false;
  StreamBuffer buf_;
  uint64_t consumed_ = 0;
  bool failed_ = false;
};

}  // namespace nic::iscsi
