#include "warden/policy/exec_rules.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace warden::policy;
using Argv = std::vector<std::string>;
using Pattern = std::vector<std::vector<std::string>>;

// The RulesError message, or a marker that fails any comparison.
std::string load_error(std::string_view text, const std::string& name = "bad.rules") {
  ExecRules rules;
  try {
    rules.load_text(text, name);
  } catch (const RulesError& e) {
    EXPECT_EQ(rules.size(), 0u) << "a failed file must add nothing";
    return e.what();
  }
  return "(no error)";
}

ExecRules load(std::string_view text, const std::string& name = "t.rules") {
  ExecRules rules;
  rules.load_text(text, name);
  return rules;
}

// "none" when no rule matches, so a missing match is visible in the comparison.
std::string decide(const ExecRules& rules, const Argv& argv) {
  const auto m = rules.match(argv);
  return m ? to_string(m->decision) : "none";
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

}  // namespace

// ---- parsing

TEST(ExecRulesParse, RealisticFile) {
  const auto rules = load(R"RULES(# Team rules for git and friends.
prefix_rule(
    pattern = ["git", ["push", "fetch"]],   # network operations
    decision = "prompt",
    justification = 'pushing needs a look',
    match = [["git", "push", "origin"], "git fetch --all"],
    not_match = [["git", "status"]],
)

host_executable(name = "git", paths = ["/usr/bin/git", '/opt/git/bin/git'],)

prefix_rule(pattern = ['rm', "-rf"], decision = 'forbidden',
            justification = "tab\there, \"dq\", it\'s, back\\slash, \x41\u00e9\n",)
prefix_rule(pattern=["ls"])  # decision defaults to allow
)RULES");
  ASSERT_EQ(rules.size(), 3u);
  const auto& r = rules.rules();
  EXPECT_EQ(r[0].pattern, (Pattern{{"git"}, {"push", "fetch"}}));
  EXPECT_EQ(r[0].decision, ExecDecision::Prompt);
  EXPECT_EQ(r[0].justification, "pushing needs a look");
  EXPECT_EQ(r[0].source, "t.rules:2:1");
  EXPECT_EQ(r[1].pattern, (Pattern{{"rm"}, {"-rf"}}));
  EXPECT_EQ(r[1].decision, ExecDecision::Forbidden);
  EXPECT_EQ(r[1].justification, "tab\there, \"dq\", it's, back\\slash, A\xC3\xA9\n");
  EXPECT_EQ(r[1].source, "t.rules:12:1");
  EXPECT_EQ(r[2].pattern, (Pattern{{"ls"}}));
  EXPECT_EQ(r[2].decision, ExecDecision::Allow);
  EXPECT_EQ(r[2].justification, "");
  EXPECT_EQ(r[2].source, "t.rules:14:1");
}

TEST(ExecRulesParse, StarlarkStringForms) {
  // As starlark-rust (Codex's lexer) reads them: octal and \x are code points, unknown escapes
  // keep their backslash, raw strings keep backslashes except before a quote, triple quotes span
  // lines, and a backslash-newline inside a string joins the lines.
  const auto rules = load(
      "prefix_rule(pattern = [\"a\"], justification = \"\\101\\x41\\u0041\\U00000041|\\d|\\xe9\")\n"
      "prefix_rule(pattern = [\"b\"], justification = r\"raw\\n\\\"q\")\n"
      "prefix_rule(pattern = [\"c\"], justification = \"\"\"line one\n"
      "line \"two\" 'x'\"\"\")\n"
      "prefix_rule(pattern = [\"d\"], justification = 'ab\\\ncd')\n"
      "prefix_rule(pattern = [\"e\"], justification = '''q'''); prefix_rule(pattern = [\"f\"])\n");
  ASSERT_EQ(rules.size(), 6u);
  const auto& r = rules.rules();
  EXPECT_EQ(r[0].justification, "AAAA|\\d|\xC3\xA9");
  EXPECT_EQ(r[1].justification, "raw\\n\"q");
  EXPECT_EQ(r[2].justification, "line one\nline \"two\" 'x'");
  EXPECT_EQ(r[3].justification, "abcd");
  EXPECT_EQ(r[3].source, "t.rules:5:1");
  EXPECT_EQ(r[4].justification, "q");
  EXPECT_EQ(r[5].source, "t.rules:7:56");
}

