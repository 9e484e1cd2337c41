#!/bin/bash
# The console left on the Dashboard: its CPU time over its first 3 s and over the next S seconds
# (the Dashboard reads its sources every 2 s). A probe, not a figure of `npm run bench`.
# Usage (root, tmux): scripts/bench/_tui-idle.sh EXE USER ROOT [S]
#   EXE: a blueprint executable; USER: who runs the console (root, or an admin: not root);
#   ROOT: a box root (scripts/bench/_pkg-box.mjs makes one that uses a repository); S: default 20.
set -eu
EXE=$1 U=$2 R=$3 S=${4:-20}
home=$(mktemp -d)
chown "$U" "$home"
tmux kill-session -t bp-idle 2>/dev/null || true
tmux new-session -d -s bp-idle -x 120 -y 40 "su $U -s /bin/bash -c 'HOME=$home $EXE --root $R tui'"
sleep 3
pid=$(pgrep -f "^$EXE --root $R tui" | head -1)
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
c0=$(ticks)
sleep "$S"
c1=$(ticks)
tmux send-keys -t bp-idle q
sleep 0.5
tmux kill-session -t bp-idle 2>/dev/null || true
rm -rf "$home"
echo "$U: CPU in the first 3 s $((c0 * 10)) ms; over the next $S s $(((c1 - c0) * 10)) ms"
