package server

import (
	"fmt"
	"strconv"
	"time"

	"github.com/h2hpay/h2hpay/internal/gateway"
)

// hourChart is the dashboard's bar chart of payments per hour by status,
// drawn as inline SVG by the template from these numbers: no script, no
// image request.
type hourChart struct {
	Width, Height int
	Bars          []chartBar
	YTicks        []chartTick
	XTicks        []chartTick
	Legend        []chartLegend
	Total         int
	Label         string  // the chart in words, for screen readers
	Left, Right   float64 // the plot's x range
	YLabelX       float64 // where the y labels end
	XLabelY       float64 // the x labels' baseline
}

type chartBar struct {
	X, Y, W, H float64
	Status     string
	Title      string
}

type chartTick struct {
	Pos   float64
	Label string
}

type chartLegend struct {
	Status string
	Count  int
}

// chartOrder is the stacking order, bottom first.
var chartOrder = []gateway.Status{gateway.StatusPaid, gateway.StatusFail, gateway.StatusCancel, gateway.StatusWait}

// newHourChart lays out hours bars from start, one per hour, each a stack
// of its statuses' counts.
func newHourChart(counts []gateway.HourCount, start time.Time, hours int) hourChart {
	const (
		width, height = 1080, 200
		left, right   = 40.0, 1072.0
		top, bottom   = 12.0, 172.0
		slotFill      = 0.72
		xTickEvery    = 3
	)
	c := hourChart{Width: width, Height: height, Left: left, Right: right, YLabelX: left - 6, XLabelY: bottom + 18}
	per := make([]map[gateway.Status]int, hours)
	for i := range per {
		per[i] = map[gateway.Status]int{}
	}
	totals := map[gateway.Status]int{}
	for _, hc := range counts {
		i := int(hc.Hour.Sub(start) / time.Hour)
		if i < 0 || i >= hours {
			continue
		}
		per[i][hc.Status] += hc.Count
		totals[hc.Status] += hc.Count
		c.Total += hc.Count
	}
	peak := 0
	for _, m := range per {
		sum := 0
		for _, n := range m {
			sum += n
		}
		peak = max(peak, sum)
	}
	top2 := niceCeil(peak)
	scale := (bottom - top) / float64(top2)
	slot := (right - left) / float64(hours)
	for i, m := range per {
		x := left + float64(i)*slot + slot*(1-slotFill)/2
		y := bottom
		hour := start.Add(time.Duration(i) * time.Hour).UTC()
		for _, st := range chartOrder {
			n := m[st]
			if n == 0 {
				continue
			}
			h := float64(n) * scale
			y -= h
			c.Bars = append(c.Bars, chartBar{X: round1(x), Y: round1(y), W: round1(slot * slotFill), H: round1(h), Status: string(st),
				Title: fmt.Sprintf("%s–%s UTC: %d %s", hour.Format("15:04"), hour.Add(time.Hour).Format("15:04"), n, st)})
		}
		if i%xTickEvery == 0 {
			c.XTicks = append(c.XTicks, chartTick{Pos: round1(left + float64(i)*slot + slot/2), Label: hour.Format("15:04")})
		}
	}
	ticks := []int{0, top2 / 2, top2}
	if top2%2 != 0 { // 1 or 5: no gridline at half a payment
		ticks = []int{0, top2}
	}
	for _, v := range ticks {
		c.YTicks = append(c.YTicks, chartTick{Pos: round1(bottom - float64(v)*scale), Label: strconv.Itoa(v)})
	}
	for _, st := range chartOrder {
		c.Legend = append(c.Legend, chartLegend{Status: string(st), Count: totals[st]})
	}
	c.Label = fmt.Sprintf("Payments per hour over the %d hours from %s UTC: %d in all, %d paid, %d fail, %d cancel, %d wait.",
		hours, start.UTC().Format("2006-01-02 15:04"), c.Total, totals[gateway.StatusPaid], totals[gateway.StatusFail],
		totals[gateway.StatusCancel], totals[gateway.StatusWait])
	return c
}

// niceCeil is the smallest of 1, 2, 4, 5, 10, 20, 40, 50, … at or above n
// (at least 1), so the axis reads in round numbers.
func niceCeil(n int) int {
	for base := 1; ; base *= 10 {
		for _, m := range []int{1, 2, 4, 5} {
			if m*base >= n && m*base >= 1 {
				return m * base
			}
		}
	}
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }
