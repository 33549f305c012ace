#pragma once
// A violating execution drawn as swimlanes: one column per thread, one row per step in execution order,
// the kernel function of each step set apart from the objects it touches, the violating step highlighted
// with the finding. The HTML counterpart of the text diagram (diagram.hpp).
#include <string>

#include "reports/results.hpp"

namespace fsrace::reports {

/// A <table class="lanes"> for `t`; `finding` is "KIND: message", shown in the violating step's cell (or
/// under the table when the finding names no step, as deadlocks do). Rows before the last `visible` get
/// class "early": the page's script folds them behind a "show" row (without scripts every row shows).
std::string html_swimlanes(const trace_record& t, const std::string& finding, size_t visible = 100);

/// One step label as HTML: the leading kernel function in <span class="fn">, the rest in
/// <span class="args">, each number and a lone argument without numbers (a lock, a wait queue) wrapped in
/// <span class="obj" data-obj="..."> so the page can highlight every step touching the same object.
std::string html_label(const std::string& label);

}  // namespace fsrace::reports
