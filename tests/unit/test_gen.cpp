// Traffic generator: determinism, and an independent decode of generated pcaps (frame parser,
// per-direction reassembly written here, nvme::StreamDecoder) checked against the truth.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "proto/crc32c.hpp"
#include "proto/net.hpp"
#include "proto/nvme_tcp.hpp"
#include "util/sha256.hpp"
#include "tb/gen/generator.hpp"
#include "tb/gen/link.hpp"
#include "tb/gen/workload.hpp"
#include "tb/pcap/pcap_io.hpp"
#include "tests/unit/impaired_gen.hpp"

using namespace nic;
using gen::GenConfig;
using nic::testing::impaired_config;

namespace {

namespace fs = std::filesystem;

fs::path scratch_dir() {
  const fs::path d = fs::temp_directory_path() / ("nicsim_test_gen_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

struct Captured {
  std::vector<uint64_t> ts;
  std::vector<Bytes> frames;
  bool operator==(const Captured& o) const { return ts == o.ts && frames == o.frames; }
};

Captured capture(const GenConfig& cfg, gen::Truth* truth = nullptr) {
  Captured c;
  gen::Truth t = gen::generate(cfg, [&c](uint64_t ts, ByteView f) {
    c.ts.push_back(ts);
    c.frames.emplace_back(f.begin(), f.end());
  });
  if (truth) *truth = std::move(t);
  return c;
}


// ---- Independent decode -------------------------------------------------------------------

struct SeenCmd {
  uint16_t cid = 0;
  uint32_t length = 0;
  Bytes data;
  uint32_t filled = 0;  // next DATAO expected
  uint32_t pdus = 0;
  int bad_ddgst_pdu = -1;
  int bad_ddgst_count = 0;
  bool success_flag = false;
  bool done = false;
};

struct DirState {
  bool syn = false;
  uint32_t isn = 0;
  std::map<uint64_t, Bytes> held;  // out-of-order payload by stream offset
  uint64_t next = 0;               // contiguous bytes received
  uint64_t last_ack = 0;
  nvme::StreamDecoder dec;
  uint64_t offset_of(uint32_t seq) const { return uint32_t(seq - isn - 1); }
};

struct FlowState {
  DirState h2c, c2h;  // sender side named: h2c = host->controller
  std::vector<SeenCmd> cmds;
  std::map<uint16_t, size_t> outstanding;  // cid -> index into cmds
};

struct Decoded {
  std::map<uint16_t, FlowState> flows;  // by host port
  uint64_t frames = 0, bad_csum = 0, split_pdus = 0;
  std::vector<std::string> errors;
  void fail(const std::string& e) {
    if (errors.size() < 20) errors.push_back(e);
  }
};

class TraceDecoder {
 public:
  TraceDecoder(const GenConfig& cfg, Decoded& out) : cfg_(cfg), d_(out) {}

  void frame(uint64_t index, uint64_t ts_ns, const Bytes& f) {
    ++d_.frames;
    net::ParsedFrame pf;
    const auto err = net::parse_frame(f, pf);
    if (err != net::ParseError::None) return d_.fail("frame " + std::to_string(index) + ": " + net::to_string(err));
    const bool h2c = pf.tuple.dport == 4420;
    check_timing(h2c, ts_ns, f.size(), index);
    if (!pf.tcp_checksum_ok) {
      ++d_.bad_csum;  // a receiver drops it; the retransmission follows
      return;
    }
    FlowState& fl = d_.flows[h2c ? pf.tuple.sport : pf.tuple.dport];
    DirState& tx = h2c ? fl.h2c : fl.c2h;
    DirState& rx = h2c ? fl.c2h : fl.h2c;
    if (pf.opts.has_timestamps != cfg_.tcp_timestamps) d_.fail("timestamps option presence");
    if (pf.tcp_flags & net::tcpflag::SYN) {
      tx.syn = true;
      tx.isn = pf.seq;
      if (h2c == false && pf.ack != rx.isn + 1) d_.fail("SYN-ACK acks the wrong sequence");
      return;
    }
    check_ack(pf, rx, index);
    if (pf.payload_len > cfg_.segment_payload())
      d_.fail("frame " + std::to_string(index) + " payload above MSS");
    const ByteView payload(f.data() + pf.payload_offset, pf.payload_len);
    accept(tx, pf.seq, payload, index);
    drain(fl, h2c);
  }

  void finish() {
    for (auto& [port, fl] : d_.flows) {
      for (DirState* s : {&fl.h2c, &fl.c2h})
        if (!s->held.empty() || s->dec.buffered() || s->dec.failed())
          d_.fail("port " + std::to_string(port) + ": stream incomplete or undecodable");
      if (!fl.outstanding.empty()) d_.fail("port " + std::to_string(port) + ": reads left open");
    }
  }

 private:
  // Frames in one direction may not overlap on the link.
  void check_timing(bool h2c, uint64_t ts, size_t len, uint64_t index) {
    if (ts < last_ts_) d_.fail("timestamps go backwards at frame " + std::to_string(index));
    last_ts_ = ts;
    auto& prev = prev_[h2c];
    if (prev.second && ts + 1 < prev.first + gen::wire_ps(prev.second, cfg_.link_gbps) / 1000)
      d_.fail("frame " + std::to_string(index) + " starts before the previous one left the link");
    prev = {ts, len};
  }

  // An ACK never runs ahead of what this side has received, and never goes back.
  void check_ack(const net::ParsedFrame& pf, DirState& rx, uint64_t index) {
    const uint64_t off = rx.offset_of(pf.ack);
    if (off > rx.next) d_.fail("frame " + std::to_string(index) + " acks unreceived data");
    if (off < rx.last_ack) d_.fail("frame " + std::to_string(index) + " ack goes back");
    rx.last_ack = off;
  }

  // Reassembly by sequence number; retransmitted bytes must equal the first copy.
  void accept(DirState& s, uint32_t seq, ByteView payload, uint64_t index) {
    if (payload.empty()) return;
    const uint64_t off = s.offset_of(seq);
    auto [it, fresh] = s.held.emplace(off, Bytes(payload.begin(), payload.end()));
    if (!fresh && !std::equal(payload.begin(), payload.end(), it->second.begin(),
                              it->second.begin() + std::min(it->second.size(), payload.size)))
      d_.fail("frame " + std::to_string(index) + " retransmits different bytes");
    if (!fresh && payload.size > it->second.size()) it->second.assign(payload.begin(), payload.end());
    while (!s.held.empty() && s.held.begin()->first <= s.next) {
      const auto& [start, bytes] = *s.held.begin();
      if (start + bytes.size() > s.next) {
        const size_t skip = size_t(s.next - start);
        s.dec.feed(ByteView(bytes).sub(skip));
        s.next = start + bytes.size();
      }
      s.held.erase(s.held.begin());
    }
  }

  void drain(FlowState& fl, bool h2c) {
    DirState& s = h2c ? fl.h2c : fl.c2h;
    nvme::Pdu pdu;
    nvme::PduError err = nvme::PduError::None;
    while (s.dec.next(pdu, err)) {
      if (err != nvme::PduError::None && err != nvme::PduError::BadDataDigest)
        return d_.fail(std::string("PDU error: ") + nvme::to_string(err));
      on_pdu(fl, pdu, err == nvme::PduError::BadDataDigest);
    }
  }

  void on_pdu(FlowState& fl, const nvme::Pdu& pdu, bool bad_ddgst) {
    switch (pdu.ch.type) {
      case nvme::PduType::ICReq: {
        const auto& m = std::get<nvme::IcReq>(pdu.body);
        const nvme::ConnParams cp{bool(m.dgst & 1), bool(m.dgst & 2), m.hpda, 0};
        fl.h2c.dec.set_params(cp);
        fl.c2h.dec.set_params(cp);
        break;
      }
      case nvme::PduType::CapsuleCmd: {
        nvme::ReadCmd rc;
        if (!nvme::ReadCmd::from_sqe(std::get<nvme::Sqe>(pdu.body), rc)) return d_.fail("not a read");
        if (fl.outstanding.count(rc.cid)) d_.fail("CID " + std::to_string(rc.cid) + " reused before completion");
        if ((cfg_.cid_genctr ? rc.cid & 0x0FFF : rc.cid) >= cfg_.queue_depth)
          d_.fail("CID tag beyond queue depth");
        SeenCmd c;
        c.cid = rc.cid;
        c.length = rc.length;
        c.data.resize(rc.length);
        fl.outstanding[rc.cid] = fl.cmds.size();
        fl.cmds.push_back(std::move(c));
        break;
      }
      case nvme::PduType::C2HData: {
        const auto& h = std::get<nvme::DataHdr>(pdu.body);
        auto it = fl.outstanding.find(h.cccid);
        if (it == fl.outstanding.end()) return d_.fail("C2HData for an idle CID");
        SeenCmd& c = fl.cmds[it->second];
        if (h.datao != c.filled || h.datao + h.datal > c.length) return d_.fail("DATAO out of sequence");
        if (cfg_.max_pdu_data && h.datal > cfg_.max_pdu_data) d_.fail("PDU above --max-pdu-data");
        if (h.datao) ++d_.split_pdus;
        std::copy(pdu.data.begin(), pdu.data.end(), c.data.begin() + h.datao);
        c.filled += h.datal;
        if (bad_ddgst) {
          ++c.bad_ddgst_count;
          c.bad_ddgst_pdu = int(c.pdus);
        }
        ++c.pdus;
        const bool last = pdu.ch.flags & nvme::pduflag::LAST_PDU;
        if (last != (c.filled == c.length)) d_.fail("LAST_PDU misplaced");
        if (pdu.ch.flags & nvme::pduflag::SUCCESS) {
          c.success_flag = true;
          c.done = true;
          fl.outstanding.erase(it);
        }
        break;
      }
      case nvme::PduType::CapsuleResp: {
        auto it = fl.outstanding.find(std::get<nvme::Cqe>(pdu.body).cid);
        if (it == fl.outstanding.end()) return d_.fail("CapsuleResp for an idle CID");
        if (fl.cmds[it->second].filled != fl.cmds[it->second].length) d_.fail("CapsuleResp before all data");
        fl.cmds[it->second].done = true;
        fl.outstanding.erase(it);
        break;
      }
      case nvme::PduType::ICResp:
        break;
      default:
        d_.fail(std::string("unexpected PDU ") + nvme::type_name(pdu.ch.type));
    }
  }

  const GenConfig& cfg_;
  Decoded& d_;
  uint64_t last_ts_ = 0;
  std::pair<uint64_t, size_t> prev_[2] = {{0, 0}, {0, 0}};  // last frame per direction
};

Decoded decode_pcap(const std::string& path, const GenConfig& cfg) {
  Decoded d;
  TraceDecoder td(cfg, d);
  pcap::Reader r(path);
  pcap::Packet p;
  while (r.next(p)) td.frame(p.index, p.ts_ns, p.data);
  td.finish();
  return d;
}

// Everything the decode saw must be what the truth promises, command by command.
void check_against_truth(const Decoded& d, const gen::Truth& t) {
  INFO("decode errors: " << [&] {
    std::ostringstream o;
    for (const auto& e : d.errors) o << "\n  " << e;
    return o.str();
  }());
  CHECK(d.errors.empty());
  CHECK(d.frames == t.totals.packets);
  CHECK(d.bad_csum == t.totals.imp.bad_tcp_csum);
  REQUIRE(d.flows.size() == t.connections.size());
  size_t checked = 0;
  for (const auto& cmd : t.commands) {
    const auto& conn = t.connections[cmd.connection];
    const FlowState& fl = d.flows.at(conn.host_port);
    REQUIRE(cmd.order < fl.cmds.size());
    const SeenCmd& s = fl.cmds[cmd.order];
    INFO(cmd.flow << " order " << cmd.order << " cid " << cmd.cid);
    CHECK(s.cid == cmd.cid);
    CHECK(s.length == cmd.length);
    CHECK(s.done);
    CHECK(sha256_hex(s.data) == cmd.sha256);
    CHECK(s.pdus == cmd.pdus);
    CHECK(s.success_flag == cmd.success_flag);
    CHECK((s.bad_ddgst_count != 0) == cmd.digest_corrupted);
    CHECK(s.bad_ddgst_count <= 1);
    CHECK(s.bad_ddgst_pdu == cmd.corrupt_pdu);
    ++checked;
  }
  CHECK(checked == t.commands.size());
}

void generate_decode_check(const GenConfig& cfg, const std::string& name, Decoded* out = nullptr) {
  const std::string path = (scratch_dir() / (name + ".pcap")).string();
  const gen::Truth t = gen::generate_pcap(cfg, path);
  Decoded d = decode_pcap(path, cfg);
  check_against_truth(d, t);
  if (out) *out = std::move(d);
}

}  // namespace

TEST_CASE("gen: size notations", "[gen]") {
  CHECK(gen::parse_size("4096") == 4096);
  CHECK(gen::parse_size("4K") == 4096);
  CHECK(gen::parse_size("1.5M") == 1536 * 1024);
  CHECK(gen::parse_size("2G") == 2ull << 30);
  CHECK_THROWS_AS(gen::parse_size("12Q"), std::invalid_argument);
  CHECK_THROWS_AS(gen::parse_size("abc"), std::invalid_argument);
  CHECK_THROWS_AS(gen::parse_size("0.3K"), std::invalid_argument);
  CHECK(gen::size_str(131072) == "128K");
  CHECK(gen::size_str(1000) == "1000");

  auto fixed = gen::parse_io_size("128K");
  CHECK(fixed.kind == gen::IoSizeDist::Kind::Fixed);
  auto uni = gen::parse_io_size("4K:64K");
  CHECK(uni.kind == gen::IoSizeDist::Kind::Uniform);
  CHECK(uni.str() == "4K:64K");
  auto list = gen::parse_io_size("4K,64K,512K");
  CHECK(list.kind == gen::IoSizeDist::Kind::List);
  CHECK(list.sizes == std::vector<uint32_t>{4096, 65536, 524288});
  CHECK_THROWS_AS(gen::parse_io_size("64K:4K"), std::invalid_argument);
  CHECK_THROWS_AS(gen::parse_io_size("0"), std::invalid_argument);
  CHECK_THROWS_AS(gen::parse_io_size("4K,,8K"), std::invalid_argument);
}

TEST_CASE("gen: config validation names the knob", "[gen]") {
  GenConfig c;
  CHECK(c.validate().empty());
  c.imp.corrupt_ddgst = 0.1;
  CHECK(c.validate().find("--ddgst") != std::string::npos);
  c = GenConfig{};
  c.imp.loss = 1.5;
  CHECK_FALSE(c.validate().empty());
  c = GenConfig{};
  c.hpda = 40;
  CHECK(c.validate().find("--hpda") != std::string::npos);
  c = GenConfig{};
  c.qinq = true;
  CHECK(c.validate().find("--qinq") != std::string::npos);
  CHECK_THROWS_AS(gen::generate(c, [](uint64_t, ByteView) {}), std::invalid_argument);
  CHECK(GenConfig{}.effective_mss() == 1460);
  c = GenConfig{};
  c.ipv6 = true;
  c.tcp_timestamps = true;
  CHECK(c.segment_payload() == 1440 - 12);
}

TEST_CASE("gen: workload plan", "[gen]") {
  GenConfig c;
  c.flows = 3;
  c.io_size = gen::parse_io_size("4K,64K,512K");
  c.total_bytes = 5 << 20;
  const auto plan = gen::plan_reads(c);
  REQUIRE(plan.size() == 3);
  uint64_t bytes = 0, n = 0;
  for (const auto& f : plan)
    for (const auto& r : f) {
      CHECK((r.length == 4096 || r.length == 65536 || r.length == 524288));
      bytes += r.length;
      ++n;
    }
  CHECK(bytes >= c.total_bytes);
  CHECK(plan[0].size() >= plan[2].size());
  CHECK(plan[0].size() - plan[2].size() <= 1);
  CHECK(gen::pdu_count(100, 0) == 1);
  CHECK(gen::pdu_count(8192, 4096) == 2);
  CHECK(gen::pdu_count(8193, 4096) == 3);

  c.io_size = gen::parse_io_size("4K:64K");
  c.total_bytes = 0;
  c.ios = 200;
  for (const auto& f : gen::plan_reads(c))
    for (const auto& r : f) {
      CHECK(r.length >= 4096);
      CHECK(r.length <= 65536);
      CHECK(r.length % 512 == 0);
    }
}

TEST_CASE("gen: same seed gives the same bytes, another seed does not", "[gen]") {
  GenConfig c = impaired_config();
  c.ios = 24;
  const Captured a = capture(c), b = capture(c);
  CHECK(a == b);
  c.seed = 8;
  CHECK_FALSE(a == capture(c));

  // pcap bytes too, not only the frames handed to the sink.
  c.seed = 7;
  const auto dir = scratch_dir();
  gen::generate_pcap(c, (dir / "det1.pcap").string());
  gen::generate_pcap(c, (dir / "det2.pcap").string());
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  CHECK(slurp(dir / "det1.pcap") == slurp(dir / "det2.pcap"));
}

TEST_CASE("gen: in-order IPv4 trace with digests, DATAO splits and SUCCESS decodes to the truth", "[gen]") {
  GenConfig c;
  c.seed = 3;
  c.flows = 4;
  c.hdgst = c.ddgst = true;
  c.io_size = gen::parse_io_size("4K,64K,128K");
  c.ios = 48;
  c.queue_depth = 6;
  c.max_pdu_data = 16384;
  c.success_flag = 0.5;
  Decoded d;
  generate_decode_check(c, "inorder", &d);
  CHECK(d.split_pdus > 0);
}

TEST_CASE("gen: IPv6, QinQ, timestamps, HPDA padding and odd MSS decode to the truth", "[gen]") {
  GenConfig c;
  c.seed = 11;
  c.flows = 2;
  c.ipv6 = true;
  c.vlan = 42;
  c.qinq = true;
  c.hdgst = c.ddgst = true;
  c.hpda = 1;
  c.mss = 1000;
  c.tcp_timestamps = true;
  c.io_size = gen::parse_io_size("1K:20K");
  c.ios = 30;
  generate_decode_check(c, "v6");
}

TEST_CASE("gen: CIDs with a generation counter count each reuse of a tag", "[gen]") {
  GenConfig c;
  c.seed = 13;
  c.queue_depth = 3;
  c.cid_genctr = true;
  c.io_size = gen::parse_io_size("4K");
  c.ios = 40;
  gen::Truth t;
  capture(c, &t);
  std::map<uint16_t, std::vector<uint16_t>> by_tag;  // commands are in submission order
  for (const auto& cmd : t.commands) by_tag[cmd.cid & 0x0FFF].push_back(cmd.cid >> 12);
  REQUIRE(by_tag.size() == 3);
  for (const auto& [tag, gens] : by_tag)
    for (size_t i = 0; i < gens.size(); ++i) CHECK(gens[i] == (i + 1) % 16);
  generate_decode_check(c, "genctr");
}

TEST_CASE("gen: jumbo MSS with small reads packs many PDUs per segment", "[gen]") {
  GenConfig c;
  c.seed = 5;
  c.mss = 9000;
  c.ddgst = true;
  c.io_size = gen::parse_io_size("512,1K,2K");
  c.ios = 200;
  c.queue_depth = 64;
  generate_decode_check(c, "jumbo");
}

TEST_CASE("gen: impaired trace still delivers every byte, corrupt digests exactly where the truth says", "[gen]") {
  const GenConfig c = impaired_config();
  gen::Truth t;
  const std::string path = (scratch_dir() / "impaired.pcap").string();
  t = gen::generate_pcap(c, path);
  const auto& s = t.totals;
  CHECK(s.imp.lost > 0);
  CHECK(s.imp.retransmitted > s.imp.lost);  // re-segmented: two frames per retransmission
  CHECK(s.imp.reordered > 0);
  CHECK(s.imp.duplicated > 0);
  CHECK(s.imp.bad_tcp_csum > 0);
  CHECK(s.ddgst_corrupted > 0);
  CHECK(s.lookalikes > 0);
  check_against_truth(decode_pcap(path, c), t);
}

TEST_CASE("gen: planted lookalikes are plausible C2HData headers inside the data", "[gen]") {
  GenConfig c;
  c.hdgst = c.ddgst = true;
  c.hpda = 2;
  c.max_pdu_data = 8192;
  c.io_size = gen::parse_io_size("32K");
  c.imp.plant_lookalike = 1;
  c.ios = 10;
  const auto plan = gen::plan_reads(c);
  const nvme::ConnParams cp{true, true, 2, 0};
  for (const auto& r : plan[0]) {
    const auto rd = gen::make_read_data(r, c);
    REQUIRE(rd.lookalike_offsets.size() == 1);
    const uint32_t off = rd.lookalike_offsets[0];
    const uint8_t* h = rd.bytes.data() + off;
    CHECK(off / 8192 == (off + 27) / 8192);  // inside one PDU's data
    const auto ch = nvme::CommonHeader::decode(h);
    CHECK(ch.type == nvme::PduType::C2HData);
    CHECK(nvme::validate_header(ch, cp) == nvme::PduError::None);
    CHECK(ld_le16(h + 8) < c.queue_depth);
    CHECK(ch.plen == ch.pdo + ld_le32(h + 16) + 4);
    CHECK(ld_le32(h + 24) == crc32c::compute(h, 24));
    CHECK(rd.sha256 == sha256_hex(rd.bytes));
  }
}

TEST_CASE("gen: timestamps follow the link rate", "[gen]") {
  GenConfig c;
  c.link_gbps = 10;
  c.flows = 2;
  c.ios = 16;
  gen::Truth t;
  const Captured cap = capture(c, &t);
  REQUIRE(cap.frames.size() > 100);
  CHECK(cap.ts.front() == gen::kTraceEpochNs);
  // Busy stretches of back-to-back full frames run at exactly the link rate.
  const uint64_t full = gen::wire_ps(1514, 10) / 1000;  // 1230.4 ns at 10 Gb/s
  size_t back_to_back = 0;
  for (size_t i = 1; i < cap.ts.size(); ++i) {
    REQUIRE(cap.ts[i] >= cap.ts[i - 1]);
    if (cap.frames[i - 1].size() == 1514 && cap.ts[i] - cap.ts[i - 1] == full) ++back_to_back;
  }
  CHECK(back_to_back > 100);
  CHECK(t.totals.offered_gbps <= 10.0 + 1e-9);
  CHECK(t.totals.offered_gbps > 9.0);
  CHECK(t.totals.duration_ns > 0);
}

TEST_CASE("gen: nicsim gen command line", "[gen]") {
  const fs::path dir = scratch_dir();
  const std::string bin = std::string(NICSIM_BIN_DIR) + "/nicsim";
  auto run = [&](const std::string& args) {
    const int st = std::system((bin + " gen " + args + " >" + (dir / "cli.out").string() + " 2>&1").c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  };
  const std::string pcap = (dir / "cli.pcap").string(), truth = (dir / "cli.json").string();
  CHECK(run("-o " + pcap + " --truth " + truth + " --flows 2 --ios 8 --io-size 4K,8K --ddgst "
            "--corrupt-ddgst 0.5 --loss 0.05 --seed 9") == 0);
  CHECK(fs::file_size(pcap) > 0);
  std::ifstream in(truth);
  const std::string json((std::istreambuf_iterator<char>(in)), {});
  CHECK(json.find("\"commands\"") != std::string::npos);
  CHECK(json.find("\"sha256\"") != std::string::npos);
  CHECK(run("-o " + pcap + " --flows x") == 2);
  CHECK(run("-o " + pcap + " --corrupt-ddgst 0.5") == 2);
  CHECK(run("-o " + pcap + " --io-size 64K:4K") == 2);
  CHECK(run("-o " + pcap + " --no-such-option") == 2);
  CHECK(run("--ios 3") == 2);
  CHECK(run("-o " + pcap + " --ios 3 --total-bytes 1M") == 2);
}

TEST_CASE("gen: bundled traces match their truth and are reproducible from it", "[gen]") {
  const fs::path dir = fs::path(NICSIM_SOURCE_DIR) / "traces";
  size_t checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const std::string suffix = ".truth.json";
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix)) continue;
    INFO(name);
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    const GenConfig cfg = gen::config_from_truth_json(text);
    gen::Truth t;
    const Captured regenerated = capture(cfg, &t);
    CHECK(gen::truth_json(t) == text);  // stale traces: run scripts/regen-traces

    const std::string pcap_path = (dir / (name.substr(0, name.size() - suffix.size()) + ".pcap")).string();
    Captured on_disk;
    pcap::Reader r(pcap_path);
    pcap::Packet p;
    while (r.next(p)) {
      on_disk.ts.push_back(p.ts_ns);
      on_disk.frames.push_back(p.data);
    }
    CHECK(on_disk == regenerated);
    CHECK(fs::file_size(pcap_path) < (1u << 20));
    // A hostile trace breaks the protocol on purpose; the full-NIC adversarial tests judge it.
    if (!cfg.adv.any()) check_against_truth(decode_pcap(pcap_path, cfg), t);
    ++checked;
  }
  CHECK(checked >= 3);
}

