// Bench for the NIC's host side: DMA engine, placement engine, completion ring and command
// processor over a real PcieLink and HostMemory, driven by the product's NIC device driver
// (MMIO, command ring, completion and receive rings) under a test script, and a frame source
// that stands in for the front pipeline (it parses, looks up and plans each frame with the
// flow's own tracker and CRC engine, and stalls at random).
//
// Checkers, all recording violations for the test to assert after the simulation:
//   AtChecker   between DmaEngine and PcieLink: BEGIN_REQ only on a clock edge, at most one
//               per cycle, never before the previous END_REQ, at most dma.read_ops reads
//               open (BEGIN_REQ to BEGIN_RESP), at most dma.write_ops writes issued whose
//               last TLP has not left (the link's DmaTimes::sent_ps).
//   observer    on HostMemory: every DMA write falls in a registered SG element of a live
//               buffer, the receive ring or the completion ring; each RxPacket completion,
//               when it lands, already finds its kept and placed bytes in host memory and
//               they rebuild the original frame byte for byte.
#pragma once
#include <catch2/catch.hpp>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <deque>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "host_driver/nic/NicDriver.hpp"
#include "host_driver/ulp_ddp/ulp_ddp.hpp"
#include "hw/common/ClockDomain.hpp"
#include "hw/common/StreamChannel.hpp"
#include "hw/common/packet.hpp"
#include "hw/flow/flow_table.hpp"
#include "hw/cmd/CommandProcessor.hpp"
#include "hw/offload/flow_context.hpp"
#include "hw/abi/nic_abi.hpp"
#include "tb/config/sim_config.hpp"
#include "hw/pcie/DmaEngine.hpp"
#include "hw/pcie/HostMemory.hpp"
#include "hw/pcie/PcieLink.hpp"
#include "hw/placement/CompletionRing.hpp"
#include "hw/placement/PlacementEngine.hpp"
#include "proto/iscsi.hpp"
#include "proto/net.hpp"
#include "proto/nvme_tcp.hpp"

namespace nic::test {

using namespace nic::hw;
using sc_core::sc_time;
using sc_core::SC_NS;

// ---- AT protocol checker between the DMA engine and the link ------------------------------

struct AtChecker : sc_core::sc_module {
  tlm_utils::simple_target_socket<AtChecker> tsock{"tsock"};
  tlm_utils::simple_initiator_socket<AtChecker> isock{"isock"};
  ClockDomain& clk;
  const uint32_t write_ops, read_ops;
  std::vector<std::string> errors;
  std::vector<uint64_t> req_addrs;   // BEGIN_REQ order
  std::vector<uint64_t> req_cycles;
  std::function<void(const tlm::tlm_generic_payload&)> on_req;  // sees every BEGIN_REQ
  uint32_t reads_open = 0, max_reads = 0, max_writes = 0;
  std::deque<uint64_t> sending;  // sent_ps of the writes issued, in issue order

  AtChecker(sc_core::sc_module_name n, ClockDomain& c, uint32_t writes, uint32_t reads)
      : sc_module(n), clk(c), write_ops(writes), read_ops(reads) {
    tsock.register_nb_transport_fw(this, &AtChecker::fw);
    isock.register_nb_transport_bw(this, &AtChecker::bw);
  }

  tlm::tlm_sync_enum fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& ph, sc_time& d) {
    if (ph == tlm::BEGIN_REQ) {
      const uint64_t cyc = clk.cycle();
      // The request's time is the kernel's plus its annotated delay (a domain running ahead).
      if (sc_core::sc_time_stamp() + d != clk.time_of(cyc)) errors.push_back("BEGIN_REQ off the clock edge");
      if (cyc == last_req_cycle_) errors.push_back("two BEGIN_REQ in one cycle");
      if (req_open_) errors.push_back("BEGIN_REQ before END_REQ");
      if (gp.is_write()) {
        // The engine frees a write's operation at the first edge at or after its sent time.
        const uint64_t now = clk.time_of(cyc).value();
        while (!sending.empty() && sending.front() <= now) sending.pop_front();
        if (sending.size() >= write_ops) errors.push_back("more than dma.write_ops writes sending");
      } else {
        if (reads_open >= read_ops) errors.push_back("more than dma.read_ops reads open");
        max_reads = std::max(max_reads, ++reads_open);
      }
      last_req_cycle_ = cyc;
      req_addrs.push_back(gp.get_address());
      req_cycles.push_back(cyc);
      if (on_req) on_req(gp);
    }
    const bool begin = ph == tlm::BEGIN_REQ;
    const tlm::tlm_sync_enum r = isock->nb_transport_fw(gp, ph, d);
    if (begin && gp.is_write()) {
      const auto* t = gp.get_extension<hw::DmaTimes>();
      sending.push_back(t ? t->sent_ps : 0);
      max_writes = std::max(max_writes, uint32_t(sending.size()));
    }
    if (r == tlm::TLM_ACCEPTED && begin) req_open_ = true;
    return r;
  }
  tlm::tlm_sync_enum bw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& ph, sc_time& d) {
    if (ph == tlm::END_REQ) req_open_ = false;
    if (ph == tlm::BEGIN_RESP) {
      req_open_ = false;
      reads_open -= !gp.is_write();
    }
    return tsock->nb_transport_bw(gp, ph, d);
  }

 private:
  uint64_t last_req_cycle_ = UINT64_MAX;
  bool req_open_ = false;
};

