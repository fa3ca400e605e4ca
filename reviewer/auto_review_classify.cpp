// The auto_review risk classifier: sensitive paths, hosts, prompt injection, MCP calls and the
// per-kind baselines. Command lines are judged in auto_review_commands.cpp.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "auto_review_internal.hpp"

namespace warden::reviewer {

using policy::Kind;
using policy::Risk;

const char* to_string(Family f) {
  switch (f) {
    case Family::None:
      return "none";
    case Family::Exfiltration:
      return "exfiltration";
    case Family::Credentials:
      return "credentials";
    case Family::Persistence:
      return "persistence";
    case Family::Destructive:
      return "destructive";
    case Family::Injection:
      return "injection";
  }
  return "?";
}

std::string default_home() {
  const char* h = std::getenv("HOME");
  if (h == nullptr || *h != '/') return {};
  return detail::normalize_path(h);
}

namespace detail {
namespace {

// ---- Sensitive paths

enum class R : std::uint8_t { None, Low, Medium, High, Critical };
// Home: below $HOME; Abs: absolute; Any: at any depth, also inside the workspace; Out: at any
// depth, outside the workspace only (a project's own `.env` is its business).
enum class At : std::uint8_t { Home, Abs, Any, Out };
constexpr Family C = Family::Credentials;
constexpr Family P = Family::Persistence;
constexpr Family D = Family::Destructive;
constexpr Family X = Family::Exfiltration;
constexpr Family N = Family::None;

struct Entry {
  At at;
  const char* pattern;  // Home patterns are relative to $HOME
  R read;
  Family rfam;
  R write;
  Family wfam;
  const char* label;   // in check names: "credential-path:~/.ssh"
  const char* what;    // in reasons
  const char* native;  // programs that use the file through their own auth path
  bool cache = false;  // caches and temp: rebuilt on demand, harmless to write or delete
};

// First match wins: specific entries before general ones.
constexpr Entry kEntries[] = {
    // ssh
    {At::Home, ".ssh/authorized_keys*", R::High, C, R::Critical, P, "~/.ssh/authorized_keys",
     "SSH authorized keys (who may log in)", "sshd"},
    {At::Home, ".ssh/known_hosts*", R::Medium, C, R::Medium, P, "~/.ssh/known_hosts",
     "SSH known hosts", "ssh scp sftp git ssh-keygen ssh-keyscan"},
    {At::Home, ".ssh/config", R::High, C, R::High, P, "~/.ssh/config",
     "SSH client configuration (ProxyCommand runs code)", "ssh scp sftp git"},
    {At::Home, ".ssh/*.pub", R::Low, N, R::High, P, "~/.ssh", "an SSH public key", ""},
    {At::Home, ".ssh/rc", R::High, C, R::Critical, P, "~/.ssh/rc", "the SSH login script", ""},
    {At::Home, ".ssh/**", R::Critical, C, R::High, P, "~/.ssh", "an SSH private key",
     "ssh ssh-add ssh-keygen scp sftp"},
    // cloud and tool credentials
    {At::Home, ".aws/config", R::High, C, R::High, P, "~/.aws/config", "AWS configuration", "aws"},
    {At::Home, ".aws/**", R::Critical, C, R::High, P, "~/.aws", "AWS credentials", "aws"},
    {At::Home, ".gnupg/**", R::Critical, C, R::High, P, "~/.gnupg", "GnuPG private keys",
     "gpg gpg2 gpg-agent"},
    {At::Home, ".netrc", R::Critical, C, R::High, P, "~/.netrc", "netrc passwords",
     "curl git git-remote-http git-remote-https ftp wget"},
    {At::Home, ".git-credentials", R::Critical, C, R::High, P, "~/.git-credentials",
     "stored git credentials", "git git-credential-store"},
    {At::Home, ".config/git/credentials", R::Critical, C, R::High, P, "~/.config/git/credentials",
     "stored git credentials", "git git-credential-store"},
    {At::Home, ".config/gh/**", R::Critical, C, R::High, P, "~/.config/gh",
     "the GitHub CLI's tokens", "gh"},
    {At::Home, ".config/hub", R::Critical, C, R::High, P, "~/.config/hub", "hub's GitHub token",
     "hub"},
    {At::Home, ".kube/**", R::Critical, C, R::High, P, "~/.kube", "Kubernetes credentials",
     "kubectl helm k9s kubectx oc"},
    {At::Home, ".docker/config.json", R::Critical, C, R::High, P, "~/.docker/config.json",
     "Docker registry credentials", "docker podman"},
    {At::Home, ".npmrc", R::High, C, R::High, P, "~/.npmrc", "npm configuration (auth tokens)",
     "npm npx node pnpm yarn bun corepack"},
    {At::Home, ".yarnrc*", R::High, C, R::High, P, "~/.yarnrc", "yarn configuration", "yarn node"},
    {At::Home, ".pypirc", R::Critical, C, R::High, P, "~/.pypirc", "PyPI upload credentials",
     "twine poetry"},
    {At::Home, ".cargo/credentials*", R::Critical, C, R::High, P, "~/.cargo/credentials",
     "crates.io token", "cargo"},
    {At::Home, ".cargo/config*", R::Low, N, R::High, P, "~/.cargo/config",
     "cargo configuration (linkers and registries)", ""},
    {At::Home, ".gem/credentials", R::Critical, C, R::High, P, "~/.gem/credentials",
     "RubyGems credentials", "gem"},
    {At::Home, ".config/gcloud/**", R::Critical, C, R::High, P, "~/.config/gcloud",
     "Google Cloud credentials", "gcloud gsutil bq"},
    {At::Home, ".azure/**", R::Critical, C, R::High, P, "~/.azure", "Azure credentials", "az"},
    {At::Home, ".terraform.d/credentials*", R::Critical, C, R::High, P,
     "~/.terraform.d/credentials", "Terraform Cloud token", "terraform tofu"},
    {At::Home, ".vault-token", R::Critical, C, R::High, P, "~/.vault-token", "a Vault token",
     "vault"},
    {At::Home, ".password-store/**", R::Critical, C, R::High, P, "~/.password-store",
     "the pass password store", "pass gpg gpg2"},
    {At::Home, ".local/share/keyrings/**", R::Critical, C, R::High, P, "keyring",
     "the desktop keyring", "gnome-keyring-daemon secret-tool"},
    {At::Home, "Library/Keychains/**", R::Critical, C, R::High, P, "keychain", "the keychain",
     "security"},
    {At::Home, ".pgpass", R::Critical, C, R::High, P, "~/.pgpass", "PostgreSQL passwords",
     "psql pg_dump pg_restore pg_dumpall"},
    {At::Home, ".my.cnf", R::High, C, R::High, P, "~/.my.cnf", "MySQL client passwords",
     "mysql mysqldump mariadb"},
    {At::Home, ".config/op/**", R::Critical, C, R::High, P, "~/.config/op", "1Password CLI data",
     "op"},
    {At::Home, ".codex/auth.json", R::Critical, C, R::High, P, "~/.codex/auth.json",
     "Codex credentials", "codex"},
    {At::Home, ".claude/.credentials.json", R::Critical, C, R::High, P, "~/.claude/.credentials",
     "Claude credentials", "claude"},
    {At::Home, ".cache/huggingface/token", R::Critical, C, R::High, P, "huggingface-token",
     "a Hugging Face token", "huggingface-cli"},
    {At::Home, ".huggingface/token", R::Critical, C, R::High, P, "huggingface-token",
     "a Hugging Face token", "huggingface-cli"},
    {At::Home, ".config/Code/User/globalStorage/**", R::High, C, R::High, P, "editor-secrets",
     "editor extension storage (tokens)", "code"},
    {At::Home, ".vscode-server/data/User/globalStorage/**", R::High, C, R::High, P,
     "editor-secrets", "editor extension storage (tokens)", "code node"},
    {At::Home, ".gradle/gradle.properties", R::High, C, R::High, P, "~/.gradle/gradle.properties",
     "Gradle properties (often credentials)", "gradle java"},
    {At::Home, ".m2/settings*.xml", R::High, C, R::High, P, "~/.m2/settings.xml",
     "Maven settings (repository credentials)", "mvn java"},
    // browsers: cookies, saved logins, session stores
    {At::Home, ".mozilla/**", R::Critical, C, R::High, P, "browser-profile",
     "a browser profile (cookies, saved logins)", "firefox"},
    {At::Home, ".config/google-chrome/**", R::Critical, C, R::High, P, "browser-profile",
     "a browser profile (cookies, saved logins)", "chrome google-chrome"},
    {At::Home, ".config/chromium/**", R::Critical, C, R::High, P, "browser-profile",
     "a browser profile (cookies, saved logins)", "chromium"},
    {At::Home, ".config/BraveSoftware/**", R::Critical, C, R::High, P, "browser-profile",
     "a browser profile (cookies, saved logins)", "brave"},
    {At::Home, ".config/microsoft-edge/**", R::Critical, C, R::High, P, "browser-profile",
     "a browser profile (cookies, saved logins)", "microsoft-edge"},
    {At::Home, "snap/chromium/**", R::Critical, C, R::High, P, "browser-profile",
     "a browser profile (cookies, saved logins)", "chromium"},
    {At::Home, "Library/Application Support/Google/Chrome/**", R::Critical, C, R::High, P,
     "browser-profile", "a browser profile (cookies, saved logins)", "chrome"},
    {At::Home, "Library/Cookies/**", R::Critical, C, R::High, P, "browser-profile",
     "browser cookies", ""},
    // shell history holds pasted secrets
    {At::Home, ".*_history", R::High, C, R::Medium, P, "shell-history",
     "shell history (often holds secrets)", "bash zsh fish python python3 psql mysql node"},
    {At::Home, ".local/share/fish/fish_history", R::High, C, R::Medium, P, "shell-history",
     "shell history (often holds secrets)", "fish"},
    // the supervisor's and the agents' own configuration
    {At::Home, ".warden/**", R::Low, N, R::Critical, P, "~/.warden", "warden's own configuration",
     ""},
    {At::Home, ".codex/config.toml", R::Low, N, R::Critical, P, "~/.codex/config.toml",
     "Codex's configuration", ""},
    {At::Home, ".codex/rules/**", R::Low, N, R::Critical, P, "~/.codex/rules", "Codex's exec rules",
     ""},
    {At::Home, ".codex/**", R::Low, N, R::High, P, "~/.codex", "Codex's home (skills, config)", ""},
    {At::Home, ".claude/**", R::Low, N, R::High, P, "~/.claude", "Claude's settings and hooks", ""},
    {At::Home, ".agents/**", R::Low, N, R::High, P, "~/.agents", "agent skills and settings", ""},
    // code that runs at login, at start-up or on a schedule
    {At::Home, ".bashrc", R::Low, N, R::High, P, "~/.bashrc", "a shell start-up file", ""},
    {At::Home, ".bash_profile", R::Low, N, R::High, P, "~/.bash_profile", "a shell start-up file",
     ""},
    {At::Home, ".bash_login", R::Low, N, R::High, P, "~/.bash_login", "a shell start-up file", ""},
    {At::Home, ".bash_logout", R::Low, N, R::High, P, "~/.bash_logout", "a shell start-up file",
     ""},
    {At::Home, ".bash_aliases", R::Low, N, R::High, P, "~/.bash_aliases", "a shell start-up file",
     ""},
    {At::Home, ".profile", R::Low, N, R::High, P, "~/.profile", "a shell start-up file", ""},
    {At::Home, ".zshrc", R::Low, N, R::High, P, "~/.zshrc", "a shell start-up file", ""},
    {At::Home, ".zprofile", R::Low, N, R::High, P, "~/.zprofile", "a shell start-up file", ""},
    {At::Home, ".zshenv", R::Low, N, R::High, P, "~/.zshenv", "a shell start-up file", ""},
    {At::Home, ".zlogin", R::Low, N, R::High, P, "~/.zlogin", "a shell start-up file", ""},
    {At::Home, ".kshrc", R::Low, N, R::High, P, "~/.kshrc", "a shell start-up file", ""},
    {At::Home, ".cshrc", R::Low, N, R::High, P, "~/.cshrc", "a shell start-up file", ""},
    {At::Home, ".tcshrc", R::Low, N, R::High, P, "~/.tcshrc", "a shell start-up file", ""},
    {At::Home, ".xprofile", R::Low, N, R::High, P, "~/.xprofile", "a session start-up file", ""},
    {At::Home, ".xinitrc", R::Low, N, R::High, P, "~/.xinitrc", "a session start-up file", ""},
    {At::Home, ".xsession*", R::Low, N, R::High, P, "~/.xsession", "a session start-up file", ""},
    {At::Home, ".pam_environment", R::Low, N, R::High, P, "~/.pam_environment",
     "the login environment", ""},
    {At::Home, ".config/fish/**", R::Low, N, R::High, P, "~/.config/fish",
     "fish start-up configuration", ""},
    {At::Home, ".config/environment.d/**", R::Low, N, R::High, P, "~/.config/environment.d",
     "the session environment", ""},
    {At::Home, ".config/systemd/**", R::Low, N, R::High, P, "~/.config/systemd",
     "a systemd user unit", ""},
    {At::Home, ".local/share/systemd/**", R::Low, N, R::High, P, "~/.local/share/systemd",
     "a systemd user unit", ""},
    {At::Home, ".config/autostart/**", R::Low, N, R::High, P, "~/.config/autostart",
     "a desktop autostart entry", ""},
    {At::Home, "Library/LaunchAgents/**", R::Low, N, R::High, P, "~/Library/LaunchAgents",
     "a launch agent", ""},
    {At::Home, ".gitconfig", R::Low, N, R::High, P, "~/.gitconfig",
     "the global git configuration (hooks, pagers, credential helpers)", ""},
    {At::Home, ".config/git/**", R::Low, N, R::High, P, "~/.config/git",
     "the global git configuration", ""},
    {At::Home, ".local/lib/python*/site-packages/*.pth", R::Low, N, R::High, P,
     "python-startup-hook", "a .pth file (runs at every Python start)", ""},
    {At::Home, ".pip/pip.conf", R::Low, N, R::High, P, "pip.conf",
     "pip configuration (package index)", ""},
    {At::Home, ".config/pip/pip.conf", R::Low, N, R::High, P, "pip.conf",
     "pip configuration (package index)", ""},
    {At::Home, ".condarc", R::Low, N, R::High, P, "~/.condarc", "conda configuration", ""},
    {At::Home, ".bunfig.toml", R::Low, N, R::High, P, "~/.bunfig.toml", "bun configuration", ""},
    {At::Home, ".config/uv/uv.toml", R::Low, N, R::High, P, "uv.toml", "uv configuration", ""},
    {At::Home, ".local/bin/**", R::Low, N, R::Medium, P, "~/.local/bin", "a program on PATH", ""},
    {At::Home, "bin/**", R::Low, N, R::Medium, P, "~/bin", "a program on PATH", ""},
    {At::Home, ".cargo/bin/**", R::Low, N, R::Medium, P, "~/.cargo/bin", "a program on PATH", ""},
    {At::Home, "go/bin/**", R::Low, N, R::Medium, P, "~/go/bin", "a program on PATH", ""},
    // caches and package stores
    {At::Home, ".cache/**", R::Low, N, R::Low, N, "~/.cache", "a cache", "", true},
    {At::Home, ".npm/**", R::Low, N, R::Low, N, "~/.npm", "the npm cache", "", true},
    {At::Home, ".cargo/registry/**", R::Low, N, R::Low, N, "~/.cargo/registry", "cargo's registry",
     "", true},
    {At::Home, ".cargo/git/**", R::Low, N, R::Low, N, "~/.cargo/git", "cargo's git checkouts", "",
     true},
    {At::Home, ".rustup/**", R::Low, N, R::Low, N, "~/.rustup", "rust toolchains", "", true},
    {At::Home, "go/pkg/**", R::Low, N, R::Low, N, "~/go/pkg", "the Go module cache", "", true},
    {At::Home, ".m2/repository/**", R::Low, N, R::Low, N, "~/.m2/repository", "the Maven cache", "",
     true},
    {At::Home, ".gradle/**", R::Low, N, R::Low, N, "~/.gradle", "the Gradle cache", "", true},
    {At::Home, ".pnpm-store/**", R::Low, N, R::Low, N, "~/.pnpm-store", "the pnpm store", "", true},
    {At::Home, ".local/share/pnpm/**", R::Low, N, R::Low, N, "~/.local/share/pnpm",
     "the pnpm store", "", true},
    {At::Home, ".yarn/**", R::Low, N, R::Low, N, "~/.yarn", "the yarn cache", "", true},
    {At::Home, ".bun/**", R::Low, N, R::Low, N, "~/.bun", "bun's cache", "", true},
    {At::Home, ".deno/**", R::Low, N, R::Low, N, "~/.deno", "deno's cache", "", true},
    {At::Home, ".nuget/**", R::Low, N, R::Low, N, "~/.nuget", "the NuGet cache", "", true},
    {At::Home, ".ivy2/**", R::Low, N, R::Low, N, "~/.ivy2", "the Ivy cache", "", true},
    {At::Home, ".sbt/**", R::Low, N, R::Low, N, "~/.sbt", "the sbt cache", "", true},
    {At::Home, ".node-gyp/**", R::Low, N, R::Low, N, "~/.node-gyp", "node-gyp headers", "", true},
    {At::Home, ".conda/pkgs/**", R::Low, N, R::Low, N, "~/.conda/pkgs", "the conda cache", "",
     true},
    {At::Home, ".local/share/virtualenvs/**", R::Low, N, R::Low, N, "virtualenvs",
     "pipenv's virtualenvs", "", true},
    {At::Home, ".local/share/uv/**", R::Low, N, R::Low, N, "~/.local/share/uv", "uv's data", "",
     true},
    {At::Home, ".local/state/**", R::Low, N, R::Low, N, "~/.local/state", "tool state", "", true},
    {At::Home, ".pyenv/**", R::Low, N, R::Low, N, "~/.pyenv", "pyenv's Pythons", "", true},
    {At::Home, ".nvm/**", R::Low, N, R::Low, N, "~/.nvm", "nvm's Node versions", "", true},
    // system
    {At::Abs, "/etc/shadow*", R::Critical, C, R::Critical, P, "/etc/shadow", "password hashes", ""},
    {At::Abs, "/etc/gshadow*", R::Critical, C, R::Critical, P, "/etc/gshadow",
     "group password hashes", ""},
    {At::Abs, "/etc/sudoers", R::High, C, R::Critical, P, "/etc/sudoers", "sudo rules", ""},
    {At::Abs, "/etc/sudoers.d/**", R::High, C, R::Critical, P, "/etc/sudoers", "sudo rules", ""},
    {At::Abs, "/etc/ssh/ssh_host_*_key", R::Critical, C, R::Critical, P, "ssh-host-key",
     "an SSH host private key", "sshd"},
    {At::Abs, "/etc/ssh/**", R::Low, N, R::Critical, P, "/etc/ssh", "the SSH server configuration",
     ""},
    {At::Abs, "/etc/ssl/private/**", R::Critical, C, R::Critical, P, "/etc/ssl/private",
     "TLS private keys", ""},
    {At::Abs, "/etc/pki/tls/private/**", R::Critical, C, R::Critical, P, "/etc/pki/tls/private",
     "TLS private keys", ""},
    {At::Abs, "/etc/ssl/certs/**", R::Low, N, R::High, P, "/etc/ssl/certs",
     "trusted CA certificates", ""},
    {At::Abs, "/etc/passwd*", R::Low, N, R::Critical, P, "/etc/passwd", "the user database", ""},
    {At::Abs, "/etc/group*", R::Low, N, R::Critical, P, "/etc/group", "the group database", ""},
    {At::Abs, "/etc/pam.d/**", R::Low, N, R::Critical, P, "/etc/pam.d",
     "authentication (PAM) configuration", ""},
    {At::Abs, "/etc/security/**", R::Low, N, R::Critical, P, "/etc/security",
     "security limits and access rules", ""},
    {At::Abs, "/etc/ld.so.preload", R::Low, N, R::Critical, P, "/etc/ld.so.preload",
     "the global library preload list", ""},
    {At::Abs, "/etc/ld.so.conf*", R::Low, N, R::Critical, P, "/etc/ld.so.conf",
     "the library search path", ""},
    {At::Abs, "/etc/cron*/**", R::Low, N, R::Critical, P, "cron", "a cron job", ""},
    {At::Abs, "/var/spool/cron/**", R::Medium, C, R::Critical, P, "cron", "a cron job", ""},
    {At::Abs, "/etc/anacrontab", R::Low, N, R::Critical, P, "cron", "a cron job", ""},
    {At::Abs, "/etc/systemd/**", R::Low, N, R::Critical, P, "systemd", "a systemd unit", ""},
    {At::Abs, "/lib/systemd/**", R::Low, N, R::Critical, P, "systemd", "a systemd unit", ""},
    {At::Abs, "/usr/lib/systemd/**", R::Low, N, R::Critical, P, "systemd", "a systemd unit", ""},
    {At::Abs, "/etc/init.d/**", R::Low, N, R::Critical, P, "init.d", "an init script", ""},
    {At::Abs, "/etc/rc.local", R::Low, N, R::Critical, P, "rc.local", "the boot script", ""},
    {At::Abs, "/etc/xdg/autostart/**", R::Low, N, R::Critical, P, "autostart",
     "a system-wide autostart entry", ""},
    {At::Abs, "/etc/profile", R::Low, N, R::Critical, P, "/etc/profile",
     "system-wide shell start-up", ""},
    {At::Abs, "/etc/profile.d/**", R::Low, N, R::Critical, P, "/etc/profile.d",
     "system-wide shell start-up", ""},
    {At::Abs, "/etc/bash.bashrc", R::Low, N, R::Critical, P, "/etc/bash.bashrc",
     "system-wide shell start-up", ""},
    {At::Abs, "/etc/environment", R::Low, N, R::Critical, P, "/etc/environment",
     "the system environment", ""},
    {At::Abs, "/etc/zsh*", R::Low, N, R::Critical, P, "/etc/zsh", "system-wide shell start-up", ""},
    {At::Abs, "/etc/hosts", R::Low, N, R::High, P, "/etc/hosts", "name resolution", ""},
    {At::Abs, "/etc/resolv.conf", R::Low, N, R::High, P, "/etc/resolv.conf", "name resolution", ""},
    {At::Abs, "/etc/nsswitch.conf", R::Low, N, R::High, P, "/etc/nsswitch.conf", "name resolution",
     ""},
    {At::Abs, "/etc/apt/**", R::Low, N, R::High, P, "/etc/apt", "package sources", ""},
    {At::Abs, "/etc/yum.repos.d/**", R::Low, N, R::High, P, "/etc/yum.repos.d", "package sources",
     ""},
    {At::Abs, "/etc/selinux/**", R::Low, N, R::Critical, P, "selinux", "SELinux configuration", ""},
    {At::Abs, "/etc/apparmor*/**", R::Low, N, R::Critical, P, "apparmor", "AppArmor configuration",
     ""},
    {At::Abs, "/etc/audit/**", R::Low, N, R::Critical, P, "audit", "audit configuration", ""},
    {At::Abs, "/etc/ufw/**", R::Low, N, R::Critical, P, "firewall", "firewall rules", ""},
    {At::Abs, "/etc/iptables/**", R::Low, N, R::Critical, P, "firewall", "firewall rules", ""},
    {At::Abs, "/etc/nftables.conf", R::Low, N, R::Critical, P, "firewall", "firewall rules", ""},
    {At::Abs, "/etc/sysctl.conf", R::Low, N, R::Critical, P, "sysctl", "kernel settings", ""},
    {At::Abs, "/etc/sysctl.d/**", R::Low, N, R::Critical, P, "sysctl", "kernel settings", ""},
    {At::Abs, "/etc/modprobe.d/**", R::Low, N, R::Critical, P, "modprobe", "kernel modules", ""},
    {At::Abs, "/etc/modules-load.d/**", R::Low, N, R::Critical, P, "modprobe", "kernel modules",
     ""},
    {At::Abs, "/etc/**", R::Low, N, R::High, P, "/etc", "system configuration", ""},
    {At::Abs, "/boot/**", R::Medium, N, R::Critical, D, "/boot", "the boot loader and kernel", ""},
    {At::Abs, "/usr/local/**", R::Low, N, R::High, P, "/usr/local", "system-wide programs", ""},
    {At::Abs, "/usr/**", R::Low, N, R::High, P, "/usr", "system programs", ""},
    {At::Abs, "/bin/**", R::Low, N, R::High, P, "/bin", "system programs", ""},
    {At::Abs, "/sbin/**", R::Low, N, R::High, P, "/sbin", "system programs", ""},
    {At::Abs, "/lib*/**", R::Low, N, R::High, P, "/lib", "system libraries", ""},
    {At::Abs, "/var/log/**", R::Low, N, R::High, P, "/var/log",
     "system logs (tampering hides "
     "what happened)",
     ""},
    {At::Abs, "/var/run/docker.sock", R::High, P, R::High, P, "docker.sock",
     "the Docker socket (root on the host)", "docker"},
    {At::Abs, "/run/docker.sock", R::High, P, R::High, P, "docker.sock",
     "the Docker socket (root on the host)", "docker"},
    {At::Abs, "/var/run/secrets/**", R::Critical, C, R::High, P, "/run/secrets",
     "mounted service secrets", ""},
    {At::Abs, "/run/secrets/**", R::Critical, C, R::High, P, "/run/secrets",
     "mounted service secrets", ""},
    {At::Abs, "/proc/*/environ", R::Critical, C, R::Critical, P, "/proc/environ",
     "a process environment (tokens, keys)", ""},
    {At::Abs, "/proc/*/mem", R::Critical, C, R::Critical, D, "/proc/mem", "process memory", ""},
    {At::Abs, "/proc/kcore", R::Critical, C, R::Critical, D, "/proc/kcore", "kernel memory", ""},
    {At::Abs, "/proc/sys/**", R::Low, N, R::Critical, P, "/proc/sys", "kernel settings", ""},
    {At::Abs, "/sys/**", R::Low, N, R::High, P, "/sys", "kernel and device settings", ""},
    {At::Abs, "/dev/mem", R::Critical, C, R::Critical, D, "/dev/mem", "physical memory", ""},
    {At::Abs, "/dev/kmem", R::Critical, C, R::Critical, D, "/dev/kmem", "kernel memory", ""},
    {At::Abs, "/dev/tcp/**", R::High, X, R::High, X, "/dev/tcp", "a raw TCP connection (bash)", ""},
    {At::Abs, "/dev/udp/**", R::High, X, R::High, X, "/dev/udp", "a raw UDP connection (bash)", ""},
    {At::Abs, "/dev/sd*", R::High, C, R::Critical, D, "block-device", "a raw disk", ""},
    {At::Abs, "/dev/nvme*", R::High, C, R::Critical, D, "block-device", "a raw disk", ""},
    {At::Abs, "/dev/mmcblk*", R::High, C, R::Critical, D, "block-device", "a raw disk", ""},
    {At::Abs, "/dev/vd*", R::High, C, R::Critical, D, "block-device", "a raw disk", ""},
    {At::Abs, "/dev/xvd*", R::High, C, R::Critical, D, "block-device", "a raw disk", ""},
    {At::Abs, "/dev/hd*", R::High, C, R::Critical, D, "block-device", "a raw disk", ""},
    {At::Abs, "/dev/dm-*", R::High, C, R::Critical, D, "block-device", "a raw disk", ""},
    {At::Abs, "/dev/md*", R::High, C, R::Critical, D, "block-device", "a raw disk", ""},
    {At::Abs, "/dev/mapper/**", R::High, C, R::Critical, D, "block-device", "a raw disk", ""},
    {At::Abs, "/dev/disk/**", R::High, C, R::Critical, D, "block-device", "a raw disk", ""},
    {At::Abs, "/root/.ssh/**", R::Critical, C, R::Critical, P, "/root/.ssh", "root's SSH keys", ""},
    {At::Abs, "/root/**", R::High, C, R::High, P, "/root", "root's home", ""},
    {At::Abs, "/home/*/.ssh/**", R::Critical, C, R::Critical, P, "other-user-ssh",
     "another user's SSH keys", ""},
    {At::Abs, "/tmp/**", R::Low, N, R::Low, N, "/tmp", "temporary files", "", true},
    {At::Abs, "/var/tmp/**", R::Low, N, R::Low, N, "/var/tmp", "temporary files", "", true},
    {At::Abs, "/dev/shm/**", R::Low, N, R::Low, N, "/dev/shm", "temporary files", "", true},
    {At::Abs, "/dev/null", R::Low, N, R::Low, N, "/dev/null", "/dev/null", "", true},
    // project files that run code or steer the agent: protected at any depth
    {At::Any, ".git/hooks/*.sample", R::Low, N, R::Low, N, ".git/hooks", "a sample git hook", ""},
    {At::Any, ".git/hooks/**", R::Low, N, R::High, P, ".git/hooks",
     "a git hook (runs on the next git command)", ""},
    {At::Any, ".git/modules/**/hooks/**", R::Low, N, R::High, P, ".git/hooks",
     "a git hook (runs on the next git command)", ""},
    {At::Any, ".git/config", R::Low, N, R::High, P, ".git/config",
     "a repository's git configuration (can run code)", ""},
    {At::Any, ".git/modules/**/config", R::Low, N, R::High, P, ".git/config",
     "a repository's git configuration (can run code)", ""},
    {At::Any, ".vscode/tasks.json", R::Low, N, R::High, P, ".vscode/tasks.json",
     "editor tasks (run code when the folder opens)", ""},
    {At::Any, ".vscode/settings.json", R::Low, N, R::High, P, ".vscode/settings.json",
     "editor settings (can run code)", ""},
    {At::Any, ".envrc", R::Low, N, R::High, P, ".envrc", "a direnv script (runs on cd)", ""},
    {At::Any, ".warden/**", R::Low, N, R::High, P, ".warden", "warden's project configuration", ""},
    {At::Any, ".codex/**", R::Low, N, R::High, P, ".codex", "Codex's project configuration", ""},
    {At::Any, ".agents/**", R::Low, N, R::High, P, ".agents", "agent skills and settings", ""},
    {At::Any, ".claude/**", R::Low, N, R::High, P, ".claude", "Claude's project settings", ""},
    // secrets by name, outside the workspace
    {At::Out, "certifi/cacert.pem", R::Low, N, R::Medium, N, "ca-bundle", "a CA bundle", ""},
    {At::Out, ".env.example", R::Low, N, R::Medium, N, ".env.example", "an example env file", ""},
    {At::Out, ".env.sample", R::Low, N, R::Medium, N, ".env.sample", "an example env file", ""},
    {At::Out, ".env.template", R::Low, N, R::Medium, N, ".env.template", "an example env file", ""},
    {At::Out, ".env.dist", R::Low, N, R::Medium, N, ".env.dist", "an example env file", ""},
    {At::Out, ".env", R::Critical, C, R::Medium, N, ".env", "a dotenv file (secrets)", ""},
    {At::Out, ".env.*", R::Critical, C, R::Medium, N, ".env", "a dotenv file (secrets)", ""},
    {At::Out, "id_rsa", R::Critical, C, R::High, P, "private-key", "a private key", "ssh ssh-add"},
    {At::Out, "id_dsa", R::Critical, C, R::High, P, "private-key", "a private key", "ssh ssh-add"},
    {At::Out, "id_ecdsa*", R::Critical, C, R::High, P, "private-key", "a private key",
     "ssh ssh-add"},
    {At::Out, "id_ed25519*", R::Critical, C, R::High, P, "private-key", "a private key",
     "ssh ssh-add"},
    {At::Out, "*.key", R::Critical, C, R::Medium, N, "private-key", "a private key", ""},
    {At::Out, "*.p12", R::Critical, C, R::Medium, N, "keystore", "a key store", ""},
    {At::Out, "*.pfx", R::Critical, C, R::Medium, N, "keystore", "a key store", ""},
    {At::Out, "*.jks", R::Critical, C, R::Medium, N, "keystore", "a key store", ""},
    {At::Out, "*.keystore", R::Critical, C, R::Medium, N, "keystore", "a key store", ""},
    {At::Out, "*.ppk", R::Critical, C, R::Medium, N, "private-key", "a PuTTY private key", ""},
    {At::Out, "*.kdbx", R::Critical, C, R::Medium, N, "password-db", "a KeePass database", ""},
    {At::Out, "*.pem", R::High, C, R::Medium, N, "pem", "a key or certificate", ""},
    {At::Out, "authorized_keys*", R::High, C, R::Critical, P, "authorized_keys",
     "SSH authorized keys (who may log in)", ""},
    {At::Out, "credentials", R::Critical, C, R::Medium, N, "credentials-file", "a credentials file",
     ""},
    {At::Out, "credentials.*", R::Critical, C, R::Medium, N, "credentials-file",
     "a credentials file", ""},
    {At::Out, "secrets.*", R::Critical, C, R::Medium, N, "secrets-file", "a secrets file", ""},
    {At::Out, "*.secret", R::Critical, C, R::Medium, N, "secrets-file", "a secrets file", ""},
    {At::Out, "service-account*.json", R::Critical, C, R::Medium, N, "service-account",
     "a cloud service-account key", ""},
    {At::Out, ".htpasswd", R::Critical, C, R::Medium, N, ".htpasswd", "password hashes", ""},
    {At::Out, ".pgpass", R::Critical, C, R::Medium, N, ".pgpass", "PostgreSQL passwords", ""},
    {At::Out, ".netrc", R::Critical, C, R::Medium, N, ".netrc", "netrc passwords", ""},
    {At::Out, ".git-credentials", R::Critical, C, R::Medium, N, ".git-credentials",
     "stored git credentials", ""},
    {At::Out, "*.tfstate", R::High, C, R::Medium, N, "tfstate", "Terraform state (holds secrets)",
     ""},
    {At::Out, "*.tfvars", R::High, C, R::Medium, N, "tfvars", "Terraform variables", ""},
    {At::Out, ".*_history", R::High, C, R::Medium, N, "shell-history",
     "shell history (often holds secrets)", ""},
    {At::Out, ".bashrc", R::Low, N, R::High, P, "shell-startup", "a shell start-up file", ""},
    {At::Out, ".profile", R::Low, N, R::High, P, "shell-startup", "a shell start-up file", ""},
    {At::Out, ".zshrc", R::Low, N, R::High, P, "shell-startup", "a shell start-up file", ""},
    {At::Out, ".bash_profile", R::Low, N, R::High, P, "shell-startup", "a shell start-up file", ""},
    {At::Out, "sitecustomize.py", R::Low, N, R::High, P, "python-startup-hook",
     "Python start-up code", ""},
    {At::Out, "usercustomize.py", R::Low, N, R::High, P, "python-startup-hook",
     "Python start-up code", ""},
    {At::Out, "*.pth", R::Low, N, R::High, P, "python-startup-hook",
     "a .pth file (runs at every Python start)", ""},
};

struct Compiled {
  const Entry* e;
  std::vector<std::string> parts;
  std::string_view first;  // first component when it has no wildcard: a cheap pre-check
  bool deep;               // holds "**": may match at any position (Any/Out)
};

const std::vector<Compiled>& table() {
  static const std::vector<Compiled> t = [] {
    std::vector<Compiled> out;
    for (const Entry& e : kEntries) {
      Compiled c{&e, {}, {}, false};
      for (auto part : components(e.pattern)) c.parts.emplace_back(part);
      if (!c.parts.empty() && !has_glob(c.parts[0])) c.first = c.parts[0];
      c.deep = std::find(c.parts.begin(), c.parts.end(), "**") != c.parts.end();
      out.push_back(std::move(c));
    }
    return out;
  }();
  return t;
}

Risk risk_of(R r) {
  switch (r) {
    case R::Medium:
      return Risk::Medium;
    case R::High:
      return Risk::High;
    case R::Critical:
      return Risk::Critical;
    default:
      return Risk::Low;
  }
}

Risk lower(Risk r) {
  return r == Risk::Low ? r : static_cast<Risk>(static_cast<int>(r) - 1);
}
Risk raise(Risk r) {
  return r == Risk::Critical ? r : static_cast<Risk>(static_cast<int>(r) + 1);
}

bool word_in(std::string_view list, std::string_view w) {
  if (w.empty()) return false;
  std::size_t i = 0;
  while (i < list.size()) {
    std::size_t j = list.find(' ', i);
    if (j == std::string_view::npos) j = list.size();
    if (list.substr(i, j - i) == w) return true;
    i = j + 1;
  }
  return false;
}

const Entry* lookup(const Ctx& ctx, std::string_view path) {
  const auto parts = components(path);
  const std::span<const std::string_view> all(parts);
  const std::string_view home = ctx.v.home;
  const bool in_home = !home.empty() && home != "/" && under(path, home) && path != home;
  const bool in_ws = ctx.v.in_workspace(path);
  const auto rel = in_home ? all.subspan(ctx.home_depth) : std::span<const std::string_view>();
  for (const Compiled& c : table()) {
    switch (c.e->at) {
      case At::Home:
        if (!in_home || (!c.first.empty() && (rel.empty() || rel[0] != c.first))) continue;
        if (glob_components(c.parts, rel, false)) return c.e;
        break;
      case At::Abs:
        if (!c.first.empty() && (all.empty() || all[0] != c.first)) continue;
        if (glob_components(c.parts, all, false)) return c.e;
        break;
      case At::Out:
      case At::Any:
        if (c.e->at == At::Out && in_ws) continue;
        if (!c.deep) {
          // fixed length: only the tail can match
          if (all.size() < c.parts.size()) continue;
          if (glob_components(c.parts, all.subspan(all.size() - c.parts.size()), false)) return c.e;
        } else {
          for (std::size_t i = 0; i < all.size(); ++i) {
            if (!c.first.empty() && all[i] != c.first) continue;
            if (glob_components(c.parts, all.subspan(i), false)) return c.e;
          }
        }
        break;
    }
  }
  return nullptr;
}

}  // namespace

// "~/x" for paths under home: shorter and the same for every user.
std::string shown_path(const Ctx& ctx, std::string_view path) {
  const std::string_view home = ctx.v.home;
  if (!home.empty() && home != "/" && under(path, home))
    return "~" + std::string(path.substr(home.size()));
  return std::string(path);
}

bool secret_path(const Ctx& ctx, std::string_view path, std::string* label) {
  const Entry* e = lookup(ctx, path);
  if (e == nullptr || e->read != R::Critical || e->rfam != Family::Credentials) return false;
  if (label != nullptr) *label = e->label;
  return true;
}

bool is_cache_or_tmp(const Ctx& ctx, std::string_view path) {
  const Entry* e = lookup(ctx, path);
  return e != nullptr && e->cache;
}

namespace {

// A program on PATH named like a common tool shadows it: every later "git" runs the new one.
void check_path_hijack(const Ctx& ctx, Scorer& s, std::string_view path) {
  const std::string_view dir = path.substr(0, path.rfind('/'));
  const std::string_view home = ctx.v.home;
  bool on_path = dir == "/usr/local/bin" || dir == "/usr/local/sbin";
  if (!home.empty()) {
    for (std::string_view d : {"/.local/bin", "/bin", "/.cargo/bin", "/go/bin"}) {
      if (dir.size() == home.size() + d.size() && dir.starts_with(home) && dir.ends_with(d))
        on_path = true;
    }
  }
  if (!on_path) return;
  const std::string_view name = base_name(path);
  for (std::string_view tool :
       {"git",  "ssh",  "sudo", "su",      "ls",   "cat",   "python", "python3", "pip",
        "pip3", "node", "npm",  "npx",     "curl", "wget",  "bash",   "sh",      "zsh",
        "env",  "make", "gcc",  "cc",      "go",   "cargo", "rustc",  "docker",  "kubectl",
        "gpg",  "vim",  "vi",   "nano",    "code", "less",  "sed",    "awk",     "grep",
        "find", "ps",   "apt",  "apt-get", "yarn", "pnpm",  "passwd", "login"}) {
    if (name == tool) {
      s.hit(Risk::High, Family::Persistence, "path-hijack:" + std::string(name),
            "puts a program named " + std::string(name) + " on PATH (" + shown_path(ctx, path) +
                "), shadowing the real one");
      return;
    }
  }
}

}  // namespace

void check_path(Ctx& ctx, Scorer& s, std::string_view path, Use use, std::string_view actor) {
  if (use == Use::Write) check_path_hijack(ctx, s, path);
  const Entry* e = lookup(ctx, path);
  const bool write = use == Use::Write || use == Use::Delete;
  if (e == nullptr) return;
  const R level = write ? e->write : e->read;
  if (level == R::None || level == R::Low) return;
  Risk risk = risk_of(level);
  Family family = write ? e->wfam : e->rfam;
  if (use == Use::Delete && family == Family::None) family = Family::Destructive;
  const std::string shown = shown_path(ctx, path);
  std::string how;
  if (!write) {
    if (e->rfam == Family::Credentials && e->read == R::Critical) ctx.traits.secret = e->label;
    // The asking program is named by the process itself, so it can only soften a finding by one
    // step: a secret read by its own tool still goes to a person.
    if (word_in(e->native, actor)) {
      risk = lower(risk);
      how = " by its own tool (" + std::string(actor) + ")";
    }
    if (use == Use::Probe && risk > Risk::High) {
      risk = Risk::High;
      how = " (listed, not read)";
    }
  }
  if (!s.beats(risk)) return;
  const char* prefix = family == Family::Credentials    ? "credential-path:"
                       : family == Family::Persistence  ? "persistence-path:"
                       : family == Family::Destructive  ? "destructive-path:"
                       : family == Family::Exfiltration ? "exfil-path:"
                                                        : "sensitive-path:";
  const char* verb = use == Use::Read      ? "reads "
                     : use == Use::Probe   ? "looks at "
                     : use == Use::Mention ? "uses "
                     : use == Use::Delete  ? "deletes "
                                           : "writes ";
  std::string who = actor.empty() ? std::string() : std::string(actor) + " ";
  s.hit(risk, family, prefix + std::string(e->label),
        who + verb + e->what + " (" + shown + ")" + how);
}

// ---- Hosts

namespace {

constexpr std::string_view kKnownHosts[] = {"registry.npmjs.org",
                                            "registry.yarnpkg.com",
                                            "registry.npmjs.com",
                                            "pypi.org",
                                            "files.pythonhosted.org",
                                            "pypi.python.org",
                                            "crates.io",
                                            "static.crates.io",
                                            "index.crates.io",
                                            "static.rust-lang.org",
                                            "sh.rustup.rs",
                                            "proxy.golang.org",
                                            "sum.golang.org",
                                            "index.golang.org",
                                            "go.dev",
                                            "golang.org",
                                            "dl.google.com",
                                            "github.com",
                                            "api.github.com",
                                            "codeload.github.com",
                                            "objects.githubusercontent.com",
                                            "raw.githubusercontent.com",
                                            "*.githubusercontent.com",
                                            "ghcr.io",
                                            "gitlab.com",
                                            "registry.gitlab.com",
                                            "bitbucket.org",
                                            "codeberg.org",
                                            "deb.debian.org",
                                            "security.debian.org",
                                            "archive.ubuntu.com",
                                            "*.archive.ubuntu.com",
                                            "security.ubuntu.com",
                                            "ports.ubuntu.com",
                                            "dl-cdn.alpinelinux.org",
                                            "mirrors.fedoraproject.org",
                                            "repo.maven.apache.org",
                                            "repo1.maven.org",
                                            "plugins.gradle.org",
                                            "services.gradle.org",
                                            "downloads.gradle.org",
                                            "rubygems.org",
                                            "index.rubygems.org",
                                            "packagist.org",
                                            "repo.packagist.org",
                                            "api.nuget.org",
                                            "www.nuget.org",
                                            "registry-1.docker.io",
                                            "auth.docker.io",
                                            "registry.hub.docker.com",
                                            "index.docker.io",
                                            "production.cloudflare.docker.com",
                                            "quay.io",
                                            "registry.k8s.io",
                                            "nodejs.org",
                                            "deno.land",
                                            "jsr.io",
                                            "esm.sh",
                                            "bun.sh",
                                            "download.pytorch.org",
                                            "conda.anaconda.org",
                                            "repo.anaconda.com",
                                            "cdn.jsdelivr.net",
                                            "unpkg.com",
                                            "registry.terraform.io",
                                            "releases.hashicorp.com",
                                            "hex.pm",
                                            "repo.hex.pm",
                                            "pub.dev",
                                            "pkg.go.dev",
                                            "docs.rs",
                                            "docs.python.org",
                                            "developer.mozilla.org",
                                            "stackoverflow.com",
                                            "huggingface.co"};
constexpr std::string_view kHttpOk[] = {
    "deb.debian.org",      "security.debian.org", "archive.ubuntu.com",    "*.archive.ubuntu.com",
    "security.ubuntu.com", "ports.ubuntu.com",    "dl-cdn.alpinelinux.org"};
constexpr std::string_view kCodeHosts[] = {
    "github.com",        "gitlab.com",        "bitbucket.org",     "codeberg.org",
    "git.sr.ht",         "ssh.github.com",    "altssh.gitlab.com", "dev.azure.com",
    "ssh.dev.azure.com", "*.visualstudio.com"};
// Paste sites, request catchers, file drops and tunnels: places to put data, not to fetch code.
constexpr std::string_view kSinks[] = {"pastebin.com",
                                       "paste.ee",
                                       "hastebin.com",
                                       "ghostbin.com",
                                       "ghostbin.co",
                                       "paste.rs",
                                       "dpaste.com",
                                       "dpaste.org",
                                       "termbin.com",
                                       "ix.io",
                                       "sprunge.us",
                                       "0x0.st",
                                       "transfer.sh",
                                       "file.io",
                                       "tmpfiles.org",
                                       "catbox.moe",
                                       "files.catbox.moe",
                                       "litterbox.catbox.moe",
                                       "anonfiles.com",
                                       "gofile.io",
                                       "*.gofile.io",
                                       "bashupload.com",
                                       "oshi.at",
                                       "temp.sh",
                                       "filebin.net",
                                       "rentry.co",
                                       "controlc.com",
                                       "justpaste.it",
                                       "privatebin.net",
                                       "pastie.io",
                                       "webhook.site",
                                       "requestbin.net",
                                       "*.requestbin.net",
                                       "*.pipedream.net",
                                       "hookbin.com",
                                       "beeceptor.com",
                                       "*.beeceptor.com",
                                       "requestcatcher.com",
                                       "*.requestcatcher.com",
                                       "*.ngrok.io",
                                       "*.ngrok-free.app",
                                       "*.ngrok.app",
                                       "*.ngrok.dev",
                                       "*.trycloudflare.com",
                                       "serveo.net",
                                       "*.serveo.net",
                                       "localhost.run",
                                       "*.lhr.life",
                                       "*.loca.lt",
                                       "*.localtunnel.me",
                                       "*.pinggy.io",
                                       "*.pinggy.link",
                                       "bore.pub",
                                       "interact.sh",
                                       "*.interact.sh",
                                       "*.oast.fun",
                                       "*.oast.pro",
                                       "*.oast.live",
                                       "*.oast.site",
                                       "*.oast.online",
                                       "*.oast.me",
                                       "*.burpcollaborator.net",
                                       "*.oastify.com",
                                       "dnslog.cn",
                                       "*.dnslog.cn",
                                       "*.ceye.io",
                                       "canarytokens.com",
                                       "*.canarytokens.com",
                                       "discord.com",
                                       "discordapp.com",
                                       "api.telegram.org",
                                       "hooks.slack.com"};

bool listed(std::span<const std::string_view> list, std::string_view host) {
  for (std::string_view p : list) {
    if (host_match(p, host)) return true;
  }
  return false;
}

bool loopback(std::string_view h) {
  return h == "localhost" || h.ends_with(".localhost") || h == "::1" || h == "0.0.0.0" ||
         (is_ipv4(h) && h.starts_with("127."));
}

bool private_ip(std::string_view h) {
  if (is_ipv4(h)) {
    if (h.starts_with("10.") || h.starts_with("192.168.")) return true;
    if (h.starts_with("172.")) {
      const int second = std::atoi(std::string(h.substr(4)).c_str());
      return second >= 16 && second <= 31;
    }
    if (h.starts_with("100.")) {
      const int second = std::atoi(std::string(h.substr(4)).c_str());
      return second >= 64 && second <= 127;  // carrier-grade NAT, tailnets
    }
    return false;
  }
  return h.starts_with("fc") || h.starts_with("fd");
}

// Data smuggled out in DNS names: very long or hex/base32-looking labels.
bool dns_exfil_shape(std::string_view h) {
  if (is_ip(h)) return false;
  if (h.size() > 120) return true;
  int labels = 0;
  std::size_t i = 0;
  while (i <= h.size()) {
    std::size_t j = h.find('.', i);
    if (j == std::string_view::npos) j = h.size();
    const std::string_view label = h.substr(i, j - i);
    ++labels;
    int digits = 0, letters = 0;
    bool hex = true;
    for (char c : label) {
      if (c >= '0' && c <= '9') {
        ++digits;
      } else if (c >= 'a' && c <= 'z') {
        ++letters;
        if (c > 'f') hex = false;
      } else {
        hex = false;
      }
    }
    if (label.size() >= 40) return true;
    if (label.size() >= 20 &&
        (hex || (digits * 10 >= static_cast<int>(label.size()) * 3 && letters > 0)))
      return true;
    if (j == h.size()) break;
    i = j + 1;
  }
  return labels > 8;
}

}  // namespace

bool known_host(std::string_view host) {
  return listed(kKnownHosts, host);
}
bool sink_host(std::string_view host) {
  return listed(kSinks, host);
}
bool code_host(std::string_view host) {
  return listed(kCodeHosts, host) || known_host(host);
}

void check_host(Ctx&, Scorer& s, std::string_view host_in, std::optional<std::int64_t> port,
                std::string_view via) {
  const std::string h = normalize_host(host_in);
  if (h.empty()) return;
  const std::string by = via.empty() ? std::string() : " (" + std::string(via) + ")";
  const std::string at = port ? h + ":" + std::to_string(*port) : h;
  if (loopback(h)) {
    s.hit(Risk::Low, Family::None, "loopback", "connects to this machine" + by);
    return;
  }
  if (h == "169.254.169.254" || h == "metadata.google.internal" || h == "metadata" ||
      h == "100.100.100.200" || h == "fd00:ec2::254" || h == "169.254.170.2") {
    s.hit(Risk::Critical, Family::Credentials, "cloud-metadata",
          "reaches the cloud metadata service, which hands out credentials" + by);
    return;
  }
  if (h.starts_with("169.254.") || h.starts_with("fe80:")) {
    s.hit(Risk::High, Family::Exfiltration, "link-local:" + h,
          "reaches a link-local address " + at + by);
    return;
  }
  if (sink_host(h)) {
    s.hit(Risk::High, Family::Exfiltration, "exfil-sink:" + h,
          "reaches " + h + ", a paste, request-catcher or tunnel service" + by);
    return;
  }
  if (dns_exfil_shape(h)) {
    s.hit(Risk::High, Family::Exfiltration, "dns-exfil:" + h,
          "a host name shaped like encoded data (DNS exfiltration): " + h + by);
    return;
  }
  if (is_ip(h)) {
    if (private_ip(h)) {
      s.hit(Risk::Medium, Family::None, "private-address:" + h,
            "reaches a private network address " + at + by);
    } else {
      s.hit(Risk::High, Family::Exfiltration, "raw-ip:" + h,
            "reaches a raw public IP address " + at + " (no name to vouch for it)" + by);
    }
    return;
  }
  if (known_host(h) || listed(kCodeHosts, h)) {
    if (!port || *port == 443 || (*port == 80 && listed(kHttpOk, h)) ||
        ((*port == 22 || *port == 9418) && listed(kCodeHosts, h))) {
      s.hit(Risk::Low, Family::None, "known-host:" + h,
            "reaches " + h + ", a package registry or code host" + by);
    } else {
      s.hit(Risk::Medium, Family::None, "known-host-port:" + at,
            "reaches " + h + " on an unusual port " + std::to_string(*port) + by);
    }
    return;
  }
  if (!port || *port == 443) {
    s.hit(Risk::Medium, Family::None, "unknown-host-https:" + h,
          "reaches " + h + " over HTTPS (not a known registry)" + by);
  } else if (*port == 80) {
    s.hit(Risk::Medium, Family::None, "plain-http:" + h, "reaches " + h + " over plain HTTP" + by);
  } else if (*port == 53 || *port == 853) {
    s.hit(Risk::High, Family::Exfiltration, "dns-direct:" + at,
          "talks DNS to " + at + " directly, around the sandbox resolver" + by);
  } else {
    s.hit(Risk::High, Family::Exfiltration, "non-https-port:" + at,
          "reaches " + at + ", an unknown host on a port other than 443" + by);
  }
}

// ---- SQL and secret material in free text

void check_sql(Scorer& s, std::string_view text, std::string_view where) {
  if (text.size() < 6) return;
  std::vector<std::string> w;
  words_of(text, w);
  const std::string in = where.empty() ? std::string() : " in " + std::string(where);
  static const std::string kNone;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::string& a = w[i];
    const std::string& b = i + 1 < w.size() ? w[i + 1] : kNone;
    if (a == "drop" && (b == "database" || b == "schema")) {
      s.hit(Risk::Critical, Family::Destructive, "sql:drop-database", "drops a database" + in);
    } else if (a == "dropdatabase" || a == "flushall") {
      s.hit(Risk::Critical, Family::Destructive, "sql:" + a, "wipes a database" + in);
    } else if (a == "drop" && b == "table") {
      s.hit(Risk::High, Family::Destructive, "sql:drop-table", "drops a table" + in);
    } else if (a == "truncate" && b == "table") {
      s.hit(Risk::High, Family::Destructive, "sql:truncate", "empties a table" + in);
    } else if (a == "flushdb") {
      s.hit(Risk::High, Family::Destructive, "sql:flushdb", "empties a database" + in);
    } else if (a == "delete" && b == "from") {
      if (std::find(w.begin() + static_cast<std::ptrdiff_t>(i), w.end(), "where") == w.end())
        s.hit(Risk::High, Family::Destructive, "sql:delete-all",
              "deletes every row of a table (no WHERE)" + in);
    }
  }
}

namespace {

bool run_of(std::string_view s, std::size_t from, std::size_t n, bool upper_digits) {
  if (from + n > s.size()) return false;
  for (std::size_t i = from; i < from + n; ++i) {
    const char c = s[i];
    const bool ok = upper_digits ? ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
                                 : ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                    (c >= '0' && c <= '9') || c == '_' || c == '-');
    if (!ok) return false;
  }
  return true;
}

// The kind of secret that appears literally in text, or "".
std::string_view secret_kind(std::string_view t) {
  if (t.find("PRIVATE KEY") != std::string_view::npos &&
      t.find("-----BEGIN") != std::string_view::npos)
    return "private-key";
  for (std::string_view p : {"AKIA", "ASIA"}) {
    for (auto i = t.find(p); i != std::string_view::npos; i = t.find(p, i + 1)) {
      if (run_of(t, i + 4, 16, true) && (i == 0 || !run_of(t, i - 1, 1, true)))
        return "aws-access-key";
    }
  }
  for (std::string_view p : {"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}) {
    for (auto i = t.find(p); i != std::string_view::npos; i = t.find(p, i + 1)) {
      if (run_of(t, i + 4, 30, false)) return "github-token";
    }
  }
  if (auto i = t.find("github_pat_"); i != std::string_view::npos && run_of(t, i + 11, 22, false))
    return "github-token";
  if (auto i = t.find("glpat-"); i != std::string_view::npos && run_of(t, i + 6, 20, false))
    return "gitlab-token";
  for (std::string_view p : {"xoxb-", "xoxp-", "xoxa-", "xoxr-"}) {
    if (auto i = t.find(p); i != std::string_view::npos && run_of(t, i + 5, 10, false))
      return "slack-token";
  }
  for (auto i = t.find("sk-"); i != std::string_view::npos; i = t.find("sk-", i + 1)) {
    if ((i == 0 || !run_of(t, i - 1, 1, false)) && run_of(t, i + 3, 32, false)) return "api-key";
  }
  if (auto i = t.find("AIza"); i != std::string_view::npos && run_of(t, i + 4, 35, false))
    return "google-api-key";
  return {};
}

}  // namespace

void check_secret_material(Ctx&, Scorer& s, std::string_view text, std::string_view where) {
  const std::string_view kind = secret_kind(text);
  if (kind.empty()) return;
  // A private key in the open is always exfiltration in progress; a token may be in use by its
  // own service, so a person decides.
  const Risk risk = kind == "private-key" || where == "MCP arguments" ? Risk::Critical : Risk::High;
  s.hit(risk, Family::Exfiltration, "secret-material:" + std::string(kind),
        "a literal " + std::string(kind) + " appears in the " + std::string(where));
}

// ---- Prompt injection

namespace {

// Phrases in normalized text: lower case, words only, without the filler words below. They
// address the reviewer or claim an authority; generic words that a real task could use ("must
// approve", "ignore rules", "bypass") are left out on purpose.
constexpr std::string_view kPhrases[] = {"ignore previous instructions",
                                         "ignore prior instructions",
                                         "ignore above instructions",
                                         "ignore earlier instructions",
                                         "ignore preceding instructions",
                                         "ignore instructions above",
                                         "ignore instructions",
                                         "ignore previous prompts",
                                         "ignore system prompt",
                                         "disregard previous instructions",
                                         "disregard prior instructions",
                                         "disregard above",
                                         "disregard instructions",
                                         "disregard system prompt",
                                         "forget previous instructions",
                                         "forget instructions",
                                         "forget everything above",
                                         "override instructions",
                                         "new system prompt",
                                         "you must approve",
                                         "you must allow",
                                         "you must accept",
                                         "you should approve",
                                         "you are required to approve",
                                         "you will approve",
                                         "approve this request",
                                         "approve this action",
                                         "approve this command",
                                         "allow this request",
                                         "request is pre approved",
                                         "action is pre approved",
                                         "command is pre approved",
                                         "operation is pre approved",
                                         "this is pre approved",
                                         "pre approved by security",
                                         "pre approved by admin",
                                         "pre approved by user",
                                         "pre approved by reviewer",
                                         "pre approved by policy",
                                         "preapproved by security",
                                         "preapproved by admin",
                                         "approved by security",
                                         "security team approved",
                                         "user approved this",
                                         "authorized by security",
                                         "do not deny",
                                         "dont deny",
                                         "don t deny",
                                         "never deny",
                                         "do not escalate",
                                         "dont escalate",
                                         "don t escalate",
                                         "safe to approve",
                                         "mark as safe",
                                         "treat as benign",
                                         "classify as benign",
                                         "classify as low risk",
                                         "risk level low",
                                         "risk level is low",
                                         "risk is low",
                                         "note to reviewer",
                                         "note to ai",
                                         "dear reviewer",
                                         "attention reviewer",
                                         "message to reviewer",
                                         "to ai reviewer",
                                         "ai reviewer",
                                         "reviewer instructions",
                                         "instructions for reviewer",
                                         "as an ai language model",
                                         "security override",
                                         "you are approval model",
                                         "you are reviewer"};
constexpr std::string_view kFiller[] = {"a",   "an",      "the",   "all",    "any",    "your",
                                        "my",  "these",   "those", "been",   "has",    "have",
                                        "had", "already", "just",  "kindly", "please", "team's"};
// Raw markers, matched in lower-cased text. "system:" only counts at the start of a line, or
// written in capitals (below): "file system: ..." is ordinary prose.
constexpr std::string_view kMarkers[] = {"[system]",
                                         "<system>",
                                         "</system>",
                                         "<|im_start|>",
                                         "<|system|>",
                                         "### system",
                                         "<<sys>>",
                                         "[inst]",
                                         "\"decision\":\"approve\"",
                                         "\"decision\": \"approve\"",
                                         "\"outcome\":\"allow\"",
                                         "\"outcome\": \"allow\"",
                                         "\"risk\":\"low\"",
                                         "\"risk\": \"low\"",
                                         "\"risk_level\":\"low\""};

bool filler(std::string_view w) {
  for (std::string_view f : kFiller) {
    if (w == f) return true;
  }
  return false;
}

}  // namespace

namespace {

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Phrases split into words, sorted by their first word so that each word of a text costs one
// binary search.
struct PhraseIndex {
  std::vector<std::vector<std::string_view>> phrases;
  std::vector<std::pair<std::string_view, std::size_t>> by_first;
};

const PhraseIndex& phrase_index() {
  static const PhraseIndex index = [] {
    PhraseIndex x;
    for (std::string_view p : kPhrases) {
      std::vector<std::string_view> words;
      std::size_t i = 0;
      while (i < p.size()) {
        std::size_t j = p.find(' ', i);
        if (j == std::string_view::npos) j = p.size();
        words.push_back(p.substr(i, j - i));
        i = j + 1;
      }
      x.by_first.emplace_back(words[0], x.phrases.size());
      x.phrases.push_back(std::move(words));
    }
    std::stable_sort(x.by_first.begin(), x.by_first.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    return x;
  }();
  return index;
}

}  // namespace

// The injection phrase or marker in text, or "".
std::string injection_in(std::string_view text) {
  if (text.size() < 6) return {};
  const std::string low = lowered(text);
  if (text.find_first_of("[<#\":") != std::string_view::npos) {
    for (std::size_t i = text.find("SYSTEM:"); i != std::string_view::npos;
         i = text.find("SYSTEM:", i + 1)) {
      if (i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1]))) return "SYSTEM:";
    }
    for (std::size_t i = low.find("system:"); i != std::string::npos;
         i = low.find("system:", i + 1)) {
      std::size_t b = i;
      while (b > 0 && (low[b - 1] == ' ' || low[b - 1] == '\t')) --b;
      if (b == 0 || low[b - 1] == '\n') return "system:";
    }
    for (std::string_view m : kMarkers) {
      for (auto i = low.find(m); i != std::string::npos; i = low.find(m, i + 1)) {
        if (i == 0 || !alnum(low[i - 1])) return std::string(m);
      }
    }
  }
  // the words, without fillers
  std::vector<std::string_view> words;
  for (std::size_t i = 0; i < low.size();) {
    while (i < low.size() && !alnum(low[i])) ++i;
    std::size_t j = i;
    while (j < low.size() && alnum(low[j])) ++j;
    if (j > i) {
      const std::string_view w(low.data() + i, j - i);
      if (!filler(w)) words.push_back(w);
    }
    i = j;
  }
  const PhraseIndex& index = phrase_index();
  std::size_t best = SIZE_MAX;  // the earliest phrase in kPhrases order, as documented
  for (std::size_t k = 0; k < words.size(); ++k) {
    auto range = std::equal_range(index.by_first.begin(), index.by_first.end(),
                                  std::pair(words[k], std::size_t{0}),
                                  [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto it = range.first; it != range.second; ++it) {
      const auto& p = index.phrases[it->second];
      if (k + p.size() > words.size()) continue;
      if (std::equal(p.begin() + 1, p.end(), words.begin() + static_cast<std::ptrdiff_t>(k) + 1))
        best = std::min(best, it->second);
    }
  }
  return best == SIZE_MAX ? std::string() : std::string(kPhrases[best]);
}

