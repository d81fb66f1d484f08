package imagehash

import (
	"image"
)

// BT.601 luma weights, the ones JPEG's Y channel uses, so that a JPEG read
// through its Y plane and the same picture read from RGB pixels agree.
const (
	lumaR = 0.299
	lumaG = 0.587
	lumaB = 0.114
)

// share is one source row's or column's share of one cell of the grid.
type share struct {
	cell   int
	weight float32
}

// pair is a column's shares of two neighbouring cells; w1 may be 0.
type pair struct {
	cell   int
	w0, w1 float32
}

// shares gives, for each of n source pixels along an axis, the grid cells it
// overlaps and by how much: the grid averages areas, so every source pixel
// counts in proportion to the part of a cell it covers. Each cell's weights
// sum to 1. shares[start[i]:start[i+1]] belong to pixel i.
func shares(n int) (start []int, s []share) {
	// In units of 1/n of a cell, so the arithmetic is exact: pixel i spans
	// [i*side, (i+1)*side) and cell c spans [c*n, (c+1)*n).
	start = make([]int, n+1)
	s = make([]share, 0, n+side)
	for i := range n {
		start[i] = len(s)
		lo, hi := i*side, (i+1)*side
		for c := lo / n; c < side && c*n < hi; c++ {
			overlap := min(hi, (c+1)*n) - max(lo, c*n)
			if overlap > 0 {
				s = append(s, share{cell: c, weight: float32(overlap) / float32(n)})
			}
		}
	}
	start[n] = len(s)
	return start, s
}

// downscale returns the mean luminance (0 to 255) of img over a side x side
// grid of equal areas. The common decoded types are read straight from
// their pixel buffers; others go through the slower At.
func downscale(img image.Image) [side][side]float64 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	colStart, cols := shares(w)
	rowStart, rows := shares(h)

	// A picture at least side pixels wide, as nearly all are, has each
	// column in one or two cells: pairs holds those without the loop over
	// shares, the bulk of the work.
	var pairs []pair
	if w >= side {
		pairs = make([]pair, w)
		for x := range pairs {
			own := cols[colStart[x]:colStart[x+1]]
			pairs[x] = pair{cell: own[0].cell, w0: own[0].weight}
			if len(own) > 1 {
				pairs[x].w1 = own[1].weight
			}
		}
	}

	lum := make([]float32, w)
	readRow := rowReader(img, lum)
	var grid [side][side]float64
	var acc [side + 1]float32 // the last cell catches pairs' empty w1
	for y := range h {
		readRow(b.Min.Y + y)
		acc = [side + 1]float32{}
		if pairs != nil {
			for x, l := range lum {
				p := pairs[x]
				acc[p.cell] += l * p.w0
				acc[p.cell+1] += l * p.w1
			}
		} else {
			for x, l := range lum {
				for _, s := range cols[colStart[x]:colStart[x+1]] {
					acc[s.cell] += l * s.weight
				}
			}
		}
		for _, s := range rows[rowStart[y]:rowStart[y+1]] {
			g := &grid[s.cell]
			for c, a := range acc[:side] {
				g[c] += float64(a * s.weight)
			}
		}
	}
	return grid
}

// rowReader returns a function that fills lum with the luminance of row y of
// img. Transparent pixels count as black: colours are taken premultiplied
// by alpha.
func rowReader(img image.Image, lum []float32) func(y int) {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr:
		return func(y int) {
			i := m.YOffset(b.Min.X, y)
			for x, v := range m.Y[i : i+len(lum)] {
				lum[x] = float32(v)
			}
		}
	case *image.NYCbCrA:
		return func(y int) {
			i := m.YOffset(b.Min.X, y)
			j := m.AOffset(b.Min.X, y)
			alpha := m.A[j : j+len(lum)]
			for x, v := range m.Y[i : i+len(lum)] {
				lum[x] = float32(v) * float32(alpha[x]) / 255
			}
		}
	case *image.Gray:
		return func(y int) {
			i := m.PixOffset(b.Min.X, y)
			for x, v := range m.Pix[i : i+len(lum)] {
				lum[x] = float32(v)
			}
		}
	case *image.RGBA:
		return func(y int) {
			i := m.PixOffset(b.Min.X, y)
			p := m.Pix[i : i+4*len(lum)]
			for x := range lum {
				q := p[4*x : 4*x+3]
				lum[x] = lumaR*float32(q[0]) + lumaG*float32(q[1]) + lumaB*float32(q[2])
			}
		}
	case *image.NRGBA:
		return func(y int) {
			i := m.PixOffset(b.Min.X, y)
			p := m.Pix[i : i+4*len(lum)]
			for x := range lum {
				q := p[4*x : 4*x+4]
				l := lumaR*float32(q[0]) + lumaG*float32(q[1]) + lumaB*float32(q[2])
				lum[x] = l * float32(q[3]) / 255
			}
		}
	case *image.Paletted:
		// Every index has an entry, so a pixel naming a colour the palette
		// lacks reads as black instead of out of range.
		var table [256]float32
		for i, c := range m.Palette {
			if i >= len(table) {
				break
			}
			table[i] = luma16(c.RGBA())
		}
		return func(y int) {
			i := m.PixOffset(b.Min.X, y)
			for x, v := range m.Pix[i : i+len(lum)] {
				lum[x] = table[v]
			}
		}
	default:
		return func(y int) {
			for x := range lum {
				lum[x] = luma16(img.At(b.Min.X+x, y).RGBA())
			}
		}
	}
}

// luma16 returns the luminance, 0 to 255, of a premultiplied 16-bit colour.
func luma16(r, g, b, _ uint32) float32 {
	return (lumaR*float32(r) + lumaG*float32(g) + lumaB*float32(b)) / 257
}
