// A host's receive path of one connection of a storage protocol over TCP (NVMe/TCP, iSCSI),
// with receive offload in mind: what Linux nvme-tcp or an iSCSI initiator does with the
// in-order byte stream TCP hands it. The protocol is a template parameter (PduRx<Proto>, the
// contract below); this part knows only PDUs with a header, data for a read's buffer, a pad
// and a data digest.
//
// It frames PDUs incrementally (a PDU may span any number of chunks; data is never buffered
// whole) and, for each data PDU of an outstanding read:
//   * copies into the read's buffer the data bytes the NIC did not place. A byte counts as
//     placed only if the arrival TCP accepted for it was a placed run, and that run put it
//     exactly where this parse says it belongs (same tag, same buffer offset); every other
//     byte is copied, so the buffer ends byte-exact whatever the NIC did;
//   * checks the data digest: skipped only when every accepted arrival carrying the PDU's data,
//     pad or digest bytes was CRC-ok (the NIC's placement is then trusted, as Linux trusts it);
//     otherwise recomputed in software over the read's buffer, i.e. over what the user gets
//     (plus the pad as received, which iSCSI's digest covers).
// A read completes on the PDU the protocol says ends it; errors found on the way stick to the
// read and are reported at completion.
//
// Integrity rule: a read ends ok only if every byte of its buffer is the byte the target sent
// for it, at its offset, before its completion in TCP sequence order. The parse checks what
// only it can see: data for buffer bytes already received (Overlap), and bytes the NIC placed
// that the parse does not take as this read's data at that offset (Misplaced: header, pad,
// digest or skipped bytes, another read's data, a PDU the parse rejects). The driver tells it
// where the NIC placed bytes as completions arrive (placed()), which may be before the parse
// reaches them: bytes placed from beyond the read's completion fail it (LatePlacement).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "host_driver/ulp_ddp/placed_runs.hpp"
#include "util/bytes.hpp"

