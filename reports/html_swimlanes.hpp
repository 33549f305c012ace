#pragma once
// A violating execution drawn as swimlanes: one column per thread, one row per step in execution order,
// the kernel function of each step set apart from the objects it touches, the violating step highlighted
// with the finding. The HTML counterpart of the text diagram (diagram.hpp).
#include <set>
#include <string>
#include <vector>

#include "reports/results.hpp"

namespace fsrace::reports {

/// A <table class="lanes"> for `t`; `finding` is "KIND: message", shown in the violating step's cell (or
/// under the table when the finding names no step, as deadlocks do). Folded stretches of the race window
/// are one row each ("... 312 steps of balance"); preemptions are marked. Rows before the last `visible`
/// get class "early": the page's script folds them behind a "show" row (without scripts every row shows).
/// The finding's objects (t.finding_objects) are highlighted when the page opens.
std::string html_swimlanes(const trace_record& t, const std::string& finding, size_t visible = 200);

/// One step label as HTML: the leading kernel function in <span class="fn">, the rest in
/// <span class="args">, each typed object wrapped in <span class="obj" data-obj="TYPE:VALUE"> so the page
/// can highlight every step touching the same object. Types: bg (block groups and their chunks), devid,
/// root (tree/subvolume ids), bytenr (tree blocks, extent items), inode, logical, transid, page (btree
/// pages), ordered, and for the argument of a lock, wait or counter primitive (or a lone word) lock (locks,
/// semaphores, exclusive operations), var (atomics, wait_var_event) or wq (wait queues, completions). An
/// item's objectid is typed by its tree ("btrfs_del_item(root 4, objectid 3)": devid 3); in the extent tree
/// it is a bg when `block_groups` (the bg values the trace names) has it. Sizes, offsets, slots: no objects.
std::string html_label(const std::string& label, const std::set<std::string>* block_groups = nullptr);

/// The typed objects of a text (a finding's message) in order, with repeats: "bg 5 on devid 1" ->
/// {"bg:5", "devid:1"}.
std::vector<std::string> typed_objects(const std::string& text);

}  // namespace fsrace::reports
