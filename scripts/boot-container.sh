# Boots a directory as a throwaway systemd container (systemd-nspawn --boot, loopback-only network)
# and finds its PID 1, for scripts/check-systemd and scripts/check-fresh-debian. Sourced (not run)
# inside their private mount namespace:
#
#   . scripts/boot-container.sh
#   prepare_nspawn                # once, before any systemd-nspawn
#   boot_container ROOT NAME LOG || { echo "skipped: $boot_problem"; exit 0; }
#   inside systemctl ...          # a command in the container (all its namespaces)
#   stop_container                # also set as the EXIT trap by boot_container
#
# boot_container returns 1, with the reason in $boot_problem, when the machine does not let a
# container's systemd start or boot (a machine that forbids it): the callers then skip, saying so.
# On success $boot_state is what `systemctl is-system-running` said (running or degraded).

# First, before any systemd-nspawn: nspawn keeps per-machine state under /run/systemd/nspawn and
# insists it is a tmpfs; a private one (this mount namespace's) leaves nothing on the machine.
prepare_nspawn() {
  mkdir -p /run/systemd/nspawn
  mount -t tmpfs tmpfs /run/systemd/nspawn
}

boot_container() {
  local root=$1 name=$2 log=$3
  systemd-nspawn -q -D "$root" --boot --console=pipe -M "$name" --register=no --keep-unit \
    --link-journal=no --private-network >"$log" 2>&1 </dev/null &
  container_nspawn=$!
  trap stop_container EXIT
  # The container's PID 1: the process named systemd below nspawn.
  container_leader=""
  local p q
  for _ in $(seq 300); do
    for p in $(pgrep -x systemd || true); do
      q=$p
      while [ "$q" -gt 1 ]; do
        q=$(awk '{print $4}' "/proc/$q/stat" 2>/dev/null || echo 1)
        [ "$q" = "$container_nspawn" ] && { container_leader=$p; break 2; }
      done
    done
    kill -0 "$container_nspawn" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$container_leader" ]; then
    boot_problem="the container's systemd did not start on this machine ($(tail -n 1 "$log"))"
    return 1
  fi
  boot_state=$(inside systemctl is-system-running --wait 2>/dev/null || true)
  case $boot_state in
    running|degraded) return 0 ;;
    *) boot_problem="the container's systemd did not boot ($boot_state)"; return 1 ;;
  esac
}

inside() { nsenter -t "$container_leader" -a "$@"; }

stop_container() {
  kill -TERM "$container_nspawn" 2>/dev/null || true   # nspawn asks the container's systemd to power off
  for _ in $(seq 150); do kill -0 "$container_nspawn" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$container_nspawn" 2>/dev/null || true
}
