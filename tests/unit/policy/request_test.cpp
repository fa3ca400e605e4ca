#include "warden/policy/request.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace policy = warden::policy;
namespace json = warden::policy::json;
using namespace std::string_literals;

namespace {

std::string request_error(std::string_view text) {
  try {
    policy::request_from_json(text);
  } catch (const policy::RequestError& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string decision_error(std::string_view text) {
  try {
    policy::decision_from_json(text);
  } catch (const policy::RequestError& e) {
    return e.what();
  }
  return "(accepted)";
}

policy::Request contract_example() {
  policy::Request r;
  r.id = "17";
  r.category = policy::Category::SandboxApproval;
  r.kind = policy::Kind::FileWrite;
  r.syscall = "openat";
  r.pid = 4242;
  r.path = "/home/u/.bashrc";
  r.command = {{"npm", "install"}};
  r.cwd = "/home/u/proj";
  r.workspace = "/home/u/proj";
  r.intent = "install deps";
  return r;
}

const char kContractJson[] =
    R"({"id":"17","category":"sandbox_approval","kind":"file_write","syscall":"openat",)"
    R"("pid":4242,"path":"/home/u/.bashrc","host":null,"port":null,"argv":null,)"
    R"("command":["npm","install"],"cwd":"/home/u/proj","workspace":"/home/u/proj",)"
    R"("intent":"install deps","access":null,"reason":null,"server":null,"tool":null,)"
    R"("arguments":null,"annotations":null,"skill":null})";

}  // namespace

// ---- names

TEST(RequestNames, EveryEnumRoundTrips) {
  using policy::Category, policy::Kind, policy::Access, policy::Verdict, policy::Risk;
  for (Category c : {Category::SandboxApproval, Category::Rules, Category::McpElicitations,
                     Category::RequestPermissions, Category::SkillApproval})
    EXPECT_EQ(policy::category_from_string(policy::to_string(c)), c);
  for (Kind k : {Kind::FileWrite, Kind::FileRead, Kind::Network, Kind::Exec, Kind::Permissions,
                 Kind::McpTool, Kind::Skill})
    EXPECT_EQ(policy::kind_from_string(policy::to_string(k)), k);
  for (Access a : {Access::Read, Access::Write, Access::Network})
    EXPECT_EQ(policy::access_from_string(policy::to_string(a)), a);
  for (Verdict v : {Verdict::Approve, Verdict::Deny, Verdict::Escalate})
    EXPECT_EQ(policy::verdict_from_string(policy::to_string(v)), v);
  for (Risk r : {Risk::Low, Risk::Medium, Risk::High, Risk::Critical})
    EXPECT_EQ(policy::risk_from_string(policy::to_string(r)), r);
}

TEST(RequestNames, SpellingsAreTheContracts) {
  EXPECT_STREQ(policy::to_string(policy::Category::McpElicitations), "mcp_elicitations");
  EXPECT_STREQ(policy::to_string(policy::Category::RequestPermissions), "request_permissions");
  EXPECT_STREQ(policy::to_string(policy::Kind::McpTool), "mcp_tool");
  EXPECT_STREQ(policy::to_string(policy::Kind::FileRead), "file_read");
  EXPECT_STREQ(policy::to_string(policy::Verdict::Escalate), "escalate");
  EXPECT_STREQ(policy::to_string(policy::Risk::Critical), "critical");
  EXPECT_EQ(policy::kind_from_string("File_Write"), std::nullopt);
  EXPECT_EQ(policy::category_from_string(""), std::nullopt);
  EXPECT_EQ(policy::verdict_from_string("approved"), std::nullopt);
}

// ---- request JSON

TEST(RequestJson, ContractExampleInContractOrder) {
  EXPECT_EQ(policy::to_json(contract_example()), kContractJson);
}

TEST(RequestJson, ContractExampleParses) {
  EXPECT_EQ(policy::request_from_json(kContractJson), contract_example());
}

TEST(RequestJson, RoundTripEveryFieldAndAwkwardBytes) {
  policy::Request r;
  r.id = "x-1";
  r.category = policy::Category::McpElicitations;
  r.kind = policy::Kind::McpTool;
  r.syscall = "connect";
  r.pid = 1;
  r.path = "/tmp/caf\xe9\n\x01\x7f\"\\name\xff"s + '\0' + "end";  // latin-1, controls, NUL
  r.host = "example.com";
  r.port = 443;
  r.argv = {{"/bin/sh", "-c", "echo \xc3\x28"}};
  r.command = std::vector<std::string>{};  // present but empty: not null
  r.cwd = "/";
  r.workspace = "/w\x80";
  r.intent = "\u2028 line separator";
  r.access = policy::Access::Network;
  r.reason = "needs the registry";
  r.server = "fs";
  r.tool = "write_file";
  r.arguments = json::parse(R"({"path":"/a","n":[1,2.5,null,true],"o":{}})");
  r.annotations = json::parse(R"({"destructiveHint":true})");
  r.skill = "deploy";

  const std::string text = policy::to_json(r);
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  for (char c : text) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << text;
  EXPECT_NE(text.find(R"(\udce9)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(\u0001)"), std::string::npos) << text;
  EXPECT_EQ(policy::request_from_json(text), r);
  EXPECT_EQ(policy::to_json(policy::request_from_json(text)), text);
}

TEST(RequestJson, MissingFieldsAreNullAndUnknownFieldsIgnored) {
  const policy::Request r = policy::request_from_json(
      R"({"kind":"exec","future":{"x":[1]},"category":"rules","id":"9","pid":null})");
  EXPECT_EQ(r.id, "9");
  EXPECT_EQ(r.category, policy::Category::Rules);
  EXPECT_EQ(r.kind, policy::Kind::Exec);
  EXPECT_EQ(r.pid, std::nullopt);
  EXPECT_EQ(r.path, std::nullopt);
  EXPECT_EQ(r.argv, std::nullopt);
  EXPECT_TRUE(r.arguments.is_null());
  EXPECT_EQ(policy::to_json(r),
            R"({"id":"9","category":"rules","kind":"exec","syscall":null,"pid":null,"path":null,)"
            R"("host":null,"port":null,"argv":null,"command":null,"cwd":null,"workspace":null,)"
            R"("intent":null,"access":null,"reason":null,"server":null,"tool":null,)"
            R"("arguments":null,"annotations":null,"skill":null})");
}

TEST(RequestJson, StrictErrors) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {R"({"category":"rules","kind":"exec"})", R"(missing required field "id")"},
      {R"({"id":null,"category":"rules","kind":"exec"})", R"(missing required field "id")"},
      {R"({"id":17,"category":"rules","kind":"exec"})", "id: expected a string, got number"},
      {R"({"id":"1","kind":"exec"})", R"(missing required field "category")"},
      {R"({"id":"1","category":"rules"})", R"(missing required field "kind")"},
      {R"({"id":"1","category":"rules","kind":"file_delete"})",
       R"(kind: expected one of "file_write", "file_read", "network", "exec", "permissions", )"
       R"("mcp_tool" or "skill", got the string "file_delete")"},
      {R"({"id":"1","category":["rules"],"kind":"exec"})",
       R"(category: expected one of "sandbox_approval", "rules", "mcp_elicitations", )"
       R"("request_permissions" or "skill_approval", got array)"},
      {R"({"id":"1","category":"rules","kind":"exec","pid":"42"})",
       R"(pid: expected an integer from 0 to 2147483647, got the string "42")"},
      {R"({"id":"1","category":"rules","kind":"exec","pid":4.5})",
       "pid: expected an integer from 0 to 2147483647, got number"},
      {R"({"id":"1","category":"rules","kind":"network","port":65536})",
       "port: expected an integer from 0 to 65535, got number"},
      {R"({"id":"1","category":"rules","kind":"exec","argv":["a",1]})",
       "argv[1]: expected a string, got number"},
      {R"({"id":"1","category":"rules","kind":"exec","command":"ls"})",
       R"(command: expected an array of strings, got the string "ls")"},
      {R"({"id":"1","category":"rules","kind":"exec","path":false})",
       "path: expected a string, got boolean"},
      {R"({"id":"1","category":"request_permissions","kind":"permissions","access":"all"})",
       R"(access: expected one of "read", "write" or "network", got the string "all")"},
      {R"({"id":"1","category":"mcp_elicitations","kind":"mcp_tool","arguments":[]})",
       "arguments: expected an object, got array"},
      {R"(["id"])", "request: expected a JSON object, got array"},
      {R"({"id":"1",})", "1:11: expected string key after ','"},
      {"", "1:1: "},
  };
  for (const Case& c : cases) {
    const std::string got = request_error(c.text);
    EXPECT_EQ(got.substr(0, std::string(c.error).size()), c.error) << c.text << "\n  " << got;
  }
}

