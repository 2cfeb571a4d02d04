# Cost against time over what-ifs: every run of the scenario at several device counts (the labels),
# one colour per device. The Pareto front (no what-if both faster and cheaper) is ringed and joined.
# data: 1 series, 2 count, 3 time_s, 4 cost_usd, 5 mfu, 6 pareto, 7 label
# front: 1 time_s, 2 cost_usd
set logscale x
set xlabel 'Training time (days)'
set ylabel 'Cost (million US$)'
set key top right
set format x '%g'
plot front using ($1 / 86400):($2 / 1e6) with lines lt 8 lw 3 dt 2 title 'Pareto front', \
     data using ($3 / 86400):($6 == 1 ? $4 / 1e6 : NaN) with points lt 8 pt 6 ps 4.5 * pt_k lw 3 notitle, \
     for [i = 1:|series_title|] data using ($3 / 86400):(column(1) == i - 1 ? $4 / 1e6 : NaN) \
         with points lt i ps 2.6 * pt_k title series_title[i], \
     data using ($3 / 86400):($4 / 1e6):(sprintf('%d', $2)) with labels left offset 1.2, 0.6 font ',20' textcolor rgb ink notitle
