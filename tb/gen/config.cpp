#include "tb/gen/config.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "tb/gen/rng.hpp"

namespace nic::gen {

namespace {

constexpr uint64_t kMaxIoSize = 64ull << 20;  // beyond any real MDTS; keeps traces sane

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

uint32_t parse_io_bytes(const std::string& text) {
  const uint64_t n = parse_size(text);
  if (n == 0 || n > kMaxIoSize)
    throw std::invalid_argument("IO size '" + text + "' must be between 1 and 64M");
  return uint32_t(n);
}

bool is_prob(double p) { return p >= 0 && p <= 1; }

}  // namespace

std::string size_str(uint64_t n) {
  static const char* const kSuffix[] = {"", "K", "M", "G"};
  int i = 0;
  while (i < 3 && n && n % 1024 == 0) {
    n /= 1024;
    ++i;
  }
  return std::to_string(n) + kSuffix[i];
}

IoSizeDist parse_io_size(const std::string& text) {
  IoSizeDist d;
  d.sizes.clear();
  const auto colon = text.find(':');
  if (colon != std::string::npos) {
    d.kind = IoSizeDist::Kind::Uniform;
    d.sizes = {parse_io_bytes(text.substr(0, colon)), parse_io_bytes(text.substr(colon + 1))};
    if (d.sizes[0] > d.sizes[1]) throw std::invalid_argument("IO size range '" + text + "' is reversed");
    return d;
  }
  size_t start = 0;
  for (;;) {
    const auto comma = text.find(',', start);
    d.sizes.push_back(parse_io_bytes(text.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  d.kind = d.sizes.size() == 1 ? IoSizeDist::Kind::Fixed : IoSizeDist::Kind::List;
  return d;
}

uint32_t IoSizeDist::draw(Rng& rng) const {
  switch (kind) {
    case Kind::Fixed:
      return sizes[0];
    case Kind::Uniform: {
      // Block-sized reads when both bounds are whole 512-byte blocks, as a host would issue.
      const uint32_t unit = (sizes[0] % 512 == 0 && sizes[1] % 512 == 0) ? 512 : 1;
      return uint32_t(rng.range(sizes[0] / unit, sizes[1] / unit) * unit);
    }
    case Kind::List:
      return sizes[rng.below(sizes.size())];
  }
  return sizes[0];
}

uint32_t IoSizeDist::max() const {
  uint32_t m = 0;
  for (uint32_t s : sizes) m = std::max(m, s);
  return m;
}

std::string IoSizeDist::str() const {
  std::string s;
  const char* sep = kind == Kind::Uniform ? ":" : ",";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? sep : "") + size_str(sizes[i]);
  return s;
}

const char* to_string(HeaderFault f) {
  switch (f) {
    case HeaderFault::PlenSmall: return "plen_small";
    case HeaderFault::PlenZero: return "plen_zero";
    case HeaderFault::PlenHuge: return "plen_huge";
    case HeaderFault::Hlen: return "hlen";
    case HeaderFault::PdoInside: return "pdo_inside";
    case HeaderFault::PdoMisaligned: return "pdo_misaligned";
    case HeaderFault::UnknownType: return "unknown_type";
    case HeaderFault::DigestFlags: return "digest_flags";
    case HeaderFault::SuccessNoLast: return "success_no_last";
    case HeaderFault::Count: break;
  }
  return "?";
}

const char* to_string(IscsiHeaderFault f) {
  switch (f) {
    case IscsiHeaderFault::DslHuge: return "dsl_huge";
    case IscsiHeaderFault::UnknownOpcode: return "unknown_opcode";
    case IscsiHeaderFault::ReservedBit: return "reserved_bit";
    case IscsiHeaderFault::StatusNoFinal: return "status_no_final";
    case IscsiHeaderFault::OffsetWrap: return "offset_wrap";
    case IscsiHeaderFault::Count: break;
  }
  return "?";
}

namespace {
uint32_t fault_count(Ulp ulp) {
  return ulp == Ulp::Iscsi ? uint32_t(IscsiHeaderFault::Count) : uint32_t(HeaderFault::Count);
}
}  // namespace

uint32_t header_fault_mask(Ulp ulp) { return (1u << fault_count(ulp)) - 1; }

const char* header_fault_name(Ulp ulp, uint32_t k) {
  return ulp == Ulp::Iscsi ? to_string(IscsiHeaderFault(k)) : to_string(HeaderFault(k));
}

uint32_t parse_header_faults(const std::string& text, Ulp ulp) {
  if (trim(text) == "all") return kAllHeaderFaults;
  const uint32_t n = fault_count(ulp);
  uint32_t set = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string name = trim(text.substr(start, comma - start));
    uint32_t k = 0;
    while (k < n && name != header_fault_name(ulp, k)) ++k;
    if (k == n) {
      std::string known = "all";
      for (uint32_t i = 0; i < n; ++i) known += std::string(", ") + header_fault_name(ulp, i);
      throw std::invalid_argument("unknown " + std::string(to_string(ulp)) + " header fault '" + name +
                                  "' (try: " + known + ")");
    }
    set |= 1u << k;
    start = comma + 1;
  }
  return set;
}

std::string header_faults_str(uint32_t set, Ulp ulp) {
  if (set == kAllHeaderFaults) return "all";
  std::string s;
  for (uint32_t k = 0; k < fault_count(ulp); ++k)
    if (set & (1u << k)) s += (s.empty() ? "" : ",") + std::string(header_fault_name(ulp, k));
  return s;
}

const std::vector<Adversary::Knob>& Adversary::knobs() {
  static const std::vector<Knob> k = {
      {"overrun", &Adversary::overrun, "Per read: an extra data PDU running past the read's length"},
      {"unknown-cid", &Adversary::unknown_cid, "Per read: a data PDU and a response for a CID (iSCSI: ITT) never issued"},
      {"early-resp", &Adversary::early_resp, "Per read: the response ahead of the last data PDU"},
      {"bad-header", &Adversary::bad_header, "Per read: one data PDU header breaks a rule (see --adv-faults)"},
      {"term-req", &Adversary::term_req, "Per read: C2HTermReq (iSCSI: Async Message, connection dropped) in place of a data PDU (fatal)"},
      {"stale-dup", &Adversary::stale_dup, "Per data segment: resent --adv-stale-delay segments later"},
      {"truncate", &Adversary::truncate, "Per data segment: a cut-short copy, retransmitted later"},
      {"noise", &Adversary::noise, "Per data segment: a foreign frame first (ARP, LLDP, other flows)"},
      {"ip-options", &Adversary::ip_options, "Per data segment: IPv4 options in the header"},
      {"stale-pdu", &Adversary::stale_pdu, "Per read: after its completion, a data PDU for its tag again (other bytes)"},
      {"dup-pdu", &Adversary::dup_pdu, "Per read: one data PDU sent twice, the second copy with other bytes"},
      {"resp-hole", &Adversary::resp_hole, "Per completion: its segment (and maybe the next) lost, reordered or duplicated"},
  };
  return k;
}

std::vector<uint16_t> GenConfig::vlan_tags() const {
  std::vector<uint16_t> v;
  if (vlan < 0) return v;
  if (qinq) v.push_back(svlan);
  v.push_back(uint16_t(vlan));
  return v;
}

const char* to_string(Ulp u) { return u == Ulp::Iscsi ? "iscsi" : "nvme-tcp"; }

Ulp parse_ulp(const std::string& text) {
  if (text == "nvme-tcp") return Ulp::NvmeTcp;
  if (text == "iscsi") return Ulp::Iscsi;
  throw std::invalid_argument("'" + text + "' is not nvme-tcp or iscsi");
}

// What the iSCSI writer does not model: NVMe/TCP-only knobs are refused rather than ignored.
std::string GenConfig::validate_iscsi() const {
  if (hpda || cid_genctr || success_flag > 0)
    return "--hpda, --cid-genctr and --success-flag are NVMe/TCP only";
  // A data segment cannot be longer than the largest the field holds.
  if (adv.bad_header > 0 && iscsi_max_recv == 0xFFFFFF &&
      (adv.faults & 1u << uint32_t(IscsiHeaderFault::DslHuge)))
    return "--adv-faults dsl_huge needs --iscsi-max-recv below 16777215";
  for (uint32_t s : io_size.sizes)
    if (s % 512) return "--io-size: iSCSI reads are whole 512-byte blocks";
  if (iscsi_max_recv < 512 || iscsi_max_recv > 0xFFFFFF)
    return "--iscsi-max-recv must be 512..16777215 (MaxRecvDataSegmentLength)";
  return {};
}

std::string GenConfig::validate() const {
  if (flows < 1 || flows > 4096) return "--flows must be 1..4096";
  if (vlan > 4094) return "--vlan must be 0..4094";
  if (qinq && vlan < 0) return "--qinq needs --vlan (the inner C-tag)";
  if (svlan > 4094) return "--svlan must be 0..4094";
  if (hpda > 31) return "--hpda must be 0..31";
  // 4096 also keeps tags within the 12 bits --cid-genctr leaves them.
  if (queue_depth < 1 || queue_depth > 4096) return "--queue-depth must be 1..4096";
  if (io_size.sizes.empty() || io_size.max() == 0) return "--io-size is empty";
  if (total_bytes == 0 && ios == 0) return "--ios must be at least 1";
  if (max_pdu_data != 0 && max_pdu_data < 16) return "--max-pdu-data must be 0 (no split) or >= 16";
  const uint32_t m = effective_mss();
  if (m < 64 || m > 65000) return "--mss must be 64..65000";
  if (!(link_gbps > 0 && link_gbps <= 10000)) return "--link-gbps must be in (0, 10000]";
  for (double us : {ctrl_latency_us, host_latency_us, queue_start_us})
    if (!(us >= 0 && us <= 1e6)) return "--ctrl-latency, --host-latency and --queue-start must be in [0, 1e6] us";
  const std::pair<const char*, double> probs[] = {
      {"--success-flag", success_flag},   {"--loss", imp.loss},
      {"--reorder", imp.reorder},         {"--dup", imp.dup},
      {"--corrupt-ddgst", imp.corrupt_ddgst}, {"--bad-tcp-csum", imp.bad_tcp_csum},
      {"--plant-lookalike", imp.plant_lookalike}};
  for (const auto& [name, p] : probs)
    if (!is_prob(p)) return std::string(name) + " is a probability, within [0, 1]";
  for (const Adversary::Knob& k : Adversary::knobs())
    if (!is_prob(adv.*k.p)) return std::string("--adv-") + k.name + " is a probability, within [0, 1]";
  if (adv.unknown_cid > 0 && queue_depth >= 4096) return "--adv-unknown-cid needs a tag above the queue depth (< 4096)";
  if (adv.ip_options > 0 && ipv6) return "--adv-ip-options needs IPv4";
  if (adv.stale_delay < 1 || adv.stale_delay > 100000) return "--adv-stale-delay must be 1..100000";
  if (adv.bad_header > 0 && (adv.faults & header_fault_mask(ulp)) == 0) return "--adv-faults is empty";
  if (imp.corrupt_ddgst > 0 && !ddgst) return "--corrupt-ddgst needs --ddgst";
  if (imp.reorder_window < 1 || imp.reorder_window > 64) return "--reorder-window must be 1..64";
  if (imp.retransmit_delay > 1000) return "--retransmit-delay must be 0..1000";
  if (!is_prob(iscsi_status_pdu)) return "--iscsi-status-pdu is a probability, within [0, 1]";
  if (ulp == Ulp::Iscsi) return validate_iscsi();
  if (iscsi_status_pdu > 0 || iscsi_interleave) return "--iscsi-* options need --ulp iscsi";
  return {};
}

}  // namespace nic::gen
