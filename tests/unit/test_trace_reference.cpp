// The streaming reference decode behind every replay verdict (tb/check), fed frame by frame
// from the generator and checked against the generator's truth: every read is handed on
// exactly once with the data the truth says, and only reads still in flight are kept.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "proto/net.hpp"
#include "tb/check/trace_reference.hpp"
#include "tb/gen/generator.hpp"
#include "tests/unit/impaired_gen.hpp"

using namespace nic;

namespace {

struct Outcome {
  bool completed = false, digest_error = false;
  std::string problem, sha256;
};

struct Run {
  gen::Truth truth;
  std::map<std::pair<std::string, uint32_t>, Outcome> reads;  // (flow, order)
  size_t handed = 0, twice = 0;
  size_t open_max = 0, held_max = 0;
  size_t open_before_finish = 0, held_before_finish = 0, open_after_finish = 0;
};

// `keep(frame)` decides which generated frames reach the decoder (a capture that missed some).
template <class Keep>
Run decode(const gen::GenConfig& g, Keep keep) {
  Run r;
  check::ReferenceDecoder ref([&r](const check::ReferenceCommand& c) {
    ++r.handed;
    Outcome o{c.completed, c.digest_error, c.problem, c.completed ? c.sha256() : ""};
    r.twice += !r.reads.emplace(std::make_pair(c.flow, c.order), o).second;
  });
  r.truth = gen::generate(g, [&](uint64_t, ByteView frame) {
    if (!keep(frame)) return;
    ref.add(frame);
    r.held_max = std::max(r.held_max, ref.held_bytes());
  });
  r.open_max = ref.open_commands_max();
  r.open_before_finish = ref.open_commands();
  r.held_before_finish = ref.held_bytes();
  ref.finish();
  r.open_after_finish = ref.open_commands();
  return r;
}

Run decode(const gen::GenConfig& g) {
  return decode(g, [](ByteView) { return true; });
}

gen::GenConfig impaired(uint32_t ios) {
  gen::GenConfig g = testing::impaired_config();
  g.flows = 4;
  g.ios = ios;
  return g;
}

}  // namespace

TEST_CASE("reference: an impaired multi-flow trace decodes to the truth, each read handed on once", "[reference]") {
  const Run r = decode(impaired(240));
  CHECK(r.twice == 0);
  CHECK(r.handed == r.truth.commands.size());
  size_t corrupted = 0;
  for (const auto& t : r.truth.commands) {
    INFO(t.flow << " read #" << t.order);
    const auto it = r.reads.find({t.flow, t.order});
    REQUIRE(it != r.reads.end());
    CHECK(it->second.completed);
    CHECK(it->second.problem.empty());
    CHECK(it->second.sha256 == t.sha256);
    CHECK(it->second.digest_error == t.digest_corrupted);
    corrupted += t.digest_corrupted;
  }
  CHECK(corrupted > 0);
  CHECK(r.truth.totals.imp.lost > 0);
  CHECK(r.truth.totals.imp.reordered > 0);
  // Everything arrived in the end: nothing left open or held.
  CHECK(r.open_before_finish == 0);
  CHECK(r.held_before_finish == 0);
}

TEST_CASE("reference: a receiver that takes each read's buffer and leaves a dirty one changes nothing", "[reference]") {
  // The judge moves `data` out and hands back the buffer of a read judged earlier; the decoder
  // reuses such buffers (old bytes, any size) for later reads and for decoding PDUs.
  const gen::GenConfig g = impaired(240);
  Run r;
  size_t handed_back = 0;
  check::ReferenceDecoder ref([&](check::ReferenceCommand& c) {
    ++r.handed;
    Outcome o{c.completed, c.digest_error, c.problem, c.completed ? c.sha256() : ""};
    r.twice += !r.reads.emplace(std::make_pair(c.flow, c.order), o).second;
    const Bytes taken = std::move(c.data);
    // Garbage of a size that varies: larger than, as large as and smaller than reads.
    c.data.assign(size_t(4096) << (r.handed % 6), uint8_t(0xA5 + r.handed));
    handed_back += !taken.empty();
  });
  r.truth = gen::generate(g, [&](uint64_t, ByteView frame) { ref.add(frame); });
  ref.finish();
  CHECK(handed_back > 0);
  CHECK(r.twice == 0);
  REQUIRE(r.handed == r.truth.commands.size());
  for (const auto& t : r.truth.commands) {
    INFO(t.flow << " read #" << t.order);
    const Outcome& o = r.reads.at({t.flow, t.order});
    CHECK(o.completed);
    CHECK(o.sha256 == t.sha256);
  }
}

