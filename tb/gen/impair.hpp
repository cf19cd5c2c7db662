// Controller->host impairments between the controller's TCP sender and the wire. Each fresh
// data segment may be lost (retransmitted later), sent with a bad TCP checksum (dropped by the
// receiver, retransmitted later), held back behind later segments (reorder) or sent twice.
// Whatever happens, every byte eventually reaches the host intact.
#pragma once
#include <cstdint>
#include <vector>

#include "tb/gen/config.hpp"
#include "tb/gen/rng.hpp"
#include "tb/gen/tcp_stream.hpp"

namespace nic::gen {

struct Emission {
  Segment seg;
  bool bad_checksum = false;  // the receiver drops this frame
};

struct ImpairCounts {
  uint64_t lost = 0;           // segments missing from the trace
  uint64_t retransmitted = 0;  // retransmission frames (a re-segmented one counts each piece)
  uint64_t reordered = 0;
  uint64_t duplicated = 0;
  uint64_t bad_tcp_csum = 0;
};

class Impairer {
 public:
  Impairer(const Impairments& cfg, Rng rng, ImpairCounts& counts)
      : cfg_(cfg), rng_(rng), counts_(counts) {}

  // Frames for a fresh data segment: none when it is lost or held back.
  std::vector<Emission> fresh(Segment seg);
  // Whether a held segment should go next; `starved` means the sender has no fresh data, so
  // held segments go regardless of their delay.
  bool pending(bool starved) const;
  // Frames for the held segment that is due first.
  std::vector<Emission> release();

 private:
  struct Held {
    uint64_t due;  // fresh-segment count from which it may go
    Segment seg;
    bool retransmit;
  };
  void hold_retransmit(Segment seg);
  std::vector<Emission> resegment(Segment seg);

  Impairments cfg_;
  Rng rng_;
  ImpairCounts& counts_;
  uint64_t fresh_ = 0;
  std::vector<Held> held_;
};

}  // namespace nic::gen
