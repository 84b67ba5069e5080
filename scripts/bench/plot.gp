# plot.gp - throughput by operation and block size (scripts/bench.sh).
# Usage: gnuplot -e "datafile='bench-plot.dat'; outfile='bench.png'" plot.gp
set terminal pngcairo size 1400,600 font ",10" noenhanced
set output outfile
set datafile separator "\t"
set datafile missing "-"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set yrange [1:*]
set ylabel "MiB/s (log scale; median of rounds)"
set xtics rotate by -35 nomirror
set grid ytics
set key top right
set title "mmapfs beside native I/O on the backing file and libfuse passthrough_ll"
plot datafile using 2:xtic(1) title columnhead(2), \
     '' using 3 title columnhead(3), \
     '' using 4 title columnhead(4), \
     '' using 5 title columnhead(5)
