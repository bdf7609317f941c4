#!/usr/bin/env bash
# sandbox.sh — chatd's test harness: boots a REAL systemd (PID 1 of a private PID + mount + UTS +
# IPC + cgroup namespace, sharing the host's network) so the system tests can use systemctl,
# journalctl, sd_notify, the watchdog and socket activation without touching the host.
#
#   sandbox.sh up [--bind SRC:DST]... [--units DIR]   boot; wait for running/degraded; print PID
#   sandbox.sh run CMD [ARG...]                       run CMD inside (exit code passed on)
#   sandbox.sh down                                   systemctl exit; SIGKILL by PID if needed
#   sandbox.sh analyze ARGS...                        systemd-analyze ARGS with a private /run
#
# Environment: CHATD_SANDBOX_STATE (state dir; default /run/chatd-sandbox.$NAME, NAME from
# CHATD_SANDBOX_NAME, default "test"), CHATD_SANDBOX_TIMEOUT (boot/stop seconds, 30).
#
# Why it looks like this (see shared/systemd-sandbox.md; modelled on its reference script):
#   * The host's PID 1 is not systemd. systemd boots fine as PID 1 of fresh namespaces when it
#     finds a private /run, a cgroup2 tree it may own (the cgroup namespace is rooted at a cgroup
#     we create and remove) and no host units that reach for global state (those are masked).
#   * /etc and /var are copy-on-write overlays: unit files, drop-ins and /etc/chatd/chatd.json
#     written inside land on a tmpfs and vanish with the sandbox.
#   * Every process inside runs with a reduced capability bounding set (no NET_ADMIN, SYS_TIME,
#     SYS_MODULE, …): the network namespace is the host's, so `ip link` or `date -s` inside would
#     change the host. This is accident prevention, not a security boundary.
#   * /tmp inside is a fresh tmpfs, and PrivateTmp= services get their own /tmp anyway, so the
#     chatd binary is bound to a path under /srv (see --bind), never /tmp. Not /opt: the Swift
#     toolchain lives in /opt/swift on these machines, and a debug build needs its libraries.
# Requirements: root, util-linux (unshare, nsenter, setpriv, findmnt), systemd installed, cgroup2.
set -euo pipefail

NAME=${CHATD_SANDBOX_NAME:-test}
[[ $NAME =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "sandbox: bad CHATD_SANDBOX_NAME" >&2; exit 2; }
STATE=${CHATD_SANDBOX_STATE:-/run/chatd-sandbox.$NAME}
TIMEOUT=${CHATD_SANDBOX_TIMEOUT:-30}
SYSTEMD=/lib/systemd/systemd

MASKS=(
  systemd-remount-fs.service systemd-sysctl.service systemd-binfmt.service
  proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount
  systemd-modules-load.service kmod-static-nodes.service
  systemd-timesyncd.service systemd-time-wait-sync.service
  systemd-random-seed.service systemd-update-utmp.service systemd-update-utmp-runlevel.service
  systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service
  systemd-tmpfiles-clean.service systemd-tmpfiles-clean.timer
  systemd-journal-flush.service systemd-journald-audit.socket
  systemd-machine-id-commit.service systemd-firstboot.service systemd-sysusers.service ldconfig.service
  systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket
  systemd-udev-trigger.service systemd-udev-settle.service systemd-hwdb-update.service
  systemd-pstore.service systemd-repart.service systemd-pcrphase.service
  systemd-pcrphase-sysinit.service systemd-pcrphase-initrd.service
  systemd-fsck-root.service systemd-fsck@.service systemd-quotacheck.service quotaon.service
  fstrim.service fstrim.timer e2scrub_all.service e2scrub_all.timer e2scrub_reap.service
  systemd-networkd.service systemd-networkd.socket systemd-networkd-wait-online.service
  systemd-network-generator.service systemd-resolved.service networking.service
  NetworkManager.service ifup@.service
  getty@.service serial-getty@.service console-getty.service container-getty@.service
  getty-static.service autovt@.service emergency.service rescue.service
  dev-hugepages.mount sys-kernel-debug.mount sys-kernel-tracing.mount
  sys-kernel-config.mount sys-fs-fuse-connections.mount
)
DROP_CAPS=-net_admin,-sys_module,-sys_rawio,-sys_time,-syslog,-sys_pacct,-wake_alarm,-block_suspend,-mac_admin,-mac_override,-audit_read,-audit_control,-bpf,-perfmon,-checkpoint_restore

say() { echo "sandbox[$NAME]: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }

# A process is identified by PID + start time (field 22 of /proc/PID/stat): never signal a PID
# that has been reused by another process.
starttime() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; set -- $s; echo "${20}"; }
alive() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; [[ ${s%% *} != [XZ] ]]; }
same_proc() { alive "$1" && [[ $(starttime "$1") == "$2" ]]; }

