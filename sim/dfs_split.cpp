#include "sim/dfs_split.hpp"

namespace fsrace::sim {

std::vector<std::vector<sched::FiberId>> dfs_subtrees(executor& exec, unsigned bound, uint64_t at_least) {
  struct cut {
    std::vector<sched::FiberId> prefix;
    bool whole = false;  // the prefix is a complete execution: nothing below it to split
  };
  std::vector<cut> level{cut{}};
  sched::DfsStrategy dfs(bound);
  sched::Execution ex;
  // Each round expands every prefix by one decision (chains of single choices collapsed, as they cost no
  // split); bounded because every round lengthens at least one prefix of a finite bounded tree.
  for (bool grew = true; grew && level.size() < at_least;) {
    grew = false;
    std::vector<cut> next;
    for (cut& c : level) {
      if (c.whole) {
        next.push_back(std::move(c));
        continue;
      }
      dfs.restrict(c.prefix);
      exec.run(dfs, 0, ex);
      std::vector<sched::FiberId> kids = dfs.children(c.prefix.size());
      // One choice only: follow it (the execution just run took it) until the tree branches or ends.
      while (kids.size() == 1) {
        c.prefix.push_back(kids[0]);
        kids = dfs.children(c.prefix.size());
      }
      if (kids.empty()) {
        c.whole = true;
        next.push_back(std::move(c));
        continue;
      }
      grew = true;
      for (sched::FiberId f : kids) {
        cut child{c.prefix, false};
        child.prefix.push_back(f);
        next.push_back(std::move(child));
      }
    }
    level = std::move(next);
  }
  std::vector<std::vector<sched::FiberId>> out;
  out.reserve(level.size());
  for (cut& c : level) out.push_back(std::move(c.prefix));
  return out;
}

}  // namespace fsrace::sim
