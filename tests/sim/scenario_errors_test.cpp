// Malformed scenarios: each must produce an input_error whose diagnostics name the file, the JSON path
// and what was expected, and nothing may crash.
#include <catch2/catch.hpp>

#include "sim/scenario_load.hpp"
#include "sim/prepared.hpp"
#include "tests/sim/test_world.hpp"

using namespace fsrace;
using nlohmann::json;

namespace {

constexpr const char* kFile = "bad.json";

json valid() { return json::parse(test::kCounterScenario); }

// Loads `text`; requires an input_error and returns its diagnostics.
std::vector<sim::diagnostic> errors_of_text(const std::string& text) {
  try {
    auto doc = sim::parse_json_text(text, kFile);
    sim::parse_scenario(doc, kFile, *test::test_binding().cat);
  } catch (const sim::input_error& e) {
    return e.diagnostics();
  }
  FAIL("expected an input_error for:\n" << text);
  return {};
}

std::vector<sim::diagnostic> errors_of(const json& doc) { return errors_of_text(doc.dump()); }

// Exactly one diagnostic, at `path`, whose message contains every fragment.
void expect_error(const std::vector<sim::diagnostic>& diags, const std::string& path,
                  std::initializer_list<const char*> fragments) {
  INFO("diagnostics: " << [&] {
    std::string s;
    for (const auto& d : diags) s += d.to_string() + "\n";
    return s;
  }());
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].file == kFile);
  CHECK(diags[0].path == path);
  for (const char* f : fragments) CHECK_THAT(diags[0].message, Catch::Contains(f));
}

}  // namespace

TEST_CASE("the reference scenario is valid and loads every part") {
  auto sc = sim::parse_scenario(valid(), kFile, *test::test_binding().cat);
  REQUIRE(sc->threads.size() == 2);
  CHECK(sc->threads[1].ops[0].display == "inc(by=1)");
  CHECK(sc->threads[1].ops[0].path == "/threads/1/ops/0");
  CHECK(sc->fixes.test == std::vector<std::string>{"020d5b7366fc"});
  CHECK(sc->check_user_errors);
  REQUIRE(sc->invariants.size() == 1);
  CHECK(sc->invariants[0].args.integer("value") == 2);
  REQUIRE(sc->expectations.size() == 2);
  CHECK(sc->expectations[0].violation);
  CHECK(sc->expectations[0].kind == sched::FindingKind::Violation);
  CHECK(sc->expectations[1].explore.strategy == sim::strategy_kind::dfs);
  CHECK(sc->expectations[1].explore.preemptions == 3);
  CHECK(sc->expectations[1].explore.seed == 7);  // inherited from the scenario's explore
  CHECK(sc->filesystem.devices == std::vector<uint64_t>{1ULL << 30});
  CHECK(sc->refs.fstests == std::vector<std::string>{"btrfs/071"});
}

TEST_CASE("malformed JSON names line and column") {
  auto d = errors_of_text("{\n  \"name\": \"x\",\n  \"title\": }\n");
  expect_error(d, "", {"invalid JSON", "line 3", "column"});
}

TEST_CASE("a key given twice is an error, not a silent override") {
  auto d = errors_of_text(R"({"name": "a", "name": "b"})");
  REQUIRE(!d.empty());
  CHECK(d[0].path == "/name");
  CHECK_THAT(d[0].message, Catch::Contains("appears twice"));
  auto nested = errors_of_text(R"({"threads": [{"name": "a", "ops": [{"op": "inc", "by": 1, "by": 2}]}]})");
  CHECK(nested[0].path == "/threads/0/ops/0/by");
}

TEST_CASE("a document that is not an object") {
  expect_error(errors_of(json::array()), "/", {"expected a scenario (a JSON object)", "an array"});
}

TEST_CASE("missing required keys") {
  auto doc = valid();
  doc.erase("title");
  expect_error(errors_of(doc), "/", {"missing required key \"title\""});
  doc = valid();
  doc.erase("expectations");
  expect_error(errors_of(doc), "/", {"missing required key \"expectations\""});
}