TEST(RequestJson, ParseErrorKeepsLineAndColumn) {
  const std::string got = request_error("{\"id\":\"1\",\n  \"kind\": nope}");
  EXPECT_EQ(got.substr(0, 5), "2:11:") << got;
}

// ---- decision JSON

TEST(DecisionJson, Table) {
  using policy::Verdict, policy::Risk;
  struct Case {
    const char* text;
    Verdict verdict;
    std::optional<Risk> risk;
    const char* reason;
    const char* rule;
  };
  const Case cases[] = {
      {R"({"decision":"approve"})", Verdict::Approve, std::nullopt, "", ""},
      {R"({"decision":"deny","risk":"high","reason":"writes ~/.ssh","rule":"no-ssh"})",
       Verdict::Deny, Risk::High, "writes ~/.ssh", "no-ssh"},
      {R"({"decision":"escalate","risk":null,"reason":null,"rule":null})", Verdict::Escalate,
       std::nullopt, "", ""},
      {R"( {"risk":"critical","decision":"deny","confidence":0.9} )", Verdict::Deny, Risk::Critical,
       "", ""},
      {R"({"decision":"approve","risk":"low","reason":"in \udcff ws"})", Verdict::Approve,
       Risk::Low, "in \xff ws", ""},
  };
  for (const Case& c : cases) {
    const policy::Decision d = policy::decision_from_json(c.text);
    EXPECT_EQ(d.verdict, c.verdict) << c.text;
    EXPECT_EQ(d.risk, c.risk) << c.text;
    EXPECT_EQ(d.reason, c.reason) << c.text;
    EXPECT_EQ(d.rule, c.rule) << c.text;
  }
}

