# Scaling with device count: the step time of a simulated training step against the number of
# devices (log-log, the ideal 1/N line beside it), and the parallel efficiency S(N) / N.
# data: 1 devices, 2 step_s, 3 ideal_step_s, 4 speedup, 5 efficiency, 8 exposed_comm_s, 9 mfu
stats data using 1 nooutput
n_pts = STATS_records
# Efficiency labels: at most 5 (every label_k-th point, and the last), so that they stay apart.
label_k = ceil(n_pts / 5.0)
shown(i) = (int(i) % label_k == 0 || int(i) == n_pts - 1)
set multiplot layout 1, 2 margins screen 0.11, 0.98, 0.2, 0.89 spacing screen 0.15, 0
set logscale x 2
set xtics format '%.0f'
set xlabel 'Devices'

set logscale y
set ylabel 'Step time (s)'
set key top right
plot data using 1:2 with linespoints lt 1 lw 4 title 'simulated', \
     data using 1:3 with lines dt 2 lt 8 lw 3 title ideal_title
unset label 9998
unset label 9999

unset logscale y
set yrange [0:105]
set ylabel efficiency_label
set key bottom left
set offsets graph 0.09, graph 0.09, 0, 0   # room for the end points' labels
plot data using 1:(100 * $5) with linespoints lt 2 lw 4 title 'efficiency', \
     data using 1:(100 * $9) with linespoints lt 3 lw 4 title 'MFU (simulated)', \
     data using 1:(100 * $5):(shown($0) ? sprintf('%.1f%%', 100 * $5) : '') with labels offset 0, -1.4 font ',20' textcolor rgb ink notitle
unset multiplot
