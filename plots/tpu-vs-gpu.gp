# The deck's "TPU vs GPU" slide (NVIDIA's 2017 answer to Google's TPU paper) as four panels:
# inferences per second under the latency bound (simulated), peak throughput, power (TDP) and
# throughput per watt. Left of the dashed line: the deck's K80, TPU v1 and P40; right: today's.
# data: 1 label, 2 device, 3 group (0 deck, 1 today), 4 year, 5 precision, 6 peak_ops,
#       7 tdp_w, 8 ops_per_w, 9 mem_bw_Bps, 10 inferences_per_s
stats data using 3 nooutput
n_dev = STATS_records
stats data using ($3 == 0 ? 1 : NaN) nooutput
n_deck = STATS_records

# bottom margin: room for the rotated device names above the two-line footnote
set multiplot layout 2, 2 margins screen 0.1, 0.98, 0.27, 0.89 spacing screen 0.1, 0.19
set style fill solid 0.85 noborder
set boxwidth 0.7
set xrange [-0.6 : n_dev - 0.4]
set xtics rotate by 30 right font ',20' scale 0
set grid ytics noxtics
set arrow 1 from n_deck - 0.5, graph 0 to n_deck - 0.5, graph 1 nohead dt 2 lw 2 lc rgb ink
unset key
bar(c) = c == 0 ? 0x0072B2 : 0xE69F00
tag(col) = sprintf('%s %s', strcol(2), strcol(5))

set logscale y
set format y '%.0s%c'
set ylabel 'Inferences/s (simulated)' font ',24'
set label 1 "the deck's devices" at graph 0.01, graph 0.93 left font ',20' textcolor rgb '#0072B2' front
set label 2 'today' at graph 0.99, graph 0.93 right font ',20' textcolor rgb '#E69F00' front
plot data using 0:10:(bar($3)):xtic(2) with boxes lc rgb variable
unset label 1
unset label 2
unset label 9998
unset label 9999

set ylabel 'Peak (OP/s)' font ',24'
plot data using 0:6:(bar($3)):xtic(2) with boxes lc rgb variable, \
     data using 0:6:5 with labels offset 0, 0.8 font ',17' textcolor rgb ink

unset logscale y
set format y '%g'
set ylabel 'Power, TDP (W)' font ',24'
plot data using 0:7:(bar($3)):xtic(2) with boxes lc rgb variable

set logscale y
set format y '%.0s%c'
set ylabel 'Peak per watt (OP/s per W)' font ',24'
plot data using 0:8:(bar($3)):xtic(2) with boxes lc rgb variable
unset multiplot
