#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "tools/sweep/csv.hpp"
#include "tools/sweep/find_min.hpp"
#include "tools/sweep/grid.hpp"
#include "tools/sweep/jobs.hpp"
#include "tools/sweep/merge.hpp"
#include "tools/sweep/metric_path.hpp"
#include "tools/sweep/outcome.hpp"
#include "tools/sweep/plan.hpp"
#include "tools/sweep/plot.hpp"
#include "tools/sweep/results.hpp"
#include "tools/sweep/run_options.hpp"
#include "tools/sweep/runner.hpp"
#include "tools/sweep/sweep_dir.hpp"
#include "tools/sweep/target.hpp"
#include "tools/sweep/trace_list.hpp"

using namespace nic::sweep;
using nic::param::parse_size;
namespace fs = std::filesystem;

namespace {

Kind fake_kind(const std::string& key) {
  static const std::map<std::string, Kind> kinds{{"mac.rx_fifo_bytes", Kind::integer},
                                                 {"core.clock_mhz", Kind::real},
                                                 {"placement.single_run_per_packet", Kind::boolean},
                                                 {"driver.allocator", Kind::text}};
  const auto it = kinds.find(key);
  if (it == kinds.end()) throw std::invalid_argument("unknown config key '" + key + "'");
  return it->second;
}

// A report shaped like `nicsim replay --report` writes.
nlohmann::json sample_report(uint64_t drops, bool ok) {
  return {{"summary", {{"offered_gbps", 98.5}, {"achieved_gbps", 72.25}, {"cycles", 7437},
                       {"wall_seconds", 0.04}, {"latency_ns_p50", 1823}, {"latency_ns_p99", 1895}}},
          {"counters", {{"drop_mac_fifo_full", drops}, {"drop_rx_ring_full", 0}, {"placed_fraction", 0.5},
                        {"crc_verified_fraction", 1.0}}},
          {"fifos", {{{"name", "mac_rx_fifo"}, {"unit", "bytes"}, {"high_watermark", 9190}, {"drops", drops}},
                     {{"name", "mac_to_l3"}, {"unit", "beats"}, {"high_watermark", 2}, {"drops", 0}}}},
          {"verdict", {{"ok", ok}, {"mismatches", nlohmann::json::array()}}}};
}

// A report shaped like `nicsim run --report` writes: the replay's and the closed loop's.
nlohmann::json sample_loop_report(bool verdict_ok, uint64_t read_errors) {
  nlohmann::json r = sample_report(3, verdict_ok);
  r["counters"]["tcp_target_retransmitted_segments"] = 3;
  r["counters"]["tcp_target_rtos"] = 0;
  r["closed_loop"] = {{"total",
                       {{"reads", 800}, {"errors", read_errors}, {"iops", 4.3e6}, {"throughput_gbps", 70.25},
                        {"clat_ns", {{"p50", 50175}, {"p99", 81919}, {"p99.9", 83753}, {"max", 90000}}}}}};
  return r;
}

// A find_min judge from a metric of each value and what passes.
Judge judge_by(std::function<double(uint64_t)> metric, std::function<bool(double)> pass) {
  return [=](const std::vector<uint64_t>& values) {
    std::vector<bool> out;
    for (uint64_t v : values) out.push_back(pass(metric(v)));
    return out;
  };
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("nicsim_test_sweep_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("sweep: sizes, lists and ranges expand to canonical values", "[sweep]") {
  CHECK(parse_size("16K") == 16384);
  CHECK(parse_size("2m") == 2u << 20);
  CHECK(parse_size("1G") == 1u << 30);
  CHECK(parse_size("1500") == 1500);
  CHECK(parse_size("1.25K") == 1280);
  CHECK(parse_size("64KiB") == 65536);
  CHECK(parse_size("1500B") == 1500);
  CHECK_THROWS_AS(parse_size("16KB"), std::invalid_argument);
  CHECK_THROWS_AS(parse_size("-1"), std::invalid_argument);
  CHECK_THROWS_AS(parse_size("99999999999999999999"), std::invalid_argument);

  CHECK(parse_axis("mac.rx_fifo_bytes=16K,32K,65536", fake_kind).values ==
        std::vector<std::string>{"16384", "32768", "65536"});
  CHECK(parse_axis("mac.rx_fifo_bytes=16K:64K:16K", fake_kind).values ==
        std::vector<std::string>{"16384", "32768", "49152", "65536"});
  // hi is included only when the step lands on it.
  CHECK(parse_axis("mac.rx_fifo_bytes=10:25:10", fake_kind).values == std::vector<std::string>{"10", "20"});
  CHECK(parse_axis("core.clock_mhz=200:400:50", fake_kind).values ==
        std::vector<std::string>{"200", "250", "300", "350", "400"});
  CHECK(parse_axis("core.clock_mhz=0.1:0.5:0.1", fake_kind).values ==
        std::vector<std::string>{"0.1", "0.2", "0.3", "0.4", "0.5"});
  CHECK(parse_axis("core.clock_mhz=312.50,250.0", fake_kind).values == std::vector<std::string>{"312.5", "250"});
  CHECK(parse_axis("placement.single_run_per_packet=true,false", fake_kind).values ==
        std::vector<std::string>{"true", "false"});
  CHECK(parse_axis("driver.allocator=pages,fragments", fake_kind).values ==
        std::vector<std::string>{"pages", "fragments"});

  CHECK_THROWS_WITH(parse_axis("no.such=1", fake_kind), Catch::Contains("no.such"));
  CHECK_THROWS_AS(parse_axis("mac.rx_fifo_bytes", fake_kind), std::invalid_argument);
  CHECK_THROWS_AS(parse_axis("mac.rx_fifo_bytes=", fake_kind), std::invalid_argument);
  CHECK_THROWS_AS(parse_axis("mac.rx_fifo_bytes=0.3K", fake_kind), std::invalid_argument);  // 307.2 B
  CHECK_THROWS_AS(parse_axis("mac.rx_fifo_bytes=64K:16K:1K", fake_kind), std::invalid_argument);
  CHECK_THROWS_AS(parse_axis("mac.rx_fifo_bytes=1:2:0", fake_kind), std::invalid_argument);
  CHECK_THROWS_AS(parse_axis("mac.rx_fifo_bytes=0:1G:1", fake_kind), std::invalid_argument);
  CHECK_THROWS_AS(parse_axis("mac.rx_fifo_bytes=16K,16384", fake_kind), std::invalid_argument);
  CHECK_THROWS_AS(parse_axis("placement.single_run_per_packet=yes", fake_kind), std::invalid_argument);
  CHECK_THROWS_AS(parse_axis("core.clock_mhz=1:2", fake_kind), std::invalid_argument);
}

TEST_CASE("sweep: the grid is a cartesian product, traces outermost", "[sweep]") {
  const std::vector<Axis> axes{{"a", {"1", "2"}}, {"b", {"x", "y", "z"}}};
  const auto pts = expand(axes, {"t1.pcap", "t2.pcap"});
  REQUIRE(pts.size() == 12);
  CHECK(pts[0].id == "p0000");
  CHECK(pts[11].id == "p0011");
  CHECK(pts[0].trace == "t1.pcap");
  CHECK(pts[6].trace == "t2.pcap");
  CHECK(pts[1].set == std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "y"}});
  CHECK(pts[3].set == std::vector<std::pair<std::string, std::string>>{{"a", "2"}, {"b", "x"}});
  CHECK(expand({}, {"t.pcap"}).size() == 1);
  CHECK(point_id(12345, 20000) == "p12345");
  CHECK(point_id(7, 20000) == "p00007");
}

