package htmlreport

import "html/template"

import "gonum.org/v1/plot"
import "gonum.org/v1/plot/vg"

// The chart helpers of report.html, exported for other self-contained pages
// (keyir audit's report): the same fonts, legend column and SVG allow-list,
// so every chart keyir embeds passes the same check.

// NewChart is a plot with keyir's fonts on every text element.
func NewChart(title, xLabel, yLabel string) *plot.Plot { return newChart(title, xLabel, yLabel) }

// NewChartLegend is a legend in keyir's style, drawn beside the plot.
func NewChartLegend() plot.Legend { return newChartLegend() }

// RenderChart draws p with its legend and returns inline SVG that passed
// the element and attribute allow-list.
func RenderChart(p *plot.Plot, leg plot.Legend, height vg.Length, label string) (template.HTML, error) {
	return renderChart(p, leg, height, label)
}
