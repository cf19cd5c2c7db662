#include "hw/common/PipelineStage.hpp"

namespace nic::hw {

PipelineStage::PipelineStage(sc_core::sc_module_name name, ClockDomain& clk,
                             StreamChannel<Beat>& in, StreamChannel<Beat>& out, uint32_t latency,
                             FrameStage stage)
    : sc_module(name), clk_(clk), in_(in), out_(out), latency_(latency ? latency : 1),
      stage_(stage),
      slots_(latency_ + 1), line_(slots_) {
  clk.attach(*this);
}

void PipelineStage::tick() {
  const uint64_t now = clk_.cycle();
  if (count_ && line_[head_].ready <= now) {
    if (out_.can_push()) {
      const Beat& b = line_[head_].beat;
      if (b.eop) b.pkt->stamps.end_ps[stage_] = clk_.now_ps();
      out_.push(std::move(line_[head_].beat));
      if (++head_ == slots_) head_ = 0;
      --count_;
    } else {
      out_.note_blocked();
      ++stats_.stall_cycles;
    }
  }
  if (hold_) {
    --hold_;
    ++stats_.busy_cycles;
  } else if (in_.can_pop() && count_ < slots_ && ready(in_.front())) {
    Beat b = in_.take();
    const uint32_t cost = accept(b);
    hold_ = cost > 1 ? cost - 1 : 0;
    ++stats_.beats;
    stats_.packets += b.sop;
    ++stats_.busy_cycles;
    const uint32_t tail = head_ + count_;
    line_[tail < slots_ ? tail : tail - slots_] = {b, now + latency_ + hold_};
    ++count_;
  }
  if (count_ || hold_) clk_.request_next();
}

}  // namespace nic::hw
