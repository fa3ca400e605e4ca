// The mount plan: which paths are bound, masked, pinned and protected, and in which order.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "../../../linux/internal.hpp"

namespace warden::linux_backend {
namespace {

struct Dir {
  Dir() {
    char t[] = "/tmp/warden-plan-XXXXXX";
    path = ::mkdtemp(t);
  }
  ~Dir() { (void)std::system(("rm -rf " + path).c_str()); }
  void mkdir(const std::string& rel) { ::mkdir((path + "/" + rel).c_str(), 0755); }
  void touch(const std::string& rel) { std::ofstream(path + "/" + rel) << "x"; }
  std::string path;
};

std::vector<std::string> describe(const MountPlan& plan, const std::string& base) {
  std::vector<std::string> out;
  const char* names[] = {"bind-rw", "bind-ro", "mask-dir", "mask-file", "protect", "pin"};
  for (const auto& op : plan.ops) {
    std::string p = op.path.rfind(base, 0) == 0 ? op.path.substr(base.size()) : op.path;
    out.push_back(std::string(names[op.kind]) + " " + (p.empty() ? "/" : p));
  }
  return out;
}

TEST(MountPlan, ProtectsExistingNamesAndPinsTheirParents) {
  Dir ws;
  ws.mkdir(".git");
  ws.mkdir(".git/hooks");
  ws.touch(".git/config");
  ws.mkdir(".git/modules");
  ws.mkdir(".git/modules/sub");
  ws.mkdir(".git/modules/sub/hooks");
  sandbox::Spec spec;
  spec.workspace = ws.path;
  spec.protected_names = {".git/hooks", ".git/config", ".git/modules/*/hooks", ".envrc"};
  auto plan = plan_mounts(spec);
  EXPECT_EQ(describe(plan, ws.path),
            (std::vector<std::string>{"bind-rw /", "pin /.git", "pin /.git/modules",
                                      "protect /.git/config", "protect /.git/hooks",
                                      "pin /.git/modules/sub", "protect /.git/modules/sub/hooks"}));
  EXPECT_EQ(plan.writable, (std::vector<std::string>{ws.path}));
}

TEST(MountPlan, ReadOnlyModeBindsTheWorkspaceReadOnlyAndProtectsNothing) {
  Dir ws;
  ws.mkdir(".git");
  ws.mkdir(".git/hooks");
  sandbox::Spec spec;
  spec.mode = sandbox::Mode::ReadOnly;
  spec.workspace = ws.path;
  spec.protected_names = {".git/hooks"};
  auto plan = plan_mounts(spec);
  EXPECT_EQ(describe(plan, ws.path), (std::vector<std::string>{"bind-ro /"}));
  EXPECT_TRUE(plan.writable.empty());
  EXPECT_FALSE(plan.tmp_writable);
}

TEST(MountPlan, DenyReadMasksResolvedTargetsAfterTheRootsThatContainThem) {
  Dir ws, secrets;
  secrets.mkdir("aws");
  secrets.touch("token");
  ws.mkdir("sub");
  ::symlink((secrets.path + "/aws").c_str(), (ws.path + "/sub/aws-link").c_str());
  sandbox::Spec spec;
  spec.workspace = ws.path;
  spec.deny_read = {ws.path + "/sub/aws-link", secrets.path + "/tok*", "/nonexistent/secret",
                    ws.path + "/sub"};
  auto plan = plan_mounts(spec);
  auto d = describe(plan, "");
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0], "bind-rw " + ws.path);
  // Deeper paths come later; a masked directory inside a root is masked after the root's bind.
  EXPECT_NE(std::find(d.begin(), d.end(), "mask-dir " + secrets.path + "/aws"), d.end());
  EXPECT_NE(std::find(d.begin(), d.end(), "mask-file " + secrets.path + "/token"), d.end());
  EXPECT_NE(std::find(d.begin(), d.end(), "mask-dir " + ws.path + "/sub"), d.end());
}

TEST(MountPlan, RootsInsideOtherWritableRootsAndMissingRootsAreSkipped) {
  Dir ws, extra;
  ws.mkdir("cache");
  sandbox::Spec spec;
  spec.workspace = ws.path;
  spec.writable_roots = {ws.path + "/cache", extra.path, "/nonexistent/root"};
  auto plan = plan_mounts(spec);
  auto d = describe(plan, "");
  std::sort(d.begin(), d.end());
  std::vector<std::string> expected{"bind-rw " + ws.path, "bind-rw " + extra.path};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(d, expected);
  EXPECT_EQ(plan.writable, (std::vector<std::string>{ws.path, extra.path}));
}

}  // namespace
}  // namespace warden::linux_backend
