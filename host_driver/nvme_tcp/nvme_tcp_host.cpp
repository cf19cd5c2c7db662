#include "host_driver/nvme_tcp/nvme_tcp_host.hpp"

#include <algorithm>

namespace nic::host {

// Command buffers of one connection, reached through each read's SGL.
class NvmeTcpHost::ConnIo : public BufferIo {
 public:
  ConnIo(NvmeTcpHost& h, Conn& k) : h_(h), k_(k) {}
  void write(uint32_t cid, uint32_t off, ByteView data) override {
    const Cmd* c = h_.cmd_of(k_.active, cid);
    if (!c) return;
    for_each_run(c->buf, off, uint32_t(data.size), [&](uint64_t addr, uint32_t n, uint32_t at) {
      h_.host_.write(addr, data.data + at, n);
    });
  }
  void read(uint32_t cid, uint32_t off, uint8_t* out, size_t n) override {
    h_.read_buffer(h_.cmd_of(k_.active, cid), off, out, n);
  }

 private:
  NvmeTcpHost& h_;
  Conn& k_;
};

void NvmeTcpHost::read_buffer(const Cmd* c, uint32_t off, uint8_t* out, size_t n) const {
  if (!c) return;
  for_each_run(c->buf, off, uint32_t(n),
               [&](uint64_t addr, uint32_t len, uint32_t at) { host_.read(addr, out + at, len); });
}

NvmeTcpHost::NvmeTcpHost(const DriverParams& cfg, HostAccess& host, UlpDdp& ddp,
                         const nvme::PortList& nvme_ports, bool keep_data)
    : cfg_(cfg), host_(host), ddp_(ddp), ports_(nvme_ports), keep_data_(keep_data),
      alloc_([&] {
        AllocatorConfig a;
        a.mode = parse_sg_mode(cfg.allocator);
        a.seed = cfg.seed;
        return a;
      }()) {}

NvmeTcpHost::~NvmeTcpHost() = default;

RxStats NvmeTcpHost::sw_stats() const {
  RxStats s;
  for (const auto& [key, k] : conns_)
    if (k->nvme) s += k->nvme->stats();
  return s;
}

std::vector<std::string> NvmeTcpHost::failed_connections() const {
  std::vector<std::string> out;
  for (const auto& [key, k] : conns_) {
    if (!k->nvme || !k->nvme->failed()) continue;
    const nvme::PduError e = k->nvme->failure_error();
    out.push_back(k->name + ": " + (e == nvme::PduError::None ? std::string("C2HTermReq from the controller")
                                                              : std::string("framing lost: ") + nvme::to_string(e)));
  }
  return out;
}

void NvmeTcpHost::xmit(ByteView f) {
  net::ParsedFrame pf;
  ++ctr_.tx_frames;
  if (net::parse_frame(f, pf) != net::ParseError::None) return;
  Conn& k = conn_for(pf.tuple);
  if (pf.tcp_flags & net::tcpflag::SYN) {
    k.tx_next = pf.seq + 1;
    k.tx_anchored = true;
    return;
  }
  const ByteView payload = f.sub(pf.payload_offset, pf.payload_len);
  if (!k.tx_anchored && nvme::starts_with_ic_pdu(payload, nvme::PduType::ICReq)) {
    // A capture that begins after the handshake: the ICReq is the stream's first byte.
    k.tx_next = pf.seq;
    k.tx_anchored = true;
  }
  if (!pf.payload_len || !k.tx_anchored || pf.seq != k.tx_next) return;  // resends
  k.tx_next += uint32_t(pf.payload_len);
  k.tx_dec.feed(payload);
  nvme::Pdu pdu;
  nvme::PduError err;
  while (k.tx_dec.next(pdu, err, false))
    if (err == nvme::PduError::None) on_tx_pdu(k, pdu);
}

NvmeTcpHost::Conn& NvmeTcpHost::conn_for(const net::FiveTuple& h2c) {
  auto& slot = conns_[h2c];
  if (!slot) {
    slot = std::make_unique<Conn>();
    slot->h2c = h2c;
    slot->name = net::endpoint_str(h2c.src, h2c.sport);
  }
  return *slot;
}

NvmeTcpHost::Conn* NvmeTcpHost::find_conn(const net::FiveTuple& h2c) {
  auto it = conns_.find(h2c);
  return it == conns_.end() ? nullptr : it->second.get();
}

NvmeTcpHost::Cmd* NvmeTcpHost::cmd_of(const std::unordered_map<uint16_t, uint64_t>& by_cid,
                                       uint16_t cid) {
  auto it = by_cid.find(cid);
  return it == by_cid.end() ? nullptr : static_cast<Cmd*>(io(it->second));
}

DdpIo* NvmeTcpHost::io(uint64_t id) {
  auto c = cmds_.find(id);
  return c == cmds_.end() ? nullptr : &c->second;
}

void NvmeTcpHost::on_tx_pdu(Conn& k, const nvme::Pdu& pdu) {
  if (pdu.ch.type == nvme::PduType::ICReq) {
    // The host's own PDUs carry the digests it asked for.
    const auto& req = std::get<nvme::IcReq>(pdu.body);
    k.hpda = req.hpda;
    nvme::ConnParams cp;
    cp.hdgst = req.dgst & 1;
    cp.ddgst = req.dgst & 2;
    cp.hpda = req.hpda;
    k.tx_dec.set_params(cp);
  } else if (pdu.ch.type == nvme::PduType::CapsuleCmd) {
    nvme::ReadCmd rc;
    if (nvme::ReadCmd::from_sqe(std::get<nvme::Sqe>(pdu.body), rc)) new_read(k, rc);
  }
}

void NvmeTcpHost::new_read(Conn& k, const nvme::ReadCmd& rc) {
  Cmd c;
  c.id = next_cmd_id_++;
  c.conn = &k;
  c.tag = rc.cid;
  c.order = k.next_order++;
  c.length = rc.length;
  c.submit_ps = host_.now_ps();
  if (rc.length) c.buf = alloc_.alloc(rc.length);
  const uint64_t id = c.id;
  Cmd& cmd = cmds_.emplace(id, std::move(c)).first->second;
  if (k.nvme && k.nvme->failed()) return fail_now(k, cmd);
  Cmd* prev = cmd_of(k.active, rc.cid);
  if (prev && !prev->rx_done)
    k.queued[rc.cid].push_back(id);
  else
    activate(k, cmd);

  if (rc.length < cfg_.io_threshold)
    ++ctr_.ddp_skipped_small;
  else if (ddp_.want(k, cmd))
    try_setup(cmd);
}

void NvmeTcpHost::activate(Conn& k, Cmd& c) {
  if (k.nvme && k.nvme->failed()) return fail_now(k, c);
  k.active[c.tag] = c.id;
  if (k.nvme) k.nvme->add_command(c.tag, c.length, c.id);
  if (ddp_.offloaded(k)) try_setup(c);
}

// The connection lost its framing or was terminated: Linux fails a command issued on it (the
// block layer retries it on the next connection); nothing is registered for it.
void NvmeTcpHost::fail_now(Conn& k, Cmd& c) {
  ++ctr_.failed_dead_connection;
  k.active[c.tag] = c.id;
  CmdResult r;
  r.tag = c.tag;
  r.length = c.length;
  r.status = k.nvme->failure();
  read_done(k, r);
}

void NvmeTcpHost::try_setup(DdpIo& io) {
  Cmd& c = static_cast<Cmd&>(io);
  if (!c.want || c.posted || c.rx_done) return;
  Conn& k = *c.conn;
  // Only the read the parse is now waiting for under this CID: the NIC then knows that every
  // byte of it lies beyond the parse position sent along (an older read's are before).
  if (!k.nvme || cmd_of(k.active, c.tag) != &c) return;
  ddp_.setup(k, c, k.nvme->next_seq());
}

// The CID's next read in wire order may register now (never a later one: its data would
// arrive after the next one's and land in the wrong buffer).
void NvmeTcpHost::tag_free(DdpIo& io) {
  Cmd& c = static_cast<Cmd&>(io);
  Conn& k = *c.conn;
  Cmd* a = cmd_of(k.active, c.tag);
  if (a && a != &c && !a->rx_done) {
    try_setup(*a);
  } else if (auto q = k.queued.find(c.tag); q != k.queued.end() && !q->second.empty()) {
    if (Cmd* n = static_cast<Cmd*>(this->io(q->second.front()))) try_setup(*n);
  }
}

void NvmeTcpHost::resync_request(DdpSock& s, uint32_t seq) {
  static_cast<Conn&>(s).nvme->resync_request(seq);
}

void NvmeTcpHost::released(DdpIo& io) { finalize(static_cast<Cmd&>(io)); }

void NvmeTcpHost::rx(const abi::Cqe& c, ByteView frame) {
  net::ParsedFrame pf;
  const bool nic_checked = c.flags & abi::cqeflag::CSUM_OK;
  if (net::parse_frame(frame, pf, !nic_checked) != net::ParseError::None) {
    ++ctr_.drop;
    return;
  }
  if (!nic_checked && !(pf.ip_checksum_ok && pf.tcp_checksum_ok)) {
    ++ctr_.drop;  // the stack verifies what the NIC did not, and drops a bad segment
    return;
  }
  Conn* k = nullptr;
  if (ports_.has(pf.tuple.sport)) {
    // The flow handle names an offloaded connection in one hash lookup; the tuple decides.
    const net::FiveTuple h2c = pf.tuple.reversed();
    k = static_cast<Conn*>(ddp_.sock_of(c.flow));
    if (!k || k->h2c != h2c) k = find_conn(h2c);
  }
  if (!k) {
    ++ctr_.drop;  // not a connection of ours: the normal stack's business
    return;
  }
  ddp_.count_rx(*k, frame.size);
  const ByteView payload = frame.sub(pf.payload_offset, pf.payload_len);
  if (pf.tcp_flags & net::tcpflag::SYN) {
    start_rx(*k, pf.seq + 1);
    return;
  }
  // Without the handshake in the capture, the ICResp (the stream's first byte) anchors it.
  if (!k->rx && nvme::starts_with_ic_pdu(payload, nvme::PduType::ICResp)) start_rx(*k, pf.seq);
  if (k->nvme) ddp_.rx_resync(*k, c);
  if (!k->rx || !pf.payload_len) return;
  RangeAttrs& attrs = rx_attrs_;  // filled afresh, its storage kept for the next frame
  attrs_from_runs(uint32_t(pf.payload_len), c.runs, c.nruns,
                  (c.flags & abi::cqeflag::CRC_OK) != 0, attrs);
  uint32_t at = 0;  // payload offset of the range
  for (RangeAttr& a : attrs) {
    at += a.len;
    if (!a.placed) continue;
    Cmd* reg = static_cast<Cmd*>(ddp_.registered(*k, a.tag));
    a.buffer = reg ? reg->id : 0;
    // Tell the parse where the NIC wrote, before it reaches these bytes: a read whose buffer
    // took bytes from beyond its completion must not end ok.
    if (reg && k->nvme && !k->nvme->placed(a.tag, reg->id, pf.seq + at) && reg->rx_done) {
      ++ctr_.late_placements;
      if (vouches_for_buffer(reg->result.status)) reg->result.status = CmdStatus::LatePlacement;
    }
  }
  k->rx->on_segment(pf.seq, payload, attrs, ddp_.trust_crc(*k, c));
}

void NvmeTcpHost::start_rx(Conn& k, uint32_t first_seq) {
  Conn* kp = &k;
  k.rx = std::make_unique<TcpReceiver>(
      [this, kp](uint32_t seq, ByteView d, const RangeAttrs& a) { rx_deliver(*kp, seq, d, a); });
  k.rx->init(first_seq);
  k.icresp_seq = first_seq;
}

void NvmeTcpHost::rx_deliver(Conn& k, uint32_t seq, ByteView data, const RangeAttrs& attrs) {
  if (!k.nvme) {
    // The ICResp comes first; collect it, then hand the rest of the chunk on.
    const size_t need = nvme::kIcPduLen - k.icresp.size();
    const size_t n = std::min(need, data.size);
    k.icresp.insert(k.icresp.end(), data.data, data.data + n);
    if (k.icresp.size() < nvme::kIcPduLen) return;
    start_nvme(k);
    if (!k.nvme || n == data.size) return;
    RangeAttrs rest;
    size_t skip = n;
    for (RangeAttr a : attrs) {
      if (skip >= a.len) {
        skip -= a.len;
        continue;
      }
      if (a.placed) a.buf_off += uint32_t(skip);
      a.len -= uint32_t(skip);
      skip = 0;
      rest.push_back(a);
    }
    k.nvme->on_data(seq + uint32_t(n), data.sub(n), rest);
  } else {
    k.nvme->on_data(seq, data, attrs);
  }
  // A dead connection gives up its offload.
  if (k.nvme->failed()) ddp_.sk_del(k);
}

void NvmeTcpHost::start_nvme(Conn& k) {
  nvme::Pdu pdu;
  if (nvme::decode_pdu(k.icresp, nvme::ConnParams{}, pdu) != nvme::PduError::None ||
      pdu.ch.type != nvme::PduType::ICResp)
    return;  // not NVMe/TCP after all: the connection stays in software, unparsed
  const auto& r = std::get<nvme::IcResp>(pdu.body);
  k.cp.hdgst = r.dgst & 1;
  k.cp.ddgst = r.dgst & 2;
  k.cp.hpda = k.hpda;
  k.cp.cpda = r.cpda;
  const uint32_t start = k.icresp_seq + uint32_t(nvme::kIcPduLen);
  k.io = std::make_unique<ConnIo>(*this, k);
  k.nvme = std::make_unique<NvmeRx>(
      k.cp, *k.io, start, [this, &k](const CmdResult& res) { read_done(k, res); },
      [this, &k](uint32_t seq) { ddp_.resync(k, seq); });
  for (const auto& [cid, id] : k.active) {
    auto it = cmds_.find(id);
    if (it != cmds_.end() && !it->second.rx_done) k.nvme->add_command(cid, it->second.length, id);
  }
  // Offload the connection: the NIC starts framing at the byte after ICResp.
  SkConfig sk;
  sk.c2h = k.h2c.reversed();
  sk.seq = start;
  sk.flags = uint8_t((k.cp.hdgst ? 1 : 0) | (k.cp.ddgst ? 2 : 0));
  sk.pda = k.cp.hpda;
  sk.queue_size = cfg_.queue_depth;
  sk.slot_rule = abi::nvme_tcp_slot_rule(cfg_.queue_depth);
  ddp_.sk_add(k, sk);
}

void NvmeTcpHost::read_done(Conn& k, const CmdResult& r) {
  Cmd* c = cmd_of(k.active, uint16_t(r.tag));
  if (!c) return;
  c->rx_done = true;
  c->result = r;
  // The next read of this CID takes over the software receive path.
  auto q = k.queued.find(uint16_t(r.tag));
  if (q != k.queued.end() && !q->second.empty()) {
    auto n = cmds_.find(q->second.front());
    q->second.pop_front();
    if (q->second.empty()) k.queued.erase(q);
    if (n != cmds_.end()) activate(k, n->second);
  }
  // The request completes only after the NIC confirms it will not write the buffer again.
  if (c->posted)
    ddp_.teardown(k, *c);
  else
    finalize(*c);
}

void NvmeTcpHost::finalize(Cmd& c) {
  CommandRecord& rec = rec_;  // every field but sha256 set below; its strings keep storage
  rec.flow = c.conn->name;
  rec.cid = c.tag;
  rec.order = c.order;
  rec.length = c.length;
  rec.status = to_string(c.result.status);
  rec.placed_bytes = c.result.placed_bytes;
  rec.copied_bytes = c.result.copied_bytes;
  rec.crc = to_string(c.result.crc);
  rec.ddp = c.teardown_posted;
  rec.submit_ps = c.submit_ps;
  rec.complete_ps = host_.now_ps();
  // One buffer for every read (no allocation, nor a fresh mapping for the large ones), copied
  // out only when the caller keeps the data.
  read_buf_.resize(c.length);
  uint32_t at = 0;
  for (const SgEntry& e : c.buf.sgl) {
    host_.read(e.addr, read_buf_.data() + at, e.len);
    at += e.len;
  }
  if (keep_data_) rec.data = read_buf_;
  if (done_hook_) done_hook_(rec, read_buf_);
  for (const SgEntry& e : c.buf.sgl) host_.release(e.addr, e.len);
  if (!c.buf.sgl.empty()) alloc_.free(c.buf);
  Conn& k = *c.conn;
  auto a = k.active.find(c.tag);
  if (a != k.active.end() && a->second == c.id) k.active.erase(a);
  cmds_.erase(c.id);
}

}  // namespace nic::host
