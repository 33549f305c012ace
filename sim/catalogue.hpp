#pragma once
// The catalogue of operations and invariants that scenarios may use. Families register into it:
// sim/ops/core.cpp (scheduler-level ops, no model) and sim/ops/<family>.cpp for areas of the model, each
// exposing `void register_<family>_ops(sim::catalogue&)` called from sim/ops/registry.cpp.
//
//   void register_scrub_ops(sim::catalogue& cat) {
//     cat.add_op("scrub", "scrub", "btrfs scrub start -B on one device: verifies every stripe on it",
//                [](sim::exec_context& ctx, const sim::params& p) {
//                  return model::btrfs_scrub_dev(ctx.fs(), p.device("dev"), p.flag("readonly"));
//                })
//         .device("dev", "the device scrubbed")
//         .flag("readonly", "only report errors, do not repair").optional(false)
//         .allow_errors({-ECANCELED});   // returned when scrub is cancelled: not a violation
//   }
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "sim/exec_context.hpp"
#include "sim/params.hpp"

namespace fsrace::sim {

/// Runs inside the scenario thread's fiber; returns 0 or a negative errno, as the kernel returns to user
/// space. An unexpected negative errno is a violation (see allow_errors). Kernel-like failures are raised
/// with FSRACE_BUG_ON / FSRACE_WARN_ON / FSRACE_ASSERT or sched::fail inside the model.
using op_fn = std::function<int(exec_context&, const params&)>;
/// Runs after every thread finished, outside fibers (it must not reach a scheduling point); returns one
/// line per problem found, naming the objects involved; empty when the invariant holds.
using invariant_fn = std::function<std::vector<std::string>(const check_context&, const params&)>;

enum class op_scope { anywhere, setup_only, threads_only };

struct op_spec {
  std::string name, family, doc;
  std::vector<param_spec> params;
  std::vector<int> allowed_errors;  // negative errnos that are normal outcomes of this op
  op_scope scope = op_scope::anywhere;
  op_fn run;
  /// run() opens a sched::FootprintScope before it touches anything shared (footprint.hpp): the
  /// runner then lets the op's steps be declared. Otherwise every step the op's code runs in is undeclared.
  bool declares_footprint = false;
};

struct invariant_spec {
  std::string name, family, doc;
  std::vector<param_spec> params;
  bool default_on = false;  // checked when a scenario has no "invariants" key
  invariant_fn check;       // null for invariants the runner checks itself (user_errors)
};

/// Adds typed parameters to the op or invariant just registered. Modifiers (optional, range, ...) apply
/// to the parameter added last.
template <class Self>
class param_builder {
 public:
  Self& integer(std::string name, std::string doc) { return add(std::move(name), param_type::integer, std::move(doc)); }
  Self& size(std::string name, std::string doc) { return add(std::move(name), param_type::size, std::move(doc)); }
  Self& string(std::string name, std::string doc) { return add(std::move(name), param_type::string, std::move(doc)); }
  Self& flag(std::string name, std::string doc) { return add(std::move(name), param_type::boolean, std::move(doc)); }
  Self& device(std::string name, std::string doc) { return add(std::move(name), param_type::device, std::move(doc)); }
  Self& spare_device(std::string name, std::string doc) {
    return add(std::move(name), param_type::spare_device, std::move(doc));
  }
  Self& choice(std::string name, std::vector<std::string> choices, std::string doc) {
    add(std::move(name), param_type::choice, std::move(doc));
    last().choices = std::move(choices);
    return self();
  }
  /// Defines a named object of `kind` ("file", "snapshot") that later ops refer to with ref().
  Self& defines(std::string name, std::string kind, std::string doc) {
    add(std::move(name), param_type::name, std::move(doc));
    last().kind = std::move(kind);
    return self();
  }
  Self& ref(std::string name, std::string kind, std::string doc) {
    add(std::move(name), param_type::ref, std::move(doc));
    last().kind = std::move(kind);
    return self();
  }
  /// The last parameter may be left out; `default_value` is what it then is (shown by `fsrace list`).
  Self& optional(nlohmann::json default_value) {
    last().required = false;
    last().default_value = std::move(default_value);
    return self();
  }
  Self& range(int64_t min, int64_t max) {
    last().min = min;
    last().max = max;
    return self();
  }
  Self& size_range(uint64_t min, uint64_t max) {
    last().size_min = min;
    last().size_max = max;
    return self();
  }
  /// Data bytes the call writes, allocates or reads: counted against the scenario's data limit.
  Self& data_bytes() {
    last().data = param_spec::data_role::bytes;
    return self();
  }
  /// A file offset: offset + the call's data bytes must stay within the file size limit.
  Self& file_offset() {
    last().data = param_spec::data_role::file_offset;
    return self();
  }
  Self& align(uint64_t bytes) {
    last().align = bytes;
    return self();
  }

