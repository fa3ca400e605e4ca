// warden-bench-startup: wall time from fork to waitpid for a few commands, interleaved so that
// drift in the machine (frequency, cache, other load) spreads over all of them alike.
//
//   warden-bench-startup [--rounds N] [--warmup W] LABEL=COMMAND [LABEL=COMMAND...]
//
// COMMAND is split on spaces and run with execvp, no shell, stdin and stdout on /dev/null.
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Command {
  std::string label;
  std::string text;
  std::vector<std::string> args;
  std::vector<double> ms;
};

[[noreturn]] void usage(const char* error) {
  if (error != nullptr) std::fprintf(stderr, "warden-bench-startup: %s\n", error);
  std::fprintf(stderr,
               "usage: warden-bench-startup [--rounds N] [--warmup W] LABEL=COMMAND "
               "[LABEL=COMMAND...]\n"
               "  runs each COMMAND (split on spaces, no shell) N times, interleaved, after W\n"
               "  warm-up rounds, and prints the median, p10 and p90 wall time of each.\n"
               "  defaults: --rounds 200 --warmup 20\n");
  std::exit(2);
}

int count_arg(const char* flag, const char* value, int min) {
  if (value == nullptr) usage((std::string(flag) + " needs a number").c_str());
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(value, &end, 10);
  if (errno != 0 || end == value || *end != '\0' || n < min || n > 1000000)
    usage((std::string(flag) + ": not a count: " + value).c_str());
  return static_cast<int>(n);
}

std::vector<std::string> split_spaces(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

double now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// One run; returns milliseconds, or exits 1 when the command fails.
double run_once(const Command& c, int devnull) {
  std::vector<char*> argv;
  for (const auto& a : c.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  const double start = now_ms();
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("warden-bench-startup: fork");
    std::exit(1);
  }
  if (pid == 0) {
    ::dup2(devnull, STDIN_FILENO);
    ::dup2(devnull, STDOUT_FILENO);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "warden-bench-startup: %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      std::perror("warden-bench-startup: waitpid");
      std::exit(1);
    }
  }
  const double elapsed = now_ms() - start;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return elapsed;
  if (WIFSIGNALED(status))
    std::fprintf(stderr, "warden-bench-startup: %s (%s): killed by signal %d\n", c.label.c_str(),
                 c.text.c_str(), WTERMSIG(status));
  else
    std::fprintf(stderr, "warden-bench-startup: %s (%s): exit status %d\n", c.label.c_str(),
                 c.text.c_str(), WEXITSTATUS(status));
  std::exit(1);
}

// Linear interpolation between the closest ranks of a sorted sample.
double percentile(const std::vector<double>& sorted, double p) {
  const double pos = p * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 200, warmup = 20;
  std::vector<Command> commands;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--rounds") {
      rounds = count_arg("--rounds", i + 1 < argc ? argv[++i] : nullptr, 1);
    } else if (arg == "--warmup") {
      warmup = count_arg("--warmup", i + 1 < argc ? argv[++i] : nullptr, 0);
    } else if (arg == "-h" || arg == "--help") {
      usage(nullptr);
    } else if (arg.size() > 1 && arg[0] == '-') {
      usage(("unknown option " + std::string(arg)).c_str());
    } else {
      const std::size_t eq = arg.find('=');
      if (eq == std::string_view::npos || eq == 0)
        usage(("expected LABEL=COMMAND, got " + std::string(arg)).c_str());
      Command c;
      c.label = arg.substr(0, eq);
      c.text = arg.substr(eq + 1);
      c.args = split_spaces(c.text);
      if (c.args.empty()) usage(("empty command for " + c.label).c_str());
      commands.push_back(std::move(c));
    }
  }
  if (commands.empty()) usage("no commands");

  const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) {
    std::perror("warden-bench-startup: /dev/null");
    return 1;
  }

  const std::size_t n = commands.size();
  for (int r = 0; r < warmup + rounds; ++r) {
    // Rotate the first command each round so none always runs right after a given other.
    for (std::size_t j = 0; j < n; ++j) {
      Command& c = commands[(static_cast<std::size_t>(r) + j) % n];
      const double ms = run_once(c, devnull);
      if (r >= warmup) c.ms.push_back(ms);
    }
  }

  std::printf("%d rounds (after %d warm-up), %zu commands interleaved\n", rounds, warmup, n);
  std::size_t width = 5;
  for (const auto& c : commands) width = std::max(width, c.label.size());
  std::printf("%-*s %10s %10s %10s %8s\n", static_cast<int>(width), "label", "median ms", "p10 ms",
              "p90 ms", "ratio");
  double base = 0;
  for (auto& c : commands) {
    std::sort(c.ms.begin(), c.ms.end());
    const double median = percentile(c.ms, 0.5);
    if (&c == &commands.front()) base = median;
    std::printf("%-*s %10.3f %10.3f %10.3f %8.2f\n", static_cast<int>(width), c.label.c_str(),
                median, percentile(c.ms, 0.1), percentile(c.ms, 0.9),
                base > 0 ? median / base : 0.0);
  }
  return 0;
}