namespace {

struct Injection {
  std::string phrase;
  std::string field;
};

void scan(std::optional<Injection>& found, std::string_view text, const char* field) {
  if (found) return;
  if (auto p = injection_in(text); !p.empty()) found = Injection{std::move(p), field};
}

void scan_json(std::optional<Injection>& found, const policy::json::Value& v, const char* field,
               int depth = 0) {
  if (found || depth > 16) return;
  if (v.is_string()) {
    scan(found, v.as_string(), field);
  } else if (v.is_array()) {
    for (const auto& e : v.as_array()) scan_json(found, e, field, depth + 1);
  } else if (v.is_object()) {
    for (const auto& [k, e] : v.as_object()) {
      scan(found, k, field);
      scan_json(found, e, field, depth + 1);
    }
  }
}

std::optional<Injection> find_injection(const policy::Request& r) {
  std::optional<Injection> found;
  if (r.path) scan(found, *r.path, "path");
  if (r.host) scan(found, *r.host, "host");
  if (r.argv) {
    for (const auto& w : *r.argv) scan(found, w, "argv");
  }
  if (r.command) {
    for (const auto& w : *r.command) scan(found, w, "command");
  }
  if (r.intent) scan(found, *r.intent, "intent");
  if (r.reason) scan(found, *r.reason, "reason");
  if (r.cwd) scan(found, *r.cwd, "cwd");
  if (r.tool) scan(found, *r.tool, "tool");
  if (r.server) scan(found, *r.server, "server");
  if (r.skill) scan(found, *r.skill, "skill");
  scan_json(found, r.arguments, "MCP arguments");
  scan_json(found, r.annotations, "MCP annotations");
  return found;
}

// ---- MCP tool calls

bool destructive_name(std::string_view tool) {
  const std::string t = lowered(tool);
  for (std::string_view w : {"delete", "drop", "destroy", "purge", "wipe", "truncate", "erase",
                             "force_push", "rmdir", "remove_all", "reset_hard"}) {
    if (t.find(w) != std::string::npos) return true;
  }
  return false;
}

bool hint(const policy::json::Value& annotations, std::string_view key) {
  const auto* v = annotations.find(key);
  return v != nullptr && v->is_bool() && v->as_bool();
}

void mcp_strings(Ctx& ctx, Scorer& s, const policy::json::Value& v, std::string_view key,
                 std::string_view actor, int depth) {
  if (depth > 16) return;
  if (v.is_array()) {
    for (const auto& e : v.as_array()) mcp_strings(ctx, s, e, key, actor, depth + 1);
    return;
  }
  if (v.is_object()) {
    for (const auto& [k, e] : v.as_object()) mcp_strings(ctx, s, e, k, actor, depth + 1);
    return;
  }
  if (!v.is_string()) return;
  const std::string& text = v.as_string();
  for (const auto& p : paths_in_text(text, ctx.v.home)) check_path(ctx, s, p, Use::Mention, actor);
  check_secret_material(ctx, s, text, "MCP arguments");
  check_sql(s, text, "MCP arguments");
  // "postgres://user:password@host/db": a password on its way to another program
  if (auto i = text.find("://"); i != std::string::npos) {
    const auto at = text.find('@', i);
    const auto colon = text.find(':', i + 3);
    const auto slash = text.find('/', i + 3);
    if (at != std::string::npos && colon < at && (slash == std::string::npos || at < slash) &&
        text.find(' ', i) > at) {
      const std::string host = text.substr(at + 1, text.find_first_of(":/ ", at + 1) - at - 1);
      if (host != "localhost" && !host.starts_with("127."))
        s.hit(Risk::High, Family::Exfiltration, "secret-material:url-credentials",
              "a URL with a password in it appears in the MCP arguments");
    }
  }
  // URLs: where the tool will send or fetch
  for (std::size_t i = text.find("://"); i != std::string::npos; i = text.find("://", i + 3)) {
    std::size_t b = i;
    while (b > 0 && std::isalpha(static_cast<unsigned char>(text[b - 1]))) --b;
    std::size_t e = i + 3;
    while (e < text.size() && text[e] != ' ' && text[e] != '"' && text[e] != '\'') ++e;
    const std::string_view url(text.data() + b, e - b);
    if (auto h = host_of_url(url)) check_host(ctx, s, *h, port_of_url(url), actor);
  }
  const std::string k = lowered(key);
  if (k == "command" || k == "cmd" || k == "script" || k == "shell" || k == "bash")
    check_commands(ctx, s, script_commands(text));
}

void check_mcp(Ctx& ctx, Scorer& s) {
  const policy::Request& r = ctx.v.r;
  const std::string tool = r.tool.value_or("?");
  const std::string server = r.server.value_or("?");
  const std::string actor = "MCP " + server + "/" + tool;
  mcp_strings(ctx, s, r.arguments, "", actor, 0);
  const bool read_only = hint(r.annotations, "readOnlyHint");
  if (!read_only && destructive_name(tool)) {
    s.hit(Risk::High, Family::Destructive, "mcp-destructive:" + tool,
          actor + " is a destructive tool call");
  } else if (!read_only && hint(r.annotations, "destructiveHint")) {
    s.hit(Risk::Medium, Family::Destructive, "mcp-destructive-hint:" + tool,
          actor + " is marked destructive by its server");
  }
  s.hit(Risk::Low, Family::None, "mcp-tool:" + server + "/" + tool,
        actor + (read_only ? " (read-only)" : "") + ": nothing risky found");
}

// ---- Per-kind baselines (last: any specific finding of the same level wins)

void baseline(Ctx& ctx, Scorer& s) {
  const View& v = ctx.v;
  const policy::Request& r = v.r;
  const std::string shown = v.path.empty() ? std::string() : shown_path(ctx, v.path);
  switch (r.kind) {
    case Kind::FileWrite: {
      if (v.path.empty()) {
        s.hit(Risk::Medium, Family::None, "write-unknown-path", "a write with no path");
      } else if (v.in_workspace(v.path)) {
        s.hit(Risk::Low, Family::None, "workspace-write", "writes " + shown + " in the workspace");
      } else if (is_cache_or_tmp(ctx, v.path)) {
        s.hit(Risk::Low, Family::None, "cache-write", "writes " + shown + " (temp or cache)");
      } else {
        s.hit(Risk::Medium, Family::None, "write-outside-workspace",
              "writes " + shown + " outside the workspace");
      }
      break;
    }
    case Kind::FileRead:
      s.hit(Risk::Low, Family::None,
            v.in_workspace(v.path) ? "workspace-read" : "read-outside-workspace",
            "reads " + (shown.empty() ? std::string("an unknown path") : shown));
      break;
    case Kind::Network:
      if (v.host.empty())
        s.hit(Risk::Medium, Family::None, "network-unknown-host", "a connection to no named host");
      break;
    case Kind::Exec:
    case Kind::Skill: {
      std::string prog = r.argv && !r.argv->empty() ? std::string(base_name((*r.argv)[0]))
                         : v.path.empty()           ? std::string("?")
                                                    : std::string(base_name(v.path));
      if (r.kind == Kind::Skill) {
        s.hit(Risk::Low, Family::None, "skill:" + r.skill.value_or(prog),
              "runs skill " + r.skill.value_or(prog) + ": nothing risky found");
      } else {
        s.hit(Risk::Low, Family::None, "exec:" + prog, "runs " + prog + ": nothing risky found");
      }
      break;
    }
    case Kind::Permissions:
      if (r.access == policy::Access::Network) {
        if (v.host.empty())
          s.hit(Risk::Medium, Family::None, "permission-network", "asks for network access");
      } else if (!v.path.empty() && v.in_workspace(v.path)) {
        s.hit(Risk::Low, Family::None, "permission-inside-workspace",
              "asks for access to " + shown + " in the workspace");
      } else if (!v.path.empty() && is_cache_or_tmp(ctx, v.path)) {
        s.hit(Risk::Low, Family::None, "permission-cache",
              "asks for access to " + shown + " (temp or cache)");
      } else {
        s.hit(Risk::Medium, Family::None, "permission-widen",
              "asks for " + std::string(r.access ? policy::to_string(*r.access) : "?") +
                  " access to " + (shown.empty() ? std::string("an unknown path") : shown));
      }
      break;
    case Kind::McpTool:
      break;
  }
}

// The first sensitive entry that lies below dir (dir an ancestor of the entry's fixed part):
// for a read, a credential store; for a write, a file that runs code or guards access.
const Entry* covered_entry(const Ctx& ctx, std::string_view dir, bool write, bool pure = true) {
  for (const Compiled& c : table()) {
    const Entry& e = *c.e;
    if (e.at != At::Home && e.at != At::Abs) continue;
    // for a write, name what runs code first (a start-up file), then credential stores
    if (write && pure && e.read > R::Low) continue;
    if (e.at == At::Home && (ctx.v.home.empty() || ctx.v.home == "/")) continue;
    const R level = write ? e.write : e.read;
    const Family fam = write ? e.wfam : e.rfam;
    if (level < R::High || fam == Family::None) continue;
    std::string fixed = e.at == At::Home ? std::string(ctx.v.home) : std::string();
    for (const auto& part : c.parts) {
      if (has_glob(part)) break;
      fixed += '/';
      fixed += part;
    }
    if (fixed.empty()) fixed = "/";
    if (under(fixed, dir) && fixed != dir) return &e;
  }
  return write && pure ? covered_entry(ctx, dir, write, false) : nullptr;
}

// A permission covers a whole subtree: asking for / or the home directory includes every secret
// and start-up file below it.
void check_permission_scope(Ctx& ctx, Scorer& s) {
  const View& v = ctx.v;
  if (v.path.empty() || !v.r.access || *v.r.access == policy::Access::Network) return;
  const bool write = *v.r.access == policy::Access::Write;
  const std::string shown = shown_path(ctx, v.path);
  if (v.path == "/") {
    s.hit(Risk::Critical, write ? Family::Persistence : Family::Credentials, "permission-broad:/",
          std::string("asks for ") + (write ? "write" : "read") + " access to the whole disk");
  } else if (const Entry* e = covered_entry(ctx, v.path, write)) {
    s.hit(Risk::High, write ? Family::Persistence : Family::Credentials,
          "permission-broad:" + shown,
          std::string("asks for ") + (write ? "write" : "read") + " access to " + shown +
              ", which covers " + e->what + " (" + e->label + ")");
  }
}

}  // namespace

