#include "model/data/fiemap_check.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "model/ctree.hpp"
#include "model/data/btrfs_inode.hpp"
#include "model/data/extent_shared.hpp"
#include "model/data/file_extent.hpp"
#include "model/data/page_cache.hpp"
#include "model/data/range_set.hpp"
#include "model/fs_info.hpp"
#include "model/transaction.hpp"

namespace fsrace::model {
namespace {

using seg_kind = fiemap_segment::kind;

// Appends s, merging it into the previous segment when it continues it (file and disk contiguous,
// same kind and sharing; delalloc has no disk address).
void push_merged(std::vector<fiemap_segment>& out, fiemap_segment s) {
  if (s.end <= s.start) return;
  if (!out.empty()) {
    fiemap_segment& p = out.back();
    const bool disk_contiguous = s.k == seg_kind::delalloc || p.phys + (p.end - p.start) == s.phys;
    if (p.end == s.start && p.k == s.k && p.shared == s.shared && disk_contiguous) {
      p.end = s.end;
      return;
    }
  }
  out.push_back(s);
}

// The clipped part of s inside [lo, hi).
fiemap_segment clip(fiemap_segment s, uint64_t lo, uint64_t hi) {
  if (s.start < lo) {
    if (s.k != seg_kind::delalloc) s.phys += lo - s.start;
    s.start = lo;
  }
  s.end = std::min(s.end, hi);
  return s;
}

// Every (root, inode, offset) whose file extent items point at each disk extent, over all subvolumes.
using ref_owners = std::map<uint64_t, std::set<std::tuple<uint64_t, uint64_t, uint64_t>>>;
ref_owners owners_by_extent(btrfs_fs_info& fs_info) {
  ref_owners out;
  for (const auto& [id, root] : fs_info.roots) {
    if (!root->ref_cows) continue;
    const uint64_t objectid = id;  // clang 14 cannot capture a structured binding
    btrfs_for_each_item(fs_info, *root, {0, 0, 0}, [&](const btrfs_item& item) {
      if (item.key.type != BTRFS_EXTENT_DATA_KEY) return true;
      const auto& fi = std::get<btrfs_file_extent_item>(item.value);
      if (fi.type != BTRFS_FILE_EXTENT_INLINE && fi.disk_bytenr != 0)
        out[fi.disk_bytenr].insert({objectid, item.key.objectid, item.key.offset - fi.offset});
      return true;
    });
  }
  return out;
}

}  // namespace

fiemap_truth fiemap_truth_of(btrfs_fs_info& fs_info, const btrfs_inode& inode, uint64_t range_start,
                             uint64_t range_end) {
  fiemap_truth truth;
  btrfs_root* root = fs_info.get_fs_root(inode.root);
  if (!root) return truth;
  // Delalloc as fiemap sees it: dirty ranges and writes in flight, none at or past i_size.
  range_set delalloc = inode.io_tree.delalloc;
  for (const auto& [start, em] : inode.extent_tree) delalloc.add(em.start, em.end());
  const uint64_t eof = round_up_page(inode.i_size);
  if (eof < ~0ull) delalloc.remove(eof, ~0ull);
  // Sharing is known only where the items and the references agree; a delayed ref head being run makes
  // the references unreadable without waiting, so then nothing is known.
  const ref_owners owners = owners_by_extent(fs_info);
  btrfs_transaction* cur_trans = fs_info.running_transaction.get();
  const bool refs_readable = !cur_trans || cur_trans->delayed_refs.running_bytenr == 0;
  auto shared_of = [&](const file_extent& fe) {
    const auto it = owners.find(fe.fi.disk_bytenr);
    const bool by_items = it != owners.end() && it->second.size() > 1;
    if (!refs_readable) return -1;
    const bool by_refs = data_extent_shared_now(fs_info, cur_trans, inode, fe.fi.disk_bytenr, fe.fi.generation);
    return by_items == by_refs ? int(by_items) : -1;
  };
  std::vector<fiemap_segment> all;  // the whole file, in order
  auto add_delalloc_and_rest = [&](uint64_t start, uint64_t end, const file_extent* prealloc, int shared) {
    uint64_t cur = start;
    for (auto r = delalloc.first_from(cur); r && r->first < end; r = delalloc.first_from(r->second)) {
      const uint64_t ds = std::max(cur, r->first), de = std::min(end, r->second);
      if (prealloc && ds > cur) push_merged(all, {seg_kind::unwritten, cur, ds, prealloc->disk_at(cur), shared});
      push_merged(all, {seg_kind::delalloc, ds, de, 0, 0});
      cur = de;
      if (cur >= end) break;
    }
    if (prealloc && cur < end) push_merged(all, {seg_kind::unwritten, cur, end, prealloc->disk_at(cur), shared});
  };
  uint64_t prev_end = 0;
  for (const file_extent& fe : btrfs_lookup_file_extents(fs_info, *root, inode.ino, 0, ~0ull)) {
    if (fe.key_offset > prev_end) add_delalloc_and_rest(prev_end, fe.key_offset, nullptr, 0);  // a NO_HOLES gap
    if (fe.fi.disk_bytenr == 0) {
      add_delalloc_and_rest(fe.key_offset, fe.end(), nullptr, 0);
    } else if (fe.fi.type == BTRFS_FILE_EXTENT_PREALLOC) {
      add_delalloc_and_rest(fe.key_offset, fe.end(), &fe, shared_of(fe));
    } else {
      push_merged(all, {seg_kind::data, fe.key_offset, fe.end(), fe.disk_at(fe.key_offset), shared_of(fe)});
    }
    prev_end = std::max(prev_end, fe.end());
  }
  add_delalloc_and_rest(prev_end, ~0ull, nullptr, 0);
  if (!all.empty()) truth.data_end = all.back().end;
  for (const fiemap_segment& s : all)
    if (s.end > range_start && s.start < range_end) push_merged(truth.segments, clip(s, range_start, range_end));
  return truth;
}

std::vector<fiemap_segment> fiemap_segments_of(const std::vector<fiemap_extent>& extents, uint64_t range_start,
                                               uint64_t range_end) {
  std::vector<fiemap_segment> out;
  for (const fiemap_extent& fe : extents) {
    fiemap_segment s;
    s.k = (fe.fe_flags & FIEMAP_EXTENT_DELALLOC)    ? seg_kind::delalloc
          : (fe.fe_flags & FIEMAP_EXTENT_UNWRITTEN) ? seg_kind::unwritten
                                                    : seg_kind::data;
    s.start = fe.fe_logical;
    s.end = fe.fe_logical + fe.fe_length;
    s.phys = s.k == seg_kind::delalloc ? 0 : fe.fe_physical;
    s.shared = (fe.fe_flags & FIEMAP_EXTENT_SHARED) ? 1 : 0;
    if (s.end > range_start && s.start < range_end) push_merged(out, clip(s, range_start, range_end));
  }
  return out;
}

std::vector<std::string> fiemap_check_result(const fiemap_truth& truth, const fiemap_extent_info& fi,
                                             uint64_t range_start, uint64_t range_end) {
  std::vector<std::string> problems;
  const auto& ex = fi.extents;
  for (size_t i = 1; i < ex.size(); i++)
    if (ex[i].fe_logical < ex[i - 1].fe_logical + ex[i - 1].fe_length)
      problems.push_back(fmt::format("extent {} overlaps or precedes extent {}", describe(ex[i]), describe(ex[i - 1])));
  for (size_t i = 0; i + 1 < ex.size(); i++)
    if (ex[i].fe_flags & FIEMAP_EXTENT_LAST)
      problems.push_back(fmt::format("FIEMAP_EXTENT_LAST on {}, which is not the last extent", describe(ex[i])));
  if (!ex.empty()) {
    const fiemap_extent& last = ex.back();
    const uint64_t last_end = last.fe_logical + last.fe_length;
    const bool cut_short = fi.fi_extents_max && fi.fi_extents_mapped >= fi.fi_extents_max;
    if ((last.fe_flags & FIEMAP_EXTENT_LAST) && truth.data_end > last_end)
      problems.push_back(fmt::format("FIEMAP_EXTENT_LAST on {} but the file maps data up to {}", describe(last),
                                     truth.data_end));
    if (!(last.fe_flags & FIEMAP_EXTENT_LAST) && !cut_short && last_end >= truth.data_end)
      problems.push_back(fmt::format("no FIEMAP_EXTENT_LAST on {}, the end of the file's data", describe(last)));
  }
  // Piece by piece over every boundary of either side; an answer cut short by fi_extents_max covers the
  // range only up to its last extent, one that only counted (fi_extents_max 0) copied nothing.
  if (fi.fi_extents_max == 0) return problems;
  const bool cut_short = fi.fi_extents_mapped >= fi.fi_extents_max && !ex.empty();
  const uint64_t judged_end = cut_short ? std::min(range_end, ex.back().fe_logical + ex.back().fe_length) : range_end;
  const std::vector<fiemap_segment> got = fiemap_segments_of(ex, range_start, judged_end);
  std::vector<fiemap_segment> want;
  for (const fiemap_segment& s : truth.segments)
    if (s.start < judged_end) want.push_back(clip(s, range_start, judged_end));
  std::set<uint64_t> cuts;
  for (const std::vector<fiemap_segment>* side : {&got, static_cast<const std::vector<fiemap_segment>*>(&want)})
    for (const fiemap_segment& s : *side) cuts.insert({s.start, s.end});
  auto covering = [](const std::vector<fiemap_segment>& v, uint64_t pos) -> const fiemap_segment* {
    for (const fiemap_segment& s : v)
      if (s.start <= pos && pos < s.end) return &s;
    return nullptr;
  };
  auto phys_at = [](const fiemap_segment& s, uint64_t pos) {
    return s.k == seg_kind::delalloc ? 0 : s.phys + (pos - s.start);
  };
  for (auto it = cuts.begin(); it != cuts.end() && std::next(it) != cuts.end() && problems.size() < 8; ++it) {
    const uint64_t a = *it, b = *std::next(it);
    const fiemap_segment* g = covering(got, a);
    const fiemap_segment* t = covering(want, a);
    if (!g && !t) continue;
    const bool same = g && t && g->k == t->k && phys_at(*g, a) == phys_at(*t, a) &&
                      (t->shared < 0 || g->shared == t->shared);
    if (same) continue;
    fiemap_segment gs = g ? clip(*g, a, b) : fiemap_segment{};
    fiemap_segment ts = t ? clip(*t, a, b) : fiemap_segment{};
    problems.push_back(fmt::format("file range {}+{}: fiemap reported {}, the file has {}", a, b - a,
                                   g ? describe(gs) : "nothing", t ? describe(ts) : "nothing"));
  }
  return problems;
}

std::string describe(const fiemap_segment& s) {
  const char* kind = s.k == seg_kind::data ? "data" : s.k == seg_kind::unwritten ? "unwritten" : "delalloc";
  std::string out = fmt::format("{} {}+{}", kind, s.start, s.end - s.start);
  if (s.k != seg_kind::delalloc) out += fmt::format(" at disk {}", s.phys);
  if (s.shared > 0) out += " shared";
  if (s.shared < 0) out += " (sharing unknown)";
  return out;
}

}  // namespace fsrace::model
