#!/usr/bin/env bash
# Draws the app icons in icons/ (a 3x3 mosaic tile, the same mark as ui/dist/favicon.svg)
# with ImageMagick. The PNGs are committed; run this only to change the design.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v convert >/dev/null || { echo "needs ImageMagick (scripts/setup.sh installs it)" >&2; exit 1; }

size=512
unit=$(python3 -c "print($size / 35)")           # the mark is drawn on a 35x35 grid
px() { python3 -c "print(round(($1) * $unit))"; }

draw=("-fill" "#312e81" "-draw" "roundrectangle 0,0 $((size - 1)),$((size - 1)) $(px 7),$(px 7)")
colours=("#5eead4" "#a5b4fc" "#5eead4" "#a5b4fc" "#fbbf24" "#a5b4fc" "#5eead4" "#a5b4fc" "#5eead4")
for row in 0 1 2; do
    for col in 0 1 2; do
        x0=$(px "5 + $col * 9"); y0=$(px "5 + $row * 9")
        x1=$(px "12 + $col * 9"); y1=$(px "12 + $row * 9")
        draw+=("-fill" "${colours[row * 3 + col]}" "-draw" "roundrectangle $x0,$y0 $x1,$y1 $(px 1.5),$(px 1.5)")
    done
done

mkdir -p icons
convert -size "${size}x${size}" xc:none "${draw[@]}" -strip PNG32:icons/icon.png
for spec in 32:32x32 128:128x128 256:128x128@2x; do
    convert icons/icon.png -resize "${spec%%:*}x${spec%%:*}" -strip PNG32:"icons/${spec#*:}.png"
done
identify icons/*.png
