// Precompiled header: the LibTorch and OpenCV headers every translation unit needs.
#pragma once
#include <torch/torch.h>
#include <nlohmann/json.hpp>