// ---- frames --------------------------------------------------------------------------------

inline net::FiveTuple c2h_tuple() {
  return {net::IpAddr::v4(10, 0, 0, 2), net::IpAddr::v4(10, 0, 0, 1), 4420, 50000};
}

inline nvme::ConnParams digests() {
  nvme::ConnParams cp;
  cp.ddgst = true;
  return cp;
}

inline Bytes random_bytes(size_t n, uint32_t seed) {
  Bytes b(n);
  std::mt19937 g(seed);
  for (auto& x : b) x = uint8_t(g());
  return b;
}

inline Bytes c2h_data(uint16_t cid, uint32_t datao, ByteView data, bool last = true) {
  nvme::DataHdr h;
  h.cccid = cid;
  h.datao = datao;
  return nvme::encode_data(nvme::PduType::C2HData, h, last ? nvme::pduflag::LAST_PDU : 0, data,
                           digests());
}

inline Bytes capsule_resp(uint16_t cid) {
  nvme::Cqe c;
  c.cid = cid;
  return nvme::encode_capsule_resp(c, digests());
}

// Bytes [off, off + n) of a byte ring, wrapping at its end.
inline Bytes ring_read(const HostMemory& mem, uint64_t base, uint32_t size, uint64_t off,
                       uint32_t n) {
  const uint32_t pos = uint32_t(off % size), first = std::min(n, size - pos);
  Bytes b = mem.read(base + pos, first);
  const Bytes rest = mem.read(base, n - first);
  b.insert(b.end(), rest.begin(), rest.end());
  return b;
}

// Cuts a byte stream into TCP frames with payload sizes drawn from [lo, hi].
inline std::vector<Bytes> segment_random(ByteView stream, uint32_t seq, size_t lo, size_t hi,
                                         uint32_t seed) {
  std::vector<Bytes> v;
  std::mt19937 g(seed);
  for (size_t off = 0; off < stream.size;) {
    const size_t n = std::min(stream.size - off, std::uniform_int_distribution<size_t>(lo, hi)(g));
    net::FrameSpec s;
    s.tuple = c2h_tuple();
    s.seq = seq + uint32_t(off);
    v.push_back(net::build_frame(s, stream.sub(off, n)));
    off += n;
  }
  return v;
}
inline std::vector<Bytes> segment(ByteView stream, uint32_t seq, size_t mss) {
  return segment_random(stream, seq, mss, mss, 0);
}

// ---- frame source: the front pipeline's output, with random stalls ------------------------

struct FrameSource : sc_core::sc_module, ClockDomain::Clocked {
  ClockDomain& clk;
  StreamChannel<Beat>& out;
  PacketPool& pool;
  const FlowTable& table;
  FlowContexts& flows;
  const uint32_t beat_bytes;
  double stall = 0.0;
  std::mt19937 rng{11};
  std::deque<Bytes> pending;
  uint64_t frames_sent = 0;
  // PDU headers the flows' framers completed, and of those with a matching header digest.
  uint64_t headers = 0, header_errors = 0, hdgst_ok = 0;

  FrameSource(sc_core::sc_module_name n, ClockDomain& c, StreamChannel<Beat>& o, PacketPool& p,
              const FlowTable& t, FlowContexts& f, uint32_t beat)
      : sc_module(n), clk(c), out(o), pool(p), table(t), flows(f), beat_bytes(beat) {
    clk.attach(*this);
  }

