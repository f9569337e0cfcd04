package inbox

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// A boundedMeters is a MeterProvider whose instruments drop the attributes
// of unbounded cardinality that River's otelriver middleware records:
// "attempt", which grows without bound when replays give deliveries fresh
// budgets. Each value of a label is a series of its own, and a metrics
// backend (OpenTelemetry's SDK itself, at 2,000) stops keeping series past
// a limit, so one growing label would take the real series from view. The
// instruments otelriver records with are filtered; the others pass as
// they are.
type boundedMeters struct {
	metric.MeterProvider
}

// newBoundedMeters returns mp bounded, or OpenTelemetry's global provider
// bounded for nil.
func newBoundedMeters(mp metric.MeterProvider) boundedMeters {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	return boundedMeters{mp}
}

// droppedKeys are the attributes boundedMeters drops.
var droppedKeys = attribute.NewDenyKeysFilter("attempt")

func (p boundedMeters) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	return boundedMeter{p.MeterProvider.Meter(name, opts...)}
}

type boundedMeter struct{ metric.Meter }

func (m boundedMeter) Int64Counter(name string, opts ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	c, err := m.Meter.Int64Counter(name, opts...)
	return boundedInt64Counter{c}, err
}

func (m boundedMeter) Int64Histogram(name string, opts ...metric.Int64HistogramOption) (metric.Int64Histogram, error) {
	h, err := m.Meter.Int64Histogram(name, opts...)
	return boundedInt64Histogram{h}, err
}

func (m boundedMeter) Float64Histogram(name string, opts ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	h, err := m.Meter.Float64Histogram(name, opts...)
	return boundedFloat64Histogram{h}, err
}

func (m boundedMeter) Float64Gauge(name string, opts ...metric.Float64GaugeOption) (metric.Float64Gauge, error) {
	g, err := m.Meter.Float64Gauge(name, opts...)
	return boundedFloat64Gauge{g}, err
}

// bounded returns opts' attributes without the dropped keys, as one
// option.
func bounded(set attribute.Set) metric.MeasurementOption {
	kept, _ := set.Filter(droppedKeys)
	return metric.WithAttributeSet(kept)
}

type boundedInt64Counter struct{ metric.Int64Counter }

func (c boundedInt64Counter) Add(ctx context.Context, v int64, opts ...metric.AddOption) {
	c.Int64Counter.Add(ctx, v, bounded(metric.NewAddConfig(opts).Attributes()))
}

type boundedInt64Histogram struct{ metric.Int64Histogram }

func (h boundedInt64Histogram) Record(ctx context.Context, v int64, opts ...metric.RecordOption) {
	h.Int64Histogram.Record(ctx, v, bounded(metric.NewRecordConfig(opts).Attributes()))
}

type boundedFloat64Histogram struct{ metric.Float64Histogram }

func (h boundedFloat64Histogram) Record(ctx context.Context, v float64, opts ...metric.RecordOption) {
	h.Float64Histogram.Record(ctx, v, bounded(metric.NewRecordConfig(opts).Attributes()))
}

type boundedFloat64Gauge struct{ metric.Float64Gauge }

func (g boundedFloat64Gauge) Record(ctx context.Context, v float64, opts ...metric.RecordOption) {
	g.Float64Gauge.Record(ctx, v, bounded(metric.NewRecordConfig(opts).Attributes()))
}