TEST_CASE("reference: bytes no C2HData carried read as zero, also in a reused buffer", "[reference]") {
  // Two reads one after the other, 16 KiB each in 4 KiB PDUs. The receiver leaves the first
  // read's buffer dirty, so the decoder reuses it for the second; the capture then ends a few
  // segments into the second read's data, which finish() hands on: received bytes as sent,
  // every other byte zero (not the first read's leftovers).
  gen::GenConfig g;
  g.seed = 3;
  g.flows = 1;
  g.queue_depth = 1;
  g.io_size = gen::parse_io_size("16K");
  g.max_pdu_data = 4096;
  g.ios = 2;
  const auto run = [&](size_t keep_c2h_segments) {
    std::vector<Bytes> got;
    check::ReferenceDecoder ref([&](check::ReferenceCommand& c) {
      got.push_back(c.data);
      std::fill(c.data.begin(), c.data.end(), uint8_t(0xEE));
    });
    size_t second = 0;  // data segments of the second read seen
    gen::generate(g, [&](uint64_t, ByteView frame) {
      net::ParsedFrame pf;
      if (!got.empty() && net::parse_frame(frame, pf) == net::ParseError::None &&
          pf.tuple.sport == 4420 && pf.payload_len > 0 && ++second > keep_c2h_segments)
        return;
      ref.add(frame);
    });
    ref.finish();
    return got;
  };
  const std::vector<Bytes> full = run(SIZE_MAX), cut = run(3);
  REQUIRE(full.size() == 2);
  REQUIRE(cut.size() == 2);
  CHECK(cut[0] == full[0]);
  REQUIRE(cut[1].size() == full[1].size());
  size_t same = 0, zero = 0;
  for (size_t i = 0; i < cut[1].size(); ++i) {
    same += cut[1][i] == full[1][i];
    zero += cut[1][i] == 0 && full[1][i] != 0;
  }
  CHECK(same + zero == cut[1].size());  // each byte as sent or zero, never a leftover
  CHECK(zero >= 8192);                  // most of the read never arrived
  CHECK(same >= 4096);                  // its first PDU did
}

TEST_CASE("reference: what it keeps is bounded by what is in flight, not by the trace length", "[reference]") {
  for (uint32_t ios : {100u, 400u}) {
    INFO(ios << " reads");
    const gen::GenConfig g = impaired(ios);
    const Run r = decode(g);
    REQUIRE(r.handed == ios);
    // A host never has more than queue-depth reads outstanding per connection.
    CHECK(r.open_max <= size_t(g.flows) * g.queue_depth);
    CHECK(r.open_max > 0);
    // Held: reassembly behind holes plus partial PDUs, a few segments and PDUs per flow.
    CHECK(r.held_max <= size_t(g.flows) * (256u << 10));
  }
}

TEST_CASE("reference: a hole the capture never fills leaves the reads behind it open until the end", "[reference]") {
  gen::GenConfig g;
  g.seed = 42;
  g.flows = 1;
  g.queue_depth = 1;  // one read at a time: the reads before the hole are exactly a prefix
  g.io_size = gen::parse_io_size("16K");
  g.ios = 20;
  // Drop the 100th controller->host data segment; without impairments no copy of it exists.
  size_t c2h_data = 0;
  const Run r = decode(g, [&](ByteView frame) {
    net::ParsedFrame pf;
    if (net::parse_frame(frame, pf) != net::ParseError::None) return true;
    return !(pf.tuple.sport == 4420 && pf.payload_len > 0 && ++c2h_data == 100);
  });
  REQUIRE(c2h_data > 100);
  CHECK(r.twice == 0);
  CHECK(r.handed == g.ios);
  CHECK(r.held_before_finish > 0);
  CHECK(r.open_after_finish == 0);
  // With ~12 segments per read, the hole is in read 8 (segment 100 of 11-12 per read).
  size_t done = 0;
  for (const auto& t : r.truth.commands) {
    const Outcome& o = r.reads.at({t.flow, t.order});
    if (t.order == done && o.completed) {
      CHECK(o.sha256 == t.sha256);
      ++done;
    } else {
      CHECK_FALSE(o.completed);
    }
  }
  CHECK(done >= 7);
  CHECK(done <= 9);
  CHECK(r.open_before_finish == g.ios - done);
}
