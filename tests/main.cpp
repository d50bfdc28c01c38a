#include <gtest/gtest.h>

#include <ATen/Context.h>

#include "cglow/runtime.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  cglow::configure_runtime();
  // The CUDA tests compare with the CPU within 1e-4: cuDNN's default TF32 would not.
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setAllowTF32CuBLAS(false);
  return RUN_ALL_TESTS();
}
