#!/bin/sh
# Installs the Debian 12 packages that building, running and testing xroam
# need. Used by `make deps`, the README and .ci/run.
set -eu
SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
PACKAGES="
  ca-certificates git make gcc pkg-config dpkg-dev procps
  xvfb xterm x11-apps x11-utils x11-xserver-utils x11-xkb-utils xdotool xauth xclip
  xserver-xorg-core xserver-xorg-video-dummy x11proto-dev
  xpra
  libx264-dev libavcodec-dev libvpx-dev libturbojpeg0-dev libpam0g-dev libwebp-dev libyuv-dev
  python3-gi-cairo
  openssh-server openssh-client iproute2
  tigervnc-viewer x11vnc websockify chromium
"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $PACKAGES
# playwright-core (tests/html5, tests/vnc) and noVNC (tests/vnc) for the
# browser tests; they drive the Debian chromium above and never download a
# browser. Installed from the committed lock files.
if ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get install -y -qq nodejs npm
fi
cd "$(dirname "$0")/.."
for d in tests/html5 tests/vnc; do
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --prefix "$d"
done
