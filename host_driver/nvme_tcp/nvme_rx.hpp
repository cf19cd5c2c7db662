// NVMe/TCP host receive path of one connection in the driver model: what Linux nvme-tcp
// does with the in-order byte stream TCP hands it, with receive offload (ulp-ddp) in mind.
//
// It frames PDUs incrementally (a PDU may span any number of chunks; data is never buffered
// whole) and, for each C2HData of an outstanding read:
//   * copies into the command buffer the data bytes the NIC did not place. A byte counts as
//     placed only if the arrival TCP accepted for it was a placed run, and that run put it
//     exactly where this parse says it belongs (same CID, same buffer offset); every other
//     byte is copied, so the buffer ends byte-exact whatever the NIC did;
//   * checks the data digest: skipped only when every accepted arrival carrying the PDU's data
//     or digest bytes was CRC-ok (the NIC's placement is then trusted, as Linux trusts it);
//     otherwise recomputed in software over the command buffer, i.e. over what the user gets.
// A read completes on its CapsuleResp or on a C2HData with SUCCESS; errors found on the way
// stick to the command and are reported at completion.
//
// Integrity rule: a read ends ok only if every byte of its buffer is the byte the controller
// sent for it, at its offset, before its completion in TCP sequence order. The parse checks
// what only it can see: data for buffer bytes already received (Overlap), and bytes the NIC
// placed that the parse does not take as this read's data at that offset (Misplaced: header,
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
#include "proto/nvme_tcp.hpp"

namespace nic::host {

enum class CmdStatus : uint8_t {
  Ok,
  DigestError,  // data digest mismatch
  BadPdu,       // data outside the command's buffer, or the connection lost framing
  NvmeError,    // the controller completed the command with an error status
  ShortData,    // completed successfully but some buffer bytes never arrived
  Terminated,   // the controller sent C2HTermReq
  Overlap,      // C2HData for buffer bytes the read had already received
  Misplaced,    // the NIC placed bytes into the buffer that are not its data at that offset
  LatePlacement,  // the NIC placed bytes from beyond the read's completion into the buffer
};
const char* to_string(CmdStatus s);  // "ok", "digest_error", "bad_pdu", ...
// Overlap, Misplaced, LatePlacement: the buffer may hold bytes that are not the read's.
inline bool is_integrity(CmdStatus s) {
  return s == CmdStatus::Overlap || s == CmdStatus::Misplaced || s == CmdStatus::LatePlacement;
}
// A status under which the buffer still holds what the controller sent (ok, digest_error,
// nvme_error, short_data): an integrity failure found later replaces it.
inline bool vouches_for_buffer(CmdStatus s) {
  return s == CmdStatus::Ok || s == CmdStatus::DigestError || s == CmdStatus::NvmeError ||
         s == CmdStatus::ShortData;
}

enum class CrcMode : uint8_t {
  None,  // no data digests on the connection (or no data PDU verified)
  Hw,    // every data PDU was verified by the NIC
  Sw,    // at least one data PDU was verified in software
};
const char* to_string(CrcMode m);  // "none", "hw", "sw"

// Access to command buffers (the wrapper maps CID + offset to host memory through the SGL).
struct BufferIo {
  virtual ~BufferIo() = default;
  virtual void write(uint16_t cid, uint32_t off, ByteView data) = 0;
  virtual void read(uint16_t cid, uint32_t off, uint8_t* out, size_t n) = 0;
};

struct CmdResult {
  uint16_t cid = 0;
  CmdStatus status = CmdStatus::Ok;
  CrcMode crc = CrcMode::None;
  uint32_t length = 0;
  uint32_t placed_bytes = 0;  // buffer bytes the NIC placed, each counted once
  uint32_t copied_bytes = 0;  // buffer bytes the driver copied, each counted once
  uint16_t nvme_status = 0;   // CQE status field without the phase bit; 0 with SUCCESS
};

struct NvmeRxStats {
  uint64_t pdus = 0;
  uint64_t data_pdus = 0;
  uint64_t hw_crc_pdus = 0;  // data digests trusted from the NIC
  uint64_t sw_crc_pdus = 0;  // data digests computed in software
  uint64_t sw_crc_bytes = 0;
  uint64_t digest_errors = 0;
  uint64_t placed_bytes = 0;
  uint64_t copied_bytes = 0;
  uint64_t misplaced_bytes = 0;   // marked placed but not data where the parse puts it
  uint64_t unknown_cid_pdus = 0;  // data or responses for no outstanding command: skipped
  uint64_t overrun_pdus = 0;      // C2HData past its command's length: skipped, command fails
  uint64_t overlap_pdus = 0;      // C2HData for bytes its command already received: command fails
  uint64_t misplaced_reads = 0;   // commands failed for bytes the NIC placed where they do not belong
  uint64_t late_reads = 0;        // commands failed for bytes placed from beyond their completion
  uint64_t framing_failures = 0;  // connections lost to a malformed PDU
  uint64_t terminated = 0;        // connections the controller ended with C2HTermReq
  uint64_t ignored_pdus = 0;      // R2T, ICResp: nothing for a reading host to do
  uint64_t resync_requests = 0;
  uint64_t resync_confirmed = 0;
  uint64_t resync_dropped = 0;  // passed or not a header start: never confirmed
  NvmeRxStats& operator+=(const NvmeRxStats& o);
};

class NvmeRx {
 public:
  using OnComplete = std::function<void(const CmdResult&)>;
  using OnResyncConfirm = std::function<void(uint32_t seq)>;

