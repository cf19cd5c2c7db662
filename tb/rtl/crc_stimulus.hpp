// Random beats for the CRC32C beat pipeline (hw/crc/rtl/crc32c_pipe.sv and its C++ model), and
// a scoreboard that checks what comes out against proto/crc32c on its own.
//
// Several flows (tags) send PDUs of 1..max_pdu_beats beats, with no wait between beats: each
// cycle either idles or sends a beat of a random flow, so one flow's beats follow each other
// back to back or interleave with other flows' in any pattern; now and then one flow sends a
// burst of up to 72 beats with no idle cycle between them. A beat's valid bytes are random: all
// of them, a prefix of random width, a window, a sparse mask, or none. The first beat of a PDU
// has a random fold_state (the pipe must start from 0xFFFFFFFF); the last carries the right
// digest, or one with a bit flipped. fold_state comes from a per-flow store written with every
// valid output at the end of its cycle, as a flow context would be: stale whenever the flow's
// previous beat is just coming out, which the pipe must then forward. Idle cycles (alone, or in
// bursts up to 23 cycles) drive garbage on every other input. Header-only: the equivalence
// testbench and the benchmark share it.
#pragma once
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "hw/crc/crc32c_pipe_model.hpp"
#include "proto/crc32c.hpp"
#include "tb/gen/rng.hpp"

namespace nic::tb {

struct CrcStimulusParams {
  unsigned bytes = 64;    // beat width of the pipe (<= 64)
  unsigned latency = 2;   // cycles from a beat to its result
  unsigned flows = 4;     // flows, tagged 0..flows-1 (<= 256: 8-bit tag)
  unsigned max_pdu_beats = 8;
  double idle = 0.15;     // chance a cycle starts idling; a tenth of those start a burst (< 24)
  uint64_t seed = 1;
};

class CrcStimulus {
 public:
  explicit CrcStimulus(const CrcStimulusParams& p)
      : p_(p), rng_(p.seed), flows_(p.flows), store_(p.flows), stage_(p.latency) {}

  // The inputs for the next cycle; `data` stays valid until the following call. Call retire()
  // with the outputs of the cycle before, first.
  const hw::CrcPipeIn& next() {
    ++cycles_;
    fill_random();
    Stage& st = stage_[cycles_ % stage_.size()];  // this cycle's beat, in the last stage L-1 later
    st = {};
    const int f = pick();
    if (f >= 0) issue(unsigned(f), st);
    prev_flow_ = f;
    // The beat in the last stage now: fold_state from the store, unless it starts a PDU.
    const Stage& fold = stage_[(cycles_ + 1) % stage_.size()];
    if (fold.valid && !fold.first) in_.fold_state = store_[fold.tag];
    // The store takes the output of this cycle at its end, after the pipe has read it.
    if (write_.valid) store_[write_.tag] = write_.state;
    write_ = {};
    return in_;
  }

  // The pipe's outputs after the edge that took next()'s inputs (call it once per next()).
  // Returns what is wrong with them, or an empty string.
  std::string retire(const hw::CrcPipeOut& out) {
    const bool due = !inflight_.empty() && cycles_ - inflight_.front().issued >= p_.latency - 1;
    if (!out.valid) {
      if (out.match) return "out_match without out_valid";
      return due ? "flow " + std::to_string(inflight_.front().tag) + "'s result did not come after " +
                       std::to_string(p_.latency) + " cycles"
                 : "";
    }
    if (!due) return "a result for flow " + std::to_string(out.tag) + " with no beat due";
    const Expect e = inflight_.front();
    inflight_.pop_front();
    const std::string flow = "flow " + std::to_string(e.tag);
    if (out.tag != e.tag) return flow + "'s result came out with tag " + std::to_string(out.tag);
    if (out.state != e.state) return flow + ": state differs from proto/crc32c";
    if (out.match != e.match) return flow + ": wrong digest verdict";
    write_ = {true, out.tag, out.state};
    ++beats_;
    pdus_ += e.last;
    return "";
  }

  uint64_t cycles() const { return cycles_; }
  uint64_t beats() const { return beats_; }  // results retired
  uint64_t pdus() const { return pdus_; }
  // Beats sent in the cycle right after a beat of the same flow, and of another flow.
  uint64_t same_flow_back_to_back() const { return same_b2b_; }
  uint64_t other_flow_back_to_back() const { return other_b2b_; }

