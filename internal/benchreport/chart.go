package benchreport

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart draws two panels, one line per combination: accepted spans/s
// against offered spans/s (with the ideal y = x), and the p99 of push to
// queryable against offered spans/s. It writes a PNG to path.
func Chart(reports []Report, path string) error {
	accepted := plot.New()
	accepted.Title.Text = "accepted spans/s against offered spans/s"
	accepted.X.Label.Text = "offered spans/s"
	accepted.Y.Label.Text = "accepted spans/s"
	latency := plot.New()
	latency.Title.Text = "push to queryable p99 against offered spans/s"
	latency.X.Label.Text = "offered spans/s"
	latency.Y.Label.Text = "p99 (ms)"
	var maxOffered float64
	for i, r := range reports {
		acc, lat := make(plotter.XYs, 0, len(r.Steps)), make(plotter.XYs, 0, len(r.Steps))
		for _, s := range r.Steps {
			acc = append(acc, plotter.XY{X: s.OfferedSPS, Y: s.AcceptedSPS})
			lat = append(lat, plotter.XY{X: s.OfferedSPS, Y: s.P99ms})
			maxOffered = max(maxOffered, s.OfferedSPS)
		}
		for _, panel := range []struct {
			p   *plot.Plot
			xys plotter.XYs
		}{{accepted, acc}, {latency, lat}} {
			if len(panel.xys) == 0 {
				continue
			}
			l, pts, err := plotter.NewLinePoints(panel.xys)
			if err != nil {
				return fmt.Errorf("%s: %w", r.Combination, err)
			}
			l.Color, pts.Color = plotutil.Color(i), plotutil.Color(i)
			l.Dashes, pts.Shape = plotutil.Dashes(i), plotutil.Shape(i)
			panel.p.Add(l, pts)
			panel.p.Legend.Add(r.Combination, l, pts)
		}
	}
	ideal, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: maxOffered, Y: maxOffered}})
	if err != nil {
		return err
	}
	ideal.Color = color.Gray{Y: 160}
	ideal.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
	accepted.Add(ideal)
	accepted.Legend.Add("accepted = offered", ideal)
	accepted.Legend.Top, latency.Legend.Top = true, true
	accepted.Legend.Left, latency.Legend.Left = true, true
	accepted.X.Min, accepted.Y.Min, latency.X.Min, latency.Y.Min = 0, 0, 0, 0
	accepted.Add(plotter.NewGrid())
	latency.Add(plotter.NewGrid())

	width, height := 20*vg.Centimeter, 24*vg.Centimeter
	c := vgimg.New(width, height)
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Millimeter, PadY: 4 * vg.Millimeter, PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
	canvases := plot.Align([][]*plot.Plot{{accepted}, {latency}}, tiles, dc)
	accepted.Draw(canvases[0][0])
	latency.Draw(canvases[1][0])
	return writePNG(c, path)
}
