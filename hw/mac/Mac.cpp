#include "hw/mac/Mac.hpp"

#include <algorithm>

namespace nic::hw {

using namespace sc_core;

namespace {
constexpr uint32_t kPreambleBytes = 8;
constexpr uint32_t kMinFrameBytes = 14;  // an Ethernet header; anything shorter is a runt
}  // namespace

Mac::Mac(sc_module_name name, ClockDomain& mac_clk, ClockDomain& clk, StreamChannel<Beat>& out,
         const MacParams& params, uint32_t beat_bytes, bool honour_timestamps, Source source,
         DropSink drop)
    : sc_module(name),
      mac_clk_(mac_clk),
      clk_(clk),
      mac_period_ps_(mac_clk.period().value()),
      core_period_ps_(clk.period().value()),
      writer_(*this),
      out_(out),
      p_(params),
      beat_bytes_(beat_bytes),
      honour_timestamps_(honour_timestamps),
      source_(std::move(source)),
      drop_(std::move(drop)),
      ps_per_byte_(8000.0 / params.line_rate_gbps),
      capacity_words_(params.rx_fifo_bytes / params.segment_bytes),
      fifo_occ_(params.rx_fifo_bytes) {
  clk.attach(*this);
  mac_clk.attach(writer_);
  SC_HAS_PROCESS(Mac);
  SC_METHOD(fetch_next);  // runs at time zero to schedule the first arrival, and on more()
  sensitive << more_ev_;
}

// Puts the next frame of the trace on the wire and wakes the clock when it has arrived.
void Mac::fetch_next() {
  if (pending_ || source_exhausted_) return;
  uint64_t ts = 0;
  PacketCtx* p = source_(ts);
  if (!p) {
    source_exhausted_ = true;
    return;
  }
  const uint64_t len = p->frame.size();
  // Back to back at line rate, the first frame still waits for its timestamp: the host has
  // to be up before traffic starts.
  const bool timed = honour_timestamps_ || !stats_.frames_in;
  uint64_t start = timed ? std::max(ts, wire_free_ps_) : wire_free_ps_;
  if (!stats_.frames_in) stats_.first_start_ps = start;
  // The frame is complete once preamble, frame and FCS are in; the gap only delays the next.
  const uint64_t received = start + uint64_t((kPreambleBytes + len + 4) * ps_per_byte_);
  wire_free_ps_ = start + uint64_t((len + p_.wire_overhead_bytes) * ps_per_byte_);
  stats_.last_end_ps = received;
  p->wire_start_ps = start;
  p->wire_end_ps = received;
  p->stamps.start_ps = start;
  p->stamps.end_ps[kWire] = received;
  pending_ = p;
  mac_clk_.wake_at(sc_time::from_value(received));  // time values are ps (the default resolution)
}

void Mac::record_level(uint64_t now_ps) {
  fifo_used_ = uint32_t((wr_words_ - rd_words_) * p_.segment_bytes);
  // In core cycles whichever domain records: the statistics' one time base.
  fifo_occ_.record(now_ps / core_period_ps_, fifo_used_);
}

void Mac::admit_arrivals(uint64_t now_ps) {
  while (pending_ && pending_->wire_end_ps <= now_ps) {
    if (!pending_written_ps_) {
      // Its segments follow the frames before it on the bus, the last one no earlier than
      // this edge, the first one edge after its last bit.
      const uint64_t per_cycle = p_.bus_bytes / p_.segment_bytes;
      const uint64_t w = words(uint32_t(pending_->frame.size()));
      const uint64_t edge = now_ps / mac_period_ps_;
      const uint64_t own = (w + per_cycle - 1) / per_cycle;  // cycles its segments span at least
      const uint64_t earliest = edge + 1 >= own ? (edge + 1 - own) * per_cycle : 0;
      bus_slot_free_ = std::max(bus_slot_free_, earliest) + w;
      const uint64_t done = std::max(edge, (bus_slot_free_ + per_cycle - 1) / per_cycle - 1);
      stats_.bus_behind_cycles += done - edge;
      pending_written_ps_ = done * mac_period_ps_;
    }
    if (pending_written_ps_ > now_ps) {
      mac_clk_.wake_at(sc_time::from_value(pending_written_ps_));
      return;
    }
    pending_written_ps_ = 0;
    PacketCtx* p = pending_;
    pending_ = nullptr;
    ++stats_.frames_in;
    stats_.bytes_in += p->frame.size();
    if (arrival_) arrival_(*p);
    const uint32_t len = uint32_t(p->frame.size());
    if (len > p_.max_frame_bytes) {
      ++stats_.drop_oversize;
      drop_(p, "oversize");
    } else if (len < kMinFrameBytes) {
      ++stats_.drop_runt;
      drop_(p, "runt");
    } else {
      // Space freed by the read side counts once its pointer has crossed.
      while (!rd_crossing_.empty() && rd_crossing_.front().seen_ps <= now_ps) {
        rd_synced_ = rd_crossing_.front().words;
        rd_crossing_.pop_front();
      }
      const uint32_t w = words(len);
      if (wr_words_ - rd_synced_ + w > capacity_words_) {
        ++stats_.drop_fifo_full;
        drop_(p, "mac_fifo_full");
      } else {
        p->perr = net::parse_frame(p->frame, p->pf);
        p->csum_ok = p->perr == net::ParseError::None && p->pf.ip_checksum_ok && p->pf.tcp_checksum_ok;
        const uint64_t seen = synced(now_ps, core_period_ps_);
        fifo_.push_back({p, seen, w});
        wr_words_ += w;
        record_level(now_ps);
        clk_.wake_at(sc_time::from_value(seen));
        mac_clk_.handed_off();  // the core's edge is the kernel's to order
      }
    }
    fetch_next();
  }
}

void Mac::tick() {
  const uint64_t now_ps = clk_.now_ps();
  if (!fifo_.empty() && fifo_.front().seen_ps <= now_ps) {
    if (out_.can_push()) {
      const Entry& e = fifo_.front();
      PacketCtx* p = e.p;
      const uint32_t len = uint32_t(p->frame.size());
      Beat b;
      b.pkt = p;
      b.off = head_off_;
      b.len = uint16_t(std::min<uint32_t>(beat_bytes_, len - head_off_));
      b.sop = head_off_ == 0;
      head_off_ += b.len;
      b.eop = head_off_ == len;
      // The read pointer passes the words read whole; the frame's last beat frees its last.
      const uint32_t passed = b.eop ? e.words : head_off_ / p_.segment_bytes;
      if (passed != head_words_read_) {
        rd_words_ += passed - head_words_read_;
        head_words_read_ = passed;
        const uint64_t seen = synced(now_ps, mac_period_ps_);
        if (!rd_crossing_.empty() && rd_crossing_.back().seen_ps == seen)
          rd_crossing_.back().words = rd_words_;
        else
          rd_crossing_.push_back({seen, rd_words_});
        record_level(now_ps);
      }
      if (b.eop) {
        p->stamps.end_ps[kMacFifo] = now_ps;
        fifo_.pop_front();
        head_off_ = 0;
        head_words_read_ = 0;
        ++stats_.frames_out;
      }
      out_.push(std::move(b));
      ++stats_.beats_out;
    } else {
      out_.note_blocked();
      ++stats_.blocked_cycles;
    }
  }
  if (fifo_.empty()) return;
  if (fifo_.front().seen_ps <= now_ps + core_period_ps_)
    clk_.request_next();
  else
    clk_.wake_at(sc_time::from_value(fifo_.front().seen_ps));
}

}  // namespace nic::hw
