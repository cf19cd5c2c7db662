// Hostile traffic through the whole model (generator's Adversary knobs, tb/gen/config.hpp):
// a controller that breaks the protocol and frames no parser expects. For each case: no crash
// or hang (every read the host issued ends), no DMA write outside a live registration, the
// independent decode's verdict holds (reads it completes are byte-exact, reads it breaks have
// failed), a read reported ok holds the truth's bytes, and the counter that names the cause
// moved.
#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "tests/sc/full_nic_run.hpp"

using namespace nic;

namespace {

gen::GenConfig adv_base(uint64_t seed) {
  gen::GenConfig g;
  g.seed = seed;
  g.flows = 2;
  g.ddgst = true;
  g.hdgst = true;
  g.io_size = gen::parse_io_size("8K:64K");
  g.ios = 32;
  g.queue_depth = 4;
  g.max_pdu_data = 16384;
  return g;
}

// The same traffic as iSCSI: READs of whole blocks, Data-In of at most 16 KiB.
gen::GenConfig iscsi_base(uint64_t seed) {
  auto g = adv_base(seed);
  g.ulp = gen::Ulp::Iscsi;
  g.iscsi_max_recv = 16384;
  g.max_pdu_data = 0;
  return g;
}

SimConfig adv_cfg() {
  SimConfig cfg;
  cfg.driver.io_threshold = 4096;
  return cfg;
}

uint64_t ctr(const Run& r, const std::string& key) { return r.result.counters.at(key); }

// Reads the Adversary left alone end ok and exact (for the non-fatal cases).
void check_untouched_exact(const Run& r) {
  const auto got = by_read(r);
  for (const auto& t : r.truth.commands) {
    if (!t.adversity.empty()) continue;
    auto it = got.find({t.flow, t.order});
    REQUIRE(it != got.end());
    INFO(t.flow << " read #" << t.order);
    CHECK(it->second->status == "ok");
    CHECK(it->second->sha256 == t.sha256);
  }
}

// A fatal header fault on some reads: each connection that got one is reported failed for that
// rule by the driver (and removed from the offload), and the NIC's parser counted the rule.
void header_fault(gen::GenConfig g, uint32_t fault, const std::string& nic_reason,
                  const char* driver_reason) {
  g.adv.bad_header = 0.15;
  g.adv.faults = 1u << fault;
  const Run r = replay(g, adv_cfg(), std::string("fault_") + gen::header_fault_name(g.ulp, fault));
  REQUIRE(r.truth.totals.adv.bad_header > 0);
  check_robust(r);
  std::set<std::string> hit;
  for (const auto& t : r.truth.commands)
    if (t.adversity.find("bad_header") != std::string::npos) hit.insert(t.flow);
  CHECK(r.result.failed_connections.size() == hit.size());
  for (const std::string& why : r.result.failed_connections) {
    INFO(why);
    CHECK(hit.count(why.substr(0, why.find(": "))) == 1);
    CHECK(why.find(driver_reason) != std::string::npos);
  }
  CHECK(ctr(r, nic_reason) >= 1);
  CHECK(ctr(r, "sw_connections_framing_lost") == hit.size());
  CHECK(ctr(r, "rx_nvmeotcp_sk_del") == hit.size());
  // Reads after the fault fail without being registered, so none is left hanging.
  for (const auto& c : r.result.commands)
    if (c.status != "ok") CHECK(c.status == "bad_pdu");
}

// The target ends some connections mid-stream: each is reported failed with `why`, removed
// from the offload, and every read on it that did not complete ends terminated.
void terminated(gen::GenConfig g, const char* why) {
  g.adv.term_req = 0.1;
  const Run r = replay(g, adv_cfg(), std::string("term_req_") + gen::to_string(g.ulp));
  REQUIRE(r.truth.totals.adv.term_req > 0);
  check_robust(r);
  std::set<std::string> hit;
  for (const auto& t : r.truth.commands)
    if (t.adversity.find("term_req") != std::string::npos) hit.insert(t.flow);
  CHECK(r.result.failed_connections.size() == hit.size());
  for (const std::string& w : r.result.failed_connections) CHECK(w.find(why) != std::string::npos);
  CHECK(ctr(r, "sw_connections_terminated") == hit.size());
  CHECK(ctr(r, "rx_nvmeotcp_sk_del") == hit.size());
  for (const auto& c : r.result.commands)
    if (c.status != "ok") CHECK(c.status == "terminated");
}

void nvme_fault(gen::HeaderFault f, const char* nic_reason, const char* driver_reason, uint64_t seed) {
  header_fault(adv_base(seed), uint32_t(f), std::string("parser_header_error_") + nic_reason,
               driver_reason);
}

void iscsi_fault(gen::IscsiHeaderFault f, const char* nic_reason, const char* driver_reason,
                 uint64_t seed) {
  header_fault(iscsi_base(seed), uint32_t(f), std::string("parser_iscsi_header_error_") + nic_reason,
               driver_reason);
}

// A Data-In header that breaks a rule of its own: its read fails and ends there, the
// connection and every other read carry on unharmed.
void iscsi_pdu_fault(gen::IscsiHeaderFault f, const char* nic_reason, uint64_t seed) {
  auto g = iscsi_base(seed);
  g.adv.bad_header = 0.15;
  g.adv.faults = 1u << uint32_t(f);
  const Run r = replay(g, adv_cfg(), std::string("iscsi_fault_") + gen::to_string(f));
  REQUIRE(r.truth.totals.adv.bad_header > 0);
  check_robust(r);
  check_untouched_exact(r);
  CHECK(r.result.failed_connections.empty());
  const auto got = by_read(r);
  for (const auto& t : r.truth.commands)
    if (!t.adversity.empty()) CHECK(got.at({t.flow, t.order})->status == "bad_pdu");
  CHECK(ctr(r, "sw_rejected_pdus") == r.truth.totals.adv.bad_header);
  CHECK(ctr(r, std::string("parser_iscsi_header_error_") + nic_reason) >= 1);
}

}  // namespace

