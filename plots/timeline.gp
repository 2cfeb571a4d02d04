# One simulated training step as a Gantt chart: a row per stream of the simulated device (compute,
# gradient communication, host-to-device copies; a rank per pipeline stage in a cluster run), a
# bar per task. Top: the whole step. Bottom: its end, where the all-reduce of the gradients
# overlaps the last backward pass, and the optimizer waits for it.
# data: 1 resource, 2 category, 3 category_name, 4 start_s, 5 end_s, 6 layer, 7 microbatch, 8 name
n_streams = |stream_name|
set multiplot layout 2, 1 margins screen 0.13, 0.97, 0.2, 0.86 spacing screen 0, 0.15
set yrange [n_streams - 0.5 : -0.5]
set ytics () scale 0
do for [i = 1:n_streams] { set ytics add (stream_name[i] i - 1) }
set grid xtics noytics
set style fill solid 1.0 noborder
set key at screen 0.97, screen 0.915 right top horizontal maxrows 1 maxcols 3 width -4 noopaque nobox samplen 1.5
colour(c) = c == 0 ? 0x0072B2 : (c == 1 ? 0xD55E00 : 0x009E73)
box(c) = (column(2) == c) ? 1 : NaN

set xlabel 'Time in the step (s)'
set xrange [0 : step_end]
plot for [c = 0:2] data using (($4 + $5) / 2 * box(c)):1:(($5 - $4) / 2):(0.35) \
     with boxxyerror lc rgb colour(c) title (c == 0 ? 'compute' : (c == 1 ? 'communication' : 'host-to-device copy'))
unset label 9998
unset label 9999

set xlabel 'Time in the step (ms), its end'
set xrange [zoom_from * 1e3 : step_end * 1e3]
plot for [c = 0:2] data using (($4 + $5) / 2 * 1e3 * box(c)):1:(($5 - $4) / 2 * 1e3):(0.35) \
     with boxxyerror lc rgb colour(c) notitle
unset multiplot
