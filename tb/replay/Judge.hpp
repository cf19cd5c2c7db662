// The replay judged against the independent decode of the trace (tb/check): every read the
// trace completes must end byte-exact, with the status the trace implies (digest_error for a
// corrupted digest), and every read the trace breaks must have failed in the driver. Reads are matched as each side finishes them, in either order, and
// forgotten once judged, so only reads one side has finished and the other not yet are kept.
// The verdict also carries what the decode could not follow, since a pass must have checked
// the trace's reads.
#pragma once
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "host_driver/ulp_rx/storage_host.hpp"
#include "tb/check/trace_reference.hpp"
#include "util/byte_pool.hpp"

namespace nic::tb {

struct Verdict {
  size_t checked = 0;     // reads the trace completes
  // Reads the trace breaks (framing lost, TermReq, data past the read): each must have failed
  // (any status but ok); the buffer is not judged.
  size_t broken = 0;
  size_t incomplete = 0;  // reads the trace leaves unfinished: not judged
  // Reads the trace completes that the driver failed with late_placement, where the trace
  // has data for their CID after their completion: a safe outcome, not a wrong one.
  size_t failed_safe = 0;
  std::vector<std::string> mismatches;
  bool skipped = false;   // the replay ran without the reference decode (--no-verify)
  // NVMe/TCP connections of the trace whose reads were not (all) followed, and why; those
  // where most frames fail their checksums; records cut by the snap length.
  std::vector<check::NotFollowed> not_followed, checksum_failures;
  uint64_t cut_records = 0;
  uint32_t snaplen = 0;
  uint64_t reads_not_followed() const;  // those counted (a mid-stream join's are not)
  // Every read of the trace followed, and at least one: a pass means something was checked.
  bool followed_all() const { return not_followed.empty() && checked + broken + incomplete > 0; }
  bool ok() const { return mismatches.empty(); }
};

// One line on a connection not followed: who, how many reads, why, and what would help.
std::string describe(const check::NotFollowed& n);

class Judge {
 public:
  Judge() = default;

  // A read the reference decode finished. Its bytes are taken without copying, and a spare
  // buffer (of a read judged earlier) is left in `e.data` for the decoder's next reads.
  void reference(check::ReferenceCommand&& e);
  // A read the driver completed, with its buffer's final bytes.
  void driver(const host::CommandRecord& c, ByteView buffer);
  // The trace has C2HData for the CID of read `order` after its completion that is no later
  // read's own data (check::ReferenceDecoder::set_late_data_hook).
  void late_data(const std::string& flow, uint32_t order);
  // A frame the NIC dropped. A replayed trace never retransmits it, so the reads of its
  // connection behind it cannot complete; the verdict says so next to each of them.
  void nic_dropped(ByteView frame, const net::PortList& nvme_ports,
                   const net::PortList& iscsi_ports);
  // After both sides are done: isolation violations first, then every mismatch in the order
  // found, then reads the trace completes that the driver never did.
  Verdict finish(const std::vector<std::string>& isolation_reports);
  size_t waiting() const { return expected_.size() + reported_.size(); }
  size_t waiting_max() const { return waiting_max_; }

 private:
  using Key = std::pair<std::string, uint32_t>;  // (flow, order)
  struct Expect {
    uint32_t tag = 0;  // CID or ITT
    bool iscsi = false;
    std::string status;  // "ok", "digest_error", "nvme_error" or "short_data"
    std::string problem;  // set for a read the trace breaks: any status but ok will do
    bool may_fail = false;  // after_late_data: failing is as right as the expected outcome
    bool judge_bytes = false;  // false for short_data: what the buffer holds there is undefined
    Bytes data;          // the bytes the buffer must hold, while the driver has not finished
    std::string sha256;  // their digest, when the driver finished first
  };
  void judge(const Key& k, const Expect& e, const host::CommandRecord& c, ByteView got);

  void note_waiting() { waiting_max_ = std::max(waiting_max_, waiting()); }

  Verdict v_;
  size_t waiting_max_ = 0;
  BytePool spare_;  // buffers of judged reads, handed back to the decoder
  std::map<Key, Expect> expected_;  // the reference finished them, the driver not yet
  // The driver finished them, the reference has not judged them. The reference sees every
  // completion before the driver can, so what stays here (until the end) are reads it left
  // unjudged: rare, and only in garbled traces.
  std::map<Key, host::CommandRecord> reported_;
  std::map<std::string, uint64_t> dropped_;  // controller frames the NIC dropped, by host flow
  std::set<Key> late_;  // reads with data for their CID after their completion (rare)
  // Reads failed with late_placement before the decode reached the data that explains it
  // (behind a hole): settled by late_data(), or a mismatch at the end.
  std::set<Key> late_pending_;
};

}  // namespace nic::tb
