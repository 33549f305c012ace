#include "sim/shard.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "reports/json_report.hpp"
#include "scheduler/strategies/trace_set.hpp"
#include "sim/coverage.hpp"
#include "sim/suite.hpp"
#include "sim/search/search.hpp"

namespace fsrace::sim {
namespace {

std::optional<uint64_t> parse_number(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

const char* kShardHelp = "expected K/N (shard K of N, K from 0) or N with the index in JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID";

// Checks that every shard file holds one of the N shards exactly once; returns them ordered by index.
template <class GetShard>
std::vector<size_t> order_shards(const std::vector<nlohmann::json>& shards, const std::vector<std::string>& files,
                                 GetShard get) {
  if (shards.empty()) throw input_error("", "", "merge needs at least one result file");
  std::vector<size_t> by_index;
  uint64_t count = 0;
  for (size_t i = 0; i < shards.size(); ++i) {
    const auto s = get(i);
    if (!s) throw input_error(files[i], "/shard", "expected \"K/N\": the file is not the result of a sharded run");
    if (i == 0) {
      count = s->count;
      by_index.assign(count, SIZE_MAX);
    }
    if (s->count != count)
      throw input_error(files[i], "/shard", fmt::format("shard {} belongs to a split in {}, but {} was split in {}", s->describe(),
                                                        s->count, files[0], count));
    if (by_index[s->index] != SIZE_MAX)
      throw input_error(files[i], "/shard", fmt::format("shard {} is also given by {}", s->describe(), files[by_index[s->index]]));
    by_index[s->index] = i;
  }
  for (uint64_t k = 0; k < count; ++k)
    if (by_index[k] == SIZE_MAX)
      throw input_error("", "", fmt::format("shard {}/{} is missing: merge needs all {} shards", k, count, count));
  return by_index;
}

std::optional<shard_spec> shard_of(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("shard") || !j["shard"].is_string()) return std::nullopt;
  const std::string s = j["shard"].get<std::string>();
  const auto slash = s.find('/');
  if (slash == std::string::npos) return std::nullopt;
  auto k = parse_number(std::string_view(s).substr(0, slash)), n = parse_number(std::string_view(s).substr(slash + 1));
  if (!k || !n || *n == 0 || *k >= *n) return std::nullopt;
  return shard_spec{*k, *n};
}

// Every shard must come from the same exploration: the same value at each of `keys` as the first shard.
void require_same(const std::vector<nlohmann::json>& shards, const std::vector<std::string>& files,
                  const std::vector<size_t>& order, std::initializer_list<const char*> keys) {
  const nlohmann::json& first = shards[order[0]];
  for (size_t i = 0; i < shards.size(); ++i)
    for (const char* key : keys)
      if (!shards[i].contains(key) || shards[i][key] != first[key])
        throw input_error(files[i], std::string("/") + key,
                          fmt::format("expected {} as in {} (all shards must come from the same exploration), got {}",
                                      first.contains(key) ? first[key].dump() : "a value", files[order[0]],
                                      shards[i].contains(key) ? shards[i][key].dump() : "nothing"));
}

// The coverage of merged shards, worded as for one run. Every DFS shard that estimated the space ran the
// same deterministic probes of the whole space: their estimates agree; take the largest.
void merged_coverage(nlohmann::json& out, const std::vector<nlohmann::json>& shards, const std::vector<size_t>& counted,
                     bool exact) {
  coverage_facts f;
  f.executions = out["executions"].get<uint64_t>();
  for (const auto& s : shards) {
    if (s.contains("estimated_executions") && s["estimated_executions"].is_number() &&
        s["estimated_executions"].get<double>() > f.estimate) {
      f.estimate = s["estimated_executions"].get<double>();
      f.estimate_error = s.contains("estimate_error") && s["estimate_error"].is_number() ? s["estimate_error"].get<double>() : 0;
      f.estimate_settled = s.contains("estimate_settled") && s["estimate_settled"].is_boolean() && s["estimate_settled"].get<bool>();
    }
    f.time_up = f.time_up || (s.contains("time_up") && s["time_up"].is_boolean() && s["time_up"].get<bool>());
  }
  const std::string strategy = out["strategy"].get<std::string>();
  f.systematic = strategy.rfind("dfs", 0) == 0 || strategy.rfind("dpor", 0) == 0;
  f.reduced = strategy.rfind("dpor", 0) == 0;
  f.exhausted = out["exhausted"].get<bool>();
  if (f.exhausted) f = coverage_facts{f.executions, true, f.systematic, f.reduced, f.time_up};
  out["coverage"] = coverage_phrase(f);
  out["estimated_executions"] = f.estimate;
  out["estimate_error"] = f.estimate_error;
  out["estimate_settled"] = f.estimate_settled;
  out["time_up"] = f.time_up;
  // Label coverage: the union of the shards that count (`counted`: up to the one where a single run would
  // have stopped). Exact when each shard ran just what the single run would have; `exact` false (DFS parts
  // that stopped early: a part runs its subtrees past the whole search's stop) keeps the label kinds and
  // calls the pairs unknown.
  std::map<std::string, std::set<std::string>> threads;
  std::set<std::pair<std::string, std::string>> ordered;
  bool any = false, truncated = false, pairs = exact;
  for (size_t i : counted) {
    if (!shards[i].contains("label_coverage") || shards[i]["label_coverage"].is_null()) {
      pairs = false;
      continue;
    }
    const auto l = reports::label_coverage_from_json(shards[i]["label_coverage"], "/label_coverage");
    any = true;
    truncated = truncated || l.truncated;
    pairs = pairs && l.pairs_known && l.with_pairs;
    for (const auto& [thread, kinds] : l.threads) threads[thread].insert(kinds.begin(), kinds.end());
    ordered.insert(l.ordered.begin(), l.ordered.end());
  }
  reports::label_coverage_result merged;
  merged.present = any;
  merged.truncated = truncated;
  merged.pairs_known = pairs;
  for (const auto& [thread, kinds] : threads) merged.threads.emplace_back(thread, std::vector<std::string>(kinds.begin(), kinds.end()));
  merged.ordered.assign(ordered.begin(), ordered.end());
  reports::summarize_pairs(merged);
  out["label_coverage"] = reports::to_json(merged);
}

// One piece of a split search: the executions one shard accounted for one of its subtrees or plans.
struct piece {
  size_t shard = SIZE_MAX;  // index into `shards`
  uint64_t local_first = 0, executions = 0, global_first = 0;
  const nlohmann::json* plan = nullptr;  // dpor: its entry in the shard's plan_tree
};

// The merge of a search split into parts whose pieces interleave (DFS subtrees, DPOR plans): `pieces` in
// the whole search's order, up to the first piece no shard ran (`missing` names it, else empty). The
// executions, violations and stop of the whole search follow from each piece's first global index.
nlohmann::json merge_pieces(const std::vector<nlohmann::json>& shards, const std::vector<std::string>& files,
                            const std::vector<size_t>& order, std::vector<piece>& pieces, const std::string& missing) {
  const nlohmann::json& first = shards[order[0]];
  try {
    uint64_t total = 0;  // executions before the first piece no shard reached
    for (piece& p : pieces) p.global_first = total, total += p.executions;
    // The global index of a shard's local execution index (only pieces before the first gap are known).
    auto global = [&](size_t shard, uint64_t local) -> std::optional<uint64_t> {
      for (const piece& p : pieces)
        if (p.shard == shard && local >= p.local_first && local < p.local_first + p.executions)
          return p.global_first + (local - p.local_first);
      return std::nullopt;
    };
    std::optional<uint64_t> stop;  // where one machine would have stopped: the earliest stop of any shard
    for (size_t i : order)
      if (!shards[i].at("stopped_at").is_null())
        if (auto g = global(i, shards[i]["stopped_at"].get<uint64_t>()); g && (!stop || *g < *stop)) stop = g;
    if (!stop && !missing.empty())
      throw input_error(files[order[0]], "", fmt::format("no shard searched {} and none stopped before it", missing));
    const uint64_t executions = stop ? *stop + 1 : total;
    if (executions > first.at("runs").get<uint64_t>())
      throw input_error(files[order[0]], "/runs", fmt::format("the shards ran {} executions together, more than --runs {}: "
                                                              "an unsharded search would have stopped earlier; shard with a larger --runs",
                                                              executions, first["runs"].get<uint64_t>()));
    std::vector<std::pair<uint64_t, nlohmann::json>> found;  // (global index, violation) of every shard
    for (size_t i : order)
      for (nlohmann::json v : shards[i].at("violations")) {
        const auto g = global(i, v.at("execution").get<uint64_t>());
        if (!g || (stop && *g > *stop)) continue;
        std::string replay = v.at("replay").get<std::string>();
        const std::string local_seed = fmt::format("--seed {} ", v["seed"].get<uint64_t>());
        if (auto at = replay.find(local_seed); at != std::string::npos) replay.replace(at, local_seed.size(), fmt::format("--seed {} ", *g));
        if (auto at = replay.rfind(" --shard "); at != std::string::npos) replay.erase(at);
        v["replay"] = replay;
        v["seed"] = v["execution"] = *g;
        found.emplace_back(*g, std::move(v));
      }
    std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    nlohmann::json violations = nlohmann::json::array();
    uint64_t violating = 0;
    for (auto& found_one : found) {
      nlohmann::json& v = found_one.second;  // not a structured binding: clang 14 cannot capture those
      violating += v["occurrences"].get<uint64_t>();
      auto it = std::find_if(violations.begin(), violations.end(), [&](const nlohmann::json& w) { return w["kind"] == v["kind"] && w["message"] == v["message"]; });
      if (it == violations.end()) violations.push_back(std::move(v));
      else (*it)["occurrences"] = (*it)["occurrences"].get<uint64_t>() + v["occurrences"].get<uint64_t>();
    }
    nlohmann::json out = first;
    double seconds = 0;
    bool exhausted = !stop || *stop + 1 == total;
    for (size_t i : order) seconds += shards[i].at("seconds").get<double>(), exhausted = exhausted && shards[i].at("exhausted").get<bool>();
    out.erase("tool_error");
    out.erase("subtrees");
    out.erase("subtree_count");
    out.erase("plan_tree");
    out.erase("plan_traces_capped");
    for (size_t i : order)  // the tool error that stopped the whole search, if one did
      if (shards[i].contains("tool_error") && stop && global(i, shards[i]["tool_error"].at("execution").get<uint64_t>()) == stop) {
        out["tool_error"] = shards[i]["tool_error"];
        out["tool_error"]["seed"] = out["tool_error"]["execution"] = *stop;
        out["reason"] = shards[i]["reason"];
        out["status"] = shards[i]["status"];
      }
    out["executions"] = executions;
    out["violating_executions"] = violating;
    out["violations"] = violations;
    out["seconds"] = seconds;
    out["exhausted"] = exhausted;
    // Exact when no part stopped; after a stop, parts may have searched subtrees past it: an upper bound.
    uint64_t peak = 0;
    for (size_t i : order) peak = std::max<uint64_t>(peak, shards[i].value("peak_model_bytes", uint64_t{0}));
    out["peak_model_bytes"] = peak;
    out["stopped_at"] = stop ? nlohmann::json(*stop) : nlohmann::json(nullptr);
    out["end"] = first["runs"];
    out["shard"] = nullptr;
    out["result"] = out.contains("tool_error") ? "tool-error" : violations.empty() ? "clean" : "violation";
    if (!out.contains("tool_error")) out["status"] = "pass", out["reason"] = "";
    merged_coverage(out, shards, order, !stop);
    return out;
  } catch (const nlohmann::json::exception& e) {
    throw input_error("", "", fmt::format("malformed shard result: {}", e.what()));
  }
}

// DFS shards hold interleaved subtrees (subtree i in shard i mod N): the pieces in subtree order.
nlohmann::json merge_dfs_parts(const std::vector<nlohmann::json>& shards, const std::vector<std::string>& files,
                               const std::vector<size_t>& order) {
  require_same(shards, files, order, {"scenario", "fixes", "strategy", "runs", "keep_going", "max_steps", "fixes_resolved", "subtree_count"});
  std::vector<piece> pieces;
  std::string missing;
  try {
    const uint64_t count = shards[order[0]].at("subtree_count").get<uint64_t>();
    std::vector<piece> by_id(count);
    for (size_t i : order) {
      uint64_t local = 0;
      for (const auto& st : shards[i].at("subtrees")) {
        const uint64_t id = st.at(0).get<uint64_t>(), n = st.at(1).get<uint64_t>();
        if (id >= count || by_id[id].shard != SIZE_MAX)
          throw input_error(files[i], "/subtrees", fmt::format("subtree {} is out of range or given twice", id));
        by_id[id] = {i, local, n, 0, nullptr};
        local += n;
      }
    }
    for (uint64_t id = 0; id < count && missing.empty(); ++id) {
      if (by_id[id].shard == SIZE_MAX) missing = fmt::format("subtree {}", id);
      else pieces.push_back(by_id[id]);
    }
  } catch (const nlohmann::json::exception& e) {
    throw input_error("", "", fmt::format("malformed shard result: {}", e.what()));
  }
  return merge_pieces(shards, files, order, pieces, missing);
}

std::string path_text(const std::vector<uint64_t>& path) { return fmt::format("plan [{}]", fmt::join(path, ", ")); }

// A DPOR shard's trace hashes: 16 hex digits each.
void add_trace_hashes(sched::TraceSet& set, const nlohmann::json& text, const std::string& file, const std::string& at) {
  const std::string& s = text.get_ref<const std::string&>();
  if (s.size() % 16 != 0) throw input_error(file, at, "expected trace hashes of 16 hex digits each");
  for (size_t k = 0; k < s.size(); k += 16) {
    uint64_t h = 0;
    auto [p, ec] = std::from_chars(s.data() + k, s.data() + k + 16, h, 16);
    if (ec != std::errc{} || p != s.data() + k + 16) throw input_error(file, at, "expected trace hashes of 16 hex digits each");
    set.insert(h);
  }
}

// DPOR shards hold plans of one tree (exploration::plan_record): the pieces in the tree's preorder, each
// plan's executions before the plans it cut off; then what the plans up to the stop add up to.
nlohmann::json merge_dpor_parts(const std::vector<nlohmann::json>& shards, const std::vector<std::string>& files,
                                const std::vector<size_t>& order) {
  require_same(shards, files, order, {"scenario", "fixes", "strategy", "runs", "keep_going", "max_steps", "fixes_resolved"});
  std::vector<piece> pieces;
  std::vector<std::string> where;  // each piece's JSON path in its shard, for messages
  std::string missing;
  try {
    std::map<std::vector<uint64_t>, std::pair<piece, std::string>> by_path;
    for (size_t i : order) {
      uint64_t local = 0;
      const auto& tree = shards[i].at("plan_tree");
      for (size_t k = 0; k < tree.size(); ++k) {
        const auto path = tree[k].at("path").get<std::vector<uint64_t>>();
        const uint64_t n = tree[k].at("executions").get<uint64_t>();
        if (!by_path.emplace(path, std::pair{piece{i, local, n, 0, &tree[k]}, fmt::format("/plan_tree/{}", k)}).second)
          throw input_error(files[i], fmt::format("/plan_tree/{}/path", k), fmt::format("{} is given twice", path_text(path)));
        local += n;
      }
    }
    // Preorder: a frame per plan on the current path, with the next of its cut-off plans to visit.
    struct frame {
      std::vector<uint64_t> path;
      uint64_t next = 0, spawned = 0;
    };
    std::vector<frame> stack;
    std::vector<uint64_t> path;  // the next plan to find
    for (;;) {  // bounded: each plan found is taken from by_path, and the stack is no deeper than the plans found
      auto it = by_path.find(path);
      if (it == by_path.end()) {
        missing = path_text(path);
        break;
      }
      pieces.push_back(it->second.first);
      where.push_back(it->second.second);
      stack.push_back({path, 0, it->second.first.plan->at("spawned").get<uint64_t>()});
      by_path.erase(it);
      while (!stack.empty() && stack.back().next == stack.back().spawned) stack.pop_back();
      if (stack.empty()) break;
      path = stack.back().path;
      path.push_back(stack.back().next++);
    }
    nlohmann::json out = merge_pieces(shards, files, order, pieces, missing);
    // The plans the whole search accounted: those up to the one holding its last execution.
    const uint64_t executions = out["executions"].get<uint64_t>();
    uint64_t plans = 0, redundant = 0;
    bool capped = false;
    sched::TraceSet traces;
    for (size_t k = 0; k < pieces.size() && (k == 0 || pieces[k].global_first < executions); ++k) {
      const piece& p = pieces[k];
      ++plans;
      redundant += p.plan->at("redundant").get<uint64_t>();
      add_trace_hashes(traces, p.plan->at("trace_hashes"), files[p.shard], where[k] + "/trace_hashes");
    }
    for (size_t i : order) capped = capped || shards[i].at("plan_traces_capped").get<bool>();
    out["plans"] = plans;
    out["redundant"] = redundant;
    out["traces"] = traces.size();
    out["traces_capped"] = capped || traces.capped();
    return out;
  } catch (const nlohmann::json::exception& e) {
    throw input_error("", "", fmt::format("malformed shard result: {}", e.what()));
  }
}

}  // namespace

shard_spec parse_shard(const std::string& text, const std::function<const char*(const char*)>& getenv) {
  shard_spec s;
  const auto slash = text.find('/');
  if (slash != std::string::npos) {
    auto k = parse_number(std::string_view(text).substr(0, slash)), n = parse_number(std::string_view(text).substr(slash + 1));
    if (!k || !n) throw input_error("", "--shard", fmt::format("{}, got \"{}\"", kShardHelp, text));
    s = {*k, *n};
  } else {
    auto n = parse_number(text);
    if (!n) throw input_error("", "--shard", fmt::format("{}, got \"{}\"", kShardHelp, text));
    s.count = *n;
    if (const char* k8s = getenv("JOB_COMPLETION_INDEX")) {
      auto k = parse_number(k8s);
      if (!k) throw input_error("", "JOB_COMPLETION_INDEX", fmt::format("expected a shard index, got \"{}\"", k8s));
      s.index = *k;
    } else if (const char* slurm = getenv("SLURM_ARRAY_TASK_ID")) {
      auto k = parse_number(slurm);
      const char* min_text = getenv("SLURM_ARRAY_TASK_MIN");
      auto min = min_text ? parse_number(min_text) : std::optional<uint64_t>(0);
      if (!k || !min || *k < *min)
        throw input_error("", "SLURM_ARRAY_TASK_ID", fmt::format("expected a task id >= SLURM_ARRAY_TASK_MIN, got \"{}\"", slurm));
      s.index = *k - *min;
    } else {
      throw input_error("", "--shard", fmt::format("--shard {} gives no index and neither JOB_COMPLETION_INDEX nor "
                                                   "SLURM_ARRAY_TASK_ID is set; use --shard K/{}", text, text));
    }
  }
  if (s.count == 0 || s.index >= s.count)
    throw input_error("", "--shard", fmt::format("shard index {} is not in 0..{} (shards are numbered from 0)", s.index,
                                                 s.count == 0 ? 0 : s.count - 1));
  return s;
}

std::pair<uint64_t, uint64_t> shard_range(uint64_t runs, const shard_spec& s) {
  const auto at = [&](uint64_t k) { return static_cast<uint64_t>((static_cast<unsigned __int128>(runs) * k) / s.count); };
  return {at(s.index), at(s.index + 1)};
}

nlohmann::json exploration_json(const scenario& sc, const exploration& e, bool keep_going,
                                 const std::optional<shard_spec>& shard, double seconds) {
  reports::case_result c = case_of(sc, e, "", seconds);
  c.labels.with_pairs = shard.has_value();  // every pair, so that merging the shards is exact
  nlohmann::json j = reports::to_json(c);
  j["result"] = e.tool_error ? "tool-error" : e.violations.empty() ? "clean" : "violation";
  j["fixes_resolved"] = e.fixes_resolved;
  j["runs"] = e.settings.runs;
  j["first"] = e.first;
  j["end"] = e.end;
  j["keep_going"] = keep_going;
  j["max_steps"] = e.settings.max_steps;
  // Counted by the model (sim/model_state_bytes.hpp): the most bytes of model state one execution held.
  j["peak_model_bytes"] = e.peak_model_bytes;
  j["time_up"] = e.time_up;
  if (search_of(e.settings.strategy).takes_depth) j["pct_steps"] = e.pct_steps;  // PCT's k, from its depth
  // DPOR: executions that reached a state where every runnable fiber was asleep (counted in "executions").
  if (search_of(e.settings.strategy).reduced) {
    j["redundant"] = e.redundant;
    j["traces"] = e.traces;  // distinct Mazurkiewicz traces among the executions
    j["traces_capped"] = e.traces_capped;
    j["plans"] = e.plans;  // the subtrees the search was cut into (dpor_search.cpp), as far as accounted
  }
  j["shard"] = shard ? nlohmann::json(shard->describe()) : nlohmann::json(nullptr);
  // Where an unsharded run would have stopped, for merging: the index of the execution that ended it.
  j["stopped_at"] = e.tool_error               ? nlohmann::json(e.tool_error->index)
                    : !keep_going && !e.violations.empty() ? nlohmann::json(e.violations.front().index)
                                                           : nlohmann::json(nullptr);
  if (e.tool_error) j["tool_error"] = {{"seed", e.tool_error->key}, {"execution", e.tool_error->index}, {"message", e.tool_error->finding.message}};
  if (search_of(e.settings.strategy).divides == division::subtrees && shard) {
    // A DFS shard numbers its executions within its own subtrees: replaying one names the shard, and
    // merging maps the numbers back to the whole search through the subtree list.
    j["subtree_count"] = e.subtree_count;
    j["subtrees"] = e.subtrees;
    for (auto& v : j["violations"]) v["replay"] = v["replay"].get<std::string>() + " --shard " + shard->describe();
  }
  if (search_of(e.settings.strategy).divides == division::spawned && shard) {
    // A DPOR shard numbers its executions within its own plans, listed by their place in the tree of
    // plans with what merging needs to recount the whole: executions, the plans each cut off, sleep-set
    // blocked executions, and its distinct trace hashes (16 hex digits each, sorted).
    nlohmann::json plans = nlohmann::json::array();
    for (const auto& r : e.plan_records) {
      std::string hashes;
      hashes.reserve(r.traces.size() * 16);
      for (uint64_t h : r.traces) hashes += fmt::format("{:016x}", h);
      plans.push_back({{"path", r.path}, {"executions", r.executions}, {"spawned", r.spawned}, {"redundant", r.redundant},
                       {"trace_hashes", std::move(hashes)}});
    }
    j["plan_tree"] = std::move(plans);
    j["plan_traces_capped"] = e.plan_traces_capped;
    for (auto& v : j["violations"]) v["replay"] = v["replay"].get<std::string>() + " --shard " + shard->describe();
  }
  return j;
}

nlohmann::json merge_explorations(const std::vector<nlohmann::json>& shards, const std::vector<std::string>& files) {
  const auto order = order_shards(shards, files, [&](size_t i) { return shard_of(shards[i]); });
  if (shards[order[0]].contains("subtrees")) return merge_dfs_parts(shards, files, order);
  if (shards[order[0]].contains("plan_tree")) return merge_dpor_parts(shards, files, order);
  require_same(shards, files, order, {"scenario", "fixes", "strategy", "base_seed", "runs", "keep_going", "max_steps", "fixes_resolved"});
  const nlohmann::json& first = shards[order[0]];
  try {
    nlohmann::json out = first;
    const bool keep_going = first["keep_going"].get<bool>();
    uint64_t executions = 0, violating = 0, peak = 0;
    double seconds = 0;
    bool exhausted = true;
    nlohmann::json violations = nlohmann::json::array();
    out.erase("tool_error");
    out["result"] = "clean";
    out["stopped_at"] = nullptr;
    std::vector<size_t> counted;  // the shards a single run would have covered
    for (size_t k = 0; k < order.size(); ++k) {
      const nlohmann::json& s = shards[order[k]];
      counted.push_back(order[k]);
      const uint64_t lo = s.at("first").get<uint64_t>();
      if (lo != executions)
        throw input_error(files[order[k]], "/first", fmt::format("expected the shard to start at execution {}, got {}", executions, lo));
      seconds += s.at("seconds").get<double>();
      exhausted = exhausted && s.at("exhausted").get<bool>();
      for (const auto& v : s.at("violations")) {
        auto same_v = [&](const nlohmann::json& w) { return w["kind"] == v["kind"] && w["message"] == v["message"]; };
        auto it = std::find_if(violations.begin(), violations.end(), same_v);
        if (it == violations.end()) violations.push_back(v);
        else (*it)["occurrences"] = (*it)["occurrences"].get<uint64_t>() + v["occurrences"].get<uint64_t>();
      }
      violating += s.at("violating_executions").get<uint64_t>();
      executions += s.at("executions").get<uint64_t>();
      peak = std::max<uint64_t>(peak, s.value("peak_model_bytes", uint64_t{0}));  // shards after a stop do not count
      if (!s.at("stopped_at").is_null()) {  // one machine would have stopped here
        out["stopped_at"] = s["stopped_at"];
        if (s.contains("tool_error")) out["tool_error"] = s["tool_error"], out["reason"] = s["reason"], out["status"] = s["status"];
        break;
      }
      if (s.at("end").get<uint64_t>() != lo + s.at("executions").get<uint64_t>())
        throw input_error(files[order[k]], "/executions", "a shard that did not stop at a violation must run its whole range");
    }
    out["executions"] = executions;
    out["violating_executions"] = violating;
    out["violations"] = violations;
    out["seconds"] = seconds;
    out["exhausted"] = exhausted;
    out["peak_model_bytes"] = peak;
    out["first"] = 0;
    out["end"] = first["runs"];
    out["shard"] = nullptr;
    out["result"] = out.contains("tool_error") ? "tool-error" : violations.empty() ? "clean" : "violation";
    if (!out.contains("tool_error")) out["status"] = "pass", out["reason"] = "";
    (void)keep_going;
    merged_coverage(out, shards, counted, true);
    return out;
  } catch (const nlohmann::json::exception& e) {
    throw input_error("", "", fmt::format("malformed shard result: {}", e.what()));
  }
}

reports::suite_result merge_suites(const std::vector<nlohmann::json>& shards, const std::vector<std::string>& files) {
  const auto order = order_shards(shards, files, [&](size_t i) { return shard_of(shards[i]); });
  reports::suite_result merged;
  for (size_t i : order) {
    try {
      auto part = reports::suite_from_json(shards[i]);
      merged.cases.insert(merged.cases.end(), part.cases.begin(), part.cases.end());
    } catch (const std::runtime_error& e) {
      throw input_error(files[i], "/cases", e.what());
    }
  }
  std::stable_sort(merged.cases.begin(), merged.cases.end(),
                   [](const auto& a, const auto& b) { return a.ordinal < b.ordinal; });
  for (size_t i = 1; i < merged.cases.size(); ++i)
    if (merged.cases[i].ordinal == merged.cases[i - 1].ordinal)
      throw input_error("", "/cases", fmt::format("case {} appears in two shards", merged.cases[i].ordinal));
  return merged;
}

}  // namespace fsrace::sim
