# mlsim's chart style, shared by every chart: slides projected in a lecture hall.
# - Size: 1920 x 1080 pixels; the PDF page has the same proportions (1 pt = 1 pixel).
# - Fonts: DejaVu Sans, 28 pt text and 32 pt titles, readable from the back of a hall.
# - Colours: the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), which stays
#   distinct under the common forms of colour blindness; each series also has its own marker.
# - Every axis names its quantity and its unit; the source of the numbers is the footnote.
# Variables set before this file: fmt (png, svg or pdf), name, chart_title, footnote; and, when
# mlsim renders, outfile: a temporary name that mlsim checks and renames to name.fmt.
set encoding utf8
font_name = 'DejaVu Sans'
if (fmt eq 'png') {
    set terminal pngcairo size 1920,1080 noenhanced font 'DejaVu Sans,28' linewidth 2 background '#ffffff'
} else {
    if (fmt eq 'svg') {
        set terminal svg size 1920,1080 noenhanced font 'DejaVu Sans,28' linewidth 2 background '#ffffff'
    } else {
        set terminal pdfcairo size 26.667in,15in noenhanced font 'DejaVu Sans,28' linewidth 2
    }
}
if (!exists("outfile")) outfile = name . '.' . fmt
set output outfile

# Okabe-Ito: blue, vermillion, bluish green, orange, reddish purple, sky blue, yellow, black.
set linetype 1 lc rgb '#0072B2' lw 3 pt 7  ps 2.2
set linetype 2 lc rgb '#D55E00' lw 3 pt 5  ps 2.2
set linetype 3 lc rgb '#009E73' lw 3 pt 9  ps 2.6
set linetype 4 lc rgb '#E69F00' lw 3 pt 13 ps 2.4
set linetype 5 lc rgb '#CC79A7' lw 3 pt 11 ps 2.6
set linetype 6 lc rgb '#56B4E9' lw 3 pt 15 ps 2.2
set linetype 7 lc rgb '#F0E442' lw 3 pt 3  ps 2.2
set linetype 8 lc rgb '#000000' lw 3 pt 1  ps 2.2
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
set label 9999 footnote at screen 0.008, screen 0.042 left font ',17' textcolor rgb '#555555'
set bmargin at screen 0.19
set tmargin at screen 0.89
set lmargin 13
set rmargin 5
