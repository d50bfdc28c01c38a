// Precompiled header: the LibTorch and JSON headers that most translation units include.
#pragma once
#include <torch/torch.h>
#include <nlohmann/json.hpp>
