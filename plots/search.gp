# The layout search's candidates: every layout of every run (its device) that tiles and fits,
# the whole run's time against its cost at the closed form's step, one colour per device; the
# Pareto front across devices (no layout both faster and cheaper) ringed, joined and labelled.
# data: 1 series, 2 count, 3 time_s, 4 cost_usd, 5 mfu, 6 pareto, 7 label (front only)
# front: 1 time_s, 2 cost_usd
set logscale xy
set format x '%g'
set format y '%g'
set xlabel 'Training time (days)'
set ylabel 'Cost (million US$)'
set key bottom right
plot for [i = 1:|series_title|] data using ($3 / 86400):(column(1) == i - 1 ? $4 / 1e6 : NaN) \
         with points lt i ps 1.2 * pt_k title series_title[i], \
     front using ($1 / 86400):($2 / 1e6) with lines lt 8 lw 3 dt 2 title 'Pareto front', \
     data using ($3 / 86400):($6 == 1 ? $4 / 1e6 : NaN) with points lt 8 pt 6 ps 3.2 * pt_k lw 3 notitle, \
     data using ($3 / 86400):($6 == 1 ? $4 / 1e6 : NaN):7 with labels left offset 1.2, 0.8 font ',18' textcolor rgb ink notitle