  void add(Bytes f) {
    pending.push_back(std::move(f));
    clk.request_next();
  }
  bool idle() const { return pending.empty() && !cur_; }

  void tick() override {
    if (!cur_ && !pending.empty()) start_frame();
    if (!cur_) return;
    clk.request_next();
    if (std::uniform_real_distribution<>(0, 1)(rng) < stall) return;
    if (!out.can_push()) {
      out.note_blocked();
      return;
    }
    const uint32_t n = std::min<uint32_t>(beat_bytes, uint32_t(cur_->frame.size()) - off_);
    Beat b;
    b.pkt = cur_;
    b.off = off_;
    b.len = uint16_t(n);
    b.sop = off_ == 0;
    off_ += n;
    b.eop = off_ == cur_->frame.size();
    out.push(std::move(b));
    if (b.eop) cur_ = nullptr;
  }

 private:
  // Parses, looks up and plans the frame now, in arrival order, as the front pipeline would.
  void start_frame() {
    PacketCtx& p = *(cur_ = pool.get());
    off_ = 0;
    p.frame = std::move(pending.front());
    pending.pop_front();
    p.index = ++frames_sent;
    p.perr = net::parse_frame(p.frame, p.pf);
    p.csum_ok = p.perr == net::ParseError::None && p.pf.ip_checksum_ok && p.pf.tcp_checksum_ok;
    p.flow = -1;
    p.plan.in_seq = false;
    p.plan.segs.clear();
    p.plan.headers.clear();
    p.crc_ok = false;
    p.placed_bytes = 0;
    if (p.perr != net::ParseError::None) {
      p.bypass = Bypass::NotTcp;
    } else if (!p.csum_ok) {
      p.bypass = Bypass::BadChecksum;
    } else if ((p.flow = table.lookup(p.pf.tuple)) == FlowTable::kMiss) {
      p.bypass = Bypass::FlowMiss;
    } else {
      FlowContext& f = *flows.get(p.flow);  // a table hit: the flow was added
      const ByteView payload = ByteView(p.frame).sub(p.pf.payload_offset, p.pf.payload_len);
      f.tracker.plan(p.pf.seq, payload, p.plan);
      for (const PduInfo& h : p.plan.headers) {
        ++headers;
        header_errors += h.err != 0;
        hdgst_ok += h.hdgst_ok;
      }
      p.bypass = p.plan.in_seq ? Bypass::None : Bypass::OutOfSeq;
      if (p.plan.in_seq) {
        f.crc.begin_packet();
        for (const Segment& s : p.plan.segs) f.crc.feed(s, payload.sub(s.off, s.len));
        p.crc_ok = f.crc.result().crc_ok;
      }
    }
  }
  PacketCtx* cur_ = nullptr;
  uint32_t off_ = 0;
};

// ---- host driver ---------------------------------------------------------------------------

constexpr uint64_t kCmdRing = 0x1000'0000;
constexpr uint32_t kCmdEntries = 64;
constexpr uint64_t kCq = 0x2000'0000;
constexpr uint64_t kRxRing = 0x3000'0000;
constexpr uint64_t kSglArea = 0x4000'0000;
constexpr uint32_t kHandle = 0x77;

struct Received {
  abi::Cqe c;
  Bytes kept;  // RxPacket: the kept bytes as read from the receive ring
  sc_time at;
};

// A buffer the test registered; the NIC may write into its entries while it is live.
struct Buffer {
  uint32_t handle;
  uint32_t tag;
  std::vector<SgEntry> sg;
  bool live = true;
  Bytes read(const HostMemory& mem, uint64_t off, uint64_t n) const {
    Bytes out;
    for (const SgEntry& e : sg) {
      if (n == 0) break;
      if (off >= e.len) {
        off -= e.len;
        continue;
      }
      const uint64_t k = std::min<uint64_t>(n, e.len - off);
      const Bytes part = mem.read(e.addr + off, k);
      out.insert(out.end(), part.begin(), part.end());
      n -= k;
      off = 0;
    }
    return out;
  }
};

