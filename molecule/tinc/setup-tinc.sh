#!/bin/sh
# Two tinc networks on one host joined over 127.0.0.1 (idempotent; prints
# "changed" when it changed something):
#   t3o: node a, port 655, tap t3o in br-int      t3p: node b, port 656, tap t3p in br-peer
set -eu
changed=no
net() {  # net NET NODE PEER PORT BRIDGE
  n=$1 node=$2 peer=$3 port=$4 br=$5 d=/etc/tinc/$1
  if ! ip link show "$br" >/dev/null 2>&1; then
    ip link add "$br" type bridge stp_state 0 && ip link set "$br" up && changed=yes
  fi
  if [ ! -e "$d/rsa_key.priv" ]; then
    mkdir -p "$d/hosts"
    printf 'Name = %s\nMode = switch\nDeviceType = tap\nInterface = %s\nAddressFamily = ipv4\nPort = %s\nConnectTo = %s\n' \
      "$node" "$n" "$port" "$peer" > "$d/tinc.conf"
    printf '#!/bin/sh\nip link set "$INTERFACE" up\nip link set "$INTERFACE" master %s\n' "$br" > "$d/tinc-up"
    chmod 755 "$d/tinc-up"
    printf 'Address = 127.0.0.1\nPort = %s\n' "$port" > "$d/hosts/$node"
    tincd -n "$n" -K2048 </dev/null >/dev/null 2>&1
    changed=yes
  fi
}
net t3o a b 655 br-int
net t3p b a 656 br-peer
for pair in "t3o a t3p" "t3p b t3o"; do
  set -- $pair
  if ! cmp -s "/etc/tinc/$1/hosts/$2" "/etc/tinc/$3/hosts/$2"; then
    cp "/etc/tinc/$1/hosts/$2" "/etc/tinc/$3/hosts/$2" && changed=yes
  fi
done
for n in t3o t3p; do
  if ! systemctl is-active --quiet "tinc@$n"; then
    systemctl start "tinc@$n" && changed=yes
  fi
done
i=0  # wait until tinc-up put t3o into br-int
until ip -o link show dev t3o 2>/dev/null | grep -q 'master br-int'; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "t3o never joined br-int" >&2; exit 1; }; sleep 0.1
done
[ $changed = yes ] && echo changed || true