TEST_CASE("unknown keys are errors with suggestions") {
  auto doc = valid();
  doc["thread"] = json::array();
  expect_error(errors_of(doc), "/thread", {"unknown key \"thread\"", "did you mean 'threads'", "allowed keys"});
  doc = valid();
  doc["filesystem"]["devics"] = json::array();
  expect_error(errors_of(doc), "/filesystem/devics", {"did you mean 'devices'"});
}

TEST_CASE("wrong types") {
  auto doc = valid();
  doc["title"] = 5;
  expect_error(errors_of(doc), "/title", {"expected a string", "integer 5"});
  doc = valid();
  doc["threads"][0]["ops"][0]["by"] = "two";
  expect_error(errors_of(doc), "/threads/0/ops/0/by", {"expected an integer in 1..100", "string \"two\""});
  doc = valid();
  doc["threads"][0]["ops"][0]["by"] = 1.5;
  expect_error(errors_of(doc), "/threads/0/ops/0/by", {"number 1.5"});
  doc = valid();
  doc["threads"] = json::object();
  expect_error(errors_of(doc), "/threads", {"expected a non-empty array of threads"});
}

TEST_CASE("integer parameter out of range") {
  auto doc = valid();
  doc["threads"][0]["ops"][0]["by"] = 1000;
  expect_error(errors_of(doc), "/threads/0/ops/0/by", {"1..100", "integer 1000"});
}

TEST_CASE("unknown operation lists close names") {
  auto doc = valid();
  doc["threads"][1]["ops"][0] = {{"op", "incc"}};
  expect_error(errors_of(doc), "/threads/1/ops/0/op", {"unknown operation \"incc\"", "did you mean 'inc'", "fsrace list"});
}

TEST_CASE("missing required op parameter") {
  auto doc = valid();
  doc["threads"][0]["ops"][0] = {{"op", "ret"}};
  expect_error(errors_of(doc), "/threads/0/ops/0", {"missing required key \"errno\"", "parameter of \"ret\""});
}

TEST_CASE("unknown op parameter") {
  auto doc = valid();
  doc["threads"][0]["ops"][0]["bye"] = 1;
  expect_error(errors_of(doc), "/threads/0/ops/0/bye", {"operation \"inc\"", "did you mean 'by'"});
}

TEST_CASE("op used where its scope forbids") {
  auto doc = valid();
  doc["threads"][0]["ops"][0] = {{"op", "set"}, {"value", 3}};
  expect_error(errors_of(doc), "/threads/0/ops/0/op", {"only be used in filesystem.setup"});
}

TEST_CASE("sizes: bad unit, negative, not aligned, too small") {
  auto doc = valid();
  doc["filesystem"]["devices"][0] = "1GB";
  expect_error(errors_of(doc), "/filesystem/devices/0", {"ambiguous", "GiB"});
  doc["filesystem"]["devices"][0] = "1 parsec";
  expect_error(errors_of(doc), "/filesystem/devices/0", {"unknown unit"});
  doc["filesystem"]["devices"][0] = -5;
  expect_error(errors_of(doc), "/filesystem/devices/0", {"non-negative"});
  doc["filesystem"]["devices"][0] = "-1GiB";
  expect_error(errors_of(doc), "/filesystem/devices/0", {"non-negative"});
  doc["filesystem"]["devices"][0] = "1000000";
  expect_error(errors_of(doc), "/filesystem/devices/0", {"at least 1MiB"});
  doc["filesystem"]["devices"][0] = 1048577 * 4;
  expect_error(errors_of(doc), "/filesystem/devices/0", {"multiple of 4KiB"});
  doc["filesystem"]["devices"][0] = "99999999999999999999TiB";
  expect_error(errors_of(doc), "/filesystem/devices/0", {"64 bits"});
  doc = valid();
  doc["threads"][0]["ops"][0] = {{"op", "touch"}, {"length", "6KiB"}};
  expect_error(errors_of(doc), "/threads/0/ops/0/length", {"multiple of 4KiB", "6KiB"});
}

