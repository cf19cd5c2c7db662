#include "tb/check/trace_reference.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <set>
#include <unordered_map>

#include "proto/nvme_tcp.hpp"
#include "tb/common/sha256.hpp"

namespace nic::check {

std::string ReferenceCommand::sha256() const { return tb::sha256_hex(data); }

namespace {

// Adds [lo, hi) to disjoint, non-adjacent ranges (start -> end); returns the bytes it added.
uint64_t cover(std::map<uint32_t, uint32_t>& ranges, uint32_t lo, uint32_t hi) {
  if (lo >= hi) return 0;
  uint64_t before = 0;
  auto it = ranges.upper_bound(lo);
  if (it != ranges.begin() && std::prev(it)->second >= lo) --it;
  while (it != ranges.end() && it->first <= hi) {  // overlapping or touching: absorb it
    before += it->second - it->first;
    lo = std::min(lo, it->first);
    hi = std::max(hi, it->second);
    it = ranges.erase(it);
  }
  ranges.emplace(lo, hi);
  return (hi - lo) - before;
}

// Whether [lo, hi) shares a byte with the ranges.
bool overlaps(const std::map<uint32_t, uint32_t>& ranges, uint32_t lo, uint32_t hi) {
  auto it = ranges.upper_bound(lo);
  if (it != ranges.begin() && std::prev(it)->second > lo) return true;
  return it != ranges.end() && it->first < hi;
}

// One direction of a TCP connection, reassembled as a receiver would: sequence numbers are
// unwrapped, the first copy of a byte to arrive wins, and bytes are handed on once every byte
// before them has arrived. Segments with bad checksums never get here.
class Reassembly {
 public:
  // Calls out(ByteView) for the bytes this segment made in-order.
  template <class Out>
  void add(uint32_t seq, uint8_t flags, ByteView payload, Out&& out) {
    if (flags & net::tcpflag::SYN) {
      last_seq_ = seq + 1;
      last_off_ = 0;
      anchored_ = true;
      return;
    }
    if (payload.empty()) return;
    if (!anchored_) {  // capture started mid-connection: the first byte seen anchors it
      last_seq_ = seq;
      anchored_ = true;
    }
    // Unwrap relative to the previous segment: reordering stays far below 2^31 bytes.
    const int64_t off = last_off_ + int32_t(seq - last_seq_);
    last_seq_ = seq;
    last_off_ = off;
    const int64_t end = off + int64_t(payload.size);
    int64_t at = std::max(off, next_);
    if (at == next_ && at < end) {  // in order: straight on, up to the first piece held ahead
      const int64_t stop = ahead_.empty() ? end : std::min(end, ahead_.begin()->first);
      next_ = stop;
      out(payload.sub(size_t(at - off), size_t(stop - at)));
      at = stop;
    }
    // Only the gaps between pieces already held are new: earlier arrivals keep their bytes.
    auto it = ahead_.upper_bound(at);
    if (it != ahead_.begin()) at = std::max(at, end_of(*std::prev(it)));
    while (at < end) {
      it = ahead_.lower_bound(at);
      const int64_t stop = it == ahead_.end() ? end : std::min(end, it->first);
      if (stop > at) {
        ahead_.emplace_hint(it, at, Bytes(payload.begin() + (at - off), payload.begin() + (stop - off)));
        held_ += size_t(stop - at);
      }
      if (it == ahead_.end()) break;
      at = end_of(*it);
    }
    while (!ahead_.empty() && ahead_.begin()->first == next_) {
      const auto piece = ahead_.extract(ahead_.begin());
      held_ -= piece.mapped().size();
      next_ += int64_t(piece.mapped().size());
      out(ByteView(piece.mapped()));
    }
  }
  size_t held() const { return held_; }

