# mlsim's chart style, shared by every chart: slides projected in a lecture hall.
# - Size: 1920 x 1080 pixels; the PDF page has the same proportions (1 pt = 1 pixel).
# - Fonts: DejaVu Sans, 28 pt text, 32 pt titles, a 20 pt footnote, as pngcairo draws them at
#   1920 x 1080. The same look in every format: measured on rasterized test pages, gnuplot 5.4's
#   svg terminal draws text at 3/4 of pngcairo's size and points 3.7 times as large, and
#   pdfcairo text at half size (its default fontscale is 0.5) and lines at half width. Each
#   terminal is scaled back here; the templates write every point size as N * pt_k. svg guesses
#   text widths short of what it draws, so its key gets 4 characters more, and the margins are
#   fractions of the page (character units differ between terminals; the legend moved).
# - Colours: the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), which stays
#   distinct under the common forms of colour blindness; each series also has its own marker.
# - Every axis names its quantity and its unit; the source of the numbers is the footnote.
# Variables set before this file: fmt (png, svg or pdf), name, chart_title, footnote; and, when
# mlsim renders, outfile: a temporary name that mlsim checks and renames to name.fmt.
set encoding utf8
font_name = 'DejaVu Sans'
pt_k = 1.0
if (fmt eq 'png') {
    set terminal pngcairo size 1920,1080 noenhanced font 'DejaVu Sans,28' fontscale 1 linewidth 2 background '#ffffff'
} else {
    if (fmt eq 'svg') {
        set terminal svg size 1920,1080 noenhanced font 'DejaVu Sans,28' fontscale 1.3333 linewidth 2 background '#ffffff'
        pt_k = 0.36
        set key width 4
    } else {
        set terminal pdfcairo size 26.667in,15in noenhanced font 'DejaVu Sans,28' fontscale 1 linewidth 4
    }
}
if (!exists("outfile")) outfile = name . '.' . fmt
set output outfile

# Okabe-Ito: blue, vermillion, bluish green, orange, reddish purple, sky blue, yellow, black.
set linetype 1 lc rgb '#0072B2' lw 3 pt 7  ps 2.2 * pt_k
set linetype 2 lc rgb '#D55E00' lw 3 pt 5  ps 2.2 * pt_k
set linetype 3 lc rgb '#009E73' lw 3 pt 9  ps 2.6 * pt_k
set linetype 4 lc rgb '#E69F00' lw 3 pt 13 ps 2.4 * pt_k
set linetype 5 lc rgb '#CC79A7' lw 3 pt 11 ps 2.6 * pt_k
set linetype 6 lc rgb '#56B4E9' lw 3 pt 15 ps 2.2 * pt_k
set linetype 7 lc rgb '#F0E442' lw 3 pt 3  ps 2.2 * pt_k
set linetype 8 lc rgb '#000000' lw 3 pt 1  ps 2.2 * pt_k
set linetype cycle 8
ink = '#333333'
grey = '#bbbbbb'

set datafile separator comma
set datafile columnheaders
set datafile missing 'NaN'
set border lw 1.5 lc rgb ink
set tics textcolor rgb ink
set grid back lc rgb '#dddddd' lw 1
set key box lc rgb grey opaque samplen 2 spacing 1.2
# The title is centred on the page, not on the plot; the footnote sits at the bottom left
# (labels 9998 and 9999).
# A chart of several panels unsets them after its first panel, so that they are drawn once.
set label 9998 chart_title at screen 0.5, screen 0.955 center font ',32' textcolor rgb '#000000'
# The footnote's first line sits higher the more lines follow it, so that the last stays on the page.
if (!exists("footnote_lines")) footnote_lines = 1
set label 9999 footnote at screen 0.008, screen 0.035 + 0.03 * (footnote_lines - 1) left font ',20' textcolor rgb '#555555'
set bmargin at screen 0.2
set tmargin at screen 0.89
set lmargin at screen 0.16
set rmargin at screen 0.94
