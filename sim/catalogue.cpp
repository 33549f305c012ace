#include "sim/catalogue.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace fsrace::sim {
namespace {

void check_params(const std::string& owner, const std::vector<param_spec>& params, bool is_op) {
  for (const auto& p : params) {
    if (is_op)
      for (const char* reserved : kReservedOpKeys)
        if (p.name == reserved)
          throw std::logic_error(fmt::format("{}: parameter name '{}' is reserved for the scenario language", owner, p.name));
    if (p.type == param_type::choice && p.choices.empty())
      throw std::logic_error(fmt::format("{}: choice parameter '{}' has no choices", owner, p.name));
    if ((p.type == param_type::name || p.type == param_type::ref) && p.kind.empty())
      throw std::logic_error(fmt::format("{}: parameter '{}' names no object kind", owner, p.name));
    if (p.required) continue;
    if (p.type == param_type::name)
      throw std::logic_error(fmt::format("{}: a name-defining parameter ('{}') cannot be optional", owner, p.name));
    param_value v;
    std::string why;
    if (!convert_param(p, p.default_value, 0, v, why))
      throw std::logic_error(fmt::format("{}: default of parameter '{}' is invalid: {}", owner, p.name, why));
  }
}

}  // namespace

op_builder& op_builder::allow_errors(std::initializer_list<int> negative_errnos) {
  for (int e : negative_errnos) {
    if (e >= 0) throw std::logic_error(fmt::format("op '{}': allow_errors takes negative errnos, got {}", op_->name, e));
    op_->allowed_errors.push_back(e);
  }
  return *this;
}

op_builder catalogue::add_op(std::string name, std::string family, std::string doc, op_fn run) {
  if (op_index_.count(name)) throw std::logic_error(fmt::format("operation '{}' registered twice", name));
  if (!run) throw std::logic_error(fmt::format("operation '{}' has no function", name));
  op_index_.emplace(name, ops_.size());
  ops_.push_back(op_spec{std::move(name), std::move(family), std::move(doc), {}, {}, op_scope::anywhere, std::move(run)});
  return op_builder(ops_.back());
}

invariant_builder catalogue::add_invariant(std::string name, std::string family, std::string doc, invariant_fn check) {
  if (invariant_index_.count(name)) throw std::logic_error(fmt::format("invariant '{}' registered twice", name));
  invariant_index_.emplace(name, invariants_.size());
  invariants_.push_back(invariant_spec{std::move(name), std::move(family), std::move(doc), {}, false, std::move(check)});
  return invariant_builder(invariants_.back());
}

void catalogue::seal() const {
  for (const auto& op : ops_) check_params("operation '" + op.name + "'", op.params, true);
  for (const auto& inv : invariants_) check_params("invariant '" + inv.name + "'", inv.params, false);
}

const op_spec* catalogue::find_op(std::string_view name) const {
  auto it = op_index_.find(name);
  return it == op_index_.end() ? nullptr : &ops_[it->second];
}

const invariant_spec* catalogue::find_invariant(std::string_view name) const {
  auto it = invariant_index_.find(name);
  return it == invariant_index_.end() ? nullptr : &invariants_[it->second];
}

std::vector<const op_spec*> catalogue::ops() const {
  std::vector<const op_spec*> out;
  for (const auto& [name, i] : op_index_) out.push_back(&ops_[i]);
  return out;
}

std::vector<const invariant_spec*> catalogue::invariants() const {
  std::vector<const invariant_spec*> out;
  for (const auto& [name, i] : invariant_index_) out.push_back(&invariants_[i]);
  return out;
}

std::vector<std::string> catalogue::op_names() const {
  std::vector<std::string> out;
  for (const auto& [name, i] : op_index_) out.push_back(name);
  return out;
}

std::vector<std::string> catalogue::invariant_names() const {
  std::vector<std::string> out;
  for (const auto& [name, i] : invariant_index_) out.push_back(name);
  return out;
}

}  // namespace fsrace::sim
