#pragma once
// Errors in what the user gave us (scenario files, schedule files, flags). Each names the file, the JSON
// path inside it and what was expected; the command line prints them all and exits 2.
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace fsrace::sim {

struct diagnostic {
  std::string file;     // path as given by the user ("" for command-line flags)
  std::string path;     // JSON pointer inside the file ("/threads/1/ops/3/bg"); "" for the whole file
  std::string message;  // what was wrong and what was expected

  /// "file: /threads/1/ops/3/bg: expected ..." (parts that are empty are left out).
  std::string to_string() const;
};

/// Bad input: one or more diagnostics. Never a bug in fsrace (that is tool_error).
class input_error : public std::runtime_error {
 public:
  explicit input_error(std::vector<diagnostic> diags);
  input_error(std::string file, std::string path, std::string message)
      : input_error(std::vector<diagnostic>{{std::move(file), std::move(path), std::move(message)}}) {}
  const std::vector<diagnostic>& diagnostics() const { return diags_; }

 private:
  std::vector<diagnostic> diags_;
};

/// fsrace or the model misbehaved (exception escaping model code, inconsistent model state). Exit 3.
class tool_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Collects diagnostics of one file so validation reports every problem at once, not only the first.
class diagnostics_sink {
 public:
  explicit diagnostics_sink(std::string file) : file_(std::move(file)) {}

  template <class... Args>
  void error(const std::string& path, fmt::format_string<Args...> f, Args&&... args) {
    diags_.push_back({file_, path, fmt::format(f, std::forward<Args>(args)...)});
  }
  bool empty() const { return diags_.empty(); }
  size_t size() const { return diags_.size(); }
  const std::string& file() const { return file_; }
  /// Throws input_error with everything collected, if anything was.
  void throw_if_any();

 private:
  std::string file_;
  std::vector<diagnostic> diags_;
};

/// "did you mean: a, b?" — up to three known names close to `given` (edit distance or shared prefix),
/// in the order of `known`; empty when none is close.
std::vector<std::string> close_names(std::string_view given, const std::vector<std::string>& known);
/// " (did you mean 'x' or 'y'?)" or "" — ready to append to a message.
std::string did_you_mean(std::string_view given, const std::vector<std::string>& known);

}  // namespace fsrace::sim
