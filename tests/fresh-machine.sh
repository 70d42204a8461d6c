#!/usr/bin/env bash
# tests/fresh-machine.sh: the README's two commands on a fresh Debian 12, as a new user meets
# them. Run on demand (tests/run.sh does not call it), as root, before resolving an issue that
# adds a dependency.
#
# Each run builds a Debian 12 "minbase" root with debootstrap from this machine's own apt
# sources (nothing installed by hand), clones the repository's committed HEAD into it, and
# runs there, in a private PID and mount namespace:
#   1. deploy/local.sh up     (then deploy/local.sh down, so the tests have the machine)
#   2. tests/run.sh
# and reports the exit status, wall time and last line of each. When the namespace's first
# process ends, the kernel ends every process left in it and drops its mounts; the EXIT trap
# makes sure of both, and removes the root unless --keep was given.
#
#   tests/fresh-machine.sh                 one run
#   tests/fresh-machine.sh --runs 3        three runs in a row, each on a new root; stops at the
#                                          first failure
#   tests/fresh-machine.sh --keep          keep the last root (its path is printed)
#   tests/fresh-machine.sh -- ARGS         pass ARGS to tests/run.sh (e.g. -- --quick)
#
# The network is the host's: the stack's ports are moved to free ones when the defaults are
# taken here, and the end-to-end tests share the host's slot locks, so a test run on the host
# at the same time never takes the same ports. Needs about 3 GB in HF_FRESH_DIR (/var/tmp).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=deploy/lib.sh
source "$ROOT/deploy/lib.sh"

usage() { sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

runs=1
keep=0
run_args=()
while (($#)); do
    case $1 in
    --runs)
        if (($# < 2)) || [[ ! $2 =~ ^[1-9][0-9]?$ ]]; then hf_die "--runs needs a count from 1 to 99"; fi
        runs=$2
        shift
        ;;
    --keep) keep=1 ;;
    -h | --help)
        usage
        exit 0
        ;;
    --)
        shift
        run_args=("$@")
        break
        ;;
    *) hf_die "unknown option $1 (see --help)" ;;
    esac
    shift
done

((EUID == 0)) || hf_die "run as root: debootstrap, chroot and mounts need it"
command -v git >/dev/null || hf_die "git not found (apt-get install git)"
if ! command -v debootstrap >/dev/null; then
    hf_say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null ||
        hf_die "apt-get could not install debootstrap"
fi
if [[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]]; then
    hf_warn "the work tree has uncommitted changes: the fresh machine gets only what is committed"
fi

# The first Debian mirror of this machine's apt sources (deb822 .sources or one-line lists).
apt_mirror() {
    local f line
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        line=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ { print $2; exit }' "$f")
        [[ -n $line ]] && { printf '%s\n' "$line"; return 0; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f $f ]] || continue
        line=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print ($2 ~ /^\[/ ? $3 : $2); exit }' "$f")
        [[ -n $line ]] && { printf '%s\n' "$line"; return 0; }
    done
    return 1
}
MIRROR=$(apt_mirror) || hf_die "no Debian bookworm mirror found in /etc/apt/sources.list{,.d}"

# free_port PREFERRED: PREFERRED, or the next port above it that nothing listens on.
free_port() {
    local p=$1
    while hf_port_in_use "$p"; do p=$((p + 1)); done
    printf '%s\n' "$p"
}

# A port block of 50 for the five services, from 7100 up, that nothing listens on.
free_block() {
    local b
    for ((b = 7100; b < 20000; b += 50)); do
        if [[ -z "$(ss -ltnH "( sport >= :$b and sport < :$((b + 50)) )" 2>/dev/null)" ]]; then
            printf '%s\n' "$b"
            return 0
        fi
    done
    hf_die "no free block of 50 ports between 7100 and 20000"
}

WORK=""
NS_PID=""
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $NS_PID ]] && kill -0 "$NS_PID" 2>/dev/null; then
        kill -KILL "$NS_PID" 2>/dev/null || true
        wait "$NS_PID" 2>/dev/null || true
    fi
    if [[ -n $WORK && -d $WORK ]]; then
        if ((keep)); then
            hf_say "kept the fresh root in $WORK/root"
        else
            remove_work
        fi
    fi
    exit "$rc"
}

