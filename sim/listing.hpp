#pragma once
// What `fsrace list` prints: the catalogue of operations and invariants with their typed parameters,
// and the fix catalogue of the model.
#include <string>

#include <nlohmann/json.hpp>

#include "sim/catalogue.hpp"

namespace fsrace::sim {

std::string list_text(const catalogue&);
nlohmann::json list_json(const catalogue&);

/// A commented starting scenario named `name` that validates against `cat` ("comment" keys explain each part).
std::string starter_scenario(const std::string& name, const catalogue& cat);

}  // namespace fsrace::sim
