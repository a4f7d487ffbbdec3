#!/usr/bin/env bash
# Real third-party programs some tests run, from Debian's packages, downloaded with apt-get
# and unpacked under .cache (nothing is installed, no service is started):
# - Prometheus 2.42 and Alertmanager 0.25 for tests/realclients/ (.cache/prometheus/bin);
# - systemd-journal-remote, which writes real journal files from journal export text, for the
#   journal source tests in tests/logs/ (.cache/journal; journalctl itself comes with systemd). Debian's Alertmanager reads its default
# notification templates from the fixed path /usr/share/prometheus/alertmanager, so those two
# files are copied there when that is writable (the only thing put outside the checkout).
# Tests skip with the reason when the binaries are absent. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/prometheus
templates=/usr/share/prometheus/alertmanager
journal=.cache/journal
if [ -x "$dest/bin/prometheus" ] && [ -x "$dest/bin/prometheus-alertmanager" ] \
  && [ -f "$templates/default.tmpl" ] && [ -x "$journal/systemd-journal-remote" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
  echo "test_binaries: no apt-get/dpkg-deb here; the real-client tests will skip" >&2
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download prometheus prometheus-alertmanager systemd-journal-remote \
  libmicrohttpd12 >/dev/null 2>&1) || {
  echo "test_binaries: apt-get download failed; the tests that need them will skip" >&2
  exit 0
}
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
mkdir -p "$dest/bin"
cp "$work"/root/usr/bin/{prometheus,promtool,prometheus-alertmanager,amtool} "$dest/bin/"
mkdir -p "$dest/templates"
cp "$work"/root/usr/share/prometheus/alertmanager/*.tmpl "$dest/templates/"
if mkdir -p "$templates" 2>/dev/null && cp "$dest"/templates/*.tmpl "$templates/" 2>/dev/null; then
  :
else
  echo "test_binaries: cannot write $templates; the Alertmanager tests will skip" >&2
fi
mkdir -p "$journal/lib"
cp "$work"/root/lib/systemd/systemd-journal-remote "$journal/"
cp -P "$work"/root/usr/lib/x86_64-linux-gnu/libmicrohttpd.so* "$journal/lib/" 2>/dev/null \
  || cp -P "$work"/root/usr/lib/*/libmicrohttpd.so* "$journal/lib/"
"$dest/bin/prometheus" --version 2>&1 | head -n1 >&2
