// The offload engine on iSCSI: the framer (hw/offload/iscsi) and the digest engine over
// captures of real targets (tgt, istgt; traces/iscsi/) and over streams the wire-format
// library encodes with data digests. What the placed bytes must be comes from the LUN pattern
// the lab wrote (tests/real/iscsi_lab.sh: the 8-byte word at LUN byte 8k holds k, big-endian),
// and which reads there were from the initiator's own SCSI commands, decoded here with the
// wire-format library, not with the engine.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <vector>

#include "hw/offload/crc_engine.hpp"
#include "hw/offload/iscsi/iscsi_framer.hpp"
#include "proto/iscsi.hpp"
#include "tests/common/iscsi_capture.hpp"

using namespace nic;
using namespace nic::iscsi_capture;
using hw::Region;

namespace {

struct EngineRun {
  std::map<uint32_t, Bytes> buffers;   // by ITT, from placeable Data segments
  std::set<uint32_t> ended;
  uint64_t headers = 0, header_errors = 0, hdgst_ok = 0, data_bytes = 0, placed_bytes = 0;
  uint64_t digests_ok = 0, digests_bad = 0, resync_requests = 0;
  uint64_t packets = 0, packets_crc_ok = 0;
  hw::TrackerState state = hw::TrackerState::Disabled;
};

// Runs the framer and the digest engine over stream bytes [from, end) cut at `cuts`, every
// packet in order (a hole is modelled by skipping a packet when `skip` names it).
EngineRun run_engine(const Bytes& stream, std::vector<uint32_t> cuts, uint64_t from,
                     const iscsi::ConnParams& cp, size_t skip = SIZE_MAX) {
  EngineRun r;
  hw::IscsiFramerConfig cfg;
  cfg.cp = cp;
  hw::IscsiFramer f;
  f.start(uint32_t(from), cfg);
  hw::CrcEngine crc;
  crc.start(cp.ddgst);
  hw::PacketPlan plan;
  cuts.erase(std::remove_if(cuts.begin(), cuts.end(), [&](uint32_t c) { return c <= from; }),
             cuts.end());
  uint64_t at = from;
  for (size_t k = 0; k < cuts.size(); at = cuts[k++]) {
    if (k == skip) continue;
    const ByteView pkt = ByteView(stream).sub(at, cuts[k] - at);
    f.plan(uint32_t(at), pkt, plan);
    if (plan.resync_request) {
      ++r.resync_requests;
      f.confirm(plan.resync_seq);  // the driver's answer: a header does start there
    }
    crc.begin_packet();
    for (const hw::Segment& g : plan.segs) {
      crc.feed(g, ByteView(pkt.data + g.off, g.len));
      if (g.region != Region::Data) continue;
      r.data_bytes += g.len;
      if (!g.placeable) continue;
      r.placed_bytes += g.len;
      Bytes& b = r.buffers[g.io_tag];
      if (b.size() < g.buf_off + g.len) b.resize(g.buf_off + g.len);
      std::copy(pkt.data + g.off, pkt.data + g.off + g.len, b.begin() + g.buf_off);
    }
    for (const hw::PduInfo& h : plan.headers) {
      ++r.headers;
      r.header_errors += h.err != 0;
      r.hdgst_ok += h.hdgst_ok;
    }
    ++r.packets;
    r.packets_crc_ok += crc.result().crc_ok;
    for (const hw::ReadEnd& e : plan.ended) r.ended.insert(e.io_tag);
  }
  r.digests_ok = crc.pdus_verified_ok();
  r.digests_bad = crc.pdus_digest_error();
  r.state = f.state();
  return r;
}

}  // namespace

