#include "warden/policy/safe_commands.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace warden::policy;
using Argv = std::vector<std::string>;

constexpr const char* kSafe = "known-safe read-only command";

struct Case {
  Argv argv;
  std::string why;  // kSafe for a safe command
};

void check_all(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    std::string shown;
    for (const auto& a : c.argv) shown += "[" + a + "] ";
    const auto v = judge_exec(c.argv);
    EXPECT_EQ(v.why, c.why) << shown;
    EXPECT_EQ(v.safe, c.why == kSafe) << shown;
  }
}

Argv bash(const std::string& script) {
  return {"bash", "-lc", script};
}

}  // namespace

TEST(SafeCommand, PlainReadOnlyPrograms) {
  check_all({
      {{"ls"}, kSafe},
      {{"ls", "-la", "/tmp"}, kSafe},
      {{"cat", "README.md"}, kSafe},
      {{"grep", "-rn", "TODO", "src"}, kSafe},
      {{"head", "-n", "5", "a"}, kSafe},
      {{"wc", "-l", "a", "b"}, kSafe},
      {{"echo", "hi"}, kSafe},
      {{"printf", "%s\\n", "x"}, kSafe},
      {{"pwd"}, kSafe},
      {{"true"}, kSafe},
      {{"[", "-f", "x", "]"}, kSafe},
      {{"test", "-d", "x"}, kSafe},
      {{"diff", "-u", "a", "b"}, kSafe},
      {{"stat", "x"}, kSafe},
      {{"realpath", "."}, kSafe},
      {{"du", "-sh", "."}, kSafe},
      {{"tac", "x"}, kSafe},
  });
}

TEST(SafeCommand, ProgramNameIsBasenameInSystemDirectories) {
  check_all({
      {{"/usr/bin/ls", "-l"}, kSafe},
      {{"/bin/cat", "x"}, kSafe},
      {{"/usr/local/bin/rg", "foo"}, kSafe},
      {{"/usr/bin/git", "status"}, kSafe},
      {{"/home/u/proj/ls"}, "`/home/u/proj/ls` is not in a system directory"},
      {{"./ls"}, "`./ls` is not in a system directory"},
      {{"/usr/bin/../../tmp/ls"}, "`/usr/bin/../../tmp/ls` is not in a system directory"},
      {{"/usr/bin/rm", "x"}, "`rm` is not a known read-only command"},
  });
}

TEST(SafeCommand, UnknownAndEmpty) {
  check_all({
      {{}, "empty command"},
      {{""}, "`` is not a known read-only command"},
      {{"rm", "-rf", "x"}, "`rm` is not a known read-only command"},
      {{"mv", "a", "b"}, "`mv` is not a known read-only command"},
      {{"curl", "example.com"}, "`curl` is not a known read-only command"},
      {{"python3", "-c", "print(1)"}, "`python3` is not a known read-only command"},
      {{"cargo", "check"}, "`cargo` is not a known read-only command"},
      {{"xargs", "cat"}, "`xargs` is not a known read-only command"},
      {{"ev`il\x1b[2J"}, "`ev?il?[2J` is not a known read-only command"},
  });
}

TEST(SafeCommand, Find) {
  check_all({
      {{"find", ".", "-name", "*.txt"}, kSafe},
      {{"find", ".", "-type", "f", "-print0"}, kSafe},
      {{"find", ".", "-name", "x", "-exec", "rm", "{}", ";"}, "`find -exec` runs commands"},
      {{"find", ".", "-execdir", "sh", "{}", ";"}, "`find -execdir` runs commands"},
      {{"find", ".", "-ok", "rm", "{}", ";"}, "`find -ok` runs commands"},
      {{"find", ".", "-okdir", "rm", "{}", ";"}, "`find -okdir` runs commands"},
      {{"find", ".", "-delete"}, "`find -delete` deletes files"},
      {{"find", ".", "-fls", "out"}, "`find -fls` writes a file"},
      {{"find", ".", "-fprint", "out"}, "`find -fprint` writes a file"},
      {{"find", ".", "-fprint0", "out"}, "`find -fprint0` writes a file"},
      {{"find", ".", "-fprintf", "out", "%p"}, "`find -fprintf` writes a file"},
  });
}

