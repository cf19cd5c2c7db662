// The trace feeder with --split-gso: a super-frame reaches the MAC as pieces back to back at
// the line rate, the last ending on the wire when the whole frame would have; where that
// leaves no room, they start with the trace or the frame ahead of them instead.
#include <catch2/catch.hpp>

#include <filesystem>
#include <vector>

#include "proto/net.hpp"
#include "tb/pcap/pcap_io.hpp"
#include "tb/replay/TraceFeeder.hpp"
#include "tests/sc/full_nic_run.hpp"

using namespace nic;

namespace {

Bytes segment(uint32_t seq, size_t payload) {
  net::FrameSpec s;
  s.tuple = {net::IpAddr::parse("10.0.0.2"), net::IpAddr::parse("10.0.0.1"), 4420, 40000};
  s.seq = seq;
  return net::build_frame(s, Bytes(payload, 0x5A));
}

struct Fed {
  std::vector<uint64_t> ts, len;
};

// Feeds the records (timestamp in ns, frame) and collects what the MAC would get.
Fed feed(const std::vector<std::pair<uint64_t, Bytes>>& records, double gbps, const std::string& name) {
  const std::string path = scratch_path(name);
  {
    pcap::Writer w(path);
    for (const auto& [ts, f] : records) w.write(ts, f);
    w.close();
  }
  pcap::Reader reader(path);
  hw::PacketPool pool;
  tb::FeederParams p;
  p.target_ports.ports = {4420};
  p.split_gso = true;
  p.line_rate_gbps = gbps;
  tb::TraceFeeder feeder("feeder", reader, pool, p, [](const pcap::Packet&) {}, {});
  Fed out;
  uint64_t ts = 0;
  while (hw::PacketCtx* ctx = feeder.next_rx(ts)) {
    out.ts.push_back(ts);
    out.len.push_back(ctx->frame.size());
    pool.put(ctx);
  }
  std::filesystem::remove(path);
  return out;
}

}  // namespace

TEST_CASE("feeder: a super-frame's pieces end on the wire when the frame would have", "[feeder][gso]") {
  const Bytes small = segment(1, 100), super = segment(101, 30000);
  // At 100 Gb/s a byte takes 80 ps; the wire overhead is 24 bytes a frame.
  const Fed f = feed({{1000, small}, {101000, super}}, 100.0, "feeder_gso.pcap");
  const size_t pieces = (30000 + 1459) / 1460;  // 1500 less 20 + 20 header bytes
  REQUIRE(f.ts.size() == 1 + pieces);
  const uint64_t start = 20'000'000;  // FeederParams::start_ns: the first record plays there
  CHECK(f.ts[0] == start);
  const uint64_t super_ts = start + 100'000'000;
  const uint64_t super_end = super_ts + (super.size() + 24) * 80;
  for (size_t i = 1; i + 1 < f.ts.size(); ++i) CHECK(f.ts[i + 1] - f.ts[i] == (f.len[i] + 24) * 80);
  CHECK(f.ts.back() + (f.len.back() + 24) * 80 == super_end);
  CHECK(f.ts[1] < super_ts);  // the extra headers' wire time comes first
}

TEST_CASE("feeder: pieces wait for the trace's start and the frame ahead of them", "[feeder][gso]") {
  // At 1 Gb/s the pieces of 60 KB take about 500 us, far more than the time before them.
  const Bytes super = segment(1, 60000), small = segment(60001, 100);
  const size_t pieces = (60000 + 1459) / 1460;
  const uint64_t start = 20'000'000;
  const Fed first = feed({{0, super}, {1000, small}}, 1.0, "feeder_gso_first.pcap");
  REQUIRE(first.ts.size() == pieces + 1);
  CHECK(first.ts[0] == start);  // the driver brings the NIC up before the trace plays
  for (size_t i = 1; i < pieces; ++i) CHECK(first.ts[i] - first.ts[i - 1] == (first.len[i - 1] + 24) * 8000);
  const Fed behind = feed({{0, small}, {1000, super}}, 1.0, "feeder_gso_behind.pcap");
  REQUIRE(behind.ts.size() == 1 + pieces);
  CHECK(behind.ts[0] == start);
  CHECK(behind.ts[1] == start);  // not before the frame ahead
  for (size_t i = 2; i < behind.ts.size(); ++i)
    CHECK(behind.ts[i] - behind.ts[i - 1] == (behind.len[i - 1] + 24) * 8000);
}
