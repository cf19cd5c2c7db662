#include "tb/gen/connection.hpp"

#include <algorithm>

namespace nic::gen {

namespace {

uint64_t us_to_ps(double us) { return uint64_t(us * 1e6); }
constexpr uint32_t kMaxH2cData = 0x40000;
constexpr uint64_t kConnectionSalt = 4;
constexpr uint16_t kTagMask = 0x0FFF;  // CID bits below the generation counter

uint8_t dgst_bits(const GenConfig& cfg) { return uint8_t((cfg.hdgst ? 1 : 0) | (cfg.ddgst ? 2 : 0)); }

}  // namespace

Connection::Connection(const GenConfig& cfg, const ConnectionSetup& setup,
                       std::vector<ReadPlan> reads, Totals& totals)
    : cfg_(cfg),
      cp_{cfg.hdgst, cfg.ddgst, cfg.hpda, 0},
      rng_(Rng::derive(cfg.seed, kConnectionSalt, setup.index)),
      host_(cfg, setup.host, setup.controller, uint32_t(rng_.next()), uint32_t(rng_.next()),
            uint16_t(rng_.next())),
      ctrl_(cfg, setup.controller, setup.host, uint32_t(rng_.next()), uint32_t(rng_.next()),
            uint16_t(rng_.next())),
      imp_(cfg.imp, Rng(rng_.next()), totals.imp),
      totals_(totals),
      reads_(std::move(reads)) {
  truth_.host = net::endpoint_str(setup.host.ip, setup.host.port);
  truth_.controller = net::endpoint_str(setup.controller.ip, setup.controller.port);
  truth_.host_port = setup.host.port;
  truth_.sqid = uint16_t(setup.index + 1);
  truth_.hdgst = cfg.hdgst;
  truth_.ddgst = cfg.ddgst;
  truth_.hpda = cfg.hpda;
  truth_.vlan = cfg.vlan_tags();
  truth_.reads = uint32_t(reads_.size());
  truth_.host_isn = host_.isn();
  truth_.controller_isn = ctrl_.isn();
  cmds_.resize(reads_.size());
  for (uint32_t c = 0; c < cfg.queue_depth; ++c) free_tags_.push_back(uint16_t(c));
  tag_gen_.resize(cfg.queue_depth);
  host_.open(setup.start_ps);
}

std::optional<uint64_t> Connection::ready(Dir d) {
  if (d == Dir::H2C) return host_.ready();
  refill();
  if (imp_.pending(!ctrl_.has_unsent_data())) return 0;
  return ctrl_.ready();
}

std::vector<Emission> Connection::take(Dir d, uint64_t now_ps) {
  if (d == Dir::H2C) return {Emission{host_.take(now_ps)}};
  if (imp_.pending(!ctrl_.has_unsent_data())) return imp_.release();
  Segment s = ctrl_.take(now_ps);
  if (s.payload.empty()) return {Emission{std::move(s)}};  // SYN-ACK and pure ACKs pass
  return imp_.fresh(std::move(s));
}

Bytes Connection::frame(Dir d, const Emission& e, uint64_t now_ps) {
  return sender(d).frame(e.seg, now_ps, e.bad_checksum);
}

void Connection::deliver(Dir d, const Segment& seg, uint64_t start_ps, uint64_t end_ps) {
  if (d == Dir::H2C) {
    ctrl_.receive(seg, host_.tsval(start_ps), end_ps);
    on_controller_data(end_ps);
    return;
  }
  const bool syn_ack = seg.flags & net::tcpflag::SYN;
  host_.receive(seg, ctrl_.tsval(start_ps), end_ps);
  if (syn_ack) {
    const Bytes icreq = nvme::encode_ic_req({0, cfg_.hpda, dgst_bits(cfg_), 0});
    host_.write(icreq, end_ps + us_to_ps(cfg_.host_latency_us));
    h2c_marks_.push_back({host_.written(), kIcPdu});
  }
  on_host_data(end_ps);
}

// The controller acts on every host PDU that has arrived in order.
void Connection::on_controller_data(uint64_t at_ps) {
  while (!h2c_marks_.empty() && h2c_marks_.front().end <= ctrl_.received()) {
    const int64_t order = h2c_marks_.front().order;
    h2c_marks_.pop_front();
    if (order == kIcPdu) {
      ctrl_.write(nvme::encode_ic_resp({0, 0, dgst_bits(cfg_), kMaxH2cData}), at_ps);
      c2h_marks_.push_back({ctrl_.written(), kIcPdu});
    } else {
      start_read(uint32_t(order), at_ps + us_to_ps(cfg_.ctrl_latency_us));
    }
  }
}

// The host acts on every controller PDU that has arrived in order: ICResp opens the queue,
// a completion frees its CID for the next read.
void Connection::on_host_data(uint64_t at_ps) {
  bool progress = false, opened = false;
  while (!c2h_marks_.empty() && c2h_marks_.front().end <= host_.received()) {
    const int64_t order = c2h_marks_.front().order;
    c2h_marks_.pop_front();
    if (order != kIcPdu) complete_read(uint32_t(order));
    opened |= order == kIcPdu;
    progress = true;
  }
  if (progress)
    issue_reads(at_ps + us_to_ps(opened ? cfg_.queue_start_us : cfg_.host_latency_us));
}

void Connection::issue_reads(uint64_t at_ps) {
  while (!free_tags_.empty() && next_read_ < reads_.size()) {
    const uint16_t cid = next_cid();
    const ReadPlan& p = reads_[next_read_++];
    CommandTruth& t = cmds_[p.order];
    t.flow = truth_.host;
    t.cid = cid;
    t.order = p.order;
    t.length = p.length;
    t.slba = p.slba;
    t.success_flag = p.success_flag;
    t.pdus = pdu_count(p.length, cfg_.max_pdu_data);
    nvme::ReadCmd cmd;
    cmd.cid = cid;
    cmd.slba = p.slba;
    cmd.nlb = (p.length + kBlockSize - 1) / kBlockSize;
    cmd.length = p.length;
    host_.write(nvme::encode_capsule_cmd(cmd.to_sqe(), cp_), at_ps);
    h2c_marks_.push_back({host_.written(), p.order});
  }
}

void Connection::start_read(uint32_t order, uint64_t at_ps) {
  const ReadPlan& p = reads_[order];
  CommandTruth& t = cmds_[order];
  Active a{order, make_read_data(p, cfg_)};
  a.sqhd = uint16_t(++started_ % (cfg_.queue_depth + 1));
  a.ready_ps = at_ps;
  t.sha256 = a.data.sha256;
  t.lookalike_offsets = a.data.lookalike_offsets;
  t.digest_corrupted = p.corrupt_ddgst;
  if (p.corrupt_ddgst) t.corrupt_pdu = int32_t(rng_.below(t.pdus));
  totals_.lookalikes += t.lookalike_offsets.size();
  totals_.ddgst_corrupted += p.corrupt_ddgst;
  active_.push_back(std::move(a));
}

// Keeps a segment's worth of PDUs queued, serving in-flight reads in random order so that
// responses (and, with a PDU size limit, their PDUs) interleave.
void Connection::refill() {
  while (ctrl_.unsent() < cfg_.segment_payload() && !active_.empty()) {
    const size_t i = rng_.below(active_.size());
    send_pdu(active_[i]);
    if (active_[i].sent == active_[i].data.bytes.size()) active_.erase(active_.begin() + long(i));
  }
}

void Connection::send_pdu(Active& a) {
  const CommandTruth& t = cmds_[a.order];
  const uint32_t len = uint32_t(a.data.bytes.size());
  const uint32_t n = cfg_.max_pdu_data ? std::min(cfg_.max_pdu_data, len - a.sent) : len - a.sent;
  const bool last = a.sent + n == len;
  uint8_t flags = 0;
  if (last) flags = nvme::pduflag::LAST_PDU | (t.success_flag ? nvme::pduflag::SUCCESS : 0);
  nvme::DataHdr h;
  h.cccid = t.cid;
  h.datao = a.sent;
  Bytes pdu = nvme::encode_data(nvme::PduType::C2HData, h, flags,
                                ByteView(a.data.bytes.data() + a.sent, n), cp_);
  if (int32_t(a.pdus) == t.corrupt_pdu) pdu.back() ^= 0xFF;  // DDGST is the last 4 bytes
  ctrl_.write(pdu, a.ready_ps);
  a.sent += n;
  ++a.pdus;
  ++totals_.c2h_data_pdus;
  if (!last) return;
  if (!t.success_flag) {
    nvme::Cqe cqe;
    cqe.sqhd = a.sqhd;
    cqe.sqid = truth_.sqid;
    cqe.cid = t.cid;
    ctrl_.write(nvme::encode_capsule_resp(cqe, cp_), a.ready_ps);
    ++totals_.capsule_resps;
  }
  c2h_marks_.push_back({ctrl_.written(), a.order});
}

// A free tag at random, as a block layer hands them out; the generation (Linux: nvme_cid())
// is counted before use, so a tag's first CID has generation 1.
uint16_t Connection::next_cid() {
  const size_t pick = rng_.below(free_tags_.size());
  const uint16_t tag = free_tags_[pick];
  free_tags_.erase(free_tags_.begin() + long(pick));
  if (!cfg_.cid_genctr) return tag;
  return uint16_t(tag | (++tag_gen_[tag] & 0xF) << 12);
}

void Connection::complete_read(uint32_t order) {
  free_tags_.push_back(uint16_t(cmds_[order].cid & kTagMask));
  ++completed_;
}

}  // namespace nic::gen
