// The fsrace command line, run as a process: exit codes, error messages, replay commands that work,
// reports written. Scenarios here use only the core family (signal / wait / yield).
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/sanitizer_output.hpp"

namespace {

namespace fs = std::filesystem;

struct result {
  int code;
  std::string out, err;
};

// A fresh directory of this process (mkdtemp: never one a process with the same pid left behind, whose
// suite/ would hold other scenarios), removed at exit.
const fs::path& workdir() {
  struct owned {
    fs::path path;
    ~owned() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  };
  static const owned dir = [] {
    std::string pattern = (fs::temp_directory_path() / "fsrace-cli-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    return owned{pattern};
  }();
  return dir.path;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

// Runs `fsrace ARGS` in the work directory.
result fsrace(const std::string& args) {
  REQUIRE(fs::exists(FSRACE_BINARY));
  const fs::path out = workdir() / "stdout.txt", err = workdir() / "stderr.txt";
  const std::string cmd = "cd '" + workdir().string() + "' && '" FSRACE_BINARY "' " + args + " >'" + out.string() +
                          "' 2>'" + err.string() + "' </dev/null";
  const int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  result r{WEXITSTATUS(status), read_file(out), without_asan_ucontext_warning(read_file(err))};
  UNSCOPED_INFO("fsrace " << args << "\n-> exit " << r.code << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  return r;
}

std::string scenario(const std::string& name, const std::string& threads, const std::string& expectations) {
  return R"({"name": ")" + name + R"(", "title": "core-only scenario for command-line tests",
  "filesystem": {"devices": ["1GiB"]},
  "threads": )" + threads + R"(,
  "fixes": ["020d5b7366fc"],
  "invariants": ["user_errors"],
  "explore": {"strategy": "random", "runs": 50, "seed": 5},
  "expectations": )" + expectations + "}";
}

const char* kOrdered = R"([{"name": "a", "ops": [{"op": "yield"}, {"op": "signal", "event": "go"}]},
                            {"name": "b", "ops": [{"op": "wait", "event": "go"}, {"op": "yield"}]}])";
const char* kDeadlock = R"([{"name": "a", "ops": [{"op": "wait", "event": "b_go"}, {"op": "signal", "event": "a_go"}]},
                             {"name": "b", "ops": [{"op": "wait", "event": "a_go"}, {"op": "signal", "event": "b_go"}]}])";

void write_scenarios() {
  write_file(workdir() / "ordered.json",
             scenario("ordered", kOrdered, R"([{"fixes": "off", "result": "clean"}, {"fixes": "on", "result": "clean"}])"));
  write_file(workdir() / "deadlock.json",
             scenario("deadlock", kDeadlock, R"([{"fixes": "off", "result": "violation", "kind": "deadlock"}])"));
}

}  // namespace

TEST_CASE("cli: list, new, validate") {
  write_scenarios();
  auto r = fsrace("list");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("yield") && Catch::Contains("user_errors") && Catch::Contains("f0e9b7d64019"));
  r = fsrace("list --json");
  CHECK(r.code == 0);
  CHECK(nlohmann::json::parse(r.out)["fixes"].size() >= 7);
  fs::remove(workdir() / "starter.json");
  r = fsrace("new starter");
  CHECK(r.code == 0);
  CHECK(fsrace("validate starter.json").code == 0);
  r = fsrace("new starter");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("starter.json: the file exists"));
  r = fsrace("new 'Bad Name'");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("/name"));
  CHECK(fsrace("validate ordered.json deadlock.json").code == 0);
}

TEST_CASE("cli: bad scenario files exit 2 with file, path and expectation") {
  write_file(workdir() / "bad.json", scenario("bad", R"([{"name": "a", "ops": [{"op": "yeild"}]}])",
                                              R"([{"fixes": "off", "result": "clean"}])"));
  auto r = fsrace("validate bad.json");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("bad.json: /threads/0/ops/0/op: unknown operation \"yeild\" (did you mean 'yield'?)"));
  r = fsrace("explore bad.json");
  CHECK(r.code == 2);
  write_file(workdir() / "syntax.json", "{\"name\": \"x\",\n}");
  r = fsrace("validate syntax.json");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("syntax.json: invalid JSON: parse error at line 2, column 1"));
  r = fsrace("validate missing.json");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("missing.json: cannot open"));
  write_file(workdir() / "raid1.json",
             R"({"name": "raid1", "title": "t", "filesystem": {"devices": ["1GiB"], "profiles": {"data": "raid1"}},
                 "threads": [{"name": "a", "ops": [{"op": "yield"}]}],
                 "expectations": [{"fixes": "on", "result": "clean"}]})");
  r = fsrace("validate raid1.json");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("raid1.json: /filesystem: "));
}

