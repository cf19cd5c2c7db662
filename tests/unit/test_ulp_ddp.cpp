// UlpDdp alone: the offload core between a protocol and the NIC, with fakes for the command
// queue (commands as the NIC decodes them from the ring), host memory and the protocol.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "host_driver/ulp_ddp/ulp_ddp.hpp"

using namespace nic;
using namespace nic::host;

namespace {

constexpr uint64_t kSglArea = 0x100000;
constexpr uint64_t kFirstTag = 1000;

// Records every command as the NIC reads it (encoded into ring entries and decoded again).
struct FakeNic : CommandQueue {
  std::vector<abi::Cmd> cmds;
  uint64_t post(const abi::Cmd& c) override {
    uint8_t ring[2 * abi::kCmdSize];
    abi::encode_cmd(c, ring);
    cmds.push_back(abi::decode_cmd(ring));
    return kFirstTag + cmds.size() - 1;
  }
};

// Byte-addressed memory; bytes never written (or released) read as zero.
struct FakeHost : HostAccess {
  std::map<uint64_t, uint8_t> mem;
  void read(uint64_t addr, uint8_t* out, size_t n) const override {
    for (size_t i = 0; i < n; ++i) {
      const auto it = mem.find(addr + i);
      out[i] = it == mem.end() ? 0 : it->second;
    }
  }
  void write(uint64_t addr, const uint8_t* p, size_t n) override {
    for (size_t i = 0; i < n; ++i) mem[addr + i] = p[i];
  }
  void release(uint64_t addr, size_t n) override {
    mem.erase(mem.lower_bound(addr), mem.lower_bound(addr + n));
  }
  uint64_t now_ps() const override { return 0; }
};

// The protocol: owns the requests by id and records the core's callbacks.
struct FakeUlp : UlpOps {
  std::map<uint64_t, DdpIo> ios;
  std::vector<uint64_t> offered, freed, released_ids;
  std::vector<std::pair<DdpSock*, uint32_t>> resyncs;
  DdpIo* io(uint64_t id) override {
    const auto it = ios.find(id);
    return it == ios.end() ? nullptr : &it->second;
  }
  void try_setup(DdpIo& io) override { offered.push_back(io.id); }
  void tag_free(DdpIo& io) override { freed.push_back(io.id); }
  void released(DdpIo& io) override { released_ids.push_back(io.id); }
  void resync_request(DdpSock& s, uint32_t seq) override { resyncs.emplace_back(&s, seq); }
};

SkConfig sock_config(uint32_t queue_size) {
  SkConfig cfg;
  cfg.c2h = {net::IpAddr::v4(10, 0, 0, 2), net::IpAddr::v4(10, 0, 0, 1), 4420, 50123};
  cfg.seq = 0x12345678;
  cfg.flags = 0x3;  // HDGST | DDGST
  cfg.pda = 2;
  cfg.queue_size = queue_size;
  cfg.slot_rule = abi::nvme_tcp_slot_rule(queue_size);
  return cfg;
}

struct Rig {
  FakeNic nic;
  FakeHost host;
  FakeUlp ulp;
  UlpDdp ddp{nic, host, ulp, kSglArea};
  DdpSock sock;

  explicit Rig(uint32_t max_sg = 4) { ddp.set_max_sg(max_sg); }

  const abi::Cmd& last() const { return nic.cmds.back(); }
  // The CmdDone of the command posted `index`-th.
  void done(size_t index, abi::CmdStatus st = abi::CmdStatus::Ok) {
    abi::Cqe c;
    c.type = abi::CqeType::CmdDone;
    c.tag = kFirstTag + index;
    c.status = uint8_t(st);
    ddp.cmd_done(c);
  }
  void teardown_done(uint32_t tag) {
    abi::Cqe c;
    c.type = abi::CqeType::TeardownDone;
    c.flow = sock.handle;
    c.io_tag = tag;
    ddp.teardown_done(c);
  }
  void add_sock(uint32_t queue_size = 8, abi::CmdStatus st = abi::CmdStatus::Ok) {
    ddp.sk_add(sock, sock_config(queue_size));
    done(nic.cmds.size() - 1, st);
  }
  DdpIo& io(uint64_t id, uint16_t tag, std::vector<SgEntry> sgl) {
    DdpIo& r = ulp.ios[id];
    r.id = id;
    r.tag = tag;
    r.buf.sgl = std::move(sgl);
    r.length = uint32_t(r.buf.length());
    return r;
  }
  // `io` wanted and set up at once (the socket is on); returns the setup's command index.
  size_t set_up(DdpIo& r, uint32_t seq = 0) {
    REQUIRE(ddp.want(sock, r));
    ddp.setup(sock, r, seq);
    return nic.cmds.size() - 1;
  }
};

}  // namespace

