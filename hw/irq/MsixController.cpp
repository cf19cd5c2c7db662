#include "hw/irq/MsixController.hpp"

#include <algorithm>
#include <string>

namespace nic::hw {

MsixController::MsixController(sc_core::sc_module_name name, ClockDomain& clk, DmaEngine& dma,
                               CompletionRing& cq, const IrqParams& p)
    : sc_module(name), clk_(clk), dma_(dma), cq_(cq), p_(p),
      n_(std::min(p.vectors, abi::kMsixMaxVectors)), mod_ns_(p.moderation_ns),
      mod_count_(p.moderation_count) {
  update_mod();
  cq_.set_post_hook([this](uint32_t index) { posted(index); });
  cq_restarted();
  clk.attach(*this);  // attached after the ring's producers: ticks before them in a cycle
}

void MsixController::update_mod() {
  const uint64_t period = clk_.period().value();
  mod_cycles_ = (uint64_t(mod_ns_) * 1000 + period - 1) / period;
}

void MsixController::cq_restarted() {
  post_cycle_.assign(cq_.entries(), 0);
  ci_ = 0;
  armed_ = trace_armed_ = true;
  active_ = false;
}

void MsixController::posted(uint32_t index) {
  post_cycle_[index % post_cycle_.size()] = clk_.cycle();
  if (!armed_) return;
  active_ = true;
  clk_.request_next();
}

void MsixController::tick() {
  if (!active_ && !building_) return;
  const uint64_t now = clk_.cycle();
  if (building_) {
    if (now < build_due_) {
      clk_.request_next();
    } else {
      building_ = false;
      send(build_vector_);
    }
  }
  if (!active_) return;
  active_ = false;
  if (!armed_ || post_cycle_.empty()) return;
  const uint32_t owed = cq_.posted() - ci_;
  if (owed == 0) return;
  const uint64_t due = post_cycle_[ci_ % post_cycle_.size()] + mod_cycles_;
  const bool by_count = mod_count_ && owed >= mod_count_;
  const bool by_time = now >= due;
  if (!by_count && !by_time) {
    active_ = true;  // look again at every edge until then: a completion may reach the count
    if (timer_at_ != due) {
      timer_at_ = due;
      clk_.wake_at(sc_core::sc_time::from_value(due * clk_.period().value()));
    }
    return;
  }
  armed_ = trace_armed_ = false;
  ++stats_.decisions;
  ++(by_count ? stats_.by_count : stats_.by_time);
  stats_.completions_signalled += owed;
  const uint32_t v = cq_vector_;
  if (table_[v].ctrl & abi::kMsixCtrlMasked) {
    pba_ |= uint64_t(1) << v;
    ++stats_.masked;
    return;
  }
  if (p_.msg_cycles == 0) {
    send(v);
  } else if (!building_) {
    building_ = true;
    build_vector_ = v;
    build_due_ = now + p_.msg_cycles;
    clk_.request_next();
  }
}

void MsixController::send(uint32_t v) {
  const Entry& e = table_[v];
  if (e.ctrl & abi::kMsixCtrlMasked) {  // masked while the message was built
    pba_ |= uint64_t(1) << v;
    return;
  }
  uint8_t data[4];
  st_le32(data, e.data);
  DmaTag tag;
  tag.kind = DmaTag::Kind::Msix;
  tag.flow = v;
  tag.packet = cq_.posted();
  dma_.write(uint64_t(e.addr_hi) << 32 | e.addr_lo, data, 4, {}, tag);
  ++stats_.messages;
  ++trace_messages_;
}

uint32_t MsixController::reg_read(uint64_t off) const {
  using namespace abi;
  if (off >= kRegMsixTable) {
    const uint64_t i = (off - kRegMsixTable) / kMsixEntrySize;
    if (i >= n_) return 0;
    const Entry& e = table_[i];
    switch ((off - kRegMsixTable) % kMsixEntrySize) {
      case 0: return e.addr_lo;
      case 4: return e.addr_hi;
      case 8: return e.data;
      default: return e.ctrl;
    }
  }
  switch (off) {
    case kRegMsixVectors: return n_;
    case kRegCqMsixVector: return cq_vector_;
    case kRegCqModTimeNs: return mod_ns_;
    case kRegCqModCount: return mod_count_;
    case kRegCqArm: return ci_;
    case kRegMsixPba: return uint32_t(pba_);
    case kRegMsixPba + 4: return uint32_t(pba_ >> 32);
    default: return 0;
  }
}

void MsixController::reg_write(uint64_t off, uint32_t v) {
  using namespace abi;
  if (off >= kRegMsixTable) {
    const uint64_t i = (off - kRegMsixTable) / kMsixEntrySize;
    if (i >= n_) return;
    Entry& e = table_[i];
    switch ((off - kRegMsixTable) % kMsixEntrySize) {
      case 0: e.addr_lo = v & ~3u; break;  // dword aligned
      case 4: e.addr_hi = v; break;
      case 8: e.data = v; break;
      default: {
        e.ctrl = v & kMsixCtrlMasked;
        const uint64_t bit = uint64_t(1) << i;
        if (!(e.ctrl & kMsixCtrlMasked) && (pba_ & bit) && !building_) {
          // Unmasked with a message pending: it goes, built as a decided one.
          pba_ &= ~bit;
          building_ = true;
          build_vector_ = uint32_t(i);
          build_due_ = clk_.cycle() + p_.msg_cycles;
          clk_.request_next();
        }
      }
    }
    return;
  }
  switch (off) {
    case kRegCqMsixVector:
      if (v < n_) cq_vector_ = v;
      break;
    case kRegCqModTimeNs:
      mod_ns_ = v;
      update_mod();
      timer_at_ = UINT64_MAX;
      break;
    case kRegCqModCount: mod_count_ = v; break;
    case kRegCqArm:
      ci_ = v;
      armed_ = trace_armed_ = true;
      ++stats_.rearms;
      break;
    default: return;
  }
  active_ = true;
  clk_.request_next();
}

void MsixController::trace(sc_core::sc_trace_file* tf) const {
  sc_core::sc_trace(tf, trace_messages_, std::string(name()) + ".messages");
  sc_core::sc_trace(tf, trace_armed_, std::string(name()) + ".armed");
}

}  // namespace nic::hw