Assessment assess(const View& v) {
  Ctx ctx{v, v.home.empty() ? 0 : components(v.home).size(), {}};
  Scorer s;
  const policy::Request& r = v.r;
  const bool delete_op =
      r.syscall && (*r.syscall == "unlink" || *r.syscall == "unlinkat" || *r.syscall == "rmdir");
  switch (r.kind) {
    case Kind::FileRead:
      if (!v.path.empty()) {
        std::string actor;
        if (r.command && !r.command->empty()) actor = base_name((*r.command)[0]);
        check_path(ctx, s, v.path, Use::Read, actor);
      }
      break;
    case Kind::FileWrite:
      if (!v.path.empty()) {
        const std::string actor =
            r.command && !r.command->empty() ? std::string(base_name((*r.command)[0])) : "";
        check_path(ctx, s, v.path, delete_op ? Use::Delete : Use::Write, actor);
        if (delete_op && !v.in_workspace(v.path) && !is_cache_or_tmp(ctx, v.path))
          s.hit(Risk::High, Family::Destructive, "delete-outside-workspace",
                "deletes " + shown_path(ctx, v.path) + " outside the workspace");
        // git rewrites a repository's own config (remotes, upstreams); other writers are not
        // expected there. The process names itself, so this only softens to medium.
        if (ends_with(v.path, "/.git/config") && actor == "git" && !s.beats(Risk::High) &&
            s.best().check == "persistence-path:.git/config") {
          bool dangerous = false;
          for (const auto& c : v.command_cmds) {
            for (const auto& w : c.words) {
              const std::string l = lowered(w);
              for (std::string_view k : {"core.", "credential.", "url.", "alias.", "filter.",
                                         "diff.", "include", "http.", "protocol."}) {
                if (l.starts_with(k)) dangerous = true;
              }
            }
          }
          if (!dangerous) {
            Scorer fresh;
            fresh.hit(Risk::Medium, Family::Persistence, "git-own-config",
                      "git updates the repository's own config (" + shown_path(ctx, v.path) + ")");
            s = fresh;
          }
        }
      }
      break;
    case Kind::Network:
      if (!v.host.empty()) {
        std::string via;
        if (r.command && !r.command->empty()) via = base_name((*r.command)[0]);
        check_host(ctx, s, v.host, r.port, via);
      }
      break;
    case Kind::Permissions:
      if (r.access == policy::Access::Network) {
        if (!v.host.empty()) check_host(ctx, s, v.host, r.port, "");
      } else if (!v.path.empty()) {
        check_path(ctx, s, v.path, r.access == policy::Access::Write ? Use::Write : Use::Read, "");
        check_permission_scope(ctx, s);
      }
      break;
    case Kind::McpTool:
      check_mcp(ctx, s);
      break;
    case Kind::Exec:
    case Kind::Skill:
      break;
  }
  if (r.kind == Kind::Exec || r.kind == Kind::Skill) check_commands(ctx, s, v.argv_cmds);
  check_commands(ctx, s, v.command_cmds);

  // A secret and a way out in the same request: the pipeline is the finding.
  const Traits& t = ctx.traits;
  if (!t.egress.empty() && (!t.secret.empty() || t.env_dump || t.home_archive)) {
    const std::string what = !t.secret.empty() ? t.secret
                             : t.env_dump      ? std::string("the environment")
                                               : std::string("the home directory");
    s.hit(Risk::Critical, Family::Exfiltration, "exfil-pipeline:" + t.egress,
          "sends " + what + " out with " + t.egress);
  }
  if (t.env_dump && t.secret_grep)
    s.hit(Risk::High, Family::Credentials, "credential-search:environment",
          "searches the environment for passwords, tokens or keys");
  baseline(ctx, s);

  Assessment a = s.best();
  // Instructions addressed to the reviewer are an attack on the reviewer: they raise the risk
  // one level, to high at least, and never lower anything.
  if (auto inj = find_injection(r)) {
    const Risk raised = std::max(Risk::High, raise(a.risk));
    const std::string what =
        "instructions aimed at the reviewer in the " + inj->field + " (\"" + inj->phrase + "\")";
    if (raised > a.risk) {
      a.reason = what + "; otherwise: " + a.reason + " [" + a.check + "]";
      a.check = "prompt-injection:" + inj->phrase;
      a.family = Family::Injection;
      a.risk = raised;
    } else {
      a.reason += "; also " + what;
    }
  }
  return a;
}

}  // namespace detail

Assessment classify(const policy::Request& request, std::string_view home) {
  const detail::View v(request, home);
  return detail::assess(v);
}

Assessment classify(const policy::Request& request) {
  const std::string home = default_home();
  return classify(request, home);
}

}  // namespace warden::reviewer
