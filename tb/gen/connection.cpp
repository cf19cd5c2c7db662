#include "tb/gen/connection.hpp"

#include <algorithm>

#include "proto/crc32c.hpp"

namespace nic::gen {

namespace {

uint64_t us_to_ps(double us) { return uint64_t(us * 1e6); }
constexpr uint32_t kMaxH2cData = 0x40000;
constexpr uint64_t kConnectionSalt = 4;
constexpr uint16_t kTagMask = 0x0FFF;  // CID bits below the generation counter

uint8_t dgst_bits(const GenConfig& cfg) { return uint8_t((cfg.hdgst ? 1 : 0) | (cfg.ddgst ? 2 : 0)); }

// A frame for the host that belongs to no connection of the trace: ARP, LLDP, a TCP segment
// from the NVMe port to a host port nobody opened (carrying a plausible C2HData PDU), the same
// under three VLAN tags, or a segment from another port.
Bytes foreign_frame(const net::FrameSpec& spec, Rng& rng, const GenConfig& cfg) {
  const nvme::ConnParams cp{cfg.hdgst, cfg.ddgst, cfg.hpda, 0};
  Bytes f;
  auto l2 = [&](const net::MacAddr& dst, uint16_t type) {
    f.assign(dst.begin(), dst.end());
    f.insert(f.end(), spec.src_mac.begin(), spec.src_mac.end());
    f.push_back(uint8_t(type >> 8));
    f.push_back(uint8_t(type));
  };
  switch (rng.below(5)) {
    case 0: {  // ARP request for the host's neighbour
      l2({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0x0806);
      const uint8_t arp[8] = {0, 1, 8, 0, 6, 4, 0, 1};
      f.insert(f.end(), arp, arp + 8);
      f.insert(f.end(), spec.src_mac.begin(), spec.src_mac.end());
      f.insert(f.end(), {192, 168, 100, 2, 0, 0, 0, 0, 0, 0, 192, 168, 100, 9});
      break;
    }
    case 1: {  // LLDP: chassis, port, TTL, end
      l2({0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}, 0x88CC);
      f.insert(f.end(), {0x02, 0x07, 0x04});
      f.insert(f.end(), spec.src_mac.begin(), spec.src_mac.end());
      f.insert(f.end(), {0x04, 0x02, 0x07, '1', 0x06, 0x02, 0x00, 0x78, 0x00, 0x00});
      break;
    }
    default: {
      net::FrameSpec s = spec;
      const uint64_t kind = rng.below(3);
      s.tuple.dport = uint16_t(20000 + rng.below(10000));  // below the ephemeral range
      if (kind == 2) s.tuple.sport = 80;
      s.seq = uint32_t(rng.next());
      s.flags = net::tcpflag::ACK | net::tcpflag::PSH;
      nvme::DataHdr h;
      h.cccid = uint16_t(rng.below(cfg.queue_depth));
      const Bytes data(512, 0xA5);
      f = net::build_frame(s, nvme::encode_data(nvme::PduType::C2HData, h, nvme::pduflag::LAST_PDU, data, cp));
      if (kind == 1)  // three more tags: more than any parser here accepts
        f.insert(f.begin() + 12, {0x88, 0xa8, 0x00, 0x01, 0x81, 0x00, 0x00, 0x02, 0x81, 0x00, 0x00, 0x03});
      break;
    }
  }
  if (f.size() < 60) f.resize(60, 0);
  return f;
}

}  // namespace

Connection::Connection(const GenConfig& cfg, const ConnectionSetup& setup,
                       std::vector<ReadPlan> reads, Totals& totals)
    : cfg_(cfg),
      rng_(Rng::derive(cfg.seed, kConnectionSalt, setup.index)),
      host_(cfg, setup.host, setup.controller, uint32_t(rng_.next()), uint32_t(rng_.next()),
            uint16_t(rng_.next())),
      ctrl_(cfg, setup.controller, setup.host, uint32_t(rng_.next()), uint32_t(rng_.next()),
            uint16_t(rng_.next())),
      imp_(cfg.imp, cfg.adv, Rng(rng_.next()), totals.imp, totals.adv),
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
  host_.open(setup.start_ps);
}

CommandTruth& Connection::issue_truth(const ReadPlan& p) {
  CommandTruth& t = cmds_[p.order];
  t.flow = truth_.host;
  t.order = p.order;
  t.length = p.length;
  t.slba = p.slba;
  return t;
}

ReadData Connection::start_truth(uint32_t order) {
  const ReadPlan& p = reads_[order];
  CommandTruth& t = cmds_[order];
  ReadData d = make_read_data(p, cfg_);
  t.sha256 = d.sha256;
  t.lookalike_offsets = d.lookalike_offsets;
  t.digest_corrupted = p.corrupt_ddgst;
  if (p.corrupt_ddgst) t.corrupt_pdu = int32_t(rng_.below(t.pdus));
  totals_.lookalikes += t.lookalike_offsets.size();
  totals_.ddgst_corrupted += p.corrupt_ddgst;
  return d;
}

NvmeTcpConnection::NvmeTcpConnection(const GenConfig& cfg, const ConnectionSetup& setup,
                                     std::vector<ReadPlan> reads, Totals& totals)
    : Connection(cfg, setup, std::move(reads), totals), cp_{cfg.hdgst, cfg.ddgst, cfg.hpda, 0} {
  for (uint32_t c = 0; c < cfg.queue_depth; ++c) free_tags_.push_back(uint16_t(c));
  tag_gen_.resize(cfg.queue_depth);
}

std::optional<uint64_t> Connection::ready(Dir d) {
  if (d == Dir::H2C) return host_.ready();
  refill();
  if (imp_.pending(!ctrl_.has_unsent_data())) return 0;
  return ctrl_.ready();
}

std::vector<Emission> Connection::take(Dir d, uint64_t now_ps) {
  if (d == Dir::H2C) return {Emission{host_.take(now_ps)}};
  const bool starved = !ctrl_.has_unsent_data();
  if (imp_.pending(starved)) return imp_.release(starved);
  Segment s = ctrl_.take(now_ps);
  if (s.payload.empty()) return {Emission{std::move(s)}};  // SYN-ACK and pure ACKs pass
  const bool completes = completes_read(s);
  std::vector<Emission> out = imp_.fresh(std::move(s), completes);
  if (rng_.chance(cfg_.adv.noise)) {
    ++totals_.adv.noise;
    Emission e;
    e.raw = foreign_frame(ctrl_.spec(), rng_, cfg_);
    out.insert(out.begin(), std::move(e));
  }
  return out;
}

Bytes Connection::frame(Dir d, const Emission& e, uint64_t now_ps) {
  if (!e.raw.empty()) return e.raw;
  Bytes f = sender(d).frame(e.seg, now_ps, e.bad_checksum, e.ip_options);
  if (e.cut) f.resize(std::min<size_t>(e.cut, f.size() - 1));
  return f;
}

void Connection::deliver(Dir d, const Segment& seg, uint64_t start_ps, uint64_t end_ps) {
  if (d == Dir::H2C) {
    ctrl_.receive(seg, host_.tsval(start_ps), end_ps);
    on_controller_data(end_ps);
    return;
  }
  const bool syn_ack = seg.flags & net::tcpflag::SYN;
  host_.receive(seg, ctrl_.tsval(start_ps), end_ps);
  if (syn_ack) on_connected(end_ps + us_to_ps(cfg_.host_latency_us));
  on_host_data(end_ps);
}

// The controller acts on every host PDU that has arrived in order.
void Connection::on_controller_data(uint64_t at_ps) {
  while (!h2c_marks_.empty() && h2c_marks_.front().end <= ctrl_.received()) {
    const int64_t order = h2c_marks_.front().order;
    h2c_marks_.pop_front();
    // A read's data exists only after the controller's latency.
    on_host_pdu(order, order < 0 ? at_ps : at_ps + us_to_ps(cfg_.ctrl_latency_us));
  }
}

// The host acts on every controller PDU that has arrived in order: the last setup PDU opens
// the queue, a completion frees its tag for the next read.
void Connection::on_host_data(uint64_t at_ps) {
  bool progress = false, opened = false;
  while (!c2h_marks_.empty() && c2h_marks_.front().end <= host_.received()) {
    const int64_t order = c2h_marks_.front().order;
    c2h_marks_.pop_front();
    completed_ += order >= 0;
    opened |= on_controller_pdu(order, at_ps);
    progress = true;
  }
  if (progress)
    issue_reads(at_ps + us_to_ps(opened ? cfg_.queue_start_us : cfg_.host_latency_us));
}

void NvmeTcpConnection::on_connected(uint64_t at_ps) {
  host_.write(nvme::encode_ic_req({0, cfg_.hpda, dgst_bits(cfg_), 0}), at_ps);
  mark_h2c(kIcPdu);
}

void NvmeTcpConnection::on_host_pdu(int64_t mark, uint64_t at_ps) {
  if (mark >= 0) return start_read(uint32_t(mark), at_ps);
  ctrl_.write(nvme::encode_ic_resp({0, 0, dgst_bits(cfg_), kMaxH2cData}), at_ps);
  mark_c2h(kIcPdu);
}

bool NvmeTcpConnection::on_controller_pdu(int64_t mark, uint64_t) {
  if (mark < 0) return true;  // ICResp opens the queue
  free_tags_.push_back(uint16_t(cmds_[uint32_t(mark)].cid & kTagMask));
  return false;
}

void NvmeTcpConnection::issue_reads(uint64_t at_ps) {
  while (!free_tags_.empty() && next_read_ < reads_.size()) {
    const uint16_t cid = next_cid();
    const ReadPlan& p = reads_[next_read_++];
    CommandTruth& t = issue_truth(p);
    t.cid = cid;
    t.success_flag = p.success_flag;
    t.pdus = pdu_count(p.length, cfg_.max_pdu_data);
    nvme::ReadCmd cmd;
    cmd.cid = cid;
    cmd.slba = p.slba;
    cmd.nlb = (p.length + kBlockSize - 1) / kBlockSize;
    cmd.length = p.length;
    host_.write(nvme::encode_capsule_cmd(cmd.to_sqe(), cp_), at_ps);
    mark_h2c(p.order);
  }
}

void NvmeTcpConnection::start_read(uint32_t order, uint64_t at_ps) {
  Active a{order, start_truth(order), 0, 0, 0, 0, {}};
  a.sqhd = uint16_t(++started_ % (cfg_.queue_depth + 1));
  a.ready_ps = at_ps;
  a.adv = plan_adversity(cmds_[order]);
  active_.push_back(std::move(a));
}

Connection::Adversity Connection::plan_adversity(CommandTruth& t) {
  const Adversary& adv = cfg_.adv;
  Adversity a;
  auto note = [&t](const std::string& what) { t.adversity += (t.adversity.empty() ? "" : ",") + what; };
  if (rng_.chance(adv.early_resp) && t.length >= 2) {
    a.early_resp = true;
    t.success_flag = false;  // the response went first
    t.pdus = std::max<uint32_t>(t.pdus, 2);
    ++totals_.adv.early_resp;
    note("early_resp");
  }
  if (rng_.chance(adv.overrun)) {
    a.overrun = true;
    ++totals_.adv.overrun;
    note("overrun");
  }
  if (rng_.chance(adv.unknown_cid)) {
    a.unknown_tag = true;
    ++totals_.adv.unknown_cid;
  }
  if (rng_.chance(adv.bad_header)) {
    std::vector<uint32_t> kinds;
    for (uint32_t k = 0; k < 32; ++k)
      if (adv.faults & header_fault_mask(cfg_.ulp) & (1u << k)) kinds.push_back(k);
    a.fault = kinds[rng_.below(kinds.size())];
    a.bad_pdu = int32_t(rng_.below(t.pdus));
    ++totals_.adv.bad_header;
    note(std::string("bad_header:") + header_fault_name(cfg_.ulp, a.fault));
  }
  if (rng_.chance(adv.term_req)) {
    a.term_pdu = int32_t(rng_.below(t.pdus));
    ++totals_.adv.term_req;
    note("term_req");
  }
  if (rng_.chance(adv.stale_pdu)) {
    a.stale_pdu = true;
    ++totals_.adv.stale_pdu;
    note("stale_pdu");
  }
  if (rng_.chance(adv.dup_pdu)) {
    a.dup_pdu = int32_t(rng_.below(t.pdus));
    ++totals_.adv.dup_pdu;
    note("dup_pdu");
  }
  return a;
}

bool Connection::completes_read(const Segment& s) const {
  const uint64_t end = s.offset + s.payload.size();
  return std::any_of(c2h_marks_.begin(), c2h_marks_.end(), [&](const Marker& m) {
    return m.order >= 0 && m.end > s.offset && m.end <= end;
  });
}

// Keeps a segment's worth of PDUs queued, serving in-flight reads in random order so that
// responses (and, with a PDU size limit, their PDUs) interleave.
void NvmeTcpConnection::refill() {
  while (ctrl_.unsent() < cfg_.segment_payload() && !active_.empty()) {
    const size_t i = rng_.below(active_.size());
    send_pdu(active_[i]);
    if (active_[i].sent == active_[i].data.bytes.size()) active_.erase(active_.begin() + long(i));
  }
}

namespace {

// Breaks one rule of a C2HData header (HLEN 24 at the start of `pdu`), keeping a header
// digest right so that the broken field, not the digest, is what a receiver trips over.
void break_header(Bytes& pdu, HeaderFault f, const nvme::ConnParams& cp) {
  constexpr size_t kHlen = 24;
  switch (f) {
    case HeaderFault::PlenSmall: st_le32(&pdu[4], 8); break;
    case HeaderFault::PlenZero: st_le32(&pdu[4], 0); break;
    case HeaderFault::PlenHuge: st_le32(&pdu[4], 0xFFFFFF00u); break;
    case HeaderFault::Hlen: pdu[2] = kHlen + 8; break;
    case HeaderFault::PdoInside: pdu[3] = 8; break;
    case HeaderFault::PdoMisaligned: pdu[3] = uint8_t(pdu[3] + 1); break;
    case HeaderFault::UnknownType: pdu[0] = 0x0F; break;
    case HeaderFault::DigestFlags: pdu[1] ^= nvme::pduflag::HDGSTF; break;
    case HeaderFault::SuccessNoLast:
      pdu[1] = uint8_t((pdu[1] | nvme::pduflag::SUCCESS) & ~nvme::pduflag::LAST_PDU);
      break;
    case HeaderFault::Count: break;
  }
  if (cp.hdgst) st_le32(&pdu[kHlen], crc32c::compute(pdu.data(), kHlen));
}

}  // namespace

void NvmeTcpConnection::send_pdu(Active& a) {
  CommandTruth& t = cmds_[a.order];
  const uint32_t len = uint32_t(a.data.bytes.size());
  uint32_t n = cfg_.max_pdu_data ? std::min(cfg_.max_pdu_data, len - a.sent) : len - a.sent;
  if (a.adv.early_resp && a.pdus == 0 && n == len) n = len / 2;  // a last PDU to send late
  const bool last = a.sent + n == len;
  if (a.adv.unknown_tag && a.pdus == 0) send_unknown_cid(a);
  if (last && a.adv.overrun) send_overrun(a);
  if (last && a.adv.early_resp) {
    send_resp(a);
    mark_c2h(a.order);  // the host completes the read here
  }
  uint8_t flags = 0;
  if (last) flags = nvme::pduflag::LAST_PDU | (t.success_flag ? nvme::pduflag::SUCCESS : 0);
  nvme::DataHdr h;
  h.cccid = t.cid;
  h.datao = a.sent;
  Bytes pdu = nvme::encode_data(nvme::PduType::C2HData, h, flags,
                                ByteView(a.data.bytes.data() + a.sent, n), cp_);
  if (int32_t(a.pdus) == t.corrupt_pdu) pdu.back() ^= 0xFF;  // DDGST is the last 4 bytes
  if (int32_t(a.pdus) == a.adv.bad_pdu) break_header(pdu, HeaderFault(a.adv.fault), cp_);
  if (int32_t(a.pdus) == a.adv.term_pdu) {
    nvme::TermReq tr;
    tr.fes = 1;  // invalid PDU header field
    tr.error_data.assign(pdu.begin(), pdu.begin() + 24);
    pdu = nvme::encode_term_req(nvme::PduType::C2HTermReq, tr);
  }
  ctrl_.write(pdu, a.ready_ps);
  if (int32_t(a.pdus) == a.adv.dup_pdu) {  // the same range again, other bytes, ending nothing
    Bytes other(a.data.bytes.begin() + a.sent, a.data.bytes.begin() + a.sent + n);
    for (uint8_t& b : other) b ^= 0x5A;
    send_data(a, a.sent, 0, other);
  }
  a.sent += n;
  ++a.pdus;
  ++totals_.c2h_data_pdus;
  if (!last) return;
  if (!a.adv.early_resp) {
    if (!t.success_flag) send_resp(a);
    mark_c2h(a.order);
  }
  if (a.adv.stale_pdu) {  // the read is complete: data for its CID now is stale
    const uint32_t datao = uint32_t(rng_.below(len));
    const Bytes junk(std::min<uint32_t>(len - datao, uint32_t(rng_.range(1, 4096))), 0x77);
    send_data(a, datao, 0, junk);
  }
}

void NvmeTcpConnection::send_data(const Active& a, uint32_t datao, uint8_t flags, ByteView data) {
  nvme::DataHdr h;
  h.cccid = cmds_[a.order].cid;
  h.datao = datao;
  ctrl_.write(nvme::encode_data(nvme::PduType::C2HData, h, flags, data, cp_), a.ready_ps);
  ++totals_.c2h_data_pdus;
}

void NvmeTcpConnection::send_resp(const Active& a) {
  nvme::Cqe cqe;
  cqe.sqhd = a.sqhd;
  cqe.sqid = truth_.sqid;
  cqe.cid = cmds_[a.order].cid;
  ctrl_.write(nvme::encode_capsule_resp(cqe, cp_), a.ready_ps);
  ++totals_.capsule_resps;
}

// DATAO inside the read, DATAO + DATAL past its end.
void NvmeTcpConnection::send_overrun(const Active& a) {
  const uint32_t len = uint32_t(a.data.bytes.size());
  const uint32_t k = std::max<uint32_t>(1, std::min<uint32_t>(len, 1024) / 2);
  send_data(a, len - k, 0, Bytes(2 * k, 0xEE));
}

// A tag at or above the queue depth was never handed out.
void NvmeTcpConnection::send_unknown_cid(const Active& a) {
  const uint32_t tag = cfg_.queue_depth + uint32_t(rng_.below(std::min<uint32_t>(64, 4096 - cfg_.queue_depth)));
  nvme::DataHdr h;
  h.cccid = uint16_t(tag | (cfg_.cid_genctr ? rng_.below(16) << 12 : 0));
  const Bytes junk(std::min<size_t>(a.data.bytes.size(), 4096), 0xCD);
  ctrl_.write(nvme::encode_data(nvme::PduType::C2HData, h, nvme::pduflag::LAST_PDU, junk, cp_),
              a.ready_ps);
  nvme::Cqe cqe;
  cqe.sqid = truth_.sqid;
  cqe.cid = h.cccid;
  ctrl_.write(nvme::encode_capsule_resp(cqe, cp_), a.ready_ps);
  ++totals_.c2h_data_pdus;
  ++totals_.capsule_resps;
}


// A free tag at random, as a block layer hands them out; the generation (Linux: nvme_cid())
// is counted before use, so a tag's first CID has generation 1.
uint16_t NvmeTcpConnection::next_cid() {
  const size_t pick = rng_.below(free_tags_.size());
  const uint16_t tag = free_tags_[pick];
  free_tags_.erase(free_tags_.begin() + long(pick));
  if (!cfg_.cid_genctr) return tag;
  return uint16_t(tag | (++tag_gen_[tag] & 0xF) << 12);
}


}  // namespace nic::gen
