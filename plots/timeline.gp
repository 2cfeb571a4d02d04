# One simulated training step as a Gantt chart: a row per stream of the simulated device (compute,
# gradient communication, host-to-device copies; a rank per pipeline stage in a cluster run), a
# bar per task. Top: the whole step. Bottom: its end, where the all-reduce of the gradients
# overlaps the last backward pass, and the optimizer waits for it.
# Many streams (a pipeline's ranks) share a row per rank, and past 16 rows every label_every-th
# row is named. The left margin fits the longest name (label_chars) at the labels' 22 pt, about
# 0.0088 of the width per character (DejaVu Sans, measured on the PNG).
# data: 1 resource, 2 category, 3 category_name, 4 start_s, 5 end_s, 6 layer, 7 microbatch, 8 name,
#       9 row
n_streams = |stream_name|
left = 0.03 + 0.0088 * label_chars
left = left < 0.08 ? 0.08 : (left > 0.4 ? 0.4 : left)
set multiplot layout 2, 1 margins screen left, 0.97, 0.2, 0.86 spacing screen 0, 0.15
set yrange [n_streams - 0.5 : -0.5]
set ytics () scale 0 font ',22'
do for [i = 1:n_streams] { if ((i - 1) % label_every == 0) { set ytics add (stream_name[i] i - 1) } }
set grid xtics noytics
set style fill solid 1.0 noborder
set key at screen 0.97, screen 0.915 right top horizontal maxrows 1 maxcols 3 width -4 noopaque nobox samplen 1.5
colour(c) = c == 0 ? 0x0072B2 : (c == 1 ? 0xD55E00 : 0x009E73)
box(c) = (column(2) == c) ? 1 : NaN

set xlabel 'Time in the step (s)'
set xrange [0 : step_end]
plot for [c = 0:2] data using (($4 + $5) / 2 * box(c)):9:(($5 - $4) / 2):(0.35) \
     with boxxyerror lc rgb colour(c) title (c == 0 ? 'compute' : (c == 1 ? 'communication' : 'host-to-device copy'))
unset label 9998
unset label 9999

set xlabel 'Time in the step (ms), its end'
set xrange [zoom_from * 1e3 : step_end * 1e3]
plot for [c = 0:2] data using (($4 + $5) / 2 * 1e3 * box(c)):9:(($5 - $4) / 2 * 1e3):(0.35) \
     with boxxyerror lc rgb colour(c) notitle
unset multiplot