TEST(SafeCommand, Ripgrep) {
  check_all({
      {{"rg", "-n", "foo", "src"}, kSafe},
      {{"rg", "--pre-glob", "*.gz", "foo"}, kSafe},
      {{"rg", "--pre", "sh", "foo"}, "`rg --pre` runs a command on each file"},
      {{"rg", "--pre=sh", "foo"}, "`rg --pre` runs a command on each file"},
      {{"rg", "--hostname-bin=x", "foo"}, "`rg --hostname-bin` runs a command"},
      {{"rg", "-z", "foo"}, "`rg -z` runs decompression programs"},
      {{"rg", "-iz", "foo"}, "`rg -z` runs decompression programs"},
      {{"rg", "--search-zip", "foo"}, "`rg -z` runs decompression programs"},
  });
}

TEST(SafeCommand, Sed) {
  const std::string only = "`sed` is known-safe only as `sed -n N,Mp FILE`";
  check_all({
      {{"sed", "-n", "1p", "f"}, kSafe},
      {{"sed", "-n", "1,5p", "f"}, kSafe},
      {{"sed", "-n", "10,$p", "f"}, kSafe},
      {{"sed", "-n", "3p"}, kSafe},
      {{"sed", "-n", "1,5p", "a", "b"}, kSafe},
      {{"sed", "-i", "s/a/b/", "f"}, "`sed -i` edits files"},
      {{"sed", "-i.bak", "s/a/b/", "f"}, "`sed -i` edits files"},
      {{"sed", "-ni", "1p", "f"}, "`sed -i` edits files"},
      {{"sed", "--in-place", "s/a/b/", "f"}, "`sed -i` edits files"},
      {{"sed", "-n", "1p", "f", "--in-pl"}, "`sed -i` edits files"},
      {{"sed", "s/a/b/w out", "f"}, only},
      {{"sed", "-n", "1e rm x", "f"}, only},
      {{"sed", "-n", "1p", "-fscript"}, only},
      {{"sed", "-n", "xp", "f"}, only},
      {{"sed", "-n", "1,2,3p", "f"}, only},
      {{"sed", "-n", "p", "f"}, only},
      {{"sed", "1p", "f"}, only},
      {{"sed", "-es/x/i/"}, only},  // the `i` belongs to -e's script
  });
}

TEST(SafeCommand, SortDateUniqTreeFileBase64) {
  check_all({
      {{"sort", "-u", "-t,", "-k2", "f"}, kSafe},
      {{"sort", "-to", "f"}, kSafe},  // -t's separator is `o`
      {{"sort", "-o", "out", "f"}, "`sort -o` writes a file"},
      {{"sort", "-nro", "out", "f"}, "`sort -o` writes a file"},
      {{"sort", "--output=out", "f"}, "`sort -o` writes a file"},
      {{"sort", "f", "--out", "x"}, "`sort -o` writes a file"},
      {{"sort", "--compress-program=sh", "f"}, "`sort --compress-program` runs a program"},
      {{"date"}, kSafe},
      {{"date", "+%Y-%m-%d"}, kSafe},
      {{"date", "-u", "-d", "yesterday"}, kSafe},
      {{"date", "-d", "-s"}, kSafe},  // -s is -d's argument
      {{"date", "-Iseconds"}, kSafe},
      {{"date", "-s", "2020-01-01"}, "`date -s` sets the clock"},
      {{"date", "-us", "2020-01-01"}, "`date -s` sets the clock"},
      {{"date", "--set=x"}, "`date -s` sets the clock"},
      {{"date", "--se", "x"}, "`date -s` sets the clock"},
      {{"date", "010112002024"}, "`date` with an operand sets the clock"},
      {{"uniq", "-c", "in"}, kSafe},
      {{"uniq", "-f", "2", "in"}, kSafe},
      {{"uniq", "--skip-chars", "3", "in"}, kSafe},
      {{"uniq", "in", "out"}, "`uniq` with two operands writes the second"},
      {{"uniq", "-f2", "in", "out"}, "`uniq` with two operands writes the second"},
      {{"tree", "-L", "2", "src"}, kSafe},
      {{"tree", "-o", "out"}, "`tree -o` writes a file"},
      {{"tree", "-ao", "out"}, "`tree -o` writes a file"},
      {{"tree", "-HR", "x"}, "`tree -R` writes files"},
      {{"file", "-b", "x"}, kSafe},
      {{"file", "-C", "-m", "magic"}, "`file -C` writes a file"},
      {{"file", "--compile"}, "`file -C` writes a file"},
      {{"file", "-z", "x.gz"}, "`file -z` runs decompression programs"},
      {{"base64", "-d", "x"}, kSafe},
      {{"base64", "-ob64.txt"}, "`base64 -o` writes a file"},
      {{"base64", "--output=x"}, "`base64 -o` writes a file"},
  });
}

