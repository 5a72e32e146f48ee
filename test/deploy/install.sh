#!/usr/bin/env bash
# Installs what the deploy tests (test/deploy) need, from the Go module proxy only: helm and
# kubeconform built with `go install`, and the schemas the rendered manifests are checked
# against, from Go modules too: the Kubernetes OpenAPI documents in k8s.io/kubernetes and the
# ServiceMonitor CRD in prometheus-operator. (kubeconform's usual schemas are downloaded from
# GitHub at run time; the tests build an equivalent directory from these modules instead.)
# Idempotent: a tool already built at the pinned version is kept, and the module cache
# answers a second download.
#
#   bash test/deploy/install.sh
#
# Needs Go. Versions: test/deploy/tool-versions.env.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tool-versions.env
source "$HERE/tool-versions.env"

if ! command -v go > /dev/null 2>&1; then
  echo "deploy install: FAILED: go is not installed (it builds helm and kubeconform)" >&2
  exit 1
fi
BIN=$(go env GOBIN)
[ -n "$BIN" ] || BIN="$(go env GOPATH)/bin"
# Run outside the repository, whose Go modules (test/compat/go, ...) must not be touched.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# built_version BINARY MODULE: the module version BINARY was built from, or nothing.
built_version() {
  [ -x "$1" ] || return 0
  go version -m "$1" 2> /dev/null | awk -v m="$2" '$1 == "mod" && $2 == m { print $3 }'
}

install_tool() {
  local name=$1 module=$2 package=$3 version=$4
  if [ "$(built_version "$BIN/$name" "$module")" = "$version" ]; then
    echo "deploy install: $name $version already in $BIN"
    return
  fi
  local t0=$SECONDS
  go install "$package@$version"
  echo "deploy install: $name $version built into $BIN ($((SECONDS - t0)) s)"
}

install_tool helm "$HELM_MODULE" "$HELM_MODULE/cmd/helm" "$HELM_VERSION"
install_tool kubeconform "$KUBECONFORM_MODULE" "$KUBECONFORM_MODULE/cmd/kubeconform" "$KUBECONFORM_VERSION"

for version in $KUBERNETES_VERSIONS; do
  go mod download "k8s.io/kubernetes@$version"
  echo "deploy install: Kubernetes $version API schemas in $(go env GOMODCACHE)/k8s.io/kubernetes@$version/api/openapi-spec"
done
go mod download "$PROMETHEUS_OPERATOR_MODULE@$PROMETHEUS_OPERATOR_VERSION"
echo "deploy install: prometheus-operator $PROMETHEUS_OPERATOR_VERSION CRDs in the module cache"