TEST_CASE("devices: empty list, block sizes") {
  auto doc = valid();
  doc["filesystem"]["devices"] = json::array();
  expect_error(errors_of(doc), "/filesystem/devices", {"1 to 16 device sizes"});
  doc = valid();
  doc["filesystem"]["sectorsize"] = "8KiB";
  doc["filesystem"]["nodesize"] = "4KiB";
  expect_error(errors_of(doc), "/filesystem/nodesize", {"node size >= the sector size"});
  doc = valid();
  doc["filesystem"]["nodesize"] = 12288;
  expect_error(errors_of(doc), "/filesystem/nodesize", {"power of two"});
  doc = valid();
  doc["filesystem"]["profiles"] = {{"data", "raid7"}};
  expect_error(errors_of(doc), "/filesystem/profiles/data", {"raid7", "raid1"});
}

TEST_CASE("mount options: only those the model acts on, never silently ignored") {
  auto doc = valid();
  CHECK_FALSE(sim::parse_scenario(doc, kFile, *test::test_binding().cat)->filesystem.discard);
  doc["filesystem"]["mount_options"] = {"discard"};
  CHECK(sim::parse_scenario(doc, kFile, *test::test_binding().cat)->filesystem.discard);
  doc["filesystem"]["mount_options"] = {"discard=sync", "nodiscard"};
  CHECK_FALSE(sim::parse_scenario(doc, kFile, *test::test_binding().cat)->filesystem.discard);
  CHECK_FALSE(sim::parse_scenario(doc, kFile, *test::test_binding().cat)->filesystem.flushoncommit);
  doc["filesystem"]["mount_options"] = {"flushoncommit"};
  CHECK(sim::parse_scenario(doc, kFile, *test::test_binding().cat)->filesystem.flushoncommit);
  doc["filesystem"]["mount_options"] = {"flushoncommit", "noflushoncommit"};
  CHECK_FALSE(sim::parse_scenario(doc, kFile, *test::test_binding().cat)->filesystem.flushoncommit);
  doc["filesystem"]["mount_options"] = {"discrad"};
  expect_error(errors_of(doc), "/filesystem/mount_options/0", {"discrad", "did you mean", "'discard'"});
  doc["filesystem"]["mount_options"] = {"discard", "discard=async"};
  expect_error(errors_of(doc), "/filesystem/mount_options/1", {"not modelled"});
  doc["filesystem"]["mount_options"] = "discard";
  expect_error(errors_of(doc), "/filesystem/mount_options", {"array of at most 16 mount options"});
}

TEST_CASE("thread names: duplicates, bad characters, empty threads and ops") {
  auto doc = valid();
  doc["threads"][1]["name"] = "a";
  expect_error(errors_of(doc), "/threads/1/name", {"duplicate thread name \"a\"", "/threads/0/name"});
  doc = valid();
  doc["threads"][1]["name"] = "b.1";
  expect_error(errors_of(doc), "/threads/1/name", {"letters, digits"});
  doc = valid();
  doc["threads"] = json::array();
  expect_error(errors_of(doc), "/threads", {"non-empty array", "empty"});
  doc = valid();
  doc["threads"][0]["ops"] = json::array();
  expect_error(errors_of(doc), "/threads/0/ops", {"non-empty array of operations"});
  doc = valid();
  doc["threads"][0]["count"] = 0;
  expect_error(errors_of(doc), "/threads/0/count", {"1..64"});
}

TEST_CASE("thread count expands into named copies") {
  auto doc = valid();
  doc["threads"][0]["count"] = 3;
  auto sc = sim::parse_scenario(doc, kFile, *test::test_binding().cat);
  REQUIRE(sc->threads.size() == 4);
  CHECK(sc->threads[0].name == "a.0");
  CHECK(sc->threads[2].name == "a.2");
  CHECK(sc->threads[3].name == "b");
}