 private:
  static int64_t end_of(const std::pair<const int64_t, Bytes>& p) {
    return p.first + int64_t(p.second.size());
  }
  bool anchored_ = false;
  uint32_t last_seq_ = 0;
  int64_t last_off_ = 0;  // stream offset of last_seq_
  int64_t next_ = 0;      // stream offset of the first byte not yet handed on
  std::map<int64_t, Bytes> ahead_;  // pieces past a hole, never overlapping
  size_t held_ = 0;
};

// Gives `b` a spare buffer for a scope, and it (or whatever buffer `b` holds then) back after.
class Lend {
 public:
  Lend(tb::BytePool& pool, Bytes& b) : pool_(pool), b_(b) { b_ = pool_.take(); }
  ~Lend() { pool_.give(std::move(b_)); }
  Lend(const Lend&) = delete;
  Lend& operator=(const Lend&) = delete;

 private:
  tb::BytePool& pool_;
  Bytes& b_;
};

}  // namespace

class ReferenceDecoder::Connection {
 public:
  Connection(std::string flow, const Done& done, const LateData& late, tb::BytePool& spare)
      : flow_(std::move(flow)), done_(done), late_(late), spare_(spare) {}

  void segment(bool c2h, uint32_t seq, uint8_t flags, ByteView payload) {
    if (state_ == State::Ignored) return;
    Side& s = c2h ? c2h_ : h2c_;
    s.tcp.add(seq, flags, payload, [&](ByteView b) { take(s, b); });
    if (held() > kMaxHeldBytes) {
      give_up("reassembly: more than " + std::to_string(kMaxHeldBytes >> 20) +
              " MiB held behind a hole");
      ignore();
      return;
    }
    if (state_ == State::Opening && !start()) return;
    decode_commands();
    decode_responses();
  }

  void finish() {
    for (auto& [order, cmd] : open_) hand_on(cmd);
    open_.clear();
    by_cid_.clear();
  }

  size_t open() const { return open_.size(); }
  size_t held() const {
    return h2c_.tcp.held() + c2h_.tcp.held() + h2c_.pdus.buffered() + c2h_.pdus.buffered();
  }

 private:
  struct Side {
    Reassembly tcp;
    Bytes ic;                  // the IC PDU, the stream's first kIcPduLen bytes
    nvme::StreamDecoder pdus;  // everything after it
    bool stopped = false;      // no more PDUs are decoded from this side
  };
  enum class State : uint8_t { Opening, Open, Ignored };

  void take(Side& s, ByteView b) {
    const size_t n = std::min(b.size, nvme::kIcPduLen - s.ic.size());
    s.ic.insert(s.ic.end(), b.begin(), b.begin() + n);
    if (!s.stopped) s.pdus.feed(b.sub(n));
  }

  // Both IC PDUs are in: the connection's digests and alignment. False until then, or when
  // this is not NVMe/TCP (the connection is then ignored).
  bool start() {
    if (h2c_.ic.size() < nvme::kIcPduLen || c2h_.ic.size() < nvme::kIcPduLen) return false;
    nvme::Pdu req, resp;
    if (nvme::decode_pdu(h2c_.ic, nvme::ConnParams{}, req) != nvme::PduError::None ||
        req.ch.type != nvme::PduType::ICReq ||
        nvme::decode_pdu(c2h_.ic, nvme::ConnParams{}, resp) != nvme::PduError::None ||
        resp.ch.type != nvme::PduType::ICResp) {
      ignore();
      return false;
    }
    nvme::ConnParams cp;
    const auto& r = std::get<nvme::IcResp>(resp.body);
    cp.hdgst = r.dgst & 1;
    cp.ddgst = r.dgst & 2;
    cp.hpda = std::get<nvme::IcReq>(req.body).hpda;
    cp.cpda = r.cpda;
    h2c_.pdus.set_params(cp);
    c2h_.pdus.set_params(cp);
    state_ = State::Open;
    return true;
  }

  void ignore() {
    state_ = State::Ignored;
    h2c_ = Side();
    c2h_ = Side();
  }