TEST(ExecRulesParse, CrlfLineEndings) {
  const auto rules = load(
      "prefix_rule(\r\n  pattern = [\"git\"],\r\n  justification = \"x\",\r\n)\r\n"
      "prefix_rule(pattern = [\"ls\"])\r\n");
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules.rules()[0].justification, "x");
  EXPECT_EQ(rules.rules()[1].source, "t.rules:5:1");
  EXPECT_EQ(load_error("prefix_rule(\r\n  decision = \"no\",\r\n)\r\n"),
            "bad.rules:2:14: prefix_rule: decision: expected one of \"allow\", \"prompt\", "
            "\"forbidden\", got \"no\"");
}

TEST(ExecRulesParse, EmptyAndCommentOnlyFiles) {
  EXPECT_EQ(load("").size(), 0u);
  EXPECT_EQ(load("# nothing here\n\n   # indented comment\n").size(), 0u);
}

TEST(ExecRulesParse, SyntaxErrorsNameFileLineColumn) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {R"(prefix_rule(["git"]))",
       "bad.rules:1:13: prefix_rule: positional arguments are not accepted: expected NAME = "
       "VALUE"},
      {R"(prefix_rules(pattern = ["git"]))",
       "bad.rules:1:1: unknown function `prefix_rules`: expected prefix_rule or host_executable"},
      {R"(prefix_rule(pattern = ["git"], decison = "allow"))",
       "bad.rules:1:32: prefix_rule: unknown argument `decison`: expected one of pattern, "
       "decision, justification, match, not_match"},
      {R"(prefix_rule(pattern = "git"))",
       "bad.rules:1:23: prefix_rule: pattern: expected a list, got a string"},
      {R"(prefix_rule(pattern = ["git"], decision = ["allow"]))",
       "bad.rules:1:43: prefix_rule: decision: expected a string, got a list"},
      {R"(prefix_rule(pattern = []))",
       "bad.rules:1:23: prefix_rule: pattern: expected a non-empty list"},
      {R"(prefix_rule(pattern = ["git"], decision = "deny"))",
       "bad.rules:1:43: prefix_rule: decision: expected one of \"allow\", \"prompt\", "
       "\"forbidden\", got \"deny\""},
      {"prefix_rule(pattern = [\"git])\n",
       "bad.rules:1:24: unterminated string: expected a closing \" before the end of the line"},
      {"prefix_rule(pattern = ['git",
       "bad.rules:1:24: unterminated string: expected a closing ' before the end of the line"},
      {"prefix_rule(pattern = [\"a\"], justification = \"\"\"open\n\n",
       "bad.rules:1:46: unterminated string: expected a closing \"\"\" before the end of the "
       "file"},
      {"prefix_rule(pattern = [\"git\"],\n",
       "bad.rules:2:1: expected `)` to close prefix_rule( at 1:1, got the end of the file"},
      {"prefix_rule(pattern = [\"a\"],\nprefix_rule(pattern = [\"b\"])\n",
       "bad.rules:2:1: expected `)` to close prefix_rule( at 1:1, got `prefix_rule`"},
      {R"(prefix_rule pattern = ["git"])",
       "bad.rules:1:13: expected `(` after prefix_rule, got `pattern`"},
      {R"(prefix_rule(pattern = ["git"] decision = "allow"))",
       "bad.rules:1:31: expected `,` or `)`, got `decision`"},
      {R"(prefix_rule(pattern ["git"]))", "bad.rules:1:21: expected `=` after `pattern`, got `[`"},
      {R"(prefix_rule(pattern = ["a"], pattern = ["b"]))",
       "bad.rules:1:30: prefix_rule: argument `pattern` given twice"},
      {R"(prefix_rule(decision = "allow"))",
       "bad.rules:1:1: prefix_rule: missing required argument `pattern`"},
      {R"(prefix_rule(pattern = ["git", []]))",
       "bad.rules:1:31: prefix_rule: pattern[1]: expected a non-empty list of alternatives"},
      {R"(prefix_rule(pattern = [["a", ["b"]]]))",
       "bad.rules:1:30: prefix_rule: pattern[0][1]: expected a string, got a list"},
      {R"(prefix_rule(pattern = ["a" "b"]))", "bad.rules:1:28: expected `,` or `]`, got a string"},
      {R"(prefix_rule(pattern = ["\xZZ"]))",
       "bad.rules:1:25: invalid string escape sequence `\\x`: expected 2 hex digits"},
      {R"(prefix_rule(pattern = ["\ud800"]))",
       "bad.rules:1:25: invalid string escape sequence `\\ud800`: not a Unicode code point"},
      {R"(prefix_rule(pattern = ["a"]) @)", "bad.rules:1:30: unexpected character `@`"},
      {R"(prefix_rule(pattern = ["a"]) prefix_rule(pattern = ["b"]))",
       "bad.rules:1:30: expected a new line after `)`, got `prefix_rule`"},
      {R"(prefix_rule(pattern = ["a"], decision = 1))",
       "bad.rules:1:41: expected a string or a list, got `1`"},
      {R"(prefix_rule(pattern = ["a"], justification = "  "))",
       "bad.rules:1:46: prefix_rule: justification: expected a non-empty string"},
      // Columns count characters: the é before the error is one column, not two bytes.
      {"prefix_rule(pattern = [\"\xC3\xA9\"], decision = \"nope\")",
       "bad.rules:1:41: prefix_rule: decision: expected one of \"allow\", \"prompt\", "
       "\"forbidden\", got \"nope\""},
      {"\n\n# leading comment\nprefix_rule(\n    pattern = [\"git\"],\n    decision = "
       "\"maybe\",\n)\n",
       "bad.rules:6:16: prefix_rule: decision: expected one of \"allow\", \"prompt\", "
       "\"forbidden\", got \"maybe\""},
      {R"(prefix_rule(pattern = ["a"], match = ["a 'b"]))",
       "bad.rules:1:39: prefix_rule: match[0]: expected a shell command, got an unterminated "
       "quote or `\\`"},
      {R"(prefix_rule(pattern = ["a"], not_match = [[]]))",
       "bad.rules:1:43: prefix_rule: not_match[0]: expected a non-empty list of tokens"},
      {R"(host_executable(name = ["git"], paths = []))",
       "bad.rules:1:24: host_executable: name: expected a string, got a list"},
      {R"(host_executable(name = "git"))",
       "bad.rules:1:1: host_executable: missing required argument `paths`"},
      {R"(host_executable(name = "git", paths = ["/usr/bin/git"], decision = "allow"))",
       "bad.rules:1:57: host_executable: unknown argument `decision`: expected one of name, "
       "paths"},
      {R"("git")",
       "bad.rules:1:1: expected prefix_rule(...) or host_executable(...), got a string"},
  };
  for (const auto& c : cases) EXPECT_EQ(load_error(c.text), c.error) << c.text;
}

