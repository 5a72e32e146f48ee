#!/usr/bin/env bash
# Installs what `npm run bench` needs beyond Node, on a Debian machine, as root. Idempotent:
# only missing commands are installed. Quiet when all goes well; a failure prints the failing
# step's output and exits non-zero.
#
#   bash bench/install.sh
#
# Installed when missing (Debian packages): redis-server and redis-tools (redis-benchmark), the
# comparison baseline; etcd-server (etcd), the 3-member etcd the bench starts itself (its own
# client speaks gRPC and HTTP, so etcdctl is not needed); librsvg2-bin (rsvg-convert), which
# renders the report's SVG chart to PNG.
#
# Debian's etcd-server package ships a service that its install may start (a member on
# 127.0.0.1:2379 with its data in /var/lib/etcd). The bench never uses it, since it starts its
# own members on free ports, but a stray etcd would compete for the cores: it is stopped and
# disabled here when this script installed it.
set -euo pipefail
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

step() {
  local what=$1
  shift
  local t0=$SECONDS
  if ! "$@" > "$LOG" 2>&1; then
    echo "bench install: FAILED: $what" >&2
    echo "  command: $*" >&2
    sed 's/^/  | /' "$LOG" | tail -60 >&2
    exit 1
  fi
  echo "bench install: $what ($((SECONDS - t0)) s)"
}

packages=()
command -v redis-server > /dev/null 2>&1 || packages+=(redis-server)
command -v redis-benchmark > /dev/null 2>&1 || packages+=(redis-tools)
command -v etcd > /dev/null 2>&1 || packages+=(etcd-server)
command -v rsvg-convert > /dev/null 2>&1 || packages+=(librsvg2-bin)

if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bench install: FAILED: missing ${packages[*]} and not root to apt-get them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  step 'apt-get update' apt-get update -qq
  step "apt-get install ${packages[*]}" \
    apt-get install -y -qq --no-install-recommends "${packages[@]}"
  if [[ " ${packages[*]} " == *" etcd-server "* ]]; then
    if [ -d /run/systemd/system ] && command -v systemctl > /dev/null 2>&1; then
      step 'stop and disable the packaged etcd service' systemctl disable --now etcd.service
    elif [ -x /etc/init.d/etcd ] && /etc/init.d/etcd status > /dev/null 2>&1; then
      step 'stop the packaged etcd service' /etc/init.d/etcd stop
      step 'disable the packaged etcd service' update-rc.d etcd disable
    fi
  fi
fi

for bin in redis-server redis-benchmark etcd rsvg-convert; do
  if ! command -v "$bin" > /dev/null 2>&1; then
    echo "bench install: FAILED: $bin is still missing after the install" >&2
    exit 1
  fi
done
echo "bench install: done ($(etcd --version | head -1); $(redis-server --version | cut -d' ' -f1-3))"