  // Host->controller: the read commands, in wire order.
  void decode_commands() {
    nvme::Pdu pdu;
    nvme::PduError err;
    while (!h2c_.stopped && h2c_.pdus.next(pdu, err)) {
      if (err != nvme::PduError::None && err != nvme::PduError::BadDataDigest) {
        h2c_.stopped = true;
        break;
      }
      if (pdu.ch.type != nvme::PduType::CapsuleCmd) continue;
      nvme::ReadCmd rc;
      if (!nvme::ReadCmd::from_sqe(std::get<nvme::Sqe>(pdu.body), rc)) continue;
      ReferenceCommand cmd;
      cmd.flow = flow_;
      cmd.cid = rc.cid;
      cmd.order = next_order_++;
      cmd.length = rc.length;
      cmd.after_late_data = late_cids_.erase(rc.cid) > 0;
      if (!broken_.empty()) {  // nothing from the controller will ever complete it
        cmd.problem = broken_;
        done_(cmd);
        continue;
      }
      by_cid_[rc.cid].push_back(cmd.order);
      open_.emplace(cmd.order, std::move(cmd));
    }
  }

  // Controller->host: data and completions. A CID names the oldest of its open commands
  // (CIDs are reused only after completion).
  void decode_responses() {
    nvme::Pdu pdu;
    // Data PDUs are decoded into a spare buffer, given back after: a connection keeps none.
    const Lend lend(spare_, pdu.data);
    nvme::PduError err;
    while (!c2h_.stopped && c2h_.pdus.next(pdu, err)) {
      const bool digest_bad = err == nvme::PduError::BadDataDigest;
      if (err != nvme::PduError::None && !digest_bad) {
        give_up(std::string("framing: ") + nvme::to_string(err));
        return;
      }
      if (pdu.ch.type == nvme::PduType::C2HData) {
        const auto& h = std::get<nvme::DataHdr>(pdu.body);
        ReferenceCommand* cmd = current(h.cccid);
        if (!cmd) {
          late_cids_.insert(h.cccid);
          late_data(h.cccid);
          continue;
        }
        const uint32_t n = uint32_t(pdu.data.size());
        if (uint64_t(h.datao) + n > cmd->length) {
          cmd->problem = "C2HData past the command's length";
        } else if (overlaps(cmd->got, h.datao, h.datao + n)) {
          // A read's data comes once: which copy is right is not the host's to guess.
          cmd->problem = "C2HData repeating bytes the read already had";
          late_data(h.cccid);
        } else {
          if (h.datao == 0 && n == cmd->length && n) {
            // The PDU is the whole read: its buffer becomes the read's (no copy), and the
            // next PDU is decoded into the read's old buffer or a spare.
            std::swap(cmd->data, pdu.data);
            if (!pdu.data.capacity()) pdu.data = spare_.take();
          } else {
            std::copy(pdu.data.begin(), pdu.data.end(), buffer(*cmd) + h.datao);
          }
          cmd->bytes_received += n;
          cmd->bytes_covered += cover(cmd->got, h.datao, h.datao + n);
          cmd->digest_error |= digest_bad;
        }
        // A PDU refused for the buffer still ends the read when it says so.
        if (pdu.ch.flags & nvme::pduflag::SUCCESS) complete(*cmd);
      } else if (pdu.ch.type == nvme::PduType::CapsuleResp) {
        const auto& cqe = std::get<nvme::Cqe>(pdu.body);
        if (ReferenceCommand* cmd = current(cqe.cid)) {
          cmd->status = uint16_t(cqe.status >> 1);
          complete(*cmd);
        }
      } else if (pdu.ch.type == nvme::PduType::C2HTermReq) {
        give_up("controller terminated the connection");
        return;
      }
    }
  }

  // C2HData for `cid` that is no open read's own data: news for the read it last completed.
  void late_data(uint16_t cid) {
    auto it = last_done_.find(cid);
    if (it != last_done_.end() && late_) late_(flow_, it->second);
  }

  ReferenceCommand* current(uint16_t cid) {
    auto it = by_cid_.find(cid);
    return it == by_cid_.end() ? nullptr : &open_.at(it->second.front());
  }

  void complete(ReferenceCommand& cmd) {
    cmd.completed = true;
    const uint32_t order = cmd.order;
    const uint16_t cid = cmd.cid;
    last_done_[cid] = order;
    hand_on(cmd);
    auto it = by_cid_.find(cid);
    it->second.pop_front();  // `cmd` was current(cid), the front
    if (it->second.empty()) by_cid_.erase(it);
    open_.erase(order);
  }