TEST_CASE("sweep: metrics by dotted path, columns and statuses from a report file", "[sweep]") {
  const auto rep = sample_report(47, false);
  CHECK(lookup(rep, "summary.achieved_gbps")->get<double>() == 72.25);
  CHECK(lookup(rep, "fifos[name=mac_rx_fifo].high_watermark")->get<int>() == 9190);
  CHECK(lookup(rep, "fifos[1].high_watermark")->get<int>() == 2);
  CHECK_FALSE(lookup(rep, "fifos[name=nope].drops"));
  CHECK_FALSE(lookup(rep, "fifos[9].drops"));
  CHECK_FALSE(lookup(rep, "summary.latency_ns_p999"));
  CHECK_FALSE(lookup(rep, "summary.cycles.deeper"));
  CHECK_THROWS_AS(check_path("fifos[name=x"), std::invalid_argument);
  CHECK_THROWS_AS(check_path("a..b"), std::invalid_argument);
  CHECK_THROWS_AS(check_path("fifos[x]"), std::invalid_argument);
  CHECK(column_name("fifos[name=mac_rx_fifo].drops") == "fifo.mac_rx_fifo.drops");
  CHECK(column_name("blocks[0].busy_fraction") == "blocks[0].busy_fraction");
  CHECK(column_name("summary.cycles") == "summary.cycles");

  TempDir tmp;
  std::ofstream(tmp.path / "p0000.json") << rep.dump(2);
  std::ofstream(tmp.path / "p0001.json") << sample_report(0, true).dump(2);
  std::ofstream(tmp.path / "torn.json") << "{\"summary\": {";
  Plan plan;
  plan.grid = {"mac.rx_fifo_bytes"};
  plan.metrics = {"summary.latency_ns_max", "fifos[name=mac_rx_fifo].drops"};
  plan.points = expand({{"mac.rx_fifo_bytes", {"9216", "65536", "131072", "262144"}}}, {"t.pcap"});
  const std::vector<std::optional<Outcome>> outcomes{
      load_outcome((tmp.path / "p0000.json").string(), 1), load_outcome((tmp.path / "p0001.json").string(), 0),
      load_outcome((tmp.path / "torn.json").string(), 0), std::nullopt};
  CHECK(status_of(*outcomes[0]) == "mismatch");
  CHECK(status_of(*outcomes[1]) == "ok");
  CHECK(status_of(*outcomes[2]) == "error");
  CHECK(status_of(load_outcome((tmp.path / "missing.json").string())) == "error");
  CHECK(status_of(load_outcome((tmp.path / "p0001.json").string(), 2)) == "error");
  CHECK(status_of(load_outcome((tmp.path / "p0001.json").string())) == "ok");

  const Table t = results_table(plan, outcomes);
  REQUIRE(t.rows.size() == 3);  // the point that never ran has no row
  const std::vector<std::string> head{"point", "trace", "mac.rx_fifo_bytes", "summary.offered_gbps",
                                      "summary.achieved_gbps", "counters.drop_mac_fifo_full"};
  CHECK(std::vector<std::string>(t.columns.begin(), t.columns.begin() + 6) == head);
  CHECK(t.column("fifo.mac_rx_fifo.high_watermark") > t.column("summary.latency_ns_p999"));
  CHECK(t.column("fifo.mac_to_l3.drops") > 0);
  CHECK(t.column("summary.wall_seconds") < t.column("summary.latency_ns_max"));
  CHECK(t.columns.back() == "status");
  // An extra metric that is already a standard column is not repeated.
  CHECK(std::count(t.columns.begin(), t.columns.end(), "fifo.mac_rx_fifo.drops") == 1);
  const auto cell = [&](size_t row, const char* col) { return t.rows[row][size_t(t.column(col))]; };
  CHECK(cell(0, "mac.rx_fifo_bytes") == "9216");
  CHECK(cell(0, "counters.drop_mac_fifo_full") == "47");
  CHECK(cell(0, "summary.achieved_gbps") == "72.25");
  CHECK(cell(0, "summary.latency_ns_p999").empty());
  CHECK(cell(0, "status") == "mismatch");
  CHECK(cell(1, "status") == "ok");
  CHECK(cell(2, "status") == "error");
  CHECK(cell(2, "summary.cycles").empty());
}

