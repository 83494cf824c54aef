#!/usr/bin/env bash
# The one test command (README: `npm test`). Installs the system packages the real-parts
# tests need when they are missing (as root, unless AUTHCTL_NO_APT=1), builds, then runs
# vitest inside a private D-Bus session with an unlocked gnome-keyring (the real Secret
# Service). Extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v dbus-run-session >/dev/null || need+=(dbus)
command -v secret-tool >/dev/null || need+=(libsecret-tools)
command -v oathtool >/dev/null || need+=(oathtool)
command -v tmux >/dev/null || need+=(tmux)
command -v zsh >/dev/null || need+=(zsh)
command -v git >/dev/null || need+=(git)
command -v chromium >/dev/null || need+=(chromium)
command -v openssl >/dev/null || need+=(openssl)
command -v busctl >/dev/null || need+=(systemd)
command -v systemd-socket-activate >/dev/null || need+=(systemd)
command -v kubectl >/dev/null || need+=(kubectl)
command -v /usr/sbin/sshd >/dev/null || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v pkill >/dev/null || need+=(procps) # the sshd fixture ends the test user's processes
command -v cc >/dev/null || need+=(gcc libc6-dev) # the native client (native/client/) and addon
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ] && [ "${AUTHCTL_NO_APT:-}" != 1 ]; then
    echo "installing system packages: ${need[*]}" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "missing system packages: ${need[*]} (install them, or run as root)" >&2
    exit 1
  fi
fi

[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build

exec dbus-run-session -- bash scripts/with-keyring.sh npx vitest run "$@"
