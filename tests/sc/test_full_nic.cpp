// The whole model on generated traces: NIC pipeline + PCIe + host memory + driver, judged
// against an independent decode of the same trace (tb/check) and the generator's truth.
#include <catch2/catch.hpp>
#include <systemc>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "tb/gen/generator.hpp"
#include "tb/pcap/pcap_io.hpp"
#include "proto/net.hpp"
#include "tb/replay/Replay.hpp"
#include "tests/sc/full_nic_run.hpp"

using namespace nic;

namespace {

gen::GenConfig base(uint64_t seed) {
  gen::GenConfig g;
  g.seed = seed;
  g.flows = 3;
  g.ddgst = true;
  g.hdgst = true;
  g.io_size = gen::parse_io_size("32K,64K,128K");
  g.ios = 24;
  g.queue_depth = 4;
  return g;
}

}  // namespace

TEST_CASE("full NIC: in-order reads over several flows are placed and verified by the NIC", "[full]") {
  SimConfig cfg;
  const auto g = base(11);
  const Run r = replay(g, cfg, "inorder");
  check_exact(r);
  check_full_offload(r, cfg, true);
}

TEST_CASE("full NIC: split PDUs with DATAO and the SUCCESS flag", "[full]") {
  SimConfig cfg;
  auto g = base(12);
  g.max_pdu_data = 16384;
  g.success_flag = 0.5;
  const Run r = replay(g, cfg, "datao");
  check_exact(r);
  check_full_offload(r, cfg, true);
}

TEST_CASE("full NIC: scattered 4 KiB pages", "[full]") {
  SimConfig cfg;
  cfg.driver.allocator = "pages";
  const Run r = replay(base(13), cfg, "pages");
  check_exact(r);
  check_full_offload(r, cfg, true);
}

TEST_CASE("full NIC: random sub-page fragments within the SG limit", "[full]") {
  SimConfig cfg;
  cfg.driver.allocator = "fragments";
  cfg.placement.max_sg_entries = 256;
  auto g = base(14);
  g.io_size = gen::parse_io_size("32K,64K");
  const Run r = replay(g, cfg, "fragments");
  check_exact(r);
  check_full_offload(r, cfg, true);
}

TEST_CASE("full NIC: an SGL over the limit falls back to software", "[full]") {
  SimConfig cfg;
  cfg.driver.allocator = "fragments";  // ~2 KiB fragments: 64 KiB needs far more than 8
  cfg.placement.max_sg_entries = 8;
  const Run r = replay(base(15), cfg, "sglimit");
  check_exact(r);
  CHECK(r.result.counters.at("driver_ddp_skipped_sg_limit") == r.result.commands.size());
  CHECK(r.result.counters.at("c2h_data_bytes_placed") == 0);
}

TEST_CASE("full NIC: digests off", "[full]") {
  SimConfig cfg;
  auto g = base(16);
  g.hdgst = false;
  g.ddgst = false;
  const Run r = replay(g, cfg, "nodigest");
  check_exact(r);
  check_full_offload(r, cfg, false);
}

TEST_CASE("full NIC: HPDA 1 padding with IPv6 and VLAN", "[full]") {
  SimConfig cfg;
  auto g = base(17);
  g.hpda = 1;
  g.ipv6 = true;
  g.vlan = 100;
  g.tcp_timestamps = true;
  const Run r = replay(g, cfg, "hpda");
  check_exact(r);
  check_full_offload(r, cfg, true);
}

TEST_CASE("full NIC: ConnectX-7 one-run rule still ends byte-exact", "[full]") {
  SimConfig cfg;
  cfg.placement.single_run_per_packet = true;
  auto g = base(18);
  g.max_pdu_data = 8192;  // packets holding the end of one PDU and the start of the next
  const Run r = replay(g, cfg, "cx7");
  check_exact(r);
  // Bytes after a PDU boundary inside a packet are copied by software under this rule.
  CHECK(r.result.counters.at("placement_runs_over_limit") > 0);
  CHECK(r.result.counters.at("c2h_data_bytes_copied") > 0);
}

