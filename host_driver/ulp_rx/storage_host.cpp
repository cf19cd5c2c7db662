#include "host_driver/ulp_rx/storage_host.hpp"

#include <algorithm>

namespace nic::host {

// Command buffers of one connection, reached through each read's SGL.
class StorageHost::ConnIo : public BufferIo {
 public:
  ConnIo(StorageHost& h, Conn& k) : h_(h), k_(k) {}
  void write(uint32_t tag, uint32_t off, ByteView data) override {
    Cmd* c = h_.cmd_of(k_.active, tag);
    if (!c) return;
    h_.got_data(*c);
    for_each_run(c->buf, off, uint32_t(data.size), [&](uint64_t addr, uint32_t n, uint32_t at) {
      h_.host_.write(addr, data.data + at, n);
    });
  }
  void read(uint32_t tag, uint32_t off, uint8_t* out, size_t n) override {
    h_.read_buffer(h_.cmd_of(k_.active, tag), off, out, n);
  }

 private:
  StorageHost& h_;
  Conn& k_;
};

void StorageHost::got_data(Cmd& c) const {
  if (!c.first_data_ps) c.first_data_ps = rx_times_.wire_start_ps;
}

void StorageHost::read_buffer(const Cmd* c, uint32_t off, uint8_t* out, size_t n) const {
  if (!c) return;
  for_each_run(c->buf, off, uint32_t(n),
               [&](uint64_t addr, uint32_t len, uint32_t at) { host_.read(addr, out + at, len); });
}

StorageHost::StorageHost(const DriverParams& cfg, HostAccess& host, UlpDdp& ddp,
                         SessionFactory sessions, bool keep_data)
    : cfg_(cfg), host_(host), ddp_(ddp), sessions_(std::move(sessions)), keep_data_(keep_data),
      alloc_([&] {
        AllocatorConfig a;
        a.mode = parse_sg_mode(cfg.allocator);
        a.seed = cfg.seed;
        return a;
      }()) {}

StorageHost::~StorageHost() = default;

RxStats StorageHost::sw_stats() const {
  RxStats s;
  for (const auto& [key, k] : conns_)
    if (k->reads) s += k->reads->stats();
  return s;
}

std::vector<ConnFigures> StorageHost::conn_figures() const {
  std::vector<ConnFigures> out;
  out.reserve(conns_.size());
  for (const auto& [key, k] : conns_) {
    ConnFigures f;
    f.name = k->name;
    f.target = net::endpoint_str(k->h2c.dst, k->h2c.dport);
    f.protocol = k->session->protocol();
    f.handle = k->off == DdpSock::Off::None || k->off == DdpSock::Off::Failed ? 0 : k->handle;
    f.rx = k->rx_counters;
    if (k->reads) f.sw = k->reads->stats();
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<std::string> StorageHost::failed_connections() const {
  std::vector<std::string> out;
  for (const auto& [key, k] : conns_)
    if (k->reads && k->reads->failed()) out.push_back(k->name + ": " + k->session->failure(*k->reads));
  return out;
}

void StorageHost::xmit(ByteView f) {
  net::ParsedFrame pf;
  ++ctr_.tx_frames;
  if (net::parse_frame(f, pf) != net::ParseError::None) return;
  Conn* k = conn_for(pf.tuple);
  if (!k) return;
  if (pf.tcp_flags & net::tcpflag::SYN) {
    k->tx_next = pf.seq + 1;
    k->tx_anchored = true;
    return;
  }
  const ByteView payload = f.sub(pf.payload_offset, pf.payload_len);
  if (!k->tx_anchored && k->session->opens_tx(payload)) {
    // A capture that begins after the handshake: this segment starts the stream.
    k->tx_next = pf.seq;
    k->tx_anchored = true;
  }
  if (!pf.payload_len || !k->tx_anchored || pf.seq != k->tx_next) return;  // resends
  k->tx_next += uint32_t(pf.payload_len);
  tx_stream(*k, payload);
}

void StorageHost::tx_stream(Conn& k, ByteView bytes) {
  k.session->tx(bytes, [this, &k](uint32_t tag, uint32_t length) { new_read(k, tag, length); });
}

StorageHost::Conn* StorageHost::conn_for(const net::FiveTuple& h2c) {
  auto it = conns_.find(h2c);
  if (it != conns_.end()) return it->second.get();
  std::unique_ptr<UlpSession> session = sessions_(h2c.dport);
  if (!session) return nullptr;
  auto& slot = conns_[h2c];
  slot = std::make_unique<Conn>();
  slot->h2c = h2c;
  slot->name = net::endpoint_str(h2c.src, h2c.sport);
  slot->session = std::move(session);
  return slot.get();
}

StorageHost::Conn* StorageHost::find_conn(const net::FiveTuple& h2c) {
  auto it = conns_.find(h2c);
  return it == conns_.end() ? nullptr : it->second.get();
}

StorageHost::Cmd* StorageHost::cmd_of(const std::unordered_map<uint32_t, uint64_t>& by_tag,
                                       uint32_t tag) {
  auto it = by_tag.find(tag);
  return it == by_tag.end() ? nullptr : static_cast<Cmd*>(io(it->second));
}

DdpIo* StorageHost::io(uint64_t id) {
  auto c = cmds_.find(id);
  return c == cmds_.end() ? nullptr : &c->second;
}

void StorageHost::new_read(Conn& k, uint32_t tag, uint32_t length) {
  Cmd c;
  c.id = next_cmd_id_++;
  c.conn = &k;
  c.tag = tag;
  c.order = k.next_order++;
  c.length = length;
  c.submit_ps = host_.now_ps();
  if (length) c.buf = alloc_.alloc(length);
  const uint64_t id = c.id;
  Cmd& cmd = cmds_.emplace(id, std::move(c)).first->second;
  if (k.reads && k.reads->failed()) return fail_now(k, cmd);
  Cmd* prev = cmd_of(k.active, tag);
  if (prev && !prev->rx_done)
    k.queued[tag].push_back(id);
  else
    activate(k, cmd);

  if (length < k.session->ddp_threshold(cfg_))
    ++ctr_.ddp_skipped_small;
  else if (ddp_.want(k, cmd))
    try_setup(cmd);
}

void StorageHost::activate(Conn& k, Cmd& c) {
  if (k.reads && k.reads->failed()) return fail_now(k, c);
  k.active[c.tag] = c.id;
  if (k.reads) k.reads->add_command(c.tag, c.length, c.id);
  if (ddp_.offloaded(k)) try_setup(c);
}

// The connection lost its framing or was terminated: Linux fails a command issued on it (the
// block layer retries it on the next connection); nothing is registered for it.
void StorageHost::fail_now(Conn& k, Cmd& c) {
  ++ctr_.failed_dead_connection;
  k.active[c.tag] = c.id;
  CmdResult r;
  r.tag = c.tag;
  r.length = c.length;
  r.status = k.reads->failure();
  read_done(k, r);
}

void StorageHost::try_setup(DdpIo& io) {
  Cmd& c = static_cast<Cmd&>(io);
  if (!c.want || c.posted || c.rx_done) return;
  Conn& k = *c.conn;
  // Only the read the parse is now waiting for under this tag: the NIC then knows that every
  // byte of it lies beyond the parse position sent along (an older read's are before).
  if (!k.reads || cmd_of(k.active, c.tag) != &c) return;
  ddp_.setup(k, c, k.reads->next_seq());
}

// The tag's next read in wire order may register now (never a later one: its data would
// arrive after the next one's and land in the wrong buffer).
void StorageHost::tag_free(DdpIo& io) {
  Cmd& c = static_cast<Cmd&>(io);
  Conn& k = *c.conn;
  Cmd* a = cmd_of(k.active, c.tag);
  if (a && a != &c && !a->rx_done) {
    try_setup(*a);
  } else if (auto q = k.queued.find(c.tag); q != k.queued.end() && !q->second.empty()) {
    if (Cmd* n = static_cast<Cmd*>(this->io(q->second.front()))) try_setup(*n);
  }
}

void StorageHost::resync_request(DdpSock& s, uint32_t seq) {
  static_cast<Conn&>(s).reads->resync_request(seq);
}

void StorageHost::released(DdpIo& io) { finalize(static_cast<Cmd&>(io)); }

void StorageHost::rx(const abi::Cqe& c, ByteView frame, const RxTimes& t) {
  rx_times_ = t;
  rx_frame(c, frame);
  rx_times_ = {};  // what completes a read outside a frame (a failure) has no frame times
}

void StorageHost::rx_frame(const abi::Cqe& c, ByteView frame) {
  net::ParsedFrame pf;
  const bool nic_checked = c.flags & abi::cqeflag::CSUM_OK;
  if (net::parse_frame(frame, pf, !nic_checked) != net::ParseError::None) {
    ++ctr_.drop;
    return;
  }
  // The flow handle names an offloaded connection in one hash lookup; the tuple decides.
  const net::FiveTuple h2c = pf.tuple.reversed();
  Conn* k = static_cast<Conn*>(ddp_.sock_of(c.flow));
  if (!k || k->h2c != h2c) k = find_conn(h2c);
  const bool csum_ok = nic_checked || (pf.ip_checksum_ok && pf.tcp_checksum_ok);
  if (k) {
    // The bypass reasons as the NIC's flags tell them, for frames it parsed.
    namespace f = abi::cqeflag;
    const bool parsed = c.flags & f::PARSED;
    ConnRxCounters& n = k->rx_counters;
    ++n.frames;
    n.payload_bytes += pf.payload_len;
    n.bad_checksum += parsed && !nic_checked;
    n.flow_miss += parsed && nic_checked && !(c.flags & f::OFFLOAD);
  }
  if (!csum_ok) {
    ++ctr_.drop;  // the stack verifies what the NIC did not, and drops a bad segment
    return;
  }
  if (!k) {
    ++ctr_.drop;  // not a connection of ours: the normal stack's business
    return;
  }
  ddp_.count_rx(*k, frame.size);
  const ByteView payload = frame.sub(pf.payload_offset, pf.payload_len);
  if (pf.tcp_flags & net::tcpflag::SYN) {
    start_rx(*k, pf.seq + 1);
    if (segment_hook_) segment_hook_({pf, pf.seq + 1, pf.seq + 1, true});
    return;
  }
  // Without the handshake in the capture, the segment that opens the stream anchors it.
  if (!k->rx && k->session->opens_rx(payload)) start_rx(*k, pf.seq);
  if (k->reads) ddp_.rx_resync(*k, c);
  if (!k->rx || !pf.payload_len) {
    if (segment_hook_) {
      const uint32_t nxt = k->rx ? k->rx->rcv_nxt() : 0;
      segment_hook_({pf, nxt, nxt, k->rx != nullptr});
    }
    return;
  }
  RangeAttrs& attrs = rx_attrs_;  // filled afresh, its storage kept for the next frame
  attrs_from_runs(uint32_t(pf.payload_len), c.runs, c.nruns,
                  (c.flags & abi::cqeflag::CRC_OK) != 0, attrs);
  uint32_t at = 0;  // payload offset of the range
  for (RangeAttr& a : attrs) {
    at += a.len;
    if (!a.placed) continue;
    Cmd* reg = static_cast<Cmd*>(ddp_.registered(*k, a.tag));
    a.buffer = reg ? reg->id : 0;
    if (reg) got_data(*reg);
    // Tell the parse where the NIC wrote, before it reaches these bytes: a read whose buffer
    // took bytes from beyond its completion must not end ok.
    if (reg && k->reads && !k->reads->placed(a.tag, reg->id, pf.seq + at) && reg->rx_done) {
      ++ctr_.late_placements;
      if (vouches_for_buffer(reg->result.status)) reg->result.status = CmdStatus::LatePlacement;
    }
  }
  const uint32_t before = k->rx->rcv_nxt();
  k->rx->on_segment(pf.seq, payload, attrs, ddp_.trust_crc(*k, c));
  if (segment_hook_) segment_hook_({pf, before, k->rx->rcv_nxt(), true});
}

bool StorageHost::rx_view(const net::FiveTuple& h2c, size_t max, uint32_t& rcv_nxt,
                          std::vector<std::pair<uint32_t, uint32_t>>& sack) const {
  const auto it = conns_.find(h2c);
  if (it == conns_.end() || !it->second->rx) return false;
  rcv_nxt = it->second->rx->rcv_nxt();
  it->second->rx->sack_blocks(max, sack);
  return true;
}

void StorageHost::start_rx(Conn& k, uint32_t first_seq) {
  Conn* kp = &k;
  k.rx = std::make_unique<TcpReceiver>(
      [this, kp](uint32_t seq, ByteView d, const RangeAttrs& a) { rx_deliver(*kp, seq, d, a); });
  k.rx->init(first_seq);
}

void StorageHost::rx_deliver(Conn& k, uint32_t seq, ByteView data, const RangeAttrs& attrs) {
  if (!k.reads) {
    // The connection's setup comes first; then the rest of the chunk goes to the reads.
    if (k.session->refused()) return;  // not this protocol after all: unparsed
    const size_t n = k.session->rx_setup(data);
    if (!k.session->ready()) return;
    start_reads(k, seq + uint32_t(n));
    if (n == data.size) return;
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
    k.reads->on_data(seq + uint32_t(n), data.sub(n), rest);
  } else {
    k.reads->on_data(seq, data, attrs);
  }
  // A dead connection gives up its offload.
  if (k.reads->failed()) ddp_.sk_del(k);
}

void StorageHost::start_reads(Conn& k, uint32_t seq) {
  k.io = std::make_unique<ConnIo>(*this, k);
  k.reads = k.session->make_rx(
      *k.io, seq, [this, &k](const CmdResult& res) { read_done(k, res); },
      [this, &k](uint32_t s) { ddp_.resync(k, s); });
  for (const auto& [tag, id] : k.active) {
    auto it = cmds_.find(id);
    if (it != cmds_.end() && !it->second.rx_done) k.reads->add_command(tag, it->second.length, id);
  }
  // Host bytes held until the setup told how to read them (the iSCSI digests).
  tx_stream(k, ByteView());
  // Offload the connection: the NIC starts framing at `seq`.
  SkConfig sk = k.session->offload(seq, cfg_.queue_depth);
  sk.c2h = k.h2c.reversed();
  ddp_.sk_add(k, sk);
  if (ready_hook_) ready_hook_(k.h2c);
}

void StorageHost::read_done(Conn& k, const CmdResult& r) {
  Cmd* c = cmd_of(k.active, r.tag);
  if (!c) return;
  c->rx_done = true;
  c->result = r;
  if (rx_times_.landed_ps) {  // the frame being handled completed the parse
    c->last_wire_ps = rx_times_.wire_end_ps;
    c->last_landed_ps = rx_times_.landed_ps;
    c->parsed_ps = host_.now_ps();
  }
  // The next read of this tag takes over the software receive path.
  auto q = k.queued.find(r.tag);
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

void StorageHost::finalize(Cmd& c) {
  CommandRecord& rec = rec_;  // every field but sha256 set below; its strings keep storage
  rec.flow = c.conn->name;
  rec.protocol = c.conn->session->protocol();
  rec.tag = c.tag;
  rec.order = c.order;
  rec.length = c.length;
  rec.status = to_string(c.result.status);
  rec.placed_bytes = c.result.placed_bytes;
  rec.copied_bytes = c.result.copied_bytes;
  rec.crc = to_string(c.result.crc);
  rec.ddp = c.teardown_posted;
  rec.submit_ps = c.submit_ps;
  rec.complete_ps = host_.now_ps();
  rec.first_data_ps = c.first_data_ps;
  rec.last_wire_ps = c.last_wire_ps;
  rec.last_landed_ps = c.last_landed_ps;
  rec.parsed_ps = c.parsed_ps;
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

bool CommandRecord::stamps(ReadStamps& out) const {
  if (!parsed_ps) return false;
  // A read that got no data (its data frames lost, a zero length) starts its transfer where
  // the frame that completed it ended.
  const uint64_t at[kReadStages] = {first_data_ps ? first_data_ps : last_wire_ps, last_wire_ps,
                                    last_landed_ps, parsed_ps, complete_ps};
  out.start_ps = submit_ps;
  uint64_t prev = submit_ps;
  for (size_t i = 0; i < kReadStages; ++i) prev = out.end_ps[i] = std::max(prev, at[i]);
  return true;
}

}  // namespace nic::host
