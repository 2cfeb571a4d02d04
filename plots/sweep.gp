# A result column against a field the scenario sweeps: one line per combination of the other
# swept fields; where the runs have Monte Carlo bands, the P10-P90 band shaded around the P50
# line. Axes are logarithmic where the values span more than 10x (x) or 100x (y).
# data: 1 series, 2 x, 3 y, 4 p10, 5 p50, 6 p90
set xlabel x_label
set ylabel y_label
if (log_x) { set logscale x; set format x '%g' }
set format y '%.1s%c'
if (log_y) { set logscale y; set format y '%.0s%c' }
set key top right
set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05
line(i) = column(1) == i - 1 ? (has_bands ? column(5) : column(3)) : NaN
within(i, c) = column(1) == i - 1 ? column(c) : NaN
set style fill transparent solid 0.22 noborder
plot for [i = 1:|series_title|] data using 2:(within(i, 4)):(within(i, 6)) \
         with filledcurves lt i notitle, \
     for [i = 1:|series_title|] data using 2:(line(i)) \
         with linespoints lt i lw 4 title series_title[i] . (has_bands ? ' (P50, P10-P90 band)' : '')