TEST_CASE("cli: bad flags exit 2") {
  write_scenarios();
  const char* bad[] = {"explore ordered.json --strategy bfs",   "explore ordered.json --seed abc",
                       "explore ordered.json --fix nope=on",    "explore ordered.json --fix 020d5b7366fc=maybe",
                       "explore ordered.json --fixes maybe",    "explore ordered.json --runs 0",
                       "explore ordered.json --depth 0",        "explore ordered.json --preemptions 99",
                       "explore ordered.json --no-such-flag",   "explore",
                       "",                                      "replay ordered.json",
                       "frobnicate",                            "replay ordered.json --seed 1 --schedule x.json",
                       "explore ordered.json --runs -4",        "run does-not-exist"};
  for (const char* args : bad) {
    INFO(args);
    CHECK(fsrace(args).code == 2);
  }
  auto r = fsrace("explore ordered.json --fix 020d5b7366fd=on");
  CHECK_THAT(r.err, Catch::Contains("--fix: unknown fix \"020d5b7366fd\" (did you mean '020d5b7366fc'?)"));
}

TEST_CASE("cli: explore exit codes, the replay command it prints works, --json") {
  write_scenarios();
  auto r = fsrace("explore ordered.json");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("clean: 50 executions"));
  r = fsrace("explore deadlock.json");
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("VIOLATION deadlock"));
  auto command_after = [&](const std::string& text, const std::string& tag) {
    const auto pos = text.find(tag + "fsrace replay ");
    REQUIRE(pos != std::string::npos);
    const size_t from = pos + tag.size() + 7;
    return text.substr(from, text.find('\n', pos) - from);
  };
  const std::string replay = command_after(r.out, "replay (as found): ");
  CHECK_THAT(replay, Catch::StartsWith("replay deadlock.json --seed ") && Catch::EndsWith("--strategy random --fixes off"));
  auto again = fsrace(replay);
  CHECK(again.code == 1);
  CHECK_THAT(again.out, Catch::Contains("VIOLATION deadlock"));
  CHECK_THAT(again.out, Catch::Contains("start a") && Catch::Contains("wait_for_completion(b_go)"));
  // The shrunk execution drawn is what its command replays: the same diagram.
  const std::string shrunk = command_after(r.out, "replay (shrunk, as drawn below): ");
  CHECK_THAT(shrunk, Catch::StartsWith("replay deadlock.json --switches ") && Catch::EndsWith("--fixes off"));
  again = fsrace(shrunk);
  CHECK(again.code == 1);
  const std::string drawn = r.out.substr(r.out.find("\n\n", r.out.find("replay (shrunk")) + 2);
  CHECK_THAT(again.out, Catch::Contains(drawn.substr(0, drawn.find("*** deadlock"))));
  CHECK_THAT(r.out, Catch::Contains("shrunk from") && Catch::Contains("shrinking"));

  r = fsrace("explore deadlock.json --json --strategy dfs --preemptions 1");
  CHECK(r.code == 1);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["scenario"] == "deadlock");
  CHECK(j["strategy"] == "dfs preemptions 1");
  CHECK(j["executions"] == 1);
  CHECK(j["result"] == "violation");
  REQUIRE(j["violations"].size() == 1);
  CHECK(j["violations"][0]["kind"] == "deadlock");
  CHECK(j["violations"][0]["seed"] == 0);
  CHECK_THAT(j["violations"][0]["message"].get<std::string>(), Catch::Contains("b_go"));
  CHECK(fsrace(j["violations"][0]["replay"].get<std::string>().substr(7)).code == 1);
}

