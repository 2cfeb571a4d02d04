# Amdahl's law: the speed-up of a program whose fraction p runs in parallel on N processors,
# S(N) = 1 / ((1 - p) + p / N), for the deck's four p; over it, the speed-up of a training step
# simulated by mlsim on 1, 2, 4 ... devices (the same global batch: strong scaling).
# data: 1 processors, 2-5 speed-up for p = 0.5, 0.75, 0.9, 0.95
# simulated: 1 devices, 4 speedup, 6 amdahl_p
simulated = name . '-simulated.csv'
stats simulated using 1 nooutput
max_dev = STATS_max

set logscale x 2
set xrange [1:65536]
set logscale y 2
set yrange [1:128]
set xtics 4 format '%.0f'
set ytics format '%.0f'
set xlabel 'Number of processors N (log₂ scale)'
set ylabel 'Speed-up S(N) (×, log₂ scale)'
set key at graph 0.98, graph 0.97 right top
# Each curve named at its right end, where it levels off at 1 / (1 - p).
set label 1 'p = 0.95' at 16384, 20 * 1.18 center font ',24' textcolor rgb '#0072B2'
set label 2 'p = 0.90' at 16384, 10 * 1.18 center font ',24' textcolor rgb '#D55E00'
set label 3 'p = 0.75' at 16384, 4 * 1.18 center font ',24' textcolor rgb '#009E73'
set label 4 'p = 0.50' at 16384, 2 * 1.18 center font ',24' textcolor rgb '#E69F00'
set label 5 sprintf('%d devices: S = %.1f, as if p = %.4f', sim_n, sim_s, sim_p) at graph 0.6, graph 0.66 center font ',24' textcolor rgb '#000000'
set grid xtics ytics

plot data using 1:5 with lines lt 1 lw 4 title 'Amdahl: S = 1/((1 - p) + p/N)', \
     data using 1:4 with lines lt 2 lw 4 notitle, \
     data using 1:3 with lines lt 3 lw 4 notitle, \
     data using 1:2 with lines lt 4 lw 4 notitle, \
     x with lines dt 2 lw 2 lc rgb grey title 'linear (p = 1)', \
     simulated using 1:4 with linespoints lt 8 pt 7 ps 2.6 * pt_k lw 3 title sim_title, \
     simulated using 1:4:(sprintf('%.1f×', $4)) every ::1 with labels right offset -0.8, 0.6 font ',22' textcolor rgb ink notitle