load_state() {
  [[ -f $STATE/pid ]] || return 1
  read -r PID PID_START < "$STATE/pid"
  read -r UPID UPID_START < "$STATE/unshare.pid" || true
  CG=$(cat "$STATE/cgroup" 2>/dev/null || true)
}

in_ns() {
  nsenter -t "$PID" -m -p -u -i -C --wd=/ -- \
    setpriv --bounding-set="$DROP_CAPS" --inh-caps=-all --ambient-caps=-all -- \
    env -u NOTIFY_SOCKET -u LISTEN_FDS -u LISTEN_PID -u LISTEN_FDNAMES -u WATCHDOG_USEC -u WATCHDOG_PID \
        -u INVOCATION_ID -u JOURNAL_STREAM SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 "$@"
}

remove_cgroup() {
  local cg=$1 i
  [[ -n $cg && -d $cg ]] || return 0
  for i in $(seq 50); do
    find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [[ -d $cg ]] || return 0
    sleep 0.1
  done
  say "WARNING: cgroup $cg still populated: $(cat "$cg/cgroup.procs" 2>/dev/null | tr '\n' ' ')"
}

# Runs as PID 1 of the new namespaces (in the new mount namespace), sets up the file system,
# then becomes systemd.
write_boot_script() {
  cat > "$STATE/boot.sh" <<'BOOT'
#!/bin/bash
set -euo pipefail
STATE=$1; . "$STATE/boot.conf"
trap 'echo "sandbox-boot: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

# 1. grab bind sources and unit files before the mounts below hide them
STAGE=$STATE/stage
mount -n -t tmpfs -o mode=755,nosuid,nodev chatd-sandbox-run "$STAGE"
mkdir -p "$STAGE/.sb/binds" "$STAGE/.sb/units"
for i in "${!BINDS[@]}"; do
  src=${BINDS[$i]%%:*}
  if [[ -d $src ]]; then mkdir "$STAGE/.sb/binds/$i"; else touch "$STAGE/.sb/binds/$i"; fi
  mount -n --rbind "$src" "$STAGE/.sb/binds/$i"
done
for d in "${UNITS[@]}"; do cp -a "$d/." "$STAGE/.sb/units/"; done

# 2. private /run, /tmp, /var/tmp; /etc and /var copy-on-write
mount -n --move "$STAGE" /run
mkdir -p /run/lock /run/systemd/system.conf.d /run/systemd/journald.conf.d
chmod 1777 /run/lock
mount -n -t tmpfs -o mode=1777,nosuid,nodev chatd-sandbox-tmp /tmp
mkdir /run/.sb/ovl
mount -n -t tmpfs -o mode=700 chatd-sandbox-ovl /run/.sb/ovl
for d in etc var; do
  mkdir -p /run/.sb/ovl/$d/upper /run/.sb/ovl/$d/work
  chmod --reference=/$d /run/.sb/ovl/$d/upper
  mount -n -t overlay -o lowerdir=/$d,upperdir=/run/.sb/ovl/$d/upper,workdir=/run/.sb/ovl/$d/work chatd-sandbox-$d /$d
done
umount -n -l /run/.sb/ovl
mount -n -t tmpfs -o mode=1777,nosuid,nodev chatd-sandbox-vartmp /var/tmp
# journalctl must read only this sandbox's volatile journal
[[ -d /var/log/journal ]] && mount -n -t tmpfs -o mode=2755 chatd-sandbox-journal /var/log/journal

# 3. hide the host's enabled units and generators; masks; a minimal boot target
mount -n -t tmpfs -o mode=755 chatd-sandbox-units /etc/systemd/system
for d in /usr/lib/systemd/system/*.wants /usr/lib/systemd/system/*.requires \
         /usr/lib/systemd/system-generators /etc/systemd/system-generators \
         /usr/lib/systemd/system-environment-generators /etc/systemd/system-environment-generators; do
  [[ -d $d && ! -L $d ]] && mount -n -t tmpfs -o ro,mode=755 chatd-sandbox-hidden "$d"
done
cp -a /run/.sb/units/. /etc/systemd/system/
for u in "${MASKS[@]}"; do [[ -e /etc/systemd/system/$u ]] || ln -s /dev/null "/etc/systemd/system/$u"; done
cat > /etc/systemd/system/sandbox.target <<'UNIT'
[Unit]
Description=chatd test sandbox
DefaultDependencies=no
AllowIsolate=yes
Wants=systemd-journald.socket systemd-journald-dev-log.socket systemd-journald.service
After=systemd-journald.socket systemd-journald-dev-log.socket systemd-journald.service
UNIT
printf '[Journal]\nStorage=volatile\nReadKMsg=no\nForwardToSyslog=no\nForwardToKMsg=no\nForwardToConsole=no\nForwardToWall=no\nRateLimitIntervalSec=0\n' \
  > /run/systemd/journald.conf.d/50-sandbox.conf
printf '[Manager]\nDefaultLimitCORE=0\n' > /run/systemd/system.conf.d/50-sandbox.conf

# 4. private /dev
mount -n -t tmpfs -o mode=755,nosuid,size=1m chatd-sandbox-dev /dev
for spec in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0" "console 1 3"; do
  set -- $spec; mknod -m 666 "/dev/$1" c "$2" "$3"
done
chmod 600 /dev/console
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -n -t devpts -o newinstance,ptmxmode=0666,mode=620 chatd-sandbox-devpts /dev/pts
ln -s pts/ptmx /dev/ptmx
mount -n -t tmpfs -o mode=1777,nosuid,nodev chatd-sandbox-shm /dev/shm
mount -n -t mqueue -o nosuid,nodev,noexec chatd-sandbox-mqueue /dev/mqueue
ln -s /proc/self/fd /dev/fd; ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr

# 5. kernel tunables read-only; private cgroup2 tree (rooted at our cgroup by the cgroup namespace)
for p in /proc/sys /proc/sysrq-trigger; do [[ -e $p ]] || continue; mount -n --bind "$p" "$p"; mount -n -o remount,bind,ro "$p"; done
mount -n --bind /sys /sys; mount -n -o remount,bind,ro,nosuid,nodev,noexec /sys
mount -n -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup

# 6. bind mounts; a missing target is created only on a private file system: under /srv a
#    private tmpfs is put over /srv first (the host's /srv stays untouched)
for i in "${!BINDS[@]}"; do
  dst=${BINDS[$i]#*:}
  if [[ ! -e $dst ]]; then
    case $dst in
      /srv/*)
        mountpoint -q /srv 2>/dev/null || mount -n -t tmpfs -o mode=755 chatd-sandbox-srv /srv ;;
      /etc/*|/var/*|/run/*|/tmp/*) ;;   # overlays / tmpfs: private already
      *) echo "sandbox-boot: refusing to create bind target $dst on the host" >&2; exit 1 ;;
    esac
    if [[ -d /run/.sb/binds/$i ]]; then mkdir -p "$dst"; else mkdir -p "$(dirname "$dst")"; touch "$dst"; fi
  fi
  mount -n --move "/run/.sb/binds/$i" "$dst"
done
rm -rf /run/.sb

echo "sandbox-boot: exec systemd" >&2
exec setpriv --bounding-set="$DROP_CAPS" -- \
  env -i container=chatd-test PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  "$SYSTEMD" --system --unit=sandbox.target --log-target=journal --show-status=no
BOOT
}

cmd_up() {
  local BINDS=() UNITS=() a
  while (($#)); do
    case $1 in
      --bind)  a=$2; [[ $a == *:/* ]] || die "--bind SRC:/DST"; BINDS+=("$(realpath -e "${a%%:*}"):${a#*:}"); shift 2 ;;
      --units) UNITS+=("$(realpath -e "$2")"); shift 2 ;;
      *) die "unknown option: $1" ;;
    esac
  done
  [[ $EUID == 0 ]] || die "must run as root"
  [[ -x $SYSTEMD ]] || die "no systemd at $SYSTEMD"
  for a in unshare nsenter setpriv findmnt; do command -v $a >/dev/null || die "missing $a"; done
  if load_state; then
    same_proc "$PID" "$PID_START" && die "already up (PID $PID)"
    remove_cgroup "$CG"
  fi
  local cg2; cg2=$(findmnt -rn -t cgroup2 -o TARGET | head -n1)
  [[ -n $cg2 ]] || die "no cgroup2 mount on the host"
  CG=$cg2/chatd-sandbox.$NAME
  remove_cgroup "$CG"; [[ ! -d $CG ]] || die "cgroup $CG exists and is in use"
  mkdir -p "$STATE/stage"
  rm -f "$STATE/pid" "$STATE/unshare.pid"
  { declare -p BINDS UNITS MASKS; printf 'DROP_CAPS=%q SYSTEMD=%q\n' "$DROP_CAPS" "$SYSTEMD"; } > "$STATE/boot.conf"
  write_boot_script
  mkdir -p "$CG"; echo "$CG" > "$STATE/cgroup"

  local t0; t0=$(now_ms)
  (
    echo "$BASHPID" > "$CG/cgroup.procs"   # the new cgroup namespace is rooted here
    exec setsid unshare --pid --fork --kill-child=SIGKILL --mount --uts --ipc --cgroup \
      --propagation private --mount-proc -- /bin/bash "$STATE/boot.sh" "$STATE"
  ) </dev/null >"$STATE/boot.log" 2>&1 &
  UPID=$!
  PID=
  while :; do   # the namespace's PID 1 is unshare's child; wait until it has become systemd
    alive "$UPID" || { sed 's/^/  | /' "$STATE/boot.log" >&2; remove_cgroup "$CG"; die "sandbox died during boot"; }
    if [[ -z $PID ]]; then
      PID=$(awk '{print $1}' "/proc/$UPID/task/$UPID/children" 2>/dev/null || true)
    elif [[ $(cat "/proc/$PID/comm" 2>/dev/null) == systemd ]]; then
      break
    fi
    (( $(now_ms) - t0 < TIMEOUT * 1000 )) || { kill -KILL "$UPID"; remove_cgroup "$CG"; die "systemd did not start"; }
    sleep 0.02
  done
  echo "$PID $(starttime "$PID")" > "$STATE/pid"
  echo "$UPID $(starttime "$UPID")" > "$STATE/unshare.pid"
  local st=
  while :; do
    st=$(in_ns systemctl is-system-running 2>/dev/null || true)
    [[ $st == running || $st == degraded ]] && break
    alive "$PID" || { sed 's/^/  | /' "$STATE/boot.log" >&2; cmd_down >/dev/null 2>&1 || true; die "systemd died during boot"; }
    if (( $(now_ms) - t0 > TIMEOUT * 1000 )); then
      in_ns journalctl --no-pager -n 30 >&2 || true
      cmd_down >/dev/null 2>&1 || true
      die "boot timed out in state '$st'"
    fi
    sleep 0.05
  done
  say "up in $(( $(now_ms) - t0 )) ms: PID $PID, state $st"
  echo "$PID"
}

cmd_run() {
  load_state && same_proc "$PID" "$PID_START" || die "not up"
  in_ns "$@"
}

cmd_down() {
  load_state || return 0
  local t0; t0=$(now_ms)
  if same_proc "$PID" "$PID_START"; then
    in_ns systemctl --no-block exit >/dev/null 2>&1 || true
    while same_proc "$PID" "$PID_START"; do
      if (( $(now_ms) - t0 > TIMEOUT * 1000 )); then
        say "systemd did not exit; SIGKILL PID $PID (ends the whole PID namespace)"
        kill -KILL "$PID" 2>/dev/null || true
        sleep 0.5
        break
      fi
      sleep 0.05
    done
  fi
  local i
  for i in $(seq 40); do same_proc "$UPID" "$UPID_START" || break; sleep 0.05; done
  same_proc "$UPID" "$UPID_START" && kill -KILL "$UPID" 2>/dev/null || true
  remove_cgroup "$CG"
  rm -f "$STATE/pid" "$STATE/unshare.pid" "$STATE/cgroup" "$STATE/boot.sh" "$STATE/boot.conf"
  rmdir "$STATE/stage" 2>/dev/null || true
  say "down in $(( $(now_ms) - t0 )) ms"
}

case ${1:-} in
  up)   shift; cmd_up "$@" ;;
  run)  shift; cmd_run "$@" ;;
  down) shift; cmd_down ;;
  analyze) shift; exec unshare --mount --propagation private -- \
             sh -c 'mount -n -t tmpfs chatd-analyze /run && exec systemd-analyze "$@"' sh "$@" ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
