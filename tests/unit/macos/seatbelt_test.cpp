#include "warden/macos/seatbelt.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>

using warden::macos::protected_name_regex;
using warden::macos::seatbelt_argv;
using warden::macos::seatbelt_profile;
using warden::macos::SeatbeltProfile;
using warden::sandbox::Mode;
using warden::sandbox::Spec;

namespace {

Spec workspace_spec() {
  Spec s;
  s.mode = Mode::WorkspaceWrite;
  s.workspace = "/Users/me/project";
  s.writable_roots = {"/Users/me/.cache", "/private/var/folders/xy/T"};
  s.protected_names = {".git/hooks", ".git/modules/*/hooks"};
  s.deny_read = {"/Users/me/.ssh", "/Users/me/.aws"};
  s.argv = {"make", "test"};
  s.cwd = s.workspace;
  return s;
}

std::string param(const SeatbeltProfile& p, const std::string& name) {
  for (const auto& [k, v] : p.params)
    if (k == name) return v;
  return "(absent)";
}

std::size_t count_params(const SeatbeltProfile& p, const std::string& prefix) {
  return std::count_if(p.params.begin(), p.params.end(),
                       [&](const auto& kv) { return kv.first.rfind(prefix, 0) == 0; });
}

bool regex_matches(const std::string& name, const std::string& path) {
  return std::regex_search(path, std::regex(protected_name_regex(name), std::regex::extended));
}

// The profile with comments, "strings" and #"regexes" removed: what is left is the structure.
std::string structure(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ';') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (text[i] == '"' || (text[i] == '#' && i + 1 < text.size() && text[i + 1] == '"')) {
      i = text.find('"', text[i] == '#' ? i + 2 : i + 1);
      if (i == std::string::npos) return "UNTERMINATED LITERAL";
    } else {
      out += text[i];
    }
  }
  return out;
}

void expect_balanced(const std::string& text) {
  int depth = 0;
  for (char c : structure(text)) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    ASSERT_GE(depth, 0) << text;
  }
  EXPECT_EQ(depth, 0) << text;
}

}  // namespace

TEST(Seatbelt, FullAccessAllowsEverything) {
  Spec s = workspace_spec();
  s.mode = Mode::FullAccess;
  const auto p = seatbelt_profile(s);
  EXPECT_EQ(p.text, "(version 1)\n(allow default)\n");
  EXPECT_TRUE(p.params.empty());
}

TEST(Seatbelt, DenyDefaultBase) {
  const auto p = seatbelt_profile(workspace_spec());
  EXPECT_EQ(p.text.rfind("(version 1)\n(deny default)\n", 0), 0u);
  EXPECT_NE(p.text.find("(allow process-exec)"), std::string::npos);
  EXPECT_NE(p.text.find("(allow process-fork)"), std::string::npos);
  EXPECT_NE(p.text.find("(allow signal (target same-sandbox))"), std::string::npos);
  EXPECT_NE(p.text.find("(allow sysctl-read"), std::string::npos);
  EXPECT_NE(p.text.find("(allow pseudo-tty)"), std::string::npos);
  EXPECT_NE(p.text.find("(allow file-read*)"), std::string::npos);
  EXPECT_EQ(p.text.find("(allow default)"), std::string::npos);
}

TEST(Seatbelt, ParameterForEachWritableRoot) {
  const auto p = seatbelt_profile(workspace_spec());
  EXPECT_EQ(param(p, "WRITABLE_ROOT_0"), "/Users/me/project");
  EXPECT_EQ(param(p, "WRITABLE_ROOT_1"), "/Users/me/.cache");
  EXPECT_EQ(param(p, "WRITABLE_ROOT_2"), "/private/var/folders/xy/T");
  EXPECT_EQ(param(p, "WRITABLE_ROOT_3"), "/private/tmp");
  EXPECT_EQ(count_params(p, "WRITABLE_ROOT_"), 4u);
  for (int i = 0; i < 4; ++i)
    EXPECT_NE(p.text.find("(subpath (param \"WRITABLE_ROOT_" + std::to_string(i) + "\"))"),
              std::string::npos);
  expect_balanced(p.text);
}