namespace nic::host {

enum class CmdStatus : uint8_t {
  Ok,
  DigestError,  // data digest mismatch
  BadPdu,       // data outside the read's buffer, or the connection lost framing
  NvmeError,    // the NVMe controller completed the command with an error status
  ShortData,    // completed successfully but some buffer bytes never arrived
  Terminated,   // the target ended the connection (NVMe/TCP C2HTermReq, iSCSI Async Message)
  Overlap,      // data for buffer bytes the read had already received
  Misplaced,    // the NIC placed bytes into the buffer that are not its data at that offset
  LatePlacement,  // the NIC placed bytes from beyond the read's completion into the buffer
  ScsiError,    // the iSCSI target completed the task with a non-GOOD status or a failure
};
const char* to_string(CmdStatus s);  // "ok", "digest_error", "bad_pdu", ...
// Overlap, Misplaced, LatePlacement: the buffer may hold bytes that are not the read's.
inline bool is_integrity(CmdStatus s) {
  return s == CmdStatus::Overlap || s == CmdStatus::Misplaced || s == CmdStatus::LatePlacement;
}
// A status under which the buffer still holds what the target sent (ok, digest_error,
// nvme_error, scsi_error, short_data): an integrity failure found later replaces it.
inline bool vouches_for_buffer(CmdStatus s) {
  return s == CmdStatus::Ok || s == CmdStatus::DigestError || s == CmdStatus::NvmeError ||
         s == CmdStatus::ShortData || s == CmdStatus::ScsiError;
}

enum class CrcMode : uint8_t {
  None,  // no data digests on the connection (or no data PDU verified)
  Hw,    // every data PDU was verified by the NIC
  Sw,    // at least one data PDU was verified in software
};
const char* to_string(CrcMode m);  // "none", "hw", "sw"

// Access to read buffers (the host maps tag + offset to host memory through the SGL).
struct BufferIo {
  virtual ~BufferIo() = default;
  virtual void write(uint32_t tag, uint32_t off, ByteView data) = 0;
  virtual void read(uint32_t tag, uint32_t off, uint8_t* out, size_t n) = 0;
};

struct CmdResult {
  uint32_t tag = 0;
  CmdStatus status = CmdStatus::Ok;
  CrcMode crc = CrcMode::None;
  uint32_t length = 0;
  uint32_t placed_bytes = 0;  // buffer bytes the NIC placed, each counted once
  uint32_t copied_bytes = 0;  // buffer bytes the driver copied, each counted once
  // The protocol's completion status: NVMe status field without the phase bit (0 with
  // SUCCESS), SCSI status (with the iSCSI response code above it when that is not 0).
  uint16_t ulp_status = 0;
};

struct RxStats {
  uint64_t pdus = 0;
  uint64_t data_pdus = 0;
  uint64_t hw_crc_pdus = 0;  // data digests trusted from the NIC
  uint64_t sw_crc_pdus = 0;  // data digests computed in software
  uint64_t sw_crc_bytes = 0;
  uint64_t digest_errors = 0;
  uint64_t placed_bytes = 0;
  uint64_t copied_bytes = 0;
  uint64_t misplaced_bytes = 0;   // marked placed but not data where the parse puts it
  uint64_t unknown_tag_pdus = 0;  // data or responses for no outstanding read: skipped
  uint64_t overrun_pdus = 0;      // data past its read's length: skipped, the read fails
  uint64_t overlap_pdus = 0;      // data for bytes its read already received: the read fails
  uint64_t rejected_pdus = 0;     // data PDUs whose header broke a rule: skipped, the read fails
  uint64_t misplaced_reads = 0;   // reads failed for bytes the NIC placed where they do not belong
  uint64_t late_reads = 0;        // reads failed for bytes placed from beyond their completion
  uint64_t framing_failures = 0;  // connections lost to a malformed PDU
  uint64_t terminated = 0;        // connections the target ended
  uint64_t ignored_pdus = 0;      // PDUs with nothing for a reading host to do
  uint64_t resync_requests = 0;
  uint64_t resync_confirmed = 0;
  uint64_t resync_dropped = 0;  // passed or not a header start: never confirmed
  RxStats& operator+=(const RxStats& o);
};

// What a protocol tells the receive path about a PDU (filled by the Proto calls below).
struct RxHead {
  uint32_t need = 0;     // header bytes to collect: a data PDU's up to its data, any other whole
  uint32_t pdu_len = 0;  // the whole PDU, digests and pads included
  bool data = false;     // a data PDU: its data streams into a read's buffer
};
struct RxData {
  uint32_t tag = 0, buf_off = 0, len = 0;
  uint8_t pad = 0;       // bytes after the data that the data digest covers
  bool ddgst = false;
  bool ends_io = false;  // the read completes with this PDU, with `status`
  uint16_t status = 0;
  bool reject = false;   // the header breaks a rule of its own: data skipped, the read fails and ends
};
struct RxControl {
  enum class Kind : uint8_t { Ignore, Complete, Terminate } kind = Kind::Ignore;
  uint32_t tag = 0;
  uint16_t status = 0;
};

// What a host needs of one connection's receive path, whatever its protocol (PduRx<Proto>).
class ReadRx {
 public:
  virtual ~ReadRx() = default;
  virtual bool add_command(uint32_t tag, uint32_t length, uint64_t buffer) = 0;
  virtual bool placed(uint32_t tag, uint64_t buffer, uint32_t end_seq) = 0;
  virtual void on_data(uint32_t seq, ByteView data, const RangeAttrs& attrs) = 0;
  virtual void resync_request(uint32_t seq) = 0;
  virtual uint32_t next_seq() const = 0;
  virtual bool failed() const = 0;
  virtual CmdStatus failure() const = 0;
  virtual const RxStats& stats() const = 0;
};

// The protocol contract:
//   using Conn = ...; using Error = ...;          its connection parameters and error enum
//   static constexpr Error kNone;
//   static constexpr uint32_t kPrefixLen;         bytes that tell a header's length
//   static constexpr CmdStatus kStatusError;      a completion whose status is not 0
//   static Error prefix(const uint8_t* p, const Conn&, RxHead&);
//   static Error data_header(const uint8_t* hdr, const Conn&, RxData&);  digest checked too
//   static Error control(ByteView pdu, const Conn&, RxControl&);         any other PDU, whole
template <class Proto>
class PduRx final : public ReadRx {
 public:
  using Conn = typename Proto::Conn;
  using Error = typename Proto::Error;
  using OnComplete = std::function<void(const CmdResult&)>;
  using OnResyncConfirm = std::function<void(uint32_t seq)>;

  // `start_seq`: TCP sequence of the first stream byte, where a PDU starts.
  PduRx(const Conn& cp, BufferIo& io, uint32_t start_seq, OnComplete on_complete,
        OnResyncConfirm on_resync = {});

  // An outstanding read of `length` bytes; false if the tag is already outstanding or the
  // connection is down. The read leaves the table when it completes (before the callback,
  // so the callback may reuse the tag).
  // `buffer` names the read's buffer as placed ranges do (RangeAttr::buffer): a byte counts
  // as placed only if the NIC placed it into this very buffer.
  bool add_command(uint32_t tag, uint32_t length, uint64_t buffer = 0) override;
  size_t outstanding() const { return cmds_.size(); }
  // The NIC placed bytes ending just before TCP sequence `end_seq` into `buffer`, registered
  // for `tag` (called for every placed run as its completion arrives, before its bytes are
  // given to on_data). False if no outstanding read of `tag` owns that buffer: the read it
  // belongs to has completed already, so the placement came from beyond its completion.
  bool placed(uint32_t tag, uint64_t buffer, uint32_t end_seq) override;