TEST_CASE("full NIC: IO sizes from 512 B to 1 MiB with a lowered threshold", "[full]") {
  SimConfig cfg;
  cfg.driver.io_threshold = 512;
  cfg.placement.max_sg_entries = 512;
  auto g = base(19);
  g.io_size = gen::parse_io_size("512,4K,64K,1M");
  g.ios = 12;
  g.flows = 2;
  const Run r = replay(g, cfg, "sizes");
  check_exact(r);
  check_full_offload(r, cfg, true);
}

TEST_CASE("full NIC: jumbo frames with many PDUs per packet", "[full]") {
  SimConfig cfg;
  cfg.driver.io_threshold = 4096;
  auto g = base(20);
  g.mss = 9000;
  g.io_size = gen::parse_io_size("4K,8K");
  g.ios = 40;
  g.queue_depth = 16;
  const Run r = replay(g, cfg, "jumbo");
  check_exact(r);
  check_full_offload(r, cfg, true);
}

TEST_CASE("full NIC: corrupted data digests are reported and the data is still right", "[full]") {
  SimConfig cfg;
  auto g = base(21);
  g.imp.corrupt_ddgst = 0.3;
  const Run r = replay(g, cfg, "baddigest");
  check_exact(r);
  size_t bad = 0;
  for (const auto& t : r.truth.commands) bad += t.digest_corrupted;
  CHECK(bad > 0);
  CHECK(r.result.counters.at("sw_digest_errors") == bad);
}

TEST_CASE("full NIC: impaired traffic falls back to software and stays byte-exact", "[full]") {
  SimConfig cfg;
  auto g = base(22);
  g.tcp_timestamps = true;
  g.max_pdu_data = 16384;
  g.imp.loss = 0.03;
  g.imp.reseg_retransmit = true;
  g.imp.reorder = 0.03;
  g.imp.dup = 0.03;
  g.imp.bad_tcp_csum = 0.02;
  g.imp.corrupt_ddgst = 0.2;
  g.imp.plant_lookalike = 0.5;
  const Run r = replay(g, cfg, "impaired");
  check_exact(r);
  CHECK(r.result.counters.at("bypass_bad_checksum") > 0);
}

// One random mix of impairments per process: ctest runs this case once per --rng-seed (see
// tests/CMakeLists.txt). Whatever the mix, every read ends byte-exact with the right status.
TEST_CASE("full NIC: random impairments", "[full][random]") {
  const uint32_t seed = Catch::rngSeed();
  std::mt19937 rng(seed);
  auto uni = [&](double lo, double hi) { return std::uniform_real_distribution<>(lo, hi)(rng); };
  auto pick = [&](int n) { return int(rng() % uint32_t(n)); };
  gen::GenConfig g;
  g.seed = seed;
  g.flows = 1 + uint32_t(pick(4));
  g.ipv6 = pick(3) == 0;
  g.hdgst = pick(2) == 0;
  g.ddgst = pick(5) != 0;
  g.hpda = pick(4) == 0 ? 1 : 0;
  g.io_size = gen::parse_io_size(pick(2) ? "32K,64K,128K" : "8K:160K");
  g.ios = 16 + uint32_t(pick(16));
  g.queue_depth = 2 + uint32_t(pick(8));
  g.max_pdu_data = pick(2) ? 0 : 8192u << pick(4);
  g.success_flag = uni(0, 0.5);
  g.tcp_timestamps = pick(2) == 0;
  g.imp.loss = uni(0, 0.05);
  g.imp.reorder = uni(0, 0.03);
  g.imp.dup = uni(0, 0.03);
  g.imp.reseg_retransmit = pick(2) == 0;
  g.imp.bad_tcp_csum = uni(0, 0.01);
  g.imp.corrupt_ddgst = g.ddgst ? uni(0, 0.2) : 0;
  g.imp.plant_lookalike = uni(0, 0.5);
  SimConfig cfg;
  cfg.driver.io_threshold = 8192;
  cfg.driver.allocator = std::vector<std::string>{"contiguous", "pages", "fragments"}[pick(3)];
  cfg.placement.max_sg_entries = 512;
  cfg.placement.single_run_per_packet = pick(4) == 0;
  cfg.ooo.search = pick(5) != 0;
  cfg.ooo.max_candidates = 1 + uint32_t(pick(4));
  INFO("seed " << seed << " flows " << g.flows << " loss " << g.imp.loss << " reorder "
                << g.imp.reorder << " dup " << g.imp.dup << " allocator " << cfg.driver.allocator);
  const Run r = replay(g, cfg, "random" + std::to_string(seed));
  check_exact(r);
  CHECK(r.result.counters.at("sw_misplaced_bytes") == 0);
}