TEST_CASE("adversarial: C2HData running past the registered length", "[adversarial]") {
  auto g = adv_base(31);
  g.adv.overrun = 0.3;
  const Run r = replay(g, adv_cfg(), "overrun");
  REQUIRE(r.truth.totals.adv.overrun > 0);
  check_robust(r);
  check_untouched_exact(r);
  const auto got = by_read(r);
  for (const auto& t : r.truth.commands)
    if (t.adversity == "overrun") CHECK(got.at({t.flow, t.order})->status == "bad_pdu");
  CHECK(ctr(r, "sw_overrun_pdus") == r.truth.totals.adv.overrun);
  CHECK(ctr(r, "placement_out_of_range") >= 1);  // the NIC refused, it did not clip
}

TEST_CASE("adversarial: data and a response for a CID that was never registered", "[adversarial]") {
  auto g = adv_base(32);
  g.adv.unknown_cid = 0.3;
  g.cid_genctr = true;
  const Run r = replay(g, adv_cfg(), "unknown_cid");
  REQUIRE(r.truth.totals.adv.unknown_cid > 0);
  check_robust(r);
  check_exact(r);  // nothing else is disturbed: every read ok
  // One C2HData and one CapsuleResp each; the NIC passes the data unplaced.
  CHECK(ctr(r, "sw_unknown_cid_pdus") == 2 * r.truth.totals.adv.unknown_cid);
  CHECK(ctr(r, "placement_unregistered") >= 1);
}

TEST_CASE("adversarial: the response overtakes the data, the buffer is torn down while data still arrives", "[adversarial]") {
  auto g = adv_base(33);
  g.adv.early_resp = 0.3;
  g.host_latency_us = 0;  // the CID comes back at once
  g.cid_genctr = false;
  const Run r = replay(g, adv_cfg(), "early_resp");
  REQUIRE(r.truth.totals.adv.early_resp > 0);
  check_robust(r);
  const auto got = by_read(r);
  for (const auto& t : r.truth.commands)
    if (t.adversity == "early_resp") CHECK(got.at({t.flow, t.order})->status != "ok");
  CHECK(ctr(r, "rx_nvmeotcp_ddp_teardown") == ctr(r, "rx_nvmeotcp_ddp_setup"));
}

TEST_CASE("adversarial: stale copies of old segments arrive after their CID was reused", "[adversarial]") {
  auto g = adv_base(34);
  g.queue_depth = 1;  // every read reuses CID 0
  g.ios = 24;
  g.io_size = gen::parse_io_size("8K:32K");
  g.adv.stale_dup = 0.2;
  g.adv.stale_delay = 24;
  const Run r = replay(g, adv_cfg(), "stale_dup");
  REQUIRE(r.truth.totals.adv.stale_dup > 0);
  check_robust(r);
  check_exact(r);
  CHECK(ctr(r, "bypass_out_of_seq") >= 1);
  CHECK(ctr(r, "driver_late_placements") == 0);
}

TEST_CASE("adversarial: C2HTermReq in the middle of the stream", "[adversarial]") {
  terminated(adv_base(35), "C2HTermReq");
}