TEST(SafeCommand, Env) {
  check_all({
      {{"env"}, kSafe},
      {{"env", "-0"}, kSafe},
      {{"env", "FOO=bar"}, kSafe},  // prints the environment, with FOO
      {{"env", "-i", "ls"}, kSafe},
      {{"env", "-u", "HOME", "-C", "/tmp", "cat", "x"}, kSafe},
      {{"env", "--", "ls"}, kSafe},
      {{"/usr/bin/env", "git", "status"}, kSafe},
      {{"env", "rm", "x"}, "`rm` is not a known read-only command"},
      {{"env", "-i", "find", ".", "-delete"}, "`find -delete` deletes files"},
      {{"env", "LD_PRELOAD=/tmp/x.so", "cat"}, "`env LD_PRELOAD=...` can change what `cat` runs"},
      {{"env", "-S", "rm -rf x"}, "`env -S` is not supported"},
      {{"env", "--split-string=ls"}, "`env -S` is not supported"},
      {{"env", "--chdir", "/", "-x", "ls"}, "`env -x` is not understood"},
      {{"env", "-u"}, "`env -u` needs an argument"},
  });
}

TEST(SafeCommand, Git) {
  check_all({
      {{"git", "status"}, kSafe},
      {{"git", "log", "--oneline", "-n", "5"}, kSafe},
      {{"git", "diff", "--stat", "HEAD~1"}, kSafe},
      {{"git", "diff", "--no-ext-diff", "--no-textconv"}, kSafe},
      {{"git", "show", "--output-indicator-new=+", "HEAD"}, kSafe},
      {{"git", "--no-pager", "log", "-p"}, kSafe},
      {{"git", "-P", "show"}, kSafe},
      {{"git", "rev-parse", "--show-toplevel"}, kSafe},
      {{"git", "ls-files", "-m"}, kSafe},
      {{"git", "blame", "-L", "1,5", "f"}, kSafe},
      {{"git", "grep", "-n", "foo"}, kSafe},
      {{"git", "grep", "-eOops"}, kSafe},  // -e's pattern, not -O
      {{"git", "-c", "core.pager=sh", "log"}, "`git -c` can set core.pager"},
      {{"git", "--config-env=core.pager=X", "log"}, "`git --config-env` can set core.pager"},
      {{"git", "-C", "/tmp/x", "status"}, "`git -C` can use another repository's config"},
      {{"git", "--git-dir=/tmp/x", "log"}, "`git --git-dir` can use another repository's config"},
      {{"git", "--work-tree", "/", "status"},
       "`git --work-tree` can use another repository's config"},
      {{"git", "--exec-path=/tmp", "status"}, "`git --exec-path` changes the programs git runs"},
      {{"git", "-p", "log"}, "`git -p` runs a pager"},
      {{"git", "--namespace=x", "log"}, "`git --namespace` is not understood"},
      {{"git"}, "`git` without a subcommand is not a known read-only command"},
      {{"git", "push"}, "`git push` is not a known read-only command"},
      {{"git", "commit", "-m", "x"}, "`git commit` is not a known read-only command"},
      {{"git", "checkout", "."}, "`git checkout` is not a known read-only command"},
      {{"git", "log", "--output=/tmp/x"}, "`git log --output` writes a file"},
      {{"git", "diff", "--out", "x"}, "`git diff --output` writes a file"},
      {{"git", "diff", "--ext-diff"}, "`git diff --ext-diff` runs an external diff program"},
      {{"git", "show", "--textconv", "HEAD:f"}, "`git show --textconv` runs textconv filters"},
      {{"git", "grep", "-O", "foo"}, "`git grep -O` runs a pager program"},
      {{"git", "grep", "-nOvim", "foo"}, "`git grep -O` runs a pager program"},
      {{"git", "grep", "--open-files-in-pager=vim", "foo"},
       "`git grep --open-files-in-pager` runs a pager program"},
  });
}

TEST(SafeCommand, GitBranch) {
  check_all({
      {{"git", "branch"}, kSafe},
      {{"git", "branch", "-a", "-vv"}, kSafe},
      {{"git", "branch", "--show-current"}, kSafe},
      {{"git", "branch", "--list", "feat/*"}, kSafe},
      {{"git", "branch", "--contains", "HEAD"}, kSafe},
      {{"git", "branch", "--merged=main", "--sort=-committerdate"}, kSafe},
      {{"git", "branch", "topic"}, "`git branch NAME` creates a branch"},
      {{"git", "branch", "-v", "topic"}, "`git branch NAME` creates a branch"},
      {{"git", "branch", "-d", "topic"}, "`git branch -d` is not read-only"},
      {{"git", "branch", "-D", "topic"}, "`git branch -D` is not read-only"},
      {{"git", "branch", "-m", "a", "b"}, "`git branch -m` is not read-only"},
      {{"git", "branch", "--set-upstream-to=o/m"},
       "`git branch --set-upstream-to` is not read-only"},
  });
}

