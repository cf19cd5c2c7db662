#include "hw/pcie/PcieLink.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "hw/pcie/DmaTag.hpp"

namespace nic {

using sc_core::sc_time;
using sc_core::sc_time_stamp;
using sc_core::SC_ZERO_TIME;

namespace {

const PcieParams& validated(const PcieParams& p) {
  if (!(p.gbps() > 0) || !(p.latency_ns >= 0) || p.max_payload == 0 ||
      p.max_read_request == 0 || p.tags == 0 || p.read_completion_boundary == 0 ||
      p.completion_size() % p.read_completion_boundary != 0 || p.tlps_per_ack == 0 ||
      p.tlps_per_update == 0)
    throw std::invalid_argument(
        "PcieParams: bandwidth, sizes and tags must be > 0, latency_ns >= 0, completions a "
        "multiple of the RCB");
  return p;
}

template <typename T>
std::vector<T> reserved(size_t n) {
  std::vector<T> v;
  v.reserve(n);
  return v;
}

}  // namespace

PcieLink::PcieLink(sc_core::sc_module_name name, const PcieParams& params)
    : sc_module(name),
      dma_target("dma_target"),
      mem_init("mem_init"),
      mmio_target("mmio_target"),
      mmio_init("mmio_init"),
      p_(validated(params)),
      gbps_(params.gbps()),
      latency_(params.latency_ns, sc_core::SC_NS),
      credit_update_(params.credit_update_ns, sc_core::SC_NS),
      dllp_time_(double(params.dllp_bytes) * 8.0 / params.gbps(), sc_core::SC_NS),
      slot_bytes_(params.user_straddle ? params.user_bus_bytes / 2 : params.user_bus_bytes),
      slot_ps_(params.user_clock_mhz > 0
                   ? 1e6 / params.user_clock_mhz * double(slot_bytes_) / params.user_bus_bytes
                   : 0),
      posted_credits_{params.ph_credits, params.pd_credits},
      nonposted_credits_{params.nph_credits, params.npd_credits},
      completion_credits_{params.cplh_credits, params.cpld_credits},
      responses_(std::greater<Response>(), reserved<Response>(params.tags)) {
  up_.stats = &stats_.up;
  down_.stats = &stats_.down;
  dma_target.register_nb_transport_fw(this, &PcieLink::nb_transport_fw);
  dma_target.register_transport_dbg(this, &PcieLink::dma_dbg);
  mmio_target.register_b_transport(this, &PcieLink::mmio_b_transport);
  mmio_target.register_transport_dbg(this, &PcieLink::mmio_dbg);

  SC_HAS_PROCESS(PcieLink);
  SC_METHOD(land_method);
  sensitive << land_ev_;
  dont_initialize();
  SC_METHOD(resp_method);
  sensitive << resp_ev_;
  dont_initialize();
  SC_METHOD(accept_method);
  sensitive << accept_ev_;
  dont_initialize();
  SC_METHOD(posted_method);
  sensitive << posted_ev_;
  dont_initialize();
}

uint64_t PcieLink::tlp_count(uint64_t addr, uint64_t len, uint64_t max) {
  if (len == 0) return 1;
  constexpr uint64_t kPage = 4096;
  const auto ceil_div = [](uint64_t a, uint64_t b) { return (a + b - 1) / b; };
  const uint64_t first = std::min(len, kPage - addr % kPage);
  const uint64_t rest = len - first;
  return ceil_div(first, max) + rest / kPage * ceil_div(kPage, max) + ceil_div(rest % kPage, max);
}

uint64_t PcieLink::completion_count(uint64_t addr, uint64_t len, uint64_t size, uint64_t rcb) {
  if (len == 0) return 1;
  // The first completion runs to the last RCB multiple within `size`; the rest start aligned.
  const uint64_t first_end = (addr + size) / rcb * rcb;
  const uint64_t end = addr + len;
  return end <= first_end ? 1 : 1 + (end - first_end + size - 1) / size;
}

sc_time PcieLink::Credits::take(sc_time t, uint32_t hdr, uint32_t data) {
  const auto fits = [&] {
    return (!hdr_limit || hdr_used + hdr <= hdr_limit) &&
           (!data_limit || data_used + data <= data_limit);
  };
  const auto give_back = [&] {
    hdr_used -= returns.front().hdr;
    data_used -= returns.front().data;
    returns.pop_front();
  };
  while (!returns.empty() && returns.front().at <= t) give_back();
  while (!fits()) {
    // Configuration checks keep one TLP's needs within the limits, so returns remain.
    t = std::max(t, returns.front().at);
    give_back();
  }
  hdr_used += hdr;
  data_used += data;
  return t;
}

sc_time PcieLink::occupy(Wire& w, const sc_time& start, uint64_t bytes, uint64_t slots) {
  if (bytes != w.wt.bytes || slots != w.wt.slots) {
    // The wire or the user interface, whichever is slower: they are in series with buffers.
    const double ps = std::max(double(bytes) * 8e3 / gbps_, double(slots) * slot_ps_);
    w.wt = {bytes, slots, sc_time::from_value(uint64_t(ps + 0.5))};
  }
  const sc_time from = std::max(w.free, start);
  w.free = from + w.wt.t;
  if (busy_hook_) busy_hook_(&w == &up_, from.value(), w.free.value());
  w.stats->wire_bytes += bytes;
  w.stats->busy += w.wt.t;
  return w.free;
}

sc_time PcieLink::send(Wire& w, Credits& cr, const sc_time& start, uint64_t addr, uint64_t len,
                       uint64_t max, Cut cut, bool payload, sc_time* sent) {
  const uint32_t overhead = p_.tlp_overhead();
  const uint64_t rcb = p_.read_completion_boundary;
  uint64_t tlps = 0;
  sc_time end;
  // The TLPs' payloads in order: whole pieces cut at `max` (and 4 KiB, or RCB multiples).
  const auto each_tlp = [&](auto&& fn) {
    uint64_t a = addr, left = len;
    do {
      const uint64_t n = std::min(left, cut == Cut::Request ? std::min(max, 4096 - a % 4096)
                                                            : (a + max) / rcb * rcb - a);
      fn(payload ? n : 0);
      a += n;
      left -= n;
    } while (left);
  };
  if (cr.infinite()) {  // the common case: all TLPs in one go
    uint64_t slots = 0;
    if (slot_ps_ > 0)
      each_tlp([&](uint64_t n) { slots += slots_of(n); });
    tlps = cut == Cut::Request ? tlp_count(addr, len, max) : completion_count(addr, len, max, rcb);
    end = occupy(w, start, (payload ? len : 0) + tlps * overhead, slots);
  } else {
    each_tlp([&](uint64_t n) {
      const uint32_t data = uint32_t((n + 15) / 16);
      const sc_time ready = std::max(w.free, start);
      const sc_time t = cr.take(ready, 1, data);
      w.stats->credit_wait += t - ready;
      end = occupy(w, t, n + overhead, slot_ps_ > 0 ? slots_of(n) : 0);
      cr.returns.push_back({end + latency_ + credit_update_, 1, data});
      ++tlps;
    });
  }
  w.stats->tlps += tlps;
  w.stats->payload_bytes += payload ? len : 0;
  const sc_time land = end + latency_;
  answer(w, land, tlps);
  if (sent) *sent = end;
  return land;
}

// DLLPs have priority on the wire and are small: one that finds its wire idle takes idle time;
// one that finds it busy pushes the queued TLPs back by its length.
void PcieLink::answer(Wire& w, const sc_time& at, uint64_t tlps) {
  if (!p_.dllp_bytes) return;
  w.acks += tlps;
  w.updates += tlps;
  const uint64_t n = w.acks / p_.tlps_per_ack + w.updates / p_.tlps_per_update;
  w.acks %= p_.tlps_per_ack;
  w.updates %= p_.tlps_per_update;
  if (!n) return;
  Wire& back = &w == &up_ ? down_ : up_;
  const sc_time t = dllp_time_ * double(n);
  const sc_time from = std::max(back.free, at);
  if (back.free > at) back.free += t;
  if (busy_hook_) busy_hook_(&back == &up_, from.value(), (from + t).value());
  back.stats->dllps += n;
  back.stats->wire_bytes += n * p_.dllp_bytes;
  back.stats->busy += t;
}

// ---------------------------------------------------------------------------------------------
// DMA

tlm::tlm_sync_enum PcieLink::nb_transport_fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                             sc_time& delay) {
  if (phase == tlm::BEGIN_REQ) {
    if (stalled_) SC_REPORT_ERROR(name(), "BEGIN_REQ before END_REQ of the previous request");
    if (gp.is_write() || reads_inflight_ < p_.tags) {
      accept(gp, sc_time_stamp() + delay);
      phase = tlm::END_REQ;
      return tlm::TLM_UPDATED;
    }
    stalled_ = &gp;
    stalled_since_ = sc_time_stamp() + delay;
    ++stats_.tag_stalls;
    return tlm::TLM_ACCEPTED;
  }
  if (phase == tlm::END_RESP) {
    if (&gp != resp_open_) SC_REPORT_ERROR(name(), "END_RESP for a response not sent");
    resp_open_ = nullptr;
    resp_free_ = sc_time_stamp() + delay;
    finish_response(gp, resp_free_);
    if (!clk_)
      resp_ev_.notify(delay);
    else if (response_due_ps() != kNoneDue)
      clk_->wake_for(response_due_ps());
    return tlm::TLM_COMPLETED;
  }
  SC_REPORT_ERROR(name(), "dma_target accepts only BEGIN_REQ and END_RESP");
  return tlm::TLM_COMPLETED;
}

