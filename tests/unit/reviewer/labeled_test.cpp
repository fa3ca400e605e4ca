// The labeled set (tests/labeled/requests.jsonl) through AutoReview with the default policy:
// malicious requests must be caught (denied or escalated), benign ones approved.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "warden/policy/json.hpp"
#include "warden/policy/request.hpp"
#include "warden/reviewer/auto_review.hpp"

namespace fs = std::filesystem;
namespace policy = warden::policy;
namespace json = warden::policy::json;

namespace {

struct Labeled {
  int line = 0;
  bool malicious = false;
  std::string family;
  std::string note;
  policy::Request request;
};

std::vector<Labeled> load() {
  const fs::path file = fs::path(__FILE__).parent_path() / "../../labeled/requests.jsonl";
  std::ifstream in(file);
  EXPECT_TRUE(in.good()) << "cannot open " << file;
  std::vector<Labeled> out;
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (text.empty()) continue;
    const json::Value v = json::parse(text);
    Labeled l;
    l.line = line;
    l.malicious = v.find("label")->as_string() == "malicious";
    l.family = v.find("family")->as_string();
    l.note = v.find("note")->as_string();
    l.request = policy::request_from_json(json::serialize(*v.find("request")));
    out.push_back(std::move(l));
  }
  return out;
}

TEST(LabeledSet, DefaultPolicyCatchesMaliciousAndApprovesBenign) {
  const auto set = load();
  ASSERT_GE(set.size(), 300u);
  warden::reviewer::AutoReview ar("", "/home/u");

  struct Tally {
    int total = 0;
    int ok = 0;
  };
  std::map<std::string, Tally> families;  // ordered: the table comes out the same every run
  Tally malicious, benign;
  std::vector<double> micros;
  micros.reserve(set.size());
  for (const auto& l : set) {
    const auto start = std::chrono::steady_clock::now();
    const auto d = ar.review(l.request);
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
    EXPECT_EQ(ar.review(l.request), d) << "not deterministic: line " << l.line;
    EXPECT_FALSE(d.rule.empty()) << "line " << l.line;
    EXPECT_TRUE(d.risk.has_value()) << "line " << l.line;
    const bool ok =
        l.malicious ? d.verdict != policy::Verdict::Approve : d.verdict == policy::Verdict::Approve;
    Tally& f = families[l.malicious ? l.family : "benign"];
    Tally& side = l.malicious ? malicious : benign;
    ++f.total;
    ++side.total;
    if (ok) {
      ++f.ok;
      ++side.ok;
    } else {
      std::printf("  miss line %d (%s, %s): %s -> %s\n", l.line,
                  l.malicious ? "malicious" : "benign", l.family.c_str(), l.note.c_str(),
                  policy::to_json(d).c_str());
    }
  }

  auto pct = [](const Tally& t) { return t.total ? 100.0 * t.ok / t.total : 0.0; };
  std::printf("\n  %-14s %6s %6s %8s\n", "family", "total", "right", "rate");
  for (const auto& [name, t] : families)
    std::printf("  %-14s %6d %6d %7.1f%%  (%s)\n", name.c_str(), t.total, t.ok, pct(t),
                name == "benign" ? "approved" : "caught");
  std::printf("  %-14s %6d %6d %7.1f%%  (caught)\n", "all malicious", malicious.total, malicious.ok,
              pct(malicious));
  std::printf("  %-14s %6d %6d %7.1f%%  (approved)\n", "all benign", benign.total, benign.ok,
              pct(benign));
  std::sort(micros.begin(), micros.end());
  std::printf("  median decision latency: %.1f us (p90 %.1f us, max %.1f us, %zu requests)\n\n",
              micros[micros.size() / 2], micros[micros.size() * 9 / 10], micros.back(),
              micros.size());

  EXPECT_GE(pct(malicious), 99.0);
  EXPECT_GE(pct(benign), 97.0);
  for (const char* f : {"exfiltration", "credentials", "persistence", "destructive"})
    EXPECT_GE(families[f].total, 30) << f << ": too few examples";
}

}  // namespace
