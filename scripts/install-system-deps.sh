#!/usr/bin/env bash
# Installs the Debian packages the app needs, only those missing. `run` needs the PDF libraries and
# Chinese fonts; `test` also needs Chromium (browser tests) and poppler (reading PDFs back).
set -euo pipefail
profile=${1:-run}
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk)
if [ "$profile" = "test" ]; then
  packages+=(chromium poppler-utils)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "缺少系统软件包：${missing[*]}（非 Debian/Ubuntu 系统，请手动安装）" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "安装系统软件包：${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