TEST_CASE("gen: truth file round-trips the knobs", "[gen]") {
  const GenConfig c = impaired_config();
  gen::Truth t;
  capture(c, &t);
  gen::Truth again;
  capture(gen::config_from_truth_json(gen::truth_json(t)), &again);
  CHECK(gen::truth_json(again) == gen::truth_json(t));
  CHECK_THROWS_AS(gen::config_from_truth_json("{}"), std::invalid_argument);
  CHECK_THROWS_AS(gen::config_from_truth_json("not json"), std::invalid_argument);
}

TEST_CASE("gen: iSCSI knobs are checked, and an iSCSI trace repeats from its truth file", "[gen]") {
  GenConfig c;
  c.ulp = gen::Ulp::Iscsi;
  c.flows = 2;
  c.queue_depth = 4;
  c.ios = 16;
  c.hdgst = c.ddgst = true;
  c.io_size = gen::parse_io_size("4K:32K");
  c.iscsi_interleave = true;
  c.iscsi_status_pdu = 0.5;
  c.imp.corrupt_ddgst = 0.2;
  c.imp.loss = 0.02;
  CHECK(c.validate().empty());
  CHECK(c.target_port() == 3260);
  GenConfig bad = c;
  bad.cid_genctr = true;
  CHECK(bad.validate().find("NVMe/TCP only") != std::string::npos);
  bad = c;
  bad.io_size = gen::parse_io_size("1000");
  CHECK(bad.validate().find("512-byte") != std::string::npos);
  bad = GenConfig{};
  bad.iscsi_interleave = true;
  CHECK(bad.validate().find("--ulp iscsi") != std::string::npos);

  gen::Truth t;
  const Captured a = capture(c, &t);
  CHECK(t.commands.size() == 16);
  for (const gen::CommandTruth& cmd : t.commands) {
    CHECK(cmd.iscsi);
    CHECK(cmd.itt >= 0x80000000u);
    CHECK(cmd.pdus == (cmd.length + c.iscsi_max_recv - 1) / c.iscsi_max_recv);
  }
  CHECK(gen::truth_json(t).find("\"tag\"") != std::string::npos);
  gen::Truth again;
  CHECK(capture(gen::config_from_truth_json(gen::truth_json(t)), &again) == a);
  CHECK(gen::truth_json(again) == gen::truth_json(t));
}
