// Full NIC on a capture as a real host's tcpdump gives it: no TCP handshake, checksums left
// unfinished by checksum offload, the controller on a port other than 4420. The driver adopts
// each connection at ICReq/ICResp and the NIC offloads it as with a handshake; the judge is
// the generator's truth.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "proto/net.hpp"
#include "tb/pcap/pcap_io.hpp"
#include "tests/sc/full_nic_run.hpp"
#include "tests/unit/impaired_gen.hpp"

using namespace nic;

namespace {

constexpr uint16_t kPort = 4421;

// The generated trace without its segments that carry no payload (the handshake and ACKs),
// with the controller moved from 4420 to kPort and every TCP checksum zeroed.
Run replay_capture(const gen::GenConfig& g, const SimConfig& cfg, bool fix_checksums,
                   const std::string& name) {
  const std::string path = scratch_path(name);
  Run r;
  {
    pcap::Writer w(path);
    r.truth = gen::generate(g, [&](uint64_t ts, ByteView frame) {
      Bytes f(frame.begin(), frame.end());
      net::ParsedFrame pf;
      REQUIRE(net::parse_frame(f, pf) == net::ParseError::None);
      if (!pf.payload_len) return;
      uint8_t* tcp = &f[pf.l4_offset];
      for (int at : {0, 2})
        if (ld_be16(tcp + at) == 4420) st_be16(tcp + at, kPort);
      st_be16(tcp + 16, 0);
      w.write(ts, f);
    });
    w.close();
  }
  tb::ReplayOptions opt;
  opt.trace = path;
  opt.cfg = cfg;
  opt.nvme_ports.ports = {4420, kPort};
  opt.fix_checksums = fix_checksums;
  r.result = tb::run_replay(opt);
  r.verdict = r.result.verdict;
  std::filesystem::remove(path);
  return r;
}

// Three flows, both digests, reads split over PDUs, SUCCESS flags; a clean capture.
gen::GenConfig trace() {
  gen::GenConfig g = testing::impaired_config();
  g.imp = {};
  return g;
}

}  // namespace

TEST_CASE("full NIC: a capture without handshake or checksums on port 4421 is offloaded in full", "[full][capture]") {
  SimConfig cfg;
  const Run r = replay_capture(trace(), cfg, true, "capture_fixed");
  check_exact(r);
  check_full_offload(r, cfg, true);
  CHECK(r.verdict.followed_all());
  CHECK(r.result.checksums_fixed == r.result.records);
  CHECK(r.result.counters.at("rx_nvmeotcp_sk_add") == 3);
}

TEST_CASE("full NIC: a capture with unfinished checksums follows nothing unless they are fixed and says so", "[full][capture]") {
  SimConfig cfg;
  const Run r = replay_capture(trace(), cfg, false, "capture_unfixed");
  CHECK(r.verdict.ok());  // nothing judged...
  CHECK(r.verdict.checked == 0);
  CHECK_FALSE(r.verdict.followed_all());  // ...which is no pass
  CHECK(r.verdict.checksum_failures.size() == 3);
  REQUIRE(r.verdict.not_followed.size() == 3);
  for (const auto& n : r.verdict.not_followed) {
    CHECK(n.why == check::NotFollowed::Why::Checksum);
    CHECK(n.port == kPort);
  }
  CHECK(r.verdict.reads_not_followed() == r.truth.commands.size());
  CHECK(r.result.counters.at("rx_nvmeotcp_sk_add") == 0);
  CHECK(r.result.counters.at("bypass_bad_checksum") > 0);
}
