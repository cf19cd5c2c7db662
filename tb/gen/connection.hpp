// One connection of the generator: a host that connects, opens the protocol and keeps up to
// queue-depth reads in flight, and a controller (target) that answers them out of order.
// Each side is a TcpEndpoint; controller->host segments pass an Impairer.
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

// What both protocols share: two TCP endpoints, the impairer on the controller's side, and
// the markers that tell each side when a peer PDU it acts on has arrived in order. The
// protocol (NvmeTcpConnection, IscsiConnection) writes the PDUs through the hooks below.
class Connection {
 public:
  virtual ~Connection() = default;

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

 protected:
  Connection(const GenConfig& cfg, const ConnectionSetup& setup, std::vector<ReadPlan> reads,
             Totals& totals);

  // The host saw the SYN-ACK: it opens the protocol (ICReq, Login Request).
  virtual void on_connected(uint64_t at_ps) = 0;
  // A marked host PDU arrived in order at the controller: the command of read `mark` (>= 0),
  // to answer from `at_ps` on, or a setup PDU (< 0).
  virtual void on_host_pdu(int64_t mark, uint64_t at_ps) = 0;
  // A marked controller PDU arrived in order at the host: the completion of read `mark`, or a
  // setup PDU; true when that opened the queue.
  virtual bool on_controller_pdu(int64_t mark, uint64_t at_ps) = 0;
  virtual void issue_reads(uint64_t at_ps) = 0;
  // Queues PDUs of reads being served until a segment's worth is unsent.
  virtual void refill() = 0;

  // The PDU just written by the host (controller) is acted on once it arrived in order.
  void mark_h2c(int64_t order) { h2c_marks_.push_back({host_.written(), order}); }
  void mark_c2h(int64_t order) { c2h_marks_.push_back({ctrl_.written(), order}); }
  // What the Adversary (GenConfig::adv) does to one read.
  struct Adversity {
    bool overrun = false, unknown_tag = false, early_resp = false, stale_pdu = false;
    int32_t bad_pdu = -1, term_pdu = -1, dup_pdu = -1;  // which data PDU, -1 for none
    uint32_t fault = 0;  // the protocol's header fault (HeaderFault, IscsiHeaderFault)
  };

  // Truth fields every protocol fills in the same way when a read is issued.
  CommandTruth& issue_truth(const ReadPlan& p);
  // Draws the read's adversity when the target starts it, and notes it in its truth (an
  // early response ends the read in a response PDU of its own, after at least two data PDUs).
  // Draws nothing when the Adversary is off, so ordinary traces stay as they were.
  Adversity plan_adversity(CommandTruth& t);
  // Fills in the read's data and digest corruption when the controller starts it.
  ReadData start_truth(uint32_t order);

  const GenConfig& cfg_;
  Rng rng_;
  TcpEndpoint host_, ctrl_;
  Impairer imp_;
  Totals& totals_;
  ConnectionTruth truth_;
  std::vector<ReadPlan> reads_;
  std::vector<CommandTruth> cmds_;  // by order
  size_t next_read_ = 0;

 private:
  struct Marker {
    uint64_t end;   // stream offset one past the PDU
    int64_t order;  // read it concerns, or a setup step (< 0)
  };

  TcpEndpoint& sender(Dir d) { return d == Dir::H2C ? host_ : ctrl_; }
  bool completes_read(const Segment& s) const;  // carries the end of a read's completion
  void on_host_data(uint64_t at_ps);
  void on_controller_data(uint64_t at_ps);

  size_t completed_ = 0;
  std::deque<Marker> h2c_marks_, c2h_marks_;  // PDUs whose arrival the peer acts on
};

// One NVMe/TCP I/O queue: ICReq/ICResp, CapsuleCmds, C2HData and CapsuleResps, and the
// Adversary's misbehaviour.
class NvmeTcpConnection final : public Connection {
 public:
  NvmeTcpConnection(const GenConfig& cfg, const ConnectionSetup& setup,
                    std::vector<ReadPlan> reads, Totals& totals);

 private:
  struct Active {   // a read the controller is answering
    uint32_t order;
    ReadData data;
    uint32_t sent = 0;  // data bytes already in C2HData PDUs
    uint32_t pdus = 0;
    uint16_t sqhd = 0;
    uint64_t ready_ps = 0;
    Adversity adv;
  };
  static constexpr int64_t kIcPdu = -1;

  void on_connected(uint64_t at_ps) override;
  void on_host_pdu(int64_t mark, uint64_t at_ps) override;
  bool on_controller_pdu(int64_t mark, uint64_t at_ps) override;
  void issue_reads(uint64_t at_ps) override;
  void refill() override;
  void start_read(uint32_t order, uint64_t at_ps);
  void send_pdu(Active& a);
  void send_resp(const Active& a);
  void send_overrun(const Active& a);
  void send_unknown_cid(const Active& a);
  void send_data(const Active& a, uint32_t datao, uint8_t flags, ByteView data);
  uint16_t next_cid();

  nvme::ConnParams cp_;
  uint32_t started_ = 0;
  std::vector<uint16_t> free_tags_;
  std::vector<uint8_t> tag_gen_;  // per tag, for cid_genctr
  std::vector<Active> active_;
};

}  // namespace nic::gen
