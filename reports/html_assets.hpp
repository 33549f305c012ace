#pragma once
// The style sheet and script of the HTML report, inlined into the page (it must work offline, from a
// file:// URL, with nothing fetched).

namespace fsrace::reports {

extern const char* const kHtmlStyle;
/// Adds what needs a browser: copy buttons for replay commands, the "only problems" filter, clicking an
/// object to highlight every step that touches it. Sets body[data-ready] when done (tests wait on it).
extern const char* const kHtmlScript;

}  // namespace fsrace::reports