TEST_CASE("sweep: CSV round trip and merge by column name", "[sweep]") {
  Table a{{"point", "trace", "k", "m", "status"}, {{"p0", "a,b.pcap", "1", "say \"hi\"", "ok"}, {"p1", "c.pcap", "2", "", "error"}}};
  std::stringstream s;
  write_csv(s, a);
  CHECK(s.str().find("\"a,b.pcap\"") != std::string::npos);
  const Table back = read_csv(s);
  CHECK(back.columns == a.columns);
  CHECK(back.rows == a.rows);

  Table b{{"point", "trace", "j", "m", "x", "status"}, {{"q0", "d.pcap", "7", "3", "9", "ok"}}};
  const Table m = merge_tables({a, b});
  CHECK(m.columns == std::vector<std::string>{"point", "trace", "k", "m", "j", "x", "status"});
  REQUIRE(m.rows.size() == 3);
  CHECK(m.rows[0] == std::vector<std::string>{"p0", "a,b.pcap", "1", "say \"hi\"", "", "", "ok"});
  CHECK(m.rows[2] == std::vector<std::string>{"q0", "d.pcap", "", "3", "7", "9", "ok"});

  std::stringstream ragged("a,b\n1,2,3\n");
  CHECK_THROWS_AS(read_csv(ragged), std::invalid_argument);
  std::stringstream blank("a,b\r\n1,2\r\n\r\n");
  CHECK(read_csv(blank).rows.size() == 1);
}

TEST_CASE("sweep: bisection finds the smallest size within the drop budget", "[sweep]") {
  // Drops fall as the buffer grows: none from 37 KiB up.
  const auto drops = [](uint64_t v) { return v >= 37 * 1024 ? 0.0 : double(37 * 1024 - v) / 100; };
  std::vector<uint64_t> probed;
  const auto measure = [&](uint64_t v) {
    probed.push_back(v);
    return drops(v);
  };
  const auto within = [&](double budget) { return judge_by(measure, [=](double m) { return m <= budget; }); };
  MinResult r = find_min(9 * 1024, 1 << 20, 1024, true, 1, within(0));
  CHECK(r.found);
  CHECK(r.value == 37 * 1024);
  CHECK(probed.front() == 1u << 20);  // hi first: is there an answer at all?
  CHECK(r.probes.size() <= 12);
  for (const auto& p : r.probes) CHECK(p.pass == (drops(p.value) <= 0));

  // Granularity: the answer is lo + k * step.
  probed.clear();
  r = find_min(10000, 100000, 4096, true, 1, within(0));
  CHECK(r.value == 10000 + 7 * 4096);
  // A budget allows some drops.
  r = find_min(9 * 1024, 1 << 20, 1024, true, 1, within(10.24));
  CHECK(r.value == 36 * 1024);
  // lo already passes.
  r = find_min(64 * 1024, 1 << 20, 1024, true, 1, within(0));
  CHECK(r.value == 64 * 1024);
  // Even hi drops: no answer, after a single probe.
  r = find_min(1024, 4096, 1024, true, 1, within(0));
  CHECK_FALSE(r.found);
  CHECK(r.probes.size() == 1);
  CHECK(r.probes[0].value == 4096);
  // lo == hi: one probe.
  r = find_min(40000, 40000, 1, true, 1, within(0));
  CHECK((r.found && r.value == 40000 && r.probes.size() == 1));
  CHECK_THROWS_AS(find_min(2, 1, 1, true, 1, within(0)), std::invalid_argument);
  CHECK_THROWS_AS(find_min(1, 2, 0, true, 1, within(0)), std::invalid_argument);
}

