#!/bin/sh
# A short deterministic workload for checking every memory configuration quickly:
# processes (fork/exec/exit, pipes), file I/O, a Debian program with shared libraries.
set -e
echo "== quick"
i=0
while [ "$i" -lt 20 ]; do i=$(expr "$i" + 1); done
echo "forks: $i"
seq 1 2000 | sort -rn | head -3 | tr '\n' ' '; echo
for k in 1 2 3; do ( seq 1 $((k * 3000)) | md5sum | cut -d' ' -f1 > "p.$k" ) & done
wait
cat p.1 p.2 p.3
cat > q.lua <<'LUA'
print(string.format("lua %d %.4f", 6 * 7, math.sqrt(2)))
LUA
lua q.lua
echo "sqlite: $(sqlite3 :memory: 'create table t(x); insert into t values (1),(2),(3); select sum(x) from t;')"
echo "== quick done"
