#pragma once
// Exploration strategies behind one small interface (see strategies/strategy_interface.hpp):
// RandomStrategy, PctStrategy, DfsStrategy, ReplayStrategy, estimate_bounded_dfs (the size of a DFS space); seeds from execution_seed() (prng.hpp).
#include "scheduler/prng.hpp"
#include "scheduler/strategies/dfs_strategy.hpp"
#include "scheduler/strategies/dpor_strategy.hpp"
#include "scheduler/strategies/pct_strategy.hpp"
#include "scheduler/strategies/random_strategy.hpp"
#include "scheduler/strategies/replay_strategy.hpp"
#include "scheduler/strategies/strategy_interface.hpp"
#include "scheduler/strategies/tree_estimate.hpp"