TEST_CASE("adversarial: header fault plen_small", "[adversarial]") {
  nvme_fault(gen::HeaderFault::PlenSmall, "plen_too_small", "PlenTooSmall", 41);
}
TEST_CASE("adversarial: header fault plen_zero", "[adversarial]") {
  nvme_fault(gen::HeaderFault::PlenZero, "plen_too_small", "PlenTooSmall", 42);
}
// The NIC refuses a PLEN above its largest PDU; the host, which has no such limit, sees DATAL
// disagree with PLEN.
TEST_CASE("adversarial: header fault plen_huge", "[adversarial]") {
  nvme_fault(gen::HeaderFault::PlenHuge, "plen_too_large", "DataLengthMismatch", 43);
}
TEST_CASE("adversarial: header fault hlen", "[adversarial]") {
  nvme_fault(gen::HeaderFault::Hlen, "bad_hlen", "BadHlen", 44);
}
TEST_CASE("adversarial: header fault pdo_inside", "[adversarial]") {
  nvme_fault(gen::HeaderFault::PdoInside, "pdo_inside_header", "PdoInsideHeader", 45);
}
TEST_CASE("adversarial: header fault pdo_misaligned", "[adversarial]") {
  nvme_fault(gen::HeaderFault::PdoMisaligned, "pdo_misaligned", "PdoMisaligned", 46);
}
TEST_CASE("adversarial: header fault unknown_type", "[adversarial]") {
  nvme_fault(gen::HeaderFault::UnknownType, "unknown_type", "UnknownType", 47);
}
TEST_CASE("adversarial: header fault digest_flags", "[adversarial]") {
  nvme_fault(gen::HeaderFault::DigestFlags, "digest_flag_mismatch", "DigestFlagMismatch", 48);
}
TEST_CASE("adversarial: header fault success_no_last", "[adversarial]") {
  nvme_fault(gen::HeaderFault::SuccessNoLast, "success_without_last", "SuccessWithoutLast", 49);
}

TEST_CASE("adversarial: segments with a bad TCP checksum carrying valid-looking headers", "[adversarial]") {
  auto g = adv_base(50);
  g.imp.bad_tcp_csum = 0.05;
  const Run r = replay(g, adv_cfg(), "bad_csum");
  REQUIRE(r.truth.totals.imp.bad_tcp_csum > 0);
  check_robust(r);
  check_exact(r);
  CHECK(ctr(r, "bypass_bad_checksum") == r.truth.totals.imp.bad_tcp_csum);
}

TEST_CASE("adversarial: truncated frames and frames shorter than their IP length", "[adversarial]") {
  auto g = adv_base(51);
  g.adv.truncate = 0.05;
  const Run r = replay(g, adv_cfg(), "truncate");
  REQUIRE(r.truth.totals.adv.truncated > 0);
  check_robust(r);
  check_exact(r);
  // Cut in a header or in the payload: named either way, together one per truncated frame.
  CHECK(ctr(r, "bypass_not_tcp_truncated") + ctr(r, "bypass_not_tcp_ip_length_mismatch") +
            ctr(r, "drop_mac_runt") ==
        r.truth.totals.adv.truncated);
}

TEST_CASE("adversarial: non-IP frames, too many VLAN tags and flows that were never added", "[adversarial]") {
  auto g = adv_base(52);
  g.adv.noise = 0.2;
  const Run r = replay(g, adv_cfg(), "noise");
  REQUIRE(r.truth.totals.adv.noise > 0);
  check_robust(r);
  check_exact(r);
  CHECK(ctr(r, "bypass_not_tcp_not_ip") >= 1);
  CHECK(ctr(r, "bypass_not_tcp_too_many_vlan_tags") >= 1);
  CHECK(ctr(r, "bypass_flow_miss") >= 1);
  CHECK(ctr(r, "bypass_not_tcp") + ctr(r, "bypass_flow_miss") >= r.truth.totals.adv.noise);
}

TEST_CASE("adversarial: IPv4 options and QinQ tags are offloaded like any frame", "[adversarial]") {
  auto g = adv_base(53);
  g.adv.ip_options = 0.5;
  g.vlan = 10;
  g.qinq = true;
  g.tcp_timestamps = true;
  const SimConfig cfg = adv_cfg();
  const Run r = replay(g, cfg, "ip_options");
  REQUIRE(r.truth.totals.adv.ip_options > 0);
  check_robust(r);
  check_exact(r);
  check_full_offload(r, cfg, true);
}

