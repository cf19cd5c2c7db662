// PCIe link parameters, config section "pcie". Plain struct without SystemC so configuration
// code can include it.
//
// The link's bandwidth comes from its generation (raw rate and line encoding) and lane count.
// Every TLP pays its header and framing; the receiver answers TLPs with Ack and UpdateFC DLLPs
// on the other direction. Posted writes need posted credits (PH, PD), read requests
// non-posted credits (NPH, NPD) and a tag; completions need completion credits (CPLH, CPLD).
// A credit comes back credit_update_ns after its TLP reached the receiver.
#pragma once
#include <cstdint>

#include "util/params.hpp"

namespace nic {

struct PcieParams {
  uint32_t gen = 3;    // 1, 2: 2.5, 5 GT/s 8b/10b; 3, 4, 5: 8, 16, 32 GT/s 128b/130b
  uint32_t lanes = 16;
  // Overrides the rate from gen and lanes when > 0 (Gb/s per direction after encoding).
  double gbps_per_direction = 0;
  double latency_ns = 500;          // one-way flight time, added after serialisation
  uint32_t max_payload = 256;       // MPS: largest write / completion TLP payload
  uint32_t max_read_request = 512;  // MRRS: DMA reads are requested in pieces of this size
  uint32_t read_completion_boundary = 64;  // RCB: a split completion ends on a multiple of it
  // The completer's completion size: every completion but the last ends on a multiple of RCB
  // and carries at most this (0: up to MPS).
  uint32_t completion_bytes = 0;
  // A 4-DW header (64-bit addresses); framing is STP token, sequence number and LCRC.
  uint32_t tlp_header_bytes = 16;
  uint32_t tlp_framing_bytes = 8;
  bool ecrc = false;              // end-to-end CRC: 4 more bytes per TLP
  uint32_t dllp_bytes = 8;        // one Ack or UpdateFC DLLP with its framing
  uint32_t tlps_per_ack = 4;      // TLPs one Ack DLLP acknowledges
  uint32_t tlps_per_update = 4;   // TLPs whose credits one UpdateFC DLLP returns
  uint32_t tags = 64;             // non-posted requests (DMA reads) in flight
  bool ten_bit_tags = false;      // 10-bit tags: up to 768 reads in flight, else 256
  // Credits the receivers advertise; 0 is infinite. Header credits count TLPs, data credits
  // 16-byte units. P and NP: the root port, for the device's writes and reads. CPL: the
  // device, for the completions of its reads (endpoints advertise infinite).
  uint32_t ph_credits = 0, pd_credits = 0;
  uint32_t nph_credits = 0, npd_credits = 0;
  uint32_t cplh_credits = 0, cpld_credits = 0;
  double credit_update_ns = 100;  // a TLP's arrival to its credits back at the transmitter
  // The PCIe core's user interface, where the NIC hands TLPs over and takes them in: a bus of
  // user_bus_bytes a cycle of the PCIe user clock, a TLP (header and payload) in whole beats,
  // or in half beats when two TLPs may share one (straddling). 0 MHz: no limit.
  double user_clock_mhz = 250;
  uint32_t user_bus_bytes = 64;
  bool user_straddle = true;

  // What each direction carries, in Gb/s, after line encoding.
  double gbps() const {
    if (gbps_per_direction > 0) return gbps_per_direction;
    constexpr double kGtps[] = {2.5, 5, 8, 16, 32};
    const double encoding = gen <= 2 ? 8.0 / 10 : 128.0 / 130;
    return kGtps[gen >= 1 && gen <= 5 ? gen - 1 : 2] * lanes * encoding;
  }
  uint32_t tlp_overhead() const { return tlp_header_bytes + tlp_framing_bytes + (ecrc ? 4 : 0); }
  uint32_t completion_size() const { return completion_bytes ? completion_bytes : max_payload; }
  uint32_t max_tags() const { return ten_bit_tags ? 768 : 256; }

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("gen", p.gen, "", "PCIe generation: raw rate and line encoding (1..5)", in(1, 5));
    d("lanes", p.lanes, "lanes", "link width (a power of two)", in(1, 32));
    d("gbps_per_direction", p.gbps_per_direction, "Gb/s",
      "data rate per direction after encoding; 0: from gen and lanes", in(0, 10000));
    d("latency_ns", p.latency_ns, "ns", "one-way PCIe latency", in(0, kMaxLatencyNs));
    d("max_payload", p.max_payload, "B", "MPS: largest payload of a write or completion TLP (a power of two)", in(128, 4 * K));
    d("max_read_request", p.max_read_request, "B", "MRRS: DMA reads are requested in pieces of this size (a power of two)",
      in(128, 4 * K));
    d("read_completion_boundary", p.read_completion_boundary, "B",
      "RCB: a split read completion ends on a multiple of it (64 or 128)", in(64, 128));
    d("completion_bytes", p.completion_bytes, "B",
      "largest completion the root complex returns (a multiple of RCB); 0: MPS", in(0, 4 * K));
    d("tlp_header_bytes", p.tlp_header_bytes, "B", "TLP header (4 DW with 64-bit addresses)",
      in(12, 16));
    d("tlp_framing_bytes", p.tlp_framing_bytes, "B",
      "per-TLP framing: STP token or start/end symbols, sequence number, LCRC", in(0, 64));
    d("ecrc", p.ecrc, "bool", "end-to-end CRC digest on every TLP (4 bytes)", any);
    d("dllp_bytes", p.dllp_bytes, "B", "an Ack or UpdateFC DLLP on the wire", in(0, 64));
    d("tlps_per_ack", p.tlps_per_ack, "TLPs", "TLPs acknowledged by one Ack DLLP", in(1, 1 * K));
    d("tlps_per_update", p.tlps_per_update, "TLPs",
      "TLPs whose credits one UpdateFC DLLP returns", in(1, 1 * K));
    d("tags", p.tags, "reads", "DMA reads in flight (non-posted tags); writes take none",
      in(1, 768));
    d("ten_bit_tags", p.ten_bit_tags, "bool", "10-bit tags: up to 768 tags, else 256", any);
    d("ph_credits", p.ph_credits, "TLPs", "posted header credits of the root port; 0: infinite",
      in(0, 64 * K));
    d("pd_credits", p.pd_credits, "16 B", "posted data credits of the root port; 0: infinite",
      in(0, 1 * M));
    d("nph_credits", p.nph_credits, "TLPs",
      "non-posted header credits of the root port; 0: infinite", in(0, 64 * K));
    d("npd_credits", p.npd_credits, "16 B",
      "non-posted data credits of the root port; 0: infinite", in(0, 1 * M));
    d("cplh_credits", p.cplh_credits, "TLPs",
      "completion header credits of the device; 0: infinite (what endpoints advertise)",
      in(0, 64 * K));
    d("cpld_credits", p.cpld_credits, "16 B", "completion data credits of the device; 0: infinite",
      in(0, 1 * M));
    d("credit_update_ns", p.credit_update_ns, "ns",
      "from a TLP's arrival to its credits back at the transmitter", in(0, kMaxLatencyNs));
    d("user_clock_mhz", p.user_clock_mhz, "MHz",
      "PCIe user clock of the core's TLP interface, each direction; 0: no limit", in(0, kMaxMhz));
    d("user_bus_bytes", p.user_bus_bytes, "B", "width of the PCIe core's TLP interface",
      in(16, 1 * K));
    d("user_straddle", p.user_straddle, "bool",
      "a TLP may start half-way through a beat of the TLP interface", any);
  }
};

}  // namespace nic