TEST_CASE("ulp_ddp: sk_add posts the socket context and setups wait for its completion") {
  Rig r;
  const SkConfig cfg = sock_config(32);
  r.ddp.sk_add(r.sock, cfg);
  REQUIRE(r.nic.cmds.size() == 1);
  const abi::Cmd& m = r.last();
  CHECK(m.op == abi::CmdOp::SkAdd);
  CHECK(m.flow == r.sock.handle);
  CHECK(m.seq == cfg.seq);
  CHECK(m.flags == cfg.flags);
  CHECK(m.pda == cfg.pda);
  CHECK(m.queue_size == 32);
  CHECK(m.ip_version == 4);
  CHECK(std::memcmp(m.src_ip, cfg.c2h.src.b.data(), 16) == 0);  // src = the peer
  CHECK(std::memcmp(m.dst_ip, cfg.c2h.dst.b.data(), 16) == 0);
  CHECK(m.sport == 4420);
  CHECK(m.dport == 50123);
  CHECK(r.ddp.sock_of(r.sock.handle) == &r.sock);

  // Before the NIC confirms, a request is wanted but must wait.
  DdpIo& io = r.io(7, 3, {{0x8000, 4096}});
  CHECK_FALSE(r.ddp.offloaded(r.sock));
  CHECK_FALSE(r.ddp.want(r.sock, io));
  CHECK(io.want);
  CHECK(r.ulp.offered.empty());

  r.done(0);
  CHECK(r.ddp.offloaded(r.sock));
  CHECK(r.ddp.counters().sk_add == 1);
  CHECK(r.ulp.offered == std::vector<uint64_t>{7});
}

TEST_CASE("ulp_ddp: a refused sk_add offloads nothing on the socket") {
  Rig r;
  r.ddp.sk_add(r.sock, sock_config(8));
  DdpIo& waiting = r.io(1, 1, {{0x8000, 4096}});
  CHECK_FALSE(r.ddp.want(r.sock, waiting));

  r.done(0, abi::CmdStatus::Full);
  CHECK(r.ddp.counters().sk_add == 0);
  CHECK(r.ddp.counters().sk_add_fail == 1);
  CHECK_FALSE(r.ddp.offloaded(r.sock));
  CHECK(r.ulp.offered.empty());  // the waiting request is not offered setup
  CHECK_FALSE(waiting.want);

  DdpIo& later = r.io(2, 2, {{0x9000, 4096}});
  CHECK_FALSE(r.ddp.want(r.sock, later));
  CHECK_FALSE(later.want);
  CHECK(r.ddp.counters().ddp_skipped_no_offload == 2);
  CHECK(r.nic.cmds.size() == 1);  // only the SkAdd
}

TEST_CASE("ulp_ddp: a one-entry SGL travels inline in DdpSetup") {
  Rig r;
  r.add_sock();
  DdpIo& io = r.io(5, 6, {{0xA000, 8192}});
  const size_t setup = r.set_up(io, 0x1000);
  const abi::Cmd& m = r.last();
  CHECK(m.op == abi::CmdOp::DdpSetup);
  CHECK(m.flow == r.sock.handle);
  CHECK(m.io_tag == 6);
  CHECK(m.io_len == 8192);
  CHECK(m.seq == 0x1000);
  CHECK(m.sg_count == 1);
  CHECK((m.flags & abi::kSetupInlineSgl) != 0);
  CHECK(m.sgl_addr == 0xA000);
  CHECK(r.host.mem.empty());  // no SGL in host memory
  CHECK(r.ddp.registered(r.sock, 6) == &io);

  r.done(setup);
  CHECK(r.ddp.counters().ddp_setup == 1);
}

TEST_CASE("ulp_ddp: a multi-entry SGL is written to host memory for the NIC to read") {
  Rig r;
  r.add_sock();
  const std::vector<SgEntry> sgl = {{0x10000, 4096}, {0x30200, 512}, {0x7FFFF000, 1000}};
  DdpIo& io = r.io(9, 2, sgl);
  const size_t setup = r.set_up(io);
  const abi::Cmd& m = r.last();
  CHECK(m.op == abi::CmdOp::DdpSetup);
  CHECK((m.flags & abi::kSetupInlineSgl) == 0);
  CHECK(m.sg_count == 3);
  CHECK(m.io_len == 4096 + 512 + 1000);
  CHECK(m.sgl_addr >= kSglArea);

  // 16 bytes per entry: addr (le64), len (le32), zero.
  uint8_t raw[3 * abi::kSgEntrySize];
  r.host.read(m.sgl_addr, raw, sizeof raw);
  for (size_t i = 0; i < sgl.size(); ++i) {
    const uint8_t* e = raw + i * abi::kSgEntrySize;
    CHECK(ld_le64(e) == sgl[i].addr);
    CHECK(ld_le32(e + 8) == sgl[i].len);
    CHECK(ld_le32(e + 12) == 0);
  }

  // Once the NIC completed the setup it has read the SGL: its memory is freed.
  r.done(setup);
  uint8_t after[sizeof raw];
  r.host.read(m.sgl_addr, after, sizeof after);
  CHECK(std::all_of(after, after + sizeof after, [](uint8_t b) { return b == 0; }));
}