TEST_CASE("cli: a failed model self-check is a tool error: exit 3 everywhere, never a race nor a pass") {
  const char* threads = R"([{"name": "a", "ops": [{"op": "yield"}]},
                            {"name": "b", "ops": [{"op": "fail_self_check"}]}])";
  // A kind-less "violation" expectation would accept any violation: a tool error still does not pass.
  write_file(workdir() / "selfcheck.json",
             scenario("selfcheck", threads, R"([{"fixes": "off", "result": "violation"}, {"fixes": "on", "result": "clean"}])"));
  auto r = fsrace("explore selfcheck.json");
  CHECK(r.code == 3);
  CHECK_THAT(r.out + r.err, Catch::Contains("tool error", Catch::CaseSensitive::No) &&
                                Catch::Contains("FSRACE_MODEL_CHECK(false)") && Catch::Contains("not a race"));
  CHECK_THAT(r.out + r.err, !Catch::Contains("VIOLATION"));
  r = fsrace("explore selfcheck.json --json");
  CHECK(r.code == 3);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["result"] == "tool-error");
  CHECK(j["violations"].empty());
  CHECK_THAT(j["tool_error"]["message"].get<std::string>(), Catch::Contains("fail_self_check"));

  const fs::path suite = workdir() / "selfcheck-suite";
  fs::create_directories(suite);
  fs::copy_file(workdir() / "selfcheck.json", suite / "selfcheck.json", fs::copy_options::overwrite_existing);
  r = fsrace("run selfcheck-suite --junit sc.xml --json sc.json --html sc.html");
  CHECK(r.code == 3);
  CHECK_THAT(r.out, Catch::Contains("2 cases: 0 passed, 0 failed, 2 tool errors"));
  CHECK_THAT(read_file(workdir() / "sc.xml"), Catch::Contains("errors=\"2\"") && Catch::Contains("type=\"tool-error\""));
  const auto rj = nlohmann::json::parse(read_file(workdir() / "sc.json"));
  CHECK(rj["summary"]["errors"] == 2);
  CHECK(rj["summary"]["passed"] == 0);
  for (const auto& c : rj["cases"]) CHECK(c["status"] == "error");
  CHECK_THAT(read_file(workdir() / "sc.html"), Catch::Contains("tool error"));
  r = fsrace("replay selfcheck.json --seed 0 --strategy dfs --fixes off");
  CHECK(r.code == 3);
}

TEST_CASE("cli: replay --footprints prints what each step touched and the undeclared steps") {
  write_scenarios();
  auto r = fsrace("replay deadlock.json --strategy dfs --seed 0 --fixes off --footprints");
  CHECK(r.code == 1);  // the replayed execution's own exit code: the deadlock
  CHECK_THAT(r.out, Catch::Contains("what each step touched") &&
                        Catch::Contains("undeclared steps (dependent on every step), by thread:"));
  r = fsrace("replay ordered.json --strategy dfs --seed 0 --fixes off --footprints --json");
  CHECK(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  uint64_t steps = 0, undeclared = 0;
  for (const auto& [name, t] : j["threads"].items()) {
    steps += t["steps"].get<uint64_t>();
    undeclared += t["undeclared"].get<uint64_t>();
  }
  CHECK(steps == j["steps"].size());
  uint64_t everything = 0;
  for (const auto& st : j["steps"]) everything += st["touched"] == "everything";
  CHECK(undeclared == everything);
  CHECK(everything > 0);  // the core family's ops do not declare footprints
  CHECK(fsrace("replay ordered.json --footprints --until 1").code == 2);
}

TEST_CASE("cli: check-footprints re-runs the pairs the claims call independent swapped") {
  write_scenarios();
  // The data path's claims (scheduler/commute_check.hpp; tests/scheduler/test_commute_check.cpp shows a
  // wrong claim caught): every swapped pair commutes.
  auto r = fsrace("check-footprints '" FSRACE_SOURCE_DIR "/scenarios/relocation-vs-nocow-write.json' --fixes on --runs 3 --json");
  CHECK(r.code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["executions"] == 3);
  CHECK(j["swapped"].get<uint64_t>() > 0);
  CHECK(j["claimed_independent"].get<uint64_t>() ==
        j["swapped"].get<uint64_t>() + j["not_enabled"].get<uint64_t>() + j["renumbering"].get<uint64_t>());
  CHECK(j["failures"].empty());
  CHECK(j["result"] == "commute");
  // The core family declares nothing: no pair is claimed independent.
  r = fsrace("check-footprints ordered.json --runs 3");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("0 pairs of adjacent steps"));
  // PCT chooses the sample: fewer switches, longer runs of one thread to move steps over.
  r = fsrace("check-footprints '" FSRACE_SOURCE_DIR "/scenarios/relocation-vs-nocow-write.json' --fixes on --strategy pct --runs 3 --json");
  CHECK(r.code == 0);
  j = nlohmann::json::parse(r.out);
  CHECK(j["strategy"] == "pct depth 3");
  CHECK(j["swapped"].get<uint64_t>() > 0);
  CHECK(fsrace("check-footprints ordered.json --depth 2").code == 2);  // a depth without pct
  CHECK(fsrace("check-footprints ordered.json --runs 0").code == 2);
  CHECK(fsrace("check-footprints ordered.json --fixes maybe").code == 2);
}