void PcieLink::accept(tlm::tlm_generic_payload& gp, const sc_time& start) {
  const uint64_t addr = gp.get_address(), len = gp.get_data_length();
  sc_time at, sent;
  if (gp.is_write()) {
    ++stats_.dma_writes;
    at = send(up_, posted_credits_, start, addr, len, p_.max_payload, Cut::Request, true, &sent);
  } else {
    ++stats_.dma_reads;
    stats_.max_tags_used = std::max(stats_.max_tags_used, ++reads_inflight_);
    at = send(up_, nonposted_credits_, start, addr, len, p_.max_read_request, Cut::Request, false,
              &sent);
  }
  if (auto* t = gp.get_extension<hw::DmaTimes>()) t->sent_ps = sent.value();
  landing_.push_back({at, &gp});
  if (landing_.size() == 1) {
    land_ev_.notify(at - sc_time_stamp());
    if (clk_) clk_->handed_off();  // also when a landing accepts a request that waited
  }
}

void PcieLink::land_method() {
  const sc_time now = sc_time_stamp();
  while (!landing_.empty() && landing_.front().at <= now) {
    tlm::tlm_generic_payload& gp = *landing_.front().gp;
    landing_.pop_front();
    sc_time d = SC_ZERO_TIME;
    mem_init->b_transport(gp, d);
    if (auto* t = gp.get_extension<hw::DmaTimes>()) {
      t->landed_ps = now.value();
      t->written_ps = (now + d).value();
    }
    if (gp.is_write()) {
      push_response(now + d, gp);
      continue;
    }
    // Completions with the data; a failed read gets one completion without data.
    const bool ok = gp.is_response_ok();
    push_response(send(down_, completion_credits_, now + d, gp.get_address(),
                       ok ? gp.get_data_length() : 0, p_.completion_size(), Cut::Completion, ok),
                  gp);
  }
  if (!landing_.empty()) land_ev_.notify(landing_.front().at - now);
}

