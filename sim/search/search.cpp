#include "sim/search/search.hpp"

#include "sim/diagnostics.hpp"
#include "sim/explore.hpp"

namespace fsrace::sim {

// Each strategy's file defines its factory.
std::unique_ptr<search> make_random_search(executor&, const explore_request&);
std::unique_ptr<search> make_pct_search(executor&, const explore_request&);
std::unique_ptr<search> make_dfs_search(executor&, const explore_request&);
std::unique_ptr<search> make_dpor_search(executor&, const explore_request&);

const std::vector<search_entry>& all_searches() {
  static const std::vector<search_entry> table = {
      // kind, name, divides, systematic, reduced, takes_depth, takes_preemptions, make
      {strategy_kind::random, "random", division::seeds, false, false, false, false, make_random_search},
      {strategy_kind::pct, "pct", division::seeds, false, false, true, false, make_pct_search},
      {strategy_kind::dfs, "dfs", division::subtrees, true, false, false, true, make_dfs_search},
      {strategy_kind::dpor, "dpor", division::spawned, true, true, false, true, make_dpor_search},
  };
  return table;
}

const search_entry& search_of(strategy_kind kind) {
  for (const auto& e : all_searches())
    if (e.kind == kind) return e;
  throw tool_error("search_of: a strategy without a row in all_searches()");
}

bool is_systematic(strategy_kind kind) { return search_of(kind).systematic; }

std::unique_ptr<search> make_search(executor& probe, const explore_request& req) {
  return search_of(req.settings.strategy).make(probe, req);
}

}  // namespace fsrace::sim
