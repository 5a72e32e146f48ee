#!/usr/bin/env bash
# Installs what the network-namespace fault schedules need and npm does not bring: iproute2
# (`ip netns`, veth, bridge) and nftables (`nft`, for partitions). Needs root, as the schedules
# themselves do; does nothing when both are present. Without them the namespace schedules are
# skipped (saying why) and the loopback schedule still runs.
set -euo pipefail

has() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

need=()
has ip || need+=(iproute2)
has nft || need+=(nftables)
if [ "${#need[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "test/e2e/faults/install.sh: ${need[*]} missing, and only root can install them" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
