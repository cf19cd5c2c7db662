// Shared by the full-NIC tests: generate a trace, replay it through the whole model, judge it
// against the independent decode (tb/check) and the generator's truth.
#pragma once
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <unistd.h>

#include "tb/gen/generator.hpp"
#include "tb/replay/Replay.hpp"

namespace nic {

struct Run {
  gen::Truth truth;
  tb::ReplayResult result;
  tb::Verdict verdict;
};

// A scratch file of this process: test runs in parallel (two build trees) never share one.
inline std::string scratch_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("nicsim_" + std::to_string(::getpid()) + "_" + name + ".pcap")).string();
}

inline Run replay(const gen::GenConfig& g, const SimConfig& cfg, const std::string& name) {
  const std::string path = scratch_path(name);
  Run r;
  r.truth = gen::generate_pcap(g, path);
  tb::ReplayOptions opt;
  opt.trace = path;
  opt.cfg = cfg;
  r.result = tb::run_replay(opt);
  r.verdict = r.result.verdict;
  // To reproduce a failure with `nicsim replay`: NICSIM_KEEP_TRACES=dir keeps the trace and
  // the config it ran with.
  if (const char* keep = std::getenv("NICSIM_KEEP_TRACES"); keep && !r.verdict.ok()) {
    std::filesystem::create_directories(keep);
    std::filesystem::copy_file(path, std::filesystem::path(keep) / (name + ".pcap"),
                               std::filesystem::copy_options::overwrite_existing);
    std::ofstream(std::filesystem::path(keep) / (name + ".json")) << config_to_json(cfg);
  }
  std::filesystem::remove(path);
  return r;
}

// The run's reads by (flow, order).
inline std::map<std::pair<std::string, uint32_t>, const host::CommandRecord*> by_read(const Run& r) {
  std::map<std::pair<std::string, uint32_t>, const host::CommandRecord*> got;
  for (const auto& c : r.result.commands) got[{c.flow, c.order}] = &c;
  return got;
}

// Under attack: no DMA write outside its bounds, the judge content, every read reported, and
// no read ends ok with a wrong byte.
inline void check_robust(const Run& r) {
  INFO((r.verdict.mismatches.empty() ? "" : r.verdict.mismatches.front()));
  CHECK(r.result.counters.at("isolation_violations") == 0);
  CHECK(r.verdict.ok());
  CHECK(r.result.commands.size() == r.truth.commands.size());
  const auto got = by_read(r);
  for (const auto& t : r.truth.commands) {
    auto it = got.find({t.flow, t.order});
    INFO(t.flow << " read #" << t.order << " " << t.adversity);
    REQUIRE(it != got.end());
    if (it->second->status == "ok") CHECK(it->second->sha256 == t.sha256);
  }
}

// Byte-exact everywhere; every read the truth lists completed with the truth's SHA-256 and
// the status its digest implies.
inline void check_exact(const Run& r) {
  INFO((r.verdict.mismatches.empty() ? "" : r.verdict.mismatches.front()));
  CHECK(r.verdict.ok());
  CHECK(r.verdict.checked == r.truth.commands.size());
  std::map<std::pair<std::string, uint32_t>, const host::CommandRecord*> got;
  for (const auto& c : r.result.commands) got[{c.flow, c.order}] = &c;
  for (const auto& t : r.truth.commands) {
    auto it = got.find({t.flow, t.order});
    REQUIRE(it != got.end());
    CHECK(it->second->sha256 == t.sha256);
    CHECK(it->second->status == (t.digest_corrupted ? "digest_error" : "ok"));
  }
}

// In order: every offloaded read is placed whole by the NIC, and CRC-verified by it when
// data digests are on; reads below the threshold are copied by software.
inline void check_full_offload(const Run& r, const SimConfig& cfg, bool ddgst) {
  size_t offloaded = 0;
  for (const auto& c : r.result.commands) {
    INFO(c.flow << " order " << c.order << " len " << c.length);
    if (c.length >= cfg.driver.io_threshold) {
      ++offloaded;
      CHECK(c.ddp);
      CHECK(c.placed_bytes == c.length);
      CHECK(c.copied_bytes == 0);
      CHECK(c.crc == (ddgst ? "hw" : "none"));
    } else {
      CHECK_FALSE(c.ddp);
      CHECK(c.placed_bytes == 0);
    }
  }
  CHECK(r.result.counters.at("bypass_out_of_seq") == 0);
  CHECK(r.result.counters.at("rx_nvmeotcp_ddp_setup") == offloaded);
  CHECK(r.result.counters.at("rx_nvmeotcp_ddp_teardown") == offloaded);
}

}  // namespace nic
