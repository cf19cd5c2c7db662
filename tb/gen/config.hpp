// Knobs of the NVMe/TCP read-traffic generator, and parsing of the size notations the command
// line accepts ("128K", "4K:64K", "4K,64K,512K").
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "util/param_text.hpp"

namespace nic::gen {

class Rng;

// Distribution of read sizes in bytes.
struct IoSizeDist {
  enum class Kind { Fixed, Uniform, List };
  Kind kind = Kind::Fixed;
  std::vector<uint32_t> sizes{128 * 1024};  // Fixed: {n}; Uniform: {lo, hi}; List: choices

  uint32_t draw(Rng& rng) const;
  uint32_t max() const;
  std::string str() const;  // in the notation parse_io_size accepts
};

// Controller->host impairments. Probabilities apply per data-carrying TCP segment, except
// corrupt_ddgst and plant_lookalike, which apply per read command.
struct Impairments {
  double loss = 0;            // segment missing, retransmitted later
  double reorder = 0;         // segment delayed behind 1..reorder_window later ones
  double dup = 0;             // segment sent twice in a row
  double corrupt_ddgst = 0;   // one data PDU of the command carries a wrong DDGST
  double bad_tcp_csum = 0;    // segment with a wrong TCP checksum, retransmitted later
  double plant_lookalike = 0; // C2HData-header lookalike written into the read data
  bool reseg_retransmit = false;  // retransmissions split at a different boundary
  uint32_t retransmit_delay = 4;  // later segments of the flow before a retransmission
  uint32_t reorder_window = 3;
  bool any() const {
    return loss > 0 || reorder > 0 || dup > 0 || bad_tcp_csum > 0;
  }
};

// The storage protocol each connection carries.
enum class Ulp : uint8_t { NvmeTcp, Iscsi };
const char* to_string(Ulp u);
Ulp parse_ulp(const std::string& text);  // "nvme-tcp" or "iscsi"; throws std::invalid_argument

// Header faults `Adversary::bad_header` can plant in a C2HData; each breaks one rule of the
// PDU header, and each is fatal for the connection.
enum class HeaderFault : uint8_t {
  PlenSmall,      // PLEN below the header length
  PlenZero,
  PlenHuge,       // PLEN near 4 GiB
  Hlen,           // HLEN not the one for C2HData
  PdoInside,      // PDO inside the header
  PdoMisaligned,  // PDO off the negotiated alignment
  UnknownType,
  DigestFlags,    // HDGSTF/DDGSTF contradicting the negotiated digests
  SuccessNoLast,  // SUCCESS without LAST_PDU
  Count
};
const char* to_string(HeaderFault f);
// The same for an iSCSI Data-In. The first two break framing (fatal for the connection); the
// others concern that PDU alone, whose read fails.
enum class IscsiHeaderFault : uint8_t {
  DslHuge,        // DataSegmentLength above the initiator's MaxRecvDataSegmentLength
  UnknownOpcode,  // an opcode no target sends
  ReservedBit,    // a reserved flag bit set
  StatusNoFinal,  // S without F
  OffsetWrap,     // Buffer Offset + DataSegmentLength beyond 2^32 - 1
  Count
};
const char* to_string(IscsiHeaderFault f);
// Fault bit sets are the protocol's: bit k is HeaderFault(k) or IscsiHeaderFault(k).
constexpr uint32_t kAllHeaderFaults = ~0u;  // whichever faults the protocol has
uint32_t header_fault_mask(Ulp ulp);        // the bits that name a fault of `ulp`
const char* header_fault_name(Ulp ulp, uint32_t k);
// "plen_small,unknown_type" or "all" -> bit set; throws std::invalid_argument on unknown names.
uint32_t parse_header_faults(const std::string& text, Ulp ulp);
std::string header_faults_str(uint32_t set, Ulp ulp);

// A misbehaving controller and hostile frames, for robustness tests. Probabilities are per read
// unless noted. bad_header (but iSCSI's per-PDU faults) and term_req are fatal for the
// connection: from there on the host cannot frame its stream and must fail every command on it.
// Each knob has an iSCSI form: the same misbehaviour with Data-In, SCSI Response and ITT in
// place of C2HData, CapsuleResp and CID; term_req is an Async Message saying the target drops
// the connection.
struct Adversary {
  double overrun = 0;      // an extra C2HData whose DATAO + DATAL run past the read's length
  double unknown_cid = 0;  // C2HData and CapsuleResp for a CID (ITT) the host never issued
  double early_resp = 0;   // the CapsuleResp goes ahead of the read's last data PDU
  double bad_header = 0;   // one data PDU's header breaks a rule (a kind from `faults`)
  double term_req = 0;     // a C2HTermReq goes in place of one data PDU
  double stale_dup = 0;    // per data segment: sent again stale_delay segments later
  double truncate = 0;     // per data segment: a cut-short copy first, retransmitted later
  double noise = 0;        // per data segment: a foreign frame first (ARP, LLDP, other flows)
  double ip_options = 0;   // per data segment: IPv4 options in the header
  // Per read: after its completion, one more C2HData for its CID (DATAO inside the read,
  // other bytes) at a new stream position: data for a command that already completed.
  double stale_pdu = 0;
  // Per read: one of its data PDUs sent a second time, with other bytes, before its completion.
  double dup_pdu = 0;
  // Per completion (CapsuleResp, or the last C2HData with SUCCESS): the segment that carries
  // its end is lost, reordered or duplicated, and so, with probability 1/2 each, the segment
  // after it; aims ordinary impairments at where offload and driver hand a read over.
  double resp_hole = 0;
  uint32_t stale_delay = 64;
  uint32_t faults = kAllHeaderFaults;
  // Probability knobs with their option names, for the command line and the truth file.
  struct Knob {
    const char* name;  // "overrun" -> --adv-overrun
    double Adversary::*p;
    const char* help;
  };
  static const std::vector<Knob>& knobs();
  bool any() const {
    for (const Knob& k : knobs())
      if (this->*k.p > 0) return true;
    return false;
  }
};

struct GenConfig {
  Ulp ulp = Ulp::NvmeTcp;
  uint16_t port = 0;      // target port; 0 = the protocol's own (4420, 3260)
  uint64_t seed = 1;
  uint32_t flows = 1;
  bool ipv6 = false;
  int vlan = -1;          // C-tag VLAN ID, -1 = untagged
  bool qinq = false;      // wrap the C-tag in an 802.1ad S-tag
  uint16_t svlan = 1000;  // S-tag VLAN ID when qinq
  bool hdgst = false;
  bool ddgst = false;
  uint8_t hpda = 0;
  uint32_t queue_depth = 32;
  // CID = tag | (generation & 0xF) << 12, the generation counting each reuse of the tag, as
  // Linux hosts since 5.14 do; off: CID = tag, 0..queue_depth-1.
  bool cid_genctr = false;
  IoSizeDist io_size;
  uint64_t ios = 64;          // read commands in all, over all flows
  uint64_t total_bytes = 0;   // when non-zero, replaces `ios`: reads until this many bytes
  uint32_t max_pdu_data = 0;  // C2HData split at this many data bytes; 0 = one PDU per read
  double success_flag = 0;    // probability a read ends with SUCCESS instead of CapsuleResp
  uint32_t mss = 0;           // 0 = 1460 for IPv4, 1440 for IPv6
  bool tcp_timestamps = false;
  double link_gbps = 100;
  // Timing of the two ends. The controller's latency is a device read (flash: tens of us);
  // the queue start is the Fabrics Connect exchange after ICResp, during which Linux also
  // offloads the socket, so the first read never races the NIC's sk_add.
  double ctrl_latency_us = 10;   // read command arrival to its first data byte
  double host_latency_us = 1;    // completion to the next submission
  double queue_start_us = 20;    // ICResp arrival to the first read
  Impairments imp;
  Adversary adv;
  // iSCSI only. The initiator's MaxRecvDataSegmentLength bounds every Data-In.
  uint32_t iscsi_max_recv = 8192;
  double iscsi_status_pdu = 0;    // probability a read ends with a SCSI Response, not S on Data-In
  bool iscsi_interleave = false;  // Data-In of tasks in flight interleave PDU by PDU

  uint16_t target_port() const { return port ? port : (ulp == Ulp::Iscsi ? 3260 : 4420); }

  std::vector<uint16_t> vlan_tags() const;  // VLAN IDs, outermost first
  uint32_t effective_mss() const { return mss ? mss : (ipv6 ? 1440 : 1460); }
  // Payload bytes per full segment: MSS minus the timestamps option when in use.
  uint32_t segment_payload() const { return effective_mss() - (tcp_timestamps ? 12 : 0); }
  // Empty when consistent, else a message naming the offending knob.
  std::string validate() const;

 private:
  std::string validate_iscsi() const;
};

// "4096", "4K", "1.5M", "2G" (binary multiples), as every option that takes a size.
using param::parse_size;
// "128K" (fixed), "4K:64K" (uniform), "4K,64K,512K" (list). Throws std::invalid_argument.
IoSizeDist parse_io_size(const std::string& text);
// Compact form: 131072 -> "128K", 1000 -> "1000".
std::string size_str(uint64_t n);

}  // namespace nic::gen
