// The latency breakdown (docs/latency.md) over whole replays: every frame's stages follow one
// another and add up to the latency the summary reports, the stages fixed by a parameter
// take exactly it, and every read's parts add up to its command-to-completion latency.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "tb/gen/generator.hpp"
#include "tb/replay/Replay.hpp"
#include "tests/sc/full_nic_run.hpp"

using namespace nic;

namespace {

constexpr uint64_t kMemLatencyNs = 333;  // not a multiple of the clock period (4 ns)

struct Frames {
  std::vector<hw::FrameStamps> stamps;
  tb::ReplayResult result;
};

Frames replay_stamped(gen::Ulp ulp) {
  gen::GenConfig g;
  g.ulp = ulp;
  g.seed = 5;
  g.flows = 3;
  g.ddgst = true;
  g.io_size = gen::parse_io_size("4K,64K");
  g.ios = 24;
  g.queue_depth = 4;
  const std::string path = scratch_path("latency");
  gen::generate_pcap(g, path);
  Frames f;
  tb::ReplayOptions opt;
  opt.trace = path;
  opt.cfg.host.mem_latency_ns = kMemLatencyNs;
  opt.cfg.host.mem_gbps = 0;  // unlimited: the stage is the latency alone
  opt.on_frame = [&](const hw::FrameStamps& s) { f.stamps.push_back(s); };
  f.result = tb::run_replay(opt);
  std::filesystem::remove(path);
  return f;
}

const tb::LatencyFigures& row(const std::vector<tb::LatencyFigures>& rows, const char* name) {
  const auto it = std::find_if(rows.begin(), rows.end(), [&](const auto& f) { return f.name == name; });
  REQUIRE(it != rows.end());
  return *it;
}

void check_breakdown(const Frames& f) {
  const tb::ReplayResult& r = f.result;
  REQUIRE(r.verdict.ok());
  REQUIRE(!f.stamps.empty());
  REQUIRE(f.stamps.size() == r.latency_count);
  uint64_t max_total_ns = 0;
  for (const hw::FrameStamps& s : f.stamps) {
    uint64_t sum = 0;
    uint64_t prev = s.start_ps;
    for (size_t i = 0; i < hw::kFrameStages; ++i) {
      INFO("stage " << hw::kFrameStageNames[i]);
      CHECK(s.end_ps[i] >= prev);  // stamped, and no earlier than the stage before
      prev = s.end_ps[i];
      sum += s.part_ps(i);
    }
    CHECK(sum == s.total_ps());
    CHECK(s.part_ps(hw::kHostMemory) == kMemLatencyNs * 1000);
    // The MAC takes its first beat at the first edge after the last bit: the FIFO stage holds
    // at least the frame's other beats.
    CHECK(s.part_ps(hw::kMacFifo) > 0);
    max_total_ns = std::max(max_total_ns, s.total_ps() / 1000);
  }
  // The stages account for the figure the summary always gave.
  CHECK(max_total_ns == r.latency_max);
  const tb::LatencyFigures& total = row(r.frame_latency, "total");
  CHECK(total.count == r.latency_count);
  CHECK(total.p50 == r.latency_p50);
  CHECK(total.p99 == r.latency_p99);
  const tb::LatencyFigures& mem = row(r.frame_latency, "host_memory");
  CHECK(mem.count == r.latency_count);
  CHECK(mem.p50 == kMemLatencyNs);
  CHECK(mem.max == kMemLatencyNs);
  for (const tb::LatencyFigures& s : r.frame_latency) CHECK(s.max <= total.max);

  // Reads: the parts follow one another and end at the read's completion.
  size_t with_parts = 0;
  for (const host::CommandRecord& c : r.commands) {
    host::ReadStamps s;
    if (!c.stamps(s)) continue;
    ++with_parts;
    uint64_t sum = 0;
    for (size_t i = 0; i < host::kReadStages; ++i) sum += s.part_ps(i);
    CHECK(sum == c.complete_ps - c.submit_ps);
    CHECK(c.first_data_ps <= c.last_wire_ps);
    CHECK(c.last_wire_ps < c.last_landed_ps);
  }
  CHECK(with_parts == r.commands.size());  // clean traffic: every read ends with a frame
  CHECK(row(r.read_latency, "target").count == with_parts);
  CHECK(row(r.read_latency, "total").count == r.commands.size());
}

}  // namespace

TEST_CASE("latency: NVMe/TCP frame stages and read parts add up - host memory takes its parameter",
          "[latency]") {
  check_breakdown(replay_stamped(gen::Ulp::NvmeTcp));
}

TEST_CASE("latency: iSCSI frame stages and read parts add up - host memory takes its parameter",
          "[latency]") {
  check_breakdown(replay_stamped(gen::Ulp::Iscsi));
}