TEST_CASE("fixes: unknown id, duplicate, bad kernel version, release without fixes") {
  auto doc = valid();
  doc["fixes"] = {"020d5b7366fd"};
  expect_error(errors_of(doc), "/fixes/0", {"unknown fix \"020d5b7366fd\"", "did you mean '020d5b7366fc'", "known fixes"});
  doc["fixes"] = {"020d5b7366fc", "020d5b7366fc"};
  expect_error(errors_of(doc), "/fixes/1", {"listed twice"});
  doc["fixes"] = {{"kernel", "4.x"}};
  expect_error(errors_of(doc), "/fixes/kernel", {"kernel version", "\"4.x\""});
  doc["fixes"] = {{"kernel", "3.0"}};
  expect_error(errors_of(doc), "/fixes/kernel", {"no fix in the catalogue was first released in 3.0", "4.7"});
  doc["fixes"] = {{"test", {"020d5b7366fc"}}, {"base", "most"}};
  expect_error(errors_of(doc), "/fixes/base", {"\"all\", \"none\" or {\"kernel\": VERSION}"});
  doc["fixes"] = "020d5b7366fc";
  expect_error(errors_of(doc), "/fixes", {"expected the fixes under test"});
}

TEST_CASE("fixes: the three forms resolve as documented") {
  auto doc = valid();
  doc["fixes"] = {{"kernel", "4.7"}};
  auto sc = sim::parse_scenario(doc, kFile, *test::test_binding().cat);
  // 578def7c50f2, 9cfa3e34e20e, f78c436c3931, f0e9b7d64019, 22ab04e814f4, 1a1a8b732c7e, 57ba4cb85bff
  CHECK(sc->fixes.test.size() == 7);
  auto off = sim::resolve_fixes(sc->fixes, {false, {}});
  auto on = sim::resolve_fixes(sc->fixes, {true, {}});
  CHECK(on.has("f78c436c3931"));
  CHECK_FALSE(off.has("f78c436c3931"));
  CHECK(off.has("020d5b7366fc"));  // 4.4: before the release under test
  CHECK_FALSE(on.has("9e967495e0e0"));  // 5.3: after it
  doc["fixes"] = {{"test", {"9e967495e0e0"}}, {"base", {{"kernel", "5.2"}}}};
  sc = sim::parse_scenario(doc, kFile, *test::test_binding().cat);
  CHECK(sim::resolve_fixes(sc->fixes, {true, {}}).has("9e967495e0e0"));
  CHECK_FALSE(sim::resolve_fixes(sc->fixes, {true, {}}).has("d96b34248c2f"));
  CHECK_FALSE(sim::resolve_fixes(sc->fixes, {true, {{"020d5b7366fc", false}}}).has("020d5b7366fc"));
  // A 6.1 stable release names the backports it first carried; 6.1 itself is 6.1.0, without them.
  doc["fixes"] = {{"kernel", "6.1.42"}};
  sc = sim::parse_scenario(doc, kFile, *test::test_binding().cat);
  CHECK(sc->fixes.test == std::vector<std::string>{"b19c98f237cd"});
  CHECK(sim::resolve_fixes(sc->fixes, {true, {}}).has("b19c98f237cd"));
  CHECK_FALSE(sim::resolve_fixes(sc->fixes, {true, {}}).has("29eefa6d0d07"));  // 6.1.47
}

