#include "host_driver/NvmeTcpDriver.hpp"

#include <algorithm>
#include <cstring>


namespace nic::host {

using namespace sc_core;

namespace {

// Calls f(addr, n, at) for each host memory run of buffer bytes [off, off + len) of a read
// (nothing for none), `at` counting from 0.
template <class F>
void walk(const DriverRead* c, uint32_t off, uint32_t len, F&& f) {
  if (!c) return;
  uint32_t at = 0;
  for (const SgEntry& e : c->buf.sgl) {
    if (!len) return;
    if (off >= e.len) {
      off -= e.len;
      continue;
    }
    const uint32_t n = std::min(len, e.len - off);
    f(e.addr + off, n, at);
    at += n;
    len -= n;
    off = 0;
  }
}

}  // namespace

// Command buffers of one connection, reached through each read's SGL.
class NvmeTcpDriver::ConnIo : public BufferIo {
 public:
  ConnIo(NvmeTcpDriver& d, Conn& k) : d_(d), k_(k) {}
  void write(uint16_t cid, uint32_t off, ByteView data) override {
    walk(d_.cmd_of(k_.active, cid), off, uint32_t(data.size),
         [&](uint64_t addr, uint32_t n, uint32_t at) { d_.mem_.write(addr, data.data + at, n); });
  }
  void read(uint16_t cid, uint32_t off, uint8_t* out, size_t n) override {
    d_.read_buffer(d_.cmd_of(k_.active, cid), off, out, n);
  }