void PcieLink::push_response(const sc_time& at, tlm::tlm_generic_payload& gp) {
  responses_.push({at, resp_seq_++, &gp});
  if (!clk_)
    resp_ev_.notify(at - sc_time_stamp());
  else if (!resp_open_)
    clk_->wake_for(std::max(at, resp_free_).value());
}

uint64_t PcieLink::response_due_ps() const {
  if (resp_open_ || responses_.empty()) return kNoneDue;
  return std::max(responses_.top().at, resp_free_).value();
}

void PcieLink::deliver_response(const sc_time& now) {
  tlm::tlm_generic_payload& gp = *responses_.top().gp;
  responses_.pop();
  tlm::tlm_phase phase = tlm::BEGIN_RESP;
  sc_time d = SC_ZERO_TIME;
  const tlm::tlm_sync_enum r = dma_target->nb_transport_bw(gp, phase, d);
  if (r == tlm::TLM_ACCEPTED) {
    resp_open_ = &gp;
    return;
  }
  if (r == tlm::TLM_UPDATED && phase != tlm::END_RESP)
    SC_REPORT_ERROR(name(), "BEGIN_RESP answered with a phase other than END_RESP");
  resp_free_ = now + d;
  finish_response(gp, now);
}

void PcieLink::resp_method() {
  const sc_time now = sc_time_stamp();
  while (response_due_ps() <= now.value()) deliver_response(now);
  if (response_due_ps() != kNoneDue)
    resp_ev_.notify(sc_time::from_value(response_due_ps()) - now);
}

void PcieLink::finish_response(tlm::tlm_generic_payload& gp, const sc_time& now) {
  if (gp.is_write()) return;  // posted: held no tag
  --reads_inflight_;
  if (!stalled_) return;
  if (clk_)
    accept_stalled(now);
  else
    accept_ev_.notify(SC_ZERO_TIME);
}

void PcieLink::accept_method() { accept_stalled(sc_time_stamp()); }