TEST(ExecRulesParse, LaterErrorDiscardsTheWholeFile) {
  ExecRules rules;
  rules.load_text("prefix_rule(pattern = [\"ls\"])\n", "good.rules");
  EXPECT_THROW(
      rules.load_text("prefix_rule(pattern = [\"git\"])\nprefix_rule(pattern = [])\n", "bad.rules"),
      RulesError);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules.rules()[0].source, "good.rules:1:1");
}

// ---- examples

TEST(ExecRulesExamples, MatchExampleThatFailsPointsAtIt) {
  EXPECT_EQ(load_error("prefix_rule(\n"
                       "    pattern = [\"git\", \"push\"],\n"
                       "    match = [\"git push origin\", [\"git\", \"pull\"]],\n"
                       ")\n"),
            "bad.rules:3:33: prefix_rule: match example `git pull` does not match pattern "
            "[\"git\", \"push\"]");
}

TEST(ExecRulesExamples, NotMatchExampleThatMatchesPointsAtIt) {
  EXPECT_EQ(load_error("prefix_rule(\n"
                       "    pattern = [\"git\", [\"push\", \"fetch\"]],\n"
                       "    match = [\"git push\"],\n"
                       "    not_match = [[\"git\", \"status\"], \"git fetch -f\"],\n"
                       ")\n"),
            "bad.rules:4:37: prefix_rule: not_match example `git fetch -f` matches pattern "
            "[\"git\", [\"push\", \"fetch\"]]");
}

