#include <filesystem>

#include <fmt/format.h>

#include "reports/write_atomic.hpp"
#include "sim/cli/commands.hpp"
#include "sim/listing.hpp"
#include "sim/prepared.hpp"
#include "sim/scenario_load.hpp"

namespace fsrace::cli {

int cmd_validate(const std::vector<std::string>& files) {
  const sim::binding& b = sim::default_binding();
  int code = kClean;
  for (const auto& f : files) {
    try {
      auto sc = load_scenario_arg(f, *b.cat);
      sim::prepared_scenario prepared(*sc, b);  // builds the filesystem and runs the setup
      fmt::print("ok: {} ({}: {} thread{}, {} expectation{}, setup {} steps)\n", f, sc->name, sc->threads.size(),
                 sc->threads.size() == 1 ? "" : "s", sc->expectations.size(), sc->expectations.size() == 1 ? "" : "s",
                 prepared.setup_steps());
    } catch (const sim::input_error& e) {
      print_input_error(e);
      code = kBadInput;
    }
  }
  return code;
}

int cmd_list(bool json) {
  const sim::binding& b = sim::default_binding();
  if (json) fmt::print("{}\n", sim::list_json(*b.cat).dump(2));
  else fmt::print("binding: {}\n\n{}", b.name, sim::list_text(*b.cat));
  return kClean;
}

int cmd_new(const std::string& name, const std::string& output, bool force) {
  const sim::binding& b = sim::default_binding();
  const std::string path = output.empty() ? name + ".json" : output;
  const std::string text = sim::starter_scenario(name, *b.cat);
  sim::parse_scenario(sim::parse_json_text(text, path), path, *b.cat);  // NAME is checked like any scenario name
  if (!force && std::filesystem::exists(path))
    throw sim::input_error(path, "", "the file exists; choose another name, -o FILE, or --force");
  try {
    reports::write_file_atomic(path, text);
  } catch (const std::runtime_error& e) {
    throw sim::input_error(path, "", e.what());
  }
  fmt::print("wrote {}: edit it, then `fsrace validate {}` and `fsrace explore {}`\n", path, path, path);
  return kClean;
}

}  // namespace fsrace::cli