// The product's NIC device driver (host_driver/nic/NicDriver) under a script that posts raw
// commands (the offload core's encodings where they fit) and records every completion, polling
// instead of taking interrupts. Its register writes pass a filter on their way to the link:
// with free_rx false the NIC never sees receive-ring space returned.
struct ScriptDriver : sc_core::sc_module, host::NicDriverClient {
  tlm_utils::simple_initiator_socket<ScriptDriver> mmio{"mmio"};  // bind to the link
  HostMemory& mem;
  std::function<void()> script;
  std::function<bool()> quiet;  // after the script: wait for this before stopping
  bool consume = true;   // false: leave completions in the ring (fills it)
  bool free_rx = true;   // false: never return receive-ring space
  std::vector<Received> got;
  std::vector<Buffer> buffers;
  std::vector<std::string> errors;

  SC_HAS_PROCESS(ScriptDriver);
  ScriptDriver(sc_core::sc_module_name n, HostMemory& m, uint32_t cq_n, uint32_t rx_n)
      : sc_module(n), mem(m),
        nic_("nic", m, {kCmdRing, kCmdEntries, kCq, cq_n, kRxRing, rx_n}, *this) {
    regs_.register_b_transport(this, &ScriptDriver::filter);
    nic_.mmio_port.bind(regs_);
    SC_THREAD(run);
  }

  bool batch = false;  // commands are posted without a doorbell until ring()
  // Posts one command and rings the doorbell (unless batching); returns its tag.
  uint64_t command(const abi::Cmd& c) {
    const uint64_t tag = nic_.post(c);
    if (!batch) nic_.kick();
    return tag;
  }
  // One doorbell for the batch: the NIC fetches its commands in one read.
  void ring() {
    batch = false;
    nic_.kick();
  }
  uint64_t sk_add(uint32_t seq, uint32_t queue_size = 64, const net::FiveTuple& t = c2h_tuple(),
                  uint32_t handle = kHandle) {
    host::SkConfig cfg;
    cfg.c2h = t;
    cfg.seq = seq;
    cfg.flags = 2;  // data digest
    cfg.queue_size = queue_size;
    return command(host::sk_add_command(cfg, handle));
  }
  // An iSCSI connection in full-feature phase from `seq`, with what its login negotiated.
  uint64_t sk_add_iscsi(uint32_t seq, uint32_t queue_size, const iscsi::ConnParams& cp,
                        const net::FiveTuple& t, uint32_t handle = kHandle) {
    host::SkConfig cfg;
    cfg.c2h = t;
    cfg.seq = seq;
    cfg.flags = uint8_t((cp.hdgst ? 1 : 0) | (cp.ddgst ? 2 : 0));
    cfg.queue_size = queue_size;
    cfg.ulp = abi::Ulp::Iscsi;
    cfg.max_data_seg = cp.max_data_segment;
    return command(host::sk_add_command(cfg, handle));
  }
  // Writes the SGL to host memory and registers it; the buffer counts as live from now on.
  // `seq`: from where the read's bytes can arrive.
  uint64_t ddp_setup(uint32_t tag, const std::vector<SgEntry>& sg, uint32_t handle = kHandle,
                     bool expect_live = true, uint32_t seq = 0) {
    const uint64_t at = kSglArea + uint64_t(tag & 0xFFFF) * 0x10000;
    const Bytes sgl = host::encode_sgl(sg);
    mem.write(at, sgl.data(), sgl.size());
    abi::Cmd c;
    c.op = abi::CmdOp::DdpSetup;
    c.flow = handle;
    c.io_tag = tag;
    c.sg_count = uint32_t(sg.size());
    c.sgl_addr = at;
    c.seq = seq;
    for (const SgEntry& e : sg) c.io_len += e.len;
    if (expect_live) buffers.push_back({handle, tag, sg});
    return command(c);
  }
  uint64_t simple(abi::CmdOp op, uint32_t tag = 0, uint32_t handle = kHandle, uint32_t seq = 0) {
    abi::Cmd c;
    c.op = op;
    c.flow = handle;
    c.io_tag = tag;
    c.seq = seq;
    return command(c);
  }