TEST(ExecRulesExamples, StringExamplesAreShellSplit) {
  // Codex splits string examples with shlex: the quoted message is one token.
  const auto rules = load(
      "prefix_rule(pattern = [\"git\", \"commit\", \"-m\", \"fix it\"],\n"
      "            match = [\"git commit -m 'fix it' --amend\", \"/usr/bin/git commit -m \\\"fix "
      "it\\\"\"],\n"
      "            not_match = [\"git commit -m fix it\"])\n");
  EXPECT_EQ(rules.size(), 1u);
  // Inside double quotes a backslash escapes `"`, as in a shell.
  EXPECT_EQ(load(R"(prefix_rule(pattern = ["echo", 'a"b'], match = ["echo \"a\\\"b\""]))").size(),
            1u);
  EXPECT_EQ(load_error("prefix_rule(pattern = [\"git\", \"commit\"], not_match = [[\"git\", "
                       "\"commit\", \"-m\", \"don't\", \"a b\", \"\"]])"),
            "bad.rules:1:55: prefix_rule: not_match example `git commit -m \"don't\" 'a b' ''` "
            "matches pattern [\"git\", \"commit\"]");
}

// ---- matching

TEST(ExecRulesMatch, FirstTokenAlternatives) {
  const auto rules =
      load("prefix_rule(pattern = [[\"python3\", \"python\"], \"-c\"], decision = \"prompt\")\n");
  EXPECT_EQ(decide(rules, {"python", "-c", "print(1)"}), "prompt");
  EXPECT_EQ(decide(rules, {"python3", "-c", "print(1)"}), "prompt");
  EXPECT_EQ(decide(rules, {"python3", "script.py"}), "none");
  EXPECT_EQ(decide(rules, {"perl", "-c"}), "none");
}

TEST(ExecRulesMatch, TailAlternativesArePerPosition) {
  const auto rules = load(
      "prefix_rule(pattern = [\"git\", [\"push\", \"fetch\"], [\"origin\", \"upstream\"]],\n"
      "            decision = \"forbidden\")\n");
  EXPECT_EQ(decide(rules, {"git", "push", "origin"}), "forbidden");
  EXPECT_EQ(decide(rules, {"git", "fetch", "upstream", "--prune"}), "forbidden");
  // Each position takes only its own alternatives, in order.
  EXPECT_EQ(decide(rules, {"git", "origin", "push"}), "none");
  EXPECT_EQ(decide(rules, {"git", "push", "push"}), "none");
  EXPECT_EQ(decide(rules, {"git", "push", "fetch"}), "none");
  EXPECT_EQ(decide(rules, {"git", "status", "origin"}), "none");
  // A prefix match needs every pattern position.
  EXPECT_EQ(decide(rules, {"git", "push"}), "none");
}

TEST(ExecRulesMatch, NoRuleMeansNoDecision) {
  EXPECT_FALSE(ExecRules().match({"git", "push"}).has_value());
  const auto rules = load("prefix_rule(pattern = [\"git\", \"push\"], decision = \"forbidden\")\n");
  EXPECT_FALSE(rules.match({}).has_value());
  EXPECT_FALSE(rules.match({"git"}).has_value());
  EXPECT_FALSE(rules.match({"gitx", "push"}).has_value());
  EXPECT_FALSE(rules.match({"git", "pushx"}).has_value());
  EXPECT_TRUE(rules.match({"git", "push"}).has_value());
}

TEST(ExecRulesMatch, StrictestWinsAcrossRules) {
  const auto rules = load(
      "prefix_rule(pattern = [\"git\", \"push\", \"--force\"], decision = \"forbidden\",\n"
      "            justification = \"no force pushes\")\n"
      "prefix_rule(pattern = [\"git\"], decision = \"allow\")\n"
      "prefix_rule(pattern = [\"git\", \"push\"], decision = \"prompt\")\n");
  EXPECT_EQ(decide(rules, {"git", "status"}), "allow");
  EXPECT_EQ(decide(rules, {"git", "push", "origin"}), "prompt");
  EXPECT_EQ(decide(rules, {"git", "push", "--force", "origin"}), "forbidden");
  const auto m = rules.match({"git", "push", "--force"});
  ASSERT_TRUE(m.has_value());
  ASSERT_NE(m->rule, nullptr);
  EXPECT_EQ(m->rule->justification, "no force pushes");
  EXPECT_EQ(m->rule->source, "t.rules:1:1");
}

TEST(ExecRulesMatch, StrictestWinsAcrossFiles) {
  ExecRules rules;
  rules.load_text("prefix_rule(pattern = [\"curl\"], decision = \"forbidden\")\n", "a.rules");
  rules.load_text(
      "prefix_rule(pattern = [\"curl\"], decision = \"prompt\")\n"
      "prefix_rule(pattern = [\"make\"], decision = \"allow\")\n",
      "b.rules");
  rules.load_text("prefix_rule(pattern = [\"make\", \"install\"], decision = \"prompt\")\n",
                  "c.rules");
  EXPECT_EQ(rules.size(), 4u);
  const auto curl = rules.match({"curl", "-O", "x"});
  ASSERT_TRUE(curl.has_value());
  EXPECT_EQ(curl->decision, ExecDecision::Forbidden);
  EXPECT_EQ(curl->rule->source, "a.rules:1:1");
  const auto make = rules.match({"make", "install"});
  ASSERT_TRUE(make.has_value());
  EXPECT_EQ(make->decision, ExecDecision::Prompt);
  EXPECT_EQ(make->rule->source, "c.rules:1:1");
  EXPECT_EQ(decide(rules, {"make"}), "allow");
}

TEST(ExecRulesMatch, MostSpecificRuleAmongEqualDecisions) {
  // Codex quotes the longest matching prefix; the first loaded wins a tie.
  const auto rules = load(
      "prefix_rule(pattern = [\"git\"], decision = \"forbidden\", justification = \"A\")\n"
      "prefix_rule(pattern = [\"git\", \"push\"], decision = \"forbidden\", justification = "
      "\"B\")\n"
      "prefix_rule(pattern = [\"git\", \"push\"], decision = \"forbidden\", justification = "
      "\"C\")\n");
  EXPECT_EQ(rules.match({"git", "push", "x"})->rule->justification, "B");
  EXPECT_EQ(rules.match({"git", "pull"})->rule->justification, "A");
}

TEST(ExecRulesMatch, AbsoluteArgv0MatchesByBasename) {
  const auto rules = load(
      "prefix_rule(pattern = [\"git\", \"push\"], decision = \"prompt\",\n"
      "            match = [\"/usr/bin/git push\"])\n"
      "prefix_rule(pattern = [\"/opt/tool\"], decision = \"forbidden\")\n");
  EXPECT_EQ(decide(rules, {"/usr/bin/git", "push"}), "prompt");
  EXPECT_EQ(decide(rules, {"/home/u/bin/git", "push", "-f"}), "prompt");
  // Only an absolute argv[0], and only argv[0].
  EXPECT_EQ(decide(rules, {"./git", "push"}), "none");
  EXPECT_EQ(decide(rules, {"usr/bin/git", "push"}), "none");
  EXPECT_EQ(decide(rules, {"git", "/usr/bin/push"}), "none");
  EXPECT_EQ(decide(rules, {"/usr/bin/", "git", "push"}), "none");
  // A pattern naming a path still matches that exact path, and not the bare name.
  EXPECT_EQ(decide(rules, {"/opt/tool", "-x"}), "forbidden");
  EXPECT_EQ(decide(rules, {"tool"}), "none");
}

// ---- managed requirements

TEST(ExecRulesRequired, PromptAndForbiddenFromRequirements) {
  ExecRules rules;
  rules.load_text("prefix_rule(pattern = [\"rm\"], decision = \"allow\")\n", "user.rules");
  RequiredPrefixRule forbid{{{"rm"}, {"-rf", "-fr"}}, "forbidden", "wipes", {"req.toml", 3, 1, ""}};
  RequiredPrefixRule prompt{{{"sudo"}}, "prompt", "", {"req.toml", 8, 1, ""}};
  rules.add_required({forbid, prompt});
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules.rules()[1].source, "req.toml:3:1");
  EXPECT_EQ(rules.rules()[1].pattern, (Pattern{{"rm"}, {"-rf", "-fr"}}));
  EXPECT_EQ(decide(rules, {"rm", "x"}), "allow");
  const auto m = rules.match({"rm", "-fr", "/"});
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->decision, ExecDecision::Forbidden);
  EXPECT_EQ(m->rule->justification, "wipes");
  EXPECT_EQ(decide(rules, {"/usr/bin/sudo", "ls"}), "prompt");
}

