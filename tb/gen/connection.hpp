// One NVMe/TCP I/O queue: a host that connects, sends ICReq and keeps up to queue-depth reads
// in flight, and a controller that answers them out of order with C2HData PDUs and
// CapsuleResps. Each side is a TcpEndpoint; controller->host segments pass an Impairer.
// The scheduler asks when each direction has a frame ready, takes it, frames it, and
// delivers it to the other side when the frame has fully arrived.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "proto/nvme_tcp.hpp"
#include "tb/gen/impair.hpp"
#include "tb/gen/rng.hpp"
#include "tb/gen/tcp_endpoint.hpp"
#include "tb/gen/truth.hpp"
#include "tb/gen/workload.hpp"

namespace nic::gen {

enum class Dir : uint8_t { H2C = 0, C2H = 1 };

struct ConnectionSetup {
  uint32_t index = 0;
  EndpointAddr host, controller;
  uint64_t start_ps = 0;  // when the host sends its SYN
};

class Connection {
 public:
  Connection(const GenConfig& cfg, const ConnectionSetup& setup, std::vector<ReadPlan> reads,
             Totals& totals);

  // Earliest start of the next frame in `d`, if any; for C2H this first tops up the
  // controller's queue with PDUs of the reads it is serving.
  std::optional<uint64_t> ready(Dir d);
  // Frames to send in `d` at `now_ps`: usually one, none when the segment is lost or held
  // back, two for a duplicate or a re-segmented retransmission.
  std::vector<Emission> take(Dir d, uint64_t now_ps);
  Bytes frame(Dir d, const Emission& e, uint64_t now_ps);
  // A frame sent from `start_ps` has fully arrived at the other side at `end_ps`.
  void deliver(Dir d, const Segment& seg, uint64_t start_ps, uint64_t end_ps);

  bool finished() const { return completed_ == reads_.size(); }
  const ConnectionTruth& truth() const { return truth_; }
  const std::vector<CommandTruth>& commands() const { return cmds_; }

 private:
  struct Marker {
    uint64_t end;   // stream offset one past the PDU
    int64_t order;  // read it concerns, or kIcPdu
  };
  struct Active {   // a read the controller is answering
    uint32_t order;
    ReadData data;
    uint32_t sent = 0;  // data bytes already in C2HData PDUs
    uint32_t pdus = 0;
    uint16_t sqhd = 0;
    uint64_t ready_ps = 0;
    // Adversary's plan for this read (GenConfig::adv).
    bool overrun = false, unknown_cid = false, early_resp = false, stale_pdu = false;
    int32_t bad_pdu = -1, term_pdu = -1, dup_pdu = -1;  // which data PDU, -1 for none
    HeaderFault fault = HeaderFault::PlenZero;
  };
  static constexpr int64_t kIcPdu = -1;

  TcpEndpoint& sender(Dir d) { return d == Dir::H2C ? host_ : ctrl_; }
  void issue_reads(uint64_t at_ps);
  void start_read(uint32_t order, uint64_t at_ps);
  void refill();
  void plan_adversity(Active& a, CommandTruth& t);
  void send_pdu(Active& a);
  void send_resp(const Active& a);
  void send_overrun(const Active& a);
  void send_unknown_cid(const Active& a);
  void send_data(const Active& a, uint32_t datao, uint8_t flags, ByteView data);
  bool completes_read(const Segment& s) const;  // carries the end of a read's completion
  Bytes foreign_frame();  // a frame of no connection of this trace (Adversary::noise)
  uint16_t next_cid();
  void complete_read(uint32_t order);
  void on_host_data(uint64_t at_ps);
  void on_controller_data(uint64_t at_ps);

  const GenConfig& cfg_;
  nvme::ConnParams cp_;
  Rng rng_;
  TcpEndpoint host_, ctrl_;
  Impairer imp_;
  Totals& totals_;
  ConnectionTruth truth_;
  std::vector<ReadPlan> reads_;
  std::vector<CommandTruth> cmds_;  // by order
  size_t next_read_ = 0;
  size_t completed_ = 0;
  uint32_t started_ = 0;
  std::vector<uint16_t> free_tags_;
  std::vector<uint8_t> tag_gen_;  // per tag, for cid_genctr
  std::deque<Marker> h2c_marks_, c2h_marks_;  // PDUs whose arrival the peer acts on
  std::vector<Active> active_;
};

}  // namespace nic::gen