TEST_CASE("expectations: bad result, kind without violation, unknown kind, duplicates, bad override") {
  auto doc = valid();
  doc["expectations"][0]["result"] = "crash";
  expect_error(errors_of(doc), "/expectations/0/result", {"\"violation\" or \"clean\"", "\"crash\""});
  doc = valid();
  doc["expectations"][1]["kind"] = "BUG";
  expect_error(errors_of(doc), "/expectations/1/kind", {"only meaningful with \"result\": \"violation\""});
  doc = valid();
  doc["expectations"][0]["kind"] = "BUGG";
  expect_error(errors_of(doc), "/expectations/0/kind", {"did you mean 'BUG'"});
  doc = valid();
  doc["expectations"][1]["fixes"] = "off";
  doc["expectations"][1]["result"] = "violation";
  CHECK_NOTHROW(sim::parse_scenario(doc, kFile, *test::test_binding().cat));  // same setting, another exploration
  doc["expectations"][1].erase("explore");
  expect_error(errors_of(doc), "/expectations/1/fixes", {"second expectation for fix setting \"off\" with the same exploration"});
  doc = valid();
  doc["expectations"][0]["fixes"] = "maybe";
  expect_error(errors_of(doc), "/expectations/0/fixes", {"\"on\" or \"off\""});
  doc = valid();
  doc["expectations"][0]["fix"] = {{"f78c436c3931", "yes"}};
  expect_error(errors_of(doc), "/expectations/0/fix/f78c436c3931", {"\"on\" or \"off\""});
  doc = valid();
  doc["expectations"] = json::array();
  expect_error(errors_of(doc), "/expectations", {"non-empty array of expectations"});
}

TEST_CASE("explore settings: bad strategy, zero runs, bad depth") {
  auto doc = valid();
  doc["explore"]["strategy"] = "bfs";
  expect_error(errors_of(doc), "/explore/strategy", {"\"random\", \"pct\", \"dfs\" or \"dpor\"", "\"bfs\""});
  doc = valid();
  doc["explore"]["runs"] = 0;
  expect_error(errors_of(doc), "/explore/runs", {"1..", "integer 0"});
  doc = valid();
  doc["expectations"][0]["explore"] = {{"depth", -1}};
  expect_error(errors_of(doc), "/expectations/0/explore/depth", {"1..16"});
}

TEST_CASE("invariants: unknown name, missing parameter, duplicates") {
  auto doc = valid();
  doc["invariants"] = {"user_error"};
  expect_error(errors_of(doc), "/invariants/0", {"unknown invariant \"user_error\"", "did you mean 'user_errors'"});
  doc["invariants"] = {"counter_is"};
  expect_error(errors_of(doc), "/invariants/0", {"needs parameter \"value\""});
  doc["invariants"] = {"user_errors", "user_errors"};
  expect_error(errors_of(doc), "/invariants/1", {"listed twice"});
  doc["invariants"] = {{{"name", "counter_is"}, {"valu", 2}}};
  auto d = errors_of(doc);
  REQUIRE(d.size() == 2);  // the missing "value" and the unknown "valu"
  CHECK(d[1].path == "/invariants/0/valu");
}

TEST_CASE("references to named objects must resolve") {
  auto doc = valid();
  doc["threads"][0]["ops"][0] = {{"op", "wait"}, {"event", "go"}};
  expect_error(errors_of(doc), "/threads/0/ops/0/event", {"no event named \"go\"", "none is defined"});
  doc["threads"][1]["ops"][0] = {{"op", "signal"}, {"event", "goo"}};
  expect_error(errors_of(doc), "/threads/0/ops/0/event", {"did you mean 'goo'"});
  doc["threads"][1]["ops"][0] = {{"op", "use"}, {"file", "go"}};
  doc["threads"][0]["ops"][0] = {{"op", "create"}, {"file", ""}};
  auto d = errors_of(doc);
  REQUIRE(d.size() == 2);
  CHECK(d[0].path == "/threads/0/ops/0/file");  // empty name
  CHECK(d[1].path == "/threads/1/ops/0/file");  // unresolved (kind file, not event)
}

TEST_CASE("typed parameters: device index, choice, bool, allow_errors, repeat") {
  auto doc = valid();
  doc["threads"][0]["ops"][0] = {{"op", "touch"}, {"dev", 1}};
  expect_error(errors_of(doc), "/threads/0/ops/0/dev", {"device index in 0..0", "1 entry"});
  doc["threads"][0]["ops"][0] = {{"op", "touch"}, {"mode", "direkt"}};
  expect_error(errors_of(doc), "/threads/0/ops/0/mode", {"\"buffered\"|\"direct\"", "did you mean 'direct'"});
  doc["threads"][0]["ops"][0] = {{"op", "touch"}, {"nocow", "yes"}};
  expect_error(errors_of(doc), "/threads/0/ops/0/nocow", {"true or false"});
  doc["threads"][0]["ops"][0] = {{"op", "inc"}, {"allow_errors", {"EAGIAN"}}};
  expect_error(errors_of(doc), "/threads/0/ops/0/allow_errors/0", {"unknown errno name", "did you mean 'EAGAIN'"});
  doc["threads"][0]["ops"][0] = {{"op", "inc"}, {"repeat", 0}};
  expect_error(errors_of(doc), "/threads/0/ops/0/repeat", {"1..100000"});
}