TEST(ExecRulesRequired, OnlyPromptOrForbiddenAndNonEmptyPatterns) {
  const auto error = [](const RequiredPrefixRule& bad) -> std::string {
    ExecRules rules;
    RequiredPrefixRule good{{{"ls"}}, "prompt", "", {"req.toml", 1, 1, ""}};
    try {
      rules.add_required({good, bad});
    } catch (const RulesError& e) {
      EXPECT_EQ(rules.size(), 0u);
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_EQ(error({{{"rm"}}, "allow", "", {"req.toml", 7, 1, ""}}),
            "req.toml:7:1: decision: expected one of \"prompt\", \"forbidden\", got \"allow\"");
  EXPECT_EQ(error({{{"rm"}}, "deny", "", {"req.toml", 7, 1, ""}}),
            "req.toml:7:1: decision: expected one of \"prompt\", \"forbidden\", got \"deny\"");
  EXPECT_EQ(error({{}, "forbidden", "", {"req.toml", 9, 1, ""}}),
            "req.toml:9:1: pattern: expected a non-empty list");
  EXPECT_EQ(error({{{"rm"}, {}}, "forbidden", "", {"req.toml", 9, 1, ""}}),
            "req.toml:9:1: pattern[1]: expected a non-empty list of alternatives");
}

// ---- describe_match

TEST(ExecRulesDescribe, CodexWording) {
  const auto rules = load(
      "prefix_rule(pattern = [\"git\", \"push\", \"--force\"], decision = \"forbidden\",\n"
      "            justification = \"no force pushes; use --force-with-lease\")\n"
      "prefix_rule(pattern = [\"rm\", \"-rf\"], decision = \"forbidden\")\n"
      "prefix_rule(pattern = [\"git\", \"push\"], decision = \"prompt\",\n"
      "            justification = \"pushing needs a look\")\n"
      "prefix_rule(pattern = [\"gh\"], decision = \"prompt\")\n"
      "prefix_rule(pattern = [\"ls\"])\n");
  const auto describe = [&](const Argv& argv) {
    const auto m = rules.match(argv);
    return m ? describe_match(*m, argv) : "(no match)";
  };
  EXPECT_EQ(describe({"git", "push", "--force", "origin"}),
            "`git push --force origin` rejected: no force pushes; use --force-with-lease");
  EXPECT_EQ(describe({"rm", "-rf", "/tmp/x"}),
            "`rm -rf /tmp/x` rejected: policy forbids commands starting with `rm -rf`");
  EXPECT_EQ(describe({"/bin/rm", "-rf", "a b"}),
            "`/bin/rm -rf 'a b'` rejected: policy forbids commands starting with `/bin/rm -rf`");
  EXPECT_EQ(describe({"git", "push", "origin"}),
            "`git push origin` requires approval: pushing needs a look");
  EXPECT_EQ(describe({"gh", "pr", "view"}), "`gh pr view` requires approval by policy");
  EXPECT_EQ(describe({"ls", "-l"}), "`ls -l` allowed by policy");
}

TEST(ExecRulesDescribe, CommandsAreQuotedLikeShlex) {
  const auto rules = load("prefix_rule(pattern = [\"echo\"], decision = \"prompt\")\n");
  const Argv argv = {"echo", "a b", "don't", "", "$HOME", "x=1", "^x", "caf\xC3\xA9", "a\\b"};
  const auto m = rules.match(argv);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(describe_match(*m, argv),
            "`echo 'a b' \"don't\" '' '$HOME' 'x=1' '^x' 'caf\xC3\xA9' \"a\\\\b\"` requires "
            "approval by policy");
}

TEST(ExecRulesDescribe, DecisionNames) {
  EXPECT_STREQ(to_string(ExecDecision::Allow), "allow");
  EXPECT_STREQ(to_string(ExecDecision::Prompt), "prompt");
  EXPECT_STREQ(to_string(ExecDecision::Forbidden), "forbidden");
}

// ---- files and globs

class ExecRulesFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "warden-rules-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::string error(const std::vector<std::string>& globs) {
    try {
      load_exec_rules(globs);
    } catch (const RulesError& e) {
      return e.what();
    }
    return "(no error)";
  }

  std::string dir;
};