TEST_CASE("cli: schedule files replay exactly, a tampered one diverges with exit 2") {
  write_scenarios();
  fs::remove(workdir() / "dl.schedule.json");
  auto r = fsrace("explore deadlock.json --save-schedule dl.schedule.json");
  CHECK(r.code == 1);
  REQUIRE(fs::exists(workdir() / "dl.schedule.json"));
  r = fsrace("replay deadlock.json --schedule dl.schedule.json");
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("VIOLATION deadlock"));
  auto doc = nlohmann::json::parse(read_file(workdir() / "dl.schedule.json"));
  // The hash is informational: the whole recorded label is what a replay checks.
  doc["steps"][1]["hash"] = "00000000000000ff";
  write_file(workdir() / "rehashed.json", doc.dump());
  r = fsrace("replay deadlock.json --schedule rehashed.json");
  CHECK(r.code == 1);
  const std::string recorded = doc["steps"][1]["label"];
  doc["steps"][1]["label"] = recorded + " (edited)";
  write_file(workdir() / "tampered.json", doc.dump());
  r = fsrace("replay deadlock.json --schedule tampered.json");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("tampered.json: /steps/1: replay diverged at step 1: recorded \"" + recorded +
                                    " (edited)\" by "));
  CHECK_THAT(r.err, Catch::Contains(", got \"" + recorded + "\" by "));
  r = fsrace("replay ordered.json --schedule dl.schedule.json");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("dl.schedule.json: /scenario: the schedule was recorded for scenario \"deadlock\""));
  r = fsrace("replay deadlock.json --schedule dl.schedule.json --fixes on");
  CHECK(r.code == 2);
}

TEST_CASE("cli: shrink saves a schedule that replay --schedule runs") {
  write_scenarios();
  fs::remove(workdir() / "shrunk.json");
  auto r = fsrace("shrink deadlock.json --seed 0 --strategy dfs -o shrunk.json");
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("shrunk from 0 preemptions") && Catch::Contains("schedule saved: shrunk.json"));
  REQUIRE(fs::exists(workdir() / "shrunk.json"));
  r = fsrace("replay deadlock.json --schedule shrunk.json");
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("VIOLATION deadlock"));
  r = fsrace("shrink ordered.json --seed 0 --strategy dfs -o x.json");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("nothing to shrink"));
  CHECK(fsrace("shrink deadlock.json").code == 2);
}

TEST_CASE("cli: run checks every expectation and writes JUnit and JSON reports") {
  write_scenarios();
  const fs::path suite = workdir() / "suite";
  fs::create_directories(suite);
  fs::copy_file(workdir() / "ordered.json", suite / "ordered.json", fs::copy_options::overwrite_existing);
  fs::copy_file(workdir() / "deadlock.json", suite / "deadlock.json", fs::copy_options::overwrite_existing);
  auto r = fsrace("run suite --junit out.xml --json out.json");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("3 cases: 3 passed, 0 failed, 0 tool errors"));
  const std::string xml = read_file(workdir() / "out.xml");
  CHECK_THAT(xml, Catch::Contains("tests=\"3\" failures=\"0\" errors=\"0\""));
  CHECK(nlohmann::json::parse(read_file(workdir() / "out.json"))["summary"]["passed"] == 3);
  // An expectation that does not hold: exit 1, the failure in the JUnit file with its replay command.
  write_file(suite / "wrong.json", scenario("wrong", kDeadlock, R"([{"fixes": "off", "result": "clean"}])"));
  r = fsrace("run suite --junit out.xml");
  CHECK(r.code == 1);
  CHECK_THAT(read_file(workdir() / "out.xml"), Catch::Contains("<failure message=\"expected clean, found deadlock") &&
                                                   Catch::Contains("replay as found: fsrace replay suite/wrong.json --seed") &&
                                                   Catch::Contains("replay: fsrace replay suite/wrong.json --switches"));
  // A malformed file anywhere: exit 2 before anything runs.
  write_file(suite / "zbroken.json", "[]");
  r = fsrace("run suite");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("suite/zbroken.json: /: expected a scenario"));
  fs::remove(suite / "zbroken.json");
  write_file(suite / "dup.json", scenario("ordered", kOrdered, R"([{"fixes": "on", "result": "clean"}])"));
  r = fsrace("run suite");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("scenario name \"ordered\" is also used by"));
}

