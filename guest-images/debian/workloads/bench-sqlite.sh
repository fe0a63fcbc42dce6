#!/bin/sh
# hspt bench: sqlite3 on a database file: 12,000 rows inserted in one transaction, an index, aggregates,
# a join, updates and an integrity check. All rows are made by SQL (no shell loop).
set -e
. "$(dirname "$0")/bench-lib.sh"
cat >bench.sql <<'SQL'
PRAGMA journal_mode = WAL;
CREATE TABLE item(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, price REAL);
CREATE TABLE grp(id INTEGER PRIMARY KEY, label TEXT);
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 12000)
INSERT INTO item SELECT x, (x * 7919) % 97, printf('item-%08X', x * 2654435761 % 4294967296), ((x * 31) % 1000) / 10.0 FROM c;
WITH RECURSIVE c(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM c WHERE x < 96)
INSERT INTO grp SELECT x, 'group ' || x FROM c;
COMMIT;
CREATE INDEX item_name ON item(name);
CREATE INDEX item_grp ON item(grp, price);
SELECT count(*), sum(price), min(name), max(name) FROM item;
SELECT g.label, count(*), round(avg(i.price), 3) FROM item i JOIN grp g ON g.id = i.grp GROUP BY g.id ORDER BY 3 DESC, 1 LIMIT 3;
SELECT count(*) FROM item WHERE name LIKE 'item-A%';
UPDATE item SET price = price * 1.1 WHERE grp % 3 = 0;
DELETE FROM item WHERE id % 10 = 0;
SELECT count(*), round(sum(price), 2) FROM item;
SELECT count(DISTINCT substr(name, 6, 2)) FROM item;
PRAGMA integrity_check;
SQL
bench_begin sqlite
sqlite3 bench.db <bench.sql >out.txt
bench_end sqlite
cat out.txt
