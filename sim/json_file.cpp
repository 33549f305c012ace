// Reading user JSON files: syntax errors with line and column; keys given twice (which JSON parsers
// silently resolve by keeping the last) reported with their path; numbers out of range, nesting, key and
// string lengths and the file size refused with the limit named, before the document takes memory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sim/json_view.hpp"
#include "sim/scenario_load.hpp"

namespace fsrace::sim {
namespace {

// Thrown from the parser's callback to stop at the first limit exceeded (the rest is not read).
struct limit_exceeded {
  std::string path, message;
};

// Tracks where the parser is, as a JSON pointer, to name duplicate keys, limits and bad numbers.
class json_path_tracker {
 public:
  json_path_tracker(diagnostics_sink& sink, const json_limits& lim) : sink_(sink), lim_(lim) {}

  bool on_event(nlohmann::json::parse_event_t event, const nlohmann::json& parsed) {
    using ev = nlohmann::json::parse_event_t;
    switch (event) {
      case ev::object_start:
      case ev::array_start:
        if (frames_.size() >= lim_.max_depth)
          throw limit_exceeded{value_path(), fmt::format("nesting deeper than {} arrays and objects (the limit)",
                                                         lim_.max_depth)};
        frames_.push_back({event == ev::array_start, 0, {}, {}});
        break;
      case ev::key: {
        auto& f = frames_.back();
        const auto& key = parsed.get_ref<const std::string&>();
        if (key.size() > lim_.max_key_bytes)
          throw limit_exceeded{path(), fmt::format("a key of {} bytes (\"{}...\"); the limit is {} bytes", key.size(),
                                                   key.substr(0, 32), lim_.max_key_bytes)};
        f.key = key;
        if (!f.keys.insert(f.key).second)
          sink_.error(path(), "key \"{}\" appears twice in the same object; keep one", f.key);
        break;
      }
      case ev::object_end:
      case ev::array_end:
        frames_.pop_back();
        finished_value();
        break;
      case ev::value:
        if (parsed.is_string() && parsed.get_ref<const std::string&>().size() > lim_.max_string_bytes)
          throw limit_exceeded{path(), fmt::format("a string of {} bytes; the limit is {} bytes",
                                                   parsed.get_ref<const std::string&>().size(), lim_.max_string_bytes)};
        finished_value();
        break;
    }
    return true;
  }

  /// Path of the value being parsed now (the key just read, or the next array element).
  std::string path() const {
    std::string out;
    for (const auto& f : frames_) out = f.array ? json_child(out, f.index) : json_child(out, f.key);
    return out;
  }

 private:
  struct frame {
    bool array;
    size_t index;
    std::string key;
    std::set<std::string> keys;
  };
  std::string value_path() const { return frames_.empty() ? "" : path(); }
  void finished_value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }
  diagnostics_sink& sink_;
  const json_limits& lim_;
  std::vector<frame> frames_;
};

// "line 3, column 7" of the first occurrence of `token` standing alone (not inside a longer token).
std::string position_of(const std::string& text, const std::string& token) {
  auto part_of_token = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+'; };
  for (size_t at = text.find(token); !token.empty() && at != std::string::npos; at = text.find(token, at + 1)) {
    if (at > 0 && part_of_token(text[at - 1])) continue;
    if (at + token.size() < text.size() && part_of_token(text[at + token.size()])) continue;
    size_t line = 1, column = 1;
    for (size_t i = 0; i < at; ++i) {
      if (text[i] == '\n') ++line, column = 1;
      else ++column;
    }
    return fmt::format("line {}, column {}", line, column);
  }
  return "";
}

// The part of a nlohmann message after "[json.exception.xxx.nnn] ", with the bytes it quotes from the
// input made printable (an ill-formed UTF-8 byte must not reach the terminal as it is).
std::string message_of(const nlohmann::json::exception& e) {
  std::string what = e.what();
  auto pos = what.find("] ");
  if (pos != std::string::npos) what = what.substr(pos + 2);
  std::string out;
  for (unsigned char c : what) {
    if (c < 0x20 || c >= 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out;
}

}  // namespace

nlohmann::json parse_json_text(const std::string& text, const std::string& file, const json_limits& lim) {
  diagnostics_sink sink(file);
  if (text.size() > lim.max_file_bytes)
    throw input_error(file, "", fmt::format("the file is {} bytes; the limit for {} is {} bytes", text.size(), lim.what,
                                            lim.max_file_bytes));
  json_path_tracker tracker(sink, lim);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(
        text, [&](int, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) { return tracker.on_event(ev, parsed); });
  } catch (const limit_exceeded& e) {
    throw input_error(file, e.path, e.message);
  } catch (const nlohmann::json::parse_error& e) {
    // "parse error at line 3, column 5: syntax error while parsing value - unexpected '}'; expected ..."
    throw input_error(file, "", fmt::format("invalid JSON: {}", message_of(e)));
  } catch (const nlohmann::json::out_of_range& e) {
    // 406 "number overflow parsing '1e400'": the parser gives no position; find the number in the text.
    std::string msg = message_of(e), where;
    const auto q1 = msg.find('\''), q2 = msg.rfind('\'');
    if (q1 != std::string::npos && q2 > q1) where = position_of(text, msg.substr(q1 + 1, q2 - q1 - 1));
    throw input_error(file, tracker.path(),
                      fmt::format("invalid JSON: {}{}{}; expected a number within the range of a 64-bit floating point "
                                  "value (integers: 64 bits)", where, where.empty() ? "" : ": ", msg));
  } catch (const nlohmann::json::exception& e) {
    throw input_error(file, tracker.path(), fmt::format("invalid JSON: {}", message_of(e)));
  }
  sink.throw_if_any();
  return doc;
}

nlohmann::json read_json_file(const std::string& file, const json_limits& lim) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not a regular file.
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) throw input_error(file, "", fmt::format("cannot open the file for reading: {}", std::strerror(errno)));
  struct fd_closer {
    int fd;
    ~fd_closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw input_error(file, "", fmt::format("cannot read the file: {}", std::strerror(errno)));
  if (S_ISDIR(st.st_mode)) throw input_error(file, "", "is a directory; expected a JSON file");
  if (!S_ISREG(st.st_mode)) throw input_error(file, "", "is not a regular file (a device, FIFO or socket); expected a JSON file");
  if (static_cast<uint64_t>(st.st_size) > lim.max_file_bytes)
    throw input_error(file, "", fmt::format("the file is {} bytes; the limit for {} is {} bytes", st.st_size, lim.what,
                                            lim.max_file_bytes));
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw input_error(file, "", fmt::format("cannot read the file: {}", std::strerror(errno)));
    if (n == 0) break;  // shrank while reading
    done += static_cast<size_t>(n);
  }
  text.resize(done);
  return parse_json_text(text, file, lim);
}

}  // namespace fsrace::sim
