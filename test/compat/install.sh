#!/usr/bin/env bash
# Installs what the compatibility suite (test/compat/run.mjs) needs, on a Debian machine, as
# root. Idempotent: what is there already is not installed again, and the language packages
# come from their registries' caches on a second run. Quiet when all goes well; any failure
# prints the failing step's output and exits non-zero.
#
#   bash test/compat/install.sh
#
# Needs already on the machine: Node 20 (for Redraft itself), Go >= 1.26 (go.mod), Python 3
# with pip. Installed here when missing: redis-tools (redis-cli, redis-benchmark), curl, a JDK
# and Maven (Debian packages); then redis-py and pytest (pip), go-redis (go mod download),
# grpcurl (go install, into /usr/local/bin), Jedis and JUnit (Maven).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

# step DESCRIPTION COMMAND...: runs COMMAND with its output kept aside, shown only on failure.
step() {
  local what=$1
  shift
  local t0=$SECONDS
  if ! "$@" > "$LOG" 2>&1; then
    echo "compat install: FAILED: $what" >&2
    echo "  command: $*" >&2
    sed 's/^/  | /' "$LOG" | tail -60 >&2
    exit 1
  fi
  echo "compat install: $what ($((SECONDS - t0)) s)"
}

need() {
  if ! command -v "$1" > /dev/null 2>&1; then
    echo "compat install: FAILED: $1 is not installed ($2)" >&2
    exit 1
  fi
}

# Debian packages, only for the commands that are missing.
packages=()
command -v redis-cli > /dev/null 2>&1 || packages+=(redis-tools)
command -v redis-benchmark > /dev/null 2>&1 || packages+=(redis-tools)
command -v stdbuf > /dev/null 2>&1 || packages+=(coreutils)
command -v curl > /dev/null 2>&1 || packages+=(curl)
command -v javac > /dev/null 2>&1 || packages+=(default-jdk-headless)
command -v mvn > /dev/null 2>&1 || packages+=(maven)
if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "compat install: FAILED: missing ${packages[*]} and not root to apt-get them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  step 'apt-get update' apt-get update -qq
  # shellcheck disable=SC2046
  step "apt-get install $(printf '%s\n' "${packages[@]}" | sort -u | tr '\n' ' ')" \
    apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${packages[@]}" | sort -u)
fi

need node 'Node 20 runs Redraft'
need python3 'for redis-py'
need go 'for go-redis: Go >= 1.26'

# redis-py and pytest. A Debian-managed Python refuses pip installs without this flag.
pip_flags=(-q --disable-pip-version-check --no-input)
if python3 -c 'import sys, sysconfig, os; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["stdlib"], "EXTERNALLY-MANAGED")))'; then
  pip_flags+=(--break-system-packages)
fi
export PIP_ROOT_USER_ACTION=ignore
step 'pip install -r python/requirements.txt' \
  python3 -m pip install "${pip_flags[@]}" -r "$HERE/python/requirements.txt"

# go-redis, and a warm build cache (compiles the tests, runs none).
step 'go mod download' bash -c "cd '$HERE/go' && go mod download"
step 'go test (compile only)' bash -c "cd '$HERE/go' && go test -count=1 -run '^\$' ./..."

# grpcurl for the gRPC gateway (it learns the API by server reflection), pinned.
if ! command -v grpcurl > /dev/null 2>&1; then
  step 'go install grpcurl' env GOBIN="${GRPCURL_BIN:-/usr/local/bin}" \
    go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4
fi

# Jedis, JUnit and every Maven plugin, Surefire's JUnit provider included (it is resolved
# only when tests run: they run and skip themselves with redraft.compat.fetchOnly).
step 'mvn test (fetch and compile only)' \
  mvn -q -B -Dstyle.color=never -f "$HERE/java/pom.xml" test -Dredraft.compat.fetchOnly=true

for bin in redis-cli redis-benchmark stdbuf curl grpcurl python3 go mvn java; do need "$bin" 'after install'; done
echo "compat install: done"
