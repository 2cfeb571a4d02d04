# The deck's figures of merit for every device of the hardware database, by year of release:
# eta = peak FLOP/s per watt of TDP, and mu = peak FLOP/s per dollar of purchase price.
# Colour and marker by kind (CPU, GPU, TPU, ASIC, system). Hash-rate devices (the AntMiner S7)
# and sparse-only figures are left out: they are not dense FLOP/s.
# data: 1 id, 2 name, 3 kind, 4 kind_index, 5 year, 6 precision, 7 basis, 8 peak,
#       9 price_usd, 10 tdp_w, 11 mu_per_usd, 12 mu_per_usd_h, 13 eta_per_w,
#       14 label_eta, 15 label_mu (the id, or empty where it would overlap a label already placed;
#       src/chart_hw.c places them for the 18 pt labels and the panels' size below)
set multiplot layout 1, 2 margins screen 0.11, 0.98, 0.2, 0.89 spacing screen 0.15, 0
dense(c) = strcol(7) eq 'dense' ? column(c) : NaN
of_kind(k, c) = (column(4) == k && strcol(7) eq 'dense') ? column(c) : NaN
set logscale y
set format y '%.0s%c'
set xlabel 'Year of release'
set xrange [2004:2027]
set xtics 4
set key top left font ',22'

set ylabel 'η (peak FLOP/s per W of TDP)'
plot for [k = 0:|kind_name| - 1] data using 5:(of_kind(k, 13)) with points lt k + 1 ps 2.4 * pt_k title kind_name[k + 1], \
     data using 5:(dense(13)):14 with labels left offset 0.9, 0 font ',18' textcolor rgb ink notitle
unset label 9998
unset label 9999

set ylabel 'μ (peak FLOP/s per US$ of price)'
plot for [k = 0:|kind_name| - 1] data using 5:(of_kind(k, 11)) with points lt k + 1 ps 2.4 * pt_k title kind_name[k + 1], \
     data using 5:(dense(11)):15 with labels left offset 0.9, 0 font ',18' textcolor rgb ink notitle
unset multiplot
