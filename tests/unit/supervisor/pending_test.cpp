// The user reviewer's queue and the text a person is shown.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "pending.hpp"

namespace warden::supervisor {
namespace {

using namespace std::chrono_literals;

policy::Request write_req(const std::string& id, const std::string& path) {
  policy::Request r;
  r.id = id;
  r.category = policy::Category::SandboxApproval;
  r.kind = policy::Kind::FileWrite;
  r.path = path;
  return r;
}

policy::Request exec_req(std::vector<std::string> argv) {
  policy::Request r;
  r.id = "1";
  r.category = policy::Category::Rules;
  r.kind = policy::Kind::Exec;
  r.argv = std::move(argv);
  return r;
}

TEST(Neutralize, ControlsBidiAndInvalidBytesBecomeVisible) {
  EXPECT_EQ(neutralize("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(neutralize("bell\x07"), "bell\\x07");
  EXPECT_EQ(neutralize("del\x7f"), "del\\x7f");
  EXPECT_EQ(neutralize("x\xe2\x80\xaey"), "x\\u202ey");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(neutralize("x\xe2\x81\xa6y"), "x\\u2066y");  // LEFT-TO-RIGHT ISOLATE
  EXPECT_EQ(neutralize("zw\xe2\x80\x8bj"), "zw\\u200bj");
  EXPECT_EQ(neutralize("c1\xc2\x9b"), "c1\\u009b");  // the 8-bit CSI
  EXPECT_EQ(neutralize("bad\xff\xc0"), "bad\\xff\\xc0");
  EXPECT_EQ(neutralize("back\\slash"), "back\\\\slash");  // a path cannot forge an escape
  EXPECT_EQ(neutralize("caf\xc3\xa9 \xe6\x97\xa5"), "caf\xc3\xa9 \xe6\x97\xa5");
}

TEST(Neutralize, OverlongTextIsCut) {
  std::string s = neutralize(std::string(1000, 'a'), 50);
  EXPECT_EQ(s, std::string(50, 'a') + "...");
}

TEST(Scope, AFileAnswerCoversThatPathOnly) {
  Scope s = scope_for(write_req("1", "/home/u/.npmrc"), false);
  EXPECT_TRUE(in_scope(s, write_req("2", "/home/u/.npmrc")));
  EXPECT_FALSE(in_scope(s, write_req("2", "/home/u/.npmrc2")));
  EXPECT_FALSE(in_scope(s, write_req("2", "/home/u/.npmrc/x")));
  auto read = write_req("2", "/home/u/.npmrc");
  read.kind = policy::Kind::FileRead;
  EXPECT_FALSE(in_scope(s, read));
}

TEST(Scope, ADirectoryAnswerCoversWhatIsUnderIt) {
  Scope s = scope_for(write_req("1", "/home/u/.cache/pip"), true);
  EXPECT_TRUE(in_scope(s, write_req("2", "/home/u/.cache/pip/x/y")));
  EXPECT_FALSE(in_scope(s, write_req("2", "/home/u/.cache/pipx")));
  EXPECT_FALSE(in_scope(s, write_req("2", "/home/u/.cache")));
}

TEST(Scope, NetworkAnswersAreHostAndPort) {
  policy::Request r;
  r.kind = policy::Kind::Network;
  r.host = "registry.npmjs.org";
  r.port = 443;
  Scope s = scope_for(r, false);
  EXPECT_TRUE(in_scope(s, r));
  r.port = 80;
  EXPECT_FALSE(in_scope(s, r));
  r.port = 443;
  r.host = "evil.example";
  EXPECT_FALSE(in_scope(s, r));
}

TEST(Scope, ExecAnswersAreAnArgvPrefixNeverAWholeProgram) {
  Scope git = scope_for(exec_req({"/usr/bin/git", "push", "origin", "feature"}), false);
  EXPECT_EQ(git.argv_prefix, (std::vector<std::string>{"git", "push"}));
  EXPECT_TRUE(in_scope(git, exec_req({"git", "push", "origin", "other"})));
  EXPECT_FALSE(in_scope(git, exec_req({"git", "reset", "--hard"})));
  // curl has no subcommands: the answer covers that exact command line only.
  Scope curl = scope_for(exec_req({"curl", "https://example.org/a"}), false);
  EXPECT_TRUE(in_scope(curl, exec_req({"/usr/bin/curl", "https://example.org/a"})));
  EXPECT_FALSE(in_scope(curl, exec_req({"curl", "https://example.org/a", "-d", "@secret"})));
  EXPECT_FALSE(in_scope(curl, exec_req({"curl", "https://evil.example"})));
  // An option in the subcommand's place is not a subcommand.
  Scope opt = scope_for(exec_req({"git", "-c", "core.pager=sh", "log"}), false);
  EXPECT_FALSE(in_scope(opt, exec_req({"git", "-c", "core.pager=evil", "log"})));
}

TEST(PendingQueue, FirstAnswerWinsAndLateAnswersFindNothing) {
  PendingQueue q;
  std::atomic<int> result{-1};
  std::thread waiter([&] {
    result = static_cast<int>(q.wait(write_req("7", "/x"), std::chrono::steady_clock::now() + 10s));
  });
  while (q.list().empty()) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(q.list()[0].id, "7");
  EXPECT_TRUE(q.answer("7", Answer::Deny));
  EXPECT_FALSE(q.answer("7", Answer::Once));
  waiter.join();
  EXPECT_EQ(result, static_cast<int>(Answer::Deny));
  EXPECT_FALSE(q.answer("7", Answer::Once));
  EXPECT_TRUE(q.list().empty());
}

TEST(PendingQueue, TimeoutAndCloseDeny) {
  PendingQueue q;
  EXPECT_EQ(q.wait(write_req("1", "/x"), std::chrono::steady_clock::now() + 20ms), Answer::Timeout);
  std::thread closer([&] {
    while (q.list().empty()) std::this_thread::sleep_for(1ms);
    q.close();
  });
  EXPECT_EQ(q.wait(write_req("2", "/x"), std::chrono::steady_clock::now() + 10s),
            Answer::Cancelled);
  closer.join();
  EXPECT_EQ(q.wait(write_req("3", "/x"), std::chrono::steady_clock::now() + 10s),
            Answer::Cancelled);
  EXPECT_FALSE(q.next_for_terminal());
}

TEST(PendingQueue, ManyWaitersEachGetTheirOwnAnswer) {
  PendingQueue q;
  constexpr int kN = 64;
  std::vector<std::thread> ts;
  std::vector<int> got(kN, -1);
  for (int i = 0; i < kN; ++i)
    ts.emplace_back([&, i] {
      got[i] = static_cast<int>(
          q.wait(write_req(std::to_string(i), "/x"), std::chrono::steady_clock::now() + 20s));
    });
  int answered = 0;
  while (answered < kN) {
    for (const auto& e : q.list()) {
      int i = std::stoi(e.id);
      if (q.answer(e.id, i % 2 ? Answer::Once : Answer::Deny)) ++answered;
    }
  }
  for (auto& t : ts) t.join();
  for (int i = 0; i < kN; ++i)
    EXPECT_EQ(got[i], static_cast<int>(i % 2 ? Answer::Once : Answer::Deny)) << i;
}

TEST(Summarize, SaysWhatInOneNeutralLine) {
  EXPECT_EQ(summarize(write_req("1", "/etc/x\ny")), "write /etc/x\\x0ay");
  EXPECT_EQ(summarize(exec_req({"rm", "-rf", "a b"})), "run rm -rf 'a b'");
}

}  // namespace
}  // namespace warden::supervisor
