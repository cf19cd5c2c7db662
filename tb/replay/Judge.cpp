#include "tb/replay/Judge.hpp"

#include <algorithm>

#include "proto/net.hpp"
#include "util/sha256.hpp"

namespace nic::tb {

namespace {
std::string read_name(const std::string& flow, uint32_t order, uint32_t tag, bool iscsi = false) {
  return flow + " read #" + std::to_string(order) + (iscsi ? " (itt " : " (cid ") +
         std::to_string(tag) + ")";
}
}  // namespace

void Judge::reference(check::ReferenceCommand&& e) {
  const Key k{std::move(e.flow), e.order};
  Expect x;
  x.tag = e.tag;
  x.iscsi = e.iscsi;
  x.may_fail = e.after_late_data;
  if (!e.problem.empty()) {
    ++v_.broken;
    x.problem = e.problem;
  } else if (!e.completed) {
    ++v_.incomplete;
    reported_.erase(k);
    return;
  } else {
    ++v_.checked;
    // A read completed with bytes never sent: what its buffer holds there is undefined, so
    // only the status is judged.
    const bool short_data = !e.status && !e.digest_error && e.bytes_covered < e.length;
    x.status = e.digest_error ? "digest_error"
               : e.status     ? (e.iscsi ? "scsi_error" : "nvme_error")
               : short_data   ? "short_data"
                              : "ok";
    x.judge_bytes = !short_data;
  }
  auto r = reported_.find(k);
  if (r == reported_.end()) {
    // The usual order: the driver finishes the read later and hands over its bytes, compared
    // as they are (no digest of either side needed).
    if (x.judge_bytes) {
      x.data = std::move(e.data);
      e.data = spare_.take();
    }
    expected_.emplace(k, std::move(x));
    note_waiting();
    return;
  }
  // The driver finished first: only its record's digest (or kept bytes) is left to compare.
  if (x.judge_bytes) x.sha256 = e.sha256();
  if (x.judge_bytes && !r->second.data.empty()) x.data = std::move(e.data);
  judge(k, x, r->second, r->second.data);
  reported_.erase(r);
}

void Judge::driver(const host::CommandRecord& c, ByteView buffer) {
  const Key k{c.flow, c.order};
  auto x = expected_.find(k);
  if (x == expected_.end()) {
    auto r = reported_.emplace(k, c).first;
    // Judged later, when only the record is left: it needs a digest of the buffer.
    if (r->second.sha256.empty() && r->second.data.empty()) r->second.sha256 = sha256_hex(buffer);
    note_waiting();
    return;
  }
  judge(k, x->second, c, buffer);
  spare_.give(std::move(x->second.data));
  expected_.erase(x);
}

void Judge::judge(const Key& k, const Expect& e, const host::CommandRecord& c, ByteView got) {
  const std::string who = read_name(k.first, k.second, e.tag, e.iscsi);
  if (!e.problem.empty()) {
    if (c.status == "ok") v_.mismatches.push_back(who + ": status ok, but the trace says " + e.problem);
    return;
  }
  if (e.may_fail && c.status != "ok") return;
  if (c.status == "late_placement") {
    if (!late_.erase(k)) late_pending_.insert(k);
    else ++v_.failed_safe;
    return;
  }
  const bool have_bytes = !e.data.empty() && got.size == e.data.size();
  const bool same = !e.judge_bytes ? true
                    : have_bytes   ? std::equal(e.data.begin(), e.data.end(), got.data)
                                   : c.sha256 == e.sha256;
  if (!same) {
    std::string where;
    if (have_bytes) {  // name the first wrong byte
      const auto d = std::mismatch(e.data.begin(), e.data.end(), got.data);
      const size_t at = size_t(d.first - e.data.begin());
      size_t n = 0;
      for (size_t i = at; i < e.data.size(); ++i) n += got.data[i] != e.data[i];
      where = " (first wrong byte at offset " + std::to_string(at) + ", " + std::to_string(n) +
              " wrong bytes)";
    }
    const std::string got_sha = c.sha256.empty() ? sha256_hex(got) : c.sha256;
    v_.mismatches.push_back(who + ": buffer sha256 " + got_sha + " != trace data " +
                            (e.sha256.empty() ? sha256_hex(e.data) : e.sha256) + where);
  } else if (c.status != e.status) {
    v_.mismatches.push_back(who + ": status " + c.status + ", trace says " + e.status);
  }
}

void Judge::late_data(const std::string& flow, uint32_t order) {
  const Key k{flow, order};
  if (late_pending_.erase(k))
    ++v_.failed_safe;
  else
    late_.insert(k);
}

void Judge::nic_dropped(ByteView frame, const net::PortList& nvme_ports,
                        const net::PortList& iscsi_ports) {
  net::ParsedFrame pf;
  if (net::parse_frame(frame, pf, false) != net::ParseError::None) return;
  if (nvme_ports.has(pf.tuple.sport) || iscsi_ports.has(pf.tuple.sport))
    ++dropped_[net::endpoint_str(pf.tuple.dst, pf.tuple.dport)];
}

uint64_t Verdict::reads_not_followed() const {
  uint64_t n = 0;
  for (const check::NotFollowed& f : not_followed) n += f.reads;
  return n;
}

std::string describe(const check::NotFollowed& n) {
  using W = check::NotFollowed::Why;
  std::string s = n.flow + " (port " + std::to_string(n.port) + "): ";
  s += n.reads_known ? std::to_string(n.reads) + " reads not followed: " : "reads not counted: ";
  switch (n.why) {
    case W::Port:
      s += n.iscsi ? "iSCSI on a port not followed" : "NVMe/TCP on a port not followed (add it to --nvme-port)";
      break;
    case W::MidStream:
      s += n.iscsi ? "joined mid-stream, not followed (the capture holds neither the TCP handshake "
                     "nor the login, whose keys say which digests the PDUs carry)"
                   : "joined mid-stream, not followed (the capture holds neither the TCP handshake nor ICReq/ICResp)";
      break;
    case W::Checksum:
      s += "checksums fail on " + std::to_string(n.bad_checksum) + " of " + std::to_string(n.frames) +
           " frames, which a receiver drops (a capture on a host with checksum offload, or on "
           "loopback? replay with --fix-checksums)";
      break;
    case W::Snaplen:
      s += std::to_string(n.cut) + " records cut short by the snap length (recapture with tcpdump -s 0)";
      break;
    case W::Oversize:
      s += std::to_string(n.oversize) + " controller frames longer than mac.max_frame_bytes, "
           "which the MAC drops (a capture on a host with TSO/GSO/GRO, or on loopback? replay "
           "with --split-gso)";
      break;
    case W::Other:
      s += "its stream could not be followed";
      break;
  }
  return s;
}

Verdict Judge::finish(const std::vector<std::string>& isolation_reports) {
  Verdict v = std::move(v_);
  v_ = Verdict{};
  std::vector<std::string> all;
  for (const std::string& s : isolation_reports) all.push_back("isolation violation: " + s);
  all.insert(all.end(), v.mismatches.begin(), v.mismatches.end());
  for (const auto& [k, e] : expected_) {
    std::string why = e.problem.empty() ? ": never completed by the driver"
                                        : ": never failed by the driver (trace: " + e.problem + ")";
    if (auto d = dropped_.find(k.first); d != dropped_.end())
      why += " (the NIC dropped " + std::to_string(d->second) +
             " of the controller's frames on this connection, and a replayed trace never "
             "retransmits them)";
    all.push_back(read_name(k.first, k.second, e.tag, e.iscsi) + why);
  }
  for (const Key& k : late_pending_)
    all.push_back(read_name(k.first, k.second, 0) +
                  ": status late_placement, but the trace has no stray data for its CID after it");
  expected_.clear();
  reported_.clear();
  late_.clear();
  late_pending_.clear();
  v.mismatches = std::move(all);
  return v;
}

}  // namespace nic::tb
