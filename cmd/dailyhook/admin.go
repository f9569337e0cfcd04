package main

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/dailywebhooks/events/inbox"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"riverqueue.com/riverui"
)

// telemetry is the OpenTelemetry SDK that listen wires: metrics for the
// admin listener's /metrics, and traces, exported over OTLP when
// OpenTelemetry's environment variables name an endpoint.
type telemetry struct {
	meters   *sdkmetric.MeterProvider
	tracers  *sdktrace.TracerProvider
	registry *prometheus.Registry
}

// newTelemetry sets up the SDK and makes it, with the W3C trace-context
// propagator, OpenTelemetry's globals. A tracer provider is installed even
// without an exporter, so that forwarded requests carry a traceparent the
// app's own traces can join.
func newTelemetry(ctx context.Context, e *env) (*telemetry, error) {
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(
		otelprom.WithRegisterer(reg),
		// The instruments are named as Prometheus shows them
		// (dailyhook_deliveries_total, ..._seconds): add no suffix.
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithoutSuffixes),
		otelprom.WithoutScopeInfo(),
		otelprom.WithoutTargetInfo(),
	)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	t := &telemetry{meters: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp)), registry: reg}
	var opts []sdktrace.TracerProviderOption
	if e.getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || e.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
		te, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("traces: OTLP exporter: %w", err)
		}
		opts = append(opts, sdktrace.WithBatcher(te))
	}
	t.tracers = sdktrace.NewTracerProvider(opts...)
	otel.SetMeterProvider(t.meters)
	otel.SetTracerProvider(t.tracers)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return t, nil
}

// shutdown flushes and stops the SDK.
func (t *telemetry) shutdown(ctx context.Context) error {
	return errors.Join(t.tracers.Shutdown(ctx), t.meters.Shutdown(ctx))
}

// An admin is listen's admin listener: health, readiness, metrics and
// River's UI, on an address of its own, never the one facing Daily.
type admin struct {
	srv *http.Server
	ui  *riverui.Handler
}

// errAdminPassword is why an admin listener off loopback does not start.
var errAdminPassword = errors.New("-admin off a loopback address needs DAILYHOOK_ADMIN_PASSWORD, for HTTP basic auth")

// startAdmin serves the admin endpoints of in on ln until stop. On a
// loopback address it needs no credentials; elsewhere it requires the
// basic-auth password password (any user name), and refuses to start
// without one.
func startAdmin(ctx context.Context, ln net.Listener, in *inbox.Inbox, tel *telemetry, password string, log *slog.Logger) (*admin, error) {
	loopback := isLoopback(ln.Addr())
	if !loopback && password == "" {
		return nil, errAdminPassword
	}
	ui, err := riverUI(in, log)
	if err != nil {
		return nil, fmt.Errorf("riverui: %w", err)
	}
	if err := ui.Start(ctx); err != nil {
		return nil, fmt.Errorf("riverui: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := in.Ready(ctx); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(tel.registry, promhttp.HandlerOpts{}))
	mux.Handle("/riverui/", ui)
	var h http.Handler = mux
	if !loopback {
		log.Warn("dailyhook: the admin listener is off loopback: without TLS in front of it, its password crosses the network in clear", "addr", ln.Addr().String())
		h = basicAuth(password, mux)
	}
	a := &admin{ui: ui, srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 60 * time.Second}}
	go a.srv.Serve(ln)
	return a, nil
}

// stop shuts the admin listener down.
func (a *admin) stop(ctx context.Context) error {
	return ignoreClosed(a.srv.Shutdown(ctx))
}

// riverUI returns River's UI over in's River client, of either store.
func riverUI(in *inbox.Inbox, log *slog.Logger) (*riverui.Handler, error) {
	opts := &riverui.HandlerOpts{Logger: log, Prefix: "/riverui"}
	if c := inbox.RiverClient[*sql.Tx](in); c != nil {
		opts.Endpoints = riverui.NewEndpoints(c, nil)
	} else if c := inbox.RiverClient[pgx.Tx](in); c != nil {
		opts.Endpoints = riverui.NewEndpoints(c, nil)
	} else {
		return nil, errors.New("the inbox's store is neither SQLite nor PostgreSQL")
	}
	return riverui.NewHandler(opts)
}

// isLoopback reports whether addr is on a loopback interface.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// basicAuth requires HTTP basic auth with password, any user name,
// compared in constant time.
func basicAuth(password string, next http.Handler) http.Handler {
	want := []byte(password)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, got, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="dailyhook admin", charset="UTF-8"`)
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
