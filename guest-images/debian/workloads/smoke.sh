#!/bin/sh
# hspt smoke workload: busybox utilities, fork-heavy shell, parallel processes, and real Debian programs
# (lua5.4, xz, sqlite3, gzip, 7zip) with their shared libraries. Its output is deterministic: no times,
# dates, PIDs or sizes that depend on the machine, so it can be compared byte for byte between runs and
# between hspt and QEMU. /init runs it in an empty directory under /tmp.
set -e

# busybox sh runs its own applets (xz, gzip, ...) without searching PATH (FEATURE_SH_STANDALONE): functions
# take precedence over applets, so these make the names mean the Debian programs
xz() { /usr/bin/xz "$@"; }
gzip() { /bin/gzip "$@"; }

echo "== busybox utilities"
seq 1 1000 > nums.txt
echo "lines: $(wc -l < nums.txt)"
awk '{ s += $1; q += $1 * $1 } END { print "sum", s, "sum of squares", q, "mean", s / NR }' nums.txt
echo "top3: $(sort -rn nums.txt | head -3 | tr '\n' ' ')"
echo "sed: $(sed -n 's/^\(7*\)$/sevens:\1/p' nums.txt | tr '\n' ' ')"
echo "grep: $(grep -c 9 nums.txt) lines contain a 9"
printf 'the quick brown fox\njumps over\nthe lazy dog\n' > fox.txt
echo "md5: $(md5sum < fox.txt | cut -d' ' -f1)"
echo "sha256: $(sha256sum < fox.txt | cut -d' ' -f1)"
echo "sha256 nums: $(sha256sum < nums.txt | cut -d' ' -f1)"
echo "words: $(tr ' ' '\n' < fox.txt | sort | uniq -c | sort -k1,1nr -k2 | head -2 | awk '{ printf "%s=%s ", $2, $1 }')"
mkdir -p d/a d/b && touch d/a/one d/b/two d/b/three
echo "ls: $(ls -R d | tr '\n' ' ')"
echo "find: $(find d -type f | sort | tr '\n' ' ')"
echo "paste/cut: $(seq 1 5 | paste -s -d+ -) = $(($(seq 1 5 | paste -s -d+ -))), $(echo a:b:c:d | cut -d: -f2,4)"
echo "od: $(printf 'ARMv7' | od -An -tx1 | tr -s ' ')"
echo "tar: $(tar -cf - d | tar -tf - | sort | tr '\n' ' ')"

echo "== fork-heavy shell loop"
i=0
total=0
while [ "$i" -lt 200 ]; do
    i=$(expr "$i" + 1)
    total=$(expr "$total" + "$i" \* "$i")
done
echo "expr loop: i=$i total=$total"
n=0
for f in $(seq 1 50); do n=$((n + $(echo "$f" | wc -c))); done
echo "pipelines: $n"

echo "== parallel processes"
for k in 1 2 3 4; do
    ( seq 1 $((k * 5000)) | md5sum | cut -d' ' -f1 > "par.$k"; awk -v k="$k" 'BEGIN { s = 0; for (j = 0; j < 5000 * k; j++) s += j % 7; print s }' >> "par.$k" ) &
done
wait
for k in 1 2 3 4; do echo "job $k: $(tr '\n' ' ' < "par.$k")"; done

echo "== lua"
cat > prog.lua <<'EOF'
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
local sieve, count = {}, 0
for i = 2, 20000 do
  if not sieve[i] then count = count + 1; for j = i * i, 20000, i do sieve[j] = true end end
end
local t = {}
for i = 1, 200 do t[i] = (i * 7919) % 1009 end
table.sort(t)
local words = {}
for w in ("the quick brown fox jumps over the lazy dog"):gmatch("%a+") do words[#words + 1] = w:upper() end
local x = 0.0
for i = 1, 1000 do x = x + math.sin(i) * math.sqrt(i) end
print("fib(24)", fib(24))
print("primes below 20000", count)
print("sorted", t[1], t[100], t[200])
print("words", table.concat(words, ","))
print(string.format("float %.6f %.3e %d", x, 1 / 3, math.floor(2 ^ 31 + 0.5)))
print("integer", 7 // 2, -7 // 2, 7 % -3, 1 << 40, math.maxinteger)
print(_VERSION)
EOF
lua prog.lua

echo "== xz"
awk 'BEGIN { for (i = 0; i < 8000; i++) printf "line %d value %d\n", i, (i * 2654435761) % 4294967296 }' > data.txt
echo "data: $(wc -c < data.txt) bytes, sha256 $(sha256sum < data.txt | cut -d' ' -f1)"
xz -6 -k data.txt
echo "xz: $(wc -c < data.txt.xz) bytes, sha256 $(sha256sum < data.txt.xz | cut -d' ' -f1)"
xz -t data.txt.xz
xz -dc data.txt.xz | cmp - data.txt && echo "xz roundtrip ok"
xz --version | head -1

echo "== gzip"
gzip -9 -n -c data.txt > data.txt.gz
echo "gzip: $(wc -c < data.txt.gz) bytes, sha256 $(sha256sum < data.txt.gz | cut -d' ' -f1)"
gzip -dc data.txt.gz | cmp - data.txt && echo "gzip roundtrip ok"
gzip -t data.txt.gz && echo "gzip test ok"

echo "== sqlite3"
sqlite3 db.sqlite <<'EOF'
CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, price REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
  INSERT INTO item(name, grp, price) SELECT 'item' || i, i % 7, (i * 37 % 1000) / 10.0 FROM n;
INSERT INTO item(name, grp, price) VALUES ('extra', 3, 12.5);
CREATE INDEX item_grp ON item(grp);
SELECT count(*), sum(price), max(name) FROM item;
SELECT grp, count(*), round(avg(price), 3) FROM item GROUP BY grp ORDER BY grp;
SELECT name FROM item WHERE grp = 3 AND price > 99 ORDER BY id LIMIT 3;
SELECT group_concat(id, ' ') FROM (SELECT id FROM item ORDER BY price DESC, id LIMIT 5);
EOF
echo "rows after reopen: $(sqlite3 db.sqlite 'SELECT count(*) FROM item WHERE grp = 0;')"
echo "integrity: $(sqlite3 db.sqlite 'PRAGMA integrity_check;')"

echo "== 7zip"
mkdir -p arch && cp data.txt nums.txt fox.txt arch/
7zz a -bd -bso0 -bsp0 -mmt1 -mx5 -mtm- -mtc- -mta- a.7z ./arch
echo "7z: $(wc -c < a.7z) bytes, sha256 $(sha256sum < a.7z | cut -d' ' -f1)"
7zz t -bd -bso0 -bsp0 a.7z && echo "7z test ok"
mkdir -p x && 7zz x -bd -bso0 -bsp0 -ox a.7z
for f in data.txt nums.txt fox.txt; do cmp "x/arch/$f" "$f"; done && echo "7z roundtrip ok"

echo "== done"
