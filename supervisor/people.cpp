#include "people.hpp"

#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace warden::supervisor {

namespace {

bool is_dir(const policy::Request& req) {
  struct stat st {};
  return req.path && ::lstat(req.path->c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

People::People(Terminal* terminal, std::chrono::seconds timeout)
    : terminal_(terminal), timeout_(timeout) {
  cancel_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  queue_.set_on_answer([this](const std::string& id) {
    std::lock_guard lk(shown_mutex_);
    if (id != shown_id_) return;
    std::uint64_t one = 1;
    (void)::write(cancel_fd_, &one, sizeof one);
  });
  if (terminal_ != nullptr) prompter_ = std::thread([this] { prompt_loop(); });
}

People::~People() {
  close();
  if (prompter_.joinable()) prompter_.join();
  queue_.set_on_answer({});
  if (cancel_fd_ >= 0) ::close(cancel_fd_);
}

void People::close() {
  queue_.close();
}

Answer People::ask(const policy::Request& req, const std::string& why) {
  policy::Request shown = req;
  // The prompt shows why it asks; the queue keeps the request as it is.
  if (!why.empty() && !shown.reason) shown.reason = why;
  if (terminal_ == nullptr) {
    // Nobody sees a prompt: say where an answer can come from, and until when.
    std::fprintf(
        stderr,
        "warden: request %s waits for an answer: %s\n"
        "warden:   answer with `warden approve %s` or `warden deny %s` (denied in %lld s)\n",
        neutralize(req.id, 40).c_str(), summarize(req).c_str(), neutralize(req.id, 40).c_str(),
        neutralize(req.id, 40).c_str(), static_cast<long long>(timeout_.count()));
  }
  Answer a = queue_.wait(shown, std::chrono::steady_clock::now() + timeout_);
  if (a == Answer::Always) session_.add(scope_for(req, is_dir(req)));
  return a;
}

void People::prompt_loop() {
  while (auto e = queue_.next_for_terminal()) {
    {
      std::lock_guard lk(shown_mutex_);
      shown_id_ = e->id;
    }
    std::uint64_t v;
    (void)::read(cancel_fd_, &v, sizeof v);
    if (queue_.is_pending(e->id)) {
      const std::string why = e->request.reason.value_or("");
      const Scope always = scope_for(e->request, is_dir(e->request));
      char k = terminal_->ask(prompt_text(e->request, why, always), "yank",
                              // a moment before the queue's own timeout, so the prompt
                              // says why it closed
                              e->deadline - std::chrono::milliseconds(50), cancel_fd_);
      Answer a = k == 'y'   ? Answer::Once
                 : k == 'a' ? Answer::Always
                 : k == 'k' ? Answer::Kill
                 : k == 'n' ? Answer::Deny
                            : Answer::Timeout;
      if (k != 0) queue_.answer(e->id, a);
    }
    std::lock_guard lk(shown_mutex_);
    shown_id_.clear();
  }
}

std::string prompt_text(const policy::Request& req, const std::string& why, const Scope& always) {
  std::string t = "\x1b[1mwarden:\x1b[0m the sandboxed command asks to " + summarize(req) + "\n";
  t += "  category  " + std::string(policy::to_string(req.category)) + " (" +
       policy::to_string(req.kind) + (req.syscall ? ", " + neutralize(*req.syscall, 40) : "") +
       ")\n";
  if (req.command) {
    std::string cmd;
    for (const auto& a : *req.command) cmd += (cmd.empty() ? "" : " ") + a;
    t += "  by        " + neutralize(cmd, 120);
    if (req.pid) t += " (pid " + std::to_string(*req.pid) + ")";
    t += "\n";
  }
  if (req.cwd) t += "  in        " + neutralize(*req.cwd, 200) + "\n";
  if (!why.empty()) t += "  why       " + neutralize(why, 200) + "\n";
  t += "  answer    here, or: warden approve " + neutralize(req.id, 40) + " | warden deny " +
       neutralize(req.id, 40) + "\n";
  t += "[y] once  [a] always for this run (" + neutralize(always.describe(), 120) +
       ")  [n] deny  [k] kill > ";
  return t;
}

}  // namespace warden::supervisor