TEST(Seatbelt, TmpOnlyWhenWritable) {
  Spec s = workspace_spec();
  s.tmp_writable = false;
  const auto p = seatbelt_profile(s);
  EXPECT_EQ(count_params(p, "WRITABLE_ROOT_"), 3u);
  for (const auto& kv : p.params) EXPECT_NE(kv.second, "/private/tmp");
}

TEST(Seatbelt, DuplicateRootsOnce) {
  Spec s = workspace_spec();
  s.writable_roots = {s.workspace, "/x", "/x"};
  EXPECT_EQ(count_params(seatbelt_profile(s), "WRITABLE_ROOT_"), 3u);  // workspace, /x, tmp
}

TEST(Seatbelt, ReadOnlyWritesOnlyDevNull) {
  Spec s = workspace_spec();
  s.mode = Mode::ReadOnly;
  const auto p = seatbelt_profile(s);
  EXPECT_EQ(count_params(p, "WRITABLE_ROOT_"), 0u);
  EXPECT_EQ(count_params(p, "PROTECTED_PARENT_"), 0u);
  EXPECT_EQ(p.text.find("WRITABLE_ROOT"), std::string::npos);
  EXPECT_EQ(p.text.find("(allow file-write*\n"), std::string::npos);
  EXPECT_NE(p.text.find("(allow file-write-data (require-all (literal \"/dev/null\")"),
            std::string::npos);
  // deny_read still applies.
  EXPECT_EQ(count_params(p, "DENY_READ_"), 2u);
  expect_balanced(p.text);
}

TEST(Seatbelt, DenyReadAfterTheAllows) {
  // Seatbelt lets the last matching rule win, so the denies must follow every allow.
  for (Mode mode : {Mode::ReadOnly, Mode::WorkspaceWrite}) {
    Spec s = workspace_spec();
    s.mode = mode;
    s.network = true;
    const auto p = seatbelt_profile(s);
    EXPECT_EQ(param(p, "DENY_READ_0"), "/Users/me/.ssh");
    EXPECT_EQ(param(p, "DENY_READ_1"), "/Users/me/.aws");
    const auto deny = p.text.find(
        "(deny file-read* file-write*\n  (subpath (param \"DENY_READ_0\"))\n"
        "  (subpath (param \"DENY_READ_1\"))\n)");
    ASSERT_NE(deny, std::string::npos) << p.text;
    EXPECT_LT(p.text.find("(allow file-read*)"), deny);
    EXPECT_EQ(p.text.find("(allow", deny), std::string::npos) << "an allow follows the denies";
  }
}

TEST(Seatbelt, DenyReadGlobsExpanded) {
  char dir[] = "/tmp/warden-seatbelt-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string d = dir;
  for (const char* f : {"/a.key", "/b.key", "/c.txt"}) std::ofstream(d + f) << "x";
  Spec s = workspace_spec();
  s.deny_read = {d + "/*.key", d + "/none-*"};
  const auto p = seatbelt_profile(s);
  std::vector<std::string> got{param(p, "DENY_READ_0"), param(p, "DENY_READ_1")};
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{d + "/a.key", d + "/b.key"}));
  // No match: the pattern as a literal name.
  EXPECT_EQ(param(p, "DENY_READ_2"), d + "/none-*");
  EXPECT_EQ(count_params(p, "DENY_READ_"), 3u);
  for (const char* f : {"/a.key", "/b.key", "/c.txt"}) ::unlink((d + f).c_str());
  ::rmdir(dir);
}

