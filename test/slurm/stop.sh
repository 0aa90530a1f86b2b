#!/bin/sh
# Stops a cluster made by start.sh: ends slurmd and slurmctld by the process ids in their pid
# files (SIGTERM, then SIGKILL after 5 s) and removes the directory (unless --keep).
#   test/slurm/stop.sh "$dir" [--keep]
set -u
dir=${1:?usage: stop.sh DIR [--keep]}
case "$dir" in */simdeck-slurm-*) ;; *) echo "stop.sh: $dir is not a directory made by start.sh" >&2; exit 2 ;; esac
pids=""
for f in "$dir/slurmd.pid" "$dir/slurmctld.pid"; do
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  case "$pid" in ''|*[!0-9]*) continue ;; esac
  kill -TERM "$pid" 2>/dev/null && pids="$pids $pid"
done
# slurmstepd processes of jobs still running belong to slurmd's session: end them with it.
tries=0
for pid in $pids; do
  while kill -0 "$pid" 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -gt 50 ]; then kill -KILL "$pid" 2>/dev/null; break; fi
    sleep 0.1
  done
done
[ "${2:-}" = "--keep" ] || rm -rf "$dir"
exit 0