TEST_CASE("sweep: plan, job list and Slurm script", "[sweep]") {
  Plan plan;
  plan.grid = {"mac.rx_fifo_bytes", "core.clock_mhz"};
  plan.line_rate = true;
  plan.plots = {"mac.rx_fifo_bytes:summary.latency_ns_p99"};
  plan.points = expand({{"mac.rx_fifo_bytes", {"16384", "65536"}}, {"core.clock_mhz", {"250"}}},
                       {"/data/it's.pcap"});
  const Plan back = plan_from_json(nlohmann::json::parse(plan_to_json(plan).dump()));
  CHECK(back.grid == plan.grid);
  CHECK(back.line_rate);
  CHECK(back.plots == plan.plots);
  REQUIRE(back.points.size() == 2);
  CHECK(back.points[1].set == plan.points[1].set);
  CHECK_THROWS_AS(plan_from_json(nlohmann::json::object()), std::invalid_argument);

  const std::string jobs = jobs_file(plan, "/scratch/sw", "/opt/nicsim/bin/nicsim");
  std::istringstream in(jobs);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1] ==
        "\"${NICSIM:-/opt/nicsim/bin/nicsim}\" replay '/data/it'\\''s.pcap' --config /scratch/sw/base_config.json "
        "--set mac.rx_fifo_bytes=65536 --set core.clock_mhz=250 --line-rate "
        "--report /scratch/sw/points/p0001.json > /scratch/sw/points/p0001.log 2>&1");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("") == "''");

  const std::string slurm = slurm_script(2, "/scratch/sw");
  CHECK(slurm.rfind("#!/bin/bash\n", 0) == 0);
  CHECK(slurm.find("#SBATCH --array=0-1\n") != std::string::npos);
  CHECK(slurm.find("$((SLURM_ARRAY_TASK_ID + 1))p\" /scratch/sw/jobs.txt") != std::string::npos);
}

TEST_CASE("sweep: gnuplot script draws one line per trace and other grid value", "[sweep]") {
  Table t{{"point", "trace", "mac.rx_fifo_bytes", "core.clock_mhz", "driver.allocator", "drops", "note", "status"}, {}};
  for (const char* trace : {"a/x.pcap", "b/y.pcap"})
    for (const char* clock : {"150", "250"})
      for (const char* size : {"65536", "9216", "16384"})
        t.rows.push_back({"p", trace, size, clock, "pages", std::string(clock) == "150" ? "5" : "0", "n/a", "ok"});
  CHECK_THROWS_AS(parse_plot("x"), std::invalid_argument);
  CHECK_THROWS_AS(parse_plot("x:"), std::invalid_argument);
  const PlotSpec spec = parse_plot("mac.rx_fifo_bytes:drops,note");
  CHECK(spec.ys == std::vector<std::string>{"drops", "note"});
  const PlotFiles f = make_plot(t, spec, {"mac.rx_fifo_bytes", "core.clock_mhz", "driver.allocator"}, "pngcairo");
  CHECK(f.skipped == std::vector<std::string>{"note"});
  CHECK(f.script.find("set terminal pngcairo") != std::string::npos);
  CHECK(f.script.find("set output 'drops+note-vs-mac.rx_fifo_bytes.png'") != std::string::npos);
  CHECK(f.script.find("multiplot layout 1,1") != std::string::npos);
  // Four series: 2 traces x 2 clocks; the constant allocator is not in the titles.
  CHECK(f.script.find("index 3 using 1:3") != std::string::npos);
  CHECK(f.script.find("index 4") == std::string::npos);
  CHECK(f.script.find("title 'y core.clock_mhz=250'") != std::string::npos);
  CHECK(f.script.find("allocator") == std::string::npos);
  // Points sorted by X within a series.
  CHECK(f.data.find("# x core.clock_mhz=150\n9216 \"9216\" 5\n16384 \"16384\" 5\n65536 \"65536\" 5\n") == 0);
  CHECK_THROWS_AS(make_plot(t, parse_plot("nope:drops"), {}, "png"), std::invalid_argument);

  // A non-numeric X becomes categories in first-seen order.
  const PlotFiles c = make_plot(t, parse_plot("trace:drops"), {"core.clock_mhz"}, "png");
  CHECK(c.script.find("xtic(2)") != std::string::npos);
  CHECK(c.data.find("0 \"a/x.pcap\" 5") != std::string::npos);
  CHECK(c.data.find("1 \"b/y.pcap\" 5") != std::string::npos);
  // Nothing numeric: nothing to draw.
  CHECK(make_plot(t, parse_plot("core.clock_mhz:note"), {}, "png").script.empty());
}

TEST_CASE("sweep: --grid options in order, a key swept twice refused, points named", "[sweep]") {
  const auto axes = parse_grid({"core.clock_mhz=150,175", "mac.rx_fifo_bytes=9K"}, fake_kind);
  REQUIRE(axes.size() == 2);
  CHECK(axes[0].key == "core.clock_mhz");
  CHECK(axes[1].values == std::vector<std::string>{"9216"});
  CHECK(parse_grid({}, fake_kind).empty());
  CHECK_THROWS_WITH(parse_grid({"mac.rx_fifo_bytes=9K", "mac.rx_fifo_bytes=16K"}, fake_kind),
                    "mac.rx_fifo_bytes: swept by two --grid options");

  const Point p{"p0007", "traces/inorder_4flows.pcap", {{"mac.rx_fifo_bytes", "9216"}, {"core.clock_mhz", "150"}}};
  CHECK(settings_text(p) == " mac.rx_fifo_bytes=9216 core.clock_mhz=150");
  CHECK(describe(p) == "p0007 inorder_4flows mac.rx_fifo_bytes=9216 core.clock_mhz=150");
  CHECK(describe(Point{"p0000", "/a/b.pcap", {}}) == "p0000 b");
}