TEST_CASE("iscsi framer: real targets' reads are placed whole, by ITT and buffer offset",
          "[iscsi][framer]") {
  namespace fs = std::filesystem;
  std::vector<fs::path> traces;
  for (const auto& e : fs::directory_iterator(trace_dir()))
    if (e.path().extension() == ".pcap") traces.push_back(e.path());
  std::sort(traces.begin(), traces.end());
  REQUIRE(traces.size() >= 3);
  for (const fs::path& t : traces) {
    INFO(t.filename().string());
    const Capture c = read_capture(t.string());
    const Session s = decode_session(c);
    const LoginSide& ini = s.ini;
    // Every read the lab says it issued was seen.
    const auto issued = manifest_reads(t);
    REQUIRE_FALSE(issued.empty());
    CHECK(reads_seen(ini) == issued);

    const EngineRun r =
        run_engine(c.to_initiator.stream, c.to_initiator.cuts, s.tgt.ff_start, s.from_target);
    CHECK(r.state == hw::TrackerState::Offloading);
    CHECK(r.header_errors == 0);
    if (s.from_target.hdgst) CHECK(r.hdgst_ok == r.headers);
    // Every data digest verified, the sense data's too, as the capture's decode counts them.
    CHECK(r.digests_ok == (s.from_target.ddgst ? s.tgt.ff_with_data : 0));
    CHECK(r.digests_bad == 0);
    uint64_t read_bytes = 0;
    for (const auto& [itt, rd] : ini.reads) read_bytes += uint64_t(rd.blocks) * ini.block_size;
    // In order, every Data-In byte is placed; what else carries data (a SCSI Response's sense
    // data after the login's TEST UNIT READY) is not.
    CHECK(r.placed_bytes == read_bytes);
    CHECK(r.data_bytes >= read_bytes);
    for (const auto& [itt, rd] : ini.reads) {
      INFO("ITT " << itt << " LBA " << rd.lba << " blocks " << rd.blocks);
      const auto it = r.buffers.find(itt);
      REQUIRE(it != r.buffers.end());
      const Bytes& got = it->second;
      REQUIRE(got.size() == uint64_t(rd.blocks) * ini.block_size);
      CHECK(lun_mismatches(got, rd.lba * ini.block_size) == 0);
      CHECK(r.ended.count(itt) == 1);  // status in the last Data-In, or a SCSI Response
    }
  }
}

namespace {

// A target's answer to reads, encoded by the wire-format library with both digests: Data-In
// PDUs of odd lengths (so with pads), status in the last one or in a SCSI Response; then a
// CHECK CONDITION with 19 bytes of sense data and a NOP-In with 5 bytes of ping data, PDUs
// with data digests that place nothing.
struct Generated {
  Bytes stream;
  std::vector<uint32_t> cuts;
  std::map<uint32_t, Bytes> want;  // by ITT
  std::vector<uint32_t> pdu_starts;
  uint32_t sense_at = 0;  // stream offset of the sense data
  iscsi::ConnParams cp;
};

Generated generated_stream(uint32_t mss) {
  Generated g;
  g.cp.hdgst = g.cp.ddgst = true;
  g.cp.max_data_segment = 8192;
  uint32_t statsn = 1;
  const auto put = [&](iscsi::PduBody body, const Bytes& data) {
    iscsi::Pdu p;
    p.body = std::move(body);
    p.data = data;
    g.pdu_starts.push_back(uint32_t(g.stream.size()));
    const Bytes b = iscsi::encode_pdu(p, g.cp);
    g.stream.insert(g.stream.end(), b.begin(), b.end());
  };
  const std::vector<std::pair<uint32_t, uint32_t>> reads{
      {0x00000007u, 4097}, {0x10000002u, 20001}, {0xFFFF0003u, 9}};
  for (size_t k = 0; k < reads.size(); ++k) {
    const auto [itt, len] = reads[k];
    Bytes& want = g.want[itt];
    for (uint32_t i = 0; i < len; ++i) want.push_back(uint8_t(itt * 31 + i * 13 + (i >> 8)));
    const bool separate_status = k == 1;
    for (uint32_t off = 0; off < len; off += 8192) {
      const uint32_t n = std::min<uint32_t>(8192, len - off);
      iscsi::DataIn d;
      d.itt = itt;
      d.buffer_offset = off;
      d.datasn = off / 8192;
      d.final = off + n == len;
      d.has_status = d.final && !separate_status;
      if (d.has_status) d.statsn = statsn++;
      put(d, Bytes(want.begin() + off, want.begin() + off + n));
    }
    if (separate_status) {
      iscsi::ScsiResponse s;
      s.itt = itt;
      s.statsn = statsn++;
      put(s, {});
    }
    iscsi::NopIn nop;  // unsolicited: names no task
    nop.itt = iscsi::kReservedTag;
    nop.ttt = 0x100 + uint32_t(k);  // asks for a ping back
    put(nop, {});
  }
  iscsi::ScsiResponse cc;
  cc.itt = 0x20000001u;
  cc.status = 0x02;
  cc.statsn = statsn++;
  g.sense_at = uint32_t(g.stream.size()) + 48 + 4;
  put(cc, {0x00, 0x11, 0x70, 0, 0x06, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x29, 0x01, 0, 0, 0});
  iscsi::NopIn ping;
  ping.itt = iscsi::kReservedTag;
  ping.ttt = 0x200;
  put(ping, {'p', 'i', 'n', 'g', '!'});
  for (uint32_t at = mss; at < g.stream.size(); at += mss) g.cuts.push_back(at);
  g.cuts.push_back(uint32_t(g.stream.size()));
  return g;
}

}  // namespace