TEST_CASE("full NIC: lost headers are resynced through the driver when header recovery is off", "[full]") {
  SimConfig cfg;
  cfg.ooo.recover_headers = false;
  gen::GenConfig g;
  g.seed = 31;
  g.flows = 2;
  g.ddgst = true;
  g.io_size = gen::parse_io_size("32K");
  g.max_pdu_data = 8192;  // a header every few packets, so losses hit headers
  g.ios = 80;
  g.queue_depth = 4;
  g.imp.loss = 0.03;
  g.imp.plant_lookalike = 0.5;  // lookalikes inside data must never be confirmed
  const Run r = replay(g, cfg, "resync");
  check_exact(r);
  const auto& c = r.result.counters;
  CHECK(c.at("tracker_framing_lost") > 0);
  CHECK(c.at("tracker_resyncs_confirmed") > 0);
  CHECK(c.at("tracker_headers_recovered") == 0);
  CHECK(c.at("driver_resync_confirmed") == c.at("tracker_resyncs_confirmed") + c.at("tracker_resyncs_ignored"));
  CHECK(c.at("driver_untrusted_crc") <= c.at("driver_resync_confirmed"));
  // Offload resumed after each resync: most data still placed by the NIC.
  CHECK(c.at("c2h_data_bytes_placed") > c.at("c2h_data_bytes_copied"));
}

TEST_CASE("full NIC: coverage at 1 percent loss and reorder stays above 90 percent", "[full]") {
  SimConfig cfg;
  gen::GenConfig g;
  g.seed = 32;
  g.flows = 4;
  g.ddgst = true;
  g.io_size = gen::parse_io_size("128K");
  g.ios = 48;
  g.queue_depth = 8;
  g.imp.loss = 0.01;
  g.imp.reorder = 0.01;
  const Run r = replay(g, cfg, "coverage");
  check_exact(r);
  const auto& c = r.result.counters;
  const double placed = double(c.at("c2h_data_bytes_placed")) /
                        double(c.at("c2h_data_bytes_placed") + c.at("c2h_data_bytes_copied"));
  const double crc = double(c.at("sw_hw_crc_pdus")) / double(c.at("sw_data_pdus"));
  INFO("placed " << placed << " crc " << crc);
  CHECK(placed > 0.9);
  CHECK(crc > 0.9);
  CHECK(c.at("crc_pdus_hole_filled") > 0);
}

namespace {
// Reads answered within microseconds: CIDs come back faster than a registration round trip.
gen::GenConfig fast_reuse(uint64_t seed, uint32_t flows, const char* io_size, uint32_t ios,
                          uint32_t queue_depth) {
  gen::GenConfig g;
  g.seed = seed;
  g.flows = flows;
  g.ddgst = true;
  g.io_size = gen::parse_io_size(io_size);
  g.ios = ios;
  g.queue_depth = queue_depth;
  g.ctrl_latency_us = 2;
  return g;
}
}  // namespace

