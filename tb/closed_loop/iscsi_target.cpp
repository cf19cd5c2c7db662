#include "tb/closed_loop/iscsi_target.hpp"

#include <algorithm>
#include <cstdlib>

#include "proto/scsi_sense.hpp"

namespace nic::loop {

namespace {

// Login PDUs never carry digests, and their data stay within the login-phase limit.
const iscsi::ConnParams kLoginParams{false, false, iscsi::kLoginMaxDataSegment};

}  // namespace

IscsiTarget::IscsiTarget(const IscsiTargetParams& p)
    : p_(p), svc_(p.seed, p.conn, p.service_ps, p.service_exponential) {}

// The answer to each key offered, in the offer's order. Declarative keys (names, the
// initiator's MaxRecvDataSegmentLength) need none; the target declares its own receive limit
// beside the initiator's.
iscsi::TextKeys IscsiTarget::answer(const iscsi::TextKeys& offered) const {
  iscsi::TextKeys out;
  if (first_login_) out.push_back({"TargetPortalGroupTag", "1"});
  for (const auto& [key, value] : offered) {
    if (key == "InitiatorName" || key == "InitiatorAlias" || key == "SessionType" ||
        key == "TargetName")
      continue;
    if (key == "AuthMethod") {
      out.push_back({key, iscsi::answer_list(value, {"None"})});
    } else if (key == "HeaderDigest" || key == "DataDigest") {
      out.push_back({key, iscsi::answer_list(value, {"CRC32C", "None"})});
    } else if (key == "MaxRecvDataSegmentLength") {
      out.push_back({key, std::to_string(kMaxRecv)});
    } else if (key == "MaxBurstLength" || key == "FirstBurstLength") {
      // Both settle on the smaller value; a bad number is negotiate's to report.
      const uint64_t v = std::strtoull(value.c_str(), nullptr, 0);
      out.push_back({key, std::to_string(v ? std::min<uint64_t>(v, kMaxBurst) : kMaxBurst)});
    } else if (key == "ErrorRecoveryLevel") {
      out.push_back({key, "0"});  // the smaller value, and all this target does
    } else if (value == "Yes" || value == "No") {
      out.push_back({key, value});  // read-only here: whatever the initiator prefers
    } else {
      out.push_back({key, "NotUnderstood"});
    }
  }
  return out;
}

void IscsiTarget::on_host_bytes(ByteView bytes, uint64_t now_ps) {
  if (!failure_.empty()) return;
  in_.feed(bytes);
  iscsi::Pdu pdu;
  iscsi::PduError err = iscsi::PduError::None;
  while (failure_.empty() && in_.next(pdu, err)) {
    if (err != iscsi::PduError::None) {
      failure_ = std::string("host stream: ") + iscsi::to_string(err);
      return;
    }
    ++st_.commands;
    if (!logged_in_) {
      const auto* req = std::get_if<iscsi::LoginReq>(&pdu.body);
      if (!req) {
        failure_ = "host stream does not open with a Login Request";
        return;
      }
      login(pdu, *req, now_ps);
      continue;
    }
    const auto* cmd = std::get_if<iscsi::ScsiCommand>(&pdu.body);
    if (!cmd) {
      failure_ = std::string("host sent a ") + iscsi::opcode_name(iscsi::opcode_of(pdu.body)) +
                 ", not a SCSI Command";
      return;
    }
    command(*cmd, now_ps);
  }
}

void IscsiTarget::login(const iscsi::Pdu& pdu, const iscsi::LoginReq& req, uint64_t now_ps) {
  // A text split over PDUs (C) would take empty answers in between: the closed loop's
  // initiator never splits.
  iscsi::TextKeys keys;
  if (req.cont || iscsi::parse_text(pdu.data, keys) != iscsi::TextError::None) {
    failure_ = "a Login Request's text is continued or malformed";
    return;
  }
  if (first_login_) {
    statsn_ = req.expstatsn;
    exp_cmdsn_ = req.cmdsn;  // a Login Request is immediate: the first command takes its CmdSN
  }
  const iscsi::TextKeys answers = answer(keys);
  first_login_ = false;
  initiator_keys_.insert(initiator_keys_.end(), keys.begin(), keys.end());
  target_keys_.insert(target_keys_.end(), answers.begin(), answers.end());
  iscsi::LoginResp r;
  r.transit = req.transit;
  r.csg = req.csg;
  r.nsg = req.transit ? req.nsg : 0;
  r.isid = req.isid;
  r.itt = req.itt;
  r.statsn = statsn_++;
  r.expcmdsn = exp_cmdsn_;
  r.maxcmdsn = max_cmdsn();
  const bool to_ffp = req.transit && req.nsg == iscsi::kFullFeaturePhase;
  r.tsih = to_ffp ? uint16_t(p_.conn + 1) : 0;  // the session exists once logged in
  login_out_.push_back(iscsi::encode_pdu({false, r, {}, iscsi::write_text(answers)}, kLoginParams));
  pending_.push({now_ps, arrivals_++, req.itt, 0, Pending::Login});
  if (!to_ffp) return;
  const iscsi::NegotiationResult n = iscsi::negotiate(initiator_keys_, target_keys_);
  if (n.error != iscsi::NegotiationError::None) {
    failure_ = std::string("login: ") + n.key + ": " + iscsi::to_string(n.error);
    return;
  }
  session_ = n.params;
  in_.set_full_feature_params(session_.from_initiator());
  out_ = session_.from_target();
  logged_in_ = true;
}

void IscsiTarget::command(const iscsi::ScsiCommand& cmd, uint64_t now_ps) {
  if (cmd.cmdsn != exp_cmdsn_) {
    failure_ = "CmdSN " + std::to_string(cmd.cmdsn) + " where " + std::to_string(exp_cmdsn_) + " was expected";
    return;
  }
  const bool probe = !cmd.read && !cmd.write && cmd.cdb == iscsi::Cdb{};  // TEST UNIT READY
  iscsi::ReadCdb rd;
  if (!probe && (!cmd.read || cmd.write || !iscsi::parse_read(cmd.cdb, rd))) {
    failure_ = "host sent a SCSI Command other than READ(10), READ(16) or TEST UNIT READY";
    return;
  }
  if (!probe && (uint64_t(rd.blocks) * 512 != cmd.expected_length || !cmd.expected_length)) {
    failure_ = "READ of " + std::to_string(rd.blocks) + " blocks with an Expected Data Transfer Length of " +
               std::to_string(cmd.expected_length);
    return;
  }
  if (!live_.insert(cmd.itt).second) {
    failure_ = "ITT " + std::to_string(cmd.itt) + " reused while its command is live";
    return;
  }
  ++exp_cmdsn_;
  if (probe)
    pending_.push({now_ps, arrivals_++, cmd.itt, 0, Pending::Probe});
  else
    pending_.push({now_ps + svc_.service_ps(), arrivals_++, cmd.itt, cmd.expected_length, Pending::Read});
}

std::optional<uint64_t> IscsiTarget::next_ready() const {
  if (pending_.empty()) return std::nullopt;
  return pending_.top().ready_ps;
}

void IscsiTarget::take_ready(uint64_t now_ps, const Write& write) {
  while (!pending_.empty() && pending_.top().ready_ps <= now_ps) {
    const Pending p = pending_.top();
    pending_.pop();
    respond(p, write);
  }
}

void IscsiTarget::respond(const Pending& p, const Write& write) {
  if (p.kind == Pending::Login) {
    write(login_out_.front());
    login_out_.pop_front();
    return;
  }
  live_.erase(p.itt);
  if (p.kind == Pending::Probe) return respond_probe(p.itt, write);
  ++st_.reads;
  const Bytes& data = svc_.data(p.order, p.length);
  const bool status_pdu = svc_.rng().chance(p_.status_pdu);
  uint32_t datasn = 0;
  for (uint32_t off = 0; off < p.length; off += out_.max_data_segment) {
    const uint32_t n = std::min(out_.max_data_segment, p.length - off);
    iscsi::DataIn d;
    d.final = off + n == p.length;
    d.has_status = d.final && !status_pdu;
    d.itt = p.itt;
    d.statsn = d.has_status ? statsn_++ : 0;
    d.expcmdsn = exp_cmdsn_;
    d.maxcmdsn = max_cmdsn();
    d.datasn = datasn++;
    d.buffer_offset = off;
    write(iscsi::encode_pdu({false, d, {}, Bytes(data.begin() + off, data.begin() + off + n)}, out_));
    ++st_.data_pdus;
    st_.data_bytes += n;
  }
  if (!status_pdu) {
    ++st_.success_flags;
    return;
  }
  iscsi::ScsiResponse r;  // GOOD, nothing left over
  r.itt = p.itt;
  r.statsn = statsn_++;
  r.expcmdsn = exp_cmdsn_;
  r.maxcmdsn = max_cmdsn();
  r.expdatasn = datasn;
  write(iscsi::encode_pdu({false, r, {}, {}}, out_));
}

void IscsiTarget::respond_probe(uint32_t itt, const Write& write) {
  iscsi::ScsiResponse r;
  r.status = attention_sent_ ? 0x00 : 0x02;  // GOOD, or CHECK CONDITION with the sense
  r.itt = itt;
  r.statsn = statsn_++;
  r.expcmdsn = exp_cmdsn_;
  r.maxcmdsn = max_cmdsn();
  write(iscsi::encode_pdu({false, r, {}, attention_sent_ ? Bytes{} : scsi::unit_attention_sense()}, out_));
  attention_sent_ = true;
}

}  // namespace nic::loop