 protected:
  explicit param_builder(std::vector<param_spec>& params) : params_(&params) {}

 private:
  Self& self() { return static_cast<Self&>(*this); }
  param_spec& last();
  Self& add(std::string name, param_type type, std::string doc);
  std::vector<param_spec>* params_;
};

class op_builder : public param_builder<op_builder> {
 public:
  explicit op_builder(op_spec& op) : param_builder(op.params), op_(&op) {}
  /// Negative errnos this op returns in normal operation (e.g. -EAGAIN from send while balance runs).
  op_builder& allow_errors(std::initializer_list<int> negative_errnos);
  /// See op_spec::declares_footprint.
  op_builder& declares_footprint() {
    op_->declares_footprint = true;
    return *this;
  }
  op_builder& scope(op_scope s) {
    op_->scope = s;
    return *this;
  }

 private:
  op_spec* op_;
};

class invariant_builder : public param_builder<invariant_builder> {
 public:
  explicit invariant_builder(invariant_spec& inv) : param_builder(inv.params), inv_(&inv) {}
  /// Checked by every scenario that does not list its invariants.
  invariant_builder& on_by_default() {
    inv_->default_on = true;
    return *this;
  }

 private:
  invariant_spec* inv_;
};

class catalogue {
 public:
  catalogue() = default;
  catalogue(const catalogue&) = delete;  // specs are referred to by address from parsed scenarios
  catalogue& operator=(const catalogue&) = delete;

  /// Registers an operation; names are unique across families (std::logic_error otherwise).
  op_builder add_op(std::string name, std::string family, std::string doc, op_fn run);
  invariant_builder add_invariant(std::string name, std::string family, std::string doc, invariant_fn check);

  /// Checks every registration (defaults valid for their specs, reserved parameter names unused); throws
  /// std::logic_error naming the op and parameter. Called once all families have registered.
  void seal() const;

  const op_spec* find_op(std::string_view name) const;
  const invariant_spec* find_invariant(std::string_view name) const;
  /// Sorted by name (for listings and suggestions).
  std::vector<const op_spec*> ops() const;
  std::vector<const invariant_spec*> invariants() const;
  std::vector<std::string> op_names() const;
  std::vector<std::string> invariant_names() const;

 private:
  std::deque<op_spec> ops_;  // deque: stable addresses
  std::deque<invariant_spec> invariants_;
  std::map<std::string, size_t, std::less<>> op_index_, invariant_index_;
};

/// Keys an operation object of a scenario has besides its parameters; a family may not use them.
inline constexpr const char* kReservedOpKeys[] = {"op", "allow_errors", "repeat", "comment"};

template <class Self>
param_spec& param_builder<Self>::last() {
  if (params_->empty()) throw std::logic_error("parameter modifier used before any parameter was added");
  return params_->back();
}

template <class Self>
Self& param_builder<Self>::add(std::string name, param_type type, std::string doc) {
  for (const auto& p : *params_)
    if (p.name == name) throw std::logic_error("parameter '" + name + "' registered twice");
  param_spec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.doc = std::move(doc);
  params_->push_back(std::move(spec));
  return self();
}

}  // namespace fsrace::sim
