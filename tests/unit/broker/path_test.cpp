#include "warden/broker/path.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <climits>

namespace warden::broker {
namespace {

struct JoinCase {
  const char* base;
  const char* path;
  const char* want;
  bool trailing_slash;
};

TEST(JoinLexically, Table) {
  const JoinCase cases[] = {
      {"/w", "a/b", "/w/a/b", false},
      {"/w/", "x", "/w/x", false},
      {"/w", "/x//y/", "/x/y", true},
      {"/w", "a//b///", "/w/a/b", true},
      {"/w", "../../..", "/", true},
      {"/w/a", "./b/../c", "/w/a/c", false},
      {"/w/a", "b/./c/.", "/w/a/b/c", true},
      {"/w", "a/..", "/w", true},
      {"/w", ".", "/w", true},
      {"/", "..", "/", true},
      {"/w", "/", "/", true},
      {"/w", "//", "/", true},
      {"/w", "/../etc/passwd", "/etc/passwd", false},
      {"relative-base-ignored", "/abs", "/abs", false},
      {"/w", ".hidden/..x", "/w/.hidden/..x", false},
  };
  for (const auto& c : cases) {
    auto r = join_lexically(c.base, c.path);
    ASSERT_TRUE(r.ok()) << c.base << " + " << c.path;
    EXPECT_EQ(r.value.path, c.want) << c.base << " + " << c.path;
    EXPECT_EQ(r.value.trailing_slash, c.trailing_slash) << c.base << " + " << c.path;
  }
}

TEST(JoinLexically, ErrorsAsTheKernelGivesThem) {
  EXPECT_EQ(join_lexically("/w", "").err, -ENOENT);
  EXPECT_EQ(join_lexically("/w", std::string(PATH_MAX, 'a')).err, -ENAMETOOLONG);
  EXPECT_TRUE(join_lexically("/w", std::string(PATH_MAX - 1, 'a')).ok());
  EXPECT_EQ(join_lexically("w", "a").err, -EINVAL);
  EXPECT_EQ(join_lexically("", "a").err, -EINVAL);
}

TEST(IsUnder, ComponentBoundaries) {
  EXPECT_TRUE(is_under("/w", "/w"));
  EXPECT_TRUE(is_under("/w/a", "/w"));
  EXPECT_TRUE(is_under("/w/a", "/w/"));
  EXPECT_TRUE(is_under("/anything", "/"));
  EXPECT_TRUE(is_under("/", "/"));
  EXPECT_FALSE(is_under("/wx", "/w"));
  EXPECT_FALSE(is_under("/w", "/w/a"));
  EXPECT_FALSE(is_under("/", "/w"));
  EXPECT_FALSE(is_under("relative", "/"));
}

struct MatchCase {
  const char* path;
  const char* want;  // nullptr: no match
};

TEST(ProtectedMatch, Table) {
  const std::vector<std::string> roots = {"/w", "/other/root"};
  const std::vector<std::string> patterns = {".git/hooks", ".git/config", ".git/modules/*/hooks",
                                             ".warden",    ".envrc",      ".vscode/tasks.json"};
  const MatchCase cases[] = {
      {"/w/.git/hooks", ".git/hooks"},
      {"/w/.git/hooks/pre-commit", ".git/hooks"},
      {"/w/a/b/.git/hooks/pre-commit", ".git/hooks"},
      {"/w/.git/config", ".git/config"},
      {"/w/vendor/x/.git/config", ".git/config"},
      {"/w/.git/modules/sub/hooks", ".git/modules/*/hooks"},
      {"/w/.git/modules/.dot/hooks/post-checkout", ".git/modules/*/hooks"},
      {"/w/.envrc", ".envrc"},
      {"/w/deep/dir/.envrc", ".envrc"},
      {"/w/.warden/config.toml", ".warden"},
      {"/w/.vscode/tasks.json", ".vscode/tasks.json"},
      {"/other/root/.git/hooks/x", ".git/hooks"},
      // Non-matches: near names, ancestors of protected paths, outside every root.
      {"/w/.git/hooksy", nullptr},
      {"/w/.gitx/config", nullptr},
      {"/w/.git", nullptr},
      {"/w/.git/modules/a/b/hooks", nullptr},
      {"/w/.git/modules/hooks", nullptr},
      {"/w/.vscode/settings.json", nullptr},
      {"/w/envrc", nullptr},
      {"/w/.envrc.d", nullptr},
      {"/w", nullptr},
      {"/wx/.git/hooks", nullptr},
      {"/elsewhere/.git/hooks", nullptr},
      {"/other/.git/hooks", nullptr},
  };
  for (const auto& c : cases) {
    auto got = protected_match(c.path, roots, patterns);
    if (c.want == nullptr) {
      EXPECT_FALSE(got.has_value()) << c.path << " matched " << got.value_or("");
    } else {
      EXPECT_EQ(got.value_or("<none>"), c.want) << c.path;
    }
  }
}

TEST(ProtectedMatch, RootSlashAndOddPatterns) {
  EXPECT_EQ(protected_match("/a/.git/hooks/x", {"/"}, {".git/hooks"}).value_or(""), ".git/hooks");
  // "./" and trailing slashes in a pattern are spelling; "" and ".." never match everything.
  EXPECT_EQ(protected_match("/w/.git/hooks", {"/w"}, {"./.git/hooks/"}).value_or(""),
            "./.git/hooks/");
  EXPECT_FALSE(protected_match("/w/a", {"/w"}, {""}).has_value());
  EXPECT_FALSE(protected_match("/w/a", {"/w"}, {"../w"}).has_value());
  EXPECT_FALSE(protected_match("/w/.git/hooks", {}, {".git/hooks"}).has_value());
  EXPECT_EQ(protected_match("/w/x/y", {"/w"}, {"*"}).value_or(""), "*");
  EXPECT_EQ(protected_match("/w/ab.sh", {"/w"}, {"a?.sh"}).value_or(""), "a?.sh");
  EXPECT_FALSE(protected_match("/w/ab/c.sh", {"/w"}, {"ab?c.sh"}).has_value());
}

TEST(ProtectedPrefix, ProperPrefixesOfPatternsAtAnyDepth) {
  const std::vector<std::string> pats{".git/hooks", ".git/modules/*/config", ".vscode/tasks.json",
                                      ".envrc"};
  EXPECT_EQ(protected_prefix("/w/.git", {"/w"}, pats).value_or(""), ".git/hooks");
  EXPECT_EQ(protected_prefix("/w/sub/.git", {"/w"}, pats).value_or(""), ".git/hooks");
  EXPECT_EQ(protected_prefix("/w/.git/modules/lib", {"/w"}, pats).value_or(""),
            ".git/modules/*/config");
  EXPECT_EQ(protected_prefix("/w/.vscode", {"/w"}, pats).value_or(""), ".vscode/tasks.json");
  // Not a prefix: the name itself, something below it, a near miss, a one-component pattern.
  EXPECT_FALSE(protected_prefix("/w/.git/hooks", {"/w"}, {".git/hooks"}).has_value());
  EXPECT_FALSE(protected_prefix("/w/.git/hooks/x", {"/w"}, {".git/hooks"}).has_value());
  EXPECT_FALSE(protected_prefix("/w/.gitx", {"/w"}, pats).has_value());
  EXPECT_FALSE(protected_prefix("/w/.envrc", {"/w"}, pats).has_value());
  EXPECT_FALSE(protected_prefix("/w/src", {"/w"}, pats).has_value());
  // Outside every root, or the root itself: nothing.
  EXPECT_FALSE(protected_prefix("/elsewhere/.git", {"/w"}, pats).has_value());
  EXPECT_FALSE(protected_prefix("/w", {"/w"}, pats).has_value());
}

TEST(NamesGitMetadata, FinalComponentOnly) {
  EXPECT_TRUE(names_git_metadata("/w/.git"));
  EXPECT_TRUE(names_git_metadata("/w/sub/.git/"));
  EXPECT_TRUE(names_git_metadata("/.git"));
  EXPECT_FALSE(names_git_metadata("/w/.git/config"));
  EXPECT_FALSE(names_git_metadata("/w/.gitignore"));
  EXPECT_FALSE(names_git_metadata("/w/x.git"));
  EXPECT_FALSE(names_git_metadata("/"));
}

}  // namespace
}  // namespace warden::broker
