#!/bin/sh
# Starts a throwaway one-node Slurm cluster from Debian's slurm-wlm for the tests: slurmctld and
# slurmd on this machine, configured in a directory of their own (nothing under /etc is read or
# written), listening on loopback ports nobody else uses. Stop it with stop.sh.
#
#   dir=$(test/slurm/start.sh)          # prints the directory; SLURM_CONF=$dir/slurm.conf
#   SLURM_CONF=$dir/slurm.conf srun --mpi=pmix -n 4 npx simdeck deck.ts
#   test/slurm/stop.sh "$dir"
#
# The node declares 8 CPUs whatever the machine has (SlurmdParameters=config_overrides): with the
# real core count, `srun -n 4` on a 2-core machine would wait forever for resources. Processes are
# tracked by their parent ids (proctrack/linuxproc) and not confined (task/none), and there is no
# authentication (auth/none, cred/none): for a test cluster on one machine only.
# Exits non-zero, with what is missing, when Slurm is not installed or does not come up.
set -eu

for cmd in slurmctld slurmd srun sinfo; do
  if ! command -v "$cmd" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$cmd" ]; then
    echo "start.sh: $cmd not found: install Slurm (apt-get install slurm-wlm)" >&2
    exit 3
  fi
done
PATH="$PATH:/usr/sbin"

dir=$(mktemp -d "${TMPDIR:-/tmp}/simdeck-slurm-XXXXXX")
mkdir -p "$dir/state" "$dir/spool" "$dir/log"
user=$(id -un)
node=$(hostname -s)
# Two free loopback ports, chosen by the kernel.
ports=$(node -e '
const net = require("node:net");
const one = () => new Promise((ok) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); }); });
(async () => { const a = await one(); let b = await one(); while (b === a) b = await one(); console.log(a, b); })();')
set -- $ports
ctldport=$1
slurmdport=$2

cat > "$dir/slurm.conf" <<CONF
ClusterName=simdeck-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctldport
SlurmdPort=$slurmdport
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/none
CredType=cred/none
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
InactiveLimit=0
KillWait=5
MinJobAge=5
SlurmdTimeout=60
SlurmctldTimeout=60
NodeName=$node NodeAddr=127.0.0.1 CPUs=8 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
export SLURM_CONF="$dir/slurm.conf"

fail() {
  echo "start.sh: $1; logs in $dir/log" >&2
  for f in "$dir/log/slurmctld.log" "$dir/log/slurmd.log"; do [ -f "$f" ] && tail -n 15 "$f" >&2; done
  "$(dirname "$0")/stop.sh" "$dir" --keep >/dev/null 2>&1 || true
  exit 4
}

slurmctld -f "$SLURM_CONF" -i || fail "slurmctld did not start"
slurmd -f "$SLURM_CONF" -N "$node" || fail "slurmd did not start"

# Idle within a few seconds; a node that comes up "down" or "drained" is resumed once.
tries=0
while :; do
  state=$(sinfo -h -N -o %T 2>/dev/null | head -n 1 || true)
  case "$state" in
    idle*|mixed*|allocated*) break ;;
    down*|drain*) scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  tries=$((tries + 1))
  [ "$tries" -gt 150 ] && fail "the node did not become idle (state: ${state:-none})"
  sleep 0.2
done
echo "$dir"
