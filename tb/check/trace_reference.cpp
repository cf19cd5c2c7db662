#include "tb/check/trace_reference.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <set>
#include <unordered_map>

#include "proto/iscsi.hpp"
#include "proto/iscsi_login.hpp"
#include "proto/nvme_tcp.hpp"
#include "util/sha256.hpp"

namespace nic::check {

std::string ReferenceCommand::sha256() const { return sha256_hex(data); }

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
  // `opens`: the payload begins with the PDU this direction opens with (ICReq, ICResp, a
  // Login Request or Response). Without the handshake in the capture, that segment is the
  // stream's start; bytes before a start are not taken.
  template <class Out>
  void add(uint32_t seq, uint8_t flags, ByteView payload, bool opens, Out&& out) {
    if (flags & net::tcpflag::SYN) {
      last_seq_ = seq + 1;
      last_off_ = 0;
      anchored_ = true;
      return;
    }
    if (payload.empty()) return;
    if (!anchored_ && !opens) {
      ++unanchored_;
      return;
    }
    if (!anchored_) {
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
  bool anchored() const { return anchored_; }
  uint64_t unanchored() const { return unanchored_; }  // segments with payload before any start

 private:
  static int64_t end_of(const std::pair<const int64_t, Bytes>& p) {
    return p.first + int64_t(p.second.size());
  }
  bool anchored_ = false;
  uint64_t unanchored_ = 0;
  uint32_t last_seq_ = 0;
  int64_t last_off_ = 0;  // stream offset of last_seq_
  int64_t next_ = 0;      // stream offset of the first byte not yet handed on
  std::map<int64_t, Bytes> ahead_;  // pieces past a hole, never overlapping
  size_t held_ = 0;
};

// A map's entries (by host->controller tuple) in tuple order, so what is reported at the end
// comes in the same order every run.
template <class Map>
auto in_tuple_order(Map& m) {
  std::vector<std::pair<const net::FiveTuple*, typename Map::mapped_type::element_type*>> v;
  for (auto& [key, p] : m) v.emplace_back(&key, p.get());
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
  return v;
}

// Gives `b` a spare buffer for a scope, and it (or whatever buffer `b` holds then) back after.
class Lend {
 public:
  Lend(BytePool& pool, Bytes& b) : pool_(pool), b_(b) { b_ = pool_.take(); }
  ~Lend() { pool_.give(std::move(b_)); }
  Lend(const Lend&) = delete;
  Lend& operator=(const Lend&) = delete;

 private:
  BytePool& pool_;
  Bytes& b_;
};

}  // namespace

// What both protocols share: the TCP reassembly of both directions and the connection's
// reads, by tag and in wire order, with their data by offset and their ends. A protocol
// decodes the in-order bytes (take, decode) and calls open_read, accept and complete.
class ReferenceDecoder::Connection {
 public:
  Connection(std::string flow, bool iscsi, const Done& done, const LateData& late, BytePool& spare)
      : flow_(std::move(flow)), iscsi_(iscsi), done_(done), late_(late), spare_(spare) {}
  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void segment(bool c2h, uint32_t seq, uint8_t flags, ByteView payload, bool opens) {
    if (ignored_) return;
    (c2h ? c2h_tcp_ : h2c_tcp_).add(seq, flags, payload, opens, [&](ByteView b) { take(c2h, b); });
    if (held() > kMaxHeldBytes) {
      give_up("reassembly: more than " + std::to_string(kMaxHeldBytes >> 20) +
              " MiB held behind a hole");
      ignore();
      return;
    }
    decode();
  }

  void finish() {
    for (auto& [order, cmd] : open_) hand_on(cmd);
    open_.clear();
    by_tag_.clear();
  }

  size_t open() const { return open_.size(); }
  uint32_t reads() const { return next_order_; }  // read commands decoded so far
  uint32_t unfinished() const { return unfinished_; }  // handed on neither completed nor broken
  size_t held() const { return h2c_tcp_.held() + c2h_tcp_.held() + buffered(); }

 protected:
  virtual void take(bool c2h, ByteView in_order) = 0;
  virtual void decode() = 0;
  virtual size_t buffered() const = 0;  // stream bytes not yet decoded
  virtual void reset() = 0;             // drops the protocol's decode state

