// The user reviewer, for real: warden runs on a pseudo-terminal the test owns, prompts appear on
// it and are answered by typing; `warden pending/approve/deny` answer from another process over
// the control socket; a sandboxed command cannot answer for itself.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common.hpp"
#include "warden/policy/json.hpp"

namespace warden::test {
namespace {

using namespace std::chrono_literals;

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

class Approval : public ::testing::Test {
 protected:
  void SetUp() override {
    ::chmod(runtime_.path().c_str(), 0700);
    audit_ = ws_ / "audit.jsonl";
  }
  RunOptions options(bool pty) const {
    RunOptions o = env_.options();
    o.env.push_back("XDG_RUNTIME_DIR=" + runtime_.path());
    o.use_pty = pty;
    o.timeout_s = 60;
    return o;
  }
  std::vector<std::string> argv(const std::vector<std::string>& cmd,
                                std::vector<std::string> opts = {}) const {
    opts.insert(opts.begin(), {"--audit", audit_, "--review-timeout", "30"});
    return env_.argv(ws_.path(), opts, cmd);
  }
  std::vector<std::string> sh(const std::string& script) const { return {"/bin/sh", "-c", script}; }
  std::string write_cmd(const std::string& path) const {
    return std::string(probe()) + " write '" + path + "'";
  }
  // Lets the prompt arm (input in its first moments is dropped as typed-ahead).
  static void settle() { std::this_thread::sleep_for(400ms); }
  Result warden_cli(const std::vector<std::string>& args) const {
    std::vector<std::string> a{warden()};
    a.insert(a.end(), args.begin(), args.end());
    return run(a, options(false));
  }
  // Polls `warden pending` until a request shows; returns its RUN:ID.
  std::string wait_pending() const {
    for (int i = 0; i < 200; ++i) {
      auto r = warden_cli({"pending"});
      auto tab = r.out.find('\t');
      if (tab != std::string::npos) return r.out.substr(0, tab);
      std::this_thread::sleep_for(50ms);
    }
    return {};
  }

  Env env_;
  TempDir ws_;
  TempDir outside_{"/var/tmp"};
  TempDir runtime_{"/var/tmp"};  // visible in the sandbox, as a user's runtime dir is
  std::string audit_;
};

TEST_F(Approval, YesApprovesOnceAndNoDenies) {
  Process p(argv(sh(write_cmd(outside_ / "a") + "; " + write_cmd(outside_ / "b"))), options(true));
  ASSERT_TRUE(p.wait_for_output("asks to write " + (outside_ / "a"))) << p.output_so_far();
  settle();
  p.send("y");
  ASSERT_TRUE(p.wait_for_output("asks to write " + (outside_ / "b"))) << p.output_so_far();
  settle();
  p.send("n");
  auto r = p.finish();
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(exists(outside_ / "a"));
  EXPECT_FALSE(exists(outside_ / "b"));
  EXPECT_NE(r.out.find("ok"), std::string::npos);
  EXPECT_NE(r.out.find("errno=EACCES"), std::string::npos);
  auto reqs = audit_events(audit_, "request");
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].find("decision")->as_string(), "approve");
  EXPECT_EQ(reqs[0].find("decided_by")->as_string(), "user");
  EXPECT_EQ(reqs[1].find("decision")->as_string(), "deny");
}

TEST_F(Approval, AlwaysCoversTheSamePathOnly) {
  const std::string a = write_cmd(outside_ / "a");
  Process p(argv(sh(a + "; " + a + "; " + write_cmd(outside_ / "b"))), options(true));
  ASSERT_TRUE(p.wait_for_output("asks to write " + (outside_ / "a"))) << p.output_so_far();
  settle();
  p.send("a");
  ASSERT_TRUE(p.wait_for_output("asks to write " + (outside_ / "b"))) << p.output_so_far();
  settle();
  p.send("n");
  auto r = p.finish();
  EXPECT_EQ(count(r.out, "asks to write"), 2u) << r.out;
  EXPECT_EQ(count(r.out, "ok"), 2u) << r.out;
  EXPECT_FALSE(exists(outside_ / "b"));
  auto reqs = audit_events(audit_, "request");
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[1].find("decided_by")->as_string(), "session");
}

