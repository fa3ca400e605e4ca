#include "warden/policy/config.hpp"
#include <gtest/gtest.h>
TEST(Config, Placeholder) { EXPECT_STREQ(warden::policy::to_string(warden::policy::OnDeny::Kill), "kill"); }