  // The buffer sized to the read. Its bytes are the read's only where some C2HData wrote
  // them (a spare keeps its old bytes, a grown buffer is zero) until hand_on() zeroes the rest.
  uint8_t* buffer(ReferenceCommand& cmd) {
    if (cmd.data.size() != cmd.length) {
      if (!cmd.data.capacity()) cmd.data = spare_.take();
      cmd.data.resize(cmd.length);
    }
    return cmd.data.data();
  }

  // Hands the read on with what the buffer must hold: the bytes received, zero where none
  // came. Whatever buffer the receiver leaves behind is kept for later reads.
  void hand_on(ReferenceCommand& cmd) {
    uint8_t* d = buffer(cmd);
    if (cmd.bytes_covered < cmd.length) {
      uint32_t at = 0;
      for (const auto& [lo, hi] : cmd.got) {
        std::fill(d + at, d + lo, uint8_t(0));
        at = hi;
      }
      std::fill(d + at, d + cmd.length, uint8_t(0));
    }
    done_(cmd);
    spare_.give(std::move(cmd.data));
  }

  // The controller stream can no longer be followed: every open read ends unjudged, and so
  // will every read the host sends from now on.
  void give_up(const std::string& why) {
    broken_ = why;
    c2h_.stopped = true;
    for (auto& [order, cmd] : open_) cmd.problem = why;
    finish();
  }

  const std::string flow_;
  const Done& done_;
  const LateData& late_;
  tb::BytePool& spare_;
  Side h2c_, c2h_;
  State state_ = State::Opening;
  std::string broken_;  // why the controller stream stopped, empty while it runs
  uint32_t next_order_ = 0;
  std::map<uint32_t, ReferenceCommand> open_;  // by order
  std::set<uint16_t> late_cids_;  // CIDs with data for no open read, until a read reuses them
  std::unordered_map<uint16_t, uint32_t> last_done_;  // CID -> order of its last completed read
  std::unordered_map<uint16_t, std::deque<uint32_t>> by_cid_;  // open orders, oldest first
};

ReferenceDecoder::ReferenceDecoder(Done done, uint16_t nvme_port)
    : done_(std::move(done)), port_(nvme_port) {}

ReferenceDecoder::~ReferenceDecoder() = default;

ReferenceDecoder::Connection& ReferenceDecoder::connection(const net::FiveTuple& key) {
  if (last_ && key == last_key_) return *last_;
  auto& conn = conns_[key];
  if (!conn)
    conn = std::make_unique<Connection>(net::endpoint_str(key.src, key.sport), done_, late_, spare_);
  last_key_ = key;
  last_ = conn.get();
  return *conn;
}

void ReferenceDecoder::add(ByteView frame) {
  net::ParsedFrame pf;
  if (net::parse_frame(frame, pf) != net::ParseError::None) return;
  const bool c2h = pf.tuple.sport == port_;
  if (!c2h && pf.tuple.dport != port_) return;
  if (!pf.tcp_checksum_ok || !pf.ip_checksum_ok) return;  // a receiver drops it
  Connection& conn = connection(c2h ? pf.tuple.reversed() : pf.tuple);
  const size_t before = conn.open();  // only this connection's reads can change
  conn.segment(c2h, pf.seq, pf.tcp_flags, frame.sub(pf.payload_offset, pf.payload_len));
  open_ = open_ - before + conn.open();
  open_max_ = std::max(open_max_, open_);
}

void ReferenceDecoder::finish() {
  std::vector<std::pair<const net::FiveTuple*, Connection*>> by_tuple;
  for (auto& [key, conn] : conns_) by_tuple.emplace_back(&key, conn.get());
  std::sort(by_tuple.begin(), by_tuple.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  for (const auto& [key, conn] : by_tuple) conn->finish();
  open_ = 0;
}

size_t ReferenceDecoder::held_bytes() const {
  size_t n = 0;
  for (const auto& [key, conn] : conns_) n += conn->held();
  return n;
}

}  // namespace nic::check
