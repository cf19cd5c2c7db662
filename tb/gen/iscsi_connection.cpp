#include "tb/gen/iscsi_connection.hpp"

#include <algorithm>

#include "proto/crc32c.hpp"
#include "proto/iscsi_login.hpp"
#include "proto/scsi_sense.hpp"
#include "util/bytes.hpp"

namespace nic::gen {

namespace {

constexpr uint64_t kIsidBase = 0x023d00000000ull;  // type 0 (OUI format), as open-iscsi
constexpr uint32_t kMaxBurst = 16776192;  // the largest allowed: one Data-In sequence per READ
const char* const kInitiatorName = "iqn.2024-01.org.nicsim:initiator";
const char* const kTargetName = "iqn.2024-01.org.nicsim:target";


// Login PDUs never carry digests, and their data stay within the login-phase limit.
const iscsi::ConnParams kLoginParams{false, false, iscsi::kLoginMaxDataSegment};

}  // namespace

IscsiConnection::IscsiConnection(const GenConfig& cfg, const ConnectionSetup& setup,
                                 std::vector<ReadPlan> reads, Totals& totals)
    : Connection(cfg, setup, std::move(reads), totals),
      ff_{cfg.hdgst, cfg.ddgst, cfg.iscsi_max_recv},
      isid_(kIsidBase | setup.index),
      tsih_(uint16_t(setup.index + 1)),
      statsn_(uint32_t(rng_.next())),
      statsn_of_(reads_.size()) {}

// The fields a Login Request and its Response share: one transit per stage, security ->
// operational -> full-feature phase.
template <class Login>
Login IscsiConnection::login_pdu(uint8_t csg) const {
  Login l;
  l.transit = true;
  l.csg = csg;
  l.nsg = csg == iscsi::kSecurityNegotiation ? iscsi::kLoginOperationalNegotiation
                                             : iscsi::kFullFeaturePhase;
  l.isid = isid_;
  l.itt = kLoginItt;
  return l;
}

// Each side's keys for a stage: the initiator offers, the target answers and declares its own
// receive limit.
iscsi::TextKeys IscsiConnection::login_keys(uint8_t csg, bool initiator) const {
  if (csg == iscsi::kSecurityNegotiation) {
    if (!initiator) return {{"AuthMethod", "None"}, {"TargetPortalGroupTag", "1"}};
    return {{"InitiatorName", kInitiatorName}, {"SessionType", "Normal"},
            {"TargetName", kTargetName}, {"AuthMethod", "None"}};
  }
  const uint32_t max_recv = initiator ? cfg_.iscsi_max_recv : kTargetMaxRecv;
  return {{"HeaderDigest", cfg_.hdgst ? "CRC32C" : "None"},
          {"DataDigest", cfg_.ddgst ? "CRC32C" : "None"},
          {"MaxRecvDataSegmentLength", std::to_string(max_recv)},
          {"MaxBurstLength", std::to_string(kMaxBurst)},
          {"ErrorRecoveryLevel", "0"}};
}

void IscsiConnection::send_login_req(uint8_t csg, uint64_t at_ps) {
  auto r = login_pdu<iscsi::LoginReq>(csg);
  r.cmdsn = cmdsn_;  // immediate: the first command reuses it
  r.expstatsn = exp_statsn_;
  host_.write(iscsi::encode_pdu({true, r, {}, iscsi::write_text(login_keys(csg, true))}, kLoginParams),
              at_ps);
  mark_h2c(csg == iscsi::kSecurityNegotiation ? kSecurityStep : kOperationalStep);
}

void IscsiConnection::send_login_resp(uint8_t csg, uint64_t at_ps) {
  auto r = login_pdu<iscsi::LoginResp>(csg);
  r.tsih = r.nsg == iscsi::kFullFeaturePhase ? tsih_ : 0;  // the session exists once logged in
  r.statsn = statsn_++;
  r.expcmdsn = exp_cmdsn_;
  r.maxcmdsn = exp_cmdsn_ + cfg_.queue_depth - 1;
  ctrl_.write(iscsi::encode_pdu({false, r, {}, iscsi::write_text(login_keys(csg, false))}, kLoginParams),
              at_ps);
  mark_c2h(csg == iscsi::kSecurityNegotiation ? kSecurityStep : kOperationalStep);
}

void IscsiConnection::on_connected(uint64_t at_ps) {
  send_login_req(iscsi::kSecurityNegotiation, at_ps);
}

void IscsiConnection::on_host_pdu(int64_t mark, uint64_t at_ps) {
  if (mark >= 0) return start_read(uint32_t(mark), at_ps);
  if (mark == kProbeStep) return send_probe_resp(at_ps);
  send_login_resp(mark == kSecurityStep ? iscsi::kSecurityNegotiation
                                        : iscsi::kLoginOperationalNegotiation,
                  at_ps);
}

bool IscsiConnection::on_controller_pdu(int64_t step, uint64_t at_ps) {
  if (step >= 0) {
    --in_flight_;
    exp_statsn_ = statsn_of_[uint32_t(step)] + 1;  // completions arrive in StatSN order
    return false;
  }
  exp_statsn_ = statsn_;  // the target sends no other status until the host answers
  if (step == kSecurityStep) {
    send_login_req(iscsi::kLoginOperationalNegotiation, at_ps + uint64_t(cfg_.host_latency_us * 1e6));
    return false;
  }
  // The session starts (and Linux offloads the socket) before the probe; reads follow the
  // probe's answer as they follow any completion.
  if (step == kOperationalStep) {
    send_probe(at_ps + uint64_t(cfg_.queue_start_us * 1e6));
  } else {
    logged_in_ = true;
  }
  return false;
}

void IscsiConnection::send_probe(uint64_t at_ps) {
  iscsi::ScsiCommand c;
  c.attr = 1;
  c.itt = kProbeItt;
  c.cmdsn = cmdsn_++;
  c.expstatsn = exp_statsn_;  // c.cdb all zero: TEST UNIT READY
  host_.write(iscsi::encode_pdu({false, c, {}, {}}, ff_), at_ps);
  mark_h2c(kProbeStep);
}

void IscsiConnection::send_probe_resp(uint64_t at_ps) {
  ++exp_cmdsn_;
  iscsi::ScsiResponse r;
  r.status = 0x02;  // CHECK CONDITION
  r.itt = kProbeItt;
  r.statsn = statsn_++;
  r.expcmdsn = exp_cmdsn_;
  r.maxcmdsn = exp_cmdsn_ + cfg_.queue_depth - 1;
  ctrl_.write(iscsi::encode_pdu({false, r, {}, scsi::unit_attention_sense()}, ff_), at_ps);
  mark_c2h(kProbeStep);
}

void IscsiConnection::issue_reads(uint64_t at_ps) {
  while (logged_in_ && in_flight_ < cfg_.queue_depth && next_read_ < reads_.size()) {
    const ReadPlan& p = reads_[next_read_++];
    CommandTruth& t = issue_truth(p);
    t.iscsi = true;
    t.itt = next_itt_++;
    t.pdus = pdu_count(p.length, data_in_size());
    t.success_flag = !rng_.chance(cfg_.iscsi_status_pdu);  // S on the last Data-In
    iscsi::ScsiCommand c;
    c.read = true;
    c.attr = 1;  // simple
    c.itt = t.itt;
    c.expected_length = p.length;
    c.cmdsn = cmdsn_++;
    c.expstatsn = exp_statsn_;
    const uint32_t blocks = p.length / kBlockSize;
    // Both CDB sizes appear; READ(16) whenever READ(10) cannot say it.
    const bool read16 = (p.data_seed & 1) || p.slba > UINT32_MAX || blocks > UINT16_MAX;
    c.cdb = read16 ? iscsi::make_read16(p.slba, blocks)
                   : iscsi::make_read10(uint32_t(p.slba), uint16_t(blocks));
    host_.write(iscsi::encode_pdu({false, c, {}, {}}, ff_), at_ps);
    mark_h2c(p.order);
    ++in_flight_;
  }
}

void IscsiConnection::start_read(uint32_t order, uint64_t at_ps) {
  ++exp_cmdsn_;
  Task t{order, start_truth(order), 0, 0, at_ps, plan_adversity(cmds_[order])};
  active_.push_back(std::move(t));
}

uint32_t IscsiConnection::data_in_size() const {
  return cfg_.max_pdu_data ? std::min(cfg_.max_pdu_data, cfg_.iscsi_max_recv) : cfg_.iscsi_max_recv;
}

// Tasks are served in random order; without interleaving a task's Data-In go out back to
// back, with it every PDU picks a task anew.
void IscsiConnection::refill() {
  while (ctrl_.unsent() < cfg_.segment_payload() && !active_.empty()) {
    if (cfg_.iscsi_interleave || serving_ >= active_.size()) serving_ = rng_.below(active_.size());
    Task& t = active_[serving_];
    send_data_in(t);
    if (t.sent == t.data.bytes.size()) {
      active_.erase(active_.begin() + long(serving_));
      serving_ = SIZE_MAX;
    }
  }
}

void IscsiConnection::send_data_in(Task& task) {
  CommandTruth& t = cmds_[task.order];
  const Adversity& adv = task.adv;
  const uint32_t len = uint32_t(task.data.bytes.size());
  uint32_t n = std::min(data_in_size(), len - task.sent);
  if (adv.early_resp && task.datasn == 0 && n == len) n = len / 2;  // a last Data-In to send late
  const bool last = task.sent + n == len;
  const int32_t k = int32_t(task.datasn);
  if (adv.unknown_tag && k == 0) {
    // Linux's and our ITTs have the high bit set: one without was never issued.
    const uint32_t itt = uint32_t(rng_.below(0x80000000u));
    send_extra_data_in(itt, 0, 0, Bytes(std::min({len, 4096u, data_in_size()}), 0xCD), task.ready_ps);
    send_response(itt, 0, task.ready_ps);
  }
  if (last && adv.overrun) {  // Buffer Offset inside the read, its end past it
    const uint32_t m = std::max<uint32_t>(1, std::min({len, 1024u, data_in_size()}) / 2);
    send_extra_data_in(t.itt, task.datasn, len - m, Bytes(std::min(2 * m, data_in_size()), 0xEE),
                       task.ready_ps);
  }
  if (last && adv.early_resp) {
    statsn_of_[task.order] = send_response(t.itt, task.datasn, task.ready_ps);
    mark_c2h(task.order);  // the initiator completes the read here
  }
  iscsi::DataIn d;
  d.final = last;
  d.has_status = last && t.success_flag;
  d.itt = t.itt;
  d.statsn = d.has_status ? statsn_++ : 0;
  d.expcmdsn = exp_cmdsn_;
  d.maxcmdsn = exp_cmdsn_ + cfg_.queue_depth - 1;
  d.datasn = task.datasn;
  d.buffer_offset = task.sent;
  const ByteView data(task.data.bytes.data() + task.sent, n);
  Bytes pdu = iscsi::encode_pdu({false, d, {}, Bytes(data.data, data.data + n)}, ff_);
  if (k == t.corrupt_pdu) pdu.back() ^= 0xFF;  // the data digest ends it
  if (k == adv.bad_pdu) break_header(pdu, IscsiHeaderFault(adv.fault));
  if (k == adv.term_pdu) pdu = drop_connection();
  ctrl_.write(pdu, task.ready_ps);
  if (k == adv.dup_pdu) {  // the same range again, other bytes, ending nothing
    Bytes other(data.data, data.data + n);
    for (uint8_t& b : other) b ^= 0x5A;
    send_extra_data_in(t.itt, task.datasn, task.sent, other, task.ready_ps);
  }
  task.sent += n;
  ++task.datasn;
  ++totals_.c2h_data_pdus;
  if (!last) return;
  if (!adv.early_resp) {
    if (d.has_status)
      statsn_of_[task.order] = d.statsn;
    else
      statsn_of_[task.order] = send_response(t.itt, task.datasn, task.ready_ps);
    mark_c2h(task.order);
  }
  if (adv.stale_pdu) {  // the task is complete: data for its ITT now is stale
    const uint32_t off = uint32_t(rng_.below(len));
    const uint32_t m = std::min({len - off, uint32_t(rng_.range(1, 4096)), data_in_size()});
    send_extra_data_in(t.itt, task.datasn, off, Bytes(m, 0x77), task.ready_ps);
  }
}

void IscsiConnection::send_extra_data_in(uint32_t itt, uint32_t datasn, uint32_t offset,
                                         ByteView data, uint64_t at_ps) {
  iscsi::DataIn d;
  d.itt = itt;
  d.expcmdsn = exp_cmdsn_;
  d.maxcmdsn = exp_cmdsn_ + cfg_.queue_depth - 1;
  d.datasn = datasn;
  d.buffer_offset = offset;
  ctrl_.write(iscsi::encode_pdu({false, d, {}, Bytes(data.data, data.data + data.size)}, ff_), at_ps);
  ++totals_.c2h_data_pdus;
}

uint32_t IscsiConnection::send_response(uint32_t itt, uint32_t expdatasn, uint64_t at_ps) {
  iscsi::ScsiResponse r;
  r.itt = itt;
  r.statsn = statsn_++;
  r.expcmdsn = exp_cmdsn_;
  r.maxcmdsn = exp_cmdsn_ + cfg_.queue_depth - 1;
  r.expdatasn = expdatasn;
  ctrl_.write(iscsi::encode_pdu({false, r, {}, {}}, ff_), at_ps);
  ++totals_.capsule_resps;
  return r.statsn;
}

// AsyncEvent 2: the target drops this connection (Parameter1: its CID, 0 here; Parameter2:
// Time2Wait, Parameter3: Time2Retain, in seconds).
Bytes IscsiConnection::drop_connection() const {
  iscsi::AsyncMsg m;
  m.event = iscsi::kAsyncDropConnection;
  m.statsn = statsn_;
  m.expcmdsn = exp_cmdsn_;
  m.maxcmdsn = exp_cmdsn_ + cfg_.queue_depth - 1;
  m.param2 = 2;
  m.param3 = 20;
  return iscsi::encode_pdu({false, m, {}, {}}, ff_);
}

// Breaks one rule of the Data-In's BHS, keeping a header digest right so that the broken
// field, not the digest, is what a receiver trips over.
void IscsiConnection::break_header(Bytes& pdu, IscsiHeaderFault f) const {
  switch (f) {
    case IscsiHeaderFault::DslHuge: pdu[5] = pdu[6] = pdu[7] = 0xFF; break;
    case IscsiHeaderFault::UnknownOpcode: pdu[0] = 0x2F; break;
    case IscsiHeaderFault::ReservedBit: pdu[1] |= 0x10; break;
    case IscsiHeaderFault::StatusNoFinal: pdu[1] = uint8_t((pdu[1] | 0x01) & ~0x80); break;
    case IscsiHeaderFault::OffsetWrap: st_be32(&pdu[40], 0xFFFFFFFFu); break;
    case IscsiHeaderFault::Count: break;
  }
  if (ff_.hdgst) st_le32(&pdu[iscsi::kBhsLen], crc32c::compute(pdu.data(), iscsi::kBhsLen));
}

}  // namespace nic::gen