TEST_CASE("adversarial: flows the NIC has no room for stay in software", "[adversarial]") {
  auto g = adv_base(54);
  g.flows = 4;
  SimConfig cfg = adv_cfg();
  cfg.flow.entries = 2;
  cfg.flow.ways = 2;
  const Run r = replay(g, cfg, "table_full");
  check_robust(r);
  check_exact(r);
  CHECK(ctr(r, "rx_nvmeotcp_sk_add") == 2);
  CHECK(ctr(r, "rx_nvmeotcp_sk_add_fail") == 2);
  CHECK(ctr(r, "bypass_flow_miss") >= 1);
  CHECK(ctr(r, "driver_ddp_skipped_no_offload") >= 1);
}

// The integrity property (docs/robustness.md): every adversity the generator has, at random
// strengths, with loss, reordering and duplication aimed at the segments that carry a read's
// completion and the one after, the ConnectX-7 compatibility options on or off, and random
// back-pressure (few PCIe tags, a short DMA queue and completion ring, 2-entry channels; the
// link slowed so the MAC never drops, as a replay cannot retransmit). Whatever happens: no
// read ends ok with a byte the controller did not send it, no DMA write outside a live
// registration, every read the host issued ends, and the verdict holds. CI runs 20 seeds
// (sc.adversarial_mix.seedN); tests/property/adversarial-seeds runs as many as asked.
namespace {

void random_mix(gen::Ulp ulp) {
  const uint32_t seed = Catch::rngSeed();
  std::mt19937 rng(seed);
  auto uni = [&](double hi) { return std::uniform_real_distribution<double>(0, hi)(rng); };
  auto pick = [&](std::initializer_list<uint32_t> v) { return *(v.begin() + rng() % v.size()); };
  auto g = ulp == gen::Ulp::Iscsi ? iscsi_base(seed) : adv_base(seed);
  g.flows = 3;
  g.ios = 48;
  g.cid_genctr = rng() % 2;
  g.hdgst = rng() % 2;
  g.queue_depth = 1 + rng() % 6;
  g.max_pdu_data = pick({0, 4096, 8192});
  g.success_flag = uni(0.5);
  g.host_latency_us = pick({0, 1, 5});
  g.imp.loss = uni(0.02);
  g.imp.reorder = uni(0.02);
  g.imp.dup = uni(0.02);
  g.imp.bad_tcp_csum = uni(0.02);
  g.imp.reseg_retransmit = rng() % 2;
  g.adv.overrun = uni(0.1);
  g.adv.unknown_cid = uni(0.1);
  g.adv.early_resp = uni(0.1);
  g.adv.bad_header = uni(0.03);
  g.adv.term_req = uni(0.02);
  g.adv.stale_dup = uni(0.05);
  g.adv.stale_delay = 1 + rng() % 64;
  g.adv.truncate = uni(0.03);
  g.adv.noise = uni(0.1);
  g.adv.ip_options = uni(0.3);
  g.adv.stale_pdu = uni(0.3);
  g.adv.dup_pdu = uni(0.1);
  g.adv.resp_hole = uni(0.6);
  SimConfig cfg = adv_cfg();
  cfg.driver.allocator = rng() % 2 ? "pages" : "fragments";
  cfg.placement.max_sg_entries = 64;
  const bool cx7 = rng() % 2;
  cfg.parser.header_digest_check = !cx7;
  cfg.placement.single_run_per_packet = cx7;
  const bool backpressure = rng() % 2;
  if (backpressure) {
    g.link_gbps = 10;
    cfg.pcie.tags = pick({2, 4, 16});
    cfg.dma.write_ops = pick({2, 4, 16});
    // The smallest ring must still cover the interrupt's round trip: an entry that lands while
    // the driver polls waits for its re-arm and the next MSI-X message (a PCIe crossing each,
    // 1 us), so 8 entries overflowed the MAC FIFO behind small iSCSI frames (iscsi seed 8).
    cfg.placement.cq_entries = pick({16, 32, 256});
    cfg.fifo.parser_to_crc = pick({2, 8});
    cfg.fifo.crc_to_placement = pick({2, 16});
  }
  // iSCSI's own knobs in place of NVMe/TCP's (drawn last: NVMe/TCP's seeds keep their traces).
  if (ulp == gen::Ulp::Iscsi) {
    g.cid_genctr = false;
    g.success_flag = 0;
    g.iscsi_max_recv = pick({4096, 8192, 16384});
    g.iscsi_status_pdu = uni(0.5);
    g.iscsi_interleave = rng() % 2;
  }
  INFO("seed " << seed << (cx7 ? ", ConnectX-7 options" : "") << (backpressure ? ", back-pressure" : ""));
  const Run r = replay(g, cfg, std::string("adv_mix_") + gen::to_string(ulp) + std::to_string(seed));
  check_robust(r);
  CHECK(ctr(r, "drop_mac_fifo_full") == 0);
}

}  // namespace