TEST_CASE("ulp_ddp: an SGL over the NIC's limit is not offloaded") {
  Rig r(2);
  r.add_sock();
  DdpIo& over = r.io(1, 1, {{0x1000, 100}, {0x3000, 100}, {0x5000, 100}});
  CHECK_FALSE(r.ddp.want(r.sock, over));
  CHECK_FALSE(over.want);
  CHECK(r.ddp.counters().ddp_skipped_sg_limit == 1);
  CHECK(r.nic.cmds.size() == 1);  // only the SkAdd

  DdpIo& at_limit = r.io(2, 2, {{0x1000, 100}, {0x3000, 100}});
  CHECK(r.ddp.want(r.sock, at_limit));
  CHECK(r.ddp.counters().ddp_skipped_sg_limit == 1);
}

TEST_CASE("ulp_ddp: tags sharing a NIC slot register one after the other") {
  Rig r;
  r.add_sock(5);  // 8 slots: tags 3 and 11 share slot 3; tag 8 has slot 0
  DdpIo& first = r.io(1, 3, {{0x1000, 4096}});
  DdpIo& second = r.io(2, 11, {{0x2000, 4096}});
  DdpIo& other = r.io(3, 8, {{0x3000, 4096}});
  r.set_up(first);
  const size_t posted = r.nic.cmds.size();

  REQUIRE(r.ddp.want(r.sock, second));
  r.ddp.setup(r.sock, second, 0);
  r.ddp.setup(r.sock, second, 0);  // asked again: still one wait
  CHECK(r.nic.cmds.size() == posted);
  CHECK(r.ddp.counters().ddp_slot_waits == 1);
  CHECK(r.ddp.registered(r.sock, 11) == nullptr);

  r.set_up(other);  // a slot of its own (5 rounds up to 8, not 5 slots)
  CHECK(r.last().io_tag == 8);

  r.ddp.teardown(r.sock, first);
  const size_t teardown = r.nic.cmds.size() - 1;
  CHECK(r.last().op == abi::CmdOp::DdpTeardown);
  CHECK(r.last().io_tag == 3);
  r.done(teardown);  // accepted, but the NIC may still be writing the buffer
  CHECK(r.ulp.released_ids.empty());
  CHECK(r.ulp.offered.empty());
  CHECK(r.ddp.registered(r.sock, 3) == &first);

  r.teardown_done(3);
  CHECK(r.ddp.counters().ddp_teardown == 1);
  CHECK(r.ulp.released_ids == std::vector<uint64_t>{1});
  CHECK(r.ulp.freed == std::vector<uint64_t>{1});
  CHECK(r.ulp.offered == std::vector<uint64_t>{2});
  r.ddp.setup(r.sock, second, 0);
  CHECK(r.last().op == abi::CmdOp::DdpSetup);
  CHECK(r.last().io_tag == 11);
  CHECK(r.ddp.registered(r.sock, 11) == &second);
}

TEST_CASE("ulp_ddp: sk_del waits until the NIC holds no buffer of the socket") {
  Rig r;
  r.add_sock();
  DdpIo& io = r.io(1, 4, {{0x1000, 4096}});
  r.set_up(io);
  r.ddp.teardown(r.sock, io);
  r.ddp.sk_del(r.sock);
  CHECK(r.last().op == abi::CmdOp::DdpTeardown);

  r.teardown_done(4);
  CHECK(r.last().op == abi::CmdOp::SkDel);
  CHECK(r.last().flow == r.sock.handle);
  r.done(r.nic.cmds.size() - 1);
  CHECK(r.ddp.counters().sk_del == 1);
  CHECK_FALSE(r.ddp.offloaded(r.sock));
}

TEST_CASE("ulp_ddp: resync requests go up, confirmations go down") {
  Rig r;
  r.add_sock();
  abi::Cqe rx;
  rx.flow = r.sock.handle;
  r.ddp.rx_resync(r.sock, rx);  // no RESYNC flag: nothing asked
  CHECK(r.ulp.resyncs.empty());

  rx.flags = abi::cqeflag::RESYNC;
  rx.resync_seq = 0xFFFFFFF0;
  r.ddp.rx_resync(r.sock, rx);
  REQUIRE(r.ulp.resyncs.size() == 1);
  CHECK(r.ulp.resyncs[0].first == &r.sock);
  CHECK(r.ulp.resyncs[0].second == 0xFFFFFFF0);
  CHECK(r.ddp.counters().resync == 1);

  r.ddp.resync(r.sock, 0xFFFFFFF0);
  CHECK(r.last().op == abi::CmdOp::Resync);
  CHECK(r.last().flow == r.sock.handle);
  CHECK(r.last().seq == 0xFFFFFFF0);
  CHECK(r.ddp.counters().resync_confirmed == 1);

  // The first crc-ok after the confirmation is not believed; the next one is.
  abi::Cqe crc_ok;
  crc_ok.flags = abi::cqeflag::CRC_OK;
  CHECK_FALSE(r.ddp.trust_crc(r.sock, crc_ok));
  CHECK(r.ddp.counters().untrusted_crc == 1);
  CHECK(r.ddp.trust_crc(r.sock, crc_ok));
}
