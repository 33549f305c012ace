#pragma once
#include <string>
#include <string_view>

namespace fsrace::reports {

/// Text made safe for HTML element content and quoted attribute values: & < > " ' become entities and
/// control characters other than tab and newline become U+FFFD, so no scenario name, message or label
/// can inject markup or break the page.
std::string html_escape(std::string_view text);

}  // namespace fsrace::reports
