#!/usr/bin/env bash
# Refreshes the vendored front-end files from the npm registry (no CDN: townships run on intranets).
# The versions and integrity hashes in static/vendor/VERSIONS must match what this fetched.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
BOOTSTRAP=5.3.8
ECHARTS=6.1.0
(cd "$tmp" && npm pack --silent "bootstrap@$BOOTSTRAP" >/dev/null && tar xzf "bootstrap-$BOOTSTRAP.tgz" && mv package bootstrap)
mkdir -p static/vendor/bootstrap
cp "$tmp/bootstrap/dist/css/bootstrap.min.css" "$tmp/bootstrap/dist/js/bootstrap.bundle.min.js" static/vendor/bootstrap/
cp "$tmp/bootstrap/LICENSE" static/vendor/bootstrap/LICENSE
# The source maps are not vendored; drop their references so manifest storage does not look for them.
sed -i "/sourceMappingURL/d" static/vendor/bootstrap/bootstrap.min.css static/vendor/bootstrap/bootstrap.bundle.min.js
# ECharts for the dashboards: the full minified build (charts are set up in static/js/dashboard.js).
(cd "$tmp" && npm pack --silent "echarts@$ECHARTS" >/dev/null && tar xzf "echarts-$ECHARTS.tgz" && mv package echarts)
mkdir -p static/vendor/echarts
cp "$tmp/echarts/dist/echarts.min.js" static/vendor/echarts/
cp "$tmp/echarts/LICENSE" static/vendor/echarts/LICENSE
cp "$tmp/echarts/NOTICE" static/vendor/echarts/NOTICE
sed -i "/sourceMappingURL/d" static/vendor/echarts/echarts.min.js
{
  echo "bootstrap $BOOTSTRAP $(npm view "bootstrap@$BOOTSTRAP" dist.integrity)"
  echo "echarts $ECHARTS $(npm view "echarts@$ECHARTS" dist.integrity)"
} > static/vendor/VERSIONS
echo "vendored: $(cat static/vendor/VERSIONS)"
