// The NIC on real iSCSI traffic: the lab's captures of tgt and istgt (traces/iscsi/) replayed
// target to initiator through the placement engine, completion ring and command processor
// (bench in nic_rig.hpp), the flow added with what its login negotiated and one host buffer
// registered per READ by ITT. What lands in the buffers is judged against the LUN pattern and
// which reads there were comes from the initiator's SCSI Commands (tests/common/
// iscsi_capture.hpp), neither from the model.
//
// The bench feeds frames past the MAC, so the captures at MTU 65536 go in whole: their
// 65549-byte frames are described by one completion entry each (frame_len is 32 bits).
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/common/iscsi_capture.hpp"
#include "tests/sc/nic_rig.hpp"

using namespace nic;
using namespace nic::test;
using namespace nic::iscsi_capture;
using abi::CmdOp;
using abi::CmdStatus;
using abi::CqeType;

namespace {

constexpr uint8_t kOk = uint8_t(CmdStatus::Ok);

// The buffer of the k-th READ (in ITT order): one entry at an odd address, or (every other
// read) sub-page entries of odd sizes at odd addresses, the last one taking the rest. At most
// 64 entries, well under the NIC's limit of 128. Above the rig's SGL area, which a 32-bit ITT's
// low half spreads over 4 GiB.
std::vector<SgEntry> read_buffer(size_t k, uint32_t len) {
  const uint64_t base = 0x2'0000'0000 + uint64_t(k) * 0x0100'0000;
  if (k % 2 == 0) return {{base + 5, len}};
  static constexpr uint32_t kSizes[] = {1000, 333, 4093, 77, 2500, 10, 3984, 8191};
  std::vector<SgEntry> sg;
  for (uint32_t at = 0, i = 0; at < len; ++i) {
    const uint32_t n = i == 63 ? len - at : std::min(len - at, kSizes[i % 8]);
    sg.push_back({base + uint64_t(i) * 0x2'0000 + ((i * 37) % 4096 | 1), n});
    at += n;
  }
  return sg;
}

// Sequence `seq` as an offset into the direction's stream (its first byte follows the SYN).
uint32_t stream_off(const Direction& d, uint32_t seq) { return seq - d.isn - 1; }

// With `dup_every` n, every n-th frame with payload is sent twice in a row, as a sender whose
// ACK got lost resends it.
void replay_capture(const std::string& name, size_t dup_every = 0) {
  const std::filesystem::path path = trace_dir() / (name + ".pcap");
  const Capture cap = read_capture(path.string());
  const Session s = decode_session(cap);
  const auto issued = manifest_reads(path);
  REQUIRE_FALSE(issued.empty());
  REQUIRE(reads_seen(s.ini) == issued);
  const Direction& d = cap.to_initiator;
  const uint32_t ff_seq = d.isn + 1 + uint32_t(s.tgt.ff_start);

  // Full-feature frames in capture order with their checksums finished (a loopback capture
  // leaves them to offload), and what the capture itself says about their order.
  std::vector<Bytes> frames;
  uint32_t reached = uint32_t(s.tgt.ff_start);
  size_t retransmitted = 0, beyond_hole = 0, data_frames = 0;
  net::FiveTuple tuple;
  for (Bytes f : d.frames) {
    net::ParsedFrame pf;
    REQUIRE(net::parse_frame(ByteView(f), pf, false) == net::ParseError::None);
    const uint32_t off = stream_off(d, pf.seq);
    if (off < s.tgt.ff_start) {
      REQUIRE(off + pf.payload_len <= s.tgt.ff_start);  // no frame straddles the login's end
      continue;
    }
    if (pf.payload_len) {
      retransmitted += off + pf.payload_len <= reached;
      beyond_hole += off > reached;
      reached = std::max<uint32_t>(reached, off + uint32_t(pf.payload_len));
    }
    tuple = pf.tuple;
    net::fix_checksums(f);
    frames.push_back(f);
    if (pf.payload_len && dup_every && ++data_frames % dup_every == 0) {
      frames.push_back(f);
      ++retransmitted;
    }
  }
  REQUIRE(reached == d.stream.size());
  // Holes would move bytes to software and need their own expectation; these captures have
  // none, so every Data-In byte must be placed.
  REQUIRE(beyond_hole == 0);

  // Every READ's ITT in a DDP slot of its own: the slot is the ITT modulo the queue size
  // rounded up to a power of two, and libiscsi's ITTs count up from a random start.
  uint32_t queue_size = 1;
  const auto slots_distinct = [&] {
    std::set<uint32_t> slots;
    for (const auto& [itt, rd] : s.ini.reads) slots.insert(itt & (queue_size - 1));
    return slots.size() == s.ini.reads.size();
  };
  while (!slots_distinct()) queue_size *= 2;
  REQUIRE(queue_size <= 64);
  const uint32_t block = s.ini.block_size;

  Rig r;
  std::map<uint32_t, uint64_t> teardown;  // command tag by ITT
  std::vector<uint8_t> st;
  r.drv.script = [&] {
    st.push_back(r.drv.done(r.drv.sk_add_iscsi(ff_seq, queue_size, s.from_target, tuple)));
    size_t k = 0;
    for (const auto& [itt, rd] : s.ini.reads)
      st.push_back(r.drv.done(
          r.drv.ddp_setup(itt, read_buffer(k++, rd.blocks * block), kHandle, true, ff_seq)));
    r.send(frames);
    r.drv.wait_until([&] { return r.drained() && r.drv.packets().size() == frames.size(); },
                     sc_time(20, sc_core::SC_MS));
    for (const auto& [itt, rd] : s.ini.reads)
      teardown[itt] = r.drv.simple(CmdOp::DdpTeardown, itt);
    r.drv.wait_until([&] {
      return std::all_of(teardown.begin(), teardown.end(), [&](const auto& t) {
        return r.drv.find(CqeType::TeardownDone, t.second) != nullptr;
      });
    });
  };
  r.run();

  CHECK(st == std::vector<uint8_t>(1 + s.ini.reads.size(), kOk));
  r.check_clean();  // writes only into live elements; every completion rebuilds its frame
  CHECK(r.drv.packets().size() == frames.size());

  // Placed runs from the completion entries, by ITT: each byte once, the read's whole length.
  std::map<uint32_t, std::vector<std::pair<uint32_t, uint32_t>>> runs;
  uint64_t placed = 0;
  for (const Received* p : r.drv.packets())
    for (uint8_t i = 0; i < p->c.nruns; ++i) {
      const abi::PlacedRun& run = p->c.runs[i];
      runs[run.io_tag].push_back({run.buf_off, run.len});
      placed += run.len;
    }
  uint64_t read_bytes = 0;
  size_t checked = 0;
  for (const Buffer& b : r.drv.buffers) {
    const iscsi::ReadCdb& rd = s.ini.reads.at(b.tag);
    const uint32_t len = rd.blocks * block;
    INFO("ITT " << b.tag << " LBA " << rd.lba << " blocks " << rd.blocks << " SG entries "
                << b.sg.size());
    CHECK(b.sg.size() == read_buffer(checked, len).size());
    read_bytes += len;
    CHECK(lun_mismatches(b.read(r.mem, 0, len), rd.lba * block) == 0);
    auto& v = runs[b.tag];
    std::sort(v.begin(), v.end());
    uint32_t end = 0;
    for (const auto& [off, n] : v) {
      CHECK(off == end);  // no byte placed twice, none skipped
      end = off + n;
    }
    CHECK(end == len);
    const Received* td = r.drv.find(CqeType::TeardownDone, teardown.at(b.tag));
    REQUIRE(td != nullptr);
    CHECK(td->c.io_tag == b.tag);
    CHECK(r.drv.find(CqeType::CmdDone, teardown.at(b.tag))->c.status == kOk);
    CHECK_FALSE(b.live);
    ++checked;
  }
  CHECK(checked == issued.size());
  CHECK(runs.size() == s.ini.reads.size());  // no run for a tag that was not a READ

  // Every Data-In byte placed, and only those; retransmissions passed untouched.
  const hw::FlowFigures fig = r.flows.figures();
  INFO(name << ": placed " << placed << " of " << s.tgt.data_in_bytes << " Data-In bytes, "
            << r.src.headers << " PDUs, " << r.src.hdgst_ok << " header digests checked, "
            << retransmitted << " retransmitted frames, " << frames.size() << " frames");
  CHECK(s.tgt.data_in_bytes == read_bytes);
  CHECK(placed == s.tgt.data_in_bytes);
  CHECK(r.pe.stats().bytes_placed == placed);
  CHECK(r.pe.stats().ddp_overlap == 0);
  CHECK(r.pe.stats().unregistered == 0);
  CHECK(fig.tracker.stale == retransmitted);
  CHECK(fig.tracker.holes == 0);
  CHECK(fig.tracker.framing_lost == 0);
  CHECK(fig.tracker.resync_requests == 0);
  // Every full-feature PDU framed, its header digest checked where negotiated.
  CHECK(r.src.headers == s.tgt.ff_pdus);
  CHECK(r.src.header_errors == 0);
  CHECK(r.src.hdgst_ok == (s.from_target.hdgst ? s.tgt.ff_pdus : 0));
  // Every data digest verified by the NIC where negotiated: one per full-feature PDU with data
  // (the Data-In, and a SCSI Response's sense data), as the capture's decode counts them.
  INFO(s.tgt.data_in_with_data << " Data-In with data of " << s.tgt.ff_with_data
                               << " PDUs with data, " << s.tgt.pad_bytes << " pad bytes; "
                               << fig.crc_verified_ok << " data digests verified");
  CHECK(fig.crc_verified_ok == (s.from_target.ddgst ? s.tgt.ff_with_data : 0));
  CHECK(fig.crc_digest_error == 0);
  CHECK(fig.crc_abandoned == 0);
}

}  // namespace

TEST_CASE("iscsi NIC: istgt at MTU 9000 places every READ by ITT into exact sub-page buffers",
          "[iscsi]") {
  replay_capture("iscsi_istgt_mtu9000");
}

TEST_CASE("iscsi NIC: tgt at MTU 1500 with header digests places every READ by ITT and checks every digest",
          "[iscsi]") {
  replay_capture("iscsi_tgt_hdgst_mtu1500");
}

// Loopback at MTU 65536: up to 65483 bytes of payload a frame, several Data-In PDUs in each.
TEST_CASE("iscsi NIC: tgt at MTU 65536 places every READ from 64 KiB frames", "[iscsi]") {
  replay_capture("iscsi_tgt_mtu65536");
}

TEST_CASE("iscsi NIC: istgt at MTU 65536 with header digests places every READ from 64 KiB frames",
          "[iscsi]") {
  replay_capture("iscsi_istgt_hdgst_mtu65536");
}

// The bundled captures have no retransmission in full-feature phase: add some.
TEST_CASE("iscsi NIC: tgt at MTU 1500 with every 7th frame resent places no byte twice",
          "[iscsi]") {
  replay_capture("iscsi_tgt_hdgst_mtu1500", 7);
}

// Our own initiator (tests/real/iscsi_dd_read.c) negotiated both digests and
// MaxRecvDataSegmentLength 8192: 8 KiB Data-In PDUs, each with a data digest.
TEST_CASE("iscsi NIC: tgt at MTU 1500 with both digests verifies every data digest", "[iscsi]") {
  replay_capture("iscsi_tgt_ddgst_mtu1500");
}

TEST_CASE("iscsi NIC: istgt at MTU 9000 with both digests verifies every data digest", "[iscsi]") {
  replay_capture("iscsi_istgt_ddgst_mtu9000");
}

// MaxRecvDataSegmentLength 4094: istgt's Data-In carry 4094 bytes and 2 pad bytes, which the
// data digest covers.
TEST_CASE("iscsi NIC: istgt with 4094-byte Data-In verifies every data digest over its pad",
          "[iscsi]") {
  replay_capture("iscsi_istgt_ddgst_mrdsl4094_mtu9000");
}

TEST_CASE("iscsi NIC: tgt at MTU 1500 with both digests and every 5th frame resent",
          "[iscsi]") {
  replay_capture("iscsi_tgt_ddgst_mtu1500", 5);
}
