// [warden] max_processes, memory_max and cpu_max: parsing, layering, errors and to_toml.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "warden/policy/config.hpp"

namespace {

using namespace warden::policy;

class LimitsConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "warden-limits-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir = tmpl;
    opt.home = dir;
    opt.warden_home = dir + "/.warden";
    opt.default_requirements_file = dir + "/no-requirements.toml";
    path = dir + "/config.toml";
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::string config(const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
    opt.config_file = path;
    return path;
  }
  std::string error() {
    try {
      load_config(opt);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  }
  // The error for `[warden]\n<key> = <value>`: the value starts at line 2, column key + 4.
  std::string error_for(const std::string& key, const std::string& value) {
    config("[warden]\n" + key + " = " + value + "\n");
    return error();
  }
  std::string at(const std::string& key) const {
    return path + ":2:" + std::to_string(key.size() + 4) + ": warden." + key + ": ";
  }

  std::string dir, path;
  LoadOptions opt;
};

#define EXPECT_PREFIX(msg, prefix) EXPECT_EQ((msg).rfind(prefix, 0), 0u) << (msg)

TEST_F(LimitsConfig, Defaults) {
  Config c = load_config(opt);
  EXPECT_EQ(c.max_processes.value, 4096);  // a fork bomb is contained without any configuration
  EXPECT_TRUE(c.max_processes.source.is_default());
  EXPECT_EQ(c.memory_max.value, 0u);
  EXPECT_TRUE(c.memory_max.source.is_default());
  EXPECT_EQ(c.cpu_max.value, 0);
  EXPECT_TRUE(c.cpu_max.source.is_default());
}

TEST_F(LimitsConfig, ValuesFromTheFileKeepTheirSource) {
  config("[warden]\nmax_processes = 64\nmemory_max = \"4G\"\ncpu_max = 1.5\n");
  Config c = load_config(opt);
  EXPECT_EQ(c.max_processes.value, 64);
  EXPECT_EQ(c.max_processes.source.describe(), path + ":2:17");
  EXPECT_EQ(c.memory_max.value, std::uint64_t{4} << 30);
  EXPECT_EQ(c.memory_max.source.describe(), path + ":3:14");
  EXPECT_DOUBLE_EQ(c.cpu_max.value, 1.5);
  EXPECT_EQ(c.cpu_max.source.describe(), path + ":4:11");
}

TEST_F(LimitsConfig, MemorySizes) {
  const struct {
    const char* text;
    std::uint64_t bytes;
  } cases[] = {{"\"512M\"", 512ull << 20}, {"\"1073741824\"", 1ull << 30},
               {"\"4g\"", 4ull << 30},     {"\"2048K\"", 2ull << 20},
               {"\"1T\"", 1ull << 40},     {"1073741824", 1ull << 30},
               {"\"1M\"", 1ull << 20},     {"\"\"", 0},
               {"\"1048577\"", 1048577}};
  for (const auto& t : cases) {
    config(std::string("[warden]\nmemory_max = ") + t.text + "\n");
    EXPECT_EQ(load_config(opt).memory_max.value, t.bytes) << t.text;
  }
}

TEST_F(LimitsConfig, BadMemorySizesNameTheirPosition) {
  const std::string expected = "expected a size such as \"512M\", \"4G\" or \"1073741824\"";
  for (const char* bad : {"\"4GB\"", "\"G\"", "\"-1M\"", "\"1.5G\"", "\" 4G\"", "\"4 G\"",
                          "\"0x10M\"", "\"+4G\"", "\"four\""}) {
    EXPECT_PREFIX(error_for("memory_max", bad), at("memory_max") + expected) << bad;
  }
  EXPECT_PREFIX(error_for("memory_max", "true"), at("memory_max") + expected);
  EXPECT_NE(error_for("memory_max", "true").find("got boolean"), std::string::npos);
  EXPECT_PREFIX(error_for("memory_max", "-5"), at("memory_max") + expected);
  // Too small to run anything: more likely "64" meant "64M".
  EXPECT_EQ(error_for("memory_max", "\"64\""),
            at("memory_max") +
                "expected at least 1M (1048576 bytes), or \"\" for no limit, got "
                "\"64\"");
  EXPECT_PREFIX(error_for("memory_max", "0"), at("memory_max") + "expected at least 1M");
  EXPECT_EQ(error_for("memory_max", "\"99999999999T\""),
            at("memory_max") + "\"99999999999T\" is too large");
  EXPECT_EQ(error_for("memory_max", "\"99999999999999999999\""),
            at("memory_max") + "\"99999999999999999999\" is too large");
}

TEST_F(LimitsConfig, CpuCounts) {
  const struct {
    const char* text;
    double cpus;
  } cases[] = {{"1.5", 1.5}, {"2", 2}, {"0", 0}, {"0.0", 0}, {"0.01", 0.01}, {"4096", 4096}};
  for (const auto& t : cases) {
    config(std::string("[warden]\ncpu_max = ") + t.text + "\n");
    EXPECT_DOUBLE_EQ(load_config(opt).cpu_max.value, t.cpus) << t.text;
  }
}

TEST_F(LimitsConfig, BadCpuCountsNameTheirPosition) {
  const std::string expected =
      "expected a number of CPUs from 0.01 to 4096 (1.5: one and a half), or 0 for no limit, got ";
  EXPECT_EQ(error_for("cpu_max", "-1"), at("cpu_max") + expected + "-1");
  EXPECT_EQ(error_for("cpu_max", "0.001"), at("cpu_max") + expected + "0.001");
  EXPECT_EQ(error_for("cpu_max", "5000"), at("cpu_max") + expected + "5000");
  EXPECT_EQ(error_for("cpu_max", "nan"), at("cpu_max") + expected + "nan");
  EXPECT_EQ(error_for("cpu_max", "inf"), at("cpu_max") + expected + "inf");
  EXPECT_EQ(error_for("cpu_max", "\"1.5\""), at("cpu_max") + expected + "\"1.5\"");
  EXPECT_EQ(error_for("cpu_max", "[1]"), at("cpu_max") + expected + "array");
}

TEST_F(LimitsConfig, ProcessCounts) {
  for (const char* good : {"1", "64", "4194304"}) {
    config(std::string("[warden]\nmax_processes = ") + good + "\n");
    EXPECT_EQ(load_config(opt).max_processes.value, std::stoll(good));
  }
  const std::string expected = "expected a number of processes from 1 to 4194304, got ";
  EXPECT_EQ(error_for("max_processes", "0"), at("max_processes") + expected + "0");
  EXPECT_EQ(error_for("max_processes", "-5"), at("max_processes") + expected + "-5");
  EXPECT_EQ(error_for("max_processes", "4194305"), at("max_processes") + expected + "4194305");
  EXPECT_EQ(error_for("max_processes", "\"64\""),
            at("max_processes") + "expected an integer, got \"64\"");
  EXPECT_EQ(error_for("max_processes", "1.5"),
            at("max_processes") + "expected an integer, got float");
}

TEST_F(LimitsConfig, ProfilesAndOverridesLayer) {
  config(
      "profile = \"tight\"\n"
      "[warden]\n"
      "max_processes = 100\n"
      "[profiles.tight.warden]\n"
      "max_processes = 32\n"
      "memory_max = \"1G\"\n");
  Config c = load_config(opt);
  EXPECT_EQ(c.max_processes.value, 32);
  EXPECT_EQ(c.max_processes.source.describe(), path + ":5:17");
  EXPECT_EQ(c.memory_max.value, 1ull << 30);
  // -c beats the profile; a VALUE that is not TOML is a plain string, as codex -c does.
  opt.overrides = {"warden.max_processes=128", "warden.memory_max=512M", "warden.cpu_max=0.5"};
  c = load_config(opt);
  EXPECT_EQ(c.max_processes.value, 128);
  EXPECT_EQ(c.max_processes.source.describe(), "-c warden.max_processes=128");
  EXPECT_EQ(c.memory_max.value, 512ull << 20);
  EXPECT_EQ(c.memory_max.source.describe(), "-c warden.memory_max=512M");
  EXPECT_DOUBLE_EQ(c.cpu_max.value, 0.5);
  // "" lifts a limit set below.
  opt.overrides = {"warden.memory_max=\"\""};
  EXPECT_EQ(load_config(opt).memory_max.value, 0u);
}

TEST_F(LimitsConfig, ABrokenUnselectedProfileIsAnError) {
  config("[profiles.other.warden]\ncpu_max = -2\n");
  EXPECT_PREFIX(error(), path + ":2:11: profiles.other.warden.cpu_max: expected a number of CPUs");
}

TEST_F(LimitsConfig, BadOverridesNameTheFlag) {
  opt.overrides = {"warden.cpu_max=lots"};
  EXPECT_PREFIX(error(), "-c warden.cpu_max=lots: warden.cpu_max: expected a number of CPUs");
  opt.overrides = {"warden.max_processes=0"};
  EXPECT_PREFIX(error(), "-c warden.max_processes=0: warden.max_processes: expected a number");
  opt.overrides = {"warden.memory_max=lots"};
  EXPECT_PREFIX(error(), "-c warden.memory_max=lots: warden.memory_max: expected a size");
}

TEST_F(LimitsConfig, UnknownKeyListsTheLimitKeys) {
  config("[warden]\nmax_procs = 3\n");
  const std::string e = error();
  EXPECT_PREFIX(e, path + ":2:1: unknown key warden.max_procs; expected one of");
  for (const char* key : {"max_processes", "memory_max", "cpu_max"})
    EXPECT_NE(e.find(key), std::string::npos) << e;
}

TEST_F(LimitsConfig, ToTomlShowsTheKeysWithTheirSources) {
  std::string text = to_toml(load_config(opt));
  EXPECT_NE(text.find("max_processes = 4096  # built-in default\n"), std::string::npos) << text;
  EXPECT_NE(text.find("memory_max = \"\"  # built-in default\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cpu_max = 0  # built-in default\n"), std::string::npos) << text;

  config("[warden]\nmax_processes = 64\nmemory_max = \"1536M\"\ncpu_max = 1.5\n");
  opt.overrides = {"warden.cpu_max=0.25"};
  text = to_toml(load_config(opt));
  EXPECT_NE(text.find("max_processes = 64  # " + path + ":2:17\n"), std::string::npos) << text;
  EXPECT_NE(text.find("memory_max = \"1536M\"  # " + path + ":3:14\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cpu_max = 0.25  # -c warden.cpu_max=0.25\n"), std::string::npos) << text;
}

TEST_F(LimitsConfig, ToTomlLoadsBackToTheSameValues) {
  for (const char* mem : {"\"\"", "\"4G\"", "\"1048577\"", "\"3072K\""}) {
    opt.overrides.clear();
    config(std::string("[warden]\nmax_processes = 7\nmemory_max = ") + mem + "\ncpu_max = 0.33\n");
    const Config first = load_config(opt);
    config(to_toml(first));
    const Config again = load_config(opt);
    EXPECT_EQ(again.max_processes.value, first.max_processes.value);
    EXPECT_EQ(again.memory_max.value, first.memory_max.value) << mem;
    EXPECT_EQ(again.cpu_max.value, first.cpu_max.value);
  }
}

}  // namespace
