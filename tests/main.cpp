#include <gtest/gtest.h>

#include "cglow/runtime.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  cglow::configure_runtime();
  return RUN_ALL_TESTS();
}
