// Formatting one audit `request` line (supervisor's request_event, written for every decided
// request), and its parts: the request's JSON and the JSON writer.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "road.hpp"
#include "warden/policy/json.hpp"
#include "warden/policy/request.hpp"

namespace {

namespace policy = warden::policy;

policy::Request request() {
  policy::Request r;
  r.id = "17";
  r.kind = policy::Kind::FileWrite;
  r.syscall = "openat";
  r.pid = 4242;
  r.path = "/home/dev/.config/some tool/settings \xff.json";  // a byte that is not UTF-8
  r.command = std::vector<std::string>{"npm", "install", "--save-dev", "left-pad"};
  r.cwd = "/home/dev/src/project";
  r.workspace = "/home/dev/src/project";
  r.intent = "add the dependency and make the tests pass";
  return r;
}

void BM_audit_request_event(benchmark::State& state) {
  const auto req = request();
  warden::supervisor::Outcome out;
  out.decision = {policy::Verdict::Approve, policy::Risk::Low, "bench: approve everything", ""};
  out.decided_by = "auto_review";
  for (auto _ : state) {
    auto line = warden::supervisor::request_event(req, out, std::chrono::milliseconds(3));
    benchmark::DoNotOptimize(line);
  }
  state.SetLabel(
      std::to_string(
          warden::supervisor::request_event(req, out, std::chrono::milliseconds(3)).size()) +
      " bytes");
}
BENCHMARK(BM_audit_request_event);

void BM_request_to_json(benchmark::State& state) {
  const auto req = request();
  for (auto _ : state) {
    auto s = policy::to_json(req);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_request_to_json);

// The writer alone, building an object shaped like a request line.
void BM_json_writer(benchmark::State& state) {
  policy::json::Writer w;
  for (auto _ : state) {
    w.clear();
    w.begin_object()
        .key("event")
        .string("request")
        .key("id")
        .string("17")
        .key("kind")
        .string("file_write")
        .key("pid")
        .number(std::int64_t{4242})
        .key("path")
        .string("/home/dev/.config/some tool/settings \xff.json")
        .key("command")
        .begin_array()
        .string("npm")
        .string("install")
        .string("left-pad")
        .end_array()
        .key("host")
        .null()
        .key("decision")
        .string("approve")
        .key("elapsed_ms")
        .number(std::int64_t{3})
        .end_object();
    benchmark::DoNotOptimize(w.str().data());
  }
}
BENCHMARK(BM_json_writer);

}  // namespace
