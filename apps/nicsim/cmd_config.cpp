// `nicsim config`: the parameters an architect sizes, as a loadable file or as a table.
#include <CLI/CLI.hpp>

#include <iostream>
#include <sstream>
#include <variant>

#include "apps/nicsim/commands.hpp"
#include "hw/top/sram_budget.hpp"
#include "tb/config/sim_config.hpp"

namespace nicsim {

namespace {

std::string value_text(const nic::ParamRef& p) {
  return std::visit(
      [](auto* v) -> std::string {
        using T = std::remove_pointer_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) return *v ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::string>) return *v;
        else {
          std::ostringstream o;
          o << *v;
          return o.str();
        }
      },
      p.value);
}

struct ConfigArgs {
  bool dump = false, table = false, sram = false;
  std::string file;
  std::vector<std::string> sets;
} g_cfg;

}  // namespace

void add_config_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("config", "Show the NIC configuration");
  sub->add_flag("--dump", g_cfg.dump, "print the configuration as a JSON file replay can load");
  sub->add_flag("--table", g_cfg.table, "print every parameter with default, unit, range and meaning (Markdown)");
  sub->add_flag("--sram", g_cfg.sram, "print the on-chip memory budget: every RAM the configuration implies");
  sub->add_option("--config", g_cfg.file, "start from this file")->check(CLI::ExistingFile);
  sub->add_option("--set", g_cfg.sets, "override a key: --set mac.rx_fifo_bytes=32768");
  sub->callback([] {
    nic::SimConfig cfg;
    try {
      if (!g_cfg.file.empty()) nic::load_config_file(cfg, g_cfg.file);
      for (const auto& s : g_cfg.sets) nic::apply_assignment(cfg, s);
      nic::validate(cfg);
    } catch (const std::invalid_argument& e) {
      std::cerr << "nicsim config: " << e.what() << "\n";
      set_exit_status(2);
      return;
    }
    if (g_cfg.sram) {
      nic::write_sram_table(std::cout, nic::sram_budget(cfg));
    } else if (g_cfg.table) {
      std::cout << "| parameter | default | unit | range | meaning |\n|---|---|---|---|---|\n";
      nic::for_each_param(cfg, [](const nic::ParamRef& p) {
        std::cout << "| `" << p.key << "` | " << value_text(p) << " | " << p.unit << " | "
                  << nic::range_text(p) << " | " << p.help << " |\n";
      });
    } else {
      std::cout << nic::config_to_json(cfg) << "\n";
    }
  });
}

}  // namespace nicsim