TEST_F(Approval, KillEndsTheWholeTree) {
  Process p(argv(sh(write_cmd(outside_ / "a") + "; echo AFTER-THE-KILL")), options(true));
  ASSERT_TRUE(p.wait_for_output("asks to write")) << p.output_so_far();
  settle();
  p.send("k");
  auto r = p.finish();
  EXPECT_EQ(r.code, 128 + SIGKILL) << r.out;
  EXPECT_EQ(r.out.find("AFTER-THE-KILL"), std::string::npos);
  EXPECT_FALSE(exists(outside_ / "a"));
}

TEST_F(Approval, NoAnswerBeforeTheTimeoutDenies) {
  Process p(argv({probe(), "write", outside_ / "a"}, {"--review-timeout", "1"}), options(true));
  auto r = p.finish();
  EXPECT_NE(r.out.find("no answer in time: denied"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("errno=EACCES"), std::string::npos) << r.out;
  EXPECT_FALSE(exists(outside_ / "a"));
  auto reqs = audit_events(audit_, "request");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_NE(reqs[0].find("reason")->as_string().find("review_timeout_s"), std::string::npos);
}

TEST_F(Approval, TypedAheadInputDoesNotAnswer) {
  // The command waits, so "y" typed now is input for it, not an answer to a prompt to come.
  Process p(argv(sh("sleep 1; " + write_cmd(outside_ / "a"))), options(true));
  std::this_thread::sleep_for(200ms);
  p.send("yyy");
  ASSERT_TRUE(p.wait_for_output("asks to write")) << p.output_so_far();
  p.send("y");  // the moment the prompt appears: before anyone could have read it
  std::this_thread::sleep_for(1s);
  EXPECT_FALSE(exists(outside_ / "a")) << "typed-ahead input answered the prompt";
  p.send("n");
  auto r = p.finish();
  EXPECT_NE(r.out.find("errno=EACCES"), std::string::npos) << r.out;
  EXPECT_FALSE(exists(outside_ / "a"));
}

TEST_F(Approval, EscapeSequencesDoNotAnswer) {
  Process p(argv({probe(), "write", outside_ / "a"}), options(true));
  ASSERT_TRUE(p.wait_for_output("asks to write")) << p.output_so_far();
  settle();
  // What a terminal sends back when asked (device attributes, a window title holding "y").
  p.send("\x1b[?1;2c");
  p.send("\x1b]ly\x1b\\");
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(exists(outside_ / "a"));
  p.send("n");
  auto r = p.finish();
  EXPECT_FALSE(exists(outside_ / "a")) << r.out;
}

TEST_F(Approval, HostilePathIsShownHarmlessly) {
  const std::string evil = outside_ /
                           "x\x1b[2J\x1b]0;pwned\x07\xe2\x80\xae"
                           "gnp.exe";
  Process p(argv({probe(), "write", evil}), options(true));
  ASSERT_TRUE(p.wait_for_output("asks to write")) << p.output_so_far();
  settle();
  p.send("n");
  auto r = p.finish();
  const auto at = r.out.find("asks to write");
  ASSERT_NE(at, std::string::npos);
  const std::string prompt = r.out.substr(at, r.out.find("[y]", at) - at);
  EXPECT_EQ(prompt.find("\x1b[2J"), std::string::npos) << prompt;
  EXPECT_EQ(prompt.find("\x1b]0;"), std::string::npos) << prompt;
  EXPECT_EQ(prompt.find("\xe2\x80\xae"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("\\x1b[2J"), std::string::npos) << prompt;
  EXPECT_NE(prompt.find("\\u202e"), std::string::npos) << prompt;
}

TEST_F(Approval, OutputIsHeldBackWhileThePromptIsOpen) {
  Process p(argv(sh("(sleep 0.5; echo LATE-OUTPUT) & " + write_cmd(outside_ / "a") + "; wait")),
            options(true));
  ASSERT_TRUE(p.wait_for_output("asks to write")) << p.output_so_far();
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(p.output_so_far().find("LATE-OUTPUT"), std::string::npos)
      << "the command drew over an open prompt";
  p.send("y");
  EXPECT_TRUE(p.wait_for_output("LATE-OUTPUT"));
  auto r = p.finish();
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST_F(Approval, TheCommandGetsAPtyWithTheTerminalsSize) {
  Process p(argv(sh("stty size; test -t 0 && echo STDIN-IS-A-TTY")), options(true));
  auto r = p.finish();
  EXPECT_NE(r.out.find("40 120"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("STDIN-IS-A-TTY"), std::string::npos) << r.out;
}

TEST_F(Approval, APromptWorksWhenOnlyOutputIsATerminal) {
  // stdin from /dev/null, stdout on the terminal: the command still gets a pty, and the prompt
  // is answered on the terminal.
  std::vector<std::string> a =
      argv(sh(write_cmd(outside_ / "a") + "; test -t 0 || echo NO-TTY-IN"));
  a.insert(a.begin(), {"/bin/sh", "-c", "exec \"$0\" \"$@\" </dev/null"});
  Process p(a, options(true));
  ASSERT_TRUE(p.wait_for_output("asks to write")) << p.output_so_far();
  settle();
  p.send("y");
  auto r = p.finish();
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(exists(outside_ / "a"));
  EXPECT_NE(r.out.find("NO-TTY-IN"), std::string::npos) << r.out;  // stdin stayed /dev/null
}

TEST_F(Approval, InputReachesTheCommand) {
  Process p(argv(sh("read line; echo \"GOT[$line]\"")), options(true));
  std::this_thread::sleep_for(300ms);
  p.send("hello\r");
  auto r = p.finish();
  EXPECT_NE(r.out.find("GOT[hello]"), std::string::npos) << r.out;
}

TEST_F(Approval, ApproveFromAnotherProcess) {
  Process p(argv({probe(), "write", outside_ / "a"}), options(false));
  std::string id = wait_pending();
  ASSERT_FALSE(id.empty());
  auto list = warden_cli({"pending"});
  EXPECT_NE(list.out.find("write " + (outside_ / "a")), std::string::npos) << list.out;
  auto ok = warden_cli({"approve", id});
  EXPECT_EQ(ok.code, 0) << ok.err;
  auto r = p.finish();
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
  EXPECT_TRUE(exists(outside_ / "a"));
  // Answered already: a second answer finds nothing.
  EXPECT_NE(warden_cli({"deny", id}).code, 0);
}

TEST_F(Approval, DenyFromAnotherProcess) {
  Process p(argv({probe(), "write", outside_ / "a"}), options(false));
  std::string id = wait_pending();
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(warden_cli({"deny", id}).code, 0);
  auto r = p.finish();
  EXPECT_EQ(r.out, "errno=EACCES\n");
  EXPECT_FALSE(exists(outside_ / "a"));
}

TEST_F(Approval, ManyPendingAtOnceAreAllAnswered) {
  // Four writers wait together; every one is listed and answered, none lost or stalled.
  std::string script;
  for (int i = 0; i < 4; ++i) script += write_cmd(outside_ / std::to_string(i)) + " & ";
  script += "wait";
  Process p(argv(sh(script)), options(false));
  int answered = 0;
  for (int round = 0; round < 200 && answered < 4; ++round) {
    auto list = warden_cli({"pending"});
    std::size_t start = 0;
    while (start < list.out.size()) {
      auto nl = list.out.find('\n', start);
      std::string line = list.out.substr(start, nl - start);
      start = nl + 1;
      auto tab = line.find('\t');
      if (tab == std::string::npos) continue;
      if (warden_cli({"approve", line.substr(0, tab)}).code == 0) ++answered;
    }
    std::this_thread::sleep_for(50ms);
  }
  auto r = p.finish();
  EXPECT_EQ(answered, 4);
  EXPECT_EQ(count(r.out, "ok"), 4u) << r.out;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(exists(outside_ / std::to_string(i)));
}

TEST_F(Approval, TheSandboxCannotApproveItsOwnRequest) {
  // Inside, the command asks and then tries to answer for itself with the same warden.
  const std::string script = write_cmd(outside_ / "a") + " & sleep 1; " +
                             std::string(warden_visible()) +
                             " approve 1; echo SELF-APPROVE-EXIT=$?; wait";
  Process p(argv(sh(script), {"--review-timeout", "4"}), options(false));
  auto r = p.finish();
  EXPECT_NE(r.out.find("SELF-APPROVE-EXIT="), std::string::npos) << r.out << r.err;
  EXPECT_EQ(r.out.find("SELF-APPROVE-EXIT=0"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("errno=EACCES"), std::string::npos) << r.out;
  EXPECT_FALSE(exists(outside_ / "a"));
  bool refused_socket = false;
  for (const auto& q : audit_events(audit_, "request"))
    if (q.find("reason")->as_string().find("warden's own sockets") != std::string::npos)
      refused_socket = true;
  EXPECT_TRUE(refused_socket);
}

TEST_F(Approval, CiProfileRefusesEveryCrossingWithoutAPrompt) {
  write_text(env_.home() / "config.toml",
             "[profiles.ci]\n"
             "approval_policy = { granular = { sandbox_approval = false, rules = false, "
             "mcp_elicitations = false, request_permissions = false, skill_approval = false } }\n"
             "[warden]\n"
             "exec_rules = [\"" +
                 (env_.home() / "*.rules") + "\"]\n");
  write_text(env_.home() / "t.rules", "prefix_rule(pattern=[\"true\"], decision=\"prompt\")\n");
  const std::string script = write_cmd(outside_ / "a") + "; " + std::string(probe()) + " mkdir '" +
                             (outside_ / "d") + "'; " + std::string(probe()) +
                             " connect 192.0.2.1 443; " + std::string(probe()) + " unix '" +
                             (outside_ / "sock") + "'; /bin/true; echo EXEC=$?";
  write_text(outside_ / "sock", "");  // exists, so the connect is judged rather than ENOENT
  Process p(argv(sh(script), {"-p", "ci"}), options(true));
  auto r = p.finish();
  EXPECT_EQ(r.out.find("asks to"), std::string::npos) << r.out;
  EXPECT_EQ(count(r.out, "errno=EACCES"), 2u) << r.out;
  EXPECT_NE(r.out.find("EXEC=126"), std::string::npos) << r.out;
  EXPECT_FALSE(exists(outside_ / "a"));
  EXPECT_FALSE(exists(outside_ / "d"));
  auto reqs = audit_events(audit_, "request");
  ASSERT_GE(reqs.size(), 4u);
  for (const auto& q : reqs) {
    EXPECT_EQ(q.find("decision")->as_string(), "deny");
    EXPECT_EQ(q.find("decided_by")->as_string(), "granular");
    EXPECT_NE(q.find("reason")->as_string().find("is false"), std::string::npos)
        << q.find("reason")->as_string();
  }
}

TEST_F(Approval, GranularOverrideOnTheCommandLine) {
  Process p(argv({probe(), "write", outside_ / "a"},
                 {"-c",
                  "approval_policy={granular={sandbox_approval=false,rules=true,"
                  "mcp_elicitations=true}}"}),
            options(true));
  auto r = p.finish();
  EXPECT_EQ(r.out.find("asks to"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("errno=EACCES"), std::string::npos) << r.out;
  auto reqs = audit_events(audit_, "request");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_NE(reqs[0].find("reason")->as_string().find("sandbox_approval"), std::string::npos);
}

TEST_F(Approval, UntrustedHoldsExecsThatAreNotKnownSafe) {
  Process p(argv(sh("cat /etc/hostname >/dev/null && echo READ-OK; touch '" + (ws_ / "t") + "'"),
                 {"-a", "untrusted"}),
            options(true));
  // sh -c with a redirection is not known-safe itself: asked first.
  ASSERT_TRUE(p.wait_for_output("asks to run")) << p.output_so_far();
  settle();
  p.send("y");
  ASSERT_TRUE(p.wait_for_output("asks to run touch")) << p.output_so_far();
  settle();
  p.send("n");
  auto r = p.finish();
  EXPECT_NE(r.out.find("READ-OK"), std::string::npos) << r.out;
  EXPECT_FALSE(exists(ws_ / "t"));
  bool rules = false;
  for (const auto& q : audit_events(audit_, "request"))
    if (q.find("category")->as_string() == "rules") rules = true;
  EXPECT_TRUE(rules);
}

TEST_F(Approval, AutoReviewApprovesLowRiskAndEscalatesHighRiskToThePrompt) {
  TempDir home("/var/tmp");
  RunOptions o = options(true);
  o.env.push_back("HOME=" + home.path());
  Process p(argv(sh(write_cmd(outside_ / "build.log") + "; " + write_cmd(home / ".bashrc")),
                 {"--reviewer", "auto_review"}),
            o);
  ASSERT_TRUE(p.wait_for_output("asks to write " + (home / ".bashrc"))) << p.output_so_far();
  EXPECT_NE(p.output_so_far().find("auto_review escalated"), std::string::npos);
  settle();
  p.send("n");
  auto r = p.finish();
  EXPECT_EQ(count(r.out, "asks to"), 1u) << r.out;
  EXPECT_TRUE(exists(outside_ / "build.log"));
  EXPECT_FALSE(exists(home / ".bashrc"));
  auto reqs = audit_events(audit_, "request");
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].find("decided_by")->as_string(), "auto_review");
  EXPECT_EQ(reqs[0].find("decision")->as_string(), "approve");
  EXPECT_EQ(reqs[1].find("decided_by")->as_string(), "user");
  EXPECT_EQ(reqs[1].find("decision")->as_string(), "deny");
  EXPECT_EQ(reqs[1].find("risk")->as_string(), "high");
}

TEST_F(Approval, WithoutATerminalAnEscalationIsDenied) {
  TempDir home("/var/tmp");
  RunOptions o = options(false);
  o.env.push_back("HOME=" + home.path());
  auto r = run(argv({probe(), "write", home / ".bashrc"}, {"--reviewer", "auto_review"}), o);
  EXPECT_EQ(r.out, "errno=EACCES\n") << r.err;
  auto reqs = audit_events(audit_, "request");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_NE(reqs[0].find("reason")->as_string().find("no user terminal"), std::string::npos);
}

TEST_F(Approval, AnApprovalTheAuditLogCannotRecordIsADenial) {
  const std::string yes = outside_ / "yes.sh";
  write_text(yes, "#!/bin/sh\ncat >/dev/null; echo '{\"decision\":\"approve\"}'\n");
  ::chmod(yes.c_str(), 0755);
  Process p(argv(sh("sleep 1; " + write_cmd(outside_ / "a")),
                 {"-c", "warden.reviewer_command=[\"" + yes + "\"]"}),
            options(false));
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(::unlink(audit_.c_str()), 0);  // the log is deleted under warden's feet
  auto r = p.finish();
  EXPECT_EQ(r.out, "errno=EACCES\n") << r.err;
  EXPECT_NE(r.err.find("the file was deleted"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(outside_ / "a"));
}

}  // namespace
}  // namespace warden::test