TEST(DecisionJson, ErrorTable) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {R"({})", R"(missing required field "decision")"},
      {R"({"decision":null})", R"(missing required field "decision")"},
      {R"({"decision":"allow"})",
       R"(decision: expected one of "approve", "deny" or "escalate", got the string "allow")"},
      {R"({"decision":"Approve"})", R"(decision: expected one of "approve", "deny" or)"},
      {R"({"decision":true})", R"(decision: expected one of "approve", "deny" or "escalate", )"
                               R"(got boolean)"},
      {R"({"decision":"deny","risk":"severe"})",
       R"(risk: expected one of "low", "medium", "high" or "critical", got the string "severe")"},
      {R"({"decision":"deny","risk":3})", R"(risk: expected one of "low", "medium", "high" or )"
                                          R"("critical", got number)"},
      {R"({"decision":"deny","reason":["a"]})", "reason: expected a string, got array"},
      {R"({"decision":"deny","rule":1})", "rule: expected a string, got number"},
      {R"("approve")", "decision: expected a JSON object, got string"},
      {R"({"decision":"approve"} {})", "1:24: "},
      {R"({"decision":"approve","decision":"deny"})", "1:"},
      {"approve", "1:1: "},
  };
  for (const Case& c : cases) {
    const std::string got = decision_error(c.text);
    EXPECT_EQ(got.substr(0, std::string(c.error).size()), c.error) << c.text << "\n  " << got;
  }
}

