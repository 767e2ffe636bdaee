#!/usr/bin/env bash
# Make sure every test tier can run: Debian's chromium and chromium-driver and a CJK font (browser tests), and
# faketime (the unit and integration tiers run again with the process clock moved years ahead).
# Installs them with apt-get where it can (root or passwordless sudo); otherwise stops naming what to install.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "the test tiers need: ${missing[*]}"
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=none; fi
  if [ "$sudo" != none ]; then
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" fontconfig \
      || { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}" fontconfig; }
    fc-cache -f >/dev/null 2>&1 || true
    exit 0
  fi
fi
echo "Install them, e.g.: sudo apt-get install -y ${missing[*]}  (then run make test again)" >&2
exit 1