TEST_F(ExecRulesFiles, GlobLoadsEveryRulesFileInOrder) {
  const std::string a =
      write("rules/a.rules", "prefix_rule(pattern = [\"curl\"], decision = \"forbidden\")\n");
  const std::string b =
      write("rules/b.rules",
            "# second file\nprefix_rule(pattern = [\"curl\"], decision = \"prompt\")\n"
            "prefix_rule(pattern = [\"make\"])\n");
  write("rules/notes.txt", "this is not a rules file (\n");
  std::filesystem::create_directories(dir + "/rules/dir.rules");  // a directory, skipped
  std::filesystem::create_symlink(dir + "/nowhere", dir + "/rules/dangling.rules");

  const auto rules = load_exec_rules({dir + "/rules/*.rules", dir + "/missing/*.rules",
                                      dir + "/rules/*.rules", "/nonexistent-warden-dir/x.rules"});
  ASSERT_EQ(rules.size(), 3u);  // b's rules are not loaded twice
  EXPECT_EQ(rules.rules()[0].source, a + ":1:1");
  EXPECT_EQ(rules.rules()[1].source, b + ":2:1");
  EXPECT_EQ(rules.rules()[2].source, b + ":3:1");
  EXPECT_EQ(decide(rules, {"curl", "x"}), "forbidden");
  EXPECT_EQ(decide(rules, {"make"}), "allow");
}