TEST_CASE("sweep: metric paths pick nested values by index or field, and name their columns", "[sweep]") {
  const nlohmann::json r = {{"blocks", {{{"name", "crc"}, {"busy_fraction", 0.5}, {"lanes", {4, 8}}},
                                        {{"name", "placement"}, {"id", 3}, {"busy_fraction", 0.25}}}},
                            {"note", nullptr}};
  CHECK(lookup(r, "blocks[name=placement].busy_fraction")->get<double>() == 0.25);
  CHECK(lookup(r, "blocks[name=crc].lanes[1]")->get<int>() == 8);
  CHECK(lookup(r, "blocks[id=3].name")->get<std::string>() == "placement");  // a number matched as text
  CHECK(lookup(r, "blocks[0]")->at("name") == "crc");
  CHECK_FALSE(lookup(r, "note[0]"));   // not an array
  CHECK_FALSE(lookup(r, "blocks.x"));  // an array has no fields
  CHECK(column_name("blocks[name=crc].busy_fraction") == "block.crc.busy_fraction");
  CHECK(column_name("blocks[id=3].name") == "blocks[id=3].name");
  CHECK_THROWS_AS(check_path("blocks[=3]"), std::invalid_argument);
  CHECK_THROWS_AS(check_path("blocks[0]x"), std::invalid_argument);
  CHECK(cell_text(r["note"]).empty());
  CHECK(cell_text("text") == "text");
  CHECK(cell_text(0.25) == "0.25");
  CHECK(cell_text(true) == "true");
}

TEST_CASE("sweep: find_min on a step function probes hi, then bisects to the first passing value", "[sweep]") {
  // Drops 1 below 37, none from 37 up; the candidates are 0, 10, ..., 100.
  std::vector<uint64_t> probed;
  const auto step_at_37 = [&](uint64_t v) {
    probed.push_back(v);
    return v < 37 ? 1.0 : 0.0;
  };
  const auto none = [](double m) { return m <= 0; };
  MinResult r = find_min(0, 100, 10, true, 1, judge_by(step_at_37, none));
  CHECK((r.found && r.value == 40));
  // By hand, over k in [0, 10] (value 10k): k=10 passes; bisecting, k=4 passes, then k=1, 2
  // and 3 fail, which leaves k=4.
  CHECK(probed == std::vector<uint64_t>{100, 40, 10, 20, 30});

  // hi off the step: candidates 5, 25, 45 and hi = 50; only 50 passes.
  probed.clear();
  r = find_min(5, 50, 20, true, 1, judge_by([&](uint64_t v) {
                 probed.push_back(v);
                 return v >= 46 ? 0.0 : 2.0;
               }, none));
  CHECK((r.found && r.value == 50));
  CHECK(probed == std::vector<uint64_t>{50, 25, 45});

  std::vector<uint64_t> values;
  for_each_candidate(5, 50, 20, [&](uint64_t v) { values.push_back(v); });
  CHECK(values == std::vector<uint64_t>{5, 25, 45, 50});
  values.clear();
  for_each_candidate(7, 7, 3, [&](uint64_t v) { values.push_back(v); });
  CHECK(values == std::vector<uint64_t>{7});
  CHECK_THROWS_AS(for_each_candidate(1, 2, 0, [](uint64_t) {}), std::invalid_argument);
}

TEST_CASE("sweep: a trace list holds paths relative to itself, with comments", "[sweep]") {
  TempDir tmp;
  fs::create_directories(tmp.path / "lists" / "t");
  std::ofstream(tmp.path / "lists" / "t" / "a.pcap") << "x";
  std::ofstream(tmp.path / "abs.pcap") << "x";
  const std::string list = (tmp.path / "lists" / "all.txt").string();
  std::ofstream(list) << "# traces\n  t/a.pcap \r\n\n" << (tmp.path / "abs.pcap").string() << "\n";
  CHECK(sweep_traces({"given.pcap"}, list) ==
        std::vector<std::string>{"given.pcap", (tmp.path / "lists" / "t" / "a.pcap").string(),
                                 (tmp.path / "abs.pcap").string()});
  CHECK(sweep_traces({"given.pcap"}, "") == std::vector<std::string>{"given.pcap"});
  CHECK_THROWS_WITH(sweep_traces({}, ""), "give at least one --trace or a --trace-list");
  std::ofstream(list) << "missing.pcap\n";
  CHECK_THROWS_WITH(sweep_traces({}, list), Catch::Contains("no trace file"));
}

TEST_CASE("sweep: a merge reads sweep directories as far as they ran, and CSVs", "[sweep]") {
  TempDir tmp;
  Plan plan;
  plan.grid = {"mac.rx_fifo_bytes"};
  plan.plots = {"mac.rx_fifo_bytes:counters.drop_mac_fifo_full"};
  plan.points = expand({{"mac.rx_fifo_bytes", {"9216", "65536"}}}, {"t.pcap"});
  const fs::path sw1 = tmp.path / "sw1";
  fs::create_directories(sw1 / kPointsDir);
  std::ofstream(sw1 / kPlanFile) << plan_to_json(plan).dump();
  std::ofstream(report_path(sw1, plan.points[1])) << sample_report(0, true).dump();
  CHECK(report_path(sw1, plan.points[1]) == sw1 / "points" / "p0001.json");
  CHECK(log_path(sw1, plan.points[1]) == sw1 / "points" / "p0001.log");

  Merged m = merge_results({sw1.string()});
  CHECK(m.missing == 1);
  CHECK(m.plots == plan.plots);
  REQUIRE(m.table.rows.size() == 1);
  CHECK(m.table.rows[0][0] == "p0001");

  const fs::path csv = tmp.path / "old.csv";
  std::ofstream(csv) << "point,trace,extra,status\nq0,u.pcap,7,ok\n";
  m = merge_results({sw1.string(), csv.string()});
  REQUIRE(m.table.rows.size() == 2);
  CHECK(m.table.rows[0][0] == "sw1/p0001");  // several inputs: the directory's name in front
  CHECK(m.table.rows[1][size_t(m.table.column("extra"))] == "7");
  CHECK(m.table.columns.back() == "status");
  CHECK_THROWS_WITH(merge_results({(tmp.path / "none").string()}), Catch::Contains("neither a sweep directory"));
  fs::create_directories(tmp.path / "empty");
  CHECK_THROWS_WITH(merge_results({(tmp.path / "empty").string()}), Catch::Contains("no sweep.json"));
}