TEST_CASE("adversarial: random mix", "[adversarial][random]") { random_mix(gen::Ulp::NvmeTcp); }

// The same integrity property for iSCSI: every knob in its iSCSI form, digests, Data-In sizes,
// status PDUs and interleaving at random (sc.adversarial_mix_iscsi.seedN).
TEST_CASE("adversarial: random mix iscsi", "[adversarial][random]") { random_mix(gen::Ulp::Iscsi); }

TEST_CASE("adversarial iscsi: Data-In past the read or for an ITT never issued or stale or repeated", "[adversarial]") {
  auto g = iscsi_base(61);
  g.adv.overrun = 0.3;
  g.adv.unknown_cid = 0.3;
  g.adv.stale_pdu = 0.3;
  g.adv.dup_pdu = 0.2;
  const Run r = replay(g, adv_cfg(), "iscsi_data_misuse");
  const auto& a = r.truth.totals.adv;
  REQUIRE(a.overrun > 0);
  REQUIRE(a.unknown_cid > 0);
  REQUIRE(a.stale_pdu > 0);
  REQUIRE(a.dup_pdu > 0);
  check_robust(r);
  check_untouched_exact(r);
  CHECK(r.result.failed_connections.empty());
  const auto got = by_read(r);
  for (const auto& t : r.truth.commands) {
    INFO(t.flow << " read #" << t.order << " " << t.adversity);
    const std::string& st = got.at({t.flow, t.order})->status;
    if (t.adversity.find("overrun") != std::string::npos) CHECK(st == "bad_pdu");
    // A repeat of the last Data-In comes after the status: the read stands (check_robust holds
    // it to the truth's bytes); a repeat of any other fails it.
    if (t.adversity == "dup_pdu") CHECK((st == "ok" || st == "overlapping_data"));
  }
  CHECK(ctr(r, "sw_overrun_pdus") == a.overrun);
  // Each unknown ITT: a Data-In and a SCSI Response; each stale Data-In; and the login's TEST
  // UNIT READY answer, one per connection.
  CHECK(ctr(r, "sw_unknown_cid_pdus") >= 2 * a.unknown_cid + g.flows);
  CHECK(ctr(r, "placement_unregistered") >= 1);
  CHECK(ctr(r, "placement_out_of_range") >= 1);  // the NIC refused the overrun, it did not clip
}

TEST_CASE("adversarial iscsi: the SCSI Response overtakes the last Data-In", "[adversarial]") {
  auto g = iscsi_base(62);
  g.adv.early_resp = 0.3;
  g.host_latency_us = 0;
  const Run r = replay(g, adv_cfg(), "iscsi_early_resp");
  REQUIRE(r.truth.totals.adv.early_resp > 0);
  check_robust(r);
  check_untouched_exact(r);
  const auto got = by_read(r);
  for (const auto& t : r.truth.commands)
    if (t.adversity == "early_resp") CHECK(got.at({t.flow, t.order})->status != "ok");
  CHECK(ctr(r, "rx_nvmeotcp_ddp_teardown") == ctr(r, "rx_nvmeotcp_ddp_setup"));
}

// iSCSI has no C2HTermReq: the target announces that it drops the connection.
TEST_CASE("adversarial iscsi: an Async Message drops the connection", "[adversarial]") {
  terminated(iscsi_base(63), "Async Message: the target drops the connection");
}

TEST_CASE("adversarial iscsi: header fault dsl_huge", "[adversarial]") {
  iscsi_fault(gen::IscsiHeaderFault::DslHuge, "data_segment_too_long", "DataSegmentTooLong", 64);
}
TEST_CASE("adversarial iscsi: header fault unknown_opcode", "[adversarial]") {
  iscsi_fault(gen::IscsiHeaderFault::UnknownOpcode, "unknown_opcode", "UnknownOpcode", 65);
}
TEST_CASE("adversarial iscsi: header fault reserved_bit", "[adversarial]") {
  iscsi_pdu_fault(gen::IscsiHeaderFault::ReservedBit, "reserved_not_zero", 66);
}
TEST_CASE("adversarial iscsi: header fault status_no_final", "[adversarial]") {
  iscsi_pdu_fault(gen::IscsiHeaderFault::StatusNoFinal, "status_without_final", 67);
}
TEST_CASE("adversarial iscsi: header fault offset_wrap", "[adversarial]") {
  iscsi_pdu_fault(gen::IscsiHeaderFault::OffsetWrap, "buffer_offset_overflow", 68);
}