TEST(Seatbelt, NoPathTextInProfile) {
  Spec s = workspace_spec();
  s.workspace = "/Users/me/pro\"ject) (allow default) ; x";
  s.writable_roots = {"/tmp/a\nb", "/t(m)p/\"quoted\"", "/p/#\"regex\"", "/Users/me/\xff\xfe"};
  s.deny_read = {"/secret\")) (allow file-read*", "/with space/and;semicolon"};
  s.network = true;
  const auto p = seatbelt_profile(s);
  ASSERT_EQ(p.params.size(), 6u + 2u * 6u + 2u);  // roots, 2 protected parents each, deny_read
  for (const auto& [name, value] : p.params) {
    EXPECT_EQ(p.text.find(value), std::string::npos) << name << " spliced into the profile";
    EXPECT_NE(p.text.find("(param \"" + name + "\")"), std::string::npos) << name;
  }
  EXPECT_EQ(param(p, "WRITABLE_ROOT_0"), s.workspace);
  EXPECT_EQ(param(p, "DENY_READ_0"), s.deny_read[0]);
  EXPECT_EQ(p.text.find("(allow default)"), std::string::npos);
  EXPECT_EQ(p.text.find("Users"), std::string::npos);
  expect_balanced(p.text);
}

TEST(Seatbelt, Network) {
  Spec s = workspace_spec();
  s.network = false;
  const auto off = seatbelt_profile(s);
  EXPECT_EQ(off.text.find("network"), std::string::npos);
  EXPECT_EQ(off.text.find("DNSConfiguration"), std::string::npos);
  s.network = true;
  const auto on = seatbelt_profile(s);
  EXPECT_NE(on.text.find("(allow network-outbound)"), std::string::npos);
  EXPECT_NE(on.text.find("(allow network-inbound)"), std::string::npos);
  EXPECT_NE(on.text.find("(global-name \"com.apple.SystemConfiguration.DNSConfiguration\")"),
            std::string::npos);
  expect_balanced(on.text);
}

TEST(Seatbelt, ProtectedNamesCarvedOutOfWrites) {
  const auto p = seatbelt_profile(workspace_spec());
  const std::string hooks = "(require-not (regex #\"" + protected_name_regex(".git/hooks") + "\"))";
  const std::string modules =
      "(require-not (regex #\"" + protected_name_regex(".git/modules/*/hooks") + "\"))";
  const auto allow = p.text.find("(allow file-write*\n  (require-all\n    (require-any\n");
  ASSERT_NE(allow, std::string::npos) << p.text;
  EXPECT_GT(p.text.find(hooks), allow);
  EXPECT_GT(p.text.find(modules), allow);
  EXPECT_EQ(protected_name_regex(".git/hooks"), R"(^(.*/)?\.git/hooks(/.*)?$)");
  EXPECT_EQ(protected_name_regex(".git/modules/*/hooks"),
            R"(^(.*/)?\.git/modules/[^/]+/hooks(/.*)?$)");
}

TEST(Seatbelt, ProtectedParentsCannotBeReplaced) {
  Spec s = workspace_spec();
  s.writable_roots = {};
  s.tmp_writable = false;
  const auto p = seatbelt_profile(s);
  // ".git" and ".git/modules" under the one root; nothing past the glob.
  EXPECT_EQ(param(p, "PROTECTED_PARENT_0"), "/Users/me/project/.git");
  EXPECT_EQ(param(p, "PROTECTED_PARENT_1"), "/Users/me/project/.git/modules");
  EXPECT_EQ(count_params(p, "PROTECTED_PARENT_"), 2u);
  EXPECT_NE(p.text.find("(deny file-write*\n  (literal (param \"PROTECTED_PARENT_0\"))\n"),
            std::string::npos);
  s.protected_names = {".env"};
  EXPECT_EQ(count_params(seatbelt_profile(s), "PROTECTED_PARENT_"), 0u);
}

