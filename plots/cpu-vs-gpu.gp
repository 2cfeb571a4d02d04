# The deck's "GPU slower than CPU ... why?" chart: training time of Keras's mnist_mlp against its
# trainable parameters, one simulated curve per device, measured points where they exist.
# data: 1 series, 2 device, 3 name, 4 n, 5 params, 6 step_s, 7 steps, 8 time_s
# measured: 1 series, 2 device, 3 n, 4 params, 5 step_s, 6 steps, 7 time_s
measured = name . '-measured.csv'
stats measured using 7 nooutput
n_measured = exists("STATS_records") ? STATS_records : 0  # none: no measured file for any series

set logscale xy
set format x '%.0s%c'
set format y '%g'
set xlabel 'Trainable parameters P(n) = n² + 796 n + 10'
set ylabel 'Training time, 20 epochs (s)'
# The key sits at the top left, in a decade added above the slowest run, so that it covers no
# point (the n = 4096 run is the highest and the rightmost).
stats data using 8 nooutput
set yrange [* : 10 ** (ceil(log10(STATS_max)) + 1)]
set key top left
set mxtics 10
set mytics 10

sim(i) = sprintf('%s, simulated', series_title[i])
plot for [i = 1:|series_title|] data using 5:(column(1) == i - 1 ? $8 : NaN) \
         with linespoints lt i lw 4 title sim(i), \
     measured using 4:7:($1 + 1) with points lc variable pt 6 ps 3.4 * pt_k lw 3 \
         title (n_measured > 0 ? 'measured (open circles: step time × steps)' : ''), \
     data using 5:(column(1) == 0 ? $8 : NaN):(sprintf('n=%d', $4)) \
         with labels offset 0, -1.3 font ',18' textcolor rgb ink notitle
