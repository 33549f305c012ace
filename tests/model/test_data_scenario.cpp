// The data operation family through the scenario language: the ops run concurrently under random
// schedules with fsck and the oracle clean, bad parameters are reported against their JSON path,
// and the data_matches_oracle invariant names lost data.
#include <catch2/catch.hpp>

#include <algorithm>

#include "model/bio.hpp"
#include "model/data/file_extent.hpp"
#include "model/data/inode.hpp"
#include "model/fs_info.hpp"
#include "sim/explore.hpp"
#include "sim/model_world.hpp"
#include "sim/scenario_load.hpp"

using namespace fsrace;
using nlohmann::json;

namespace {

std::unique_ptr<sim::scenario> data_scenario(const json& threads, const json& invariants) {
  json doc = {{"name", "data-ops"},
              {"title", "data ops"},
              {"filesystem",
               {{"devices", {"1GiB", "1GiB"}},
                {"profiles", {{"data", "raid1"}, {"metadata", "raid1"}, {"system", "raid1"}}},
                {"setup",
                 {{{"op", "create_file"}, {"file", "a"}, {"size", "64KiB"}, {"seed", 1}},
                  {{"op", "create_file"}, {"file", "n"}, {"size", "32KiB"}, {"seed", 2}, {"nodatacow", true}},
                  {{"op", "create_file"}, {"file", "p"}},
                  {{"op", "fallocate"}, {"file", "p"}, {"length", "128KiB"}},
                  {{"op", "sync"}}}}}},
              {"threads", threads},
              {"invariants", invariants},
              {"expectations", {{{"fixes", "on"}, {"result", "clean"}}}}};
  return sim::parse_scenario(doc, "data-ops.json", *sim::default_binding().cat);
}

}  // namespace

// No fsync or sync in the threads: a commit racing with other writers trips a core bug (dirty tree
// blocks of the next transaction written out by the previous commit), see test_data_property.cpp.
TEST_CASE("data scenario: every data op concurrently under random schedules keeps fsck and the oracle clean",
          "[data][sim]") {
  const json threads = {
      {{"name", "t1"},
       {"ops",
        {{{"op", "write"}, {"file", "a"}, {"offset", 5000}, {"length", 20000}, {"seed", 3}},
         {{"op", "dio_write"}, {"file", "p"}, {"offset", "16KiB"}, {"length", "16KiB"}, {"seed", 4}},
         {{"op", "writeback"}, {"file", "a"}},
         {{"op", "read_verify"}, {"file", "a"}},
         {{"op", "truncate"}, {"file", "a"}, {"size", 30000}},
         {{"op", "read_verify"}, {"file", "a"}, {"direct", true}}}}},
      {{"name", "t2"},
       {"ops",
        {{{"op", "dio_write"}, {"file", "n"}, {"offset", "8KiB"}, {"length", "8KiB"}, {"seed", 5}},
         {{"op", "write"}, {"file", "p"}, {"offset", "64KiB"}, {"length", "8KiB"}, {"seed", 6}},
         {{"op", "create_file"}, {"file", "b"}, {"size", "8KiB"}, {"seed", 7}},
         {{"op", "read_verify"}, {"file", "n"}, {"direct", true}},
         {{"op", "unlink"}, {"file", "b"}},
         {{"op", "read_verify"}, {"file", "p"}}}}},
      {{"name", "flusher"}, {"ops", {{{"op", "flush_delalloc"}}, {{"op", "wait_ordered"}}}}}};
  auto sc = data_scenario(threads, {"user_errors", "fsck", "data_matches_oracle"});
  sim::prepared_scenario prepared(*sc, sim::default_binding());
  sim::explore_request req;
  req.settings = sc->explore;
  req.settings.strategy = sim::strategy_kind::random;
  req.settings.runs = 300;
  req.fixes.on = true;
  req.max_violations = 1;
  const sim::exploration e = sim::explore(prepared, req);
  INFO((e.violations.empty() ? std::string() : e.violations[0].finding.message));
  INFO((e.tool_error ? e.tool_error->finding.message : std::string()));
  CHECK(e.violations.empty());
  CHECK_FALSE(e.tool_error);
  CHECK(e.executions == 300);
}

TEST_CASE("data scenario: a misaligned direct write is refused against its JSON path", "[data][sim]") {
  const json threads = {{{"name", "t"}, {"ops", {{{"op", "dio_write"}, {"file", "a"}, {"offset", 100}, {"length", "4KiB"}}}}}};
  std::string message;
  try {
    data_scenario(threads, {"user_errors"});
  } catch (const sim::input_error& e) {
    message = e.what();
  }
  CHECK(message.find("/threads/0/ops/0/offset") != std::string::npos);
  CHECK(message.find("4KiB") != std::string::npos);
}

TEST_CASE("data scenario: a write to a file no op defines is refused", "[data][sim]") {
  const json threads = {{{"name", "t"}, {"ops", {{{"op", "write"}, {"file", "nope"}, {"length", "4KiB"}}}}}};
  std::string message;
  try {
    data_scenario(threads, {"user_errors"});
  } catch (const sim::input_error& e) {
    message = e.what();
  }
  CHECK(message.find("/threads/0/ops/0/file") != std::string::npos);
}

TEST_CASE("data scenario: data_matches_oracle names the lost data of a corrupted single copy", "[data][sim]") {
  const json threads = {{{"name", "t"}, {"ops", {{{"op", "read_verify"}, {"file", "n"}}}}}};
  auto sc = data_scenario(threads, {"data_matches_oracle"});
  sim::prepared_scenario prepared(*sc, sim::default_binding());
  const sim::invariant_spec* inv = sim::default_binding().cat->find_invariant("data_matches_oracle");
  REQUIRE(inv);
  auto world = prepared.base().clone();
  CHECK(inv->check(sim::check_context(*world, *sc), {}).empty());

  // Both raid1 copies of the first sector of the nodatacow file "n" (no checksum to catch it).
  model::btrfs_fs_info& fs = *world->fs();
  const uint64_t ino = model::btrfs_lookup_name(fs, model::BTRFS_FS_TREE_OBJECTID, "n");
  REQUIRE(ino);
  const auto items = model::btrfs_lookup_file_extents(fs, *fs.get_fs_root(model::BTRFS_FS_TREE_OBJECTID), ino, 0, ~0ull);
  REQUIRE(!items.empty());
  const uint64_t logical = items[0].fi.disk_bytenr;
  const auto map = model::chunk_map_of(fs, *std::prev(fs.mapping_tree.upper_bound(logical))->second);
  std::vector<uint8_t> junk(4096, 0x5a);
  for (const auto& stripe : map.stripes)
    fs.device(stripe.devid)->bdev.write(stripe.physical + (logical - map.start), junk);
  const auto problems = inv->check(sim::check_context(*world, *sc), {});
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("lost data: file n") != std::string::npos);
  CHECK(problems[0].find("offset 0 len 4096") != std::string::npos);
  CHECK(problems[0].find("create_file") != std::string::npos);
}