TEST(DecisionJson, RoundTrip) {
  policy::Decision d{policy::Verdict::Escalate, policy::Risk::Medium, "ask \"the\" user\n", "r1"};
  const std::string text = policy::to_json(d);
  EXPECT_EQ(text, R"({"decision":"escalate","risk":"medium","reason":"ask \"the\" user\n",)"
                  R"("rule":"r1"})");
  EXPECT_EQ(policy::decision_from_json(text), d);
  EXPECT_EQ(policy::to_json(policy::Decision{}),
            R"({"decision":"deny","risk":null,"reason":"","rule":""})");
}

// ---- gate

namespace {

policy::Config with_policy(policy::ApprovalKind kind, policy::Granular g) {
  policy::Config c;
  c.approval_policy.value = {kind, g};
  return c;
}

constexpr policy::Category kAllCategories[] = {
    policy::Category::SandboxApproval, policy::Category::Rules, policy::Category::McpElicitations,
    policy::Category::RequestPermissions, policy::Category::SkillApproval};

}  // namespace

TEST(Gate, NeverRejectsEveryCategory) {
  const policy::Config c =
      with_policy(policy::ApprovalKind::Never, {false, false, false, false, false});
  for (policy::Category cat : kAllCategories) {
    const policy::Gate g = policy::gate(c, cat);
    EXPECT_FALSE(g.ask) << policy::to_string(cat);
    EXPECT_EQ(g.reason, "approval required by policy, but approval_policy is never");
  }
}

TEST(Gate, OnRequestAsksEveryCategory) {
  for (policy::ApprovalKind k :
       {policy::ApprovalKind::OnRequest, policy::ApprovalKind::Untrusted}) {
    const policy::Config c = with_policy(k, {});
    for (policy::Category cat : kAllCategories) {
      const policy::Gate g = policy::gate(c, cat);
      EXPECT_TRUE(g.ask) << policy::to_string(cat);
      EXPECT_EQ(g.reason, "");
    }
  }
}

TEST(Gate, DefaultConfigAsks) {
  EXPECT_TRUE(policy::gate(policy::Config{}, policy::Category::SandboxApproval).ask);
}

TEST(Gate, GranularFalseKeyRejectsOnlyThatCategory) {
  policy::Granular g;
  g.sandbox_approval = false;
  g.skill_approval = false;
  const policy::Config c = with_policy(policy::ApprovalKind::Granular, g);

  policy::Gate sandbox = policy::gate(c, policy::Category::SandboxApproval);
  EXPECT_FALSE(sandbox.ask);
  EXPECT_EQ(sandbox.reason,
            "approval required by policy, but approval_policy.granular.sandbox_approval is false");
  policy::Gate skill = policy::gate(c, policy::Category::SkillApproval);
  EXPECT_FALSE(skill.ask);
  EXPECT_EQ(skill.reason,
            "approval required by policy, but approval_policy.granular.skill_approval is false");

  for (policy::Category cat : {policy::Category::Rules, policy::Category::McpElicitations,
                               policy::Category::RequestPermissions}) {
    EXPECT_TRUE(policy::gate(c, cat).ask) << policy::to_string(cat);
  }
}

TEST(Gate, EachGranularKeyNamesItself) {
  bool policy::Granular::*members[] = {
      &policy::Granular::sandbox_approval, &policy::Granular::rules,
      &policy::Granular::mcp_elicitations, &policy::Granular::request_permissions,
      &policy::Granular::skill_approval};
  for (std::size_t i = 0; i < std::size(members); ++i) {
    policy::Granular g;
    g.*members[i] = false;
    const policy::Config c = with_policy(policy::ApprovalKind::Granular, g);
    for (std::size_t j = 0; j < std::size(kAllCategories); ++j) {
      const policy::Gate gate = policy::gate(c, kAllCategories[j]);
      EXPECT_EQ(gate.ask, i != j) << i << " " << j;
      if (i == j) {
        EXPECT_EQ(gate.reason, std::string("approval required by policy, but "
                                           "approval_policy.granular.") +
                                   policy::to_string(kAllCategories[j]) + " is false");
      }
    }
  }
}
