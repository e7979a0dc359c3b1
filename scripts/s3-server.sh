#!/usr/bin/env bash
# An S3-compatible server for the blob-store tests and benchmark: s3rver (Node), installed from
# the npm registry into a cache folder, serving a local directory on 127.0.0.1:${1:-8333} with
# its default credentials (access key and secret S3RVER). Installs Node first when it is missing
# and it can (root with apt-get). Starts detached; does nothing when the port already answers.
set -euo pipefail
port="${1:-8333}"
home="${S3RVER_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/clinscribe/s3rver}"
data="${S3RVER_DATA:-$home/data}"
version="3.7.1"

if timeout 2 bash -c "</dev/tcp/127.0.0.1/$port" 2>/dev/null; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends nodejs npm
  else
    echo "please install: nodejs npm" >&2
    exit 1
  fi
fi
if [ ! -x "$home/node_modules/.bin/s3rver" ]; then
  mkdir -p "$home"
  npm install --prefix "$home" --no-audit --no-fund --silent "s3rver@$version"
fi
mkdir -p "$data"
(setsid "$home/node_modules/.bin/s3rver" -d "$data" -a 127.0.0.1 -p "$port" --silent \
  >/dev/null 2>&1 &)