TEST_CASE("cli: sharded runs merge into the unsharded report") {
  write_scenarios();
  const fs::path suite = workdir() / "msuite";
  fs::create_directories(suite);
  fs::copy_file(workdir() / "ordered.json", suite / "ordered.json", fs::copy_options::overwrite_existing);
  fs::copy_file(workdir() / "deadlock.json", suite / "deadlock.json", fs::copy_options::overwrite_existing);
  CHECK(fsrace("run msuite --json whole.json").code == 0);
  CHECK(fsrace("run msuite --shard 0/2 --json s0.json").code == 0);
  CHECK(fsrace("run msuite --shard 1/2 --json s1.json --jobs 2").code == 0);
  auto r = fsrace("merge s1.json s0.json --json merged.json --junit merged.xml");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("3 cases: 3 passed"));
  auto strip = [](nlohmann::json j) {
    for (auto& c : j["cases"]) c.erase("seconds");
    return j;
  };
  CHECK(strip(nlohmann::json::parse(read_file(workdir() / "merged.json"))) ==
        strip(nlohmann::json::parse(read_file(workdir() / "whole.json"))));
  CHECK(fsrace("merge s0.json").code == 2);  // shard 1/2 missing
  // Explorations: three shards of a random exploration merge into the unsharded JSON.
  for (int k = 0; k < 3; ++k) {
    auto shard = fsrace("explore deadlock.json --strategy random --runs 30 --keep-going --no-shrink --json --shard " +
                        std::to_string(k) + "/3");
    CHECK(shard.code == 1);
    write_file(workdir() / ("e" + std::to_string(k) + ".json"), shard.out);
  }
  r = fsrace("merge e0.json e1.json e2.json");
  CHECK(r.code == 1);
  auto merged = nlohmann::json::parse(r.out);
  auto whole_explore = nlohmann::json::parse(fsrace("explore deadlock.json --strategy random --runs 30 --keep-going --no-shrink --json").out);
  merged.erase("seconds");
  whole_explore.erase("seconds");
  CHECK(merged == whole_explore);
  CHECK(merged["executions"] == 30);
  CHECK(merged["violations"][0]["occurrences"] == 30);
}

TEST_CASE("cli: --version, did you mean, global flags anywhere, typed numbers") {
  write_scenarios();
  auto r = fsrace("--version");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("fsrace "));
  r = fsrace("explor ordered.json");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("unknown command \"explor\" (did you mean 'explore' or 'export'?)"));
  CHECK(fsrace("explore ordered.json -q").code == 0);
  CHECK(fsrace("explore ordered.json --quiet -v").code == 0);
  r = fsrace("explore ordered.json --runs -4");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("--runs") && Catch::Contains("unsigned"));
  r = fsrace("explore ordered.json --depth 17");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("--depth"));
  CHECK(fsrace("explore ordered.json --runs 010").code == 2);  // no octal surprise
  CHECK(fsrace("explore ordered.json --runs 0x10 --json").code == 0);
  CHECK(nlohmann::json::parse(fsrace("explore ordered.json --runs 0x10 --json").out)["executions"] == 16);
}

TEST_CASE("cli: a directory or a schedule file given as a scenario says so") {
  write_scenarios();
  fs::create_directories(workdir() / "adir");
  auto r = fsrace("explore adir");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("adir: is a directory; expected a JSON file (a scenario): `fsrace run adir`"));
  CHECK(r.err.find('\n') == r.err.size() - 1);  // one clear error
  fs::remove(workdir() / "dl2.schedule.json");
  REQUIRE(fsrace("explore deadlock.json --save-schedule dl2.schedule.json").code == 1);
  r = fsrace("replay dl2.schedule.json --seed 1");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("dl2.schedule.json: is a schedule file, not a scenario; replay it with `fsrace replay SCENARIO.json --schedule dl2.schedule.json`"));
  CHECK(r.err.find('\n') == r.err.size() - 1);
}

