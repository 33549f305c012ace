// The fiemap family: FS_IOC_FIEMAP on a file (model/data/fiemap.hpp), an expectation a scenario can state
// about its answer, and the invariant that every answer agrees with the file at the moment of the call.
#include <cerrno>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "model/data/fiemap.hpp"
#include "model/data/fiemap_check.hpp"
#include "model/data/fiemap_holes.hpp"
#include "model/data/inode.hpp"
#include "model/fs_info.hpp"
#include "scheduler/finding.hpp"
#include "sim/binding.hpp"
#include "sim/diagnostics.hpp"
#include "sim/scenario.hpp"
#include "sim/units.hpp"

namespace fsrace::sim {
namespace {

using model::btrfs_fs_info;
using model::btrfs_inode;

constexpr uint64_t kSubvol = model::BTRFS_FS_TREE_OBJECTID;  // files live in the top subvolume

// Reads the file's truth when extent_fiemap holds the inode lock (takes no scheduling point).
struct truth_observer final : model::fiemap_observer {
  btrfs_fs_info& fs;
  const btrfs_inode& inode;
  model::fiemap_call& call;
  truth_observer(btrfs_fs_info& f, const btrfs_inode& i, model::fiemap_call& c) : fs(f), inode(i), call(c) {}
  void locked() override { call.at_lock = model::fiemap_truth_of(fs, inode, call.range_start, call.range_end); }
  void unlocking() override {
    call.at_unlock = model::fiemap_truth_of(fs, inode, call.range_start, call.range_end);
    call.observed = true;
  }
};

// One expected extent: "LOGICAL+LENGTH[@PHYSICAL] [flag,flag...]" (sizes as scenarios write them; flags as
// fiemap_flags_text names them). Extents are separated by ';'.
bool parse_expected(std::string_view text, std::vector<model::fiemap_extent>& out, bool& with_phys,
                    std::string& why) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  with_phys = false;
  while (!trim(text).empty()) {
    const size_t semi = text.find(';');
    std::string_view one = trim(text.substr(0, semi));
    text = semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1);
    model::fiemap_extent fe;
    const size_t space = one.find(' ');
    std::string_view where = one.substr(0, space), flags = space == std::string_view::npos ? "" : trim(one.substr(space));
    const size_t plus = where.find('+'), at = where.find('@');
    if (plus == std::string_view::npos) return why = fmt::format("'{}' is not LOGICAL+LENGTH", one), false;
    auto size_of = [&](std::string_view s, uint64_t& v) {
      auto parsed = parse_size(s, why);
      if (parsed) v = *parsed;
      return bool(parsed);
    };
    if (!size_of(where.substr(0, plus), fe.fe_logical) ||
        !size_of(where.substr(plus + 1, at == std::string_view::npos ? std::string_view::npos : at - plus - 1),
                 fe.fe_length))
      return false;
    if (at != std::string_view::npos) {
      if (!size_of(where.substr(at + 1), fe.fe_physical)) return false;
      with_phys = true;
    }
    while (!flags.empty()) {
      const size_t comma = flags.find(',');
      const std::string_view name = trim(flags.substr(0, comma));
      flags = comma == std::string_view::npos ? std::string_view{} : flags.substr(comma + 1);
      bool known = false;
      for (uint32_t bit = 1; bit; bit <<= 1)
        if (model::fiemap_flags_text(bit) == name) {
          fe.fe_flags |= bit;
          known = true;
        }
      if (!known) return why = fmt::format("unknown fiemap flag '{}'", name), false;
    }
    out.push_back(fe);
  }
  return true;
}

int fiemap_op(exec_context& ctx, const params& p) {
  btrfs_fs_info& fs = ctx.fs();
  const uint64_t ino = model::btrfs_lookup_name(fs, kSubvol, p.text("file"));
  if (!ino) return -ENOENT;
  btrfs_inode& inode = *model::btrfs_iget(fs, kSubvol, ino);
  if (!model::btrfs_igrab(inode)) return -ENOENT;
  const uint64_t start = p.size("offset");
  uint64_t len = p.size("length") == 0 ? model::FIEMAP_MAX_OFFSET : p.size("length");
  if (start < model::MAX_LFS_FILESIZE && (len > model::MAX_LFS_FILESIZE || model::MAX_LFS_FILESIZE - len < start))
    len = model::MAX_LFS_FILESIZE - start;  // fiemap_prep's clamp, for the range the truth covers
  model::fiemap_call call;
  call.origin = fmt::format("{} in thread {}", ctx.call().display, ctx.thread().name);
  call.file = inode.name;
  call.range_start = start / fs.sectorsize * fs.sectorsize;
  call.range_end = (start + len + fs.sectorsize - 1) / fs.sectorsize * fs.sectorsize;
  truth_observer observer(fs, inode, call);
  model::fiemap_extent_info fi;
  fi.fi_flags = p.flag("sync") ? model::FIEMAP_FLAG_SYNC : 0;
  fi.fi_extents_max = uint32_t(p.integer("extents_max"));
  fi.observer = &observer;
  call.ret = model::btrfs_fiemap(fs, inode, fi, start, len);
  fi.observer = nullptr;
  call.result = fi;
  model::btrfs_iput(fs, inode);
  const std::string expect = p.text("expect");
  if (call.ret == 0 && !expect.empty()) {
    std::vector<model::fiemap_extent> want;
    bool with_phys = false;
    std::string why;
    if (!parse_expected(expect, want, with_phys, why))
      throw tool_error(fmt::format("fiemap expect \"{}\": {}", expect, why));
    std::vector<model::fiemap_extent> got = fi.extents;
    if (!with_phys)
      for (auto& fe : got) fe.fe_physical = 0;
    if (got != want) {
      std::vector<std::string> g, w;
      for (const auto& fe : got) g.push_back(model::describe(fe));
      for (const auto& fe : want) w.push_back(model::describe(fe));
      sched::fail(sched::FindingKind::Violation,
                  fmt::format("fiemap of file {} ({}): returned [{}], expected [{}]", call.file, call.origin,
                              fmt::join(g, "; "), fmt::join(w, "; ")));
    }
  }
  const int ret = call.ret;
  fs.fiemap_calls.push_back(std::move(call));
  return ret;
}

