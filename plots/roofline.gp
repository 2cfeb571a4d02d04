# A roofline (Williams, Waterman and Patterson 2009): attainable FLOP/s against arithmetic
# intensity, min(peak, intensity x memory bandwidth), from the datasheet and as fitted to
# measurements (mlsim calibrate), with the measured kernels and mlsim's prediction of each.
# roofs: 1 intensity, 2 roof_flops_s, 3 fitted_flops_s
# data: 1 kind, 2 threads, 3 precision, 4 m, 5 n, 6 k, 7 flops, 8 bytes, 9 seconds,
#       10 intensity, 11 measured_flops_s, 12 model_flops_s
set logscale xy 2
set logscale y 10
set format x '%g'
set format y '%.0s%cFLOP/s'
set xrange [1.0 / 16 : 4096]
set xlabel 'Arithmetic intensity (FLOP per byte moved)'
set ylabel 'Attainable throughput (FLOP/s)' offset -1, 0
set lmargin at screen 0.2
set key bottom right
set label 1 sprintf('ridge: %.3g FLOP/byte', ridge) at ridge, peak * 1.35 center font ',22' textcolor rgb ink

is_kind(k, c) = strcol(1) eq k ? column(c) : NaN
plot roofs using 1:2 with lines lt 8 lw 4 title 'datasheet roof', \
     roofs using 1:(calibrated ? $3 : NaN) with lines lt 1 lw 4 dt 2 title (calibrated ? 'fitted roof (calibration)' : ''), \
     data using 10:(is_kind('gemm', 11)) with points lt 2 pt 7 ps 2.4 * pt_k title (has_points ? 'GEMM, measured' : ''), \
     data using 10:(is_kind('memory', 11)) with points lt 3 pt 9 ps 2.8 * pt_k title (has_points ? 'memory stream, measured' : ''), \
     data using 10:12 with points lt 8 pt 6 ps 1.6 * pt_k lw 2 title (has_points && calibrated ? 'mlsim model of each' : '')