 private:
  NvmeTcpDriver& d_;
  Conn& k_;
};

void NvmeTcpDriver::read_buffer(const Cmd* c, uint32_t off, uint8_t* out, size_t n) const {
  walk(c, off, uint32_t(n),
       [&](uint64_t addr, uint32_t len, uint32_t at) { mem_.read(addr, out + at, len); });
}

NvmeTcpDriver::NvmeTcpDriver(sc_module_name name, const DriverParams& cfg,
                             const PlacementParams& rings, HostMemory& mem,
                             const nvme::PortList& nvme_ports, bool keep_data)
    : sc_module(name), mmio_port("mmio"), cfg_(cfg), rings_(rings), mem_(mem), ports_(nvme_ports),
      slot_mask_(abi::ddp_slots(cfg.queue_depth) - 1), keep_data_(keep_data),
      alloc_([&] {
        AllocatorConfig a;
        a.mode = parse_sg_mode(cfg.allocator);
        a.seed = cfg.seed;
        return a;
      }()) {
  wake_ |= irq_ev_;
  wake_ |= tx_ev_;
  SC_HAS_PROCESS(NvmeTcpDriver);
  SC_THREAD(run);
}

NvmeTcpDriver::~NvmeTcpDriver() = default;

const NvmeRxStats NvmeTcpDriver::sw_stats() const {
  NvmeRxStats s = retired_sw_;
  for (const auto& [key, k] : conns_)
    if (k->nvme) s += k->nvme->stats();
  return s;
}

std::vector<std::string> NvmeTcpDriver::failed_connections() const {
  std::vector<std::string> out;
  for (const auto& [key, k] : conns_) {
    if (!k->nvme || !k->nvme->failed()) continue;
    const nvme::PduError e = k->nvme->failure_error();
    out.push_back(k->name + ": " + (e == nvme::PduError::None ? std::string("C2HTermReq from the controller")
                                                              : std::string("framing lost: ") + nvme::to_string(e)));
  }
  return out;
}

void NvmeTcpDriver::transmit(ByteView frame) {
  Bytes b = tx_spare_.take();
  b.assign(frame.begin(), frame.end());
  tx_q_.push_back(std::move(b));
  tx_ev_.notify(SC_ZERO_TIME);
}

void NvmeTcpDriver::completion_landed() {
  if (irq_pending_) return;  // coalesced into the interrupt already on its way
  irq_pending_ = true;
  // The completion's bytes are applied right after the observer call: look a delta later.
  irq_ev_.notify(sc_time(cfg_.irq_moderation_ns, SC_NS));
}

// One 32-bit register access through the PCIe link: writes are posted, a read waits for its
// completion (the annotated delay).
bool NvmeTcpDriver::mmio(tlm::tlm_command cmd, uint64_t off, uint8_t* buf) {
  tlm::tlm_generic_payload& gp = mmio_gp_;
  gp.set_command(cmd);
  gp.set_address(off);
  gp.set_data_ptr(buf);
  gp.set_data_length(4);
  gp.set_streaming_width(4);
  gp.set_byte_enable_ptr(nullptr);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_time delay = SC_ZERO_TIME;
  mmio_port->b_transport(gp, delay);
  if (delay != SC_ZERO_TIME) wait(delay);
  return gp.is_response_ok();
}

uint32_t NvmeTcpDriver::mmio_read32(uint64_t off) {
  uint8_t buf[4] = {};
  return mmio(tlm::TLM_READ_COMMAND, off, buf) ? ld_le32(buf) : 0;
}

void NvmeTcpDriver::mmio_write32(uint64_t off, uint32_t v) {
  uint8_t buf[4];
  st_le32(buf, v);
  mmio(tlm::TLM_WRITE_COMMAND, off, buf);
}

void NvmeTcpDriver::init_nic() {
  nic_max_sg_ = mmio_read32(abi::kRegLimitMaxSg);
  auto w64 = [&](uint64_t off, uint64_t v) {
    mmio_write32(off, uint32_t(v));
    mmio_write32(off + 4, uint32_t(v >> 32));
  };
  w64(abi::kRegCmdRingBase, kCmdRingBase);
  mmio_write32(abi::kRegCmdRingEntries, kCmdRingEntries);
  w64(abi::kRegCqBase, kCqBase);
  mmio_write32(abi::kRegCqEntries, rings_.cq_entries);
  w64(abi::kRegRxRingBase, kRxRingBase);
  mmio_write32(abi::kRegRxRingBytes, rings_.rx_ring_bytes);
}

void NvmeTcpDriver::run() {
  init_nic();
  for (;;) {
    wait(wake_);
    while (!tx_q_.empty()) {
      Bytes f = std::move(tx_q_.front());
      tx_q_.pop_front();
      on_tx_frame(f);
      tx_spare_.give(std::move(f));  // its storage takes a later frame
    }
    if (irq_pending_) {
      irq_pending_ = false;
      ++ctr_.irqs;
      handle_completions();
    }
    flush_backlog();
    if (doorbell_due_) {
      doorbell_due_ = false;
      mmio_write32(abi::kRegCmdProducer, cmd_posted_);
    }
  }
}

void NvmeTcpDriver::on_tx_frame(const Bytes& f) {
  net::ParsedFrame pf;
  ++ctr_.tx_frames;
  if (net::parse_frame(f, pf) != net::ParseError::None) return;
  Conn& k = conn_for(pf.tuple);
  if (pf.tcp_flags & net::tcpflag::SYN) {
    k.tx_next = pf.seq + 1;
    k.tx_anchored = true;
    return;
  }
  const ByteView payload = ByteView(f).sub(pf.payload_offset, pf.payload_len);
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

NvmeTcpDriver::Conn& NvmeTcpDriver::conn_for(const net::FiveTuple& h2c) {
  auto& slot = conns_[h2c];
  if (!slot) {
    slot = std::make_unique<Conn>();
    slot->h2c = h2c;
    slot->name = net::endpoint_str(h2c.src, h2c.sport);
  }
  return *slot;
}

NvmeTcpDriver::Conn* NvmeTcpDriver::find_conn(const net::FiveTuple& h2c) {
  auto it = conns_.find(h2c);
  return it == conns_.end() ? nullptr : it->second.get();
}

NvmeTcpDriver::Cmd* NvmeTcpDriver::cmd_of(const std::unordered_map<uint16_t, uint64_t>& by_cid,
                                           uint16_t cid) {
  auto it = by_cid.find(cid);
  if (it == by_cid.end()) return nullptr;
  auto c = cmds_.find(it->second);
  return c == cmds_.end() ? nullptr : &c->second;
}

NvmeTcpDriver::Cmd* NvmeTcpDriver::registered_cmd(const Conn& k, uint16_t cid) {
  Cmd* c = cmd_of(k.registered, slot_of(cid));
  return c && c->cid == cid ? c : nullptr;
}

void NvmeTcpDriver::on_tx_pdu(Conn& k, const nvme::Pdu& pdu) {
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

void NvmeTcpDriver::new_read(Conn& k, const nvme::ReadCmd& rc) {
  Cmd c;
  c.id = next_cmd_id_++;
  c.conn = &k;
  c.cid = rc.cid;
  c.order = k.next_order++;
  c.length = rc.length;
  c.submit_ps = sc_time_stamp().value();
  if (rc.length) c.buf = alloc_.alloc(rc.length);
  const uint64_t id = c.id;
  Cmd& cmd = cmds_.emplace(id, std::move(c)).first->second;
  if (k.nvme && k.nvme->failed()) return fail_now(k, cmd);
  Cmd* prev = cmd_of(k.active, rc.cid);
  if (prev && !prev->rx_done)
    k.queued[rc.cid].push_back(id);
  else
    activate(k, cmd);

  if (rc.length < cfg_.io_threshold) {
    ++ctr_.ddp_skipped_small;
  } else if (exceeds_sg_limit(cmd.buf.sgl, nic_max_sg_)) {
    ++ctr_.ddp_skipped_sg_limit;
  } else if (k.off == Conn::Off::Failed) {
    ++ctr_.ddp_skipped_no_offload;
  } else {
    cmd.want_ddp = true;
    if (k.off == Conn::Off::On)
      try_setup(cmd);
    else
      k.waiting_setup.push_back(id);  // sk_add comes with ICResp; setups follow it
  }
}

void NvmeTcpDriver::activate(Conn& k, Cmd& c) {
  if (k.nvme && k.nvme->failed()) return fail_now(k, c);
  k.active[c.cid] = c.id;
  if (k.nvme) k.nvme->add_command(c.cid, c.length, c.id);
  if (k.off == Conn::Off::On) try_setup(c);
}

// The connection lost its framing or was terminated: Linux fails a command issued on it (the
// block layer retries it on the next connection); nothing is registered for it.
void NvmeTcpDriver::fail_now(Conn& k, Cmd& c) {
  ++ctr_.failed_dead_connection;
  k.active[c.cid] = c.id;
  CmdResult r;
  r.cid = c.cid;
  r.length = c.length;
  r.status = k.nvme->failure();
  read_done(k, r);
}

// A dead connection gives up its offload once the NIC holds no buffer of it any more (SkDel
// is refused while any is registered): its later frames reach the stack as a flow the NIC
// does not know.
void NvmeTcpDriver::maybe_remove(Conn& k) {
  if (k.off != Conn::Off::On || !k.nvme || !k.nvme->failed() || !k.registered.empty()) return;
  abi::Cmd m;
  m.op = abi::CmdOp::SkDel;
  m.flow = k.handle;
  k.off = Conn::Off::Removing;
  post(m, Pending::SkDel, &k, 0);
}

// Registers the buffer unless its NIC slot still holds a buffer (the CID's previous one, or
// another CID's); the teardown of that one retries.
void NvmeTcpDriver::try_setup(Cmd& c) {
  if (!c.want_ddp || c.ddp || c.rx_done) return;
  Conn& k = *c.conn;
  // Only the read the parse is now waiting for under this CID: the NIC then knows that every
  // byte of it lies beyond the parse position sent along (an older read's are before).
  if (!k.nvme || cmd_of(k.active, c.cid) != &c) return;
  const uint16_t slot = slot_of(c.cid);
  if (const Cmd* holder = cmd_of(k.registered, slot)) {
    // The CID's own previous read: its teardown retries this one, no waiter entry needed.
    if (holder->cid == c.cid) return;
    std::deque<uint64_t>& w = k.slot_waiters[slot];
    if (std::find(w.begin(), w.end(), c.id) == w.end()) {
      w.push_back(c.id);
      ++ctr_.ddp_slot_waits;
    }
    return;
  }
  c.want_ddp = false;
  k.registered[slot] = c.id;
  post_setup(c);
}

void NvmeTcpDriver::post_setup(Cmd& c) {
  abi::Cmd m;
  m.op = abi::CmdOp::DdpSetup;
  m.flow = c.conn->handle;
  m.cid = c.cid;
  m.sg_count = uint32_t(c.buf.sgl.size());
  m.io_len = c.length;
  if (c.buf.sgl.size() == 1) {
    // One entry travels in the command: the NIC needs no SGL read (a PCIe round trip).
    m.flags = abi::kSetupInlineSgl;
    m.sgl_addr = c.buf.sgl[0].addr;
  } else {
    m.sgl_addr = sgl_slot(c.id);
    Bytes sgl(c.buf.sgl.size() * abi::kSgEntrySize, 0);
    for (size_t i = 0; i < c.buf.sgl.size(); ++i) {
      st_le64(&sgl[i * abi::kSgEntrySize], c.buf.sgl[i].addr);
      st_le32(&sgl[i * abi::kSgEntrySize + 8], c.buf.sgl[i].len);
    }
    mem_.write(m.sgl_addr, sgl.data(), sgl.size());
  }
  m.seq = c.conn->nvme->next_seq();
  c.ddp = true;
  if (reg_hook_) reg_hook_(m.flow, m.cid, &c.buf.sgl);
  post(m, Pending::Setup, c.conn, c.id);
}

void NvmeTcpDriver::post(const abi::Cmd& c, Pending kind, Conn* k, uint64_t cmd_id) {
  backlog_.push_back({c, PendingCmd{kind, k, cmd_id, uint32_t(abi::cmd_entries(c.op))}});
  flush_backlog();
}

void NvmeTcpDriver::flush_backlog() {
  while (!backlog_.empty()) {
    auto& [c, pc] = backlog_.front();
    if (cmd_entries_busy_ + pc.entries > kCmdRingEntries) return;  // wait for CmdDone
    abi::Cmd m = c;
    m.tag = next_tag_++;
    uint8_t buf[2 * abi::kCmdSize];
    abi::encode_cmd(m, buf);
    for (uint32_t i = 0; i < pc.entries; ++i) {
      const uint64_t slot = (cmd_posted_ + i) % kCmdRingEntries;
      mem_.write(kCmdRingBase + slot * abi::kCmdSize, buf + i * abi::kCmdSize, abi::kCmdSize);
    }
    cmd_posted_ += pc.entries;
    cmd_entries_busy_ += pc.entries;
    pending_[m.tag] = pc;
    backlog_.pop_front();
    doorbell_due_ = true;
  }
}

void NvmeTcpDriver::handle_completions() {
  const uint32_t n = rings_.cq_entries;
  uint8_t raw[abi::kCqeSize];
  uint32_t handled = 0;
  for (;;) {
    const uint32_t slot = cq_consumed_ % n;
    const uint8_t phase = uint8_t(((cq_consumed_ / n) & 1) ? 0 : 1);
    mem_.read(kCqBase + uint64_t(slot) * abi::kCqeSize, raw, abi::kCqeSize);
    const abi::Cqe c = abi::Cqe::decode(raw);
    if (c.owner != phase) break;
    ++cq_consumed_;
    ++handled;
    ++ctr_.cqes;
    switch (c.type) {
      case abi::CqeType::RxPacket: on_rx_packet(c); break;
      case abi::CqeType::CmdDone: on_cmd_done(c); break;
      case abi::CqeType::TeardownDone: on_teardown_done(c); break;
    }
  }
  if (handled) {
    mmio_write32(abi::kRegCqConsumer, cq_consumed_);
    mmio_write32(abi::kRegRxConsumer, rx_freed_);
  }
}

void NvmeTcpDriver::on_rx_packet(const abi::Cqe& c) {
  ++ctr_.rx_frames;
  // The frame as the stack sees it: kept bytes from the receive ring with the placed runs
  // read back from the buffers they went to.
  Bytes& kept = rx_kept_;  // both buffers live on for the next frame
  kept.resize(c.kept_len);
  const uint64_t ring = rings_.rx_ring_bytes;
  for (uint32_t done = 0; done < c.kept_len;) {
    const uint64_t off = (c.rx_off + done) % ring;
    const uint32_t n = uint32_t(std::min<uint64_t>(c.kept_len - done, ring - off));
    mem_.read(kRxRingBase + off, kept.data() + done, n);
    done += n;
  }
  rx_freed_ += c.kept_len;
  Bytes& frame = rx_frame_;
  frame.clear();
  if (c.nruns == 0) {
    frame.swap(kept);
  } else {
    frame.reserve(c.frame_len);
    // Placed runs are payload ranges; kept bytes fill everything else in order.
    Conn* k = conn_of_handle(c.flow);
    if (k && k->off != Conn::Off::On) k = nullptr;
    abi::PlacedRun runs[abi::kMaxRunsPerCqe];
    sort_runs(c.runs, c.nruns, runs);
    size_t kpos = 0;
    auto take_kept = [&](size_t upto) {
      const size_t n = std::min(upto - frame.size(), kept.size() - kpos);
      frame.insert(frame.end(), kept.begin() + long(kpos), kept.begin() + long(kpos + n));
      kpos += n;
    };
    for (size_t i = 0; i < c.nruns; ++i) {
      take_kept(size_t(c.l4_off) + runs[i].payload_off);
      const size_t at = frame.size();
      frame.resize(at + runs[i].len);
      // Bytes the NIC placed for a CID are in the buffer registered at the NIC for it.
      if (k) {
        read_buffer(registered_cmd(*k, runs[i].cid), runs[i].buf_off, frame.data() + at,
                    runs[i].len);
      }
    }
    take_kept(c.frame_len);
  }

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
    k = conn_of_handle(c.flow);
    if (!k || k->h2c != h2c) k = find_conn(h2c);
  }
  if (!k) {
    ++ctr_.drop;  // not a connection of ours: the normal stack's business
    return;
  }
  if (k->off == Conn::Off::On) {
    ++ctr_.packets;
    ctr_.bytes += frame.size();
  }
  const ByteView payload = ByteView(frame).sub(pf.payload_offset, pf.payload_len);
  if (pf.tcp_flags & net::tcpflag::SYN) {
    start_rx(*k, pf.seq + 1);
    return;
  }
  // Without the handshake in the capture, the ICResp (the stream's first byte) anchors it.
  if (!k->rx && nvme::starts_with_ic_pdu(payload, nvme::PduType::ICResp)) start_rx(*k, pf.seq);
  if ((c.flags & abi::cqeflag::RESYNC) && k->nvme) {
    // Asked before this packet's bytes reach the parse, so a header in it can be confirmed.
    ++ctr_.resync;
    k->nvme->resync_request(c.resync_seq);
  }
  if (!k->rx || !pf.payload_len) return;
  RangeAttrs& attrs = rx_attrs_;  // filled afresh, its storage kept for the next frame
  attrs_from_runs(uint32_t(pf.payload_len), c.runs, c.nruns,
                  (c.flags & abi::cqeflag::CRC_OK) != 0, attrs);
  uint32_t at = 0;  // payload offset of the range
  for (RangeAttr& a : attrs) {
    at += a.len;
    if (!a.placed) continue;
    Cmd* reg = registered_cmd(*k, a.cid);
    a.buffer = reg ? reg->id : 0;
    // Tell the parse where the NIC wrote, before it reaches these bytes: a read whose buffer
    // took bytes from beyond its completion must not end ok.
    if (reg && k->nvme && !k->nvme->placed(a.cid, reg->id, pf.seq + at) && reg->rx_done) {
      ++ctr_.late_placements;
      if (vouches_for_buffer(reg->result.status)) reg->result.status = CmdStatus::LatePlacement;
    }
  }
  const bool trust = k->trust_next_crc;
  if (!trust && (c.flags & abi::cqeflag::CRC_OK)) {
    ++ctr_.untrusted_crc;
    k->trust_next_crc = true;
  }
  k->rx->on_segment(pf.seq, payload, attrs, trust);
}

void NvmeTcpDriver::start_rx(Conn& k, uint32_t first_seq) {
  Conn* kp = &k;
  k.rx = std::make_unique<TcpReceiver>(
      [this, kp](uint32_t seq, ByteView d, const RangeAttrs& a) { rx_deliver(*kp, seq, d, a); });
  k.rx->init(first_seq);
  k.icresp_seq = first_seq;
}

void NvmeTcpDriver::rx_deliver(Conn& k, uint32_t seq, ByteView data, const RangeAttrs& attrs) {
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
  maybe_remove(k);
}

void NvmeTcpDriver::start_nvme(Conn& k) {
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
      [this, &k](uint32_t seq) {
        abi::Cmd m;
        m.op = abi::CmdOp::Resync;
        m.flow = k.handle;
        m.seq = seq;
        ++ctr_.resync_confirmed;
        k.trust_next_crc = false;  // the first crc-ok after a resync is not trusted
        post(m, Pending::Resync, &k, 0);
      });
  for (const auto& [cid, id] : k.active) {
    auto it = cmds_.find(id);
    if (it != cmds_.end() && !it->second.rx_done) k.nvme->add_command(cid, it->second.length, id);
  }
  // Offload the connection: the NIC starts framing at the byte after ICResp.
  abi::Cmd m;
  m.op = abi::CmdOp::SkAdd;
  m.flags = uint8_t((k.cp.hdgst ? 1 : 0) | (k.cp.ddgst ? 2 : 0));
  m.pda = k.cp.hpda;
  m.flow = k.handle = next_handle_++;
  by_handle_[k.handle] = &k;
  m.seq = start;
  m.queue_size = cfg_.queue_depth;
  const net::FiveTuple c2h = k.h2c.reversed();
  m.ip_version = c2h.src.version;
  std::memcpy(m.src_ip, c2h.src.b.data(), 16);
  std::memcpy(m.dst_ip, c2h.dst.b.data(), 16);
  m.sport = c2h.sport;
  m.dport = c2h.dport;
  k.off = Conn::Off::Adding;
  post(m, Pending::SkAdd, &k, 0);
}

void NvmeTcpDriver::on_cmd_done(const abi::Cqe& c) {
  auto it = pending_.find(c.tag);
  if (it == pending_.end()) return;
  const PendingCmd pc = it->second;
  pending_.erase(it);
  cmd_entries_busy_ -= pc.entries;
  const bool ok = c.status == uint8_t(abi::CmdStatus::Ok);
  Conn& k = *pc.conn;
  switch (pc.kind) {
    case Pending::SkAdd:
      if (ok) {
        ++ctr_.sk_add;
        k.off = Conn::Off::On;
      } else {
        ++ctr_.sk_add_fail;
        k.off = Conn::Off::Failed;
      }
      while (!k.waiting_setup.empty()) {
        auto w = cmds_.find(k.waiting_setup.front());
        k.waiting_setup.pop_front();
        if (w == cmds_.end() || w->second.rx_done) continue;
        if (ok) {
          try_setup(w->second);
        } else {
          w->second.want_ddp = false;
          ++ctr_.ddp_skipped_no_offload;
        }
      }
      break;
    case Pending::Setup: {
      mem_.release(sgl_slot(pc.cmd_id), sgl_slot_bytes());  // the NIC has read the SGL
      auto w = cmds_.find(pc.cmd_id);
      if (ok) {
        ++ctr_.ddp_setup;
      } else {
        ++ctr_.ddp_setup_fail;
        if (w != cmds_.end()) {
          w->second.ddp = false;  // nothing to tear down
          if (reg_hook_) reg_hook_(k.handle, w->second.cid, nullptr);
          unregister(k, w->second);
        }
      }
      if (w != cmds_.end() && w->second.rx_done && !w->second.teardown_posted) finalize(w->second);
      break;
    }
    case Pending::Teardown: {
      // Ok: TeardownDone follows once in-flight writes landed; otherwise it is already free.
      auto w = cmds_.find(pc.cmd_id);
      if (!ok && w != cmds_.end()) {
        w->second.ddp = false;
        if (reg_hook_) reg_hook_(k.handle, w->second.cid, nullptr);
        unregister(k, w->second);
        finalize(w->second);
      }
      break;
    }
    case Pending::SkDel:
      if (ok) {
        ++ctr_.sk_del;
        k.off = Conn::Off::Removed;
      } else {
        k.off = Conn::Off::On;  // a registration still drains: the next teardown retries
      }
      break;
    case Pending::Resync:
      break;
  }
}

void NvmeTcpDriver::on_teardown_done(const abi::Cqe& c) {
  ++ctr_.ddp_teardown;
  // A read with its setup posted holds its slot (`registered`) until it is unregistered.
  Conn* k = conn_of_handle(c.flow);
  Cmd* cmd = k ? cmd_of(k->registered, slot_of(c.cid)) : nullptr;
  if (cmd && cmd->teardown_posted && cmd->ddp && cmd->cid == c.cid) {
    cmd->ddp = false;
    unregister(*k, *cmd);
    finalize(*cmd);
  }
}

NvmeTcpDriver::Conn* NvmeTcpDriver::conn_of_handle(uint32_t handle) const {
  // Only the connection's current handle names it (as `conn->handle == flow` did).
  const auto it = by_handle_.find(handle);
  return it == by_handle_.end() || it->second->handle != handle ? nullptr : it->second;
}

void NvmeTcpDriver::unregister(Conn& k, Cmd& c) {
  const uint16_t slot = slot_of(c.cid);
  auto r = k.registered.find(slot);
  if (r == k.registered.end() || r->second != c.id) return;
  k.registered.erase(r);
  maybe_remove(k);
  // The CID's next read in wire order may register now (never a later one: its data would
  // arrive after the next one's and land in the wrong buffer).
  Cmd* a = cmd_of(k.active, c.cid);
  if (a && a != &c && !a->rx_done) {
    try_setup(*a);
  } else if (auto q = k.queued.find(c.cid); q != k.queued.end() && !q->second.empty()) {
    auto n = cmds_.find(q->second.front());
    if (n != cmds_.end()) try_setup(n->second);
  }
  // Then reads of other CIDs waiting for the slot, oldest first.
  auto w = k.slot_waiters.find(slot);
  if (w == k.slot_waiters.end()) return;
  while (!w->second.empty() && !k.registered.count(slot)) {
    auto n = cmds_.find(w->second.front());
    w->second.pop_front();
    if (n != cmds_.end()) try_setup(n->second);
  }
  if (w->second.empty()) k.slot_waiters.erase(w);
}

void NvmeTcpDriver::read_done(Conn& k, const CmdResult& r) {
  Cmd* c = cmd_of(k.active, r.cid);
  if (!c) return;
  c->rx_done = true;
  c->result = r;
  // The next read of this CID takes over the software receive path.
  auto q = k.queued.find(r.cid);
  if (q != k.queued.end() && !q->second.empty()) {
    auto n = cmds_.find(q->second.front());
    q->second.pop_front();
    if (q->second.empty()) k.queued.erase(q);
    if (n != cmds_.end()) activate(k, n->second);
  }
  if (!c->ddp) {
    finalize(*c);
    return;
  }
  // The request completes only after the NIC confirms it will not write the buffer again.
  abi::Cmd m;
  m.op = abi::CmdOp::DdpTeardown;
  m.flow = k.handle;
  m.cid = c->cid;
  c->teardown_posted = true;
  post(m, Pending::Teardown, &k, c->id);
}

void NvmeTcpDriver::finalize(Cmd& c) {
  CommandRecord& rec = rec_;  // every field but sha256 set below; its strings keep storage
  rec.flow = c.conn->name;
  rec.cid = c.cid;
  rec.order = c.order;
  rec.length = c.length;
  rec.status = to_string(c.result.status);
  rec.placed_bytes = c.result.placed_bytes;
  rec.copied_bytes = c.result.copied_bytes;
  rec.crc = to_string(c.result.crc);
  rec.ddp = c.teardown_posted;
  rec.submit_ps = c.submit_ps;
  rec.complete_ps = sc_time_stamp().value();
  // One buffer for every read (no allocation, nor a fresh mapping for the large ones), copied
  // out only when the caller keeps the data.
  read_buf_.resize(c.length);
  uint32_t at = 0;
  for (const SgEntry& e : c.buf.sgl) {
    mem_.read(e.addr, read_buf_.data() + at, e.len);
    at += e.len;
  }
  if (keep_data_) rec.data = read_buf_;
  if (done_hook_) done_hook_(rec, read_buf_);
  for (const SgEntry& e : c.buf.sgl) mem_.release(e.addr, e.len);
  if (!c.buf.sgl.empty()) alloc_.free(c.buf);
  Conn& k = *c.conn;
  auto a = k.active.find(c.cid);
  if (a != k.active.end() && a->second == c.id) k.active.erase(a);
  unregister(k, c);
  cmds_.erase(c.id);
}

}  // namespace nic::host