TEST_CASE("cli: validate, run and soak say so too, a renamed thread is named once, not once per step") {
  write_scenarios();
  fs::create_directories(workdir() / "adir");
  fs::remove(workdir() / "dl3.schedule.json");
  REQUIRE(fsrace("explore deadlock.json --save-schedule dl3.schedule.json").code == 1);
  for (const char* cmd : {"validate", "run", "soak --executions 10"}) {
    auto r = fsrace(std::string(cmd) + " dl3.schedule.json");
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("dl3.schedule.json: is a schedule file, not a scenario"));
    CHECK(r.err.find('\n') == r.err.size() - 1);  // one error, not the scenario schema's complaints
  }
  auto r = fsrace("validate adir");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("adir: is a directory; expected a JSON file (a scenario)"));
  // The threads of the recording renamed: the /threads mismatch, then each unknown name once with its count.
  nlohmann::json s = nlohmann::json::parse(read_file(workdir() / "dl3.schedule.json"));
  const std::string first = s["threads"][0];
  size_t steps = 0;
  for (auto& st : s["steps"])
    if (st["thread"] == first) st["thread"] = first + "-renamed", ++steps;
  s["threads"][0] = first + "-renamed";
  REQUIRE(steps >= 2);
  write_file(workdir() / "dl3-renamed.schedule.json", s.dump(2));
  r = fsrace("replay deadlock.json --schedule dl3-renamed.schedule.json");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("/threads: expected the scenario's threads"));
  CHECK_THAT(r.err, Catch::Contains("no thread \"" + first + "-renamed\"") &&
                        Catch::Contains("(" + std::to_string(steps) + " steps name it; this is the first)"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 2);
}

TEST_CASE("cli: a scenario's unknown key lists each allowed key once") {
  write_scenarios();
  nlohmann::json s = nlohmann::json::parse(read_file(workdir() / "ordered.json"));
  s["fixess"] = "on";
  write_file(workdir() / "typo.json", s.dump());
  auto r = fsrace("validate typo.json");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("did you mean 'fixes'?"));
  CHECK_THAT(r.err, !Catch::Contains("fixes, fixes") && !Catch::Contains("'fixes' or 'fixes'"));
}

// Ctrl-C (SIGINT) while `run` explores: the cases done are summarised, the reports are written and say
// "interrupted", a case stopped before its verdict neither passes nor counts as a regression, exit 130.
TEST_CASE("cli: Ctrl-C during run writes the partial reports, marked interrupted, soak stops too") {
  write_scenarios();
  const fs::path dir = workdir();
  fs::remove(dir / "int.xml");
  fs::remove(dir / "int.json");
  // ordered.json's expectations finish at once; the long dfs search below is still running at the signal.
  nlohmann::json slow = nlohmann::json::parse(read_file(dir / "ordered.json"));
  slow["name"] = "slow";
  slow["explore"] = {{"strategy", "random"}, {"runs", 1000000000}, {"seed", 1}};
  slow["expectations"] = nlohmann::json::array({{{"fixes", "on"}, {"result", "clean"}, {"explore", {{"strategy", "random"}, {"runs", 1000000000}, {"seed", 1}, {"exhaustive", false}}}}});
  write_file(dir / "slow.json", slow.dump(2));
  REQUIRE(fsrace("validate slow.json").code == 0);
  const std::string cmd = "cd '" + dir.string() + "' && timeout --preserve-status -s INT 3 '" FSRACE_BINARY
                          "' run ordered.json slow.json --junit int.xml --json int.json >int-out.txt 2>int-err.txt";
  const int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  const std::string out = read_file(dir / "int-out.txt");
  INFO(out << read_file(dir / "int-err.txt"));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK_THAT(out, Catch::Contains("INTERRUPTED"));
  CHECK_THAT(out, Catch::Contains("STOP  slow  fixes=on  expected clean"));
  CHECK_THAT(out, Catch::Contains("(1 stopped by Ctrl-C before a verdict)"));
  const auto j = nlohmann::json::parse(read_file(dir / "int.json"));
  CHECK(j["interrupted"] == true);
  REQUIRE(j["cases"].size() == 3);
  CHECK(j["cases"][0]["status"] == "pass");
  CHECK(j["cases"][2]["interrupted"] == true);
  CHECK(j["cases"][2]["status"] == "fail");  // nothing unproven passes
  CHECK_THAT(j["cases"][2]["reason"].get<std::string>(), Catch::Contains("interrupted (Ctrl-C) after"));
  const std::string xml = read_file(dir / "int.xml");
  CHECK_THAT(xml, Catch::Contains("<testsuite name=\"fsrace.slow\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\""));
  CHECK_THAT(xml, Catch::Contains("<skipped message=\"interrupted (Ctrl-C) after"));
  CHECK_THAT(xml, Catch::Contains("<property name=\"interrupted\" value=\"true\"/>"));

  const std::string soak = "cd '" + dir.string() + "' && timeout --preserve-status -s INT 2 '" FSRACE_BINARY
                           "' soak slow.json --executions 1000000000 >soak-out.txt 2>&1";
  const int soak_status = std::system(soak.c_str());
  REQUIRE(WIFEXITED(soak_status));
  INFO(read_file(dir / "soak-out.txt"));
  CHECK(WEXITSTATUS(soak_status) == 130);
  CHECK_THAT(read_file(dir / "soak-out.txt"), Catch::Contains("INTERRUPTED (Ctrl-C)") && Catch::Contains("slow [random]"));

  // One request delivered twice by one sender (timeout signals the child, then its process group) is one
  // Ctrl-C, not two: fsrace still writes its summary. Here the shell's builtin kill sends both.
  const std::string twice = "cd '" + dir.string() + "' && ('" FSRACE_BINARY "' run slow.json >twice-out.txt 2>&1 & pid=$!; "
                            "sleep 2; kill -INT $pid; kill -INT $pid; wait $pid)";
  const int twice_status = std::system(twice.c_str());
  REQUIRE(WIFEXITED(twice_status));
  INFO(read_file(dir / "twice-out.txt"));
  CHECK(WEXITSTATUS(twice_status) == 130);
  CHECK_THAT(read_file(dir / "twice-out.txt"), Catch::Contains("INTERRUPTED"));
}

