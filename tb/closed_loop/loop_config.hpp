// What a closed-loop run (`nicsim run`, docs/closed-loop.md) simulates around the NIC: the
// fio-like workload of the host, the NVMe/TCP or iSCSI targets that answer it, the TCP both
// ends speak, and the network between them. The NIC's and the driver's own parameters stay in
// SimConfig; these describe the world outside the NIC, as `gen`'s options do for a trace.
#pragma once
#include <cstdint>
#include <string>

#include "tb/gen/config.hpp"
#include "tb/tcp/tcp_sender.hpp"

namespace nic::loop {

// One direction of the network: what it does to a frame after the sender's port.
struct LinkImpairments {
  double loss = 0;     // the frame never arrives
  double dup = 0;      // it arrives twice
  double reorder = 0;  // it is held back reorder_us, so later frames overtake it
  double reorder_us = 2.0;
  bool any() const { return loss > 0 || dup > 0 || reorder > 0; }
};

struct LoopConfig {
  // The storage protocol every connection speaks: "nvme-tcp" or "iscsi".
  std::string ulp = "nvme-tcp";
  bool iscsi() const { return ulp == "iscsi"; }
  // The workload, per connection as fio's jobs: reads in flight, how many, their sizes.
  uint32_t connections = 1;
  // Controllers (storage hosts), each behind its own port; connection i goes to i % targets.
  // One target sends at most at its port's rate; several can overrun the switch port (incast).
  uint32_t targets = 1;
  uint32_t queue_depth = 32;
  uint64_t ios = 256;  // reads per connection
  gen::IoSizeDist io_size;
  // The controller's time from a command's arrival to its data being ready, in us: fixed, or
  // exponential with this mean (a device with a queue behind it).
  double service_us = 10;
  bool service_exponential = false;
  // Header and data digests (NVMe/TCP's HDGST/DDGST, iSCSI's HeaderDigest/DataDigest).
  bool hdgst = false, ddgst = false;
  // NVMe/TCP, as `gen`: the host's PDU data alignment, C2HData size (0: a read in one PDU),
  // the share of reads ended by the SUCCESS flag instead of a CapsuleResp.
  uint8_t hpda = 0;
  uint32_t max_pdu_data = 0;
  double success_flag = 0;
  // iSCSI: the initiator's MaxRecvDataSegmentLength (the largest Data-In; libiscsi's, whose
  // value is not settable), and the share of reads ended by a SCSI Response instead of status
  // on the last Data-In.
  uint32_t iscsi_max_recv = 262144;
  double iscsi_status_pdu = 0;
  // TCP, both ends (Linux defaults; tb/tcp/tcp_sender.hpp).
  tcp::TcpSenderParams tcp;
  uint64_t delack_us = 40000;  // Linux's minimum delayed-ACK timeout (TCP_DELACK_MIN, 40 ms)
  // What the host advertises (its receive buffer): the largest a 16-bit field scaled by 128
  // holds, 8 MiB less 128 bytes.
  uint32_t host_window_bytes = 65535u << 7;
  // The network: base round trip (propagation and switching, both ways), the controllers'
  // port rate (0: the NIC's line rate), the switch port in front of the NIC (shared by every
  // controller: where incast queues and, past its buffer, drops), and the impairments.
  double rtt_us = 10;
  double sender_gbps = 0;
  uint64_t switch_buffer_bytes = 4u << 20;
  LinkImpairments c2h, h2c;
  uint64_t seed = 1;
  // The targets' port: the protocol's IANA one, where the driver and the verdict look for it.
  uint16_t target_port() const { return iscsi() ? 3260 : 4420; }
  // The first connection opens at this time (the driver has brought the NIC up), the others
  // `stagger_us` apart.
  double start_us = 20, stagger_us = 1;

  // Throws std::invalid_argument naming the first bad field.
  void validate() const;
};

}  // namespace nic::loop