# Removes $WORK. The mounts live in the namespace and went with it; a leftover one here would
# let rm -rf reach into the host's /dev or /sys, so unmount first and refuse if that fails.
remove_work() {
    local m
    while read -r m; do
        umount -R -l "$m" 2>/dev/null || true
    done < <(findmnt -rn -o TARGET | awk -v w="$WORK/" 'index($0, w) == 1' | sort -r)
    if [[ -n "$(findmnt -rn -o TARGET | awk -v w="$WORK/" 'index($0, w) == 1')" ]]; then
        hf_warn "mounts remain under $WORK; not removing it"
        return 1
    fi
    rm -rf "$WORK"
    WORK=""
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The script that runs inside the namespace: mounts, then the two commands in the chroot.
# Its results go to $R/root/fresh-results (one "name rc seconds" line per command).
inner_script() {
    cat <<'EOF'
set -u
R=$1
shift
mount -t proc proc "$R/proc"
mount --rbind /sys "$R/sys" && mount --make-rslave "$R/sys"
mount --rbind /dev "$R/dev" && mount --make-rslave "$R/dev"
mkdir -p /tmp/huifang-e2e-locks "$R/tmp/huifang-e2e-locks"
chmod 1777 /tmp/huifang-e2e-locks 2>/dev/null || true
mount --bind /tmp/huifang-e2e-locks "$R/tmp/huifang-e2e-locks"
step() { # step NAME COMMAND...: runs COMMAND in the chroot as a fresh login would
    local name=$1 t0 t1 rc=0
    shift
    t0=$(date +%s)
    chroot "$R" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb \
        LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HF_LOCAL_PG_PORT="$HF_LOCAL_PG_PORT" HF_LOCAL_REDIS_PORT="$HF_LOCAL_REDIS_PORT" \
        HUIFANG_PORT_BASE="$HUIFANG_PORT_BASE" \
        /bin/bash -c 'cd /root/huifang && "$@"' bash "$@" 2>&1 | tee "$R/root/fresh-$name.log"
    rc=${PIPESTATUS[0]}
    t1=$(date +%s)
    printf '%s %s %s\n' "$name" "$rc" "$((t1 - t0))" >>"$R/root/fresh-results"
    return "$rc"
}
step up deploy/local.sh up && step down deploy/local.sh down
step tests tests/run.sh "$@"
exit 0
EOF
}

one_run() {
    local n=$1 r
    WORK=$(mktemp -d "${HF_FRESH_DIR:-/var/tmp}/huifang-fresh.XXXXXX")
    chmod 755 "$WORK"
    r=$WORK/root
    hf_say "run $n: debootstrap --variant=minbase bookworm from $MIRROR into $r"
    local t0=$SECONDS
    if ! debootstrap --variant=minbase bookworm "$r" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
        tail -n 20 "$WORK/debootstrap.log" >&2
        hf_die "debootstrap failed (log above)"
    fi
    hf_say "run $n: a minimal Debian 12 in $((SECONDS - t0)) s"

    # This machine's apt sources and the keyrings they name, DNS and hosts.
    rm -f "$r/etc/apt/sources.list"
    cp -a /etc/apt/sources.list "$r/etc/apt/" 2>/dev/null || true
    cp -a /etc/apt/sources.list.d/. "$r/etc/apt/sources.list.d/" 2>/dev/null || true
    local key
    while read -r key; do
        [[ -f $key && ! -e $r$key ]] && install -D -m 644 "$key" "$r$key"
    done < <(grep -rhoE '(Signed-By:|signed-by=)[[:space:]]*[^] ]+' /etc/apt/sources.list /etc/apt/sources.list.d 2>/dev/null |
        sed -E 's/^(Signed-By:|signed-by=)[[:space:]]*//')
    cp -L /etc/resolv.conf "$r/etc/resolv.conf"
    cp /etc/hosts "$r/etc/hosts"
    # and the certificate authorities this machine's administrator added (a proxy's, say): npm
    # reaches its registry over HTTPS through the same network; Debian's ca-certificates
    # takes them into its bundle when it is installed
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        mkdir -p "$r/usr/local/share/ca-certificates"
        cp /usr/local/share/ca-certificates/*.crt "$r/usr/local/share/ca-certificates/"
    fi

    git clone --quiet --no-local "$ROOT" "$r/root/huifang" || hf_die "git clone into the fresh root failed"
    hf_say "run $n: cloned $(git -C "$r/root/huifang" log -1 --format='%h %s' | cut -c1-80)"

    HF_LOCAL_PG_PORT=$(free_port 15432)
    HF_LOCAL_REDIS_PORT=$(free_port 16379)
    HUIFANG_PORT_BASE=$(free_block)
    export HF_LOCAL_PG_PORT HF_LOCAL_REDIS_PORT HUIFANG_PORT_BASE

    unshare --mount --pid --fork --propagation private \
        bash -c "$(inner_script)" fresh "$r" "${run_args[@]}" &
    NS_PID=$!
    wait "$NS_PID" || true
    NS_PID=""

    local ok=1 name rc secs last
    [[ -f $r/root/fresh-results ]] || hf_die "run $n: the commands did not run (see above)"
    while read -r name rc secs; do
        last=$(grep -v '^[[:space:]]*$' "$r/root/fresh-$name.log" | tail -n 1)
        hf_say "run $n: $name: exit $rc in ${secs} s; last line: $last"
        ((rc == 0)) || ok=0
    done <"$r/root/fresh-results"
    grep -q '^tests ' "$r/root/fresh-results" || ok=0
    if ((ok == 0)); then
        keep=1
        hf_die "run $n failed; the root is kept in $r (logs: $r/root/fresh-*.log)"
    fi
    if ((n < runs || keep == 0)); then
        remove_work
    fi
}

for ((i = 1; i <= runs; i++)); do
    one_run "$i"
done
hf_say "fresh machine: $runs of $runs runs passed"