TEST_F(ExecRulesFiles, MissingDirectoriesAndFilesAreFine) {
  EXPECT_EQ(load_exec_rules({}).size(), 0u);
  EXPECT_EQ(load_exec_rules({dir + "/missing/*.rules", dir + "/none.rules", dir + "/a/b/c/*.rules"})
                .size(),
            0u);
}

TEST_F(ExecRulesFiles, ErrorsCarryTheFilePathLineAndColumn) {
  write("a.rules", "prefix_rule(pattern = [\"ls\"])\n");
  const std::string bad = write("b.rules", "prefix_rule(pattern = [\"ls\"])\nprefix_rule(oops)\n");
  EXPECT_EQ(error({dir + "/*.rules"}),
            bad +
                ":2:13: prefix_rule: unknown argument `oops`: expected one of pattern, decision, "
                "justification, match, not_match");
}

TEST_F(ExecRulesFiles, UnreadableDirectoriesAndFilesAreErrors) {
  // Symlink loops fail even for root, where permissions would not.
  std::filesystem::create_directories(dir + "/d");
  std::filesystem::create_symlink(dir + "/loop", dir + "/loop");
  EXPECT_EQ(error({dir + "/loop/*.rules"}),
            dir + "/loop: cannot read directory: Too many levels of symbolic links");
  std::filesystem::create_symlink(dir + "/d/x.rules", dir + "/d/x.rules");
  EXPECT_EQ(error({dir + "/d/*.rules"}),
            dir + "/d/x.rules: cannot read: Too many levels of symbolic links");
}

TEST_F(ExecRulesFiles, LoadFileOfAMissingPathIsAnError) {
  ExecRules rules;
  try {
    rules.load_file(dir + "/none.rules");
    FAIL() << "no error";
  } catch (const RulesError& e) {
    EXPECT_EQ(std::string(e.what()), dir + "/none.rules: cannot read: No such file or directory");
  }
  const std::string path = write("ok.rules", "prefix_rule(pattern = [\"ls\"])\n");
  rules.load_file(path);
  EXPECT_EQ(rules.size(), 1u);
  EXPECT_TRUE(starts_with(rules.rules()[0].source, path + ":"));
}