TEST_CASE("sweep: the runner reports each child's exit status and keeps its output in a log", "[sweep]") {
  TempDir tmp;
  const auto log = [&](size_t i) { return (tmp.path / ("j" + std::to_string(i) + ".log")).string(); };
  CHECK(run_and_wait({"sh", {"-c", "echo hi; exit 3"}, log(9), ""}) == 3);
  std::ifstream in(log(9));
  std::string line;
  CHECK((std::getline(in, line) && line == "hi"));
  CHECK(run_and_wait({"sh", {"-c", "pwd -P"}, log(8), tmp.path.string()}) == 0);
  std::ifstream cwd(log(8));
  CHECK((std::getline(cwd, line) && line == fs::canonical(tmp.path).string()));
  CHECK(run_and_wait({"sh", {"-c", "kill -9 $$"}, log(7), ""}) == 128 + 9);

  std::map<size_t, int> status;
  size_t most_running = 0;
  run_pool(
      4, 2, [&](size_t i) { return Job{"sh", {"-c", "exit " + std::to_string(i)}, log(i), ""}; },
      [&](size_t i, int code, double secs) {
        status[i] = code;
        CHECK(secs >= 0);
      },
      [&](size_t, size_t running) { most_running = std::max(most_running, running); });
  CHECK(status == std::map<size_t, int>{{0, 0}, {1, 1}, {2, 2}, {3, 3}});
  CHECK(most_running <= 2);
}

TEST_CASE("sweep: --target specs give the metric and the bound a value must meet", "[sweep]") {
  using K = Target::Kind;
  const auto is = [](const std::string& spec, K kind, double amount) {
    const Target t = parse_target(spec);
    return t.kind == kind && std::abs(t.amount - amount) < 1e-9 * std::max(1.0, amount);
  };
  CHECK(is("throughput:1%", K::throughput, 0.01));
  CHECK(is(" throughput: 0.5 % ", K::throughput, 0.005));
  CHECK(is("throughput:0%", K::throughput, 0));
  CHECK(is("p99<=50us", K::p99, 50000));
  CHECK(is("p99<=50000", K::p99, 50000));
  CHECK(is("p99<=50000ns", K::p99, 50000));
  CHECK(is("p99<=0.05ms", K::p99, 50000));
  CHECK(is("p99 <= 1.5 us", K::p99, 1500));
  CHECK(is("drops<=0", K::drops, 0));
  CHECK(is("drops<=12", K::drops, 12));
  for (const char* bad : {"", "throughput", "throughput:1", "throughput:%", "throughput:100%", "throughput:-1%",
                          "throughput:1%%", "p99<50us", "p99<=", "p99<=us", "p99<=50s", "p99<=-5", "p99<=5e",
                          "drops<=-1", "drops<=x", "drops=1", "latency<=5us"})
    CHECK_THROWS_WITH(parse_target(bad), Catch::Contains("expected throughput:P%"));

  const Target tput = parse_target("throughput:1%"), p99 = parse_target("p99<=50us"), drops = parse_target("drops<=2");
  CHECK(target_metric(tput, true, "d") == "closed_loop.total.throughput_gbps");
  CHECK(target_metric(tput, false, "d") == "summary.achieved_gbps");
  CHECK(target_metric(p99, true, "d") == "closed_loop.total.clat_ns.p99");
  CHECK(target_metric(p99, false, "d") == "summary.latency_ns_p99");
  CHECK(target_metric(drops, true, "counters.drop_rx_ring_full") == "counters.drop_rx_ring_full");

  // Throughput: within 1 % of the reference, a value above it included.
  const Bound b = target_bound(tput, 70);
  CHECK(b.at_least);
  CHECK(b.limit == Approx(69.3));
  CHECK(b.meets(69.3));
  CHECK(b.meets(75));
  CHECK_FALSE(b.meets(69.29));
  CHECK(bound_text("m", b) == "m >= 69.3");
  // Latency and drops ignore the reference.
  CHECK(target_bound(p99, 123).meets(50000));
  CHECK_FALSE(target_bound(p99, 123).meets(50001));
  CHECK(bound_text("m", target_bound(p99, 0)) == "m <= 50000");
  CHECK(bound_text("m", target_bound(parse_target("p99<=1ms"), 0)) == "m <= 1000000");
  CHECK(target_bound(drops, 0).meets(2));
  CHECK_FALSE(target_bound(drops, 0).meets(3));
}