TEST(Seatbelt, ProtectedRegexMatchesOnComponentBoundaries) {
  for (const char* path :
       {"/ws/.git/hooks", "/ws/a/.git/hooks", "/ws/.git/hooks/x", "/ws/a/b/.git/hooks/pre-commit",
        "a/.git/hooks", ".git/hooks/x", ".git/hooks"})
    EXPECT_TRUE(regex_matches(".git/hooks", path)) << path;
  for (const char* path :
       {"/ws/.git/hooksy", "/ws/.git/hooksy/x", "/ws/x.git/hooks", "/ws/.gitx/hooks",
        "/ws/.git/hook", "/ws/.git", ".git/hooksy", "/ws/agit/hooks"})
    EXPECT_FALSE(regex_matches(".git/hooks", path)) << path;

  EXPECT_TRUE(regex_matches(".git/modules/*/hooks", "/w/.git/modules/sub/hooks/pre-commit"));
  EXPECT_TRUE(regex_matches(".git/modules/*/hooks", "/w/.git/modules/sub/hooks"));
  EXPECT_FALSE(regex_matches(".git/modules/*/hooks", "/w/.git/modules/hooks"));
  EXPECT_FALSE(regex_matches(".git/modules/*/hooks", "/w/.git/modules/a/b/hooks"));

  EXPECT_TRUE(regex_matches("*.pem", "/w/keys/server.pem"));
  EXPECT_FALSE(regex_matches("*.pem", "/w/keys/server.pem.bak"));
  EXPECT_TRUE(regex_matches("a.b", "/w/a.b"));
  EXPECT_FALSE(regex_matches("a.b", "/w/axb"));
  EXPECT_TRUE(regex_matches("c++(x)[1]{2}$^|?", "/w/c++(x)[1]{2}$^|?/f"));
  EXPECT_FALSE(regex_matches("c++", "/w/ccc"));
  EXPECT_EQ(protected_name_regex(".git/hooks/"), protected_name_regex(".git/hooks"));
}

TEST(Seatbelt, RejectsUnsafeProtectedNames) {
  for (const char* name : {"a\"b", "a\nb", "", "/abs", "a/../b", "..", "./a", "a//b", "a\\b",
                           "tab\there", "caf\xc3\xa9"}) {
    Spec s = workspace_spec();
    s.protected_names = {name};
    EXPECT_THROW(seatbelt_profile(s), std::invalid_argument) << name;
  }
}

TEST(Seatbelt, BalancedForManyShapes) {
  for (Mode mode : {Mode::ReadOnly, Mode::WorkspaceWrite, Mode::FullAccess})
    for (bool net : {false, true})
      for (bool prot : {false, true}) {
        Spec s = workspace_spec();
        s.mode = mode;
        s.network = net;
        if (!prot) s.protected_names.clear();
        s.protected_names.push_back("we(ird)/na)me");
        expect_balanced(seatbelt_profile(s).text);
      }
}

TEST(Seatbelt, Argv) {
  Spec s = workspace_spec();
  s.argv = {"sh", "-c", "echo -- \"$1\""};
  const auto p = seatbelt_profile(s);
  const auto argv = seatbelt_argv(s);
  ASSERT_GE(argv.size(), 3u);
  EXPECT_EQ(argv[0], "/usr/bin/sandbox-exec");
  EXPECT_EQ(argv[1], "-p");
  EXPECT_EQ(argv[2], p.text);
  std::size_t i = 3;
  for (const auto& [k, v] : p.params) {
    ASSERT_LT(i + 1, argv.size());
    EXPECT_EQ(argv[i++], "-D");
    EXPECT_EQ(argv[i++], k + "=" + v);
  }
  ASSERT_EQ(argv.size(), i + 1 + s.argv.size());
  EXPECT_EQ(argv[i++], "--");
  EXPECT_EQ(std::vector<std::string>(argv.begin() + static_cast<long>(i), argv.end()), s.argv);

  s.argv.clear();
  EXPECT_THROW(seatbelt_argv(s), std::invalid_argument);
}
