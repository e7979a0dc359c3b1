#!/usr/bin/env bash
# System packages the test suite needs (speech synthesis for ASR tests, OCR for scanned
# documents). Installs only what is missing, and only when it can (root with apt-get);
# otherwise it names what to install.
set -euo pipefail
# prometheus brings promtool, which checks the alert rules in deploy/.
packages=(espeak-ng chromium tesseract-ocr tesseract-ocr-eng prometheus)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "please install: ${missing[*]}" >&2
  exit 1
fi