  // Not this protocol after all, or beyond following: nothing more is decoded.
  void ignore() {
    ignored_ = true;
    h2c_tcp_ = Reassembly();
    c2h_tcp_ = Reassembly();
    reset();
  }
  bool broken() const { return !broken_.empty(); }

  // A read command of the host's stream, in wire order.
  void open_read(uint32_t tag, uint32_t length) {
    ReferenceCommand cmd;
    cmd.flow = flow_;
    cmd.tag = tag;
    cmd.iscsi = iscsi_;
    cmd.order = next_order_++;
    cmd.length = length;
    cmd.after_late_data = late_tags_.erase(tag) > 0;
    if (broken()) {  // nothing from the controller will ever complete it
      cmd.problem = broken_;
      done_(cmd);
      return;
    }
    by_tag_[tag].push_back(cmd.order);
    open_.emplace(cmd.order, std::move(cmd));
  }

  // A tag names the oldest of its open reads (tags are reused only after completion).
  ReferenceCommand* current(uint32_t tag) {
    auto it = by_tag_.find(tag);
    return it == by_tag_.end() ? nullptr : &open_.at(it->second.front());
  }
  // The read a data PDU's tag names; null when none is open, after telling the read the tag
  // last completed.
  ReferenceCommand* data_for(uint32_t tag) {
    if (ReferenceCommand* cmd = current(tag)) return cmd;
    late_tags_.insert(tag);
    late_data(tag);
    return nullptr;
  }

  // A data PDU's bytes at `offset` in `cmd`'s buffer; `pdu` names it in problems. `data` may
  // be swapped with the read's buffer (it then holds a spare).
  void accept(ReferenceCommand& cmd, uint32_t offset, Bytes& data, bool digest_bad, const char* pdu) {
    const uint32_t n = uint32_t(data.size());
    if (uint64_t(offset) + n > cmd.length) {
      cmd.problem = std::string(pdu) + " past the command's length";
      return;
    }
    if (overlaps(cmd.got, offset, offset + n)) {
      // A read's data comes once: which copy is right is not the host's to guess.
      cmd.problem = std::string(pdu) + " repeating bytes the read already had";
      late_data(cmd.tag);
      return;
    }
    if (offset == 0 && n == cmd.length && n) {
      // The PDU is the whole read: its buffer becomes the read's (no copy), and the next PDU
      // is decoded into the read's old buffer or a spare.
      std::swap(cmd.data, data);
      if (!data.capacity()) data = spare_.take();
    } else {
      std::copy(data.begin(), data.end(), buffer(cmd) + offset);
    }
    cmd.bytes_received += n;
    cmd.bytes_covered += cover(cmd.got, offset, offset + n);
    cmd.digest_error |= digest_bad;
  }

  // The read ends failed here: a PDU of its own broke a rule, and the initiator aborts it.
  void abort(ReferenceCommand& cmd, const std::string& why) {
    cmd.problem = why;
    end(cmd);
  }

  void complete(ReferenceCommand& cmd) {
    cmd.completed = true;
    end(cmd);
  }

  void end(ReferenceCommand& cmd) {
    const uint32_t order = cmd.order;
    const uint32_t tag = cmd.tag;
    last_done_[tag] = order;
    hand_on(cmd);
    auto it = by_tag_.find(tag);
    it->second.pop_front();  // `cmd` was current(tag), the front
    if (it->second.empty()) by_tag_.erase(it);
    open_.erase(order);
  }

  // The controller stream can no longer be followed: every open read ends unjudged, and so
  // will every read the host sends from now on.
  void give_up(const std::string& why) {
    broken_ = why;
    for (auto& [order, cmd] : open_) cmd.problem = why;
    finish();
  }

  BytePool& spare() { return spare_; }

 private:
  // Data for `tag` that is no open read's own data: news for the read it last completed.
  void late_data(uint32_t tag) {
    auto it = last_done_.find(tag);
    if (it != last_done_.end() && late_) late_(flow_, it->second);
  }

