// fsrace export of the state after an execution (--seed / --schedule / --switches, --until N): the
// committed state as the devices hold it then, judged by btrfs check where btrfs-progs is installed.
// relocation-vs-fsync-commit under the schedule that never switches (--switches ""), fixes on: the
// fsync thread's commit of transaction 3 switches the commit roots at step 174 and writes the tree
// blocks and the super block at step 179; steps 174 to 178 are inside that commit.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/reports/process.hpp"

namespace {

namespace fs = std::filesystem;
using fsrace::test::fsrace_cmd;
using fsrace::test::run_shell;
using fsrace::test::scratch_dir;

const std::string kRelocation = FSRACE_SOURCE_DIR "/scenarios/relocation-vs-fsync-commit.json";
const std::string kBalance = FSRACE_SOURCE_DIR "/scenarios/balance-vs-cleaner-same-chunk.json";

bool have_btrfs() { return run_shell("command -v btrfs").code == 0; }

fsrace::test::process_result export_to(const std::string& scenario, const std::string& name, const std::string& flags) {
  return run_shell(fsrace_cmd("export '" + scenario + "' -o '" + (scratch_dir() / name).string() + "' " + flags));
}

// btrfs check's exit code on a one-device export.
int btrfs_check(const std::string& name) {
  const auto r = run_shell("btrfs check --readonly --check-data-csum '" + (scratch_dir() / name / "0.img").string() + "'");
  INFO(r.out << r.err);
  return r.code;
}

// The same bytes (cmp: the images are large sparse files).
bool same_image(const std::string& a, const std::string& b) {
  return run_shell("cmp -s '" + (scratch_dir() / a / "0.img").string() + "' '" + (scratch_dir() / b / "0.img").string() + "'").code == 0;
}

}  // namespace

TEST_CASE("export --seed: the committed state at the end of a clean execution", "[export]") {
  const auto setup = export_to(kRelocation, "setup", "");
  REQUIRE(setup.code == 0);
  CHECK(setup.out.find("the committed state after setup (generation 2)") != std::string::npos);
  // 978 steps since insert_dev_extents holds device_list_mutex (session 16: two points for the chunk the
  // relocation allocates; 976 before, 974 before btrfs_remove_chunk held it: the cleaner's removal of the
  // emptied group takes it).
  const auto end = export_to(kRelocation, "end", "--seed 1 --fixes on");
  REQUIRE(end.code == 0);
  CHECK(end.out.find("the committed state at the end (978 steps) of fixes on, pct depth 5 seed 1; it ended clean (generation 11)") !=
        std::string::npos);
  CHECK_FALSE(same_image("setup", "end"));
  const auto again = export_to(kRelocation, "end-again", "--seed 1 --fixes on");
  REQUIRE(again.code == 0);
  CHECK(same_image("end", "end-again"));
  // balance-vs-cleaner-same-chunk: after the commit of transaction 4, which changed no tree (its tree root
  // block is still transaction 3's), the super block's generation is the tree root's, as
  // update_super_roots takes it from the root item (a generation 4 there fails btrfs check: "parent
  // transid verify failed on 9486336 wanted 4 found 3").
  const auto empty_commit = export_to(kBalance, "empty-commit", "--seed 1 --fixes on --until 41");
  REQUIRE(empty_commit.code == 0);
  CHECK(empty_commit.out.find("after step 41 of 145") != std::string::npos);  // 143 before btrfs_remove_chunk took device_list_mutex
  if (!have_btrfs()) {
    WARN("SKIPPED: btrfs check (btrfs-progs is not installed; .ci/install-deps installs it)");
    return;
  }
  CHECK(btrfs_check("end") == 0);
  CHECK(btrfs_check("empty-commit") == 0);
}

