#include "hw/placement/PlacementEngine.hpp"

#include <algorithm>

namespace nic::hw {

PlacementEngine::PlacementEngine(sc_core::sc_module_name name, ClockDomain& clk,
                                 StreamChannel<Beat>& in, DmaEngine& dma, CompletionRing& cq,
                                 FlowContexts& flows, PacketPool& pool,
                                 const PlacementParams& cfg)
    : sc_module(name), clk_(clk), in_(in), dma_(dma), cq_(cq), flows_(flows), pool_(pool),
      cfg_(cfg) {
  clk.attach(*this);
}

void PlacementEngine::set_rx_ring(uint64_t base, uint32_t bytes) {
  rx_base_ = base;
  rx_bytes_ = bytes;
  rx_written_ = 0;
  rx_freed_ = 0;
}

uint32_t PlacementEngine::writes_in_flight(int32_t slot, uint32_t io_tag) const {
  const auto it = inflight_.find(inflight_key(slot, io_tag));
  return it == inflight_.end() ? 0 : it->second;
}

void PlacementEngine::tick() {
  if (!in_.can_pop()) return;
  const uint64_t now = clk_.cycle();
  if (now < busy_until_) {  // still on the previous beat's extra cycles
    clk_.request_next();
    return;
  }
  Beat& b = in_.front();
  if (!dma_.has_room()) {
    ++stats_.stall_dma;
    clk_.request_next();
    return;
  }
  // Counted on a copy: a last beat that waits for the completion ring is counted again.
  size_t cursor = b.sop ? 0 : cursor_;
  const uint32_t lookups = segment_cycles(b, cursor);
  uint32_t entries = 0, cache = 0;
  const Finish f = b.eop ? finish_frame(*b.pkt, entries, cache) : Finish::Done;
  if (f == Finish::WaitCache) return;  // the fill (or a setup's install) wakes the clock
  if (f == Finish::WaitCq) {
    ++stats_.stall_cq_full;
    clk_.request_next();
    return;
  }
  cursor_ = cursor;
  busy_until_ = now + 1 + lookups + entries + cache;
  stats_.segment_cycles += lookups;
  stats_.entry_cycles += entries;
  stats_.ddp_cache_cycles += cache;
  ++stats_.beats;
  in_.take();
}

uint32_t PlacementEngine::segment_cycles(const Beat& b, size_t& cursor) const {
  const PacketCtx& p = *b.pkt;
  if (p.bypass != Bypass::None || !p.plan.in_seq || !flows_.get(p.flow)) return 0;
  PduCount lookups;
  for_each_slice(p, b, cursor, [&](const Segment& s) {
    if (s.region == Region::Data && s.placeable) lookups.add(s);
  });
  return extra_cycles(lookups.count(), cfg_.cycles_per_extra_segment);
}

FlowContext* PlacementEngine::offloaded_flow(const PacketCtx& p) { return flows_.get(p.flow); }

PlacementEngine::Finish PlacementEngine::finish_frame(PacketCtx& p, uint32_t& entry_cycles,
                                                      uint32_t& cache_cycles) {
  FlowContext* fc = offloaded_flow(p);
  const bool in_seq = fc && p.bypass == Bypass::None && p.plan.in_seq;
  // Planned afresh in every cycle the frame waits, so a teardown during the wait is honoured.
  plan_ = Plan{};
  if (counted_ == stats_.frames)
    lookups_.again();
  else
    lookups_ = {};
  counted_ = stats_.frames;
  if (in_seq) plan_runs(p, *fc, plan_);
  if (plan_.missing) {
    if (waiting_ != stats_.frames) {
      waiting_ = stats_.frames;
      wait_from_ = clk_.cycle();
      ++stats_.ddp_wait_frames;
    }
    return Finish::WaitCache;
  }
  if (waiting_ == stats_.frames) {
    stats_.ddp_wait_cycles += clk_.cycle() - wait_from_;
    waiting_ = kNoFrame;
  }

  const uint32_t kept = uint32_t(p.frame.size()) - plan_.placed;
  const uint32_t used = uint32_t(rx_written_) - rx_freed_;
  if (!rx_bytes_ || used > rx_bytes_ || kept > rx_bytes_ - used) {
    ++stats_.frames;
    ++stats_.drop_rx_ring_full;
    if (fc) {
      ++fc->counters.drop_rx_ring_full;
      fc->counters.drop_rx_ring_full_payload += p.pf.payload_len;
    }
    if (drop_hook_) drop_hook_(p, "rx_ring_full");
    pool_.put(&p);
    return Finish::Done;
  }
  if (!cq_.can_post()) return Finish::WaitCq;

  abi::Cqe c;
  c.type = abi::CqeType::RxPacket;
  for (uint8_t i = 0; i < plan_.nruns; ++i) {
    place(p, p.flow, plan_.runs[i]);
    c.runs[i] = plan_.runs[i].run;
  }
  c.nruns = plan_.nruns;
  if (fc) close_completed(p, *fc);
  gather_kept(p, plan_);
  const uint32_t ring_writes = kept > rx_bytes_ - uint32_t(rx_written_ % rx_bytes_) ? 2 : 1;
  c.rx_off = write_rx_ring();
  entry_cycles = cfg_.cqe_write_cycles + ring_writes * cfg_.rx_ring_write_cycles;
  if (cache_) cache_cycles = lookups_.n * cache_->hit_cycles();
  // The table writes of this frame: a high-water mark per run, a close per completion.
  if (fc)
    flows_.ddp_write_port().book(
        clk_.cycle(), uint64_t(plan_.nruns + p.plan.ended.size()) * cfg_.ddp_write_cycles);
  namespace f = abi::cqeflag;
  c.flags = uint16_t((p.perr == net::ParseError::None ? f::PARSED : 0) |
                     (p.csum_ok ? f::CSUM_OK : 0) | (fc ? f::OFFLOAD : 0) |
                     (p.crc_ok ? f::CRC_OK : 0) | (plan_.nruns ? f::PLACED : 0) |
                     (fc && p.plan.resync_request ? f::RESYNC : 0));
  c.resync_seq = p.plan.resync_seq;
  c.flow = fc ? fc->handle : 0;
  c.frame_len = uint32_t(p.frame.size());
  c.l4_off = p.perr == net::ParseError::None ? uint16_t(p.pf.payload_offset) : 0;
  c.kept_len = kept;
  c.seq = p.pf.seq;
  // Latency: first bit on the wire to the completion entry in host memory, the last stages
  // stamped by the entry's DMA write.
  p.stamps.end_ps[kPlacement] = clk_.now_ps();
  in_flight_.push(p.stamps);
  cq_.post(c, [this](ByteView entry, bool, const DmaTimes& t) {
    FrameStamps& s = in_flight_.front();
    last_completion_ps_ = clk_.now_ps();
    s.end_ps[kDmaQueue] = t.issued_ps;
    s.end_ps[kPcieTx] = t.sent_ps;
    s.end_ps[kPcie] = t.landed_ps;
    s.end_ps[kHostMemory] = t.written_ps;
    latency_ns_.add(s.total_ps() / 1000);
    breakdown_.add(s);
    if (landed_hook_) landed_hook_(s, abi::Cqe::decode(entry.data));
    in_flight_.pop();
  }, {p.wire_start_ps, p.wire_end_ps});

  p.placed_bytes = plan_.placed;
  ++stats_.frames;
  stats_.frames_offloaded += in_seq;
  stats_.frames_placed += plan_.nruns > 0;
  stats_.runs_placed += plan_.nruns;
  stats_.bytes_placed += plan_.placed;
  if (fc) fc->counters.bytes_placed += plan_.placed;
  stats_.bytes_kept += kept;
  stats_.unregistered += plan_.unregistered;
  stats_.ddp_out_of_range += plan_.out_of_range;
  stats_.ddp_overlap += plan_.overlap;
  stats_.after_completion += plan_.after_completion;
  stats_.runs_over_limit += plan_.over_limit;
  stats_.ddp_bypassed += plan_.bypassed;
  pool_.put(&p);
  return Finish::Done;
}

void PlacementEngine::missed(Plan& out) const {
  if (cache_->bypass_on_miss())
    ++out.bypassed;
  else
    out.missing = true;
}

void PlacementEngine::plan_runs(const PacketCtx& p, FlowContext& fc, Plan& out) {
  const uint32_t limit = cfg_.single_run_per_packet ? 1 : uint32_t(abi::kMaxRunsPerCqe);
  for (const Segment& s : p.plan.segs) {
    if (s.region != Region::Data || !s.placeable || s.len == 0) continue;
    // A free slot's valid bit (on chip) says there is nothing to read; otherwise the
    // registration is read before anything else about it is known, even its tag.
    const uint32_t slot = fc.ddp.slot_index(s.io_tag);
    if (cache_ && !fc.ddp.slot_valid(slot)) {
      ++out.unregistered;
      continue;
    }
    if (cache_ && !cache_->registration(p.flow, slot, lookups_)) {
      missed(out);
      continue;
    }
    DdpContext* d = fc.ddp.lookup(s.io_tag);
    // Closed, or bytes from before the registration: they belong to an older read.
    if (!d || d->closed || int32_t(p.pf.seq + s.off - d->valid_from) < 0) {
      ++out.unregistered;
      continue;
    }
    // Never write outside the registered buffer: a PDU whose data runs past it is left to
    // software whole, also the parts of it that would fit.
    const uint32_t datao = s.buf_off - (s.pdu_off - s.data_off);
    if (uint64_t(datao) + s.data_len > d->io_len) {
      ++out.out_of_range;
      continue;
    }
    const uint32_t at = p.pf.seq + s.off;
    if (std::any_of(p.plan.ended.begin(), p.plan.ended.end(), [&](const ReadEnd& e) {
          return e.io_tag == s.io_tag && int32_t(e.end_seq - at) <= 0;
        })) {
      ++out.after_completion;
      continue;
    }
    if (s.buf_off < high_water(out, d)) {
      ++out.overlap;
      continue;
    }
    Run* last = out.nruns ? &out.runs[out.nruns - 1] : nullptr;
    const bool extend = last && last->ddp == d && last->run.payload_off + last->run.len == s.off &&
                        last->run.buf_off + last->run.len == s.buf_off;
    if (!extend && out.nruns == limit) {
      ++out.over_limit;
      continue;
    }
    if (cache_ && d->pooled) {
      const auto [first, last_entry] = fc.ddp.entries_touched(*d, s.buf_off, s.len);
      if (!cache_->sgl(p.flow, slot, first, last_entry, DdpTable::sg_entries(*d), lookups_)) {
        missed(out);
        continue;
      }
    }
    if (extend)
      last->run.len = uint16_t(last->run.len + s.len);
    else
      out.runs[out.nruns++] = {{uint16_t(s.off), uint16_t(s.len), d->io_tag, s.buf_off}, d};
    out.placed += s.len;
  }
}

void PlacementEngine::close_completed(const PacketCtx& p, FlowContext& fc) {
  for (const ReadEnd& e : p.plan.ended) {
    stats_.closed_by_completion += fc.ddp.note_completion(e.io_tag, e.end_seq);
    if (cache_) cache_->completion_written(p.flow, fc.ddp.slot_index(e.io_tag));
  }
}

uint32_t PlacementEngine::high_water(const Plan& plan, const DdpContext* d) {
  uint32_t hw = d->placed_end;
  for (uint8_t i = 0; i < plan.nruns; ++i)
    if (plan.runs[i].ddp == d) hw = std::max(hw, plan.runs[i].run.buf_off + plan.runs[i].run.len);
  return hw;
}

void PlacementEngine::place(const PacketCtx& p, int32_t slot, const Run& r) {
  const uint8_t* src = p.frame.data() + p.pf.payload_offset + r.run.payload_off;
  const uint64_t key = inflight_key(slot, r.run.io_tag);
  DmaTag tag;
  tag.kind = DmaTag::Kind::Placement;
  FlowContext& fc = *flows_.get(slot);
  tag.flow = fc.handle;
  tag.io_tag = r.run.io_tag;
  tag.packet = p.index;
  r.ddp->placed_end = std::max(r.ddp->placed_end, r.run.buf_off + r.run.len);
  if (cache_) cache_->placed(slot, fc.ddp.slot_index(r.run.io_tag));
  // One write per SG entry: translate emits each entry's part separately.
  fc.ddp.translate(*r.ddp, r.run.buf_off, r.run.len, [&](uint64_t addr, uint32_t n) {
    ++inflight_[key];
    dma_.write(addr, src, n, [this, key](ByteView, bool, const DmaTimes&) {
      const auto it = inflight_.find(key);
      if (--it->second == 0) inflight_.erase(it);
    }, tag);
    src += n;
    ++stats_.placement_writes;
  });
}

void PlacementEngine::gather_kept(const PacketCtx& p, const Plan& plan) {
  const uint8_t* f = p.frame.data();
  kept_.clear();
  size_t from = 0;
  for (uint8_t i = 0; i < plan.nruns; ++i) {
    const size_t at = p.pf.payload_offset + plan.runs[i].run.payload_off;
    kept_.insert(kept_.end(), f + from, f + at);
    from = at + plan.runs[i].run.len;
  }
  kept_.insert(kept_.end(), f + from, f + p.frame.size());
}

uint32_t PlacementEngine::write_rx_ring() {
  const uint32_t pos = uint32_t(rx_written_ % rx_bytes_);
  const uint32_t n = uint32_t(kept_.size());
  const uint32_t first = std::min(n, rx_bytes_ - pos);
  dma_.write(rx_base_ + pos, kept_.data(), first);
  if (n > first) dma_.write(rx_base_, kept_.data() + first, n - first);
  rx_written_ += n;
  return pos;
}

}  // namespace nic::hw
