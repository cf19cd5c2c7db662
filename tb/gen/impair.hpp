// Controller->host impairments between the controller's TCP sender and the wire. Each fresh
// data segment may be lost (retransmitted later), sent with a bad TCP checksum (dropped by the
// receiver, retransmitted later), held back behind later segments (reorder) or sent twice.
// Whatever happens, every byte eventually reaches the host intact.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "tb/gen/config.hpp"
#include "tb/gen/rng.hpp"
#include "tb/gen/tcp_stream.hpp"

namespace nic::gen {

struct Emission {
  Emission() = default;
  explicit Emission(Segment s, bool bad = false) : seg(std::move(s)), bad_checksum(bad) {}
  Segment seg;
  bool bad_checksum = false;  // the receiver drops this frame
  bool ip_options = false;    // IPv4 options in the header
  uint32_t cut = 0;           // non-zero: only this many leading bytes reach the wire
  Bytes raw;                  // non-empty: a foreign frame, sent as is (seg unused)
  bool reaches_host() const { return !bad_checksum && cut == 0 && raw.empty(); }
};

struct ImpairCounts {
  uint64_t lost = 0;           // segments missing from the trace
  uint64_t retransmitted = 0;  // retransmission frames (a re-segmented one counts each piece)
  uint64_t reordered = 0;
  uint64_t duplicated = 0;
  uint64_t bad_tcp_csum = 0;
};

// What the Adversary did, in all.
struct AdvCounts {
  uint64_t overrun = 0, unknown_cid = 0, early_resp = 0, bad_header = 0, term_req = 0;
  uint64_t stale_dup = 0, truncated = 0, noise = 0, ip_options = 0;
  uint64_t stale_pdu = 0, dup_pdu = 0, resp_hole = 0;
};

class Impairer {
 public:
  Impairer(const Impairments& cfg, const Adversary& adv, Rng rng, ImpairCounts& counts,
           AdvCounts& adv_counts)
      : cfg_(cfg), adv_(adv), rng_(rng), counts_(counts), adv_counts_(adv_counts) {}

  // Frames for a fresh data segment: none when it is lost or held back. `completes` says the
  // segment carries the end of a read's completion (Adversary::resp_hole aims at it).
  std::vector<Emission> fresh(Segment seg, bool completes = false);
  // Whether a held segment should go next; `starved` means the sender has no fresh data, so
  // held segments go regardless of their delay.
  bool pending(bool starved) const;
  // Frames for the held segment that may go first (same `starved` as pending()).
  std::vector<Emission> release(bool starved);

 private:
  enum class Kind : uint8_t { Reorder, Retransmit, Stale };
  struct Held {
    uint64_t due;  // fresh-segment count from which it may go
    Segment seg;
    Kind kind;
  };
  // Stale copies never go early: they exist to arrive long after the original.
  bool eligible(const Held& h, bool starved) const {
    return h.due <= fresh_ || (starved && h.kind != Kind::Stale);
  }
  std::vector<Emission> impair(Segment seg);  // loss, bad checksum, reorder, dup, truncation
  std::vector<Emission> hit(Segment seg);     // lost, reordered or duplicated, for certain
  std::vector<Emission> lose(Segment seg);    // retransmitted later
  std::vector<Emission> delay(Segment seg);   // behind 1..reorder_window later segments
  std::vector<Emission> twice(Segment seg);
  void hold_retransmit(Segment seg);
  std::vector<Emission> resegment(Segment seg);

  Impairments cfg_;
  Adversary adv_;
  Rng rng_;
  ImpairCounts& counts_;
  AdvCounts& adv_counts_;
  uint64_t fresh_ = 0;
  bool hit_next_ = false;  // resp_hole also strikes the next fresh segment
  std::vector<Held> held_;
};

}  // namespace nic::gen