TEST_CASE("iscsi framer: data digests over data and pad verified, tasks ended", "[iscsi][framer]") {
  for (uint32_t mss : {1u, 7u, 1448u, 8948u, 65483u}) {
    INFO("MSS " << mss);
    const Generated g = generated_stream(mss);
    const EngineRun r = run_engine(g.stream, g.cuts, 0, g.cp);
    CHECK(r.state == hw::TrackerState::Offloading);
    CHECK(r.header_errors == 0);
    CHECK(r.hdgst_ok == r.headers);
    CHECK(r.headers == g.pdu_starts.size());
    // Every Data-In (1 + 3 + 1), the sense data and the ping data; the rest carry no data.
    CHECK(r.digests_ok == 7);
    CHECK(r.digests_bad == 0);
    CHECK(r.packets_crc_ok == r.packets);
    CHECK(r.buffers == g.want);
    CHECK(r.ended == std::set<uint32_t>{0x00000007u, 0x10000002u, 0xFFFF0003u, 0x20000001u});
  }
}

TEST_CASE("iscsi framer: a corrupted pad byte fails its data digest", "[iscsi][framer]") {
  Generated g = generated_stream(1448);
  // The first Data-In: BHS 48 + header digest 4 + 4097 data bytes, then 3 pad bytes.
  g.stream[48 + 4 + 4097 + 2] ^= 0x80;
  const EngineRun r = run_engine(g.stream, g.cuts, 0, g.cp);
  CHECK(r.digests_bad == 1);
  CHECK(r.digests_ok == 6);
}

// Sense data is not placed, but its digest is the NIC's to check: a packet bringing a bad one
// is not crc-ok, so the driver's software check runs.
TEST_CASE("iscsi framer: corrupted sense data fails its data digest", "[iscsi][framer]") {
  Generated g = generated_stream(1448);
  g.stream[g.sense_at + 14] ^= 0x01;
  const EngineRun r = run_engine(g.stream, g.cuts, 0, g.cp);
  CHECK(r.digests_bad == 1);
  CHECK(r.digests_ok == 6);
  CHECK(r.packets_crc_ok == r.packets - 1);
  CHECK(r.buffers == g.want);  // placement is unaffected
}

TEST_CASE("iscsi framer: a lost header is searched for and found again", "[iscsi][framer]") {
  const Generated g = generated_stream(1448);
  // Lose the packet holding the second read's first Data-In header; the search must find a
  // later header by iSCSI plausibility (opcode, reserved fields, length, header digest).
  const uint32_t lost_header = g.pdu_starts[2];
  const size_t skip = size_t(std::upper_bound(g.cuts.begin(), g.cuts.end(), lost_header) -
                             g.cuts.begin());
  const EngineRun r = run_engine(g.stream, g.cuts, 0, g.cp, skip);
  CHECK(r.resync_requests >= 1);
  CHECK(r.header_errors == 0);
  CHECK(r.state == hw::TrackerState::Offloading);
  // The last read, after the resync, is placed whole.
  CHECK(r.buffers.at(0xFFFF0003u) == g.want.at(0xFFFF0003u));
  CHECK(r.ended.count(0xFFFF0003u) == 1);
}
