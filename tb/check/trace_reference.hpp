// An independent software decode of an NVMe/TCP trace: what every read command's buffer must
// hold at the end, worked out from the pcap alone (TCP reassembly of both directions, PDU
// decode, data placed by DATAO). `nicsim replay` compares the modelled NIC + driver against it,
// so it shares no code with the NIC or driver models beyond the wire-format library.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "proto/bytes.hpp"

namespace nic::check {

struct ReferenceCommand {
  std::string flow;       // host side "IP:port" ("[addr]:port" for IPv6)
  uint16_t cid = 0;
  uint32_t order = 0;     // index among the connection's read commands in wire order
  uint32_t length = 0;
  Bytes data;             // what the buffer must hold (bytes never received stay zero)
  uint64_t bytes_received = 0;
  uint64_t bytes_covered = 0;  // distinct buffer bytes some C2HData wrote
  std::vector<uint8_t> got;    // per buffer byte: 1 once some C2HData wrote it
  bool digest_error = false;  // a C2HData PDU of this command had a wrong data digest
  bool completed = false;     // CapsuleResp or SUCCESS seen
  uint16_t status = 0;        // NVMe status from the CapsuleResp (0 = success)
  std::string problem;        // framing or protocol trouble, empty when none
  std::string sha256() const;
};

struct TraceReference {
  std::vector<ReferenceCommand> commands;  // in (flow, order) order
  uint64_t packets = 0, c2h_packets = 0, h2c_packets = 0, other_packets = 0;
  uint64_t bad_checksum_packets = 0;
  uint32_t connections = 0;
  const ReferenceCommand* find(const std::string& flow, uint32_t order) const;

 private:
  std::map<std::pair<std::string, uint32_t>, size_t> index_;
  friend TraceReference decode_trace(const std::string& path, uint16_t nvme_port);
};

// Throws nic::pcap::PcapError for unreadable files.
TraceReference decode_trace(const std::string& pcap_path, uint16_t nvme_port = 4420);

}  // namespace nic::check
