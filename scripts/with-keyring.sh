#!/usr/bin/env bash
# Inside a D-Bus session: start gnome-keyring's Secret Service with a throw-away login
# keyring, unlocked with a throw-away password, then run the given command.
set -euo pipefail
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
export AUTHCTL_TEST_KEYRING_HOME="$keyring_home"
export AUTHCTL_TEST_KEYRING_PASSWORD="authctl-test-keyring"
# gnome-keyring keeps its files under $HOME; give it its own, and keep ours.
printf '%s' "$AUTHCTL_TEST_KEYRING_PASSWORD" | HOME="$keyring_home" gnome-keyring-daemon --unlock --components=secrets >/dev/null
# It may return before it owns org.freedesktop.secrets; a Secret Service call in that window
# would make dbus-daemon activate a second, password-less daemon whose login keyring stays
# locked. NameHasOwner never activates anything: wait on it (15 s at most).
for _ in $(seq 150); do
  busctl --user call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s org.freedesktop.secrets 2>/dev/null | grep -q true && break
  sleep 0.1
done
"$@"