  // The next in-order bytes: `seq` must be next_seq(); `attrs` tile `data`.
  void on_data(uint32_t seq, ByteView data, const RangeAttrs& attrs) override;

  // The NIC asks whether a PDU header starts at `seq`; replaces any earlier request. Confirmed
  // (through OnResyncConfirm) when this parse starts a header exactly there; a sequence the
  // parse has already passed, or that falls inside a PDU, is never confirmed. So only the
  // parse position is kept, no history: the request must arrive before the bytes at `seq`,
  // as it does when the driver handles a packet's resync flag before the packet's payload.
  void resync_request(uint32_t seq) override;

  uint32_t next_seq() const override { return seq_; }  // sequence of the next byte expected
  bool at_pdu_boundary() const { return phase_ == Phase::Header && have_ == 0; }
  bool failed() const override { return dead_; }  // framing lost or the target terminated
  CmdStatus failure() const override { return failure_; }  // BadPdu or Terminated once failed()
  Error failure_error() const { return failure_error_; }  // kNone for a termination
  const RxStats& stats() const override { return stats_; }

 private:
  enum class Phase : uint8_t { Header, Data, Pad, DataDigest };
  struct Interval {
    uint32_t lo, hi;
  };
  struct Cmd {
    uint32_t length = 0;
    uint64_t buffer = 0;
    CmdStatus status = CmdStatus::Ok;  // first local error sticks
    CrcMode crc = CrcMode::None;
    uint32_t placed = 0, copied = 0;
    std::vector<Interval> covered;  // buffer bytes received so far, merged
    bool any_placed = false;
    uint32_t placed_seq_end = 0;    // furthest TCP sequence the NIC placed bytes from
    // The first error sticks, except that an integrity failure replaces a status that still
    // vouches for the buffer (a digest error): the buffer holds bytes the target did not
    // send there.
    bool fail(CmdStatus s) {
      if (status != CmdStatus::Ok && !(is_integrity(s) && vouches_for_buffer(status))) return false;
      status = s;
      return true;
    }
  };

  // Bytes of one attribute range (split across phases as the PDU structure dictates).
  void consume(ByteView b, RangeAttr a);
  void header_start();
  void header_complete();
  void control_pdu();  // a whole non-data PDU is in hdr_
  void data_header();  // a data PDU's header (up to its data) is in hdr_
  void data_bytes(ByteView b, const RangeAttr& a);
  void data_end();  // all data bytes seen: pad, digest, or done
  void data_pdu_done();
  bool data_digest_ok(uint32_t tag, uint32_t off, uint32_t len, uint32_t expect);
  void complete(uint32_t tag, uint16_t status);
  // Bytes the NIC placed into `buffer` that this parse does not take as placed data.
  void misplaced(uint64_t buffer, size_t n);
  // The connection is gone: every read fails; `why` is the header error, kNone otherwise.
  void fail_all(CmdStatus s, Error why);
  void next_pdu();

  const Conn cp_;
  BufferIo& io_;
  OnComplete on_complete_;
  OnResyncConfirm on_resync_;
  std::unordered_map<uint32_t, Cmd> cmds_;

  // Current PDU.
  Phase phase_ = Phase::Header;
  uint32_t seq_;          // sequence of the next byte
  uint32_t pdu_seq_ = 0;  // sequence of the current PDU's first byte
  Bytes hdr_;             // header up to the data (data PDUs) or whole PDU, as collected
  uint32_t have_ = 0;     // bytes of hdr_ (Header), pad or digest held
  uint32_t need_ = Proto::kPrefixLen;
  RxHead head_;
  uint32_t pdu_len_known_ = 0;  // the PDU's length once its prefix is in, else 0
  RxData d_;
  uint32_t data_done_ = 0;
  Cmd* cmd_ = nullptr;      // read receiving the data, null when skipped (map nodes stay put)
  bool crc_ok_all_ = true;  // every data/pad/digest byte came from a CRC-ok packet
  uint8_t pad_[4];
  uint8_t ddgst_[4];

  std::optional<uint32_t> resync_;
  bool dead_ = false;
  CmdStatus failure_ = CmdStatus::Ok;
  Error failure_error_ = Proto::kNone;
  Bytes crc_scratch_;
  RxStats stats_;
};

}  // namespace nic::host
