// Held syscalls: writes that stay inside the sandbox pass silently (warden performs them), writes
// that leave it become approval requests that are refused (EACCES, one audit line) or, when a
// reviewer approves, performed exactly as the program asked.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common.hpp"
#include "warden/policy/json.hpp"

namespace warden::test {
namespace {

// A reviewer_command that approves every request whose path contains APPROVE, denies the rest,
// and appends each request it saw to a log.
class Holds : public ::testing::Test {
 protected:
  void SetUp() override {
    reviewer_ = env_.home() / "reviewer.sh";
    write_text(
        reviewer_,
        "#!/bin/sh\n"
        // The policy text in force comes last; only the request is judged.
        "req=$(sed 's/,\"policy\":.*$//')\n"
        "printf '%s\\n' \"$req\" >> " +
            (env_.home() / "seen.jsonl") +
            "\n"
            "case \"$req\" in\n"
            "  *APPROVE*) echo '{\"decision\":\"approve\",\"risk\":\"low\",\"reason\":\"test\"}' "
            ";;\n"
            "  *) echo '{\"decision\":\"deny\",\"risk\":\"high\",\"reason\":\"test says no\"}' ;;\n"
            "esac\n");
    ::chmod(reviewer_.c_str(), 0755);
    audit_ = ws_ / "audit.jsonl";
  }
  Result run(const std::vector<std::string>& cmd, std::vector<std::string> options = {}) {
    options.insert(options.begin(), {"--audit", audit_});
    return test::run(env_.argv(ws_.path(), options, cmd), env_.options());
  }
  std::vector<std::string> approving() {
    return {"-c", "warden.reviewer_command=[\"" + reviewer_ + "\"]"};
  }
  Env env_;
  TempDir ws_;
  std::string reviewer_, audit_;
};

TEST_F(Holds, InsideWritesPassSilently) {
  auto r = run({"/bin/sh", "-c",
                "mkdir -p d/e && echo hi > d/e/f && mv d/e/f d/g && ln -s g d/l && chmod 600 d/g "
                "&& rm d/l && touch -d 2020-01-01 d/g && cat d/g > /dev/null && echo done"},
               {"-a", "never"});
  EXPECT_EQ(r.out, "done\n") << r.err;
  EXPECT_EQ(read_text(ws_ / "d/g"), "hi\n");
  EXPECT_TRUE(audit_events(audit_, "request").empty());
}

// futimens() (utimensat with a null path) names only a descriptor the program holds: not held,
// like fchmod; the floor lets it change what lies inside and refuses what lies outside.
TEST_F(Holds, TimesSetThroughADescriptorAreLeftToTheFloor) {
  TempDir outside("/var/tmp");
  write_text(outside / "x", "x");
  struct stat before {};
  ASSERT_EQ(::stat((outside / "x").c_str(), &before), 0);
  auto r = run({"/bin/sh", "-c",
                "echo hi > f && touch -d @1577836800 - 1<f && stat -c %Y f; "
                "touch -d @1577836800 - 1<" +
                    (outside / "x") + " 2>/dev/null || echo refused"},
               {"-a", "never"});
  EXPECT_EQ(r.out, "1577836800\nrefused\n") << r.err;
  struct stat after {};
  ASSERT_EQ(::stat((outside / "x").c_str(), &after), 0);
  EXPECT_EQ(after.st_mtime, before.st_mtime);
  EXPECT_TRUE(audit_events(audit_, "request").empty());
}

TEST_F(Holds, OutsideWriteUnderNeverIsRefusedWithEaccesAndOneAuditLine) {
  TempDir outside("/var/tmp");
  auto r = run(probe_cmd({"write", outside / "x"}), {"-a", "never"});
  EXPECT_EQ(r.out, "errno=EACCES\n") << r.err;
  EXPECT_FALSE(exists(outside / "x"));
  auto requests = audit_events(audit_, "request");
  ASSERT_EQ(requests.size(), 1u);
  const auto& q = requests[0];
  EXPECT_EQ(q.find("category")->as_string(), "sandbox_approval");
  EXPECT_EQ(q.find("kind")->as_string(), "file_write");
  EXPECT_EQ(q.find("syscall")->as_string(), "openat");
  EXPECT_EQ(q.find("path")->as_string(), outside / "x");
  EXPECT_EQ(q.find("decision")->as_string(), "deny");
  EXPECT_EQ(q.find("decided_by")->as_string(), "granular");
  EXPECT_TRUE(q.find("elapsed_ms")->is_int());
}

TEST_F(Holds, ApprovedWritesArePerformedExactly) {
  TempDir outside("/var/tmp");
  std::string dir = outside / "APPROVE";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  auto r = run({"/bin/sh", "-c",
                "umask 027; cd " + dir +
                    " && echo content > f && mkdir sub && mv f g && "
                    "ln -s g link && chmod 640 g && rm link && echo ok"},
               approving());
  EXPECT_EQ(r.out, "ok\n") << r.err;
  EXPECT_EQ(read_text(dir + "/g"), "content\n");
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/g").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_uid, ::geteuid());
  ASSERT_EQ(::stat((dir + "/sub").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);  // 0777 under the program's umask 027
  EXPECT_FALSE(exists(dir + "/link"));
  auto requests = audit_events(audit_, "request");
  EXPECT_GE(requests.size(), 5u);
  for (const auto& q : requests) {
    EXPECT_EQ(q.find("decision")->as_string(), "approve");
    EXPECT_EQ(q.find("decided_by")->as_string(), "auto_review");  // reviewer_command
  }
}

TEST_F(Holds, ReviewerDenialIsEacces) {
  TempDir outside("/var/tmp");
  auto r = run(probe_cmd({"write", outside / "nope"}), approving());
  EXPECT_EQ(r.out, "errno=EACCES\n") << r.err;
  EXPECT_FALSE(exists(outside / "nope"));
  auto seen = read_text(env_.home() / "seen.jsonl");
  ASSERT_TRUE(seen);
  EXPECT_NE(seen->find("\"kind\":\"file_write\""), std::string::npos) << *seen;
}

TEST_F(Holds, ProtectedNamesAtAnyDepthAndNewRepositoriesAreRequests) {
  ASSERT_EQ(::system(("git init -q " + (ws_ / "nested")).c_str()), 0);
  auto r = run(probe_cmd({"write", ws_ / "nested/.git/hooks/pre-commit"}), {"-a", "never"});
  EXPECT_EQ(r.out, "errno=EACCES\n") << r.err;
  EXPECT_FALSE(exists(ws_ / "nested/.git/hooks/pre-commit"));
  r = run(probe_cmd({"write", ws_ / "nested/.git/config"}), {"-a", "never"});
  EXPECT_EQ(r.out, "errno=EACCES\n");
  r = run(probe_cmd({"write", ws_ / "deep/.envrc"}), {"-a", "never"});
  EXPECT_EQ(r.out, "errno=ENOENT\n");  // the parent does not exist: the plain answer
  ::mkdir((ws_ / "deep").c_str(), 0755);
  r = run(probe_cmd({"write", ws_ / "deep/.envrc"}), {"-a", "never"});
  EXPECT_EQ(r.out, "errno=EACCES\n");
  EXPECT_FALSE(exists(ws_ / "deep/.envrc"));
  r = run(probe_cmd({"mkdir", ws_ / "deep/.git"}), {"-a", "never"});
  EXPECT_EQ(r.out, "errno=EACCES\n");
  EXPECT_FALSE(exists(ws_ / "deep/.git"));
  // Ordinary git work in the nested repository still passes.
  r = run({"/bin/sh", "-c",
           "cd nested && echo a > a && git add a && git -c user.name=t -c user.email=t@t commit "
           "-qm one && echo committed"},
          {"-a", "never"});
  EXPECT_EQ(r.out, "committed\n") << r.err;
}

TEST_F(Holds, ProtectedFilesCannotBeLinkedOrMovedAway) {
  ASSERT_EQ(::system(("git init -q " + ws_.path()).c_str()), 0);
  auto before = read_text(ws_ / ".git/config");
  // A second name for the protected inode would let writes through that name change it.
  auto r = run({"/bin/sh", "-c", "ln .git/config alias; echo evil >> alias; mv .git .gone; true"},
               {"-a", "never"});
  struct stat a {
  }, b{};
  ASSERT_EQ(::stat((ws_ / ".git/config").c_str(), &b), 0);
  if (::stat((ws_ / "alias").c_str(), &a) == 0) {
    EXPECT_NE(a.st_ino, b.st_ino) << "linked";
  }
  EXPECT_FALSE(exists(ws_ / ".gone"));
  EXPECT_EQ(read_text(ws_ / ".git/config"), before);
}

TEST_F(Holds, HoldReadsMakesASecretReadApprovable) {
  TempDir secrets("/var/tmp");
  std::string dir = secrets / "APPROVE";
  ::mkdir(dir.c_str(), 0755);
  write_text(dir + "/token", "SECRET");
  write_text(secrets / "other", "HIDDEN");
  std::vector<std::string> opts{"-c", "warden.deny_read=[\"" + secrets.path() + "\"]", "-c",
                                "warden.hold_reads=true"};
  // Without hold_reads the mask just refuses.
  EXPECT_EQ(
      run({"/bin/cat", dir + "/token"}, {"-c", "warden.deny_read=[\"" + secrets.path() + "\"]"})
          .out,
      "");
  auto approve = approving();
  opts.insert(opts.end(), approve.begin(), approve.end());
  auto r = run(
      {"/bin/sh", "-c", "cat " + dir + "/token; echo; cat " + (secrets / "other") + "; echo rc=$?"},
      opts);
  EXPECT_EQ(r.out, "SECRET\nrc=1\n") << r.err;  // approved; the other one denied
  auto requests = audit_events(audit_, "request");
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[0].find("kind")->as_string(), "file_read");
  EXPECT_EQ(requests[0].find("decision")->as_string(), "approve");
  // Ordinary reads are not held as requests.
  for (const auto& q : requests)
    EXPECT_NE(q.find("path")->as_string().find(secrets.path()), std::string::npos);
}

TEST_F(Holds, ReopeningOwnDescriptorsCannotWriteOutside) {
  TempDir outside("/var/tmp");
  write_text(outside / "notes", "keep me\n");
  // stdin is the user's own file, opened outside the sandbox (on a writable host mount): warden
  // reopens /dev/stdin for the program, and must not truncate it.
  RunOptions o = env_.options();
  o.stdin_path = outside / "notes";
  auto r = test::run(
      env_.argv(ws_.path(), {"-a", "never"},
                {"/bin/sh", "-c", "true > /dev/stdin; echo rc=$?; echo via-stdout > /dev/stdout"}),
      o);
  EXPECT_EQ(r.out, "rc=2\nvia-stdout\n") << r.err;
  EXPECT_EQ(read_text(outside / "notes"), "keep me\n");
}

TEST_F(Holds, OnDenyKillKillsTheTree) {
  TempDir outside("/var/tmp");
  auto r = run({"/bin/sh", "-c", "echo x > " + (outside / "k") + "; echo survived"},
               {"-a", "never", "--on-deny", "kill"});
  EXPECT_EQ(r.code, 128 + SIGKILL) << r.out << r.err;
  EXPECT_EQ(r.out.find("survived"), std::string::npos);
  EXPECT_FALSE(exists(outside / "k"));
}

// A thread flips the path between an inside name and an outside or protected one while the main
// thread opens, creates, renames and makes directories through it. Nothing may appear outside
// or under the protected name.
TEST_F(Holds, PathFlipRaceCreatesNothingOutsideOrProtected) {
  TempDir outside("/var/tmp");
  ::mkdir((ws_ / ".git").c_str(), 0755);
  ::mkdir((ws_ / ".git/hooks").c_str(), 0755);
  for (const char* op : {"open", "creat", "rename", "mkdir"}) {
    auto r =
        run(probe_cmd({"race", op, ws_ / "inside", outside / "escaped", "2"}), {"-a", "never"});
    EXPECT_EQ(r.code, 0) << op << ": " << r.err;
    EXPECT_FALSE(exists(outside / "escaped")) << op;
    r = run(probe_cmd({"race", op, ws_ / "inside", ws_ / ".git/hooks/post-checkout", "2"}),
            {"-a", "never"});
    EXPECT_FALSE(exists(ws_ / ".git/hooks/post-checkout")) << op;
  }
}

TEST_F(Holds, RealWorkloadsRunUnderHolds) {
  // make -j2 of a small C project, a pipeline, threads, fork+exec.
  for (int i = 0; i < 8; ++i)
    write_text(ws_ / ("f" + std::to_string(i) + ".c"),
               "int f" + std::to_string(i) + "(void){return " + std::to_string(i) + ";}\n");
  write_text(ws_ / "main.c", "int main(void){return 0;}\n");
  write_text(
      ws_ / "Makefile",
      "SRC=$(wildcard *.c)\nOBJ=$(SRC:.c=.o)\nprog: $(OBJ)\n\tcc -o $@ $^\n%.o: %.c\n\tcc -c "
      "-o $@ $<\n");
  auto r = run({"/bin/sh", "-c",
                "make -s -j2 && ./prog && seq 1 2000 | sort -n -r | head -1 > top && cat top"},
               {"-a", "never"});
  EXPECT_EQ(r.out, "2000\n") << r.err;
  EXPECT_TRUE(exists(ws_ / "prog"));
  r = run({"/bin/sh", "-c",
           "mkfifo p && (cat p > got &) && echo through-fifo > p && sleep 0.2 && cat got"},
          {"-a", "never"});
  EXPECT_EQ(r.out, "through-fifo\n") << r.err;
  r = run(probe_cmd({"threads", ws_.path()}), {"-a", "never"});
  EXPECT_EQ(r.out, "ok\n") << r.err;
}

TEST_F(Holds, KillingWardenLeavesNoHeldCallSucceeding) {
  TempDir outside("/var/tmp");
  // The reviewer never answers; warden is killed while the write is held.
  write_text(reviewer_, "#!/bin/sh\nsleep 30\n");
  Process p(env_.argv(ws_.path(), approving(),
                      {"/bin/sh", "-c", "echo started; echo x > " + (outside / "late")}),
            env_.options());
  ASSERT_TRUE(p.wait_for_output("started"));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto tree = descendants(p.pid());
  ::kill(p.pid(), SIGKILL);
  p.finish();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(exists(outside / "late"));
  for (pid_t pid : tree) {
    char comm[64] = {};
    auto c = read_text("/proc/" + std::to_string(pid) + "/comm");
    if (c && c->find("reviewer") != std::string::npos) continue;  // the reviewer is warden's
    if (c && c->find("sleep") != std::string::npos) continue;
    (void)comm;
    EXPECT_FALSE(alive(pid)) << "pid " << pid << " survived";
  }
}

TEST_F(Holds, NestedListenerIsRefusedWith126) {
  // warden started under another seccomp listener (syd, LXD interception, another warden):
  // the kernel refuses a second listener and warden must not run the command unsupervised.
  RunOptions o = env_.options();
  o.foreign_listener = true;
  auto r = test::run(env_.argv(ws_.path(), {}, {"/bin/sh", "-c", "echo ran > " + (ws_ / "m")}), o);
  EXPECT_EQ(r.code, 126) << r.err;
  EXPECT_NE(r.err.find("another seccomp listener"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(ws_ / "m"));
}

}  // namespace
}  // namespace warden::test

namespace warden::test {
namespace {

TEST_F(Holds, ExecRulesForbidPromptAndAllow) {
  write_text(
      env_.home() / "t.rules",
      "prefix_rule(pattern = [\"date\"], decision = \"forbidden\", justification = \"no clocks\")\n"
      "prefix_rule(pattern = [\"uname\", [\"-a\", \"APPROVE\"]], decision = \"prompt\")\n");
  std::vector<std::string> rules{"-c", "warden.exec_rules=[\"" + (env_.home() / "*.rules") + "\"]"};
  // forbidden: in every mode, even with an approving reviewer.
  std::string argv_reviewer = env_.home() / "argv-reviewer.sh";
  write_text(argv_reviewer,
             "#!/bin/sh\ncase \"$(cat)\" in\n"
             "  *'\"argv\":[\"uname\",\"APPROVE\"]'*) echo '{\"decision\":\"approve\"}' ;;\n"
             "  *) echo '{\"decision\":\"deny\"}' ;;\nesac\n");
  ::chmod(argv_reviewer.c_str(), 0755);
  auto opts = rules;
  opts.insert(opts.end(), {"-c", "warden.reviewer_command=[\"" + argv_reviewer + "\"]"});
  auto r = run({"/bin/sh", "-c",
                "date; echo rc=$?; uname -a; echo rc=$?; uname APPROVE; echo rc=$?; uname -s"},
               opts);
  EXPECT_EQ(r.out, "rc=126\nrc=126\nrc=1\nLinux\n") << r.err;  // uname APPROVE ran (bad operand)
  auto requests = audit_events(audit_, "request");
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].find("category")->as_string(), "rules");
  EXPECT_EQ(requests[0].find("decided_by")->as_string(), "exec_rule");
  EXPECT_EQ(requests[0].find("reason")->as_string(), "`date` rejected: no clocks");
  EXPECT_EQ(requests[1].find("decision")->as_string(), "deny");  // the reviewer said no
  EXPECT_EQ(requests[2].find("decision")->as_string(), "approve");
  EXPECT_EQ(requests[2].find("argv")->as_array().size(), 2u);
  // rules = false in a granular table: prompt rules are refused without asking.
  r = run({"/bin/sh", "-c", "uname APPROVE; echo rc=$?"},
          {"-c", "warden.exec_rules=[\"" + (env_.home() / "*.rules") + "\"]", "-c",
           "approval_policy={granular={sandbox_approval=true,rules=false,mcp_elicitations=true}}",
           "-c", "warden.reviewer_command=[\"" + reviewer_ + "\"]"});
  EXPECT_EQ(r.out, "rc=126\n") << r.err;
}

TEST_F(Holds, BrokenRulesFileIsAConfigurationError) {
  write_text(env_.home() / "bad.rules", "prefix_rule(pattern = [\"x\"], decision = \"maybe\")\n");
  auto r = run({"true"}, {"-c", "warden.exec_rules=[\"" + (env_.home() / "bad.rules") + "\"]"});
  EXPECT_EQ(r.code, 125);
  EXPECT_NE(r.err.find("bad.rules:1:"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace warden::test

namespace warden::test {
namespace {

TEST_F(Holds, SkillScriptsAreSkillApprovalRequests) {
  TempDir skills("/var/tmp");
  ::mkdir((skills / "deploy").c_str(), 0755);
  write_text(skills / "deploy/run.sh", "#!/bin/sh\necho deployed\n");
  ::chmod((skills / "deploy/run.sh").c_str(), 0755);
  std::vector<std::string> opts{"-c", "warden.skill_roots=[\"" + skills.path() + "\"]"};
  // skill_approval omitted from a granular table defaults to false: refused without asking.
  opts.insert(
      opts.end(),
      {"-c",
       "approval_policy={granular={sandbox_approval=true,rules=true,mcp_elicitations=true}}"});
  auto r = run({"/bin/sh", "-c", skills / "deploy/run.sh" + "; echo rc=$?"}, opts);
  EXPECT_EQ(r.out, "rc=126\n") << r.err;
  auto requests = audit_events(audit_, "request");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].find("category")->as_string(), "skill_approval");
  EXPECT_EQ(requests[0].find("kind")->as_string(), "skill");
  EXPECT_EQ(requests[0].find("skill")->as_string(), "deploy");
  EXPECT_NE(requests[0].find("reason")->as_string().find("skill_approval is false"),
            std::string::npos);
}

TEST_F(Holds, NoFollowWriteOpensInsideWork) {
  // A held write-open with O_NOFOLLOW of a plain file is performed, not refused with ELOOP.
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no python3";
  write_text(ws_ / "f", "old");
  auto r = run({"/usr/bin/python3", "-c",
                "import os\n"
                "fd = os.open('f', os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW)\n"
                "os.write(fd, b'new')\n"
                "os.symlink('f', 'l')\n"
                "try:\n"
                "  os.open('l', os.O_WRONLY | os.O_NOFOLLOW)\n"
                "except OSError as e:\n"
                "  print(e.errno == 40)\n"},
               {"-a", "never"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "True\n");  // a link stays refused with ELOOP, as the kernel does
  EXPECT_EQ(read_text(ws_ / "f"), "new");
}

TEST_F(Holds, HoldReadsDoesNotAskAboutReadingProtectedNames) {
  ASSERT_EQ(std::system(("git -C " + ws_.path() + " init -q repo && git -C " + (ws_ / "repo") +
                         " -c user.name=t -c user.email=t@t commit -q --allow-empty -m first")
                            .c_str()),
            0);
  auto r = run({"/bin/sh", "-c", "cd repo && git status --short && git log --oneline | wc -l"},
               {"-a", "never", "-c", "warden.hold_reads=true"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "1\n") << r.err;
  EXPECT_TRUE(audit_events(audit_, "request").empty()) << *read_text(audit_);
}

}  // namespace
}  // namespace warden::test
