#!/bin/sh
# Installs the Debian 12 packages that building, running and testing xroam
# need. Used by `make deps`, the README and .ci/run.
set -eu
SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
PACKAGES="
  ca-certificates git make gcc pkg-config dpkg-dev procps
  xvfb xterm x11-apps x11-utils x11-xserver-utils xdotool xauth
  xpra
  libx264-dev libvpx-dev libturbojpeg0-dev libpam0g-dev
  python3-gi-cairo
"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $PACKAGES
