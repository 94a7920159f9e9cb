#!/usr/bin/env bash
# A throwaway single-node SLURM cluster on this machine, for the tests that run the workflow
# through profiles/slurm on a real scheduler (tests/workflow/test_slurm.py).
#
#   bash .test/cluster/slurm.sh start    # install slurm-wlm and munge if missing (root), start
#   bash .test/cluster/slurm.sh start --no-install   # start only if they are installed
#   bash .test/cluster/slurm.sh status   # exit 0 when the cluster takes jobs
#   bash .test/cluster/slurm.sh stop     # stop the daemons this script started
#
# One node (this host, every core, its memory), two partitions on it: `cpu` (the default) and
# `gpu`, whose node declares one GPU generic resource backed by /dev/null, so that the rules'
# gpu=1 requests schedule (TresPerJob=gres:gpu:1) without a GPU. No accounting database:
# `sacct` fails and job states come from `squeue`, which shows a finished job only for
# MinJobAge seconds; it is set high (a day) so that no state is lost between status checks.
#
# The configuration goes to /etc/slurm/slurm.conf: a job step (`srun` inside a batch script)
# reads that file and ignores SLURM_CONF. A slurm.conf this script did not write is never
# overwritten. Daemons, state and logs live under $SECAM_SLURM_STATE (default
# /var/lib/secam-test-slurm); `stop` ends only the processes whose pid files are there.
set -euo pipefail

STATE=${SECAM_SLURM_STATE:-/var/lib/secam-test-slurm}
CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
MARK="# written by secam-pipeline .test/cluster/slurm.sh"
HOST=$(hostname -s)

say() { echo "slurm.sh: $*" >&2; }
fail() {
	say "$*"
	exit 2
}

install_packages() {
	local missing=()
	for program in slurmctld slurmd sbatch munged; do
		command -v "$program" >/dev/null 2>&1 || missing+=("$program")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$INSTALL" = yes ] || fail "missing ${missing[*]} (apt-get install slurm-wlm munge)"
	[ "$(id -u)" -eq 0 ] || fail "missing ${missing[*]}, and only root can install slurm-wlm and munge"
	command -v apt-get >/dev/null 2>&1 || fail "missing ${missing[*]}, and there is no apt-get to install them"
	say "installing slurm-wlm and munge (apt-get)"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_config() {
	if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
		fail "$CONF exists and was not written by this script: not overwriting a real cluster's configuration"
	fi
	local cpus memory
	cpus=$(nproc)
	# what slurmd detects, less 1 GiB for the daemons and the submitting Snakemake
	memory=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
	memory=$((memory - 1024))
	mkdir -p "$CONF_DIR" "$STATE/ctld" "$STATE/spool"
	cat >"$CONF" <<CONFIG
$MARK
ClusterName=secam-test
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
GresTypes=gpu
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# squeue is the only source of job states without accounting: keep finished jobs a day
MinJobAge=86400
# a job over its time limit is killed at once (TIMEOUT), not after the usual grace periods
OverTimeLimit=0
KillWait=5
ReturnToService=2
NodeName=$HOST CPUs=$cpus RealMemory=$memory Gres=gpu:1 State=UNKNOWN
PartitionName=cpu Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$HOST MaxTime=INFINITE State=UP
CONFIG
	cat >"$CONF_DIR/gres.conf" <<GRES
$MARK
NodeName=$HOST Name=gpu File=/dev/null
GRES
}

start_munge() {
	if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
		return 0 # a munged already answers
	fi
	[ -f /etc/munge/munge.key ] || {
		mkdir -p /etc/munge
		dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
		chown munge:munge /etc/munge/munge.key
		chmod 400 /etc/munge/munge.key
	}
	mkdir -p /run/munge /var/log/munge /var/lib/munge
	chown munge:munge /run/munge /var/log/munge /var/lib/munge
	runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
	cp /run/munge/munged.pid "$STATE/munged.pid"
}

wait_until_idle() {
	for _ in $(seq 60); do
		if sinfo -h -N -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
			return 0
		fi
		sleep 0.5
	done
	say "the node did not come up; last lines of the logs:"
	tail -n 20 "$STATE/slurmctld.log" "$STATE/slurmd.log" >&2 || true
	exit 2
}

start() {
	if status 2>/dev/null; then
		say "already running"
		return 0
	fi
	install_packages
	[ "$(id -u)" -eq 0 ] || fail "starting the daemons needs root"
	write_config
	start_munge
	# -c: a fresh cluster forgets the jobs of the last one instead of running them again
	alive "$STATE/slurmctld.pid" || slurmctld -c
	alive "$STATE/slurmd.pid" || slurmd
	wait_until_idle
	# a node left down by an earlier, unclean stop
	scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true
	say "cluster secam-test up: partitions cpu (default) and gpu on $HOST"
}

status() {
	command -v sinfo >/dev/null 2>&1 || return 1
	alive "$STATE/slurmctld.pid" && alive "$STATE/slurmd.pid" &&
		sinfo -h -N -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'
}

stop() {
	# every job of this throwaway cluster goes with it
	command -v scancel >/dev/null 2>&1 && scancel --full --quiet --user "$(id -un)" 2>/dev/null || true
	for daemon in slurmd slurmctld munged; do
		if alive "$STATE/$daemon.pid"; then
			kill "$(cat "$STATE/$daemon.pid")"
		fi
		rm -f "$STATE/$daemon.pid"
	done
	say "stopped"
}

INSTALL=yes
[ "${2:-}" = --no-install ] && INSTALL=no
case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*) fail "usage: $0 start|status|stop" ;;
esac
