// Must NOT compile: model code naming a fix that is not in the catalogue (a typo) is a compile error.
#include "model/fixes.hpp"
bool consults_a_typo(const fsrace::model::fix_set& fixes) { return fixes.has("020d5b7366fx"); }
