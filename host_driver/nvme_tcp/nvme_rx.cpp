#include "host_driver/nvme_tcp/nvme_rx.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "proto/crc32c.hpp"

namespace nic::host {

using nvme::PduType;

namespace {

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

}  // namespace

const char* to_string(CmdStatus s) {
  switch (s) {
    case CmdStatus::Ok: return "ok";
    case CmdStatus::DigestError: return "digest_error";
    case CmdStatus::BadPdu: return "bad_pdu";
    case CmdStatus::NvmeError: return "nvme_error";
    case CmdStatus::ShortData: return "short_data";
    case CmdStatus::Terminated: return "terminated";
    case CmdStatus::Overlap: return "overlapping_data";
    case CmdStatus::Misplaced: return "misplaced_data";
    case CmdStatus::LatePlacement: return "late_placement";
  }
  return "?";
}

const char* to_string(CrcMode m) {
  switch (m) {
    case CrcMode::None: return "none";
    case CrcMode::Hw: return "hw";
    case CrcMode::Sw: return "sw";
  }
  return "?";
}

NvmeRxStats& NvmeRxStats::operator+=(const NvmeRxStats& o) {
  for (auto [mine, theirs] : {
           std::pair{&pdus, o.pdus}, {&data_pdus, o.data_pdus}, {&hw_crc_pdus, o.hw_crc_pdus},
           {&sw_crc_pdus, o.sw_crc_pdus}, {&sw_crc_bytes, o.sw_crc_bytes},
           {&digest_errors, o.digest_errors}, {&placed_bytes, o.placed_bytes},
           {&copied_bytes, o.copied_bytes}, {&misplaced_bytes, o.misplaced_bytes},
           {&unknown_cid_pdus, o.unknown_cid_pdus}, {&overrun_pdus, o.overrun_pdus},
           {&overlap_pdus, o.overlap_pdus}, {&misplaced_reads, o.misplaced_reads},
           {&late_reads, o.late_reads},
           {&framing_failures, o.framing_failures}, {&terminated, o.terminated},
           {&ignored_pdus, o.ignored_pdus}, {&resync_requests, o.resync_requests},
           {&resync_confirmed, o.resync_confirmed}, {&resync_dropped, o.resync_dropped}})
    *mine += theirs;
  return *this;
}

NvmeRx::NvmeRx(const nvme::ConnParams& cp, BufferIo& io, uint32_t start_seq, OnComplete on_complete,
               OnResyncConfirm on_resync)
    : cp_(cp),
      io_(io),
      on_complete_(std::move(on_complete)),
      on_resync_(std::move(on_resync)),
      seq_(start_seq) {}

bool NvmeRx::add_command(uint16_t cid, uint32_t length, uint64_t buffer) {
  if (dead_) return false;
  Cmd c;
  c.length = length;
  c.buffer = buffer;
  return cmds_.emplace(cid, std::move(c)).second;
}

bool NvmeRx::placed(uint16_t cid, uint64_t buffer, uint32_t end_seq) {
  auto it = cmds_.find(cid);
  if (it == cmds_.end() || it->second.buffer != buffer) return false;
  Cmd& c = it->second;
  if (!c.any_placed || int32_t(end_seq - c.placed_seq_end) > 0) c.placed_seq_end = end_seq;
  c.any_placed = true;
  return true;
}

void NvmeRx::on_data(uint32_t seq, ByteView data, const RangeAttrs& attrs) {
  if (seq != seq_) throw std::logic_error("NvmeRx: bytes not in order");
  size_t at = 0;
  for (const RangeAttr& a : attrs) {
    if (at + a.len > data.size) break;
    consume(data.sub(at, a.len), a);
    at += a.len;
  }
  if (at != data.size) throw std::invalid_argument("NvmeRx: attrs do not tile data");
  seq_ = seq + uint32_t(data.size);  // also past bytes ignored after the connection died
}

void NvmeRx::resync_request(uint32_t seq) {
  ++stats_.resync_requests;
  if (resync_) ++stats_.resync_dropped;  // replaced: never answered
  resync_.reset();
  bool hopeless = dead_ || int32_t(seq - seq_) < 0;  // already passed
  // Inside the PDU being parsed (its end is known once PLEN is in): not a header start.
  if (!at_pdu_boundary() && plen_known_)
    hopeless = hopeless || int32_t(seq - (pdu_seq_ + plen_known_)) < 0;
  if (hopeless)
    ++stats_.resync_dropped;
  else
    resync_ = seq;
}

void NvmeRx::consume(ByteView b, RangeAttr a) {
  while (!b.empty() && !dead_) {
    size_t n = 0;
    const bool in_data = phase_ == Phase::Data;
    switch (phase_) {
      case Phase::Header:
        if (have_ == 0) header_start();
        n = std::min<size_t>(b.size, need_ - have_);
        std::memcpy(hdr_ + have_, b.data, n);
        have_ += uint32_t(n);
        break;
      case Phase::Data:
        n = std::min<size_t>(b.size, datal_ - data_done_);
        data_bytes(b.sub(0, n), a);
        data_done_ += uint32_t(n);
        break;
      case Phase::DataDigest:
        n = std::min<size_t>(b.size, nvme::kDigestLen - have_);
        std::memcpy(ddgst_ + have_, b.data, n);
        have_ += uint32_t(n);
        crc_ok_all_ = crc_ok_all_ && a.crc_ok;
        break;
    }
    // Header or digest bytes the NIC claims it placed: it misframed the stream.
    if (a.placed && !in_data) misplaced(a.buffer, n);
    b = b.sub(n);
    seq_ += uint32_t(n);
    if (a.placed) a.buf_off += uint32_t(n);
    if (phase_ == Phase::Header && have_ == need_)
      header_complete();
    else if (phase_ == Phase::Data && data_done_ == datal_)
      data_end();
    else if (phase_ == Phase::DataDigest && have_ == nvme::kDigestLen)
      data_pdu_done();
  }
}

void NvmeRx::header_start() {
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

void NvmeRx::header_complete() {
  if (have_ == nvme::kCommonHeaderLen) {
    ch_ = nvme::CommonHeader::decode(hdr_);
    // Checked before the rest arrives so a garbage PLEN is never waited for.
    nvme::PduError e = nvme::validate_header(ch_, cp_);
    if (e == nvme::PduError::None && !nvme::sent_by_controller(ch_.type)) e = nvme::PduError::UnknownType;
    if (e != nvme::PduError::None) return fail_all(CmdStatus::BadPdu, e);
    plen_known_ = ch_.plen;
    // Data PDUs: collect up to PDO and stream the data; others are small: collect whole.
    need_ = ch_.type == PduType::C2HData ? ch_.pdo : ch_.plen;
    if (need_ > have_) return;
  }
  ++stats_.pdus;
  if (ch_.type == PduType::C2HData)
    data_header();
  else
    control_pdu();
}

void NvmeRx::data_header() {
  if (ch_.hdgst() && crc32c::compute(hdr_, ch_.hlen) != ld_le32(hdr_ + ch_.hlen))
    return fail_all(CmdStatus::BadPdu, nvme::PduError::BadHeaderDigest);
  cid_ = ld_le16(hdr_ + 8);
  datao_ = ld_le32(hdr_ + 12);
  datal_ = ld_le32(hdr_ + 16);
  if (datal_ != nvme::layout_of(ch_).data_len)
    return fail_all(CmdStatus::BadPdu, nvme::PduError::DataLengthMismatch);
  ++stats_.data_pdus;
  auto it = cmds_.find(cid_);
  cmd_ = it == cmds_.end() ? nullptr : &it->second;
  if (!cmd_) {
    ++stats_.unknown_cid_pdus;
  } else if (uint64_t(datao_) + datal_ > cmd_->length) {
    // Skipped whole: nothing may land outside the buffer.
    ++stats_.overrun_pdus;
    cmd_->fail(CmdStatus::BadPdu);
    cmd_ = nullptr;
  }
  data_done_ = 0;
  crc_ok_all_ = true;
  phase_ = Phase::Data;
  if (datal_ == 0) data_end();
}

void NvmeRx::data_bytes(ByteView b, const RangeAttr& a) {
  crc_ok_all_ = crc_ok_all_ && a.crc_ok;
  const uint32_t off = datao_ + data_done_;
  // Placed bytes are already in the buffer only if the NIC put them where they belong.
  const bool placed =
      cmd_ && a.placed && a.tag == cid_ && a.buf_off == off && a.buffer == cmd_->buffer;
  if (a.placed && !placed) misplaced(a.buffer, b.size);
  if (!cmd_) return;
  const uint32_t fresh = cover(cmd_->covered, off, off + uint32_t(b.size));
  // Which copy is right is not for the host to guess: the read fails.
  if (fresh != b.size && cmd_->fail(CmdStatus::Overlap)) ++stats_.overlap_pdus;
  if (!placed) io_.write(cid_, off, b);
  (placed ? cmd_->placed : cmd_->copied) += fresh;
  (placed ? stats_.placed_bytes : stats_.copied_bytes) += fresh;
}

void NvmeRx::misplaced(uint64_t buffer, size_t n) {
  stats_.misplaced_bytes += n;
  for (auto& [cid, c] : cmds_)
    if (c.buffer == buffer && c.fail(CmdStatus::Misplaced)) ++stats_.misplaced_reads;
}

void NvmeRx::data_end() {
  if (ch_.ddgst()) {
    phase_ = Phase::DataDigest;
    have_ = 0;
  } else {
    data_pdu_done();
  }
}

void NvmeRx::data_pdu_done() {
  Cmd* cmd = cmd_;
  if (cmd && ch_.ddgst()) {
    if (crc_ok_all_) {
      ++stats_.hw_crc_pdus;
      if (cmd->crc == CrcMode::None) cmd->crc = CrcMode::Hw;
    } else {
      cmd->crc = CrcMode::Sw;
      if (!data_digest_ok(cid_, datao_, datal_, ld_le32(ddgst_))) {
        ++stats_.digest_errors;
        cmd->fail(CmdStatus::DigestError);
      }
    }
  }
  const uint16_t cid = cid_;
  const bool success = ch_.flags & nvme::pduflag::SUCCESS;
  next_pdu();
  if (success && cmds_.count(cid)) complete(cid, 0);
}

// Recomputes over the buffer, so the check covers exactly what the user will read.
bool NvmeRx::data_digest_ok(uint16_t cid, uint32_t off, uint32_t len, uint32_t expect) {
  ++stats_.sw_crc_pdus;
  stats_.sw_crc_bytes += len;
  crc_scratch_.resize(64 * 1024);
  crc32c::Running crc;
  for (uint32_t done = 0; done < len;) {
    const uint32_t n = std::min<uint32_t>(len - done, uint32_t(crc_scratch_.size()));
    io_.read(cid, off + done, crc_scratch_.data(), n);
    crc.add(crc_scratch_.data(), n);
    done += n;
  }
  return crc.value() == expect;
}

void NvmeRx::control_pdu() {
  nvme::Pdu pdu;
  if (const nvme::PduError e = nvme::decode_pdu(ByteView(hdr_, have_), cp_, pdu); e != nvme::PduError::None)
    return fail_all(CmdStatus::BadPdu, e);
  next_pdu();
  switch (pdu.ch.type) {
    case PduType::CapsuleResp: {
      const nvme::Cqe& c = std::get<nvme::Cqe>(pdu.body);
      if (cmds_.count(c.cid))
        complete(c.cid, uint16_t(c.status >> 1));
      else
        ++stats_.unknown_cid_pdus;
      break;
    }
    case PduType::C2HTermReq: fail_all(CmdStatus::Terminated, nvme::PduError::None); break;
    default:  // ICResp (parameters were set up front), R2T (this host only reads)
      ++stats_.ignored_pdus;
      break;
  }
}

void NvmeRx::complete(uint16_t cid, uint16_t nvme_status) {
  auto it = cmds_.find(cid);
  Cmd c = std::move(it->second);
  cmds_.erase(it);
  CmdResult r;
  r.cid = cid;
  r.crc = c.crc;
  r.length = c.length;
  r.placed_bytes = c.placed;
  r.copied_bytes = c.copied;
  r.nvme_status = nvme_status;
  // Placed from beyond this completion (seq_ is just past the completing PDU).
  if (c.any_placed && int32_t(c.placed_seq_end - seq_) > 0 && c.fail(CmdStatus::LatePlacement))
    ++stats_.late_reads;
  if (c.status != CmdStatus::Ok)
    r.status = c.status;
  else if (nvme_status)
    r.status = CmdStatus::NvmeError;
  else if (c.placed + c.copied != c.length)
    r.status = CmdStatus::ShortData;
  on_complete_(r);
}

void NvmeRx::fail_all(CmdStatus s, nvme::PduError why) {
  dead_ = true;
  failure_ = s;
  failure_error_ = why;
  ++(s == CmdStatus::Terminated ? stats_.terminated : stats_.framing_failures);
  resync_.reset();
  cmd_ = nullptr;
  std::vector<uint16_t> cids;
  for (const auto& kv : cmds_) cids.push_back(kv.first);
  std::sort(cids.begin(), cids.end());  // a reproducible order for the callbacks
  for (uint16_t cid : cids) {
    Cmd& c = cmds_.at(cid);
    if (!is_integrity(c.status)) c.status = s;
    complete(cid, 0);
  }
}

void NvmeRx::next_pdu() {
  phase_ = Phase::Header;
  have_ = 0;
  need_ = nvme::kCommonHeaderLen;
  plen_known_ = 0;
  cmd_ = nullptr;
}

}  // namespace nic::host