TEST_CASE("sweep: find_min on a target that is not monotonic scans or verifies its bisection", "[sweep]") {
  // Passes at 14 alone, then from 23 up: as a closed loop's throughput near its plateau.
  const auto pass = [](uint64_t v) { return v == 14 || v >= 23; };
  std::vector<std::vector<uint64_t>> batches;
  const Judge judge = [&](const std::vector<uint64_t>& values) {
    batches.push_back(values);
    std::vector<bool> out;
    for (uint64_t v : values) out.push_back(pass(v));
    return out;
  };
  const auto judged = [&] {
    std::vector<uint64_t> all;
    for (const auto& b : batches) all.insert(all.end(), b.begin(), b.end());
    return all;
  };

  // 32 candidates: a scan down from hi, hi alone and then 4 at a time, ending with the batch
  // that holds the first failure.
  CHECK(search_method(0, 31, 1, false) == Method::scan);
  MinResult r = find_min(0, 31, 1, false, 4, judge);
  CHECK((r.found && r.value == 23));
  REQUIRE(batches.size() == 4);
  CHECK(batches[0] == std::vector<uint64_t>{31});
  CHECK(batches[1] == std::vector<uint64_t>{30, 29, 28, 27});
  CHECK(batches[3] == std::vector<uint64_t>{22, 21, 20, 19});
  CHECK(r.probes.size() == 13);
  // One at a time, it stops at the failure.
  batches.clear();
  r = find_min(0, 31, 1, false, 1, judge);
  CHECK(r.value == 23);
  CHECK(judged().back() == 22);
  // Everything passes: the scan reaches lo.
  batches.clear();
  r = find_min(23, 40, 1, false, 8, judge);
  CHECK(r.value == 23);
  CHECK(r.probes.size() == 18);

  // 63 candidates: bisection judges 30, then 14, which passes, and below it only failures, so
  // it answers 14; verified, the candidates right above 14 fail and the search moves above them.
  CHECK(search_method(0, 62, 1, false) == Method::verified_bisection);
  CHECK(search_method(0, 62, 1, true) == Method::bisection);
  batches.clear();
  r = find_min(0, 62, 1, true, 1, judge);
  CHECK(r.value == 14);  // plain bisection is fooled
  batches.clear();
  r = find_min(0, 62, 1, false, 2, judge);
  CHECK((r.found && r.value == 23));
  const auto all = judged();
  // Every candidate judged above the answer passed, and so did the kVerifySteps right above it.
  for (uint64_t v : all) CHECK((v < 23 || pass(v)));
  for (uint64_t v = 24; v <= 23 + kVerifySteps; ++v) CHECK(std::count(all.begin(), all.end(), v) == 1);
  CHECK(std::count(all.begin(), all.end(), 22) == 1);
  CHECK(r.probes.size() == all.size());
  CHECK(all.size() < 20);
  // A verification batch runs at once.
  CHECK(std::any_of(batches.begin(), batches.end(), [](const auto& b) { return b.size() == kVerifySteps; }));

  // Monotonic (a replay's drops): no verification, the old bisection.
  batches.clear();
  r = find_min(0, 100, 1, true, 8, [&](const std::vector<uint64_t>& values) {
    batches.push_back(values);
    return std::vector<bool>(values.size(), values[0] >= 40);
  });
  CHECK(r.value == 40);
  CHECK(std::all_of(batches.begin(), batches.end(), [](const auto& b) { return b.size() == 1; }));
  // Even hi fails: no answer, whatever the method.
  for (bool mono : {true, false}) {
    r = find_min(0, 100, 1, mono, 4, [](const std::vector<uint64_t>& v) { return std::vector<bool>(v.size(), false); });
    CHECK_FALSE(r.found);
    CHECK(r.probes.size() == 1);
  }
  CHECK(method_text(Method::verified_bisection) == "bisection verified 3 steps up");
}

TEST_CASE("sweep: a metric path reaches a key with dots in it", "[sweep]") {
  const nlohmann::json r = {{"closed_loop", {{"total", {{"clat_ns", {{"p99", 81919}, {"p99.9", 83753}}}}}}},
                            {"a.b", {{"c", 1}, {"list", {5, 6}}}},
                            {"a", {{"b", {{"c", 2}}}}},
                            {"x.y", {{{"name", "q.r"}, {"v", 7}}}}};
  CHECK(lookup(r, "closed_loop.total.clat_ns.p99.9")->get<int>() == 83753);
  CHECK(lookup(r, "closed_loop.total.clat_ns.p99")->get<int>() == 81919);
  CHECK_FALSE(lookup(r, "closed_loop.total.clat_ns.p99.5"));
  // The longest key that exists wins.
  CHECK(lookup(r, "a.b.c")->get<int>() == 1);
  CHECK(lookup(r, "a.b.list[1]")->get<int>() == 6);
  CHECK(lookup(r, "x.y[name=q.r].v")->get<int>() == 7);
  CHECK(column_name("closed_loop.total.clat_ns.p99.9") == "closed_loop.total.clat_ns.p99.9");
  CHECK(column_name("x.y[name=q.r].v") == "x.y.q.r.v");
}

