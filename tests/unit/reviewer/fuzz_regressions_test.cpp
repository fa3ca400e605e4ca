// Inputs that tests/fuzz found crashing or misbehaving, kept so the fixes stay fixed.
#include <gtest/gtest.h>

#include "warden/reviewer/auto_review.hpp"

namespace {

using namespace warden::reviewer;

// auto_review target: a port operand of more than 10 digits ("port `12345678901`") overflowed
// `int` while being parsed, undefined behaviour that UBSan aborts on (tests/run asan).
TEST(FuzzRegressions, LongPortOperandIsAWarning) {
  const CompiledPolicy p = compile_policy("DENY connections on port `12345678901`", "/home/u");
  EXPECT_TRUE(p.rules.empty());
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0].line, 1);
}

}  // namespace