  // The buffer sized to the read. Its bytes are the read's only where some data PDU wrote
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
    unfinished_ += !cmd.completed && cmd.problem.empty();
    done_(cmd);
    spare_.give(std::move(cmd.data));
  }

  const std::string flow_;
  const bool iscsi_;
  const Done& done_;
  const LateData& late_;
  BytePool& spare_;
  Reassembly h2c_tcp_, c2h_tcp_;
  bool ignored_ = false;
  std::string broken_;  // why the controller stream stopped, empty while it runs
  uint32_t next_order_ = 0;
  uint32_t unfinished_ = 0;
  std::map<uint32_t, ReferenceCommand> open_;  // by order
  std::set<uint32_t> late_tags_;  // tags with data for no open read, until a read reuses them
  std::unordered_map<uint32_t, uint32_t> last_done_;  // tag -> order of its last completed read
  std::unordered_map<uint32_t, std::deque<uint32_t>> by_tag_;  // open orders, oldest first
};

// NVMe/TCP: the IC PDUs give digests and alignment; reads are CapsuleCmd reads, their data
// C2HData by DATAO, their end SUCCESS or a CapsuleResp.
class ReferenceDecoder::NvmeConnection final : public Connection {
 public:
  using Connection::Connection;

 private:
  struct Side {
    Bytes ic;                  // the IC PDU, the stream's first kIcPduLen bytes
    nvme::StreamDecoder pdus;  // everything after it
    bool stopped = false;      // no more PDUs are decoded from this side
  };

