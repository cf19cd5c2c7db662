// PduRx's template bodies: included by the one .cpp of each protocol that instantiates it
// (host_driver/nvme_tcp/nvme_rx.cpp, host_driver/iscsi/iscsi_rx.cpp).
#pragma once
#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "host_driver/ulp_rx/pdu_rx.hpp"
#include "proto/crc32c.hpp"

namespace nic::host {

namespace pdu_rx_detail {

// Adds [lo, hi) to a sorted list of disjoint intervals, merging; returns how many of its bytes
// were not covered before. Data arrives mostly in order, so appending is the common case.
template <class Interval>
uint32_t cover(std::vector<Interval>& v, uint32_t lo, uint32_t hi) {
  if (lo == hi) return 0;
  if (v.empty() || v.back().hi < lo) {
    v.push_back({lo, hi});
    return hi - lo;
  }
  auto first = std::lower_bound(v.begin(), v.end(), lo,
                                [](const Interval& a, uint32_t x) { return a.hi < x; });
  uint32_t nlo = lo, nhi = hi, old = 0;
  auto it = first;
  for (; it != v.end() && it->lo <= hi; ++it) {
    nlo = std::min(nlo, it->lo);
    nhi = std::max(nhi, it->hi);
    old += std::max<int64_t>(0, int64_t(std::min(it->hi, hi)) - std::max(it->lo, lo));
  }
  if (first == it) {
    v.insert(first, {lo, hi});
  } else {
    *first = {nlo, nhi};
    v.erase(first + 1, it);
  }
  return hi - lo - old;
}

}  // namespace pdu_rx_detail

template <class Proto>
PduRx<Proto>::PduRx(const Conn& cp, BufferIo& io, uint32_t start_seq, OnComplete on_complete,
                    OnResyncConfirm on_resync)
    : cp_(cp),
      io_(io),
      on_complete_(std::move(on_complete)),
      on_resync_(std::move(on_resync)),
      seq_(start_seq) {
  hdr_.resize(Proto::kPrefixLen);
}

template <class Proto>
bool PduRx<Proto>::add_command(uint32_t tag, uint32_t length, uint64_t buffer) {
  if (dead_) return false;
  Cmd c;
  c.length = length;
  c.buffer = buffer;
  return cmds_.emplace(tag, std::move(c)).second;
}

template <class Proto>
bool PduRx<Proto>::placed(uint32_t tag, uint64_t buffer, uint32_t end_seq) {
  auto it = cmds_.find(tag);
  if (it == cmds_.end() || it->second.buffer != buffer) return false;
  Cmd& c = it->second;
  if (!c.any_placed || int32_t(end_seq - c.placed_seq_end) > 0) c.placed_seq_end = end_seq;
  c.any_placed = true;
  return true;
}

template <class Proto>
void PduRx<Proto>::on_data(uint32_t seq, ByteView data, const RangeAttrs& attrs) {
  if (seq != seq_) throw std::logic_error("PduRx: bytes not in order");
  size_t at = 0;
  for (const RangeAttr& a : attrs) {
    if (at + a.len > data.size) break;
    consume(data.sub(at, a.len), a);
    at += a.len;
  }
  if (at != data.size) throw std::invalid_argument("PduRx: attrs do not tile data");
  seq_ = seq + uint32_t(data.size);  // also past bytes ignored after the connection died
}

template <class Proto>
void PduRx<Proto>::resync_request(uint32_t seq) {
  ++stats_.resync_requests;
  if (resync_) ++stats_.resync_dropped;  // replaced: never answered
  resync_.reset();
  bool hopeless = dead_ || int32_t(seq - seq_) < 0;  // already passed
  // Inside the PDU being parsed (its end is known once its prefix is in): not a header start.
  if (!at_pdu_boundary() && pdu_len_known_)
    hopeless = hopeless || int32_t(seq - (pdu_seq_ + pdu_len_known_)) < 0;
  if (hopeless)
    ++stats_.resync_dropped;
  else
    resync_ = seq;
}

template <class Proto>
void PduRx<Proto>::consume(ByteView b, RangeAttr a) {
  while (!b.empty() && !dead_) {
    size_t n = 0;
    const bool in_data = phase_ == Phase::Data;
    switch (phase_) {
      case Phase::Header:
        if (have_ == 0) header_start();
        n = std::min<size_t>(b.size, need_ - have_);
        std::memcpy(hdr_.data() + have_, b.data, n);
        have_ += uint32_t(n);
        break;
      case Phase::Data:
        n = std::min<size_t>(b.size, d_.len - data_done_);
        data_bytes(b.sub(0, n), a);
        data_done_ += uint32_t(n);
        break;
      case Phase::Pad:
      case Phase::DataDigest: {
        uint8_t* into = phase_ == Phase::Pad ? pad_ : ddgst_;
        const uint32_t len = phase_ == Phase::Pad ? d_.pad : 4;
        n = std::min<size_t>(b.size, len - have_);
        std::memcpy(into + have_, b.data, n);
        have_ += uint32_t(n);
        crc_ok_all_ = crc_ok_all_ && a.crc_ok;
        break;
      }
    }
    // Header, pad or digest bytes the NIC claims it placed: it misframed the stream.
    if (a.placed && !in_data) misplaced(a.buffer, n);
    b = b.sub(n);
    seq_ += uint32_t(n);
    if (a.placed) a.buf_off += uint32_t(n);
    if (phase_ == Phase::Header && have_ == need_)
      header_complete();
    else if (phase_ == Phase::Data && data_done_ == d_.len)
      data_end();
    else if (phase_ == Phase::Pad && have_ == d_.pad)
      data_end();
    else if (phase_ == Phase::DataDigest && have_ == 4)
      data_pdu_done();
  }
}

template <class Proto>
void PduRx<Proto>::header_start() {
  pdu_seq_ = seq_;
  if (!resync_) return;
  if (*resync_ == seq_) {
    resync_.reset();
    ++stats_.resync_confirmed;
    if (on_resync_) on_resync_(seq_);
  } else if (int32_t(*resync_ - seq_) < 0) {
    resync_.reset();  // passed without a header there
    ++stats_.resync_dropped;
  }
}

template <class Proto>
void PduRx<Proto>::header_complete() {
  if (have_ == Proto::kPrefixLen) {
    // Checked before the rest arrives so a garbage length is never waited for.
    if (const Error e = Proto::prefix(hdr_.data(), cp_, head_); e != Proto::kNone)
      return fail_all(CmdStatus::BadPdu, e);
    pdu_len_known_ = head_.pdu_len;
    need_ = head_.need;
    if (need_ > have_) {
      hdr_.resize(need_);
      return;
    }
  }
  ++stats_.pdus;
  if (head_.data)
    data_header();
  else
    control_pdu();
}

template <class Proto>
void PduRx<Proto>::data_header() {
  d_ = {};
  if (const Error e = Proto::data_header(hdr_.data(), cp_, d_); e != Proto::kNone)
    return fail_all(CmdStatus::BadPdu, e);
  ++stats_.data_pdus;
  auto it = cmds_.find(d_.tag);
  cmd_ = it == cmds_.end() ? nullptr : &it->second;
  if (!cmd_) {
    ++stats_.unknown_tag_pdus;
  } else if (d_.reject) {
    ++stats_.rejected_pdus;
    cmd_->fail(CmdStatus::BadPdu);
    cmd_ = nullptr;
  } else if (uint64_t(d_.buf_off) + d_.len > cmd_->length) {
    // Skipped whole: nothing may land outside the buffer.
    ++stats_.overrun_pdus;
    cmd_->fail(CmdStatus::BadPdu);
    cmd_ = nullptr;
  }
  data_done_ = 0;
  crc_ok_all_ = true;
  phase_ = Phase::Data;
  if (d_.len == 0) data_end();
}

template <class Proto>
void PduRx<Proto>::data_bytes(ByteView b, const RangeAttr& a) {
  crc_ok_all_ = crc_ok_all_ && a.crc_ok;
  const uint32_t off = d_.buf_off + data_done_;
  // Placed bytes are already in the buffer only if the NIC put them where they belong.
  const bool placed =
      cmd_ && a.placed && a.tag == d_.tag && a.buf_off == off && a.buffer == cmd_->buffer;
  if (a.placed && !placed) misplaced(a.buffer, b.size);
  if (!cmd_) return;
  const uint32_t fresh = pdu_rx_detail::cover(cmd_->covered, off, off + uint32_t(b.size));
  // Which copy is right is not for the host to guess: the read fails.
  if (fresh != b.size && cmd_->fail(CmdStatus::Overlap)) ++stats_.overlap_pdus;
  if (!placed) io_.write(d_.tag, off, b);
  (placed ? cmd_->placed : cmd_->copied) += fresh;
  (placed ? stats_.placed_bytes : stats_.copied_bytes) += fresh;
}

template <class Proto>
void PduRx<Proto>::misplaced(uint64_t buffer, size_t n) {
  stats_.misplaced_bytes += n;
  for (auto& [tag, c] : cmds_)
    if (c.buffer == buffer && c.fail(CmdStatus::Misplaced)) ++stats_.misplaced_reads;
}

template <class Proto>
void PduRx<Proto>::data_end() {
  have_ = 0;
  if (phase_ == Phase::Data && d_.pad) {
    phase_ = Phase::Pad;
  } else if (d_.ddgst) {
    phase_ = Phase::DataDigest;
  } else {
    data_pdu_done();
  }
}

template <class Proto>
void PduRx<Proto>::data_pdu_done() {
  Cmd* cmd = cmd_;
  if (cmd && d_.ddgst) {
    if (crc_ok_all_) {
      ++stats_.hw_crc_pdus;
      if (cmd->crc == CrcMode::None) cmd->crc = CrcMode::Hw;
    } else {
      cmd->crc = CrcMode::Sw;
      if (!data_digest_ok(d_.tag, d_.buf_off, d_.len, ld_le32(ddgst_))) {
        ++stats_.digest_errors;
        cmd->fail(CmdStatus::DigestError);
      }
    }
  }
  const RxData d = d_;
  next_pdu();
  if ((d.ends_io || d.reject) && cmds_.count(d.tag)) complete(d.tag, d.status);
}

// Recomputes over the buffer, so the check covers exactly what the user will read.
template <class Proto>
bool PduRx<Proto>::data_digest_ok(uint32_t tag, uint32_t off, uint32_t len, uint32_t expect) {
  ++stats_.sw_crc_pdus;
  stats_.sw_crc_bytes += len;
  crc_scratch_.resize(64 * 1024);
  crc32c::Running crc;
  for (uint32_t done = 0; done < len;) {
    const uint32_t n = std::min<uint32_t>(len - done, uint32_t(crc_scratch_.size()));
    io_.read(tag, off + done, crc_scratch_.data(), n);
    crc.add(crc_scratch_.data(), n);
    done += n;
  }
  crc.add(pad_, d_.pad);
  return crc.value() == expect;
}

template <class Proto>
void PduRx<Proto>::control_pdu() {
  RxControl c;
  if (const Error e = Proto::control(ByteView(hdr_.data(), have_), cp_, c); e != Proto::kNone)
    return fail_all(CmdStatus::BadPdu, e);
  next_pdu();
  switch (c.kind) {
    case RxControl::Kind::Complete:
      if (cmds_.count(c.tag))
        complete(c.tag, c.status);
      else
        ++stats_.unknown_tag_pdus;
      break;
    case RxControl::Kind::Terminate: fail_all(CmdStatus::Terminated, Proto::kNone); break;
    case RxControl::Kind::Ignore: ++stats_.ignored_pdus; break;
  }
}

template <class Proto>
void PduRx<Proto>::complete(uint32_t tag, uint16_t status) {
  auto it = cmds_.find(tag);
  Cmd c = std::move(it->second);
  cmds_.erase(it);
  CmdResult r;
  r.tag = tag;
  r.crc = c.crc;
  r.length = c.length;
  r.placed_bytes = c.placed;
  r.copied_bytes = c.copied;
  r.ulp_status = status;
  // Placed from beyond this completion (seq_ is just past the completing PDU).
  if (c.any_placed && int32_t(c.placed_seq_end - seq_) > 0 && c.fail(CmdStatus::LatePlacement))
    ++stats_.late_reads;
  if (c.status != CmdStatus::Ok)
    r.status = c.status;
  else if (status)
    r.status = Proto::kStatusError;
  else if (c.placed + c.copied != c.length)
    r.status = CmdStatus::ShortData;
  on_complete_(r);
}

template <class Proto>
void PduRx<Proto>::fail_all(CmdStatus s, Error why) {
  dead_ = true;
  failure_ = s;
  failure_error_ = why;
  ++(s == CmdStatus::Terminated ? stats_.terminated : stats_.framing_failures);
  resync_.reset();
  cmd_ = nullptr;
  std::vector<uint32_t> tags;
  for (const auto& kv : cmds_) tags.push_back(kv.first);
  std::sort(tags.begin(), tags.end());  // a reproducible order for the callbacks
  for (uint32_t tag : tags) {
    Cmd& c = cmds_.at(tag);
    if (!is_integrity(c.status)) c.status = s;
    complete(tag, 0);
  }
}

template <class Proto>
void PduRx<Proto>::next_pdu() {
  phase_ = Phase::Header;
  have_ = 0;
  need_ = Proto::kPrefixLen;
  hdr_.resize(need_);
  pdu_len_known_ = 0;
  cmd_ = nullptr;
}

}  // namespace nic::host
