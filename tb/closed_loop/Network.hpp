// The world around the NIC in a closed-loop run (docs/closed-loop.md): per connection the
// host's TCP transmit side and its fio-like application, and the controller (an NVMe/TCP
// controller or an iSCSI target, as LoopConfig::ulp says) with its TCP; between them the network. Controller -> host: each controller's port serialises
// its frames at its rate, the link delays them half the round trip (and may lose, duplicate
// or reorder them), and the switch port in front of the NIC queues them at the NIC's line
// rate, dropping what overflows its buffer; the NIC's MAC takes them from there (a
// FrameSource). Host -> controller: the driver sends through the NIC's transmit path, whose
// MAC hands each frame to the link here.
//
// The host's side hears from the driver (segments received, sessions ready, reads completed)
// through hooks that run in the driver's thread; they are queued and acted on in this
// module's own process, so the driver is never re-entered. A capture tap at the NIC's port
// sees both directions, in time order, for --pcap-out and the verdict's reference decode.
#pragma once
#include <systemc>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tb/closed_loop/loop_config.hpp"
#include "tb/closed_loop/loop_result.hpp"
#include "tb/closed_loop/controller.hpp"
#include "tb/closed_loop/host_app.hpp"
#include "tb/closed_loop/tcp_peer.hpp"
#include "tb/gen/rng.hpp"
#include "tb/pcap/pcap_io.hpp"
#include "tb/replay/Platform.hpp"
#include "tb/tcp/stream_reassembler.hpp"

namespace nic::loop {

class Network : public sc_core::sc_module, public tb::FrameSource {
 public:
  // `pcap_out` (may be null) gets every frame at the NIC's port; with `verify`, so does the
  // platform's reference decode.
  Network(sc_core::sc_module_name name, const LoopConfig& cfg, tb::Platform& top, bool verify,
          pcap::Writer* pcap_out);
  ~Network() override;

  // The timeline's columns the network fills (ReplayOptions::timeline_extra): the
  // controllers' congestion windows summed, and per window their retransmitted segments, fast
  // recoveries and RTOs, and the frames the switch and the links lost.
  static tb::Timeline::Extra timeline_columns();

  hw::PacketCtx* next_rx(uint64_t& ts_ps) override;
  // A read the driver completed (the platform's on_command).
  void completed(const host::CommandRecord& c);
  // After the simulation: the tap's last frames, and the figures.
  void finish();
  LoopResult result() const;
  uint64_t frames_to_nic() const { return res_.frames_to_nic; }

 private:
  struct Conn;
  struct Event {
    uint64_t at_ps;
    uint64_t order;  // ties in scheduling order: deterministic
    enum Kind : uint8_t { Open, HostWake, TargetWake, PortWake, ToSwitch, ToTarget } kind;
    uint32_t conn;  // PortWake: the port
    Bytes frame;
  };
  struct HostNote {  // what a driver hook said, to act on in run()
    enum Kind : uint8_t { Segment, Ready, Completed } kind;
    uint32_t conn;
    net::ParsedFrame pf;
    uint32_t before = 0, after = 0;
    uint32_t tag = 0;
    bool ok = false, started = false;
    uint64_t at_ps = 0;
  };

  void run();  // the process: driver notes, then every event due
  void schedule(uint64_t at_ps, Event::Kind k, uint32_t conn, Bytes frame = {});
  void handle(Event& e, uint64_t now);
  void host_note(const HostNote& n, uint64_t now);
  void pump_host(Conn& c, uint64_t now);
  void pump_target(Conn& c, uint64_t now);
  // A controller's port sends its connections' frames one at a time, round robin.
  struct Port {
    uint64_t free_ps = 0;  // serialising until then
    std::vector<uint32_t> conns;
    size_t next = 0;  // the connection asked first
    std::optional<uint64_t> wake_at;
  };
  void pump_port(Port& p, uint64_t now);
  std::optional<Bytes> target_frame(Conn& c, uint64_t now);  // the next frame it has to send
  void wake(Conn& c, bool host, std::optional<uint64_t> at);
  void host_send(Conn& c, const Bytes& frame);
  void target_receive(Conn& c, Bytes& frame, uint64_t now);
  void to_switch(Bytes& frame, uint64_t now);
  void from_nic(ByteView frame, uint64_t start_ps, uint64_t end_ps);
  // The link after a sender's port: lost, duplicated, held back? Calls `deliver` per copy.
  template <class Deliver>
  void cross(const LinkImpairments& imp, gen::Rng& rng, LinkStats& st, Deliver&& deliver,
             const Bytes& frame);
  void tap(uint64_t at_ps, ByteView frame);
  void flush_tap(uint64_t up_to_ps);
  RxView host_rx_view(const Conn& c) const;
  uint32_t host_in_order(const Conn& c) const;  // the controller's stream bytes the host has
  RxView target_rx_view(const Conn& c) const;
  Conn* conn_of(const net::FiveTuple& h2c);
  // The timeline learns what the controller's sender did since it last looked.
  void note_sender(Conn& c, uint64_t now);
  enum Count : size_t { kRetransmits, kFastRecoveries, kRtos, kSwitchDrops, kLinkLost };
  void count(Count what, uint64_t t_ps);
  uint64_t cwnd_total_ = 0;
  bool all_done() const { return conns_done_ == conns_.size(); }

  const LoopConfig cfg_;
  tb::Platform& top_;
  const bool verify_;
  pcap::Writer* pcap_;
  const uint64_t one_way_ps_;
  const double line_gbps_, sender_gbps_;
  const uint32_t wire_overhead_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<Port> ports_;
  std::unordered_map<std::string, uint32_t> by_flow_;  // host "IP:port" -> connection
  size_t conns_done_ = 0;
  std::vector<Event> events_;  // a min-heap on (at_ps, order)
  uint64_t next_order_ = 0;
  std::deque<HostNote> notes_;
  sc_core::sc_event ev_;
  // The switch port in front of the NIC and the MAC's queue behind it.
  uint64_t egress_free_ps_ = 0;
  std::deque<hw::PacketCtx*> to_mac_;
  std::deque<uint64_t> to_mac_ts_;
  bool mac_starved_ = false;
  gen::Rng c2h_rng_, h2c_rng_;
  // The capture tap: frames wait here until no earlier one can come.
  struct Tapped {
    uint64_t at_ps, order;
    Bytes frame;
  };
  std::vector<Tapped> tapped_;  // a min-heap
  uint64_t tap_order_ = 0;
  uint64_t tap_margin_ps_;
  LoopResult res_;
};

}  // namespace nic::loop