TEST(SafeCommand, ShellScripts) {
  check_all({
      {bash("ls"), kSafe},
      {{"bash", "-c", "ls -1"}, kSafe},
      {{"sh", "-c", "pwd"}, kSafe},
      {{"zsh", "-lc", "ls"}, kSafe},
      {{"dash", "-l", "-c", "ls"}, kSafe},
      {{"/bin/bash", "--login", "-c", "ls"}, kSafe},
      {bash("ls && cat README.md"), kSafe},
      {bash("grep -R \"Cargo.toml\" -n || true"), kSafe},
      {bash("echo 'hi' ; ls"), kSafe},
      {bash("ls | wc -l"), kSafe},
      {bash("ls\npwd\n"), kSafe},
      {bash("ls &&\n  pwd"), kSafe},
      {bash("ls;"), kSafe},
      {bash("sed -n '1,5p' file.txt"), kSafe},
      {bash("find . -name '*.py'"), kSafe},
      {bash("ls *.txt src/?.c"), kSafe},
      {bash("[ -f x ] && cat x"), kSafe},
      {bash("cat a\\ b \"c d\" 'e \"f\"'"), kSafe},
      {bash("git log --oneline | head -n 3"), kSafe},
      {bash("echo don\\'t"), kSafe},
      {bash("ls \\\n  -l"), kSafe},
      {bash("ls && rm -rf x"), "`rm` is not a known read-only command"},
      {bash("rm x; ls"), "`rm` is not a known read-only command"},
      {bash("ls | xargs rm"), "`xargs` is not a known read-only command"},
      {bash("find . -name x -delete"), "`find -delete` deletes files"},
      {bash("git status && git push"), "`git push` is not a known read-only command"},
      {bash("'git status'"), "`git status` is not a known read-only command"},
      {{"bash", "-lc", "git", "status"},
       "`bash -c` with arguments after the script is not supported"},
      {{"bash", "script.sh"}, "`bash` without `-c` runs a script"},
      {{"bash"}, "`bash` without `-c` runs a script"},
      {{"bash", "-c"}, "`bash -c` without a script"},
      {{"bash", "-ic", "ls"}, "`bash -ic` is not supported"},
      {{"bash", "-c", ""}, "empty script"},
      {{"bash", "-c", "  \n"}, "empty script"},
  });
}

TEST(SafeCommand, ShellConstructsOutsideTheSubset) {
  check_all({
      {bash("ls > out.txt"), "redirection `>` writes a file"},
      {bash("ls>out.txt"), "redirection `>` writes a file"},
      {bash("ls >> out.txt"), "redirection `>>` writes a file"},
      {bash("ls 2> err"), "redirection `2>` writes a file"},
      {bash("ls >| out"), "redirection `>|` writes a file"},
      {bash("ls &> out"), "redirection `&>` writes a file"},
      {bash("ls >&out"), "redirection `>&` writes a file"},
      {bash("ls >/dev/nullx"), "redirection `>` writes a file"},
      {bash("ls >'/dev/null'"), "redirection `>` writes a file"},
      {bash("wc -l < f"), "redirection `<` is not supported"},
      {bash("cat <<EOF\nhi\nEOF"), "heredoc `<<` is not supported"},
      {bash("cat <<-EOF\nhi\nEOF"), "heredoc `<<-` is not supported"},
      {bash("cat <<< hi"), "here-string `<<<` is not supported"},
      {bash("diff <(ls a) <(ls b)"), "process substitution `<(` is not supported"},
      {bash("echo $(rm -rf x)"), "command substitution `$(` is not supported"},
      {bash("echo \"$(id)\""), "command substitution `$(` is not supported"},
      {bash("echo `id`"), "command substitution with backticks is not supported"},
      {bash("echo \"`id`\""), "command substitution with backticks is not supported"},
      {bash("echo $HOME"), "expansion `$` is not supported"},
      {bash("echo \"$HOME\""), "expansion `$` is not supported"},
      {bash("echo $'a'"), "expansion `$` is not supported"},
      {bash("(ls)"), "subshell `(` is not supported"},
      {bash("ls || (pwd && echo hi)"), "subshell `(` is not supported"},
      {bash("{ ls; }"), "braces `{` are not supported"},
      {bash("echo a{b,c}"), "braces `{` are not supported"},
      {bash("ls &"), "background `&` is not supported"},
      {bash("ls |& cat"), "`|&` is not supported"},
      {bash("FOO=bar ls"), "assignment `FOO=` is not supported"},
      {bash("GIT_PAGER=sh git log"), "assignment `GIT_PAGER=` is not supported"},
      {bash("echo 'unterminated"), "unterminated quote"},
      {bash("echo \"unterminated"), "unterminated quote"},
      {bash("ls \\"), "trailing `\\` is not supported"},
      {bash("ls # rm -rf x"), "comment `#` is not supported"},
      // bash runs `rm` after the comment ends at the newline, then fails on the quote.
      {bash("echo #'\nrm -rf x\n'"), "comment `#` is not supported"},
      {bash("ls && && pwd"), "empty command before `&&`"},
      {bash("; ls"), "empty command before `;`"},
      {bash("ls ;; pwd"), "`;;` is not supported"},
      {bash("ls &&"), "script ends with `&&`"},
      {bash("ls |"), "script ends with `|`"},
      {bash("echo a#b"), kSafe},  // `#` inside a word is not a comment
  });
}