std::vector<std::string> fiemap_matches_file(const btrfs_fs_info& fs) {
  std::vector<std::string> problems;
  for (const model::fiemap_call& call : fs.fiemap_calls) {
    if (call.ret != 0 || !call.observed) continue;
    // A file whose extents changed while the call ran (writeback, ordered extent completion, a clone or a
    // snapshot sharing its extents) may be described partly before and partly after the change; but what
    // held data at both moments is no hole (978b63f7464a's race).
    const bool changed = !(call.at_lock == call.at_unlock);
    const std::vector<std::string> found =
        changed ? model::fiemap_check_holes(call.at_lock, call.at_unlock, call.result, call.range_start, call.range_end)
                : model::fiemap_check_result(call.at_lock, call.result, call.range_start, call.range_end);
    for (const std::string& p : found)
      problems.push_back(fmt::format("fiemap of file {} ({}) disagrees with the file{}: {}", call.file, call.origin,
                                     changed ? ", which changed during the call" : "", p));
  }
  return problems;
}

}  // namespace

void register_fiemap_ops(catalogue& cat) {
  cat.add_op("fiemap", "fiemap",
             "FS_IOC_FIEMAP (btrfs_fiemap -> extent_fiemap, 6.1.192): with the inode's i_rwsem shared, walks the "
             "file extent items on cloned leaves (978b63f7464a, not in 6.1.192: with the whole range locked in the "
             "io tree, the extents buffered and copied out unlocked); regular extents with FIEMAP_EXTENT_SHARED from "
             "btrfs_is_data_extent_shared (btrfs_join_transaction_nostart, else commit_root_sem); holes and prealloc "
             "extents looked up for delalloc below i_size under the io tree range lock (DELALLOC|UNKNOWN), prealloc "
             "pieces UNWRITTEN; LAST on the final extent when nothing follows. sync: FIEMAP_FLAG_SYNC writes back "
             "and waits for the ordered extents first. `expect` states the exact answer; the invariant "
             "fiemap_matches_file checks every answer against the file.",
             fiemap_op)
      .ref("file", "file", "the file")
      .size("offset", "fm_start")
      .optional(0)
      .size_range(0, 1ull << 40)
      .file_offset()
      .size("length", "fm_length; 0 = FIEMAP_MAX_OFFSET (to the end)")
      .optional(0)
      .flag("sync", "FIEMAP_FLAG_SYNC")
      .optional(false)
      .integer("extents_max", "fm_extent_count: 0 only counts the extents (no sharedness checks)")
      .optional(512)
      .range(0, 4096)
      .string("expect",
              "the exact answer, extents separated by ';', each LOGICAL+LENGTH[@PHYSICAL] [flags], flags from last, "
              "unknown, delalloc, encoded, not_aligned, inline, unwritten, shared joined by ','; without @ the "
              "physical addresses are not compared. Another answer is a violation. \"\": not checked")
      .optional("");

  cat.add_invariant("fiemap_matches_file", "fiemap",
                    "Every FIEMAP answer of the execution agrees with the file as it was while the call held the "
                    "inode lock (its file extent items, delalloc and writes in flight below i_size, the file extent "
                    "items of every subvolume for sharing): extents in order and not overlapping, each piece of the "
                    "range of the same kind (data, unwritten, delalloc), at the same disk address and, where the "
                    "items and the references agree, equally shared; FIEMAP_EXTENT_LAST exactly on the end of the "
                    "file's data. For a call during which the file changed, only that no range the file mapped "
                    "both when the call took the inode lock and when it let go of it is reported as a hole.",
                    [](const check_context& ctx, const params&) { return fiemap_matches_file(ctx.fs()); })
      .on_by_default();
}

}  // namespace fsrace::sim