TEST_CASE("full NIC: fast CID reuse with small reads never lands data in another read's buffer", "[full]") {
  // 4 KiB reads at queue depth 32: setups often arrive late. Late must never mean wrong.
  SimConfig cfg;
  cfg.driver.io_threshold = 4096;
  const Run r = replay(fast_reuse(33, 4, "4K", 600, 32), cfg, "cidreuse");
  check_exact(r);
  CHECK(r.result.counters.at("driver_late_placements") == 0);
  CHECK(r.result.counters.at("sw_misplaced_bytes") == 0);
  CHECK(r.result.counters.at("c2h_data_bytes_placed") > 0);
}

namespace {
// CIDs that share a NIC DDP slot (abi::ddp_slots of the queue size): the driver registers
// one at a time, the NIC never refuses a setup as Busy, and no data lands in the wrong buffer.
void check_shared_slots(const Run& r) {
  check_exact(r);
  const auto& c = r.result.counters;
  CHECK(c.at("driver_ddp_slot_waits") > 0);
  CHECK(c.at("rx_nvmeotcp_ddp_setup") > 0);
  CHECK(c.at("rx_nvmeotcp_ddp_setup_fail") == 0);
  CHECK(c.at("c2h_data_bytes_placed") > 0);
  CHECK(c.at("driver_late_placements") == 0);
  CHECK(c.at("sw_misplaced_bytes") == 0);
  CHECK(c.at("isolation_violations") == 0);
}
}  // namespace

TEST_CASE("full NIC: Linux generation CIDs of one tag share its DDP slot", "[full]") {
  // tag | generation << 12 with fast tag reuse: the next generation's command is seen while
  // the previous one is still registered in the tag's slot.
  SimConfig cfg;
  cfg.driver.io_threshold = 4096;
  cfg.driver.queue_depth = 8;
  gen::GenConfig g = fast_reuse(44, 2, "4K,16K", 300, 8);
  g.cid_genctr = true;
  const Run r = replay(g, cfg, "genctr_slots");
  check_shared_slots(r);
  // A generation waits at most for its predecessor's teardown: every read is registered.
  CHECK(r.result.counters.at("rx_nvmeotcp_ddp_setup") == r.truth.commands.size());
}

TEST_CASE("full NIC: CIDs beyond the negotiated queue depth share slots", "[full]") {
  SimConfig cfg;
  cfg.driver.io_threshold = 4096;
  cfg.driver.queue_depth = 3;  // 4 slots for CIDs 0..15
  gen::GenConfig g = base(45);
  g.io_size = gen::parse_io_size("4K,32K");
  g.ios = 120;
  g.queue_depth = 16;
  check_shared_slots(replay(g, cfg, "deep_queue"));
}

TEST_CASE("full NIC: 400G preset with 1 KiB reads keeps every buffer exact", "[full]") {
  // Tiny reads at 400 Gb/s: a completion's header may straddle the driver's parse position
  // when it registers the next read of the CID; that completion must not count as the new
  // read's (it once left a registration open to a later read's data).
  SimConfig cfg;
  load_config_file(cfg, NICSIM_SOURCE_DIR "/configs/400g.json");
  cfg.driver.io_threshold = 512;
  gen::GenConfig g;
  g.seed = 1;
  g.flows = 8;
  g.ddgst = true;
  g.io_size = gen::parse_io_size("1K");
  g.total_bytes = 16u << 20;
  g.queue_depth = 32;
  g.link_gbps = 400;
  const Run r = replay(g, cfg, "tiny400");
  check_exact(r);
  CHECK(r.result.counters.at("driver_late_placements") == 0);
  CHECK(r.result.counters.at("sw_misplaced_bytes") == 0);
}