  // `start_seq`: TCP sequence of the first stream byte, where a PDU starts.
  NvmeRx(const nvme::ConnParams& cp, BufferIo& io, uint32_t start_seq, OnComplete on_complete,
         OnResyncConfirm on_resync = {});

  // An outstanding read of `length` bytes; false if the CID is already outstanding or the
  // connection is down. The command leaves the table when it completes (before the callback,
  // so the callback may reuse the CID).
  // `buffer` names the command's buffer as placed ranges do (RangeAttr::buffer): a byte
  // counts as placed only if the NIC placed it into this very buffer.
  bool add_command(uint16_t cid, uint32_t length, uint64_t buffer = 0);
  size_t outstanding() const { return cmds_.size(); }
  // The NIC placed bytes ending just before TCP sequence `end_seq` into `buffer`, registered
  // for `cid` (called for every placed run as its completion arrives, before its bytes are
  // given to on_data). False if no outstanding command of `cid` owns that buffer: the read
  // it belongs to has completed already, so the placement came from beyond its completion.
  bool placed(uint16_t cid, uint64_t buffer, uint32_t end_seq);

  // The next in-order bytes: `seq` must be next_seq(); `attrs` tile `data`.
  void on_data(uint32_t seq, ByteView data, const RangeAttrs& attrs);

  // The NIC asks whether a PDU header starts at `seq`; replaces any earlier request. Confirmed
  // (through OnResyncConfirm) when this parse starts a header exactly there; a sequence the
  // parse has already passed, or that falls inside a PDU, is never confirmed. So only the
  // parse position is kept, no history: the request must arrive before the bytes at `seq`,
  // as it does when the driver handles a packet's resync flag before the packet's payload.
  void resync_request(uint32_t seq);

  uint32_t next_seq() const { return seq_; }  // sequence of the next byte expected
  bool at_pdu_boundary() const { return phase_ == Phase::Header && have_ == 0; }
  bool failed() const { return dead_; }  // framing lost or controller terminated
  CmdStatus failure() const { return failure_; }  // BadPdu or Terminated once failed()
  nvme::PduError failure_error() const { return failure_error_; }  // None for a TermReq
  const NvmeRxStats& stats() const { return stats_; }

 private:
  enum class Phase : uint8_t { Header, Data, DataDigest };
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
    // vouches for the buffer (a digest error): the buffer holds bytes the controller did not
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
  void data_header();  // a C2HData header (up to PDO) is in hdr_
  void data_bytes(ByteView b, const RangeAttr& a);
  void data_end();  // all DATAL bytes seen: digest next, or done
  void data_pdu_done();
  bool data_digest_ok(uint16_t cid, uint32_t off, uint32_t len, uint32_t expect);
  void complete(uint16_t cid, uint16_t nvme_status);
  // Bytes the NIC placed into `buffer` that this parse does not take as placed data.
  void misplaced(uint64_t buffer, size_t n);
  // The connection is gone: every command fails; `why` is the header error, None for TermReq.
  void fail_all(CmdStatus s, nvme::PduError why);
  void next_pdu();

  const nvme::ConnParams cp_;
  BufferIo& io_;
  OnComplete on_complete_;
  OnResyncConfirm on_resync_;
  std::unordered_map<uint16_t, Cmd> cmds_;

  // Current PDU.
  Phase phase_ = Phase::Header;
  uint32_t seq_;          // sequence of the next byte
  uint32_t pdu_seq_ = 0;  // sequence of the current PDU's first byte
  uint8_t hdr_[256];      // header, digest and pad (data PDUs) or whole PDU
  uint32_t have_ = 0;     // bytes of hdr_ (Header) or digest (DataDigest) held
  uint32_t need_ = nvme::kCommonHeaderLen;
  nvme::CommonHeader ch_;
  uint32_t plen_known_ = 0;  // PLEN once the common header is in, else 0
  uint16_t cid_ = 0;
  uint32_t datao_ = 0, datal_ = 0, data_done_ = 0;
  Cmd* cmd_ = nullptr;      // command receiving the data, null when skipped (map nodes stay put)
  bool crc_ok_all_ = true;  // every data/digest byte came from a CRC-ok packet
  uint8_t ddgst_[4];

  std::optional<uint32_t> resync_;
  bool dead_ = false;
  CmdStatus failure_ = CmdStatus::Ok;
  nvme::PduError failure_error_ = nvme::PduError::None;
  Bytes crc_scratch_;
  NvmeRxStats stats_;
};

}  // namespace nic::host