void PcieLink::accept_stalled(const sc_time& now) {
  if (!stalled_ || reads_inflight_ >= p_.tags) return;
  tlm::tlm_generic_payload& gp = *stalled_;
  stalled_ = nullptr;
  stats_.tag_stall_time += now - stalled_since_;
  accept(gp, now);
  tlm::tlm_phase phase = tlm::END_REQ;
  sc_time d = SC_ZERO_TIME;
  // The payload is queued here, so the initiator may not complete it early.
  if (dma_target->nb_transport_bw(gp, phase, d) != tlm::TLM_ACCEPTED)
    SC_REPORT_ERROR(name(), "END_REQ must be answered with TLM_ACCEPTED");
}

void PcieLink::deliver_into(hw::ClockDomain& clk) {
  clk_ = &clk;
  clk.add_inbound(*this);
}

uint64_t PcieLink::posted_due_ps() const {
  return posted_count_ ? posted_[posted_head_].at.value() : kNoneDue;
}

uint64_t PcieLink::next_due_ps() const { return std::min(posted_due_ps(), response_due_ps()); }

void PcieLink::land_next() {
  if (posted_due_ps() <= response_due_ps())
    deliver_posted();
  else
    deliver_response(sc_time::from_value(clk_->now_ps()));
}

// ---------------------------------------------------------------------------------------------
// MMIO

void PcieLink::mmio_b_transport(tlm::tlm_generic_payload& gp, sc_time& delay) {
  // The wires order by simulated time, so catch up with the caller's local time first.
  if (delay != SC_ZERO_TIME) wait(delay);
  delay = SC_ZERO_TIME;
  const uint64_t addr = gp.get_address(), len = gp.get_data_length();
  if (gp.is_write()) {
    ++stats_.mmio_writes;
    const sc_time at =
        send(down_, unlimited_, sc_time_stamp(), addr, len, p_.max_payload, Cut::Request, true);
    if (posted_count_ == posted_.size()) {  // full: straighten the ring and add a slot
      std::rotate(posted_.begin(), posted_.begin() + long(posted_head_), posted_.end());
      posted_head_ = 0;
      posted_.emplace_back();
    }
    PostedWrite& w = posted_[(posted_head_ + posted_count_++) % posted_.size()];
    const uint8_t* data = gp.get_data_ptr();
    const uint8_t* be = gp.get_byte_enable_ptr();
    w.at = at;
    w.addr = addr;
    w.data.assign(data, data + len);
    if (be)
      w.byte_enable.assign(be, be + gp.get_byte_enable_length());
    else
      w.byte_enable.clear();
    w.streaming_width = gp.get_streaming_width();
    if (clk_)
      clk_->wake_for(at.value());
    else if (posted_count_ == 1)
      posted_ev_.notify(at - sc_time_stamp());
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  ++stats_.mmio_reads;
  const sc_time asked =
      send(down_, unlimited_, sc_time_stamp(), addr, len, p_.max_read_request, Cut::Request, false);
  wait(asked - sc_time_stamp());
  if (clk_) clk_->land_due(sc_time_stamp().value());  // the writes ahead of it on the wire
  sc_time d = SC_ZERO_TIME;
  mmio_init->b_transport(gp, d);
  const bool ok = gp.is_response_ok();
  const sc_time answered = send(up_, unlimited_, sc_time_stamp() + d, addr, ok ? len : 0,
                                p_.completion_size(), Cut::Completion, ok);
  wait(answered - sc_time_stamp());
}

void PcieLink::posted_method() {
  const sc_time now = sc_time_stamp();
  while (posted_count_ && posted_[posted_head_].at <= now) deliver_posted();
  if (posted_count_) posted_ev_.notify(posted_[posted_head_].at - now);
}

void PcieLink::deliver_posted() {
  PostedWrite& w = posted_[posted_head_];
  posted_gp_.set_command(tlm::TLM_WRITE_COMMAND);
  posted_gp_.set_address(w.addr);
  posted_gp_.set_data_ptr(w.data.data());
  posted_gp_.set_data_length(unsigned(w.data.size()));
  posted_gp_.set_byte_enable_ptr(w.byte_enable.empty() ? nullptr : w.byte_enable.data());
  posted_gp_.set_byte_enable_length(unsigned(w.byte_enable.size()));
  posted_gp_.set_streaming_width(w.streaming_width);
  posted_gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  // The target's annotated delay does not hold the link: posted writes pipeline.
  sc_time d = SC_ZERO_TIME;
  mmio_init->b_transport(posted_gp_, d);
  // Like a real posted write, a failure cannot reach the driver; make it visible here.
  if (!posted_gp_.is_response_ok())
    SC_REPORT_WARNING(name(), ("posted MMIO write failed: " +
                               posted_gp_.get_response_string()).c_str());
  posted_head_ = (posted_head_ + 1) % posted_.size();
  --posted_count_;
}

}  // namespace nic