// Ctrl-C while explore shrinks the violation it found: the shrink keeps its smallest schedule so far, the
// summary and the reports say "interrupted", exit 130 (as Ctrl-C while exploring). The signal is sent once
// the debug log says the shrink started; the budgets given would keep it shrinking for minutes.
TEST_CASE("cli: Ctrl-C while explore shrinks exits 130 with the violation shrunk so far, marked interrupted") {
  const fs::path dir = workdir();
  const std::string scenario = FSRACE_SOURCE_DIR "/scenarios/relocation-vs-nocow-write.json";
  auto interrupted_explore = [&](const std::string& flags, const std::string& tag) {
    const std::string out = tag + "-out.txt", err = tag + "-err.txt";
    const std::string cmd = "cd '" + dir.string() + "' && rm -f " + out + " " + err + " && ('" FSRACE_BINARY "' -v explore '" +
                            scenario + "' --shrink-budget 100000000 --shrink-time 3600 " + flags + " >" + out + " 2>" + err +
                            " </dev/null & pid=$!; for i in $(seq 1200); do grep -q 'shrinking execution' " + err +
                            " && break; sleep 0.1; done; kill -INT $pid; wait $pid)";
    const int status = std::system(cmd.c_str());
    REQUIRE(WIFEXITED(status));
    INFO(read_file(dir / out) << read_file(dir / err));
    CHECK_THAT(read_file(dir / err), Catch::Contains("shrinking execution"));
    CHECK(WEXITSTATUS(status) == 130);
    return read_file(dir / out);
  };
  const std::string text = interrupted_explore("", "shrink-int");
  CHECK_THAT(text, Catch::Contains("VIOLATION "));
  CHECK_THAT(text, Catch::Contains("stopped early by Ctrl-C"));
  CHECK_THAT(text, Catch::Contains("replay (shrunk, as drawn below): fsrace replay"));
  CHECK_THAT(text, Catch::Contains("INTERRUPTED (Ctrl-C) while shrinking"));

  fs::remove(dir / "shrink-int.html");
  const auto j = nlohmann::json::parse(interrupted_explore("--json --html shrink-int.html", "shrink-int-json"));
  CHECK(j["interrupted"] == true);
  CHECK(j["shrunk"]["stopped_early"] == true);
  REQUIRE(j["violations"].size() == 1);
  CHECK_THAT(j["violations"][0]["shrunk"].get<std::string>(), Catch::Contains("stopped early by Ctrl-C"));
  CHECK_THAT(read_file(dir / "shrink-int.html"), Catch::Contains("INTERRUPTED (Ctrl-C)"));

  // `fsrace shrink` too: the schedule saved is the smallest so far, exit 130.
  fs::remove(dir / "shrink-int.schedule.json");
  const std::string as_found = j["violations"][0]["replay_as_found"];  // fsrace replay FILE --seed S --strategy ...
  REQUIRE(as_found.rfind("fsrace replay ", 0) == 0);
  const std::string cmd = "cd '" + dir.string() + "' && rm -f sh-err.txt && ('" FSRACE_BINARY "' -v shrink " + as_found.substr(14) +
                          " --shrink-budget 100000000 --shrink-time 3600 -o shrink-int.schedule.json >sh-out.txt 2>sh-err.txt"
                          " </dev/null & pid=$!; for i in $(seq 1200); do grep -q 'shrinking execution' sh-err.txt && break; "
                          "sleep 0.1; done; kill -INT $pid; wait $pid)";
  const int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  INFO(read_file(dir / "sh-out.txt") << read_file(dir / "sh-err.txt"));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK_THAT(read_file(dir / "sh-out.txt"), Catch::Contains("stopped early by Ctrl-C") && Catch::Contains("INTERRUPTED (Ctrl-C) while shrinking"));
  // The schedule names the kernel workers' steps by fiber id, and replays.
  const auto saved = nlohmann::json::parse(read_file(dir / "shrink-int.schedule.json"));
  CHECK(std::any_of(saved["steps"].begin(), saved["steps"].end(), [](const auto& st) { return st.contains("fiber"); }));
  auto r = fsrace("replay '" + scenario + "' --schedule shrink-int.schedule.json");
  CHECK(r.code == 1);
  CHECK_THAT(r.out, Catch::Contains("VIOLATION"));
}

