#include "host_driver/ulp_ddp/ulp_ddp.hpp"

#include <algorithm>
#include <cstring>

#include "host_driver/ulp_ddp/placed_runs.hpp"

namespace nic::host {

abi::Cmd sk_add_command(const SkConfig& cfg, uint32_t handle) {
  abi::Cmd m;
  m.op = abi::CmdOp::SkAdd;
  m.flags = cfg.flags;
  m.pda = cfg.pda;
  m.flow = handle;
  m.seq = cfg.seq;
  m.queue_size = cfg.queue_size;
  m.ulp = cfg.ulp;
  m.max_data_seg = cfg.max_data_seg;
  m.ip_version = cfg.c2h.src.version;
  std::memcpy(m.src_ip, cfg.c2h.src.b.data(), 16);
  std::memcpy(m.dst_ip, cfg.c2h.dst.b.data(), 16);
  m.sport = cfg.c2h.sport;
  m.dport = cfg.c2h.dport;
  return m;
}

Bytes encode_sgl(const std::vector<SgEntry>& sgl) {
  Bytes b(sgl.size() * abi::kSgEntrySize, 0);
  for (size_t i = 0; i < sgl.size(); ++i) {
    st_le64(&b[i * abi::kSgEntrySize], sgl[i].addr);
    st_le32(&b[i * abi::kSgEntrySize + 8], sgl[i].len);
  }
  return b;
}

UlpDdp::UlpDdp(CommandQueue& nic, HostAccess& host, UlpOps& ulp, uint64_t sgl_area)
    : nic_(nic), host_(host), ulp_(ulp), sgl_area_(sgl_area) {}

void UlpDdp::post(const abi::Cmd& m, Kind kind, DdpSock& s, uint64_t io) {
  pending_[nic_.post(m)] = Pending{kind, &s, io};
}

DdpIo* UlpDdp::io_in(const std::unordered_map<uint32_t, uint64_t>& by_slot, uint32_t slot) {
  auto it = by_slot.find(slot);
  return it == by_slot.end() ? nullptr : ulp_.io(it->second);
}

DdpSock* UlpDdp::sock_of(uint32_t handle) const {
  // Only the socket's current handle names it.
  const auto it = by_handle_.find(handle);
  return it == by_handle_.end() || it->second->handle != handle ? nullptr : it->second;
}

DdpIo* UlpDdp::registered(const DdpSock& s, uint32_t tag) {
  DdpIo* io = io_in(s.registered, s.slot_of(tag));
  return io && io->tag == tag ? io : nullptr;
}

void UlpDdp::read_buffer(const DdpIo* io, uint32_t off, uint8_t* out, size_t n) const {
  if (!io) return;
  for_each_run(io->buf, off, uint32_t(n),
               [&](uint64_t addr, uint32_t len, uint32_t at) { host_.read(addr, out + at, len); });
}

void UlpDdp::sk_add(DdpSock& s, const SkConfig& cfg) {
  s.handle = next_handle_++;
  by_handle_[s.handle] = &s;
  s.slot_rule = cfg.slot_rule;
  s.off = DdpSock::Off::Adding;
  post(sk_add_command(cfg, s.handle), Kind::SkAdd, s, 0);
}

void UlpDdp::sk_del(DdpSock& s) {
  s.remove = true;
  maybe_remove(s);
}

// Its later frames then reach the stack as a flow the NIC does not know.
void UlpDdp::maybe_remove(DdpSock& s) {
  if (s.off != DdpSock::Off::On || !s.remove || !s.registered.empty()) return;
  abi::Cmd m;
  m.op = abi::CmdOp::SkDel;
  m.flow = s.handle;
  s.off = DdpSock::Off::Removing;
  post(m, Kind::SkDel, s, 0);
}

bool UlpDdp::want(DdpSock& s, DdpIo& io) {
  if (exceeds_sg_limit(io.buf.sgl, max_sg_)) {
    ++ctr_.ddp_skipped_sg_limit;
    return false;
  }
  if (s.off == DdpSock::Off::Failed) {
    ++ctr_.ddp_skipped_no_offload;
    return false;
  }
  io.want = true;
  if (s.off == DdpSock::Off::On) return true;
  s.waiting_setup.push_back(io.id);  // setups follow sk_add
  return false;
}

void UlpDdp::setup(DdpSock& s, DdpIo& io, uint32_t seq) {
  const uint32_t slot = s.slot_of(io.tag);
  if (const DdpIo* holder = io_in(s.registered, slot)) {
    if (holder->tag == io.tag) return;  // the tag's own previous request: no waiter entry
    std::deque<uint64_t>& w = s.slot_waiters[slot];
    if (std::find(w.begin(), w.end(), io.id) == w.end()) {
      w.push_back(io.id);
      ++ctr_.ddp_slot_waits;
    }
    return;
  }
  io.want = false;
  s.registered[slot] = io.id;
  abi::Cmd m;
  m.op = abi::CmdOp::DdpSetup;
  m.flow = s.handle;
  m.io_tag = io.tag;
  m.sg_count = uint32_t(io.buf.sgl.size());
  m.io_len = io.length;
  if (io.buf.sgl.size() == 1) {
    // One entry travels in the command: the NIC needs no SGL read (a PCIe round trip).
    m.flags = abi::kSetupInlineSgl;
    m.sgl_addr = io.buf.sgl[0].addr;
  } else {
    m.sgl_addr = sgl_slot(io.id);
    const Bytes sgl = encode_sgl(io.buf.sgl);
    host_.write(m.sgl_addr, sgl.data(), sgl.size());
  }
  m.seq = seq;
  io.posted = true;
  if (reg_hook_) reg_hook_(m.flow, m.io_tag, &io.buf.sgl);
  post(m, Kind::Setup, s, io.id);
}

void UlpDdp::teardown(DdpSock& s, DdpIo& io) {
  abi::Cmd m;
  m.op = abi::CmdOp::DdpTeardown;
  m.flow = s.handle;
  m.io_tag = io.tag;
  io.teardown_posted = true;
  post(m, Kind::Teardown, s, io.id);
}

void UlpDdp::resync(DdpSock& s, uint32_t seq) {
  abi::Cmd m;
  m.op = abi::CmdOp::Resync;
  m.flow = s.handle;
  m.seq = seq;
  ++ctr_.resync_confirmed;
  s.trust_next_crc = false;  // the first crc-ok after a resync is not trusted
  post(m, Kind::Resync, s, 0);
}

void UlpDdp::count_rx(const DdpSock& s, size_t frame_bytes) {
  if (!offloaded(s)) return;
  ++ctr_.packets;
  ctr_.bytes += frame_bytes;
}

void UlpDdp::rx_resync(DdpSock& s, const abi::Cqe& c) {
  if (!(c.flags & abi::cqeflag::RESYNC)) return;
  ++ctr_.resync;
  ulp_.resync_request(s, c.resync_seq);
}

bool UlpDdp::trust_crc(DdpSock& s, const abi::Cqe& c) {
  const bool trust = s.trust_next_crc;
  if (!trust && (c.flags & abi::cqeflag::CRC_OK)) {
    ++ctr_.untrusted_crc;
    s.trust_next_crc = true;
  }
  return trust;
}

ByteView UlpDdp::rebuild(const abi::Cqe& c, ByteView kept) {
  if (c.nruns == 0) return kept;
  Bytes& frame = frame_;
  frame.clear();
  frame.reserve(c.frame_len);
  // Placed runs are payload ranges; kept bytes fill everything else in order.
  const DdpSock* s = sock_of(c.flow);
  if (s && !offloaded(*s)) s = nullptr;
  abi::PlacedRun runs[abi::kMaxRunsPerCqe];
  sort_runs(c.runs, c.nruns, runs);
  size_t kpos = 0;
  auto take_kept = [&](size_t upto) {
    const size_t n = std::min(upto - frame.size(), kept.size - kpos);
    frame.insert(frame.end(), kept.data + kpos, kept.data + kpos + n);
    kpos += n;
  };
  for (size_t i = 0; i < c.nruns; ++i) {
    take_kept(size_t(c.l4_off) + runs[i].payload_off);
    const size_t at = frame.size();
    frame.resize(at + runs[i].len);
    // Bytes the NIC placed for a tag are in the buffer registered at the NIC for it.
    if (s)
      read_buffer(registered(*s, runs[i].io_tag), runs[i].buf_off, frame.data() + at,
                  runs[i].len);
  }
  take_kept(c.frame_len);
  return frame;
}

void UlpDdp::cmd_done(const abi::Cqe& c) {
  auto it = pending_.find(c.tag);
  if (it == pending_.end()) return;
  const Pending pc = it->second;
  pending_.erase(it);
  const bool ok = c.status == uint8_t(abi::CmdStatus::Ok);
  DdpSock& s = *pc.sock;
  switch (pc.kind) {
    case Kind::SkAdd:
      if (ok) {
        ++ctr_.sk_add;
        s.off = DdpSock::Off::On;
      } else {
        ++ctr_.sk_add_fail;
        s.off = DdpSock::Off::Failed;
      }
      while (!s.waiting_setup.empty()) {
        DdpIo* io = ulp_.io(s.waiting_setup.front());
        s.waiting_setup.pop_front();
        if (!io || io->rx_done) continue;
        if (ok) {
          ulp_.try_setup(*io);
        } else {
          io->want = false;
          ++ctr_.ddp_skipped_no_offload;
        }
      }
      break;
    case Kind::Setup: {
      host_.release(sgl_slot(pc.io), sgl_slot_bytes());  // the NIC has read the SGL
      DdpIo* io = ulp_.io(pc.io);
      if (ok) {
        ++ctr_.ddp_setup;
      } else {
        ++ctr_.ddp_setup_fail;
        if (io) {
          io->posted = false;  // nothing to tear down
          if (reg_hook_) reg_hook_(s.handle, io->tag, nullptr);
          unregister(s, *io);
        }
      }
      if (io && io->rx_done && !io->teardown_posted) ulp_.released(*io);
      break;
    }
    case Kind::Teardown: {
      // Ok: TeardownDone follows once in-flight writes landed; otherwise it is already free.
      DdpIo* io = ulp_.io(pc.io);
      if (!ok && io) {
        io->posted = false;
        if (reg_hook_) reg_hook_(s.handle, io->tag, nullptr);
        unregister(s, *io);
        ulp_.released(*io);
      }
      break;
    }
    case Kind::SkDel:
      if (ok) {
        ++ctr_.sk_del;
        s.off = DdpSock::Off::Removed;
      } else {
        s.off = DdpSock::Off::On;  // a registration still drains: the next teardown retries
      }
      break;
    case Kind::Resync:
      break;
  }
}

void UlpDdp::teardown_done(const abi::Cqe& c) {
  ++ctr_.ddp_teardown;
  // A request with its setup posted holds its slot (`registered`) until it is unregistered.
  DdpSock* s = sock_of(c.flow);
  DdpIo* io = s ? io_in(s->registered, s->slot_of(c.io_tag)) : nullptr;
  if (io && io->teardown_posted && io->posted && io->tag == c.io_tag) {
    io->posted = false;
    unregister(*s, *io);
    ulp_.released(*io);
  }
}

void UlpDdp::unregister(DdpSock& s, DdpIo& io) {
  const uint32_t slot = s.slot_of(io.tag);
  auto r = s.registered.find(slot);
  if (r == s.registered.end() || r->second != io.id) return;
  s.registered.erase(r);
  maybe_remove(s);
  ulp_.tag_free(io);
  // Then requests of other tags waiting for the slot, oldest first.
  auto w = s.slot_waiters.find(slot);
  if (w == s.slot_waiters.end()) return;
  while (!w->second.empty() && !s.registered.count(slot)) {
    DdpIo* n = ulp_.io(w->second.front());
    w->second.pop_front();
    if (n) ulp_.try_setup(*n);
  }
  if (w->second.empty()) s.slot_waiters.erase(w);
}

}  // namespace nic::host
