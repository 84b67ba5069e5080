# summary.awk - table of the mount benchmark (scripts/bench.sh).
#
# Input: spec lines "figure|block|key|refkey|refname|unit|kind|target", a
# line "--lib--", then bench_lib's TSV.  Variables: raw (KEY ROUND VALUE
# file), tsv (results to write), plot (gnuplot data to write), blocks and wblocks
# (block sizes of the reads and of the writes).
# Every figure is the median over rounds; a ratio is the median of the
# per-round ratios (contenders of a round ran back to back).

function median(key,    k, m, i, j, t, v) {
	m = cnt[key]
	if (m == 0)
		return ""
	for (i = 1; i <= m; i++)
		v[i] = vals[key, i]
	for (i = 2; i <= m; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
}

function ratio(a, b,    r, n, i, t, v, j) {
	n = 0
	for (r = 1; r <= maxround; r++)
		if ((a, r) in byround && (b, r) in byround && byround[b, r] > 0)
			v[++n] = byround[a, r] / byround[b, r]
	if (n == 0)
		return ""
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}

function blk(b) {
	if (b == "-" || b == "")
		return "-"
	if (b >= 1048576 && b % 1048576 == 0)
		return (b / 1048576) "M"
	if (b >= 1024 && b % 1024 == 0)
		return (b / 1024) "K"
	return b
}

function num(x) {
	if (x == "")
		return "-"
	return sprintf(x >= 100 ? "%.0f" : x >= 10 ? "%.1f" : "%.2f", x)
}

function row(fig, b, val, ref, rval, unit, rat, tgt, res) {
	printf "%-40s %-5s %9s  %-20s %9s  %-5s %7s  %-7s %s\n", fig, blk(b),
		num(val), ref, num(rval), unit,
		rat == "" ? "-" : sprintf("%.3f", rat), tgt, res
	printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", fig, b, val, ref, rval,
		unit, rat, tgt, res > tsv
	if (res == "met")
		met++
	else if (res == "missed")
		missed++
}

function spec_row(line,    f, a, r, rt, tgt, res) {
	split(line, f, "|")
	a = median(f[3])
	if (a == "")
		return
	r = f[4] == "-" ? "" : median(f[4])
	if (f[4] != "-" && r == "")
		return # contender left out (no passthrough_ll)
	rt = f[7] == "abs" ? "" : ratio(f[3], f[4])
	res = "info"
	tgt = "-"
	if (f[8] != "-") {
		if (f[7] == "hi") {
			tgt = ">= " f[8]
			res = rt >= f[8] ? "met" : "missed"
		} else if (f[7] == "lo") {
			tgt = "<= " f[8]
			res = rt <= f[8] ? "met" : "missed"
		} else {
			tgt = "< " f[8]
			res = a < f[8] ? "met" : "missed"
		}
	}
	row(f[1], f[2], a, f[5], r, f[6], rt, tgt, res)
}

function lib_row(    tg, res) {
	if ($1 ~ /^#/ || $1 == "operation")
		return
	tg = $11 > 0 ? ">= " $11 : "-"
	res = $11 > 0 ? $12 : "info"
	row("library " $1 " (" $3 ")", $2, $4 * 1024, $6, $7 * 1024, "MiB/s",
		$9, tg, res)
}

function plot_line(label, n, m, p, t) {
	printf "\"%s\"\t%s\t%s\t%s\t%s\n", label, n == "" ? "-" : n,
		m == "" ? "-" : m, p == "" ? "-" : p, t == "" ? "-" : t > plot
}

function write_plot(    nb, b, i, k, t, op) {
	printf "operation\tnative\tmmapfs chunks\tmmapfs pages\tpassthrough_ll\n" > plot
	nb = split(blocks, b, " ")
	for (i = 1; i <= nb; i++) {
		k = "read." b[i]
		plot_line("read cold " blk(b[i]), median(k ".native"),
			median(k ".mmapfs_cold"), "", median(k ".pt_cold"))
	}
	for (i = 1; i <= nb; i++) {
		k = "read." b[i]
		plot_line("read warm " blk(b[i]), median(k ".native"),
			median(k ".mmapfs_warm"), "", median(k ".pt_warm"))
	}
	nb = split(wblocks, b, " ")
	for (i = 1; i <= nb; i++) {
		k = "write." b[i]
		plot_line("write " blk(b[i]), median(k ".native"),
			median(k ".mmapfs"), "", median(k ".pt"))
	}
	split("read write", op, " ")
	for (i = 1; i <= 2; i++)
		for (t = 1; t <= 4; t += 3) {
			k = "rand" op[i] ".t" t
			plot_line("rand " op[i] " 4K " t "T", median(k ".native"),
				median(k ".chunks"), median(k ".pages"), "")
		}
}

BEGIN {
	while ((getline line < raw) > 0) {
		split(line, f, "\t")
		if (f[1] == "key")
			continue
		vals[f[1], ++cnt[f[1]]] = f[3]
		byround[f[1], f[2]] = f[3]
		if (f[2] > maxround)
			maxround = f[2]
	}
	printf "figure\tblock_bytes\tvalue\treference\treference_value\tunit\tratio\ttarget\tresult\n" > tsv
	printf "%-40s %-5s %9s  %-20s %9s  %-5s %7s  %-7s %s\n", "figure",
		"block", "mmapfs", "reference", "ref", "unit", "ratio",
		"target", "result"
	inlib = 0
}

$0 == "--lib--" { inlib = 1; next }
!inlib { spec_row($0); next }
{ lib_row() }

END {
	write_plot()
	printf "targets: %d met, %d missed\n", met, missed
}