 private:
  struct Flow {
    unsigned beats_left = 0;  // of the current PDU; 0: the next beat starts one
    uint32_t ref = 0;         // running register after the flow's last beat sent, computed here
  };
  struct Stage {  // a beat sent in some cycle, as the last stage will need it
    bool valid = false, first = false;
    unsigned tag = 0;
  };
  struct Expect {  // a beat in flight, oldest first
    unsigned tag;
    uint32_t state;
    bool match, last;
    uint64_t issued;
  };
  struct Write {
    bool valid = false;
    unsigned tag = 0;
    uint32_t state = 0;
  };

  // The flow sending this cycle, or -1 to idle.
  int pick() {
    if (burst_left_) {
      --burst_left_;
      return int(burst_flow_);
    }
    if (idle_burst_) {
      --idle_burst_;
      return -1;
    }
    const uint64_t r = rng_.below(1000);
    if (r < uint64_t(p_.idle * 900)) return -1;  // a single idle cycle
    if (r < uint64_t(p_.idle * 1000)) {          // an idle burst
      idle_burst_ = unsigned(rng_.below(24));
      return -1;
    }
    const unsigned f = unsigned(rng_.below(p_.flows));
    if (r >= 990) {  // a burst of one flow, no idle cycle between its beats
      burst_flow_ = f;
      burst_left_ = 8 + unsigned(rng_.below(64));
    }
    return int(f);
  }

  void issue(unsigned f, Stage& st) {
    Flow& fl = flows_[f];
    in_.valid = true;
    in_.tag = f;
    in_.first = fl.beats_left == 0;
    if (in_.first) {
      fl.beats_left = 1 + unsigned(rng_.below(p_.max_pdu_beats));
      fl.ref = crc32c::kInit;
    }
    in_.keep = random_keep();
    for (unsigned i = 0; i < p_.bytes; ++i)
      if (in_.keep >> i & 1) fl.ref = crc32c::update(fl.ref, data_ + i, 1);
    in_.last = --fl.beats_left == 0;
    const bool match = in_.last && rng_.below(8) != 0;
    if (in_.last) in_.digest = crc32c::finish(fl.ref) ^ (match ? 0 : 1u << rng_.below(32));
    inflight_.push_back({f, fl.ref, match, in_.last, cycles_});
    st = {true, in_.first, f};
    if (prev_flow_ >= 0) ++(unsigned(prev_flow_) == f ? same_b2b_ : other_b2b_);
  }

  void fill_random() {
    for (unsigned w = 0; w < 8; ++w) {
      const uint64_t x = rng_.next();
      std::memcpy(data_ + 8 * w, &x, 8);
    }
    const uint64_t x = rng_.next(), y = rng_.next();
    in_ = {};
    in_.data = data_;
    in_.fold_state = uint32_t(x);
    in_.digest = uint32_t(x >> 32);
    in_.keep = y;
    in_.tag = uint32_t(y >> 56);
    in_.first = y & 1;
    in_.last = y >> 1 & 1;
  }

  uint64_t random_keep() {
    const unsigned b = p_.bytes;
    const auto ones = [](unsigned n) { return n >= 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1; };
    switch (rng_.below(20)) {
      case 0: return 0;
      case 1: case 2: return rng_.next() & ones(b);  // sparse
      case 3: case 4: case 5: {                       // a window [lo, hi)
        const unsigned lo = unsigned(rng_.below(b)), hi = lo + 1 + unsigned(rng_.below(b - lo));
        return ones(hi) & ~ones(lo);
      }
      case 6: case 7: case 8: case 9: case 10: case 11: return ones(1 + unsigned(rng_.below(b)));
      default: return ones(b);
    }
  }

  CrcStimulusParams p_;
  gen::Rng rng_;
  std::vector<Flow> flows_;
  std::vector<uint32_t> store_;  // per flow: the running register as the pipe returned it
  std::vector<Stage> stage_;     // the beats of the last `latency` cycles, by cycle
  std::deque<Expect> inflight_;
  Write write_;                  // the output retired this cycle, stored at its end
  uint8_t data_[64];
  hw::CrcPipeIn in_;
  unsigned idle_burst_ = 0, burst_left_ = 0, burst_flow_ = 0;
  int prev_flow_ = -1;  // the flow that sent in the cycle before, -1 if none
  uint64_t cycles_ = 0, beats_ = 0, pdus_ = 0, same_b2b_ = 0, other_b2b_ = 0;
};

}  // namespace nic::tb