  // Takes every completion the NIC has written (none while not consuming); true if any.
  bool poll() { return consume && nic_.poll() > 0; }
  // Lets the NIC have the held completions.
  void release() {
    consume = true;
    poll();
  }
  // Polls every 20 ns until `done` or the timeout; records a failure on timeout.
  bool wait_until(const std::function<bool()>& done, sc_time timeout = sc_time(1, sc_core::SC_MS)) {
    const sc_time end = sc_core::sc_time_stamp() + timeout;
    for (;;) {
      poll();
      if (done()) return true;
      if (sc_core::sc_time_stamp() >= end) {
        errors.push_back("timeout at " + sc_core::sc_time_stamp().to_string());
        return false;
      }
      wait(20, SC_NS);
    }
  }
  const Received* find(abi::CqeType t, uint64_t tag) const {
    for (const Received& r : got)
      if (r.c.type == t && r.c.tag == tag) return &r;
    return nullptr;
  }
  // Waits for the command's CmdDone and returns its status (0xFF on timeout).
  uint8_t done(uint64_t tag) {
    wait_until([&] { return find(abi::CqeType::CmdDone, tag) != nullptr; });
    const Received* r = find(abi::CqeType::CmdDone, tag);
    return r ? r->c.status : 0xFF;
  }
  std::vector<const Received*> packets() const {
    std::vector<const Received*> v;
    for (const Received& r : got)
      if (r.c.type == abi::CqeType::RxPacket) v.push_back(&r);
    return v;
  }

 private:
  void rx(const abi::Cqe& c, uint32_t, ByteView kept) override {
    got.push_back({c, Bytes(kept.begin(), kept.end()), sc_core::sc_time_stamp()});
  }
  void cmd_done(const abi::Cqe& c) override { got.push_back({c, {}, sc_core::sc_time_stamp()}); }
  void teardown_done(const abi::Cqe& c) override { cmd_done(c); }
  void run() {
    nic_.probe();
    if (script) script();
    if (quiet) wait_until(quiet);
    sc_core::sc_stop();
  }
  void filter(tlm::tlm_generic_payload& gp, sc_time& d) {
    if (!free_rx && gp.is_write() && gp.get_address() == abi::kRegRxConsumer) {
      gp.set_response_status(tlm::TLM_OK_RESPONSE);
      return;
    }
    mmio->b_transport(gp, d);
  }
  tlm_utils::simple_target_socket<ScriptDriver> regs_{"regs"};
  host::NicDriver nic_;
};

// ---- the whole bench -----------------------------------------------------------------------

inline SimConfig small_config() {
  SimConfig c;
  c.placement.cq_entries = 64;
  c.placement.rx_ring_bytes = 1 << 20;
  c.flow.entries = 64;
  return c;
}

struct Rig {
  SimConfig cfg;
  ClockDomain clk;
  HostMemory mem;
  PcieLink link;
  DmaEngine dma;
  AtChecker checker;
  CompletionRing cq;
  FlowTable table;
  FlowContexts flows;
  PacketPool pool;
  StreamChannel<Beat> in;
  PlacementEngine pe;
  CommandProcessor cp;
  FrameSource src;
  ScriptDriver drv;
  struct Landing {
    uint64_t addr;
    size_t len;
    sc_time at;
    bool is_cqe;
    abi::Cqe cqe;  // when is_cqe
  };
  std::vector<Landing> log;     // every DMA write, in landing order
  std::vector<Bytes> expected;  // every frame given to the source, in order
  size_t matched_ = 0;          // frames already matched to a completion
  std::vector<std::string> violations;

  static DmaParams dma_params(DmaParams d, uint32_t queue) {
    d.queue_depth = queue;
    return d;
  }
  explicit Rig(const SimConfig& c = small_config(), uint32_t dma_queue = 64)
      : cfg(c),
        clk("clk", c.core.clock_mhz),
        mem("mem", sc_time(c.host.mem_latency_ns, SC_NS)),
        link("link", c.pcie),
        dma("dma", clk, dma_params(c.dma, dma_queue)),
        checker("checker", clk, c.dma.write_ops, c.dma.read_ops),
        cq(dma),
        table(c.flow.entries, c.flow.ways),
        flows(c.flow.entries),
        in("in", clk, c.fifo.crc_to_placement),
        pe("pe", clk, in, dma, cq, flows, pool, c.placement),
        cp("cp", clk, c.placement, c.flow.entries, flow_limits(c), dma, cq, pe, table, flows),
        src("src", clk, in, pool, table, flows, c.core.datapath_bytes),
        drv("drv", mem, c.placement.cq_entries, c.placement.rx_ring_bytes) {
    dma.socket.bind(checker.tsock);
    checker.isock.bind(link.dma_target);
    link.mem_init.bind(mem.socket);
    drv.mmio.bind(link.mmio_target);
    link.mmio_init.bind(cp.regs);
    link.deliver_into(clk);
    drv.quiet = [this] { return src.idle() && dma.idle(); };
    mem.set_write_observer(
        [this](uint64_t addr, size_t len, const tlm::tlm_generic_payload& gp) {
          observe(addr, len, gp);
        });
  }