TEST_CASE("export --until: the committed state after a step, inside a commit it is refused", "[export]") {
  const auto before = export_to(kRelocation, "before", "--switches '' --fixes on --until 173");
  REQUIRE(before.code == 0);
  CHECK(before.out.find("after step 173 of 993 of fixes on, switches (none); it ended clean (generation 2)") != std::string::npos);
  for (const char* step : {"174", "178"}) {
    const auto inside = export_to(kRelocation, std::string("inside-") + step, std::string("--switches '' --fixes on --until ") + step);
    CHECK(inside.code == 2);
    CHECK(inside.err.find("the commit of transaction 3 has switched the commit roots but not yet written the super block") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(scratch_dir() / (std::string("inside-") + step) / "0.img"));
  }
  const auto after = export_to(kRelocation, "after", "--switches '' --fixes on --until 179");
  REQUIRE(after.code == 0);
  CHECK(after.out.find("(generation 3)") != std::string::npos);
  // The last step's state is the end state.
  const auto last = export_to(kRelocation, "last", "--switches '' --fixes on --until 992");
  const auto end = export_to(kRelocation, "end", "--switches '' --fixes on");
  REQUIRE(last.code == 0);
  REQUIRE(end.code == 0);
  CHECK(same_image("last", "end"));
  if (!have_btrfs()) {
    WARN("SKIPPED: btrfs check (btrfs-progs is not installed; .ci/install-deps installs it)");
    return;
  }
  CHECK(btrfs_check("before") == 0);
  CHECK(btrfs_check("after") == 0);
  CHECK(btrfs_check("end") == 0);
}

TEST_CASE("export: the execution flags are replay's, checked before any work", "[export]") {
  struct bad {
    const char* flags;
    const char* message;
  };
  const std::vector<bad> cases = {
      {"--until 3", "--until: --until N stops an execution: give it with --seed S, --schedule FILE or --switches LIST"},
      {"--fixes on", "without --seed, --schedule or --switches export writes the state after setup"},
      {"--seed 1 --switches ''", "give one of --seed, --schedule or --switches"},
      {"--switches '' --strategy dfs", "switches give every decision"},
      {"--seed 1 --fixes on --until 145", "the execution has 145 steps (0..144); there is no step 145"},
      {"--seed 1 --until -1", "expected an unsigned integer"},
      {"--seed nope", "--seed"},
      {"--seed 1 --strategy pct --shard 0/2", "only dfs and dpor number executions within a shard"},
  };
  for (const auto& c : cases) {
    const std::string dir = "bad-" + std::to_string(&c - cases.data());
    const auto r = export_to(kBalance, dir, c.flags);
    CHECK(r.code == 2);
    CHECK(r.err.find(c.message) != std::string::npos);
    CHECK_FALSE(fs::exists(scratch_dir() / dir / "0.img"));
  }
}

TEST_CASE("explore --btrfs-check-sample: the end states of the first clean executions, judged by btrfs check", "[btrfs_check]") {
  const std::string deletion = FSRACE_SOURCE_DIR "/scenarios/scrub-vs-bg-deletion.json";  // three devices: loop devices
  const auto missing = run_shell("PATH=/nonexistent " + fsrace_cmd("explore '" + deletion + "' --fixes on --runs 5 --btrfs-check-sample 2"));
  CHECK(missing.code == 0);
  CHECK(missing.out.find("btrfs check sample: SKIPPED, not available: btrfs (btrfs-progs) is not in PATH") != std::string::npos);
  if (!have_btrfs()) {
    WARN("SKIPPED: btrfs check (btrfs-progs is not installed; .ci/install-deps installs it)");
    return;
  }
  const auto r = run_shell(fsrace_cmd("explore '" + deletion + "' --fixes on --runs 20 --btrfs-check-sample 3 --json"));
  CHECK(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  const auto& k = j.at("btrfs_check_sample");
  if (!k.at("skipped").is_null()) {
    WARN("SKIPPED: " << k.at("skipped").get<std::string>());
  } else {
    CHECK(k.at("checked") == 3);
    CHECK(k.at("passed") == 3);
    CHECK(k.at("failures").empty());
  }
  // Fixes off, the race is found, and the sample still checks the clean executions among the first ones.
  const auto off = run_shell(fsrace_cmd("explore '" FSRACE_SOURCE_DIR "/scenarios/scrub-vs-cleaner-full-device.json' --fixes on "
                                        "--runs 10 --btrfs-check-sample 2"));
  CHECK(off.code == 0);
  CHECK(off.out.find("btrfs check sample: 2 clean executions of the first 2 checked, 2 passed") != std::string::npos);
  // After a balance that moved data: the data relocation inode (kept in memory by the model) is written as
  // the kernel's data reloc tree holds it, and btrfs check passes.
  const auto reloc = run_shell(fsrace_cmd("explore '" + kRelocation + "' --fixes on --runs 3 --btrfs-check-sample 1"));
  CHECK(reloc.code == 0);
  CHECK(reloc.out.find("btrfs check sample: 1 clean execution of the first 1 checked, 1 passed") != std::string::npos);
}