// Adversarial: a trace whose controller->host NVMe/TCP payload bytes are damaged at random
// (headers, lengths, DATAO, CIDs, digests, types...) with the TCP checksum made valid again,
// so the NIC has to process every damaged byte. Whatever arrives: no crash, no DMA write
// outside a registered buffer, and every read the independent decode still considers intact
// ends byte-exact.
TEST_CASE("full NIC: randomly damaged PDUs never cause a stray DMA write", "[full][random]") {
  const uint32_t seed = Catch::rngSeed();
  std::mt19937 rng(seed);
  gen::GenConfig g;
  g.seed = seed;
  g.flows = 2;
  g.ddgst = rng() % 2;
  g.hdgst = rng() % 2;
  g.io_size = gen::parse_io_size("8K:64K");
  g.ios = 24;
  g.queue_depth = 4;
  g.max_pdu_data = rng() % 2 ? 0 : 16384;
  const std::string clean = scratch_path("dmg_clean" + std::to_string(seed));
  const std::string bad = scratch_path("dmg" + std::to_string(seed));
  gen::generate_pcap(g, clean);
  {
    pcap::Reader in(clean);
    pcap::Writer out(bad);
    pcap::Packet pkt;
    net::ParsedFrame pf;
    while (in.next(pkt)) {
      if (net::parse_frame(pkt.data, pf) == net::ParseError::None && pf.tuple.sport == 4420 &&
          pf.payload_len > 0 && rng() % 6 == 0) {
        for (int k = 0, n = 1 + int(rng() % 4); k < n; ++k)
          pkt.data[pf.payload_offset + rng() % pf.payload_len] ^= uint8_t(1u << (rng() % 8));
        uint8_t* tcp = pkt.data.data() + pf.l4_offset;
        const size_t seg = pf.payload_offset + pf.payload_len - pf.l4_offset;
        st_be16(tcp + 16, 0);
        st_be16(tcp + 16, net::tcp_checksum(pf.tuple.src, pf.tuple.dst, tcp, seg));
      }
      out.write(pkt.ts_ns, pkt.data);
    }
    out.close();
  }
  SimConfig cfg;
  cfg.driver.io_threshold = 8192;
  tb::ReplayOptions opt;
  opt.trace = bad;
  opt.cfg = cfg;
  const tb::ReplayResult res = tb::run_replay(opt);
  const tb::Verdict& v = res.verdict;
  std::filesystem::remove(clean);
  std::filesystem::remove(bad);
  INFO("seed " << seed << (v.mismatches.empty() ? "" : ": " + v.mismatches.front()));
  CHECK(res.counters.at("isolation_violations") == 0);
  CHECK(v.ok());
}

// The completion interrupt on impaired traffic through a small completion ring that wraps
// often, with count and time moderation and another driver seed (rings elsewhere): every
// interrupt the driver took is a message that crossed the link, none arrived before the
// entries it announced, the isolation checker (ring ranges from the driver) saw no stray
// write, and every read is byte-exact.
TEST_CASE("full NIC: MSI-X messages with moderation through a wrapping completion ring", "[full][msix]") {
  SimConfig cfg;
  cfg.placement.cq_entries = 64;
  cfg.irq.moderation_count = 8;
  cfg.irq.moderation_ns = 2000;
  cfg.driver.seed = 7;
  auto g = base(33);
  g.imp.loss = 0.02;
  g.imp.reorder = 0.02;
  const Run r = replay(g, cfg, "msix");
  check_exact(r);
  const auto& c = r.result.counters;
  CHECK(c.at("msix_messages") > 1);
  CHECK(c.at("msix_by_count") > 0);
  CHECK(c.at("host_msi_received") == c.at("msix_messages"));
  CHECK(c.at("driver_irqs") == c.at("msix_messages"));
  CHECK(c.at("msix_before_entries") == 0);
  CHECK(c.at("isolation_violations") == 0);
  CHECK(c.at("driver_cqes") > c.at("placement_frames"));  // frames and command completions
  // Each decision by count signals at least eight entries no other decision signals.
  CHECK(c.at("msix_completions_signalled") >= 8 * c.at("msix_by_count"));
  CHECK(c.at("msix_completions_signalled") <= c.at("driver_cqes"));
}