  void send(const std::vector<Bytes>& frames) {
    for (const Bytes& f : frames) {
      expected.push_back(f);
      src.add(f);
    }
  }
  // Every frame given to the source has been turned into a completion or dropped.
  bool drained() const {
    return src.idle() && pool.in_use() == 0 && dma.idle() &&
           pe.stats().frames == expected.size();
  }
  void run() { sc_core::sc_start(); }
  // Asserts the recorded protocol, placement and driver invariants.
  void check_clean() const {
    for (const auto& e : checker.errors) FAIL_CHECK("AT protocol: " << e);
    for (const auto& e : violations) FAIL_CHECK("host memory: " << e);
    for (const auto& e : drv.errors) FAIL_CHECK("driver: " << e);
    CHECK(checker.reads_open == 0);
  }

 private:
  static bool inside(uint64_t a, size_t n, uint64_t base, uint64_t size) {
    return a >= base && a + n <= base + size;
  }

  void observe(uint64_t addr, size_t len, const tlm::tlm_generic_payload& gp) {
    const bool is_cqe = inside(addr, len, kCq, uint64_t(cfg.placement.cq_entries) * abi::kCqeSize);
    log.push_back({addr, len, sc_core::sc_time_stamp(), is_cqe,
                   is_cqe ? abi::Cqe::decode(gp.get_data_ptr()) : abi::Cqe{}});
    if (is_cqe) {
      completion_landing(log.back().cqe);
      return;
    }
    if (inside(addr, len, kRxRing, cfg.placement.rx_ring_bytes)) return;
    bool dead_hit = false;
    for (const Buffer& b : drv.buffers)
      for (const SgEntry& e : b.sg)
        if (inside(addr, len, e.addr, e.len)) {
          if (b.live) return;
          dead_hit = true;
        }
    violations.push_back((dead_hit ? "write after teardown at " : "write outside registered "
                                                                  "elements at ") +
                         std::to_string(addr) + " len " + std::to_string(len));
  }

  Buffer* live_buffer(uint32_t handle, uint32_t tag) {
    for (Buffer& b : drv.buffers)
      if (b.live && b.handle == handle && b.tag == tag) return &b;
    return nullptr;
  }

  void completion_landing(const abi::Cqe& c) {
    if (c.type == abi::CqeType::TeardownDone) {
      if (Buffer* b = live_buffer(c.flow, c.io_tag)) b->live = false;
      return;
    }
    if (c.type != abi::CqeType::RxPacket) return;
    // The frame it describes: the next given frame of that length and sequence (dropped frames
    // have no completion).
    size_t j = matched_;
    net::ParsedFrame pf;
    for (; j < expected.size(); ++j) {
      net::parse_frame(expected[j], pf);
      if (expected[j].size() == c.frame_len && pf.seq == c.seq) break;
    }
    if (j == expected.size()) {
      violations.push_back("completion matches no frame, seq " + std::to_string(c.seq));
      return;
    }
    matched_ = j + 1;
    // Rebuild the frame from what is in host memory right now (before this entry lands).
    const Bytes& f = expected[j];
    const Bytes kept = ring_read(mem, kRxRing, cfg.placement.rx_ring_bytes, c.rx_off, c.kept_len);
    Bytes out;
    size_t k = 0;
    for (uint8_t i = 0; i < c.nruns; ++i) {
      const abi::PlacedRun& r = c.runs[i];
      const size_t n = pf.payload_offset + r.payload_off - out.size();
      if (k + n > kept.size()) {
        violations.push_back("runs do not fit the kept bytes");
        return;
      }
      out.insert(out.end(), kept.begin() + std::ptrdiff_t(k), kept.begin() + std::ptrdiff_t(k + n));
      k += n;
      const Buffer* b = live_buffer(c.flow, r.io_tag);
      if (!b) {
        violations.push_back("run for a tag without a live buffer");
        return;
      }
      const Bytes placed = b->read(mem, r.buf_off, r.len);
      out.insert(out.end(), placed.begin(), placed.end());
    }
    out.insert(out.end(), kept.begin() + std::ptrdiff_t(k), kept.end());
    if (out != f) violations.push_back("frame " + std::to_string(j) + " does not rebuild");
  }
};

}  // namespace nic::test