TEST_CASE("name and title rules") {
  auto doc = valid();
  doc["name"] = "Counter Race";
  expect_error(errors_of(doc), "/name", {"lower-case letters"});
  doc = valid();
  doc["title"] = "";
  expect_error(errors_of(doc), "/title", {"non-empty"});
  doc = valid();
  doc["references"]["commits"] = {"xyz"};
  expect_error(errors_of(doc), "/references/commits/0", {"hex digits"});
  doc = valid();
  doc["comment"] = 3;
  expect_error(errors_of(doc), "/comment", {"string or an array of strings"});
}

TEST_CASE("every problem of a file is reported at once") {
  auto doc = valid();
  doc["title"] = 1;
  doc["threads"][0]["ops"][0]["by"] = "x";
  doc["explore"]["runs"] = -3;
  auto d = errors_of(doc);
  REQUIRE(d.size() == 3);
  CHECK(d[0].path == "/title");
  CHECK(d[1].path == "/threads/0/ops/0/by");
  CHECK(d[2].path == "/explore/runs");
}

TEST_CASE("the filesystem factory and setup failures are input errors naming the place") {
  auto doc = valid();
  doc["filesystem"]["devices"] = {"1GiB", "1GiB", "1GiB", "1GiB", "1GiB"};
  auto sc = sim::parse_scenario(doc, kFile, *test::test_binding().cat);
  try {
    sim::prepared_scenario p(*sc, test::test_binding());
    FAIL("expected an input_error");
  } catch (const sim::input_error& e) {
    REQUIRE(e.diagnostics().size() == 1);
    CHECK(e.diagnostics()[0].path == "/filesystem");
    CHECK_THAT(e.diagnostics()[0].message, Catch::Contains("at most 4 devices"));
  }
  doc = valid();
  doc["filesystem"]["setup"] = {{{"op", "set"}, {"value", 1}}, {{"op", "ret"}, {"errno", 28}}};
  sc = sim::parse_scenario(doc, kFile, *test::test_binding().cat);
  try {
    sim::prepared_scenario p(*sc, test::test_binding());
    FAIL("expected an input_error");
  } catch (const sim::input_error& e) {
    CHECK(e.diagnostics()[0].path == "/filesystem/setup/1");
    CHECK_THAT(e.diagnostics()[0].message, Catch::Contains("returned -ENOSPC"));
  }
}

TEST_CASE("no value anywhere in a scenario can crash the loader") {
  // Replace every value of the valid scenario, one at a time, by values of every JSON type: the loader
  // either accepts the document or throws input_error; nothing else.
  const json base = valid();
  const json flat = base.flatten();
  const json replacements[] = {nullptr, true, -1, 0, 1.5, "", "x", "1GiB", json::array(), json::object(),
                               json::array({1, "a"}), 18446744073709551615ULL};
  size_t tried = 0, rejected = 0;
  for (auto it = flat.begin(); it != flat.end(); ++it) {
    for (const auto& r : replacements) {
      json doc = flat;
      doc[it.key()] = r;
      json mutated;
      try {
        mutated = doc.unflatten();
      } catch (const json::exception&) {
        continue;
      }
      ++tried;
      try {
        sim::parse_scenario(mutated, kFile, *test::test_binding().cat);
      } catch (const sim::input_error& e) {
        ++rejected;
        for (const auto& d : e.diagnostics()) CHECK_FALSE(d.message.empty());
      }
    }
  }
  CHECK(tried > 200);
  CHECK(rejected > tried / 2);
}
