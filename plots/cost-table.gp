# The deck's "State-Of-The-Art Training Costs" table as horizontal bars: one bar per model, its
# cost in millions of dollars, the exact dollar figure written at the end of the bar.
# Columns of data: 1 name, 7 mfu, 8 time_s, 10 cost_usd (12 cost_label: the same for people).
stats data using 10 nooutput
n_rows = STATS_records
max_cost = STATS_max

set yrange [n_rows - 0.4 : -0.6]
set xrange [0 : max_cost / 1e6 * 1.75]
set xlabel cost_xlabel
set ytics scale 0 font ',26'
# the left margin fits the longest name (name_chars) at 26 pt, 0.0095 of the width a character
# (measured on the PNG)
left = 0.03 + 0.0095 * name_chars
set lmargin at screen (left < 0.1 ? 0.1 : (left > 0.5 ? 0.5 : left))
set grid xtics noytics
unset key
set style fill solid 0.85 noborder
# $1,234,567: thousands separated by commas, whatever the locale.
thousands(x) = x < 1000 ? sprintf('%.0f', x) : thousands(floor(x / 1000)) . sprintf(',%03.0f', x - 1000 * floor(x / 1000))
dollars(x) = '$' . thousands(floor(x + 0.5))

# A bar longer than half the axis carries its label inside, in white, right-aligned: outside,
# the label (about 480 pixels at 22 pt) would run past the frame.
label(c, m, t) = dollars(c) . sprintf('  (%.0f%% MFU, %.0f days)', 100 * m, t / 86400)
long(c) = c / 1e6 > 0.5 * max_cost / 1e6 * 1.75
plot data using (0):0:(0):($10 / 1e6):($0 - 0.36):($0 + 0.36):ytic(1) \
         with boxxyerror lc rgb '#0072B2', \
     data using (long($10) ? NaN : $10 / 1e6):0:(' ' . label($10, $7, $8)) \
         with labels left font ',22' textcolor rgb ink, \
     data using (long($10) ? $10 / 1e6 : NaN):0:(label($10, $7, $8) . ' ') \
         with labels right font ',22' textcolor rgb '#ffffff'
