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
"$@"