TEST_CASE("sweep: closed-loop points run nicsim run with their options and have their own columns",
          "[sweep]") {
  CHECK(run_words("  --flows 8 --io-size '4K,64K'  --note \"a b\" ''") ==
        std::vector<std::string>{"--flows", "8", "--io-size", "4K,64K", "--note", "a b", ""});
  CHECK(run_words("").empty());
  CHECK_THROWS_WITH(run_words("--flows 'x"), Catch::Contains("unclosed quote"));
  for (const char* owned :
       {"--set mac.rx_fifo_bytes=1", "--config c.json", "--report=r.json", "--csv c", "--pcap-out p"})
    CHECK_THROWS_WITH(run_words(std::string("--flows 8 ") + owned), Catch::Contains("is set by the sweep"));

  const std::string opts = "--flows 8 --io-size 2K";
  const auto pts = expand({{"mac.rx_fifo_bytes", {"2048", "65536"}}}, {"t.pcap"}, {opts});
  REQUIRE(pts.size() == 4);
  CHECK_FALSE(pts[1].run);
  CHECK((pts[2].run && *pts[2].run == opts && pts[2].trace.empty()));
  CHECK(pts[3].id == "p0003");
  CHECK(describe(pts[2]) == "p0002 run --flows 8 --io-size 2K mac.rx_fifo_bytes=2048");
  CHECK(point_args(pts[3], true, "/s") ==
        std::vector<std::string>{"run", "--flows", "8", "--io-size", "2K", "--config", "/s/base_config.json", "--set",
                                 "mac.rx_fifo_bytes=65536", "--report", "/s/points/p0003.json"});
  const auto replay = point_args(pts[0], true, "/s");
  CHECK(replay[0] == "replay");
  CHECK(std::count(replay.begin(), replay.end(), "--line-rate") == 1);

  Plan plan;
  plan.grid = {"mac.rx_fifo_bytes"};
  plan.points = pts;
  const Plan back = plan_from_json(nlohmann::json::parse(plan_to_json(plan).dump()));
  CHECK(back.points[0].trace == "t.pcap");
  CHECK_FALSE(back.points[0].run);
  CHECK((back.points[3].run && *back.points[3].run == opts));

  // Statuses: `nicsim run` exits 0 when every read completed byte-exact, 1 when not.
  TempDir tmp;
  const auto outcome = [&](const nlohmann::json& rep, std::optional<int> code) {
    const fs::path f = tmp.path / "r.json";
    std::ofstream(f) << rep.dump();
    return load_outcome(f.string(), code);
  };
  CHECK(status_of(outcome(sample_loop_report(true, 0), 0)) == "ok");
  CHECK(status_of(outcome(sample_loop_report(true, 0), std::nullopt)) == "ok");
  CHECK(status_of(outcome(sample_loop_report(false, 0), 1)) == "mismatch");
  CHECK(status_of(outcome(sample_loop_report(true, 2), 1)) == "mismatch");
  CHECK(status_of(outcome(sample_loop_report(true, 2), std::nullopt)) == "mismatch");
  CHECK(status_of(outcome(sample_loop_report(true, 0), 1)) == "mismatch");  // reads not followed
  CHECK(status_of(outcome(sample_loop_report(true, 0), 2)) == "error");
  CHECK(status_of(outcome(sample_report(0, true), 1)) == "error");  // a replay's as before

  // Columns: a closed-loop sweep names its run and puts the closed loop's figures first; a
  // mixed one has both workload columns.
  std::vector<std::optional<Outcome>> outcomes;
  for (const auto& p : pts)
    outcomes.push_back(outcome(p.run ? sample_loop_report(true, 0) : sample_report(0, true), 0));
  Plan runs = plan;
  runs.points = {pts[2], pts[3]};
  const Table t = results_table(runs, {outcomes[2], outcomes[3]});
  const std::vector<std::string> head{"point",
                                      "run",
                                      "mac.rx_fifo_bytes",
                                      "closed_loop.total.throughput_gbps",
                                      "closed_loop.total.iops",
                                      "closed_loop.total.clat_ns.p50",
                                      "closed_loop.total.clat_ns.p99",
                                      "closed_loop.total.clat_ns.p99.9",
                                      "counters.tcp_target_retransmitted_segments",
                                      "counters.tcp_target_rtos",
                                      "summary.offered_gbps"};
  CHECK(std::vector<std::string>(t.columns.begin(), t.columns.begin() + long(head.size())) == head);
  REQUIRE(t.rows.size() == 2);
  CHECK(t.rows[0][1] == opts);
  CHECK(t.rows[0][size_t(t.column("closed_loop.total.clat_ns.p99.9"))] == "83753");
  CHECK(t.rows[0][size_t(t.column("counters.tcp_target_rtos"))] == "0");
  CHECK(t.rows[0].back() == "ok");
  const Table mixed = results_table(plan, outcomes);
  CHECK(std::vector<std::string>(mixed.columns.begin(), mixed.columns.begin() + 4) ==
        std::vector<std::string>{"point", "trace", "run", "mac.rx_fifo_bytes"});
  CHECK(mixed.rows[0][2].empty());
  CHECK(mixed.rows[3][1].empty());
  CHECK(mixed.rows[0][size_t(mixed.column("closed_loop.total.throughput_gbps"))].empty());
  // A replay-only table is as it was.
  Plan replays = plan;
  replays.points = {pts[0], pts[1]};
  CHECK(results_table(replays, {outcomes[0], outcomes[1]}).column("run") < 0);
  CHECK(results_table(replays, {outcomes[0], outcomes[1]}).column("closed_loop.total.iops") < 0);

  // A plot draws a line per run, titled by its options.
  const PlotFiles f = make_plot(mixed, parse_plot("mac.rx_fifo_bytes:counters.drop_mac_fifo_full"), {}, "png");
  CHECK(f.script.find("title 't'") != std::string::npos);
  CHECK(f.script.find("title 'run --flows 8 --io-size 2K'") != std::string::npos);
}