  void take(bool c2h, ByteView b) override {
    Side& s = c2h ? c2h_ : h2c_;
    const size_t n = std::min(b.size, nvme::kIcPduLen - s.ic.size());
    s.ic.insert(s.ic.end(), b.begin(), b.begin() + n);
    if (!s.stopped) s.pdus.feed(b.sub(n));
  }
  size_t buffered() const override { return h2c_.pdus.buffered() + c2h_.pdus.buffered(); }
  void reset() override {
    h2c_ = Side();
    c2h_ = Side();
  }
  void decode() override {
    if (!started_ && !start()) return;
    decode_commands();
    decode_responses();
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
    started_ = true;
    return true;
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
      if (nvme::ReadCmd::from_sqe(std::get<nvme::Sqe>(pdu.body), rc)) open_read(rc.cid, rc.length);
    }
  }

  // Controller->host: data and completions.
  void decode_responses() {
    nvme::Pdu pdu;
    // Data PDUs are decoded into a spare buffer, given back after: a connection keeps none.
    const Lend lend(spare(), pdu.data);
    nvme::PduError err;
    while (!broken() && c2h_.pdus.next(pdu, err)) {
      const bool digest_bad = err == nvme::PduError::BadDataDigest;
      if (err != nvme::PduError::None && !digest_bad) {
        give_up(std::string("framing: ") + nvme::to_string(err));
        return;
      }
      if (pdu.ch.type == nvme::PduType::C2HData) {
        const auto& h = std::get<nvme::DataHdr>(pdu.body);
        ReferenceCommand* cmd = data_for(h.cccid);
        if (!cmd) continue;
        accept(*cmd, h.datao, pdu.data, digest_bad, "C2HData");
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

  Side h2c_, c2h_;
  bool started_ = false;
};

// iSCSI: the login's text keys, from both sides, settle the digests and the data segment
// limits of full-feature phase; reads are SCSI Commands with R and data to read (any CDB:
// the target answers them all with Data-In by ITT, as a NIC places them); their data is
// Data-In by Buffer Offset, their end a Data-In with S or a SCSI Response.
class ReferenceDecoder::IscsiConnection final : public Connection {
 public:
  using Connection::Connection;

 private:
  struct Side {
    iscsi::StreamDecoder pdus;
    iscsi::TextAssembler text;
    iscsi::TextKeys keys;      // all its login text
    bool login_final = false;  // its last login PDU went by: what follows is full-feature
    bool stopped = false;
  };

  void take(bool c2h, ByteView b) override {
    Side& s = c2h ? tgt_ : ini_;
    if (!s.stopped) s.pdus.feed(b);
  }
  size_t buffered() const override { return ini_.pdus.buffered() + tgt_.pdus.buffered(); }
  void reset() override {
    ini_ = Side();
    tgt_ = Side();
  }
  // Each side stops at the end of its login until both have ended it: its next PDU may carry
  // digests, and which ones only the keys of both sides say.
  void decode() override {
    for (;;) {
      decode_commands();
      decode_responses();
      if (negotiated_ || !ini_.login_final || !tgt_.login_final || ignored_login_) return;
      const iscsi::NegotiationResult n = iscsi::negotiate(ini_.keys, tgt_.keys);
      if (n.error != iscsi::NegotiationError::None) {
        give_up(std::string("login: ") + iscsi::to_string(n.error) + " on " + n.key);
        ignored_login_ = true;
        return;
      }
      ini_.pdus.set_full_feature_params(n.params.from_initiator());
      tgt_.pdus.set_full_feature_params(n.params.from_target());
      negotiated_ = true;
    }
  }

  static void login_text(Side& s, const Bytes& data, bool cont) {
    if (!s.text.add(ByteView(data), cont)) return;
    iscsi::TextKeys keys;
    if (s.text.parse(keys) == iscsi::TextError::None) s.keys.insert(s.keys.end(), keys.begin(), keys.end());
    s.text = iscsi::TextAssembler();
  }

  bool may_decode(const Side& s) const { return !s.stopped && (negotiated_ || !s.login_final); }

  // Initiator->target: login text and the read commands, in wire order.
  void decode_commands() {
    iscsi::Pdu pdu;
    iscsi::PduError err;
    while (may_decode(ini_) && ini_.pdus.next(pdu, err)) {
      if (err != iscsi::PduError::None && err != iscsi::PduError::BadDataDigest) {
        ini_.stopped = true;
        break;
      }
      if (const auto* rq = std::get_if<iscsi::LoginReq>(&pdu.body)) {
        login_text(ini_, pdu.data, rq->cont);
        ini_.login_final = rq->transit && rq->nsg == iscsi::kFullFeaturePhase;
      } else if (const auto* c = std::get_if<iscsi::ScsiCommand>(&pdu.body)) {
        if (c->read && c->expected_length) open_read(c->itt, c->expected_length);
      }
    }
  }

  // Target->initiator: login text, Data-In and status.
  void decode_responses() {
    iscsi::Pdu pdu;
    const Lend lend(spare(), pdu.data);
    iscsi::PduError err;
    while (!broken() && may_decode(tgt_) && tgt_.pdus.next(pdu, err)) {
      const bool digest_bad = err == iscsi::PduError::BadDataDigest;
      if (iscsi::breaks_framing(err) || err == iscsi::PduError::Truncated) {
        give_up(std::string("framing: ") + iscsi::to_string(err));
        return;
      }
      if (err != iscsi::PduError::None && !digest_bad) {
        // A rule of this PDU alone: a Data-In's read ends failed, anything else is ignored.
        if (const auto* d = std::get_if<iscsi::DataIn>(&pdu.body))
          if (ReferenceCommand* cmd = data_for(d->itt))
            abort(*cmd, std::string("Data-In header: ") + iscsi::to_string(err));
        continue;
      }
      if (const auto* a = std::get_if<iscsi::AsyncMsg>(&pdu.body)) {
        if (a->event == iscsi::kAsyncDropConnection || a->event == iscsi::kAsyncDropAllConnections) {
          give_up("target dropped the connection (Async Message)");
          return;
        }
      } else if (const auto* rs = std::get_if<iscsi::LoginResp>(&pdu.body)) {
        login_text(tgt_, pdu.data, rs->cont);
        tgt_.login_final = rs->enters_full_feature();
      } else if (const auto* d = std::get_if<iscsi::DataIn>(&pdu.body)) {
        ReferenceCommand* cmd = data_for(d->itt);
        if (!cmd) continue;
        accept(*cmd, d->buffer_offset, pdu.data, digest_bad, "Data-In");
        if (d->has_status) {
          cmd->status = d->status;
          complete(*cmd);
        }
      } else if (const auto* r = std::get_if<iscsi::ScsiResponse>(&pdu.body)) {
        // Its data segment is sense data, not the read's.
        if (ReferenceCommand* cmd = current(r->itt)) {
          cmd->status = uint16_t(r->response << 8 | r->status);
          complete(*cmd);
        }
      }
    }
  }

  Side ini_, tgt_;
  bool negotiated_ = false;
  bool ignored_login_ = false;  // the login failed to negotiate
};

namespace {

// Counts the read commands of a connection's host stream as an analyser would: from every
// segment, checksum or not; the controller's segments that open its stream say what the
// host's PDUs carry.
class HostReads {
 public:
  virtual ~HostReads() = default;
  virtual void host(ByteView in_order) = 0;
  // A controller segment whose payload begins with what opens its stream.
  virtual void controller_opening(ByteView payload) = 0;
  // Decodes what it can; `last`: the capture ended, decode without waiting for the controller.
  virtual void count(bool last) = 0;
  uint64_t reads() const { return reads_; }

 protected:
  // Without the controller's word, the host's commands wait for it until this much is held.
  static constexpr size_t kWaitForResp = 1u << 20;
  uint64_t reads_ = 0;
};

class NvmeHostReads final : public HostReads {
 public:
  void host(ByteView b) override {
    const size_t n = std::min(b.size, nvme::kIcPduLen - ic_.size());
    ic_.insert(ic_.end(), b.begin(), b.begin() + n);
    pdus_.feed(b.sub(n));
  }
  // The controller's ICResp says which digests the host's PDUs carry.
  void controller_opening(ByteView payload) override {
    nvme::Pdu pdu;
    if (have_resp_ || decoding_ ||
        nvme::decode_pdu(payload, nvme::ConnParams{}, pdu) != nvme::PduError::None)
      return;
    const auto& r = std::get<nvme::IcResp>(pdu.body);
    resp_.hdgst = r.dgst & 1;
    resp_.ddgst = r.dgst & 2;
    resp_.cpda = r.cpda;
    have_resp_ = true;
  }
  // A capture without the ICResp leaves the digests to the host's own request.
  void count(bool last) override {
    if (ic_.size() < nvme::kIcPduLen || pdus_.failed()) return;
    nvme::Pdu pdu;
    if (!decoding_) {
      if (!have_resp_ && !last && pdus_.buffered() < kWaitForResp) return;
      nvme::ConnParams cp = resp_;
      if (nvme::decode_pdu(ic_, nvme::ConnParams{}, pdu) == nvme::PduError::None &&
          pdu.ch.type == nvme::PduType::ICReq) {
        const auto& q = std::get<nvme::IcReq>(pdu.body);
        cp.hpda = q.hpda;
        if (!have_resp_) {
          cp.hdgst = q.dgst & 1;
          cp.ddgst = q.dgst & 2;
        }
      }
      pdus_.set_params(cp);
      decoding_ = true;
    }
    nvme::PduError err;
    while (pdus_.next(pdu, err, false)) {
      if (err != nvme::PduError::None) break;
      nvme::ReadCmd rc;
      reads_ += pdu.ch.type == nvme::PduType::CapsuleCmd &&
                nvme::ReadCmd::from_sqe(std::get<nvme::Sqe>(pdu.body), rc);
    }
  }

 private:
  Bytes ic_;
  nvme::StreamDecoder pdus_;
  nvme::ConnParams resp_;
  bool have_resp_ = false;
  bool decoding_ = false;  // the host's PDUs are being decoded: their digests are set
};

class IscsiHostReads final : public HostReads {
 public:
  void host(ByteView b) override { pdus_.feed(b); }
  // The target's Login Responses (one a segment, as they are short) carry its keys.
  void controller_opening(ByteView payload) override {
    iscsi::Pdu pdu;
    if (have_resp_ || decoding_ ||
        iscsi::decode_pdu(payload, iscsi::ConnParams{}, pdu) != iscsi::PduError::None)
      return;
    const auto* r = std::get_if<iscsi::LoginResp>(&pdu.body);
    if (!r) return;
    add_text(target_text_, target_keys_, pdu.data, r->cont);
    have_resp_ = r->enters_full_feature();
  }
  // Without the target's keys, the initiator's first choice of each digest is taken.
  void count(bool last) override {
    iscsi::Pdu pdu;
    iscsi::PduError err;
    for (;;) {
      if (login_final_ && !decoding_) {
        if (!have_resp_ && !last && pdus_.buffered() < kWaitForResp) return;
        if (!have_resp_) target_keys_ = first_choices(keys_);
        pdus_.set_full_feature_params(iscsi::negotiate(keys_, target_keys_).params.from_initiator());
        decoding_ = true;
      }
      if (!pdus_.next(pdu, err, false) || err != iscsi::PduError::None) return;
      if (const auto* rq = std::get_if<iscsi::LoginReq>(&pdu.body)) {
        add_text(text_, keys_, pdu.data, rq->cont);
        login_final_ = rq->transit && rq->nsg == iscsi::kFullFeaturePhase;
      } else if (const auto* c = std::get_if<iscsi::ScsiCommand>(&pdu.body)) {
        reads_ += c->read && c->expected_length;
      }
    }
  }

 private:
  static void add_text(iscsi::TextAssembler& text, iscsi::TextKeys& keys, const Bytes& data, bool cont) {
    if (!text.add(ByteView(data), cont)) return;
    iscsi::TextKeys k;
    if (text.parse(k) == iscsi::TextError::None) keys.insert(keys.end(), k.begin(), k.end());
    text = iscsi::TextAssembler();
  }
  static iscsi::TextKeys first_choices(const iscsi::TextKeys& offer) {
    iscsi::TextKeys answer;
    for (const char* key : {"HeaderDigest", "DataDigest"})
      if (const std::string* v = iscsi::find_key(offer, key)) answer.emplace_back(key, v->substr(0, v->find(',')));
    return answer;
  }

  iscsi::StreamDecoder pdus_;
  iscsi::TextAssembler text_, target_text_;
  iscsi::TextKeys keys_, target_keys_;
  bool login_final_ = false;
  bool have_resp_ = false;
  bool decoding_ = false;  // full-feature PDUs are being decoded: their digests are set
};

}  // namespace

// What a connection's capture holds, counted apart from the decode that follows it: every
// frame (bad checksum or cut as well), and the read commands of the host's stream.
class ReferenceDecoder::Census {
 public:
  Census(std::string flow, uint16_t port, bool iscsi)
      : flow_(std::move(flow)), port_(port), iscsi_(iscsi) {
    if (iscsi)
      reads_ = std::make_unique<IscsiHostReads>();
    else
      reads_ = std::make_unique<NvmeHostReads>();
  }

  void frame(bool c2h, bool checksum_ok, bool cut, bool oversize) {
    ++frames_;
    oversize_ += oversize;
    bad_ += !checksum_ok;
    host_frames_ += !c2h;
    host_bad_ += !c2h && !checksum_ok;
    cut_ += cut;
    host_cut_ |= cut && !c2h;
  }
  void host_segment(uint32_t seq, uint8_t flags, ByteView payload, bool opens) {
    tcp_.add(seq, flags, payload, opens, [&](ByteView b) { reads_->host(b); });
    reads_->count(false);
  }
  void controller_segment(uint8_t flags, ByteView payload, bool opens) {
    c2h_started_ |= opens || (flags & net::tcpflag::SYN);
    if (!c2h_started_ && payload.size) ++c2h_unanchored_;
    if (!opens) return;
    reads_->controller_opening(payload);
    reads_->count(false);
  }
  bool iscsi() const { return iscsi_; }
  // What the trace holds that a decode which followed `followed` reads (of which `unfinished`
  // were left open) did not follow; false when nothing.
  bool judge(bool listed, uint32_t followed, uint32_t unfinished, NotFollowed& out) {
    reads_->count(true);
    const uint64_t reads = reads_->reads();
    describe(out);
    if (!listed) {
      out.why = NotFollowed::Why::Port;
      out.reads = reads;
      return true;
    }
    // A lone stray segment (noise, a late retransmission) is not a connection joined.
    if ((tcp_.anchored() ? 0 : tcp_.unanchored()) + c2h_unanchored_ >= 2) {
      out.why = NotFollowed::Why::MidStream;
      out.reads_known = false;
      return true;
    }
    // Reads the decode never saw, and reads it saw but could not finish because frames were
    // dropped or cut.
    const uint64_t missed = reads > followed ? reads - followed : 0;
    if (mostly_bad() || (bad_ && missed)) {
      out.why = NotFollowed::Why::Checksum;
    } else if (oversize_) {
      out.why = NotFollowed::Why::Oversize;
    } else if (cut_) {
      out.why = NotFollowed::Why::Snaplen;
      // Commands lost to the cut cannot be counted.
      out.reads_known = !host_cut_;
      if (host_cut_) return true;
    } else {
      out.reads = missed;
      return missed > 0;
    }
    out.reads = missed + unfinished;
    return out.reads > 0;
  }
  // Most frames of either direction fail: a capture on the host has only its own
  // transmissions unfinished by checksum offload.
  bool mostly_bad() const {
    return host_bad_ * 2 > host_frames_ || (bad_ - host_bad_) * 2 > frames_ - host_frames_;
  }
  void tally(NotFollowed& out) const {
    describe(out);
    out.why = NotFollowed::Why::Checksum;
    out.reads = reads_->reads();
  }

 private:
  // The connection and its frames.
  void describe(NotFollowed& out) const {
    out = NotFollowed{};
    out.flow = flow_;
    out.port = port_;
    out.iscsi = iscsi_;
    out.frames = frames_;
    out.bad_checksum = bad_;
    out.cut = cut_;
    out.oversize = oversize_;
  }

  const std::string flow_;
  const uint16_t port_;
  const bool iscsi_;
  uint64_t frames_ = 0, bad_ = 0, cut_ = 0, oversize_ = 0;
  uint64_t host_frames_ = 0, host_bad_ = 0;  // of those, the host's
  bool host_cut_ = false;  // a record of the host's stream was cut
  Reassembly tcp_;  // the host's stream
  std::unique_ptr<HostReads> reads_;
  bool c2h_started_ = false;     // the controller's SYN or opening segment seen
  uint64_t c2h_unanchored_ = 0;  // controller segments with payload before that
};

const char* to_string(NotFollowed::Why w) {
  switch (w) {
    case NotFollowed::Why::Port: return "port not followed";
    case NotFollowed::Why::MidStream: return "joined mid-stream, not followed";
    case NotFollowed::Why::Checksum: return "bad checksums";
    case NotFollowed::Why::Snaplen: return "records cut by the snap length";
    case NotFollowed::Why::Oversize: return "frames longer than the MAC takes";
    case NotFollowed::Why::Other: return "not followed";
  }
  return "not followed";
}

ReferenceDecoder::ReferenceDecoder(Done done, net::PortList nvme_ports)
    : done_(std::move(done)), ports_(std::move(nvme_ports)) {}

ReferenceDecoder::~ReferenceDecoder() = default;

ReferenceDecoder::Connection& ReferenceDecoder::connection(const net::FiveTuple& key, bool iscsi) {
  if (last_ && key == last_key_) return *last_;
  auto& conn = conns_[key];
  if (!conn) {
    std::string flow = net::endpoint_str(key.src, key.sport);
    if (iscsi)
      conn = std::make_unique<IscsiConnection>(std::move(flow), true, done_, late_, spare_);
    else
      conn = std::make_unique<NvmeConnection>(std::move(flow), false, done_, late_, spare_);
  }
  last_key_ = key;
  last_ = conn.get();
  return *conn;
}

ReferenceDecoder::Census& ReferenceDecoder::census(const net::FiveTuple& key, uint16_t port, bool iscsi) {
  if (last_census_ && key == last_census_key_) return *last_census_;
  auto& c = census_[key];
  if (!c) c = std::make_unique<Census>(net::endpoint_str(key.src, key.sport), port, iscsi);
  last_census_key_ = key;
  last_census_ = c.get();
  return *c;
}

bool ReferenceDecoder::listed(uint16_t port) const { return ports_.has(port) || iscsi_ports_.has(port); }

// A port in both lists stays NVMe/TCP, as before iSCSI was followed.
bool ReferenceDecoder::iscsi_port(uint16_t port) const {
  return !ports_.has(port) && iscsi_ports_.has(port);
}

void ReferenceDecoder::add(ByteView frame, size_t wire_len) {
  const bool cut = wire_len > frame.size;
  cut_records_ += cut;
  net::ParsedFrame pf;
  if (net::parse_frame(frame, pf) != net::ParseError::None) {
    // A cut record of a known connection is counted against it.
    uint16_t sport = 0, dport = 0;
    if (!cut || !net::peek_tcp_ports(frame, sport, dport)) return;
    const net::FiveTuple t{pf.tuple.src, pf.tuple.dst, sport, dport};
    const bool c2h = listed(sport) || census_.count(t.reversed());
    const uint16_t port = c2h ? sport : dport;
    if (c2h || listed(dport) || census_.count(t))
      census(c2h ? t.reversed() : t, port, iscsi_port(port)).frame(c2h, true, true, false);
    return;
  }
  const ByteView payload = frame.sub(pf.payload_offset, pf.payload_len);
  bool c2h = listed(pf.tuple.sport);
  const bool is_listed = c2h || listed(pf.tuple.dport);
  bool iscsi = iscsi_port(c2h ? pf.tuple.sport : pf.tuple.dport);
  if (!is_listed) {
    // Another port: NVMe/TCP all the same when the host's stream opens with an ICReq, iSCSI
    // when it opens with a Login Request.
    c2h = census_.count(pf.tuple.reversed()) > 0;
    if (!c2h && !census_.count(pf.tuple)) {
      if (nvme::starts_with_ic_pdu(payload, nvme::PduType::ICReq))
        iscsi = false;
      else if (iscsi::starts_with_login(payload, iscsi::Opcode::LoginReq))
        iscsi = true;
      else
        return;
    }
  }
  const net::FiveTuple key = c2h ? pf.tuple.reversed() : pf.tuple;
  Census& cs = census(key, c2h ? pf.tuple.sport : pf.tuple.dport, iscsi);
  iscsi = cs.iscsi();
  const bool opens =
      iscsi ? iscsi::starts_with_login(payload, c2h ? iscsi::Opcode::LoginResp : iscsi::Opcode::LoginReq)
            : nvme::starts_with_ic_pdu(payload, c2h ? nvme::PduType::ICResp : nvme::PduType::ICReq);
  const bool checksum_ok = pf.tcp_checksum_ok && pf.ip_checksum_ok;
  const bool oversize = c2h && max_frame_ && frame.size > max_frame_;
  cs.frame(c2h, checksum_ok, false, oversize);  // cut only in its padding: nothing is missing
  if (c2h)
    cs.controller_segment(pf.tcp_flags, payload, opens);
  else
    cs.host_segment(pf.seq, pf.tcp_flags, payload, opens);
  if (!is_listed || !checksum_ok || oversize) return;  // a receiver drops a bad segment
  Connection& conn = connection(key, iscsi);
  const size_t before = conn.open();  // only this connection's reads can change
  conn.segment(c2h, pf.seq, pf.tcp_flags, payload, opens);
  open_ = open_ - before + conn.open();
  open_max_ = std::max(open_max_, open_);
}

void ReferenceDecoder::finish() {
  for (const auto& [key, conn] : in_tuple_order(conns_)) conn->finish();
  open_ = 0;
  judge_census();
}

void ReferenceDecoder::judge_census() {
  not_followed_.clear();
  checksum_failures_.clear();
  for (const auto& [k, cs] : in_tuple_order(census_)) {
    const net::FiveTuple& key = *k;
    const auto conn = conns_.find(key);
    const bool followed = conn != conns_.end();
    NotFollowed nf;
    if (cs->judge(listed(key.dport), followed ? conn->second->reads() : 0,
                  followed ? conn->second->unfinished() : 0, nf))
      not_followed_.push_back(nf);
    if (cs->mostly_bad()) {
      cs->tally(nf);
      checksum_failures_.push_back(nf);
    }
  }
}

size_t ReferenceDecoder::held_bytes() const {
  size_t n = 0;
  for (const auto& [key, conn] : conns_) n += conn->held();
  return n;
}

}  // namespace nic::check