TEST_CASE("cli: run without paths runs ./scenarios of the current directory and says so") {
  write_scenarios();
  const fs::path here = workdir() / "project";
  fs::create_directories(here / "scenarios");
  fs::copy_file(workdir() / "ordered.json", here / "scenarios" / "ordered.json", fs::copy_options::overwrite_existing);
  const fs::path out = workdir() / "run-out.txt", err = workdir() / "run-err.txt";
  const std::string cmd = "cd '" + here.string() + "' && '" FSRACE_BINARY "' run >'" + out.string() + "' 2>'" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_THAT(read_file(err), Catch::Contains("fsrace run: 1 scenario file from scenarios"));
  CHECK_THAT(read_file(out), Catch::Contains("2 cases: 2 passed"));
}

TEST_CASE("cli: replay --until prints the state there, diff shows where two executions part") {
  write_scenarios();
  auto r = fsrace("replay deadlock.json --seed 0 --strategy dfs --until 2");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("stopped before step 2 of"));
  CHECK_THAT(r.out, Catch::Contains("NEXT (step 2):"));
  CHECK_THAT(r.out, Catch::Contains("model state before step 2:") && Catch::Contains("threads:"));
  r = fsrace("replay deadlock.json --seed 0 --strategy dfs --until 999");
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("--until: the execution has"));
  r = fsrace("diff deadlock.json --seed 1 --seed 2 --strategy random");
  CHECK((r.code == 0 || r.code == 1));
  CHECK_THAT(r.out, Catch::Contains("A: random seed 1, fixes off") && Catch::Contains("B: random seed 2, fixes off"));
  r = fsrace("diff deadlock.json --seed 0 --strategy dfs --fixes off --fixes off");
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("the same"));
  CHECK(fsrace("diff deadlock.json --seed 1").code == 2);
  // Fixes on explored with dfs, off with random: the seed explore printed for off means the same on both sides.
  nlohmann::json mixed = nlohmann::json::parse(read_file(workdir() / "deadlock.json"));
  mixed["expectations"] = nlohmann::json::array(
      {{{"fixes", "off"}, {"result", "violation"}, {"kind", "deadlock"}},
       {{"fixes", "on"}, {"result", "violation"}, {"kind", "deadlock"}, {"explore", {{"strategy", "dfs"}, {"preemptions", 1}}}}});
  write_file(workdir() / "mixed.json", mixed.dump(2));
  r = fsrace("diff mixed.json --seed 6038094601263162090 --fixes off --fixes on");
  CHECK((r.code == 0 || r.code == 1));
  CHECK_THAT(r.out, Catch::Contains("A: random seed 6038094601263162090, fixes off") &&
                        Catch::Contains("B: random seed 6038094601263162090, fixes on"));
}
