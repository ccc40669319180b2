#!/usr/bin/env bash
# deps.sh installs, with Debian's apt, what the lab and the tests run besides Go-built binaries:
# BIND's named and rndc (bind9: the lab's DNS server, internal/lab/named) and named-checkzone
# (bind9-utils: the zone-file tests). It installs only what is missing; with everything present
# it needs neither root nor the network. `.ci/run` and `make demo` call it.
set -euo pipefail

need=()
command -v named-checkzone >/dev/null 2>&1 || [ -x /usr/sbin/named-checkzone ] || need+=(bind9-utils)
{ command -v named >/dev/null 2>&1 || [ -x /usr/sbin/named ]; } && { command -v rndc >/dev/null 2>&1 || [ -x /usr/sbin/rndc ]; } || need+=(bind9)
if [ ${#need[@]} -gt 0 ]; then
	echo "lab deps: installing ${need[*]} (Debian apt)" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
