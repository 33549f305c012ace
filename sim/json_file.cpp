// Reading user JSON files: syntax errors with line and column, and keys given twice (which JSON
// parsers silently resolve by keeping the last) reported as errors with their path.
#include <fstream>
#include <sstream>

#include "sim/json_view.hpp"
#include "sim/scenario_load.hpp"

namespace fsrace::sim {
namespace {

// Tracks where the parser is, as a JSON pointer, to name duplicate keys.
class duplicate_key_finder {
 public:
  explicit duplicate_key_finder(diagnostics_sink& sink) : sink_(sink) {}

  bool on_event(nlohmann::json::parse_event_t event, const nlohmann::json& parsed) {
    using ev = nlohmann::json::parse_event_t;
    switch (event) {
      case ev::object_start: frames_.push_back({false, 0, {}, {}}); break;
      case ev::array_start: frames_.push_back({true, 0, {}, {}}); break;
      case ev::key: {
        auto& f = frames_.back();
        f.key = parsed.get<std::string>();
        if (!f.keys.insert(f.key).second)
          sink_.error(path(), "key \"{}\" appears twice in the same object; keep one", f.key);
        break;
      }
      case ev::object_end:
      case ev::array_end:
        frames_.pop_back();
        finished_value();
        break;
      case ev::value: finished_value(); break;
    }
    return true;
  }

 private:
  struct frame {
    bool array;
    size_t index;
    std::string key;
    std::set<std::string> keys;
  };
  void finished_value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }
  std::string path() const {
    std::string out;
    for (const auto& f : frames_) out = f.array ? json_child(out, f.index) : json_child(out, f.key);
    return out;
  }
  diagnostics_sink& sink_;
  std::vector<frame> frames_;
};

}  // namespace

nlohmann::json parse_json_text(const std::string& text, const std::string& file) {
  diagnostics_sink sink(file);
  duplicate_key_finder dups(sink);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(
        text, [&](int, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) { return dups.on_event(ev, parsed); });
  } catch (const nlohmann::json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 3, column 5: ..." -> keep from "parse error".
    std::string what = e.what();
    auto pos = what.find("] ");
    sink.error("", "invalid JSON: {}", pos == std::string::npos ? what : what.substr(pos + 2));
  }
  sink.throw_if_any();
  return doc;
}

nlohmann::json read_json_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw input_error(file, "", "cannot open the file for reading");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw input_error(file, "", "cannot read the file");
  return parse_json_text(text.str(), file);
}

}  // namespace fsrace::sim