TEST(SafeCommand, RedirectionsThatWriteNoFile) {
  check_all({
      {bash("ls 2>/dev/null"), kSafe},
      {bash("ls 2> /dev/null | head"), kSafe},
      {bash("ls >/dev/null"), kSafe},
      {bash("ls 1>/dev/null && pwd"), kSafe},
      {bash("git log 2>&1 | head"), kSafe},
      {bash("echo oops >&2"), kSafe},
      {bash("2>/dev/null ls"), kSafe},
      {bash("echo a2>/dev/null"), kSafe},  // `a2` is a word and `>` redirects stdout
      {bash("echo a2>x"), "redirection `>` writes a file"},
      {bash("ls 3>/dev/null"), "redirection `3>` writes a file"},
      {bash("ls 2>&3"), "redirection `2>&` writes a file"},
      {bash("ls >&-"), "redirection `>&` writes a file"},
      {bash("ls '2'>/dev/null"), kSafe},  // a quoted 2 is an argument; stdout goes to /dev/null
      {bash("ls '2'>x"), "redirection `>` writes a file"},
      {bash("2>/dev/null"), "redirection without a command is not supported"},
  });
}

TEST(SafeCommand, GlobsOnlyWhereArgumentsAreNotChecked) {
  // A glob can expand to a name such as `-delete` or `--pre=sh`, or to two operands for uniq.
  check_all({
      {bash("cat *"), kSafe},
      {bash("grep foo src/*.c"), kSafe},
      {bash("find *"), "glob `*` in `find` arguments is not supported"},
      {bash("rg foo *"), "glob `*` in `rg` arguments is not supported"},
      {bash("uniq in*"), "glob `in*` in `uniq` arguments is not supported"},
      {bash("find '*'"), kSafe},
      {bash("l?"), "glob `l?` as a command is not supported"},
      {bash("/usr/bin/l*"), "glob `/usr/bin/l*` as a command is not supported"},
  });
}

TEST(SafeCommand, NestedShellsAndEnv) {
  check_all({
      {bash("bash -c 'ls && pwd'"), kSafe},
      {bash("sh -c \"git status\""), kSafe},
      {bash("env ls"), kSafe},
      {bash("bash -c 'rm x'"), "`rm` is not a known read-only command"},
      {{"env", "bash", "-c", "ls > x"}, "redirection `>` writes a file"},
      {{"env", "env", "env", "env", "ls"}, kSafe},
      {{"env", "env", "env", "env", "env", "ls"}, "commands nested too deeply"},
      {bash("bash -c \"bash -c 'ls'\""), kSafe},
  });
  // Each level quotes the one inside it; past the bound the verdict is unsafe, whatever the
  // innermost command.
  std::string script = "ls";
  for (int depth = 0; depth < 10; ++depth) {
    std::string quoted = "'";
    for (char c : script) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    script = "bash -c " + quoted + "'";
  }
  const auto v = judge_exec(bash(script));
  EXPECT_FALSE(v.safe);
  EXPECT_EQ(v.why, "commands nested too deeply");
}

TEST(SafeCommand, LongWordsAreShortenedInWhy) {
  const std::string name(100, 'x');
  EXPECT_EQ(judge_exec({name}).why,
            "`" + std::string(60, 'x') + "...` is not a known read-only command");
  // A cut never splits a UTF-8 sequence.
  const std::string accents = std::string(59, 'a') + "\xC3\xA9" + "zz";
  EXPECT_EQ(judge_exec({accents}).why,
            "`" + std::string(59, 'a') + "...` is not a known read-only command");
}
