// Device add and remove through the scenario language (filesystem.spare_devices, device_add,
// device_remove): the prepared state passes the model's fsck and, exported, btrfs check (loop devices for
// a filesystem of several devices: root and btrfs-progs, else SKIPPED); a spare index past the list is
// an input error at the operation's JSON path.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "model/fsck.hpp"
#include "sim/binding.hpp"
#include "sim/btrfs_check_image.hpp"
#include "sim/diagnostics.hpp"
#include "sim/prepared.hpp"
#include "sim/scenario_load.hpp"

using namespace fsrace;
using verdict = sim::btrfs_check_result::verdict;
using nlohmann::json;

namespace {

json scenario_with_setup(json setup) {
  json fs = {{"devices", {"512MiB", "512MiB"}}, {"spare_devices", {"1GiB"}},
             {"profiles", {{"data", "single"}, {"metadata", "raid1"}, {"system", "raid1"}}}};
  fs["setup"] = std::move(setup);
  return {{"name", "devices"},
          {"title", "device add and remove in setup"},
          {"filesystem", fs},
          {"threads", {{{"name", "t"}, {"ops", {{{"op", "sync"}}}}}}},
          {"expectations", {{{"fixes", "on"}, {"result", "clean"}}}}};
}

void check_prepared(const json& doc, size_t devices) {
  auto sc = sim::parse_scenario(doc, "devices.json", *sim::default_binding().cat);
  sim::prepared_scenario prepared(*sc, sim::default_binding());
  const model::btrfs_fs_info& fs = *prepared.base().fs();
  CHECK(fs.devices.size() == devices);
  CHECK(model::btrfs_check(fs).empty());
  const sim::btrfs_check_result r = sim::btrfs_check_image(fs);
  INFO(sim::to_string(r.result) << ": " << r.detail);
  if (r.result == verdict::not_available) {
    WARN("SKIPPED: btrfs check not available: " << r.detail);
    return;
  }
  CHECK(r.result == verdict::passed);
}

}  // namespace

TEST_CASE("device add and remove in setup: fsck and btrfs check of the result", "[device_add][device_remove][btrfs_check]") {
  const json write = {{"op", "create_file"}, {"file", "a"}, {"size", "4MiB"}, {"seed", 1}};
  // After an add: three devices, the data written after it partly on the new one.
  check_prepared(scenario_with_setup({write, {{"op", "device_add"}, {"spare", 0}},
                                      {{"op", "create_file"}, {"file", "b"}, {"size", "8MiB"}, {"seed", 2}},
                                      {{"op", "sync"}}}),
                 3);
  // After an add and the removal of devid 1: every chunk moved off it.
  check_prepared(scenario_with_setup({write, {{"op", "sync"}}, {{"op", "device_add"}, {"spare", 0}},
                                      {{"op", "device_remove"}, {"devid", 1}}}),
                 2);
}

TEST_CASE("device_add: a spare index past filesystem.spare_devices is an input error", "[device_add]") {
  json doc = scenario_with_setup({{{"op", "device_add"}, {"spare", 3}}});
  try {
    sim::parse_scenario(doc, "devices.json", *sim::default_binding().cat);
    FAIL("accepted");
  } catch (const sim::input_error& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Catch::Contains("/filesystem/setup/0/spare"));
    CHECK_THAT(what, Catch::Contains("spare device index in 0..0"));
  }
}
