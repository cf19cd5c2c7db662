// What a closed-loop run measured outside the NIC: fio's figures per connection and in all,
// each end's TCP sender, the network's links and the switch port. Plain C++.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tb/closed_loop/controller.hpp"
#include "tb/closed_loop/host_app.hpp"
#include "tb/tcp/tcp_sender.hpp"

namespace nic::loop {

// One sender's counts added to another's (connections into a run); max_cwnd the largest.
inline void add_sender_stats(tcp::TcpSenderStats& into, const tcp::TcpSenderStats& s) {
  into.segments += s.segments;
  into.bytes_sent += s.bytes_sent;
  into.retransmitted_segments += s.retransmitted_segments;
  into.retransmitted_bytes += s.retransmitted_bytes;
  into.fast_retransmits += s.fast_retransmits;
  into.sack_recoveries += s.sack_recoveries;
  into.rtos += s.rtos;
  into.window_probes += s.window_probes;
  into.tlp_probes += s.tlp_probes;
  into.rack_losses += s.rack_losses;
  into.rtt_samples += s.rtt_samples;
  into.max_cwnd = into.max_cwnd > s.max_cwnd ? into.max_cwnd : s.max_cwnd;
}

struct LinkStats {
  uint64_t frames = 0, lost = 0, duplicated = 0, reordered = 0;
};

struct ConnResult {
  std::string flow;    // host "IP:port", as the driver's records name it
  std::string target;  // controller "IP:port"
  IoFigures io;
  uint64_t unfinished = 0;  // reads issued and never completed
  tcp::TcpSenderStats target_tcp, host_tcp;
  uint64_t target_pure_acks = 0, host_pure_acks = 0;
  ControllerStats controller;
  std::string failure;  // the controller could not read the host's stream
};

struct LoopResult {
  std::vector<ConnResult> conns;
  IoFigures total;
  LinkStats c2h, h2c;
  uint64_t switch_drops = 0, switch_max_queue_bytes = 0;
  uint64_t frames_to_nic = 0, wire_bytes_to_nic = 0, frames_from_nic = 0;
  uint64_t tapped_frames = 0;
  uint64_t end_ps = 0;  // the last read completed
  bool all_done = false;  // every connection completed every read it was to issue
};

}  // namespace nic::loop
